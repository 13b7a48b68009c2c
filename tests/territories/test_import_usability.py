"""Field choice, feature numbers and messages of the import, as a user meets them."""

import io
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from tests.conftest import shared_data
from tests.territories.conftest import (
    PARIS_X,
    PARIS_Y,
    bow_tie,
    feature,
    ring,
    write_geojson,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def run_import(path, organisation, slug="set", kind="district", **options):
    from territories.importer import import_territories

    return import_territories(
        path, organisation=organisation, slug=slug, kind=kind, **options
    )


def square(x, y, **properties):
    return feature(
        {"type": "Polygon", "coordinates": [ring(x, y, 0.01)]}, **properties
    )


def code_nom_geojson(path, codes=("A1", "B2", "C3")):
    names = ["Nord", "Centre", "Sud"]
    return write_geojson(
        path,
        [
            square(2.30 + 0.02 * i, 48.85, code=code, nom=names[i])
            for i, code in enumerate(codes)
        ],
    )


def test_code_and_nom_fields_guessed(organisation, tmp_path):
    path = code_nom_geojson(tmp_path / "quartiers.geojson")
    report = run_import(path, organisation)
    stored = dict(report.territory_set.territories.values_list("code", "name"))
    assert stored == {"A1": "Nord", "B2": "Centre", "C3": "Sud"}
    assert (report.code_field, report.code_field_source) == ("code", "guessed")
    assert (report.name_field, report.name_field_source) == ("nom", "guessed")


@pytest.mark.parametrize(
    "parts,code,name",
    [
        (("paris-iris-lambert93", "iris_paris.shp"), "CODE_IRIS", "NOM_IRIS"),
        (("paris-quartiers-arrondissements", "quartier_paris.geojson"), "c_qu", "l_qu"),
        (("paris-quartiers-arrondissements", "arrondissements.geojson"), "c_ar", "l_ar"),
        (("occitanie-qpv-2015-dvf", "qp.geojson"), "code_qp", "nom_qp"),
        (
            (
                "paris-quartiers-arrondissements",
                "communes-dile-de-france-au-01-janvier.geojson",
            ),
            "insee",
            "nomcom",
        ),
    ],
)
def test_fields_guessed_on_open_data(organisation, parts, code, name):
    path = shared_data(*parts)
    report = run_import(path, organisation, dry_run=True)
    assert report.code_field == code
    assert report.name_field == name
    assert report.rejected == []


def test_constant_insee_field_not_a_code(organisation):
    # Every zone of this town-planning layer carries the commune code 41175.
    folder = shared_data("plu-shapefiles-encodings", "pezou-41175_utf8-without-cpg")
    with translation.override("en"):
        report = run_import(folder, organisation, dry_run=True)
        label = report.code_field_label
    assert report.code_field is None
    assert report.name_field == "LIBELLE"
    assert any("INSEE" in warning for warning in report.warnings)
    assert label == "no code field found: the codes are the feature numbers"
    assert report.features[0][0] == "1"


def test_no_candidate_codes_are_positions(organisation, tmp_path):
    path = write_geojson(
        tmp_path / "zones.geojson",
        [square(2.30, 48.85, libelle="Nord"), square(2.32, 48.85, libelle="Sud")],
    )
    report = run_import(path, organisation)
    stored = dict(report.territory_set.territories.values_list("code", "name"))
    assert stored == {"1": "Nord", "2": "Sud"}
    assert report.code_field_source == "none"
    assert report.numbering == "position"
    with translation.override("fr"):
        assert report.code_field_label == (
            "aucun champ de code trouvé : les codes seront les numéros des entités"
        )


def test_code_field_none_requested(organisation, tmp_path):
    from territories.field_choice import NO_FIELD

    path = code_nom_geojson(tmp_path / "quartiers.geojson")
    report = run_import(path, organisation, code_field=NO_FIELD, name_field=NO_FIELD)
    codes = sorted(report.territory_set.territories.values_list("code", "name"))
    assert codes == [("1", "1"), ("2", "2"), ("3", "3")]
    with translation.override("en"):
        assert report.code_field_label == "none: the codes are the feature numbers"


def test_guessed_code_duplicates_fail(organisation, tmp_path):
    from territories.errors import DuplicateCodeError
    from territories.models import TerritorySet

    path = code_nom_geojson(tmp_path / "doublons.geojson", codes=("A1", "B2", "A1"))
    with translation.override("en"), pytest.raises(DuplicateCodeError) as caught:
        run_import(path, organisation)
    message = str(caught.value)
    assert "The code field code is not unique" in message
    assert "A1 (features 1, 3)" in message
    assert "choose a code field with one value per feature" in message
    assert "B2" not in message
    assert not TerritorySet.objects.exists()
    assert caught.value.report.code_field_source == "guessed"


def test_unique_candidate_preferred_with_warning(organisation, tmp_path):
    path = write_geojson(
        tmp_path / "ids.geojson",
        [
            square(2.30, 48.85, code="X", id="Z-1"),
            square(2.32, 48.85, code="X", id="Z-2"),
            square(2.34, 48.85, code="Y", id="Z-3"),
        ],
    )
    with translation.override("en"):
        report = run_import(path, organisation, dry_run=True)
    assert report.code_field == "id"
    assert [code for code, _name, _geom in report.features] == ["Z-1", "Z-2", "Z-3"]
    assert any(
        "The field code has missing or repeated values" in w for w in report.warnings
    )


def test_broken_geojson_message_in_french(organisation, tmp_path):
    from territories.errors import UnsupportedFileError

    path = tmp_path / "casse.geojson"
    path.write_text('{"type": "FeatureCollection", "features": [{"type": "Feature"')
    with translation.override("fr"), pytest.raises(UnsupportedFileError) as caught:
        run_import(path, organisation)
    message = str(caught.value)
    assert message.startswith(
        "Le fichier casse.geojson n'a pas pu être lu comme GeoJSON"
    )
    assert "Détail de GDAL : Failed to read GeoJSON data" in message
    assert "Unterminated object" in message


def test_repair_reason_in_french(organisation, tmp_path):
    tie = bow_tie(PARIS_X, PARIS_Y, 100)
    path = write_geojson(
        tmp_path / "noeud.geojson",
        [
            feature(
                {"type": "Polygon", "coordinates": [ring(PARIS_X, PARIS_Y + 500, 100)]},
                code="carre",
            ),
            feature(
                {"type": "Polygon", "coordinates": [list(tie.exterior.coords)]},
                code="noeud",
            ),
        ],
        crs="urn:ogc:def:crs:EPSG::2154",
    )
    with translation.override("fr"):
        report = run_import(path, organisation, dry_run=True)
        lines = report.summary_lines()
    assert [issue.fid for issue in report.repaired] == [2]
    # The diagonals of the 100 m bow tie cross at its centre.
    assert report.repaired[0].reason == (
        "auto-intersection au point 651050.00 6862050.00 (Lambert-93)"
    )
    assert "numérotation des entités : position dans le fichier, à partir de 1" in lines


def test_geojson_ids_are_feature_numbers(organisation, tmp_path):
    first = square(2.30, 48.85, code="ok")
    first["id"] = 17
    second = feature(None, code="vide")
    second["id"] = 42
    path = write_geojson(tmp_path / "ids.geojson", [first, second])
    report = run_import(path, organisation, dry_run=True)
    assert report.numbering == "file"
    assert [(issue.fid, issue.kind) for issue in report.rejected] == [(42, "null")]


def zip_with(name, members):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for member, content in members.items():
            archive.writestr(member, content)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="application/zip")


def test_zip_without_dataset_upload_message(client, users, media_root):
    client.force_login(users["analyst"])
    uploaded = zip_with("secteurs.zip", {"lisez-moi.txt": "rien"})
    with translation.override("fr"):
        response = client.post(
            reverse("territories:import"),
            {"file": uploaded, "slug": "secteurs", "kind": "district"},
        )
    assert response.status_code == 200
    errors = response.context["form"].errors["file"]
    assert len(errors) == 1
    assert errors[0].startswith(
        "secteurs.zip ne contient aucun fichier d'un format pris en charge "
        "(il contient : lisez-moi.txt)"
    )
    assert "GeoPackage (.gpkg)" in errors[0]
    assert "FlatGeobuf (.fgb)" in errors[0]
    assert not any((media_root / "territory-uploads").iterdir())


def test_zip_without_dataset_import_message(organisation, tmp_path):
    from territories.errors import UnsupportedFileError

    archive = tmp_path / "secteurs.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        handle.writestr("notes.txt", "rien")
    with translation.override("en"), pytest.raises(UnsupportedFileError) as caught:
        run_import(archive, organisation)
    assert str(caught.value).startswith(
        "secteurs.zip contains no file of a supported format (it contains: notes.txt)"
    )


def test_preview_shows_guessed_fields(client, users, tmp_path):
    path = code_nom_geojson(tmp_path / "quartiers.geojson")
    client.force_login(users["analyst"])
    response = client.post(
        reverse("territories:import"),
        {
            "file": SimpleUploadedFile("quartiers.geojson", path.read_bytes()),
            "slug": "quartiers",
            "kind": "district",
        },
    )
    preview_url = response["Location"]
    with translation.override("fr"):
        page = client.get(preview_url, HTTP_ACCEPT_LANGUAGE="fr")
    html = page.content.decode()
    form = page.context["form"]
    assert form.initial["code_field"] == "code"
    assert form.initial["name_field"] == "nom"
    assert "code (choisi automatiquement)" in html
    assert "nom (choisi automatiquement)" in html
    upload_id = preview_url.rstrip("/").split("/")[-1]
    confirmed = client.post(reverse("territories:import-confirm", args=[upload_id]))
    assert confirmed.status_code == 302
    from territories.models import TerritorySet

    tset = TerritorySet.objects.get(slug="quartiers")
    stored = dict(tset.territories.values_list("code", "name"))
    assert stored == {"A1": "Nord", "B2": "Centre", "C3": "Sud"}


def test_preview_states_codes_are_numbers(client, users, tmp_path):
    path = write_geojson(
        tmp_path / "zones.geojson",
        [square(2.30, 48.85, libelle="Nord"), square(2.32, 48.85, libelle="Sud")],
    )
    client.force_login(users["analyst"])
    response = client.post(
        reverse("territories:import"),
        {
            "file": SimpleUploadedFile("zones.geojson", path.read_bytes()),
            "slug": "zones",
            "kind": "district",
        },
    )
    page = client.get(response["Location"], HTTP_ACCEPT_LANGUAGE="fr")
    html = page.content.decode()
    assert "aucun champ de code trouvé : les codes seront les numéros des entités" in html
    assert page.context["form"].initial.get("code_field", "") == ""


def test_command_guesses_fields(organisation, tmp_path, capsys):
    from territories.models import Territory

    path = code_nom_geojson(tmp_path / "quartiers.geojson")
    with translation.override("en"):
        call_command(
            "import_territories",
            str(path),
            "--set",
            "quartiers",
            "--kind",
            "district",
            "--organisation",
            organisation.slug,
        )
    output = capsys.readouterr().out
    assert "code field: code (chosen automatically)" in output
    stored = dict(Territory.objects.values_list("code", "name"))
    assert stored == {"A1": "Nord", "B2": "Centre", "C3": "Sud"}
