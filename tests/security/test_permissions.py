"""The role checks other apps use: role_required, RoleRequiredMixin and HasRole."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.test import RequestFactory
from django.views import View
from rest_framework.response import Response
from rest_framework.test import APIRequestFactory, force_authenticate
from rest_framework.views import APIView

from accounts import permissions

pytestmark = pytest.mark.django_db


@permissions.role_required(permissions.COORDINATOR, permissions.ANALYST)
def coordinator_page(request):
    return HttpResponse("ok")


class CoordinatorView(permissions.RoleRequiredMixin, View):
    allowed_roles = (permissions.COORDINATOR,)

    def get(self, request):
        return HttpResponse("ok")


class CoordinatorApi(APIView):
    permission_classes = [permissions.HasRole(permissions.COORDINATOR)]

    def get(self, request):
        return Response({"ok": True})


def page_request(user):
    request = RequestFactory().get("/page/?x=1")
    request.user = user
    return request


def test_role_required_admits_listed_roles(users):
    assert coordinator_page(page_request(users["coordinator"])).status_code == 200
    assert coordinator_page(page_request(users["analyst"])).status_code == 200


def test_role_required_forbids_other_roles(users):
    for role in ("mediator", "client_viewer", "admin"):
        with pytest.raises(PermissionDenied):
            coordinator_page(page_request(users[role]))


def test_role_required_sends_anonymous_to_login():
    response = coordinator_page(page_request(AnonymousUser()))
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/page/%3Fx%3D1"


def test_role_required_forbids_inactive_user(users):
    coordinator = users["coordinator"]
    coordinator.is_active = False
    with pytest.raises(PermissionDenied):
        coordinator_page(page_request(coordinator))


def test_superuser_passes_role_checks(django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@example.org", "x" * 12)
    assert coordinator_page(page_request(root)).status_code == 200


def test_mixin_checks_roles(users):
    view = CoordinatorView.as_view()
    assert view(page_request(users["coordinator"])).status_code == 200
    with pytest.raises(PermissionDenied):
        view(page_request(users["mediator"]))
    assert view(page_request(AnonymousUser())).status_code == 302


def test_has_role_permission(users):
    view = CoordinatorApi.as_view()
    factory = APIRequestFactory()
    request = factory.get("/api/x/")
    force_authenticate(request, users["coordinator"])
    assert view(request).status_code == 200
    request = factory.get("/api/x/")
    force_authenticate(request, users["client_viewer"])
    assert view(request).status_code == 403
    assert view(factory.get("/api/x/")).status_code == 401


def test_unknown_role_rejected_when_declared():
    with pytest.raises(ValueError, match="received \\['coordinater'\\]"):
        permissions.role_required("coordinater")
    with pytest.raises(ValueError, match="at least one of the roles"):
        permissions.HasRole()


def test_role_groups_use_known_roles():
    from accounts.models import User

    groups = [
        permissions.ENTRY_ROLES, permissions.CAPTURE_ROLES, permissions.REVIEW_ROLES,
        permissions.LAYER_ROLES, permissions.REPORT_ROLES, permissions.EXPORT_ROLES,
        permissions.TERRITORY_ROLES, permissions.TERRITORY_IMPORT_ROLES,
        permissions.AUDIT_ROLES, permissions.ADMIN_ROLES,
    ]
    for group in groups:
        assert set(group) <= set(User.Role.values), group
    # Client viewers never get individual entries.
    assert permissions.CLIENT_VIEWER not in permissions.ENTRY_ROLES
    assert permissions.CLIENT_VIEWER not in permissions.CAPTURE_ROLES
