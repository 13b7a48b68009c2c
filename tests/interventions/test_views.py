"""Pages: capture and service worker, own entries and edit rules, review queue."""

import json
import re
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.gis.geos import Point
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from interventions.models import Intervention
from interventions.views import CAPTURE_STATIC_FILES
from territories.models import Territory, TerritorySet
from tests.conftest import square
from tests.interventions.conftest import NOTRE_DAME

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")


@pytest.fixture
def make_entry(nomenclature):
    """Store an entry directly, as the sync API would have."""

    def make(mediator, status="submitted", **values):
        entry = Intervention.objects.create(
            id=values.pop("id", uuid.uuid4()),
            organisation=mediator.organisation,
            mediator=mediator,
            occurred_at=values.pop(
                "occurred_at", datetime(2025, 3, 14, 15, 30, tzinfo=PARIS)
            ),
            location=values.pop("location", Point(*NOTRE_DAME, srid=4326)),
            category=nomenclature["category"]["veille-technique"],
            type=nomenclature["type"]["signalement-eclairage"],
            intensity=values.pop("intensity", 1),
            note=values.pop("note", "Lampadaire éteint rue du Cloître."),
            status=status,
            **values,
        )
        entry.themes.add(nomenclature["theme"]["cadre-de-vie"])
        return entry

    return make


def logged_in(client, user):
    client.force_login(user)
    return client


# --- capture page ------------------------------------------------------------


@pytest.mark.parametrize(
    "role, expected",
    [
        ("mediator", 200),
        ("coordinator", 200),
        ("analyst", 403),
        ("client_viewer", 403),
        ("admin", 403),
    ],
)
def test_capture_page_roles(client, users, role, expected):
    response = logged_in(client, users[role]).get(reverse("interventions:capture"))

    assert response.status_code == expected


def test_capture_page_anonymous_redirected(client):
    response = client.get(reverse("interventions:capture"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def _json_block(html, block_id):
    match = re.search(
        rf'<script id="{block_id}" type="application/json">(.*?)</script>', html, re.S
    )
    assert match, f"no JSON block {block_id}"
    return json.loads(match.group(1))


def test_capture_page_embeds_nomenclature(client, users, nomenclature):
    html = (
        logged_in(client, users["mediator"])
        .get(reverse("interventions:capture"))
        .content.decode()
    )

    embedded = _json_block(html, "capture-nomenclature")
    codes = {category["code"] for category in embedded["categories"]}
    assert codes == set(nomenclature["category"])
    assert "Ne notez jamais de nom" in html
    assert 'maxlength="280"' in html


def test_capture_page_scripts_need_nonce(client, users):
    response = logged_in(client, users["mediator"]).get(
        reverse("interventions:capture")
    )
    html = response.content.decode()

    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or 'type="application/json"' in tag or "nonce=" in tag, tag
    assert "https://" not in "".join(re.findall(r'(?:src|href)="([^"]+)"', html))


def test_capture_page_lists_current_sets(client, users, organisation):
    today = timezone.localdate()
    current = TerritorySet.objects.create(
        organisation=organisation,
        slug="qpv",
        kind="qpv",
        name="QPV",
        version=2,
        valid_from=today - timedelta(days=30),
    )
    TerritorySet.objects.create(
        organisation=organisation,
        slug="qpv",
        kind="qpv",
        name="QPV",
        version=1,
        valid_to=today - timedelta(days=31),
    )
    Territory.objects.create(
        territory_set=current,
        code="QP075001",
        name="Cité",
        geom=square(652000, 6861000, 1000),
    )

    html = (
        logged_in(client, users["mediator"])
        .get(reverse("interventions:capture"))
        .content.decode()
    )

    config = _json_block(html, "capture-config")
    assert [entry["id"] for entry in config["territorySets"]] == [current.pk]
    west, south, east, north = config["extent"]
    # The planted square spans about 2.345-2.359 E and 48.848-48.857 N.
    assert 2.33 < west < east < 2.37
    assert 48.84 < south < north < 48.87


def test_service_worker_precaches_page_assets(client, users):
    html = (
        logged_in(client, users["mediator"])
        .get(reverse("interventions:capture"))
        .content.decode()
    )
    response = client.get(reverse("interventions:service_worker"))
    script = response.content.decode()

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Service-Worker-Allowed"] == reverse("interventions:capture")
    config = json.loads(re.search(r"const CONFIG = (\{.*?\});", script).group(1))
    assert config["pageUrl"] == reverse("interventions:capture")
    page_assets = set(re.findall(r'(?:src|href)="(/static/[^"]+)"', html))
    assert page_assets
    assert page_assets <= set(config["precache"])
    assert len(config["precache"]) == len(CAPTURE_STATIC_FILES)


def test_service_worker_public(client):
    response = client.get(reverse("interventions:service_worker"))

    assert response.status_code == 200


# --- my entries ----------------------------------------------------------------


def test_mine_lists_only_own_entries(
    client, users, make_entry, make_user, organisation
):
    colleague = make_user("collegue", "mediator", organisation)
    own = make_entry(users["mediator"], note="Note à moi.")
    make_entry(colleague, note="Note du collègue.")

    response = logged_in(client, users["mediator"]).get(reverse("interventions:mine"))
    html = response.content.decode()

    assert response.status_code == 200
    assert str(own.pk) in html
    assert "Note à moi." in html
    assert "Note du collègue." not in html


def test_mine_shows_rejection_comment(client, users, make_entry):
    entry = make_entry(
        users["mediator"], status="rejected", review_comment="Le type ne va pas."
    )

    html = (
        logged_in(client, users["mediator"])
        .get(reverse("interventions:mine"))
        .content.decode()
    )

    assert "Le type ne va pas." in html
    assert "Refusée" in html
    assert reverse("interventions:edit", args=[entry.pk]) in html


def test_mine_no_edit_link_for_validated(client, users, make_entry):
    entry = make_entry(users["mediator"], status="validated")

    html = (
        logged_in(client, users["mediator"])
        .get(reverse("interventions:mine"))
        .content.decode()
    )

    assert "Validée" in html
    assert reverse("interventions:edit", args=[entry.pk]) not in html


def _edit_data(entry, **changes):
    data = {
        "location": json.dumps({"type": "Point", "coordinates": list(NOTRE_DAME)}),
        "occurred_at": "2025-03-14T15:30",
        "duration_minutes": "20",
        "category": entry.category.pk,
        "type": entry.type.pk,
        "themes": [theme.pk for theme in entry.themes.all()],
        "people_count": "3",
        "intensity": "2",
        "note": "Lampadaire réparé depuis.",
    }
    data.update(changes)
    return data


@pytest.mark.parametrize("status", ["draft", "submitted", "rejected"])
def test_edit_editable_entry(client, users, make_entry, status):
    entry = make_entry(users["mediator"], status=status, review_comment="À préciser.")
    url = reverse("interventions:edit", args=[entry.pk])
    logged_in(client, users["mediator"])

    page = client.get(url)
    response = client.post(url, _edit_data(entry))

    assert page.status_code == 200
    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.note == "Lampadaire réparé depuis."
    assert entry.intensity == 2
    assert entry.people_count == 3
    assert entry.status == ("draft" if status == "draft" else "submitted")


def test_edit_validated_entry_refused(client, users, make_entry):
    entry = make_entry(users["mediator"], status="validated")
    url = reverse("interventions:edit", args=[entry.pk])
    logged_in(client, users["mediator"])

    page = client.get(url)
    response = client.post(url, _edit_data(entry))

    assert page.status_code == 200
    assert '<form method="post" class="entry-form' not in page.content.decode()
    assert response.status_code == 409
    entry.refresh_from_db()
    assert entry.note == "Lampadaire éteint rue du Cloître."


def test_edit_other_mediator_entry_not_found(
    client, users, make_entry, make_user, organisation
):
    colleague = make_user("collegue", "mediator", organisation)
    entry = make_entry(colleague)
    url = reverse("interventions:edit", args=[entry.pk])

    response = logged_in(client, users["mediator"]).post(url, _edit_data(entry))

    assert response.status_code == 404
    entry.refresh_from_db()
    assert entry.note == "Lampadaire éteint rue du Cloître."


def test_edit_rejects_future_time(client, users, make_entry):
    entry = make_entry(users["mediator"])
    future = timezone.localtime() + timedelta(hours=2)
    url = reverse("interventions:edit", args=[entry.pk])

    response = logged_in(client, users["mediator"]).post(
        url, _edit_data(entry, occurred_at=future.strftime("%Y-%m-%dT%H:%M"))
    )

    assert response.status_code == 200
    assert "dans le futur" in response.content.decode()
    entry.refresh_from_db()
    assert entry.occurred_at == datetime(2025, 3, 14, 15, 30, tzinfo=PARIS)


def test_edit_moved_point_becomes_map_tap(client, users, make_entry):
    entry = make_entry(
        users["mediator"], location_method="gps", location_accuracy_m=8.0
    )
    url = reverse("interventions:edit", args=[entry.pk])
    moved = json.dumps({"type": "Point", "coordinates": [2.3520, 48.8540]})

    logged_in(client, users["mediator"]).post(url, _edit_data(entry, location=moved))

    entry.refresh_from_db()
    assert entry.location_method == "map_tap"
    assert entry.location_accuracy_m is None
    assert entry.location.transform(4326, clone=True).x == pytest.approx(
        2.3520, abs=1e-6
    )


def test_edit_page_needs_post_for_change(client, users, make_entry):
    entry = make_entry(users["mediator"])
    url = reverse("interventions:edit", args=[entry.pk]) + "?note=x"

    logged_in(client, users["mediator"]).get(url)

    entry.refresh_from_db()
    assert entry.note == "Lampadaire éteint rue du Cloître."


# --- review queue ---------------------------------------------------------------


def test_review_queue_roles(client, users):
    for role, expected in [("coordinator", 200), ("mediator", 403), ("analyst", 403)]:
        client.force_login(users[role])
        assert client.get(reverse("interventions:review")).status_code == expected, role


def test_review_queue_lists_submitted_of_organisation(
    client, users, make_entry, make_user, other_organisation
):
    submitted = make_entry(users["mediator"], note="À relire.")
    make_entry(users["mediator"], status="validated", note="Déjà validée.")
    make_entry(users["mediator"], status="draft", note="Brouillon.")
    stranger = make_user("autre-mediateur", "mediator", other_organisation)
    make_entry(stranger, note="Autre organisation.")

    html = (
        logged_in(client, users["coordinator"])
        .get(reverse("interventions:review"))
        .content.decode()
    )

    assert str(submitted.pk) in html
    assert "À relire." in html
    assert "Déjà validée." not in html
    assert "Brouillon." not in html
    assert "Autre organisation." not in html


def test_validate_entry(client, users, make_entry):
    entry = make_entry(users["mediator"])
    coordinator = users["coordinator"]

    response = logged_in(client, coordinator).post(
        reverse("interventions:validate", args=[entry.pk])
    )

    assert response.status_code == 302
    entry.refresh_from_db()
    assert entry.status == "validated"
    assert entry.reviewed_by == coordinator
    assert entry.reviewed_at is not None
    event = AuditEvent.objects.get(action="validation")
    assert event.user == coordinator
    assert event.target == str(entry.pk)
    assert event.details["mediator"] == "mediator"


def test_reject_entry_comment_reaches_mediator(client, users, make_entry):
    entry = make_entry(users["mediator"])
    coordinator = users["coordinator"]

    logged_in(client, coordinator).post(
        reverse("interventions:reject", args=[entry.pk]),
        {"comment": "Le point est dans la Seine, replacez-le."},
    )

    entry.refresh_from_db()
    assert entry.status == "rejected"
    assert entry.review_comment == "Le point est dans la Seine, replacez-le."
    event = AuditEvent.objects.get(action="rejection")
    assert event.user == coordinator
    assert event.target == str(entry.pk)
    assert event.details["comment"] == "Le point est dans la Seine, replacez-le."

    client.force_login(users["mediator"])
    html = client.get(reverse("interventions:mine")).content.decode()
    assert "Le point est dans la Seine, replacez-le." in html


def test_reject_without_comment_refused(client, users, make_entry):
    entry = make_entry(users["mediator"])

    logged_in(client, users["coordinator"]).post(
        reverse("interventions:reject", args=[entry.pk]), {"comment": "   "}
    )

    entry.refresh_from_db()
    assert entry.status == "submitted"
    assert not AuditEvent.objects.filter(action="rejection").exists()


def test_reject_without_comment_message(client, users, make_entry):
    entry = make_entry(users["mediator"])

    response = logged_in(client, users["coordinator"]).post(
        reverse("interventions:reject", args=[entry.pk]), {"comment": ""}
    )

    assert response.status_code == 400
    messages = [str(message) for message in response.context["messages"]]
    assert messages == [
        "Écrivez un commentaire pour le médiateur afin de refuser une saisie."
    ]


def test_reject_comment_over_limit(client, users, make_entry):
    entry = make_entry(users["mediator"])
    comment = "Replacez le point. " + "x" * 19_981

    response = logged_in(client, users["coordinator"]).post(
        reverse("interventions:reject", args=[entry.pk]), {"comment": comment}
    )

    assert response.status_code == 400
    messages = [str(message) for message in response.context["messages"]]
    assert messages == [
        "Le commentaire compte 20000 caractères ; la limite est de 1000. "
        "Raccourcissez-le."
    ]
    html = response.content.decode()
    assert comment in html
    assert 'maxlength="1000"' in html
    entry.refresh_from_db()
    assert entry.status == "submitted"
    assert entry.review_comment == ""
    assert not AuditEvent.objects.filter(action="rejection").exists()


def test_reject_comment_at_limit_accepted(client, users, make_entry):
    entry = make_entry(users["mediator"])

    logged_in(client, users["coordinator"]).post(
        reverse("interventions:reject", args=[entry.pk]), {"comment": "y" * 1000}
    )

    entry.refresh_from_db()
    assert entry.status == "rejected"
    assert len(entry.review_comment) == 1000


def test_review_needs_post(client, users, make_entry):
    entry = make_entry(users["mediator"])

    response = logged_in(client, users["coordinator"]).get(
        reverse("interventions:validate", args=[entry.pk])
    )

    assert response.status_code == 405
    entry.refresh_from_db()
    assert entry.status == "submitted"


def test_review_needs_csrf(users, make_entry):
    from django.test import Client

    entry = make_entry(users["mediator"])
    client = Client(enforce_csrf_checks=True)
    client.force_login(users["coordinator"])

    response = client.post(reverse("interventions:validate", args=[entry.pk]))

    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.status == "submitted"


def test_validate_twice_keeps_one_event(client, users, make_entry):
    entry = make_entry(users["mediator"])
    url = reverse("interventions:validate", args=[entry.pk])
    logged_in(client, users["coordinator"])

    client.post(url)
    client.post(url)

    assert AuditEvent.objects.filter(action="validation").count() == 1


def test_validate_other_organisation_not_found(
    client, users, make_entry, make_user, other_organisation
):
    stranger = make_user("autre-mediateur", "mediator", other_organisation)
    entry = make_entry(stranger)

    response = logged_in(client, users["coordinator"]).post(
        reverse("interventions:validate", args=[entry.pk])
    )

    assert response.status_code == 404
    entry.refresh_from_db()
    assert entry.status == "submitted"


def test_mediator_cannot_validate(client, users, make_entry):
    entry = make_entry(users["mediator"])

    response = logged_in(client, users["mediator"]).post(
        reverse("interventions:validate", args=[entry.pk])
    )

    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.status == "submitted"


def test_rejected_then_corrected_returns_to_queue(client, users, make_entry):
    entry = make_entry(users["mediator"])
    logged_in(client, users["coordinator"]).post(
        reverse("interventions:reject", args=[entry.pk]),
        {"comment": "Préciser la note."},
    )
    client.force_login(users["mediator"])
    client.post(reverse("interventions:edit", args=[entry.pk]), _edit_data(entry))

    client.force_login(users["coordinator"])
    html = client.get(reverse("interventions:review")).content.decode()

    assert str(entry.pk) in html
    assert "Préciser la note." in html
