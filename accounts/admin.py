from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext_lazy as _

from accounts.admin_scoping import OrganisationScopedAdmin, is_role_admin
from accounts.models import AuditEvent, Client, Organisation, User

ORGANISATION_FILTER = ("organisation", admin.RelatedOnlyFieldListFilter)

# Fields that only a superuser may set: they would let an organisation's
# administrator create superusers or grant permissions beyond the admin role.
SUPERUSER_ONLY_FIELDS = {"is_superuser", "groups", "user_permissions"}


@admin.register(Organisation)
class OrganisationAdmin(OrganisationScopedAdmin):
    list_display = ["name", "slug", "created_at"]
    prepopulated_fields = {"slug": ["name"]}
    search_fields = ["name"]


@admin.register(Client)
class ClientAdmin(OrganisationScopedAdmin):
    list_display = ["name", "kind", "organisation"]
    list_filter = ["kind", ORGANISATION_FILTER]
    search_fields = ["name"]
    autocomplete_fields = ["perimeter"]


@admin.register(User)
class UserAdmin(OrganisationScopedAdmin, DjangoUserAdmin):
    list_display = ["username", "role", "organisation", "client", "is_active"]
    list_filter = ["role", ORGANISATION_FILTER, "is_active"]
    fieldsets = DjangoUserAdmin.fieldsets + (
        (_("Role and perimeter"), {"fields": ["role", "organisation", "client"]}),
    )
    add_fieldsets = DjangoUserAdmin.add_fieldsets + (
        (_("Role and perimeter"), {"fields": ["role", "organisation", "client"]}),
    )

    def get_fieldsets(self, request, obj=None):
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        allowed = []
        for name, options in fieldsets:
            fields = [f for f in options["fields"] if f not in SUPERUSER_ONLY_FIELDS]
            allowed.append((name, {**options, "fields": fields}))
        return allowed

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            if not is_role_admin(request.user) or obj.is_superuser:
                raise PermissionDenied
        super().save_model(request, obj, form, change)


@admin.register(AuditEvent)
class AuditEventAdmin(OrganisationScopedAdmin):
    """Read-only for everyone, superusers included: events are never changed."""

    list_display = [
        "occurred_at", "action", "username", "organisation", "target", "ip_address"
    ]
    list_filter = ["action", ORGANISATION_FILTER]
    search_fields = ["username", "target"]
    date_hierarchy = "occurred_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
