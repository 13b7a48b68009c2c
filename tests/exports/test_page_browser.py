"""The export page in a real browser: queue an export, follow it, download the file."""

import pyogrio
import pytest

from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_export_page_downloads_geopackage(
    browser, live_server, users, districts, notre_dame_entry, artifacts_dir, tmp_path
):
    tset = districts[0]
    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    try:
        browser_login(page, live_server, "analyst")
        page.goto(f"{live_server.url}/exports/")

        # The density layer offers GeoTIFF only; the page disables the others.
        page.select_option("#id_layer", "density")
        assert page.eval_on_selector("#id_format option[value=gpkg]", "o => o.disabled")
        assert page.input_value("#id_format") == "tif"

        page.select_option("#id_layer", "territories")
        page.select_option("#id_format", "gpkg")
        page.select_option("#id_srid", "3949")
        page.select_option("#id_territory_set", str(tset.pk))
        page.click("#export-submit")
        page.wait_for_selector("tr.export-job.highlight .job-file a.button", timeout=30_000)
        page.screenshot(path=str(artifacts_dir / "exports-page.png"), full_page=True)

        with page.expect_download() as download_info:
            page.click("tr.export-job.highlight .job-file a.button")
        path = tmp_path / download_info.value.suggested_filename
        download_info.value.save_as(path)
    finally:
        context.close()

    info = pyogrio.read_info(path)
    assert path.name == "territories-epsg3949.gpkg"
    assert info["crs"] == "EPSG:3949"
    assert info["features"] == 2
