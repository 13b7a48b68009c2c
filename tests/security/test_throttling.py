"""Login lockout (django-axes) and API throttling (DRF), with the rates overridden here."""

import pytest
from django.core.cache import cache
from django.test import Client, override_settings

from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def empty_throttle_cache():
    cache.clear()
    yield
    cache.clear()


def fail_logins(client, username, count):
    for _ in range(count):
        response = client.post("/login/", {"username": username, "password": "wrong-password-1"})
        assert response.status_code in (200, 429)
    return response


# --- login lockout -----------------------------------------------------------


def test_login_locked_after_failure_limit(users, settings):
    client = Client()
    response = fail_logins(client, "mediator", settings.AXES_FAILURE_LIMIT - 1)
    assert response.status_code == 200
    response = client.post("/login/", {"username": "mediator", "password": "wrong-password-1"})
    assert response.status_code == 429
    # Locked: even the right password is refused now.
    response = client.post("/login/", {"username": "mediator", "password": TEST_PASSWORD})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_lockout_message_french_on_login_page(users, settings):
    client = Client()
    fail_logins(client, "mediator", settings.AXES_FAILURE_LIMIT)
    response = client.post("/login/", {"username": "mediator", "password": TEST_PASSWORD})
    html = response.content.decode()
    assert response.status_code == 429
    assert "Trop de tentatives de connexion échouées" in html
    assert "15 minutes" in html
    # The page is the login page, with its form, not a bare text response.
    assert 'id="id_username"' in html


def test_lockout_message_english_when_asked(users, settings):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    fail_logins(client, "mediator", settings.AXES_FAILURE_LIMIT)
    html = client.post("/login/", {"username": "mediator", "password": TEST_PASSWORD}).content.decode()
    assert "Too many failed login attempts" in html


def test_lockout_keyed_on_username_and_address(users, settings):
    client = Client()
    fail_logins(client, "mediator", settings.AXES_FAILURE_LIMIT)
    # Another account from the same address still logs in.
    response = client.post("/login/", {"username": "coordinator", "password": TEST_PASSWORD})
    assert response.status_code == 302
    # The same account from another address too.
    other_address = Client(REMOTE_ADDR="192.0.2.10")
    response = other_address.post("/login/", {"username": "mediator", "password": TEST_PASSWORD})
    assert response.status_code == 302


def test_success_before_limit_resets_failures(users, settings):
    client = Client()
    fail_logins(client, "mediator", settings.AXES_FAILURE_LIMIT - 1)
    assert client.post("/login/", {"username": "mediator", "password": TEST_PASSWORD}).status_code == 302
    client.logout()
    response = fail_logins(client, "mediator", settings.AXES_FAILURE_LIMIT - 1)
    assert response.status_code == 200


def test_token_endpoint_counts_towards_lockout(users, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/api/token/", {"username": "analyst", "password": "wrong-password-1"})
    response = client.post("/api/token/", {"username": "analyst", "password": TEST_PASSWORD})
    assert response.status_code == 429
    assert "Trop de tentatives" in response.json()["detail"]
    assert "token" not in response.json()


# --- API throttling ----------------------------------------------------------


def throttle_rates(**rates):
    from django.conf import settings

    return override_settings(
        REST_FRAMEWORK={
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {
                **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
                **rates,
            },
        }
    )


def test_api_user_rate_throttled(users):
    client = Client()
    client.force_login(users["coordinator"])
    with throttle_rates(user="3/minute"):
        statuses = [client.get("/api/nomenclature/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]


def test_api_throttle_per_user(users):
    first, second = Client(), Client()
    first.force_login(users["coordinator"])
    second.force_login(users["analyst"])
    with throttle_rates(user="2/minute"):
        for _ in range(2):
            first.get("/api/nomenclature/")
        assert first.get("/api/nomenclature/").status_code == 429
        assert second.get("/api/nomenclature/").status_code == 200


def test_token_endpoint_throttled(users):
    client = Client()
    with throttle_rates(token="2/minute"):
        statuses = [
            client.post("/api/token/", {"username": "analyst", "password": TEST_PASSWORD}).status_code
            for _ in range(3)
        ]
    assert statuses == [200, 200, 429]
