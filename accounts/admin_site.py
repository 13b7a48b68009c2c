"""The Django admin site, open to superusers and to staff with the admin role."""

from django.contrib import admin

from accounts import scoping


class RoleAdminSite(admin.AdminSite):
    def has_permission(self, request):
        user = request.user
        if not user.is_active or not user.is_staff:
            return False
        return user.is_superuser or user.role == scoping.ADMIN
