"""The import preview in a real browser: the map draws the uploaded polygons."""

from urllib.parse import urlsplit

import pytest

from tests.conftest import browser_login
from tests.territories.conftest import PARIS_X, PARIS_Y, squares_frame

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def block_other_hosts(page):
    """Let the page reach the test server only: base-map tiles are not fetched."""

    def route(request_route):
        host = urlsplit(request_route.request.url).hostname
        if host in ("127.0.0.1", "localhost", "::1"):
            request_route.continue_()
        else:
            request_route.abort()

    page.route("**/*", route)


def test_preview_page_shows_map(
    browser, live_server, users, tmp_path, settings, artifacts_dir
):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    path = tmp_path / "secteurs.geojson"
    squares_frame(
        [
            ("S1", "Secteur Nord", PARIS_X, PARIS_Y + 1000, 1000),
            ("S2", "Secteur Sud", PARIS_X, PARIS_Y, 1000),
            ("S3", "Secteur Est", PARIS_X + 1000, PARIS_Y, 1000),
        ]
    ).to_crs(4326).to_file(path, driver="GeoJSON")

    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    block_other_hosts(page)
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        browser_login(page, live_server, users["analyst"].username)
        page.goto(f"{live_server.url}/territories/import/")
        page.set_input_files("#id_file", str(path))
        page.fill("#id_slug", "secteurs")
        page.select_option("#id_kind", "patrol_sector")
        page.click("details summary")
        page.fill("#id_code_field", "code")
        page.fill("#id_name_field", "nom")
        page.click("button[type=submit].primary")
        page.wait_for_selector("#preview-map.is-ready")

        assert page.inner_text("#feature-count") == "3"
        assert "EPSG:4326" in page.inner_text("#detected-crs")
        # Leaflet draws each polygon as an SVG path in its overlay pane.
        assert page.locator("#preview-map .leaflet-overlay-pane path").count() == 3
        box = page.locator("#preview-map").bounding_box()
        assert box["width"] > 200
        assert box["height"] > 200
        page.screenshot(
            path=str(artifacts_dir / "territories-import-preview.png"), full_page=True
        )
        assert errors == []

        page.click("#confirm-import")
        page.wait_for_url(f"{live_server.url}/territories/")
        assert "secteurs" in page.content()
    finally:
        context.close()
