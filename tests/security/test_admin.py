"""The Django admin: who gets in, and what a role admin may see and change."""

import pytest
from django.test import Client

from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(world):
    client = Client()
    client.force_login(world.users["admin"])
    return client


def user_add_form(world, **fields):
    data = {
        "username": "nouvelle-recrue",
        "usable_password": "true",
        "password1": TEST_PASSWORD,
        "password2": TEST_PASSWORD,
        "role": "mediator",
        "organisation": world.users["admin"].organisation_id,
        "client": "",
    }
    data.update(fields)
    return data


def test_staff_without_admin_role_refused(world):
    coordinator = world.users["coordinator"]
    coordinator.is_staff = True
    coordinator.save()
    client = Client()
    client.force_login(coordinator)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")


def test_admin_role_without_staff_flag_refused(world):
    admin = world.users["admin"]
    admin.is_staff = False
    admin.save()
    client = Client()
    client.force_login(admin)
    assert client.get("/admin/").status_code == 302


def test_user_list_scoped_to_organisation(world, admin_client):
    html = admin_client.get("/admin/accounts/user/").content.decode()
    assert "canari-mediateur" in html
    assert "mediateur-b" not in html
    assert ">root<" not in html


def test_other_organisation_user_not_found(world, admin_client):
    other = world.other_users["mediator"]
    response = admin_client.get(f"/admin/accounts/user/{other.pk}/change/")
    # Django's admin redirects to the index when the object is not found.
    assert response.status_code == 302
    response = admin_client.post(
        f"/admin/accounts/user/{other.pk}/change/", {"username": "renamed"}
    )
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.username == "mediateur-b"


def test_role_admin_cannot_create_superuser(world, admin_client):
    from accounts.models import User

    response = admin_client.post(
        "/admin/accounts/user/add/", user_add_form(world, is_superuser="on", is_staff="on")
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    created = User.objects.get(username="nouvelle-recrue")
    assert created.is_superuser is False
    assert created.organisation_id == world.users["admin"].organisation_id


def test_role_admin_cannot_grant_superuser_on_change(world, admin_client):
    mediator = world.users["mediator"]
    form = admin_client.get(f"/admin/accounts/user/{mediator.pk}/change/").content.decode()
    assert 'name="is_superuser"' not in form
    assert 'name="user_permissions"' not in form
    assert 'name="groups"' not in form


def test_role_admin_cannot_create_user_in_other_organisation(world, admin_client):
    from accounts.models import User

    response = admin_client.post(
        "/admin/accounts/user/add/",
        user_add_form(world, organisation=world.other_users["admin"].organisation_id),
    )
    assert response.status_code == 200  # the form again, with an error
    assert not User.objects.filter(username="nouvelle-recrue").exists()


def test_role_admin_cannot_attach_other_organisation_client(world, admin_client):
    from accounts.models import User

    response = admin_client.post(
        "/admin/accounts/user/add/",
        user_add_form(world, role="client_viewer", client=world.client_b.pk),
    )
    assert response.status_code == 200
    assert not User.objects.filter(username="nouvelle-recrue").exists()


def test_superuser_may_create_superuser(world):
    from accounts.models import User

    client = Client()
    client.force_login(world.superuser)
    response = client.post(
        "/admin/accounts/user/add/", user_add_form(world, username="second-root")
    )
    assert response.status_code == 302
    created = User.objects.get(username="second-root")
    response = client.post(
        f"/admin/accounts/user/{created.pk}/change/",
        {
            "username": "second-root",
            "is_active": "on",
            "is_staff": "on",
            "is_superuser": "on",
            "role": "admin",
            "organisation": world.users["admin"].organisation_id,
            "client": "",
            "date_joined_0": "2024-01-01",
            "date_joined_1": "10:00:00",
        },
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    created.refresh_from_db()
    assert created.is_superuser is True


def test_client_perimeter_limited_to_own_territories(world, admin_client):
    client_city = world.users["client_viewer"].client
    response = admin_client.post(
        f"/admin/accounts/client/{client_city.pk}/change/",
        {
            "organisation": client_city.organisation_id,
            "name": client_city.name,
            "kind": client_city.kind,
            "perimeter": [world.alpha.pk, world.beta.pk],
        },
    )
    assert response.status_code == 200  # rejected: Beta is another tenant's
    assert set(client_city.perimeter.values_list("pk", flat=True)) == {world.alpha.pk}
    response = admin_client.post(
        f"/admin/accounts/client/{client_city.pk}/change/",
        {
            "organisation": client_city.organisation_id,
            "name": client_city.name,
            "kind": client_city.kind,
            "perimeter": [world.alpha.pk, world.outside.pk],
        },
    )
    assert response.status_code == 302
    assert set(client_city.perimeter.values_list("pk", flat=True)) == {
        world.alpha.pk, world.outside.pk
    }


def test_default_nomenclature_read_only_for_role_admin(world, admin_client):
    from interventions.models import Category

    default = Category.objects.filter(organisation=None).first()
    response = admin_client.post(
        f"/admin/interventions/category/{default.pk}/change/",
        {"code": default.code, "label": "Renommée", "position": 0, "is_active": "on"},
    )
    assert response.status_code == 403
    default.refresh_from_db()
    assert default.label != "Renommée"
    assert admin_client.get(f"/admin/interventions/category/{default.pk}/delete/").status_code == 403


def test_default_nomenclature_not_editable_in_list(world, admin_client):
    from interventions.models import Category

    defaults = list(Category.objects.filter(organisation=None).order_by("position", "label")[:2])
    data = {
        "form-TOTAL_FORMS": "2",
        "form-INITIAL_FORMS": "2",
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    for index, category in enumerate(defaults):
        data[f"form-{index}-id"] = str(category.pk)
        data[f"form-{index}-position"] = "99"
        # is_active left out: unchecked
    admin_client.post("/admin/interventions/category/", data)
    for category in defaults:
        category.refresh_from_db()
        assert category.is_active is True
        assert category.position != 99


def test_role_admin_category_belongs_to_own_organisation(world, admin_client):
    from interventions.models import Category

    response = admin_client.post(
        "/admin/interventions/category/add/",
        {"code": "maraude", "label": "Maraude", "position": 5, "is_active": "on", "organisation": ""},
    )
    # No empty choice: the organisation is required and can only be the admin's.
    assert response.status_code == 200
    response = admin_client.post(
        "/admin/interventions/category/add/",
        {
            "code": "maraude",
            "label": "Maraude",
            "position": 5,
            "is_active": "on",
            "organisation": world.users["admin"].organisation_id,
        },
    )
    assert response.status_code == 302
    assert Category.objects.get(code="maraude").organisation_id == world.users["admin"].organisation_id


def test_entries_read_only_for_role_admin(world, admin_client):
    entry = world.entry
    response = admin_client.post(
        f"/admin/interventions/intervention/{entry.pk}/change/", {"note": "changed"}
    )
    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.note == "note-canari-alpha-0"


def test_audit_events_read_only_even_for_superuser(world):
    from accounts.audit import record_event
    from accounts.models import AuditEvent

    event = record_event(world.users["coordinator"], AuditEvent.Action.EXPORT, target="x")
    client = Client()
    client.force_login(world.superuser)
    assert client.get("/admin/accounts/auditevent/").status_code == 200
    assert client.get("/admin/accounts/auditevent/add/").status_code == 403
    assert client.get(f"/admin/accounts/auditevent/{event.pk}/delete/").status_code == 403
    response = client.post(f"/admin/accounts/auditevent/{event.pk}/change/", {"target": "y"})
    assert response.status_code == 403
    page = client.get(f"/admin/accounts/auditevent/{event.pk}/change/").content.decode()
    assert 'name="target"' not in page
    assert 'name="_save"' not in page


def test_audit_events_scoped_for_role_admin(world, admin_client):
    from accounts.audit import record_event
    from accounts.models import AuditEvent

    record_event(world.users["coordinator"], AuditEvent.Action.EXPORT, target="export-a")
    record_event(world.other_users["coordinator"], AuditEvent.Action.EXPORT, target="export-b")
    html = admin_client.get("/admin/accounts/auditevent/").content.decode()
    assert "export-a" in html
    assert "export-b" not in html


def test_security_apps_hidden_from_role_admin(world, admin_client):
    index = admin_client.get("/admin/").content.decode()
    assert "/admin/axes/" not in index
    assert "/admin/authtoken/" not in index
    assert "/admin/auth/" not in index
    assert admin_client.get("/admin/axes/").status_code == 404
    assert admin_client.get("/admin/authtoken/tokenproxy/").status_code == 403
