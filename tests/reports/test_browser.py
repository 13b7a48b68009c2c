"""The HTML report in Chromium: map with the zone outline, charts, tables."""

from urllib.parse import urlencode, urlsplit

import pytest

from tests.conftest import browser_login
from tests.reports.conftest import paris

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


def _loopback_only(page):
    """Abort every request that leaves the machine (base-map tiles included)."""

    def route(route_request):
        host = urlsplit(route_request.request.url).hostname
        if route_request.request.url.startswith("data:") or host in LOOPBACK:
            route_request.continue_()
        else:
            route_request.abort()

    page.route("**/*", route)


@pytest.fixture
def planted(districts, perimeter, plant):
    _territory_set, territories = districts
    for month in range(1, 13):
        plant(territories["A"], paris(2024, month, 10, 15), month)
    plant(territories["B"], paris(2024, 6, 10, 11), 3)
    return territories


def _open_report(browser, live_server, username, query):
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="fr-FR"
    )
    page = context.new_page()
    _loopback_only(page)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    browser_login(page, live_server, username)
    page.goto(f"{live_server.url}/reports/zone/?{urlencode(query)}")
    page.wait_for_selector("#report-map[data-report-ready=true]", timeout=15000)
    return context, page, errors


def test_report_page_with_map(browser, live_server, planted, users, artifacts_dir):
    query = {
        "zone": f"territory:{planted['A'].pk}",
        "start": "2024-01-01",
        "end": "2024-12-31",
    }
    context, page, errors = _open_report(
        browser, live_server, users["analyst"].username, query
    )
    try:
        assert page.locator("#report-map.leaflet-container").count() == 1
        outline = page.locator("#report-map path.zone-outline")
        assert outline.count() == 1
        box = outline.bounding_box()
        assert box["width"] > 50
        assert box["height"] > 50
        assert page.locator("#report-map path.hotspot-cell").count() >= 1
        assert page.locator("img.chart").count() == 2
        assert page.locator("img.chart").first.evaluate("img => img.naturalWidth") > 0
        summary = page.locator(".summary-card[data-row=trend] .summary-value")
        assert summary.inner_text() == "hausse significative"
        total = page.locator("table[data-table=summary] tr[data-row=entries] td").first
        assert total.inner_text() == "78"
        assert errors == []
        page.screenshot(
            path=str(artifacts_dir / "reports-zone-analyst.png"), full_page=True
        )
    finally:
        context.close()


def test_report_page_for_client_viewer(
    browser, live_server, planted, perimeter, users, artifacts_dir
):
    query = {
        "zone": f"client:{perimeter.pk}",
        "start": "2024-01-01",
        "end": "2024-12-31",
    }
    context, page, errors = _open_report(
        browser, live_server, users["client_viewer"].username, query
    )
    try:
        assert page.locator("#report-map path.zone-outline").count() == 1
        series = page.locator("table[data-table=series_category] tr[data-row=total] td")
        # January has 1 entry in A: hidden; December has 12: shown.
        assert series.nth(0).inner_text() == "< 5"
        assert series.nth(11).inner_text() == "12"
        assert page.locator(".suppression-rule").count() == 1
        assert errors == []
        page.screenshot(
            path=str(artifacts_dir / "reports-zone-client-viewer.png"), full_page=True
        )
    finally:
        context.close()
