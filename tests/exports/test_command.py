"""The export_layer management command, for scheduled pushes."""

from io import StringIO

import pyogrio
import pytest
from django.core.management import CommandError, call_command

from accounts.models import AuditEvent
from tests.exports.conftest import NOTRE_DAME_L93, TEN_DIGITS

pytestmark = pytest.mark.django_db


def test_command_exports_entries_with_filters(
    organisation, other_organisation, make_entry, make_user, nomenclature, tmp_path
):
    from datetime import datetime

    from interventions.models import Intervention
    from tests.exports.conftest import PARIS

    make_entry(*NOTRE_DAME_L93, category="conflits")
    make_entry(*NOTRE_DAME_L93, category="veille-technique")
    make_entry(
        *NOTRE_DAME_L93,
        category="conflits",
        occurred_at=datetime(2023, 12, 31, 23, 59, tzinfo=PARIS),
    )
    outsider = make_user("outsider", "mediator", other_organisation)
    Intervention.objects.create(
        organisation=other_organisation,
        mediator=outsider,
        occurred_at=datetime(2024, 7, 1, 12, tzinfo=PARIS),
        location="SRID=2154;POINT(652296.97 6861636.36)",
        category=nomenclature["category"]["conflits"],
        type=nomenclature["type"]["conflit-voisinage-bruit"],
        status="validated",
    )
    output = tmp_path / "push" / "interventions.gpkg"
    output.parent.mkdir()
    stdout = StringIO()

    call_command(
        "export_layer",
        "entries",
        "--format",
        "gpkg",
        "--srid",
        "3949",
        "--output",
        str(output),
        "--organisation",
        organisation.slug,
        "--start",
        "2024-01-01",
        "--category",
        "conflits",
        stdout=stdout,
    )
    frame = pyogrio.read_dataframe(output)
    event = AuditEvent.objects.get(action="export")

    assert len(frame) == 1
    assert frame.iloc[0]["category_code"] == "conflits"
    assert pyogrio.read_info(output)["crs"] == "EPSG:3949"
    assert "Wrote 1 features" in stdout.getvalue()
    assert sorted(path.name for path in output.parent.iterdir()) == ["interventions.gpkg"]
    assert event.user is None
    assert event.organisation == organisation
    assert event.details["organisation"] == organisation.slug
    assert event.details["format"] == "gpkg"
    assert event.details["srid"] == 3949
    assert event.details["filters"]["categories"] == ["conflits"]
    assert event.details["filters"]["start"] == "2024-01-01"
    assert event.details["features"] == 1


def test_command_output_folder_gets_default_name(organisation, districts, tmp_path):
    call_command(
        "export_layer",
        "territories",
        "--format",
        "shp",
        "--output",
        str(tmp_path),
        "--organisation",
        organisation.slug,
        "--territory-set",
        str(districts[0].pk),
        stdout=StringIO(),
    )
    path = tmp_path / "territories-epsg2154.shp.zip"
    frame = pyogrio.read_dataframe(path)

    assert len(frame) == 2
    assert frame.set_index("terr_code").loc["75104-ND", "population"] == TEN_DIGITS


def test_command_rejects_unknown_organisation(organisation, tmp_path):
    with pytest.raises(CommandError, match="--organisation nobody"):
        call_command(
            "export_layer",
            "entries",
            "--format",
            "csv",
            "--output",
            str(tmp_path),
            "--organisation",
            "nobody",
        )


def test_command_rejects_bad_filter(organisation, tmp_path):
    with pytest.raises(CommandError, match="2024-13-01"):
        call_command(
            "export_layer",
            "entries",
            "--format",
            "csv",
            "--output",
            str(tmp_path),
            "--organisation",
            organisation.slug,
            "--start",
            "2024-13-01",
        )
    assert list(tmp_path.iterdir()) == []


def test_command_layer_error_leaves_no_file(organisation, tmp_path):
    with pytest.raises(CommandError, match="territory_set"):
        call_command(
            "export_layer",
            "zone_statistics",
            "--format",
            "gpkg",
            "--output",
            str(tmp_path / "zones.gpkg"),
            "--organisation",
            organisation.slug,
        )
    assert list(tmp_path.iterdir()) == []
