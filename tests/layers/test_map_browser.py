"""The planners' map in a real browser: every layer, its legend, a cell click."""

import datetime as dt
import time

import numpy as np
import pytest

from tests.conftest import browser_login
from tests.layers.conftest import PARIS, X0, Y0

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def map_data(organisation, users, plant, make_territories):
    from territories.attachment import attach_interventions

    tset, territories = make_territories(
        {"A": (X0, Y0, 2500), "B": (X0 + 2500, Y0, 2500)}
    )
    rng = np.random.default_rng(21)
    mediator = users["mediator"]
    ids = plant(
        organisation,
        mediator,
        rng.uniform(X0, X0 + 5000, 200),
        rng.uniform(Y0, Y0 + 2500, 200),
    )
    ids += plant(
        organisation,
        mediator,
        rng.normal(X0 + 1200, 70, 150),
        rng.normal(Y0 + 1300, 70, 150),
    )
    # 160 presence hours in A only (demand about 250 there): B shows as a gap.
    for day in range(1, 21):
        for hour in (8, 11, 14, 17):
            ids += plant(
                organisation,
                mediator,
                rng.uniform(X0, X0 + 2500, 3),
                rng.uniform(Y0, Y0 + 2500, 3),
                category="presence-active",
                occurred_at=dt.datetime(2024, 5, day, hour, tzinfo=PARIS),
                duration_minutes=120,
            )
    attach_interventions(ids)
    return tset


@pytest.fixture
def map_page(browser, live_server, settings, tmp_path):
    # Base-map tiles from the test server itself (they 404): no other host.
    settings.BASEMAP_TILE_URL = f"{live_server.url}/no-tiles/{{z}}/{{x}}/{{y}}.png"
    settings.VAR_DIR = tmp_path
    context = browser.new_context(
        viewport={"width": 1400, "height": 900}, locale="fr-FR"
    )
    page = context.new_page()
    page.route(
        "**/*",
        lambda route: route.continue_()
        if route.request.url.startswith(live_server.url)
        else route.abort(),
    )
    yield page
    context.close()


def wait_until_loaded(page):
    page.wait_for_selector('#layers-map[data-layers-ready="true"]', timeout=30000)


def wait_for_image(locator, timeout=15.0):
    # page.wait_for_function evaluates a string, which the page's CSP forbids.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if locator.evaluate("image => image.complete && image.naturalWidth > 0"):
            return
        time.sleep(0.1)
    raise AssertionError("the density image did not load")


def toggle(page, label):
    page.locator(".layer-switcher label", has_text=label).locator("input").click()


def test_map_layers_legends_and_cell_click(
    map_page, live_server, users, map_data, artifacts_dir
):
    page = map_page
    browser_login(page, live_server, users["analyst"].username)
    page.goto(f"{live_server.url}/map/")
    wait_until_loaded(page)
    labels = page.evaluate(
        "JSON.parse(document.getElementById('map-config').textContent).labels"
    )

    # Hot spots and territory outlines are on by default.
    assert page.locator("path.layer-hotspots").count() > 50
    assert page.locator("path.layer-territories").count() == 2
    assert page.locator("path.hotspot-bin-3").count() >= 1
    assert page.locator(".map-legend .legend-hotspots").is_visible()
    assert page.locator("#layer-message").is_hidden()
    page.screenshot(path=artifacts_dir / "layers-map-hotspots.png")

    # A click on the hottest cell opens its counts and top categories.
    page.locator("path.hotspot-bin-3").first.click()
    popup = page.locator(".leaflet-popup .feature-summary")
    popup.locator(".top-categories li").first.wait_for(timeout=15000)
    text = popup.inner_text()
    assert "H250_" in text
    assert "Prévention et gestion des conflits" in text
    page.screenshot(path=artifacts_dir / "layers-map-cell-click.png")
    page.keyboard.press("Escape")
    page.locator(".leaflet-popup-close-button").click()

    toggle(page, labels["hotspots"])
    toggle(page, labels["density"])
    page.wait_for_selector("img.layer-density", timeout=15000)
    wait_for_image(page.locator("img.layer-density"))
    legend = page.locator(".map-legend .legend-density")
    assert legend.is_visible()
    assert "km²" in legend.inner_text()
    page.screenshot(path=artifacts_dir / "layers-map-density.png")

    toggle(page, labels["density"])
    toggle(page, labels["coverage"])
    assert page.locator("path.layer-coverage").count() == 2
    assert page.locator(".map-legend .legend-coverage").is_visible()
    page.screenshot(path=artifacts_dir / "layers-map-coverage.png")

    toggle(page, labels["coverage"])
    toggle(page, labels["gaps"])
    assert page.locator("path.layer-gaps").count() == 2
    assert page.locator("path.layer-gaps.gap").count() == 1
    assert page.locator(".map-legend .legend-gaps").is_visible()
    page.screenshot(path=artifacts_dir / "layers-map-gaps.png")

    toggle(page, labels["gaps"])
    toggle(page, labels["entries"])
    page.wait_for_selector(".layer-entries canvas", timeout=15000)
    assert page.locator(".map-legend .legend-entries").is_visible()
    page.wait_for_timeout(500)
    page.screenshot(path=artifacts_dir / "layers-map-entries.png")


def test_map_filters_reload_layers(
    map_page, live_server, users, map_data, artifacts_dir
):
    page = map_page
    browser_login(page, live_server, users["coordinator"].username)
    page.goto(f"{live_server.url}/map/")
    wait_until_loaded(page)
    # No entry is planted in the evening, so the filtered layers are empty.
    page.select_option("#id_time_slot", "evening")
    page.click("#layer-filters button[type=submit]")
    wait_until_loaded(page)
    message = page.locator("#layer-message")
    assert message.is_visible()
    assert "Trop peu" in message.inner_text()
    assert "time_slot=evening" in page.url
    page.screenshot(path=artifacts_dir / "layers-map-filtered.png")


def test_client_viewer_map(
    map_page, live_server, users, map_data, client_city, artifacts_dir
):
    from territories.models import Territory

    client_city.perimeter.add(Territory.objects.get(territory_set=map_data, code="A"))
    page = map_page
    browser_login(page, live_server, users["client_viewer"].username)
    page.goto(f"{live_server.url}/map/")
    wait_until_loaded(page)
    assert page.locator("path.layer-territories").count() == 1
    labels = page.evaluate(
        "JSON.parse(document.getElementById('map-config').textContent).labels"
    )
    assert (
        page.locator(".layer-switcher label", has_text=labels["entries"]).count() == 0
    )
    assert (
        page.locator(".layer-switcher label", has_text=labels["hotspots"]).count() == 1
    )
    assert page.locator("#id_status").count() == 0
    page.screenshot(path=artifacts_dir / "layers-map-client-viewer.png")
