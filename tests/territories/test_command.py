"""The import_territories management command."""

import pytest
from django.core.management import CommandError, call_command

from tests.territories.conftest import PARIS_X, PARIS_Y, squares_frame

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def gpkg(tmp_path):
    path = tmp_path / "sectors.gpkg"
    squares_frame(
        [
            ("S1", "Secteur Nord", PARIS_X, PARIS_Y, 500),
            ("S2", "Secteur Sud", PARIS_X, PARIS_Y - 500, 500),
        ]
    ).to_file(path, driver="GPKG")
    return path


def test_command_imports_file(organisation, gpkg, capsys):
    from territories.models import TerritorySet

    call_command(
        "import_territories",
        str(gpkg),
        "--set",
        "sectors",
        "--kind",
        "patrol_sector",
        "--organisation",
        organisation.slug,
        "--code-field",
        "code",
        "--name-field",
        "nom",
        "--valid-from",
        "2024-01-01",
    )
    output = capsys.readouterr().out
    tset = TerritorySet.objects.get(slug="sectors")
    assert tset.valid_from.isoformat() == "2024-01-01"
    assert dict(tset.territories.values_list("code", "name")) == {
        "S1": "Secteur Nord",
        "S2": "Secteur Sud",
    }
    assert "2 territories imported" in output
    assert "EPSG:2154" in output


def test_command_wrong_field_lists_fields(organisation, gpkg):
    with pytest.raises(CommandError, match=r"'NOM_QP'.*its fields are: code, nom"):
        call_command(
            "import_territories",
            str(gpkg),
            "--set",
            "sectors",
            "--kind",
            "patrol_sector",
            "--organisation",
            organisation.slug,
            "--name-field",
            "NOM_QP",
        )


def test_command_unknown_organisation(organisation, gpkg):
    with pytest.raises(CommandError, match=r"'nowhere'.*mediation-test"):
        call_command(
            "import_territories",
            str(gpkg),
            "--set",
            "sectors",
            "--kind",
            "patrol_sector",
            "--organisation",
            "nowhere",
        )


def test_command_dry_run_writes_nothing(organisation, gpkg, capsys):
    from territories.models import TerritorySet

    call_command(
        "import_territories",
        str(gpkg),
        "--set",
        "sectors",
        "--kind",
        "patrol_sector",
        "--organisation",
        organisation.slug,
        "--dry-run",
    )
    assert "nothing was written" in capsys.readouterr().out
    assert not TerritorySet.objects.exists()


def test_command_source_srid_for_shapefile_without_prj(organisation, tmp_path):
    path = tmp_path / "noprj.shp"
    squares_frame([("A", "x", PARIS_X, PARIS_Y, 100)]).to_file(path)
    path.with_suffix(".prj").unlink()
    arguments = [
        "import_territories",
        str(path),
        "--set",
        "s",
        "--kind",
        "district",
        "--organisation",
        organisation.slug,
    ]
    with pytest.raises(CommandError, match="--source-srid|source SRID"):
        call_command(*arguments)
    call_command(*arguments, "--source-srid", "2154")


def test_command_strict_fails_on_rejected(organisation, tmp_path):
    from tests.territories.conftest import feature, ring, write_geojson

    path = write_geojson(
        tmp_path / "bad.geojson",
        [
            feature(
                {"type": "Polygon", "coordinates": [ring(2.30, 48.85, 0.01)]}, code="ok"
            ),
            feature(None, code="null"),
        ],
    )
    with pytest.raises(CommandError, match="feature 2: no geometry"):
        call_command(
            "import_territories",
            str(path),
            "--set",
            "s",
            "--kind",
            "district",
            "--organisation",
            organisation.slug,
            "--strict",
        )
