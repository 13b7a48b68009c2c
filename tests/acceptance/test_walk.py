"""Acceptance walk through the product on the demo data, in Chromium.

One test function loads the demo (`manage.py load_demo`) and walks through it:

1. the mediator, on a phone, drops an entry on the capture page's map and
   sees it received by the server;
2. the coordinator validates it in the review queue;
3. the planner of Paris Habitat sees the hot-spot layer and a report of the
   landlord's perimeter, and nothing of RIVP's estates;
4. the analyst exports entries as a Lambert-93 Shapefile from the export page,
   and the file is read back with GDAL (pyogrio).

Expected figures are counted with the ORM straight from the entries and
their attachments, without the scoping and filter code the pages use.
Screenshots of every step go to test-artifacts/acceptance-*.png. With
SAVE_README_SCREENSHOTS=1 the walk also writes docs/screenshots/capture.png
(phone size) and docs/screenshots/map.png (planners' map, 1280x800).
"""

import datetime as dt
import os
import re
import time
from zoneinfo import ZoneInfo

import pyogrio
import pytest
from playwright.sync_api import expect

from tests.acceptance.conftest import DESKTOP, PHONE
from tests.conftest import ROOT, browser_login

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.django_db(transaction=True),
]

README_SCREENSHOTS = ROOT / "docs" / "screenshots"
PARIS = ZoneInfo("Europe/Paris")

CAPTURE_NOTE = "Échange avec des jeunes devant le hall, calme revenu."
# Report period: twelve whole months inside the demo's DansMaRue sample.
REPORT_START = dt.date(2023, 9, 1)
REPORT_END = dt.date(2024, 8, 31)
# Categories of the exported entries: the captured entry's category, plus a
# small one of the demo data.
EXPORT_CATEGORIES = ("conflits", "veille-sociale")
SMALL_COUNT_LABEL = re.compile(r"^< (\d+)$")


def save_screenshot(page, artifacts_dir, name, full_page=False):
    page.screenshot(path=artifacts_dir / f"acceptance-{name}.png", full_page=full_page)


def save_readme_screenshot(page, name):
    if os.environ.get("SAVE_README_SCREENSHOTS") == "1":
        README_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=README_SCREENSHOTS / name)


def integer_text(text):
    """Integer shown in a page cell, whatever thousands separator the locale uses."""
    return int(re.sub(r"\D", "", text))


# --- independent counts --------------------------------------------------------


def perimeter_entry_times(client):
    """Occurrence times of the validated entries attached to the client's perimeter.

    Read as plain rows and matched in Python: on the freshly loaded tables the
    same count written as an IN subquery took about 10 s.
    """
    from interventions.models import Intervention
    from territories.models import Attachment

    perimeter = list(client.perimeter.values_list("id", flat=True))
    attached = set(
        Attachment.objects.filter(territory_id__in=perimeter).values_list(
            "intervention_id", flat=True
        )
    )
    validated = Intervention.objects.filter(
        organisation=client.organisation, status="validated"
    ).values_list("pk", "occurred_at")
    return [occurred_at for pk, occurred_at in validated if pk in attached]


def local_day_bounds(start, end):
    """Aware datetimes [start 00:00, day after end 00:00) in Europe/Paris."""
    lower = dt.datetime.combine(start, dt.time(), tzinfo=PARIS)
    upper = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), tzinfo=PARIS)
    return lower, upper


# --- steps ---------------------------------------------------------------------


def capture_entry(new_context, live_server, demo, artifacts_dir):
    """Step 1: the mediator drops an entry on the phone's map and sends it."""
    from interventions.models import Intervention
    from territories.models import Attachment

    page = new_context(PHONE).new_page()
    browser_login(page, live_server, "mediateur")
    page.goto(f"{live_server.url}/saisie/")
    page.wait_for_selector("#capture[data-ready='true']", state="attached")
    # The outlines of the organisation's territory sets are drawn before the tap,
    # so the screenshots show where the point falls.
    page.wait_for_selector("#capture[data-outlines-pending='0']", state="attached")
    save_screenshot(page, artifacts_dir, "1a-capture-page")

    # The map opens on the extent of the organisation's territories (Paris):
    # its centre is inside Paris.
    box = page.locator("#capture-map").bounding_box()
    page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    expect(page.locator("#entry-panel")).to_be_visible()
    expect(page.locator("#capture")).to_have_attribute("data-point-method", "map_tap")

    page.select_option("#entry-category", "conflits")
    page.select_option("#entry-type", "conflit-voisinage-bruit")
    page.locator("label.chip", has_text="Tranquillité résidentielle").tap()
    page.select_option("#entry-outcome", "apaise")
    page.fill("#entry-people", "4")
    page.locator(".segmented input[value='2']").check()
    page.fill("#entry-note", CAPTURE_NOTE)
    save_screenshot(page, artifacts_dir, "1b-capture-form", full_page=True)
    # Filling the note scrolled the form sheet down. The README shows the map,
    # the point and the top of the form.
    page.locator("#entry-panel").evaluate("sheet => { sheet.scrollTop = 0; }")
    save_readme_screenshot(page, "capture.png")

    page.locator("#entry-save").tap()
    received = page.locator("#outbox-list li.outbox-item[data-state='received']")
    expect(received).to_have_count(1)
    expect(received.first).to_contain_text("reçue")
    save_screenshot(page, artifacts_dir, "1c-capture-received")
    entry_id = received.first.get_attribute("data-id")

    captured = Intervention.objects.filter(
        organisation=demo.organisation, is_demo=False
    )
    assert captured.count() == 1
    entry = captured.get()
    assert str(entry.pk) == entry_id
    assert entry.mediator.username == "mediateur"
    assert entry.status == "submitted"
    assert entry.location_method == "map_tap"
    assert entry.note == CAPTURE_NOTE
    assert entry.people_count == 4
    assert entry.intensity == 2
    assert entry.outcome.code == "apaise"
    assert [theme.code for theme in entry.themes.all()] == ["tranquillite"]
    assert not entry.outside_territories
    # Inside Paris: attached to one of the twenty arrondissements.
    arrondissement = Attachment.objects.get(
        intervention=entry, territory_set=demo.arrondissements_set
    ).territory
    assert arrondissement.geom.contains(entry.location)
    return entry


def validate_entry(new_context, live_server, entry, artifacts_dir):
    """Step 2: the coordinator validates the entry in the review queue."""
    page = new_context(DESKTOP).new_page()
    browser_login(page, live_server, "coordinatrice")
    page.goto(f"{live_server.url}/validation/")
    card = page.locator(f"li.entry[data-id='{entry.pk}']")
    expect(card).to_be_visible()
    expect(card).to_contain_text(CAPTURE_NOTE)
    save_screenshot(page, artifacts_dir, "2a-review-queue", full_page=True)

    card.locator("form[action$='/valider/'] button[type=submit]").click()
    page.wait_for_load_state()
    expect(page.locator("ul.messages li.success")).to_contain_text("Saisie validée")
    expect(page.locator(f"li.entry[data-id='{entry.pk}']")).to_have_count(0)
    save_screenshot(page, artifacts_dir, "2b-review-validated", full_page=True)

    entry.refresh_from_db()
    assert entry.status == "validated"
    assert entry.reviewed_by.username == "coordinatrice"
    assert entry.reviewed_at is not None


def check_landlord_map(new_context, live_server, demo, artifacts_dir):
    """Step 3a: Paris Habitat's planner sees hot spots of the perimeter only."""
    from django.conf import settings

    ph_ids = set(demo.paris_habitat.perimeter.values_list("id", flat=True))
    rivp_ids = set(demo.rivp_set.territories.values_list("id", flat=True))
    assert ph_ids
    assert rivp_ids

    context = new_context(DESKTOP)
    page = context.new_page()
    browser_login(page, live_server, "bailleur-ph")
    with page.expect_response(
        lambda response: "/api/layers/hotspots/" in response.url
    ) as hotspots_info, page.expect_response(
        lambda response: "/api/layers/territories/" in response.url
    ) as outlines_info, page.expect_response(
        lambda response: "/api/layers/coverage/" in response.url
    ) as coverage_info:
        page.goto(f"{live_server.url}/map/")
    page.wait_for_selector("#layers-map[data-layers-ready='true']", state="attached")
    save_screenshot(page, artifacts_dir, "3a-landlord-map")
    save_readme_screenshot(page, "map.png")

    # The filter form offers Paris Habitat's estates only.
    set_options = page.locator("#id_territory_set option").evaluate_all(
        "options => options.map(option => option.value)"
    )
    assert set_options == ["", str(demo.paris_habitat_set.pk)]
    selected_set = page.locator("#id_territory_set").input_value()
    assert selected_set == str(demo.paris_habitat_set.pk)
    territory_options = page.locator("#id_territory option").evaluate_all(
        "options => options.map(option => Number(option.value))"
    )
    assert set(territory_options) == ph_ids
    assert "RIVP" not in page.locator("#layer-filters").inner_text()

    # The outlines the page draws are the perimeter's territories.
    outlines_response = outlines_info.value
    assert outlines_response.status == 200
    outline_ids = {
        feature["properties"]["territory_id"]
        for feature in outlines_response.json()["features"]
    }
    assert outline_ids == ph_ids
    assert not outline_ids & rivp_ids

    # The coverage layer the page loads is counted per territory of the perimeter.
    coverage_response = coverage_info.value
    assert coverage_response.status == 200
    coverage_ids = {
        feature["properties"]["territory_id"]
        for feature in coverage_response.json()["features"]
    }
    assert coverage_ids
    assert coverage_ids <= ph_ids

    # The hot-spot cells count the perimeter's validated entries, with counts
    # under the small-count threshold shown as "< 5".
    hotspots_response = hotspots_info.value
    assert hotspots_response.status == 200
    cells = hotspots_response.json()["features"]
    assert cells
    threshold = settings.SMALL_COUNT_THRESHOLD
    counts = [cell["properties"]["count"] for cell in cells]
    exact = [count for count in counts if isinstance(count, int)]
    hidden = [
        SMALL_COUNT_LABEL.match(count) for count in counts if isinstance(count, str)
    ]
    assert all(hidden)
    assert {int(label.group(1)) for label in hidden} <= {threshold}
    assert all(count == 0 or count >= threshold for count in exact)
    assert all(cell["properties"]["gi_z"] is None for cell in cells)
    expected_total = len(perimeter_entry_times(demo.paris_habitat))
    assert expected_total > 0
    # Each hidden cell contains 1 to threshold - 1 entries.
    assert sum(exact) + len(hidden) <= expected_total
    assert expected_total <= sum(exact) + (threshold - 1) * len(hidden)
    assert any(cell["properties"]["gi_bin"] > 0 for cell in cells)

    drawn = page.locator("#layers-map path.layer-hotspots")
    assert drawn.count() == len(cells)
    expect(page.locator("#map-legend")).to_contain_text("Points chauds")

    # No individual entry: the map has no entry layer and the tile API returns 403.
    expect(page.locator(".layer-switcher")).not_to_contain_text("Interventions")
    tile = page.request.get(f"{live_server.url}/api/layers/tiles/12/2074/1409.mvt")
    assert tile.status == 403

    # The layer API rejects RIVP's estates for this planner.
    rejected_set = page.request.get(
        f"{live_server.url}/api/layers/hotspots/?territory_set={demo.rivp_set.pk}"
    )
    assert rejected_set.status == 400
    rivp_territory = demo.rivp_set.territories.order_by("pk").first()
    rejected_territory = page.request.get(
        f"{live_server.url}/api/layers/territories/?territory={rivp_territory.pk}"
    )
    assert rejected_territory.status == 400


def check_landlord_report(new_context, live_server, demo, artifacts_dir):
    """Step 3b: a report of Paris Habitat's perimeter. RIVP's reports are not found."""
    ph = demo.paris_habitat
    ph_ids = set(ph.perimeter.values_list("id", flat=True))
    rivp_ids = set(demo.rivp_set.territories.values_list("id", flat=True))

    page = new_context(DESKTOP).new_page()
    browser_login(page, live_server, "bailleur-ph")
    page.goto(f"{live_server.url}/reports/")
    zone_options = page.locator("#id_zone option").evaluate_all(
        "options => options.map(option => option.value)"
    )
    assert f"client:{ph.pk}" in zone_options
    assert f"client:{demo.rivp.pk}" not in zone_options
    offered_territories = {
        int(value.removeprefix("territory:"))
        for value in zone_options
        if value.startswith("territory:")
    }
    assert offered_territories <= ph_ids
    assert not offered_territories & rivp_ids

    page.select_option("#id_zone", f"client:{ph.pk}")
    page.fill("#id_start", REPORT_START.isoformat())
    page.fill("#id_end", REPORT_END.isoformat())
    save_screenshot(page, artifacts_dir, "3b-report-form", full_page=True)
    page.locator("form.report-form button[type=submit]").click()
    page.wait_for_selector("article.report", timeout=60_000)
    save_screenshot(page, artifacts_dir, "3c-landlord-report", full_page=True)

    lower, upper = local_day_bounds(REPORT_START, REPORT_END)
    expected = sum(lower <= moment < upper for moment in perimeter_entry_times(ph))
    assert expected > 0
    report_zone = page.locator("article.report").get_attribute("data-zone")
    assert report_zone == f"client:{ph.pk}"
    expect(page.locator("h1")).to_contain_text("Paris Habitat")
    shown_total = page.locator(".summary-card[data-row='entries'] .summary-value")
    assert integer_text(shown_total.inner_text()) == expected

    # The JSON the page links to gives the same zone and figure.
    json_link = page.locator("nav.report-downloads a[href^='/api/reports/zone/']")
    report = page.request.get(live_server.url + json_link.get_attribute("href"))
    assert report.status == 200
    data = report.json()
    assert data["zone"]["spec"] == f"client:{ph.pk}"
    assert {territory["id"] for territory in data["zone"]["territories"]} == ph_ids
    set_slugs = [territory_set["slug"] for territory_set in data["territory_sets"]]
    assert set_slugs == ["estates-paris-habitat"]
    summary = next(table for table in data["tables"] if table["name"] == "summary")
    entries_row = next(row for row in summary["rows"] if row["key"] == "entries")
    assert entries_row["cells"][0]["value"] == expected

    zones = page.request.get(f"{live_server.url}/api/reports/zones/").json()
    assert [client["zone"] for client in zones["clients"]] == [f"client:{ph.pk}"]
    zone_territories = {
        int(item["zone"].removeprefix("territory:")) for item in zones["territories"]
    }
    assert zone_territories == ph_ids

    # RIVP's territories and perimeter are not found, on the page and in the API.
    rivp_territory = demo.rivp_set.territories.order_by("pk").first()
    period = f"start={REPORT_START}&end={REPORT_END}"
    for zone in (f"territory:{rivp_territory.pk}", f"client:{demo.rivp.pk}"):
        page_response = page.goto(
            f"{live_server.url}/reports/zone/?zone={zone}&{period}"
        )
        assert page_response.status == 404, zone
        api_response = page.request.get(
            f"{live_server.url}/api/reports/zone/?zone={zone}&{period}"
        )
        assert api_response.status == 404, zone
    save_screenshot(page, artifacts_dir, "3d-rivp-report-404")


def export_entries(new_context, live_server, demo, entry, artifacts_dir, tmp_path):
    """Step 4: the analyst exports entries as a Lambert-93 Shapefile."""
    from interventions.models import Intervention

    page = new_context(DESKTOP, accept_downloads=True).new_page()
    browser_login(page, live_server, "analyste")
    page.goto(f"{live_server.url}/exports/")
    page.select_option("#id_layer", "entries")
    page.select_option("#id_format", "shp")
    page.select_option("#id_srid", "2154")
    for code in EXPORT_CATEGORIES:
        page.check(f"input[name=category][value='{code}']")
    save_screenshot(page, artifacts_dir, "4a-export-form", full_page=True)
    page.click("#export-submit")
    download_link = page.locator("tr.export-job.highlight .job-file a.button")
    expect(download_link).to_be_visible(timeout=60_000)
    save_screenshot(page, artifacts_dir, "4b-export-done", full_page=True)

    with page.expect_download() as download_info:
        download_link.click()
    download = download_info.value
    assert download.suggested_filename == "entries-epsg2154.shp.zip"
    path = tmp_path / download.suggested_filename
    download.save_as(path)

    expected = Intervention.objects.filter(
        organisation=demo.organisation,
        status="validated",
        category__code__in=EXPORT_CATEGORIES,
    )
    expected_ids = {str(pk) for pk in expected.values_list("pk", flat=True)}
    assert str(entry.pk) in expected_ids

    info = pyogrio.read_info(path)
    assert info["crs"] == "EPSG:2154"
    assert info["geometry_type"] == "Point"
    assert info["features"] > 0
    assert info["features"] == len(expected_ids)

    frame = pyogrio.read_dataframe(path)
    assert set(frame["id"]) == expected_ids
    assert set(frame["cat_code"]) == set(EXPORT_CATEGORIES)
    written = frame.loc[frame["id"] == str(entry.pk)].geometry.iloc[0]
    assert abs(written.x - entry.location.x) < 0.01
    assert abs(written.y - entry.location.y) < 0.01


# --- the walk --------------------------------------------------------------------


def test_acceptance_walk(demo, new_context, live_server, artifacts_dir, tmp_path):
    timings = {}

    started = time.monotonic()
    entry = capture_entry(new_context, live_server, demo, artifacts_dir)
    timings["capture"] = time.monotonic() - started

    started = time.monotonic()
    validate_entry(new_context, live_server, entry, artifacts_dir)
    timings["review"] = time.monotonic() - started

    started = time.monotonic()
    check_landlord_map(new_context, live_server, demo, artifacts_dir)
    timings["landlord map"] = time.monotonic() - started

    started = time.monotonic()
    check_landlord_report(new_context, live_server, demo, artifacts_dir)
    timings["landlord report"] = time.monotonic() - started

    started = time.monotonic()
    export_entries(new_context, live_server, demo, entry, artifacts_dir, tmp_path)
    timings["export"] = time.monotonic() - started

    print("acceptance step durations: " + ", ".join(
        f"{name} {seconds:.1f} s" for name, seconds in timings.items()
    ))
