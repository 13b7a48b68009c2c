"""The capture page in Chromium at a phone's size: tap, save, go offline, return.

Every request outside the live server is aborted, so the page never reaches a
tile server. The base map is switched off, and the territory outlines come from
the live server.
"""

import json
import re
from pathlib import Path

import pytest
from django.core.signals import request_started
from playwright.sync_api import expect

from interventions.models import Intervention
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
    "locale": "fr-FR",
    "timezone_id": "Europe/Paris",
}
LOOPBACK = re.compile(r"^https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?/")
TIMEOUT_MS = 20000


@pytest.fixture
def new_phone(browser, live_server, settings):
    """Open phone-sized browser contexts that reach no host but the live server."""
    settings.BASEMAP_TILE_URL = ""
    contexts = []

    def open_context(**options):
        context = browser.new_context(**PHONE, **options)
        context.set_default_timeout(TIMEOUT_MS)
        context.route(lambda url: not LOOPBACK.match(url), lambda route: route.abort())
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()


@pytest.fixture
def phone(new_phone):
    return new_phone()


@pytest.fixture
def served_paths():
    """Paths of the requests the live server handles during the test."""
    paths = []

    def record(sender, environ, **kwargs):
        paths.append(environ["PATH_INFO"])

    request_started.connect(record, dispatch_uid="capture-test-paths")
    yield paths
    request_started.disconnect(dispatch_uid="capture-test-paths")


def open_capture(page, live_server, username="mediator"):
    browser_login(page, live_server, username)
    page.goto(f"{live_server.url}/saisie/")
    page.wait_for_selector("#capture[data-ready='true']", state="attached")


def tap_map(page, dx=0, dy=0):
    """Tap the map at an offset in CSS pixels from its centre."""
    box = page.locator("#capture-map").bounding_box()
    page.touchscreen.tap(
        box["x"] + box["width"] / 2 + dx, box["y"] + box["height"] / 2 + dy
    )


def fill_form(page, note, intensity="2"):
    page.select_option("#entry-category", "conflits")
    page.select_option("#entry-type", "conflit-voisinage-bruit")
    page.locator("label.chip", has_text="Tranquillité résidentielle").tap()
    page.locator("label.chip", has_text="Bailleur").tap()
    page.select_option("#entry-outcome", "apaise")
    page.fill("#entry-people", "3")
    page.locator(f".segmented input[value='{intensity}']").check()
    page.fill("#entry-note", note)


def outbox_items(page, state=None):
    selector = "#outbox-list li.outbox-item"
    if state:
        selector += f"[data-state='{state}']"
    return page.locator(selector)


def test_capture_online_then_offline(
    phone, live_server, users, nomenclature, artifacts_dir, served_paths
):
    page = phone.new_page()
    open_capture(page, live_server)
    page.wait_for_selector("#capture[data-offline-ready='true']", state="attached")
    expect(page.locator("#offline-ready")).to_be_visible()

    # Online: tap the map, fill the form, see the entry received.
    tap_map(page)
    expect(page.locator("#entry-panel")).to_be_visible()
    expect(page.locator("#point-status")).to_contain_text("Point placé sur la carte")
    expect(page.locator("#note-warning")).to_contain_text("Ne notez jamais de nom")
    fill_form(page, "Musique forte, échange calme.")
    page.screenshot(path=artifacts_dir / "capture-form-360.png", full_page=True)
    page.locator("#entry-save").tap()

    received = outbox_items(page, "received")
    expect(received).to_have_count(1)
    expect(received.first).to_contain_text("reçue")
    # The toast and the badge follow the server's acknowledgement.
    expect(page.locator("#toast")).to_have_text("Saisie reçue par le serveur.")
    expect(page.locator("#outbox-count")).to_have_text("0")
    page.screenshot(path=artifacts_dir / "capture-received-360.png")
    entry = Intervention.objects.get()
    assert entry.location_method == "map_tap"
    assert entry.location_accuracy_m is None
    assert entry.note == "Musique forte, échange calme."
    assert entry.intensity == 2
    assert entry.people_count == 3
    assert sorted(t.code for t in entry.themes.all()) == ["tranquillite"]
    assert [p.code for p in entry.partners.all()] == ["bailleur"]
    assert entry.mediator == users["mediator"]

    # Offline: three entries wait on the phone.
    phone.set_offline(True)
    served_before_offline = len(served_paths)
    expect(page.locator("#network-state")).to_contain_text("Hors ligne")
    for index, (dx, dy) in enumerate([(-60, -20), (0, 30), (60, -10)]):
        tap_map(page, dx, dy)
        fill_form(page, f"Saisie hors ligne {index + 1}.", intensity="3")
        page.locator("#entry-save").tap()
        expect(outbox_items(page, "waiting")).to_have_count(index + 1)
        page.locator("[data-close='outbox-panel']").tap()
    offline_ids = outbox_items(page, "waiting").evaluate_all(
        "items => items.map(item => item.dataset.id)"
    )
    assert Intervention.objects.count() == 1

    # Reload with no network: the service worker serves the page and its files.
    response = page.reload()
    assert response is not None
    assert response.from_service_worker
    page.wait_for_selector("#capture[data-ready='true']", state="attached")
    page.locator("#outbox-toggle").tap()
    expect(outbox_items(page, "waiting")).to_have_count(3)
    expect(outbox_items(page, "waiting").first).to_contain_text("en attente")
    page.screenshot(path=artifacts_dir / "capture-offline-reloaded-360.png")
    assert Intervention.objects.count() == 1
    assert served_paths[served_before_offline:] == []

    # Back online: the outbox sends the three entries, each stored once.
    phone.set_offline(False)
    expect(outbox_items(page, "received")).to_have_count(4)
    expect(outbox_items(page, "waiting")).to_have_count(0)
    page.screenshot(path=artifacts_dir / "capture-synced-360.png")
    for entry_id in offline_ids:
        assert Intervention.objects.filter(pk=entry_id).count() == 1
    assert Intervention.objects.count() == 4
    notes = sorted(
        Intervention.objects.exclude(pk=entry.pk).values_list("note", flat=True)
    )
    assert notes == [f"Saisie hors ligne {i}." for i in (1, 2, 3)]


def test_capture_gps_position_then_drag(
    new_phone, live_server, users, nomenclature, artifacts_dir
):
    context = new_phone(
        geolocation={"latitude": 48.8530, "longitude": 2.3499, "accuracy": 25},
        permissions=["geolocation"],
    )
    page = context.new_page()
    open_capture(page, live_server)

    page.locator("#locate-button").tap()
    expect(page.locator("#capture")).to_have_attribute("data-point-method", "gps")
    page.locator("#form-toggle").tap()
    expect(page.locator("#point-status")).to_contain_text("précis à 25 m")
    # The accuracy circle is drawn as a second SVG path next to the marker.
    expect(page.locator("#capture-map .leaflet-overlay-pane path")).to_have_count(1)
    fill_form(page, "Point GPS.")
    page.screenshot(path=artifacts_dir / "capture-gps-360.png")
    page.locator("#entry-save").tap()
    expect(outbox_items(page, "received")).to_have_count(1)

    entry = Intervention.objects.get()
    assert entry.location_method == "gps"
    assert entry.location_accuracy_m == 25
    wgs84 = entry.location.transform(4326, clone=True)
    assert wgs84.x == pytest.approx(2.3499, abs=1e-6)
    assert wgs84.y == pytest.approx(48.8530, abs=1e-6)

    # Dragging the marker replaces the GPS fix by a point placed by hand.
    page.locator("[data-close='outbox-panel']").tap()
    page.locator("#locate-button").tap()
    expect(page.locator("#capture")).to_have_attribute("data-point-method", "gps")
    marker = page.locator(".leaflet-marker-icon").bounding_box()
    start_x = marker["x"] + marker["width"] / 2
    start_y = marker["y"] + marker["height"] - 4
    page.mouse.move(start_x, start_y)
    page.mouse.down()
    page.mouse.move(start_x + 40, start_y + 30, steps=8)
    page.mouse.up()
    expect(page.locator("#capture")).to_have_attribute("data-point-method", "map_tap")
    expect(page.locator("#capture-map .leaflet-overlay-pane path")).to_have_count(0)
    page.locator("#form-toggle").tap()
    fill_form(page, "Point déplacé.")
    page.locator("#entry-save").tap()
    expect(outbox_items(page, "received")).to_have_count(2)

    dragged = Intervention.objects.get(note="Point déplacé.")
    assert dragged.location_method == "map_tap"
    assert dragged.location_accuracy_m is None
    # Moved right and down on the screen: east and south of the GPS fix.
    moved = dragged.location.transform(4326, clone=True)
    assert moved.x > 2.3499
    assert moved.y < 48.8530


def test_capture_without_geolocation_permission(
    phone, live_server, users, nomenclature
):
    page = phone.new_page()
    open_capture(page, live_server)

    page.locator("#locate-button").tap()
    expect(page.locator("#geo-message")).to_be_visible()
    expect(page.locator("#geo-message")).to_contain_text("touchez la carte")

    tap_map(page)
    fill_form(page, "Sans GPS.")
    page.locator("#entry-save").tap()
    expect(outbox_items(page, "received")).to_have_count(1)
    assert Intervention.objects.get().location_method == "map_tap"


def test_capture_on_insecure_origin(phone, live_server, users, nomenclature):
    """Browsers give no position to a page served over plain HTTP from a host name.

    The live server is on localhost, which browsers count as secure, so the test
    overrides window.isSecureContext before the page's scripts run.
    """
    page = phone.new_page()
    page.add_init_script(
        "Object.defineProperty(window, 'isSecureContext', { get: () => false })"
    )
    open_capture(page, live_server)

    expect(page.locator("#geo-message")).to_contain_text("HTTPS")
    page.locator("#locate-button").tap()
    expect(page.locator("#geo-message")).to_contain_text("touchez la carte")
    tap_map(page)
    expect(page.locator("#capture")).to_have_attribute("data-point-method", "map_tap")


def test_refused_entry_shows_reason_and_corrected(
    phone, live_server, users, nomenclature, artifacts_dir
):
    page = phone.new_page()
    open_capture(page, live_server)
    # The code is withdrawn after the page loaded its nomenclature.
    outcome = nomenclature["outcome"]["apaise"]
    outcome.is_active = False
    outcome.save()

    tap_map(page)
    fill_form(page, "Issue retirée entre-temps.")
    page.locator("#entry-save").tap()

    refused = outbox_items(page, "refused")
    expect(refused).to_have_count(1)
    expect(refused.first).to_contain_text(
        "refusée : résultat : Code de résultat inconnu"
    )
    expect(refused.first).to_contain_text("« apaise »")
    expect(page.locator("#outbox-count")).to_have_text("0")
    page.screenshot(path=artifacts_dir / "capture-refused-360.png")
    refused_id = refused.first.get_attribute("data-id")
    assert Intervention.objects.count() == 0

    refused.first.get_by_role("button", name="Corriger").tap()
    expect(page.locator("#entry-title")).to_have_text("Correction d'une saisie refusée")
    page.select_option("#entry-outcome", "resolu")
    page.locator("#entry-save").tap()

    expect(outbox_items(page, "received")).to_have_count(1)
    entry = Intervention.objects.get()
    assert str(entry.pk) == refused_id
    assert entry.outcome.code == "resolu"
    assert entry.note == "Issue retirée entre-temps."


def test_outbox_download_json(phone, live_server, users, nomenclature):
    page = phone.new_page()
    open_capture(page, live_server)
    phone.set_offline(True)
    tap_map(page)
    fill_form(page, "À télécharger.")
    page.locator("#entry-save").tap()
    expect(outbox_items(page, "waiting")).to_have_count(1)

    with page.expect_download() as download_info:
        page.locator("#outbox-download").tap()
    download = download_info.value
    payload = json.loads(Path(download.path()).read_text())

    assert download.suggested_filename.startswith("saisies-mediator-")
    assert payload["owner"] == "mediator"
    [record] = payload["entries"]
    assert record["state"] == "waiting"
    assert record["feature"]["properties"]["note"] == "À télécharger."
    assert record["feature"]["id"] == record["id"]
    phone.set_offline(False)
    expect(outbox_items(page, "received")).to_have_count(1)


def test_outbox_kept_per_user(phone, live_server, users, nomenclature):
    """Entries waiting on a shared phone are never sent under another account."""
    page = phone.new_page()
    open_capture(page, live_server, "mediator")
    phone.set_offline(True)
    tap_map(page)
    fill_form(page, "Saisie du médiateur.")
    page.locator("#entry-save").tap()
    expect(outbox_items(page, "waiting")).to_have_count(1)
    page.close()

    phone.set_offline(False)
    phone.clear_cookies()
    other = phone.new_page()
    open_capture(other, live_server, "coordinator")
    other.locator("#outbox-toggle").tap()
    expect(outbox_items(other)).to_have_count(0)
    assert Intervention.objects.count() == 0
    other.close()

    phone.clear_cookies()
    back = phone.new_page()
    open_capture(back, live_server, "mediator")
    back.locator("#outbox-toggle").tap()
    expect(outbox_items(back, "received")).to_have_count(1)
    assert Intervention.objects.get().mediator == users["mediator"]


def test_outlines_drawn_after_api_failure(
    phone, live_server, users, nomenclature, organisation
):
    from territories.models import Territory, TerritorySet
    from tests.conftest import square

    territory_set = TerritorySet.objects.create(
        organisation=organisation, slug="quartiers", kind="district", name="Quartiers"
    )
    Territory.objects.create(
        territory_set=territory_set,
        code="Q1",
        name="Cité",
        geom=square(652000, 6861000, 1000),
    )
    page = phone.new_page()

    # First the territories API fails: the page works without outlines.
    page.route(
        "**/api/territories/**", lambda route: route.fulfill(status=503, body="{}")
    )
    open_capture(page, live_server)
    expect(page.locator("#capture")).to_have_attribute("data-outlines-pending", "1")
    tap_map(page)
    expect(page.locator("#entry-panel")).to_be_visible()

    # Then it responds: the outlines appear at the next retry.
    page.unroute("**/api/territories/**")
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    expect(page.locator("#capture")).to_have_attribute("data-outlines-pending", "0")
    expect(page.locator("#capture-map .leaflet-overlay-pane path")).to_have_count(1)
