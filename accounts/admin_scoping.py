"""Scoping of the Django admin: role admins manage their own organisation only.

Superusers keep Django's usual admin (every row, every permission). A staff
account with the admin role gets the actions listed in ADMIN_ROLE_ACTIONS,
whatever permission rows it holds, on the rows its organisation owns, and
chooses related objects among those rows only.
"""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Q

from accounts import scoping

ALL = frozenset({"view", "add", "change", "delete"})
VIEW = frozenset({"view"})

# "app_label.model_name" -> actions a role admin may take in the admin.
ADMIN_ROLE_ACTIONS = {
    "accounts.organisation": frozenset({"view", "change"}),
    "accounts.client": ALL,
    "accounts.user": ALL,
    "accounts.auditevent": VIEW,
    "interventions.category": ALL,
    "interventions.interventiontype": ALL,
    "interventions.theme": ALL,
    "interventions.partner": ALL,
    "interventions.outcome": ALL,
    # Entries change through capture and review, which keep the audit trail.
    "interventions.intervention": VIEW,
    # Territory sets change through the import, which re-attaches the entries.
    "territories.territoryset": VIEW,
    "territories.territory": VIEW,
}


def is_role_admin(user):
    return (
        user.is_active
        and user.is_staff
        and not user.is_superuser
        and user.role == scoping.ADMIN
        and user.organisation_id is not None
    )


def shared_or_own(queryset, user):
    """Nomenclature rows: the default ones (no organisation) and the user's own."""
    return queryset.filter(
        Q(organisation__isnull=True) | Q(organisation_id=user.organisation_id)
    )


def scoped_choices(queryset, user):
    """Limit the choices of a related field to the rows `user` may see."""
    if hasattr(queryset, "visible_to"):
        return queryset.visible_to(user)
    if any(field.name == "organisation" for field in queryset.model._meta.fields):
        return shared_or_own(queryset, user)
    return queryset


class OrganisationScopedAdmin(admin.ModelAdmin):
    """ModelAdmin of a tenant's model; subclasses may override `scope_queryset`."""

    def scope_queryset(self, request, queryset):
        return queryset.visible_to(request.user)

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if request.user.is_superuser:
            return queryset
        if not is_role_admin(request.user):
            return queryset.none()
        return self.scope_queryset(request, queryset)

    # --- permissions ------------------------------------------------------

    def _role_admin_may(self, request, action):
        label = f"{self.opts.app_label}.{self.opts.model_name}"
        allowed = ADMIN_ROLE_ACTIONS.get(label, ())
        return is_role_admin(request.user) and action in allowed

    def has_module_permission(self, request):
        if request.user.is_superuser:
            return super().has_module_permission(request)
        return self._role_admin_may(request, "view")

    def has_view_permission(self, request, obj=None):
        if request.user.is_superuser:
            return super().has_view_permission(request, obj)
        return self._role_admin_may(request, "view") or self._role_admin_may(
            request, "change"
        )

    def has_add_permission(self, request):
        if request.user.is_superuser:
            return super().has_add_permission(request)
        return self._role_admin_may(request, "add")

    def has_change_permission(self, request, obj=None):
        if request.user.is_superuser:
            return super().has_change_permission(request, obj)
        return self._role_admin_may(request, "change")

    def has_delete_permission(self, request, obj=None):
        if request.user.is_superuser:
            return super().has_delete_permission(request, obj)
        return self._role_admin_may(request, "delete")

    # --- related choices --------------------------------------------------

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if not request.user.is_superuser:
            related = db_field.remote_field.model
            kwargs["queryset"] = scoped_choices(
                kwargs.get("queryset", related._default_manager.all()), request.user
            )
            if db_field.name == "organisation":
                # The organisation of a new row is the admin's own: no empty
                # choice, so no row can be made shared with every organisation.
                kwargs["required"] = True
                kwargs["empty_label"] = None
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if not request.user.is_superuser:
            related = db_field.remote_field.model
            kwargs["queryset"] = scoped_choices(
                kwargs.get("queryset", related._default_manager.all()), request.user
            )
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not request.user.is_superuser:
            org_id = getattr(obj, "organisation_id", request.user.organisation_id)
            if org_id != request.user.organisation_id:
                raise PermissionDenied
        super().save_model(request, obj, form, change)


class NomenclatureScopedAdmin(OrganisationScopedAdmin):
    """Nomenclature: role admins see the default rows and edit their organisation's."""

    def scope_queryset(self, request, queryset):
        return shared_or_own(queryset, request.user)

    @staticmethod
    def _is_shared_row(request, obj):
        return (
            obj is not None
            and obj.organisation_id is None
            and not request.user.is_superuser
        )

    def has_change_permission(self, request, obj=None):
        if self._is_shared_row(request, obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if self._is_shared_row(request, obj):
            return False
        return super().has_delete_permission(request, obj)

    def delete_queryset(self, request, queryset):
        if not request.user.is_superuser:
            queryset = queryset.filter(organisation_id=request.user.organisation_id)
        super().delete_queryset(request, queryset)

    def get_changelist_form(self, request, **kwargs):
        form_class = super().get_changelist_form(request, **kwargs)
        if request.user.is_superuser:
            return form_class

        class OwnRowsOnlyForm(form_class):
            """The list's editable columns are read-only on the default rows."""

            def __init__(self, *args, **form_kwargs):
                super().__init__(*args, **form_kwargs)
                if self.instance.pk and self.instance.organisation_id is None:
                    for field in self.fields.values():
                        field.disabled = True

        return OwnRowsOnlyForm
