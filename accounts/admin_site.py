"""The Django admin site, open to superusers and to staff with the admin role."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts import scoping


class RoleAdminSite(admin.AdminSite):
    site_header = _("geo_mediation administration")
    site_title = _("geo_mediation administration")
    index_title = _("Users, clients, territories and nomenclature")

    def has_permission(self, request):
        user = request.user
        if not user.is_active or not user.is_staff:
            return False
        return user.is_superuser or user.role == scoping.ADMIN
