"""Audit events for logins, failed logins and lockouts; events cannot change."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import DatabaseError, connection, transaction
from django.test import Client

from tests.conftest import TEST_PASSWORD

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")


def events(action=None):
    from accounts.models import AuditEvent

    queryset = AuditEvent.objects.order_by("occurred_at", "id")
    if action:
        queryset = queryset.filter(action=action)
    return list(queryset)


def post_login(client, username, password):
    return client.post("/login/", {"username": username, "password": password})


# --- logins ----------------------------------------------------------------


def test_login_recorded(users, organisation):
    response = post_login(Client(), "coordinator", TEST_PASSWORD)
    assert response.status_code == 302
    [event] = events("login")
    assert event.user == users["coordinator"]
    assert event.username == "coordinator"
    assert event.organisation == organisation
    assert event.ip_address == "127.0.0.1"
    assert event.details == {"method": "session"}


def test_failed_login_recorded_without_password(users, organisation):
    response = post_login(Client(), "coordinator", "wrong-password-123")
    assert response.status_code == 200
    [event] = events("login_failed")
    assert event.user is None
    assert event.username == "coordinator"
    # The account's organisation, so that its administrators see the attempt.
    assert event.organisation == organisation
    assert "wrong-password-123" not in str(event.details)
    assert events("login") == []


def test_failed_login_unknown_username(users):
    post_login(Client(), "nobody-here", "whatever-password")
    [event] = events("login_failed")
    assert event.username == "nobody-here"
    assert event.organisation is None


def test_lockout_recorded(users, settings):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        post_login(client, "analyst", "wrong-password-123")
    [event] = events("lockout")
    assert event.username == "analyst"
    assert event.organisation_id == users["analyst"].organisation_id
    assert len(events("login_failed")) == settings.AXES_FAILURE_LIMIT


# --- immutability ----------------------------------------------------------


@pytest.fixture
def event(users):
    from accounts.audit import record_event
    from accounts.models import AuditEvent

    return record_event(
        users["coordinator"], AuditEvent.Action.EXPORT, target="export grille", details={"a": 1}
    )


def test_event_save_rejected(event):
    from accounts.models import AuditEventChangeRejected, AuditEvent

    event.target = "changed"
    with pytest.raises(AuditEventChangeRejected, match="cannot be changed"):
        event.save()
    assert AuditEvent.objects.get(pk=event.pk).target == "export grille"


def test_event_delete_rejected(event):
    from accounts.models import AuditEventChangeRejected, AuditEvent

    with pytest.raises(AuditEventChangeRejected, match="cannot be deleted"):
        event.delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_queryset_update_rejected_by_database(event):
    from accounts.models import AuditEvent

    with pytest.raises(DatabaseError, match="cannot be changed: UPDATE rejected"):
        with transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).update(target="changed")
    assert AuditEvent.objects.get(pk=event.pk).target == "export grille"


def test_queryset_delete_rejected_by_database(event):
    from accounts.models import AuditEvent

    with pytest.raises(DatabaseError, match="cannot be changed: DELETE rejected"):
        with transaction.atomic():
            AuditEvent.objects.filter(pk=event.pk).delete()
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_raw_sql_changes_rejected(event):
    for statement in (
        "UPDATE accounts_auditevent SET action = 'login' WHERE id = %s",
        "UPDATE accounts_auditevent SET user_id = NULL, username = '' WHERE id = %s",
        "DELETE FROM accounts_auditevent WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="cannot be changed"):
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(statement, [event.pk])


def test_user_deletion_keeps_event(event, users, nomenclature):
    """Deleting the user clears the link (SET_NULL), the only change let through."""
    from accounts.models import AuditEvent

    users["coordinator"].delete()
    stored = AuditEvent.objects.get(pk=event.pk)
    assert stored.user is None
    assert stored.username == "coordinator"
    assert stored.target == "export grille"


# --- the audit page --------------------------------------------------------


@pytest.fixture
def logged_events(users, make_user, other_organisation):
    from accounts.audit import record_event
    from accounts.models import AuditEvent

    other = make_user("coordinatrice-b", "coordinator", other_organisation)
    record_event(users["coordinator"], AuditEvent.Action.EXPORT, target="export-a")
    record_event(users["analyst"], AuditEvent.Action.IMPORT, target="import-a")
    record_event(other, AuditEvent.Action.EXPORT, target="export-autre-organisation")


def test_audit_page_lists_own_organisation(client, users, logged_events):
    client.force_login(users["admin"])
    html = client.get("/audit/").content.decode()
    assert "export-a" in html
    assert "import-a" in html
    assert "export-autre-organisation" not in html


def test_audit_page_filters(client, users, logged_events):
    client.force_login(users["admin"])
    html = client.get("/audit/", {"action": "import"}).content.decode()
    assert "import-a" in html
    assert "export-a" not in html
    html = client.get("/audit/", {"username": "coordin"}).content.decode()
    assert "export-a" in html
    assert "import-a" not in html
    html = client.get("/audit/", {"target": "import"}).content.decode()
    assert "import-a" in html
    assert "export-a" not in html


def test_audit_page_date_filter(client, users, logged_events):
    from django.utils import timezone

    today = timezone.localdate()
    client.force_login(users["admin"])
    html = client.get("/audit/", {"start": today.isoformat(), "end": today.isoformat()}).content.decode()
    assert "export-a" in html
    html = client.get("/audit/", {"start": "2001-01-01", "end": "2001-01-02"}).content.decode()
    assert "export-a" not in html


def test_audit_page_rejects_reversed_dates(client, users, logged_events):
    client.force_login(users["admin"])
    response = client.get(
        "/audit/", {"start": "2024-02-01", "end": "2024-01-01"}, HTTP_ACCEPT_LANGUAGE="en"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "The end date 2024-01-01 is before the start date 2024-02-01" in html
    assert "export-a" not in html


def test_audit_page_french_by_default(client, users, logged_events):
    client.force_login(users["admin"])
    html = client.get("/audit/").content.decode()
    assert "Journal d’audit" in html or "Journal d'audit" in html
