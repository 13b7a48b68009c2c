"""Attachment of entries after an import: shared edges, outside points, versions."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.gis.geos import Point

from tests.territories.conftest import PARIS_X, PARIS_Y, squares_frame

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def make_entry(organisation, user, nomenclature, x, y):
    from interventions.models import Intervention

    return Intervention.objects.create(
        organisation=organisation,
        mediator=user,
        occurred_at=datetime.datetime(2024, 6, 1, 12, tzinfo=ZoneInfo("Europe/Paris")),
        location=Point(x, y, srid=2154),
        category=nomenclature["category"]["conflits"],
        type=nomenclature["type"]["conflit-voisinage-bruit"],
    )


@pytest.fixture
def districts_file(tmp_path):
    # West square [X, X+1000], east square [X+1000, X+2000]: they share the
    # edge x = X+1000. Codes are chosen so that byte order ("Z" < "a") and a
    # case-insensitive order ("a" < "Z") disagree.
    path = tmp_path / "districts.gpkg"
    squares_frame(
        [
            ("a-west", "Ouest", PARIS_X, PARIS_Y, 1000),
            ("Z-east", "Est", PARIS_X + 1000, PARIS_Y, 1000),
        ]
    ).to_file(path, driver="GPKG")
    return path


def test_import_attaches_edge_point_once(
    organisation, users, nomenclature, districts_file
):
    from territories.importer import import_territories
    from territories.models import Attachment

    mediator = users["mediator"]
    on_edge = make_entry(
        organisation, mediator, nomenclature, PARIS_X + 1000, PARIS_Y + 500
    )
    inside_west = make_entry(
        organisation, mediator, nomenclature, PARIS_X + 200, PARIS_Y + 200
    )
    outside = make_entry(organisation, mediator, nomenclature, PARIS_X + 5000, PARIS_Y)

    report = import_territories(
        districts_file,
        organisation=organisation,
        slug="districts",
        kind="district",
        code_field="code",
    )
    tset = report.territory_set
    assert report.attached == 2
    assert report.outside == 1
    attached = dict(
        Attachment.objects.filter(territory_set=tset).values_list(
            "intervention", "territory__code"
        )
    )
    # "Z-east" < "a-west" in byte order: the edge point goes east.
    assert attached == {on_edge.pk: "Z-east", inside_west.pk: "a-west"}
    outside.refresh_from_db()
    assert outside.outside_territories is True
    assert Attachment.objects.filter(intervention=outside).count() == 0


def test_new_version_keeps_old_attachments(
    organisation, users, nomenclature, districts_file, tmp_path
):
    from territories.importer import import_territories
    from territories.models import Attachment

    entry = make_entry(
        organisation, users["mediator"], nomenclature, PARIS_X + 1500, PARIS_Y + 500
    )
    first = import_territories(
        districts_file,
        organisation=organisation,
        slug="districts",
        kind="district",
        code_field="code",
        valid_from=datetime.date(2020, 1, 1),
    ).territory_set
    smaller = tmp_path / "smaller.gpkg"
    squares_frame([("a-west", "Ouest", PARIS_X, PARIS_Y, 1000)]).to_file(
        smaller, driver="GPKG"
    )
    second = import_territories(
        smaller,
        organisation=organisation,
        slug="districts",
        kind="district",
        code_field="code",
        valid_from=datetime.date(2024, 1, 1),
    )
    assert second.attached == 0
    assert second.outside == 1
    assert (
        Attachment.objects.get(intervention=entry, territory_set=first).territory.code
        == "Z-east"
    )
    assert not Attachment.objects.filter(territory_set=second.territory_set).exists()
    entry.refresh_from_db()
    # Still inside a territory of version 1, so not outside every territory.
    assert entry.outside_territories is False


def test_other_organisation_entries_not_attached(
    organisation, other_organisation, make_user, users, nomenclature, districts_file
):
    from territories.importer import import_territories

    stranger = make_user("stranger", "mediator", other_organisation)
    make_entry(other_organisation, stranger, nomenclature, PARIS_X + 200, PARIS_Y + 200)
    report = import_territories(
        districts_file,
        organisation=organisation,
        slug="districts",
        kind="district",
        code_field="code",
    )
    assert report.attached == 0
    assert report.outside == 0
