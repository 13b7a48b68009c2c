"""Role checks for pages and API endpoints.

A role check decides whether a user may open a page or call an endpoint at all.
Which rows the user then sees is decided by the scoping querysets
(`visible_to`, `aggregatable_by`, see accounts/scoping.py), which every view
must still start from.

Pages::

    @role_required(*permissions.REVIEW_ROLES)
    def review_queue(request): ...

    class MapView(RoleRequiredMixin, TemplateView):
        allowed_roles = permissions.LAYER_ROLES

API (Django REST framework)::

    class InterventionViewSet(viewsets.ModelViewSet):
        permission_classes = [HasRole(*permissions.ENTRY_ROLES)]

Superusers pass every role check. Anonymous users are sent to the login page
by `role_required` and `RoleRequiredMixin`, and get 401 or 403 from `HasRole`.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from rest_framework.permissions import BasePermission

from accounts.models import User

MEDIATOR = User.Role.MEDIATOR
COORDINATOR = User.Role.COORDINATOR
ANALYST = User.Role.ANALYST
CLIENT_VIEWER = User.Role.CLIENT_VIEWER
ADMIN = User.Role.ADMIN

# Who may use each feature; the README's "Roles" table states the same rules.
# Individual entries: mediators get their own, the other roles their organisation's.
ENTRY_ROLES = (MEDIATOR, COORDINATOR, ANALYST, ADMIN)
# Creating entries and editing them until they are validated.
CAPTURE_ROLES = (MEDIATOR, COORDINATOR)
# The review queue: validation and rejection.
REVIEW_ROLES = (COORDINATOR,)
# Map layers, vector tiles and layer API: aggregates, small counts suppressed
# for client viewers.
LAYER_ROLES = (COORDINATOR, ANALYST, CLIENT_VIEWER, ADMIN)
REPORT_ROLES = (COORDINATOR, ANALYST, CLIENT_VIEWER)
EXPORT_ROLES = (COORDINATOR, ANALYST, CLIENT_VIEWER)
# Reading territory sets and polygons (pages and API).
TERRITORY_ROLES = (COORDINATOR, ANALYST, ADMIN)
# Importing and replacing territory sets.
TERRITORY_IMPORT_ROLES = (ANALYST, ADMIN)
# The audit log page and the Django admin.
AUDIT_ROLES = (ADMIN,)
ADMIN_ROLES = (ADMIN,)


def has_role(user, *roles):
    """Return whether `user` is logged in, active and has one of `roles`.

    Superusers have every role.
    """
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.role in roles


def _check_roles(roles):
    unknown = set(roles) - set(User.Role.values)
    if not roles or unknown:
        raise ValueError(
            f"role check needs at least one of the roles {sorted(User.Role.values)}; "
            f"received {sorted(roles)}."
        )


def role_required(*roles):
    """Decorate a function view: login page for anonymous users, 403 for other roles."""
    _check_roles(roles)

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if not has_role(request.user, *roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        wrapper.allowed_roles = tuple(roles)
        return wrapper

    return decorator


class RoleRequiredMixin:
    """Mixin for class-based views; `allowed_roles` lists who may open the page."""

    allowed_roles = ()

    def dispatch(self, request, *args, **kwargs):
        _check_roles(self.allowed_roles)
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not has_role(request.user, *self.allowed_roles):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class HasRole(BasePermission):
    """DRF permission: `permission_classes = [HasRole(COORDINATOR, ANALYST)]`.

    DRF instantiates each entry of `permission_classes`; an instance of this
    class returns itself when called, so it can be listed directly.
    """

    def __init__(self, *roles):
        _check_roles(roles)
        self.roles = tuple(roles)

    def __call__(self):
        return self

    def has_permission(self, request, view):
        return has_role(request.user, *self.roles)

    def __repr__(self):
        return f"HasRole{self.roles!r}"
