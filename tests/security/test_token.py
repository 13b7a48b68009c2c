"""API tokens: POST /api/token/ with credentials returns, or rotates, the user's token."""

import pytest
from django.test import Client

from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.django_db


def obtain(username, password=TEST_PASSWORD, language="fr", **fields):
    return Client(HTTP_ACCEPT_LANGUAGE=language).post(
        "/api/token/", {"username": username, "password": password, **fields}
    )


def test_token_obtained_and_accepted(users):
    response = obtain("mediator")
    assert response.status_code == 200
    body = response.json()
    assert body["created"] is True
    assert len(body["token"]) == 40
    api = Client(HTTP_AUTHORIZATION=f"Token {body['token']}")
    assert api.get("/api/nomenclature/").status_code == 200


def test_token_stable_until_rotated(users):
    first = obtain("mediator").json()["token"]
    again = obtain("mediator").json()
    assert again == {"token": first, "created": False}
    rotated = obtain("mediator", rotate="true").json()
    assert rotated["created"] is True
    assert rotated["token"] != first
    assert Client(HTTP_AUTHORIZATION=f"Token {first}").get("/api/nomenclature/").status_code == 401
    new = Client(HTTP_AUTHORIZATION=f"Token {rotated['token']}")
    assert new.get("/api/nomenclature/").status_code == 200


def test_token_wrong_password(users):
    response = obtain("mediator", "wrong-password-1", language="en")
    assert response.status_code == 400
    assert response.json() == {
        "detail": "Invalid username or password; check them and try again."
    }


def test_token_missing_fields(users):
    response = Client().post("/api/token/", {"username": "mediator"})
    assert response.status_code == 400
    assert "password" in response.json()


def test_token_refused_for_inactive_user(users):
    mediator = users["mediator"]
    mediator.is_active = False
    mediator.save()
    assert obtain("mediator").status_code == 400


def test_token_of_deactivated_user_rejected(users):
    token = obtain("mediator").json()["token"]
    mediator = users["mediator"]
    mediator.is_active = False
    mediator.save()
    response = Client(HTTP_AUTHORIZATION=f"Token {token}").get("/api/nomenclature/")
    assert response.status_code == 401


def test_token_issue_audited(users):
    from accounts.models import AuditEvent

    obtain("analyst", rotate="true")
    [event] = AuditEvent.objects.filter(action="login")
    assert event.username == "analyst"
    assert event.details == {"method": "token", "rotated": True}


def test_token_endpoint_needs_no_csrf_but_ignores_session(users):
    """Credentials in the body are required even with a logged-in session."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["mediator"])
    response = client.post("/api/token/", {})
    assert response.status_code == 400
