"""Upload -> preview -> confirm pages, through the Django test client."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.territories.conftest import (
    PARIS_X,
    PARIS_Y,
    feature,
    ring,
    squares_frame,
    write_geojson,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def zipped_shapefile(tmp_path, *, with_prj=True):
    folder = tmp_path / "shp"
    folder.mkdir()
    squares_frame(
        [
            ("Q1", "Quartier Été", PARIS_X, PARIS_Y, 1000),
            ("Q2", "Quartier Hiver", PARIS_X + 1000, PARIS_Y, 1000),
        ]
    ).to_file(folder / "quartiers.shp", encoding="UTF-8")
    if not with_prj:
        (folder / "quartiers.prj").unlink()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member in folder.iterdir():
            archive.write(member, f"export/{member.name}")
    return SimpleUploadedFile(
        "quartiers.zip", buffer.getvalue(), content_type="application/zip"
    )


def upload(client, uploaded, **options):
    data = {
        "file": uploaded,
        "slug": "quartiers",
        "kind": "district",
        "name": "Quartiers",
        **options,
    }
    return client.post(reverse("territories:import"), data)


@pytest.mark.parametrize(
    "role,index_status,import_status",
    [
        ("mediator", 403, 403),
        ("client_viewer", 403, 403),
        ("coordinator", 200, 403),
        ("analyst", 200, 200),
        ("admin", 200, 200),
    ],
)
def test_pages_role_check(client, users, role, index_status, import_status):
    client.force_login(users[role])
    assert client.get(reverse("territories:index")).status_code == index_status
    assert client.get(reverse("territories:import")).status_code == import_status


def test_pages_anonymous_sent_to_login(client):
    response = client.get(reverse("territories:import"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_upload_preview_confirm(client, users, tmp_path, media_root):
    from accounts.models import AuditEvent
    from territories.models import TerritorySet

    client.force_login(users["analyst"])
    response = upload(
        client, zipped_shapefile(tmp_path), code_field="code", name_field="nom"
    )
    assert response.status_code == 302
    preview_url = response["Location"]
    upload_id = preview_url.rstrip("/").rsplit("/", 1)[-1]
    folder = media_root / "territory-uploads" / upload_id
    assert (folder / "file" / "quartiers.zip").exists()
    assert (folder / "data" / "export" / "quartiers.shp").exists()
    assert not TerritorySet.objects.exists()

    page = client.get(preview_url)
    html = page.content.decode()
    assert page.status_code == 200
    assert page.context["report"].feature_count == 2
    assert page.context["report"].crs == "EPSG:2154"
    assert page.context["report"].encoding == "UTF-8"
    assert 'id="preview-map"' in html
    assert 'id="preview-geojson"' in html
    assert {f["properties"]["name"] for f in page.context["geojson"]["features"]} == {
        "Quartier Été",
        "Quartier Hiver",
    }
    assert [name for name, _type in page.context["report"].fields] == ["code", "nom"]
    assert page.context["geojson"]["features"][0]["geometry"]["type"] == "MultiPolygon"
    # French labels (the catalogue of the territories app).
    assert "Aperçu de l'import" in html

    confirmed = client.post(reverse("territories:import-confirm", args=[upload_id]))
    assert confirmed.status_code == 302
    assert confirmed["Location"] == reverse("territories:index")
    tset = TerritorySet.objects.get(slug="quartiers")
    assert dict(tset.territories.values_list("code", "name")) == {
        "Q1": "Quartier Été",
        "Q2": "Quartier Hiver",
    }
    event = AuditEvent.objects.get(action="import")
    assert event.username == "analyst"
    assert event.target == "quartiers v1"
    assert event.details["imported"] == 2
    assert event.details["file"] == "quartiers.zip"
    assert not folder.exists()

    index = client.get(reverse("territories:index")).content.decode()
    assert "quartiers" in index


def test_preview_missing_crs_then_fixed(client, users, tmp_path):
    client.force_login(users["analyst"])
    response = upload(
        client, zipped_shapefile(tmp_path, with_prj=False), code_field="code"
    )
    preview_url = response["Location"]
    page = client.get(preview_url)
    assert page.context["report"] is None
    assert "quartiers.shp" in page.context["error"]
    assert ".prj" in page.context["error"]
    # The options form offers the fields found in the file.
    assert [value for value, _label in page.context["form"].fields["name_field"].choices] == [
        "",
        "-",
        "code",
        "nom",
    ]
    options = {
        "slug": "quartiers",
        "kind": "district",
        "code_field": "code",
        "name_field": "nom",
        "source_srid": "2154",
    }
    assert client.post(preview_url, options).status_code == 302
    page = client.get(preview_url)
    assert page.context["error"] is None
    assert page.context["report"].crs == "EPSG:2154"
    assert page.context["report"].crs_source == "given"


def test_preview_lists_rejected_features(client, users, tmp_path):
    path = write_geojson(
        tmp_path / "mixed.geojson",
        [
            feature(
                {"type": "Polygon", "coordinates": [ring(2.30, 48.85, 0.01)]}, code="ok"
            ),
            feature(None, code="vide"),
        ],
    )
    client.force_login(users["admin"])
    response = upload(
        client,
        SimpleUploadedFile("mixed.geojson", path.read_bytes()),
        code_field="code",
    )
    page = client.get(response["Location"])
    report = page.context["report"]
    assert [(issue.fid, issue.kind) for issue in report.rejected] == [(2, "null")]
    assert "vide" in page.content.decode()


def test_upload_too_large(client, users, tmp_path, settings, media_root):
    from territories.forms import UploadForm

    settings.MAX_UPLOAD_SIZE = 100
    uploaded = zipped_shapefile(tmp_path)
    form = UploadForm({"slug": "quartiers", "kind": "district"}, {"file": uploaded})
    assert not form.is_valid()
    assert "100" in form.errors["file"][0]
    # Through the site, the request is stopped before the form reads it.
    client.force_login(users["analyst"])
    uploaded.seek(0)
    response = upload(client, uploaded)
    assert response.status_code in (200, 413)
    assert not (media_root / "territory-uploads").exists()


def test_upload_unsafe_archive(client, users, media_root):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("../../escape.geojson", "{}")
    client.force_login(users["analyst"])
    response = upload(client, SimpleUploadedFile("bad.zip", buffer.getvalue()))
    assert response.status_code == 200
    assert "escape.geojson" in " ".join(response.context["form"].errors["file"])
    assert list((media_root / "territory-uploads").iterdir()) == []


def test_upload_bare_shp_rejected(client, users):
    client.force_login(users["analyst"])
    response = upload(client, SimpleUploadedFile("alone.shp", b"\0" * 100))
    assert response.status_code == 200
    assert response.context["form"].errors["file"]


def test_preview_of_other_user_not_found(
    client, users, make_user, organisation, tmp_path
):
    client.force_login(users["analyst"])
    preview_url = upload(client, zipped_shapefile(tmp_path), code_field="code")[
        "Location"
    ]
    client.force_login(make_user("analyst-2", "analyst", organisation))
    assert client.get(preview_url).status_code == 404
    upload_id = preview_url.rstrip("/").rsplit("/", 1)[-1]
    assert (
        client.post(reverse("territories:import-confirm", args=[upload_id])).status_code
        == 404
    )


def test_cancel_deletes_upload(client, users, tmp_path, media_root):
    client.force_login(users["analyst"])
    preview_url = upload(client, zipped_shapefile(tmp_path), code_field="code")[
        "Location"
    ]
    upload_id = preview_url.rstrip("/").rsplit("/", 1)[-1]
    response = client.post(reverse("territories:import-cancel", args=[upload_id]))
    assert response.status_code == 302
    assert not (media_root / "territory-uploads" / upload_id).exists()


def test_confirm_requires_post(client, users, tmp_path):
    client.force_login(users["analyst"])
    preview_url = upload(client, zipped_shapefile(tmp_path), code_field="code")[
        "Location"
    ]
    upload_id = preview_url.rstrip("/").rsplit("/", 1)[-1]
    assert (
        client.get(reverse("territories:import-confirm", args=[upload_id])).status_code
        == 405
    )
