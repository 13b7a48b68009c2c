"""Versions of a territory set, and imports that fail without leaving rows."""

import datetime

import pytest

from tests.territories.conftest import PARIS_X, PARIS_Y, squares_frame

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def run_import(path, organisation, slug="qpv", kind="qpv", **options):
    from territories.importer import import_territories

    return import_territories(
        path, organisation=organisation, slug=slug, kind=kind, **options
    )


@pytest.fixture
def file_2015(tmp_path):
    path = tmp_path / "qpv2015.gpkg"
    squares_frame(
        [
            ("QP1", "Cité A", PARIS_X, PARIS_Y, 1000),
            ("QP2", "Cité B", PARIS_X + 2000, PARIS_Y, 1000),
        ]
    ).to_file(path, driver="GPKG")
    return path


@pytest.fixture
def file_2024(tmp_path):
    path = tmp_path / "qpv2024.gpkg"
    squares_frame([("QN1", "Cité A élargie", PARIS_X, PARIS_Y, 1500)]).to_file(
        path, driver="GPKG"
    )
    return path


def test_reimport_creates_next_version(organisation, file_2015, file_2024):
    from territories.models import Territory, TerritorySet

    first = run_import(
        file_2015, organisation, code_field="code", valid_from=datetime.date(2015, 1, 1)
    ).territory_set
    second = run_import(
        file_2024, organisation, code_field="code", valid_from=datetime.date(2024, 1, 1)
    ).territory_set
    first.refresh_from_db()
    assert (first.version, second.version) == (1, 2)
    assert first.valid_to == datetime.date(2023, 12, 31)
    assert second.valid_from == datetime.date(2024, 1, 1)
    assert second.valid_to is None
    assert second.name == first.name
    # The old version keeps its polygons, side by side with the new one.
    assert sorted(
        Territory.objects.filter(territory_set=first).values_list("code", flat=True)
    ) == [
        "QP1",
        "QP2",
    ]
    assert list(second.territories.values_list("code", flat=True)) == ["QN1"]
    assert TerritorySet.objects.filter(slug="qpv").count() == 2


def test_reimport_keeps_closed_version(organisation, file_2015, file_2024):
    first = run_import(
        file_2015, organisation, code_field="code", valid_from=datetime.date(2015, 1, 1)
    ).territory_set
    first.valid_to = datetime.date(2020, 6, 30)
    first.save()
    run_import(
        file_2024, organisation, code_field="code", valid_from=datetime.date(2024, 1, 1)
    )
    first.refresh_from_db()
    assert first.valid_to == datetime.date(2020, 6, 30)


def test_reimport_defaults_to_today(organisation, file_2015, file_2024):
    from django.utils import timezone

    first = run_import(file_2015, organisation, code_field="code").territory_set
    second = run_import(file_2024, organisation, code_field="code").territory_set
    first.refresh_from_db()
    assert first.valid_from is None
    assert second.valid_from == timezone.localdate()
    assert first.valid_to == timezone.localdate() - datetime.timedelta(days=1)


def test_reimport_earlier_start_rejected(organisation, file_2015, file_2024):
    from territories.errors import VersionConflictError
    from territories.models import TerritorySet

    run_import(
        file_2015, organisation, code_field="code", valid_from=datetime.date(2015, 1, 1)
    )
    with pytest.raises(VersionConflictError, match="2014-01-01"):
        run_import(
            file_2024,
            organisation,
            code_field="code",
            valid_from=datetime.date(2014, 1, 1),
        )
    assert TerritorySet.objects.get(slug="qpv").valid_to is None


def test_reimport_other_kind_rejected(organisation, file_2015, file_2024):
    from territories.errors import VersionConflictError

    run_import(file_2015, organisation, code_field="code")
    with pytest.raises(VersionConflictError, match="iris"):
        run_import(file_2024, organisation, kind="iris", code_field="code")


def test_same_slug_other_organisation_independent(
    organisation, other_organisation, file_2015
):
    run_import(file_2015, organisation, code_field="code")
    other = run_import(file_2015, other_organisation, code_field="code").territory_set
    assert other.version == 1


def test_failed_import_leaves_no_rows(organisation, file_2015, file_2024, monkeypatch):
    from territories import importer
    from territories.models import Territory, TerritorySet

    first = run_import(
        file_2015, organisation, code_field="code", valid_from=datetime.date(2015, 1, 1)
    ).territory_set

    # Fail after the new set, its territories and the closing of version 1
    # have been written, at the re-attachment step.
    def fail(set_id):
        assert Territory.objects.filter(territory_set_id=set_id).count() == 1
        raise RuntimeError("attachment failed")

    monkeypatch.setattr(importer, "reattach_set", fail)
    with pytest.raises(RuntimeError, match="attachment failed"):
        run_import(
            file_2024,
            organisation,
            code_field="code",
            valid_from=datetime.date(2024, 1, 1),
        )
    first.refresh_from_db()
    assert first.valid_to is None
    assert list(TerritorySet.objects.values_list("version", flat=True)) == [1]
    assert Territory.objects.count() == 2


def test_strict_import_failure_writes_nothing(organisation, tmp_path):
    from territories.errors import RejectedFeaturesError
    from territories.models import Territory, TerritorySet
    from tests.territories.conftest import feature, ring, write_geojson

    path = write_geojson(
        tmp_path / "one_bad.geojson",
        [
            feature(
                {"type": "Polygon", "coordinates": [ring(2.30, 48.85, 0.01)]}, code="ok"
            ),
            feature(None, code="null"),
        ],
    )
    with pytest.raises(RejectedFeaturesError, match="feature 2: no geometry"):
        run_import(path, organisation, code_field="code", strict=True)
    assert TerritorySet.objects.count() == 0
    assert Territory.objects.count() == 0
