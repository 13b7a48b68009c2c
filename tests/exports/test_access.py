"""Who may export what: roles on the page and the API, jobs, downloads and the audit log."""

import time

import pyogrio
import pytest
from django.urls import reverse

from accounts.models import AuditEvent
from layers.exports.errors import ExportPermissionError
from layers.exports.models import ExportJob
from layers.exports.scope import ExportScope
from layers.exports.services import ExportOptions, run_export
from layers.filters import LayerFilters
from tests.exports.conftest import NOTRE_DAME_L93

pytestmark = pytest.mark.django_db


def client_for(client, user):
    client.force_login(user)
    return client


def test_client_viewer_cannot_export_entries(users, notre_dame_entry, export_dir):
    with pytest.raises(ExportPermissionError, match="interventions une par une"):
        run_export(
            scope=ExportScope.for_user(users["client_viewer"]),
            layer="entries",
            export_format="gpkg",
            srid=2154,
            filters=LayerFilters(),
            options=ExportOptions(),
            directory=export_dir,
        )


def test_mediator_cannot_export_entries(users, notre_dame_entry, export_dir):
    with pytest.raises(ExportPermissionError):
        run_export(
            scope=ExportScope.for_user(users["mediator"]),
            layer="entries",
            export_format="gpkg",
            srid=2154,
            filters=LayerFilters(),
            options=ExportOptions(),
            directory=export_dir,
        )


@pytest.mark.parametrize(
    "url",
    [
        "/exports/",
        "/api/exports/layers/",
        "/api/exports/jobs/",
        "/api/exports/download/?layer=territories&format=gpkg",
    ],
)
def test_mediator_gets_403(client, users, url):
    response = client_for(client, users["mediator"]).get(url)

    assert response.status_code == 403


def test_mediator_cannot_post_job(client, users):
    response = client_for(client, users["mediator"]).post(
        "/api/exports/jobs/", {"layer": "entries", "format": "gpkg"}
    )

    assert response.status_code == 403
    assert ExportJob.objects.count() == 0


def test_anonymous_redirected_to_login(client):
    response = client.get("/exports/")

    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_client_viewer_api_entries_403(client, users, notre_dame_entry):
    api = client_for(client, users["client_viewer"])
    job = api.post("/api/exports/jobs/", {"layer": "entries", "format": "gpkg"})
    direct = api.get("/api/exports/download/?layer=entries&format=csv")

    assert job.status_code == 403
    assert "interventions une par une" in job.json()["detail"]
    assert direct.status_code == 403
    assert ExportJob.objects.count() == 0


def test_client_viewer_layer_list(client, users):
    response = client_for(client, users["client_viewer"]).get("/api/exports/layers/")
    names = [layer["name"] for layer in response.json()["layers"]]

    assert response.status_code == 200
    assert "entries" not in names
    assert "zone_statistics" in names
    assert "hotspots" in names
    assert [item["srid"] for item in response.json()["srids"]][:3] == [2154, 4326, 3857]


def test_client_viewer_page_has_no_entries_choice(client, users):
    response = client_for(client, users["client_viewer"]).get("/exports/")
    layer_choices = [value for value, _label in response.context["form"].fields["layer"].choices]

    assert response.status_code == 200
    assert "entries" not in layer_choices
    assert "zone_statistics" in layer_choices
    assert 'id="small-count-rule"' in response.content.decode()


def test_client_viewer_page_post_entries_rejected(client, users):
    response = client_for(client, users["client_viewer"]).post(
        "/exports/", {"layer": "entries", "format": "gpkg", "srid": "2154"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["layer"]
    assert ExportJob.objects.count() == 0


def test_page_post_queues_job_and_audits(client, users, districts):
    response = client_for(client, users["coordinator"]).post(
        "/exports/",
        {
            "layer": "territories",
            "format": "shp",
            "srid": "3949",
            "territory_set": str(districts[0].pk),
            "start": "2024-01-01",
            "status": ["validated", "submitted"],
        },
    )
    job = ExportJob.objects.get()
    event = AuditEvent.objects.get(action="export")

    assert response.status_code == 302
    assert response["Location"] == f"/exports/?job={job.pk}"
    assert job.user == users["coordinator"]
    assert job.srid == 3949
    assert job.status == ExportJob.Status.QUEUED
    assert event.user == users["coordinator"]
    assert event.target == "territories.shp"
    assert event.details["format"] == "shp"
    assert event.details["srid"] == 3949
    assert event.details["filters"]["territory_set"] == districts[0].pk
    assert event.details["filters"]["start"] == "2024-01-01"
    assert event.details["filters"]["statuses"] == ["validated", "submitted"]
    assert event.details["job"] == str(job.pk)


def test_page_rejects_format_of_other_layer(client, users):
    response = client_for(client, users["analyst"]).post(
        "/exports/", {"layer": "entries", "format": "tif", "srid": "2154"}
    )

    assert response.status_code == 200
    assert "format=tif" in " ".join(response.context["form"].non_field_errors())


def test_api_direct_download(client, users, notre_dame_entry):
    response = client_for(client, users["analyst"]).get(
        "/api/exports/download/?layer=entries&format=gpkg&srid=EPSG:3949"
    )
    content = b"".join(response.streaming_content)
    event = AuditEvent.objects.get(action="export")

    assert response.status_code == 200
    assert 'filename="entries-epsg3949.gpkg"' in response["Content-Disposition"]
    assert content[:16] == b"SQLite format 3\x00"
    assert event.details["srid"] == 3949
    assert event.details["features"] == 1


def test_api_rejects_unknown_srid_and_layer(client, users):
    api = client_for(client, users["analyst"])
    bad_srid = api.post("/api/exports/jobs/", {"layer": "entries", "format": "gpkg", "srid": "27572"})
    bad_layer = api.post("/api/exports/jobs/", {"layer": "roads", "format": "gpkg"})
    bad_date = api.post(
        "/api/exports/jobs/", {"layer": "entries", "format": "gpkg", "start": "01/07/2024"}
    )

    assert bad_srid.status_code == 400
    assert "srid=27572" in bad_srid.json()["detail"]
    assert bad_layer.status_code == 400
    assert "layer=roads" in bad_layer.json()["detail"]
    assert bad_date.status_code == 400
    assert "start=01/07/2024" in bad_date.json()["detail"]


def test_job_of_another_user_not_found(client, users, make_user, organisation):
    job = ExportJob.objects.create(
        user=users["analyst"], layer="entries", format="gpkg", srid=2154
    )
    other = make_user("other-analyst", "analyst", organisation)
    api = client_for(client, other)

    assert api.get(f"/api/exports/jobs/{job.pk}/").status_code == 404
    assert api.get(reverse("exports:download", args=[job.pk])).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_api_job_runs_and_downloads(client, users, make_entry, districts, export_dir):
    for offset in range(3):
        make_entry(NOTRE_DAME_L93[0] + offset, NOTRE_DAME_L93[1])
    api = client_for(client, users["analyst"])
    created = api.post(
        "/api/exports/jobs/",
        {"layer": "entries", "format": "shp", "srid": "4326"},
        content_type="application/json",
    )
    status_url = created.json()["status_url"]
    deadline = time.monotonic() + 30
    job = created.json()
    while job["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.2)
        job = api.get(status_url).json()

    assert created.status_code == 202
    assert job["status"] == "done", job["error"]
    assert job["written_features"] == 3
    assert job["total_features"] == 3
    assert job["percent"] == 100
    assert job["file_name"] == "entries-epsg4326.shp.zip"
    page_download = api.get(job["download_url"])
    api_download = api.get(f"/api/exports/jobs/{job['id']}/download/")
    assert page_download.status_code == 200
    assert api_download.status_code == 200
    path = export_dir / "downloaded.shp.zip"
    path.write_bytes(b"".join(page_download.streaming_content))
    assert pyogrio.read_info(path)["features"] == 3
    assert pyogrio.read_info(path)["crs"] == "EPSG:4326"


@pytest.mark.django_db(transaction=True)
def test_failed_job_keeps_message(client, users, export_dir):
    api = client_for(client, users["analyst"])
    created = api.post(
        "/api/exports/jobs/",
        {"layer": "zone_statistics", "format": "gpkg"},
        content_type="application/json",
    )
    status_url = created.json()["status_url"]
    deadline = time.monotonic() + 30
    job = created.json()
    while job["status"] in ("queued", "running") and time.monotonic() < deadline:
        time.sleep(0.2)
        job = api.get(status_url).json()

    assert job["status"] == "failed"
    assert "territory_set" in job["error"]
    assert job["download_url"] is None


@pytest.mark.parametrize("cell_size", ["20", "6000"])
def test_cell_size_outside_map_bounds_rejected(cell_size):
    from layers.exports.errors import InvalidOptionError
    from layers.exports.services import ExportOptions

    with pytest.raises(InvalidOptionError) as caught:
        ExportOptions.from_query({"cell_size": cell_size})
    assert f"cell_size={cell_size}" in str(caught.value)
