"""Attachment of entries to territories: shared edges, outside points, re-attachment."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.gis.geos import Point

from tests.conftest import square

pytestmark = pytest.mark.django_db


@pytest.fixture
def districts(organisation):
    from territories.models import Territory, TerritorySet

    tset = TerritorySet.objects.create(
        organisation=organisation, slug="districts", kind="district", name="Districts"
    )
    west = Territory.objects.create(
        territory_set=tset, code="B", name="Ouest", geom=square(650000, 6860000, 1000)
    )
    east = Territory.objects.create(
        territory_set=tset, code="A", name="Est", geom=square(651000, 6860000, 1000)
    )
    return tset, west, east


def make_entry(organisation, user, nomenclature, x, y):
    from interventions.models import Intervention

    return Intervention.objects.create(
        organisation=organisation,
        mediator=user,
        occurred_at=datetime(2024, 6, 1, 12, tzinfo=ZoneInfo("Europe/Paris")),
        location=Point(x, y, srid=2154),
        category=nomenclature["category"]["conflits"],
        type=nomenclature["type"]["conflit-voisinage-bruit"],
    )


def test_point_on_shared_edge_attached_once(districts, organisation, users, nomenclature):
    from territories.attachment import attach_interventions
    from territories.models import Attachment

    tset, west, east = districts
    on_edge = make_entry(organisation, users["mediator"], nomenclature, 651000, 6860500)
    inside_west = make_entry(organisation, users["mediator"], nomenclature, 650200, 6860200)
    outside = make_entry(organisation, users["mediator"], nomenclature, 660000, 6870000)
    written = attach_interventions([on_edge.pk, inside_west.pk, outside.pk])
    assert written == 2
    # The edge point goes to the smaller code: "A" (east) before "B" (west).
    assert list(Attachment.objects.filter(intervention=on_edge).values_list("territory", flat=True)) == [east.pk]
    assert list(Attachment.objects.filter(intervention=inside_west).values_list("territory", flat=True)) == [west.pk]
    outside.refresh_from_db()
    on_edge.refresh_from_db()
    assert outside.outside_territories is True
    assert on_edge.outside_territories is False


def test_reattach_set_after_boundary_change(districts, organisation, users, nomenclature):
    from territories.attachment import attach_interventions, reattach_set
    from territories.models import Attachment

    tset, west, east = districts
    entry = make_entry(organisation, users["mediator"], nomenclature, 650900, 6860500)
    attach_interventions([entry.pk])
    assert Attachment.objects.get(intervention=entry).territory == west
    west.geom = square(650000, 6860000, 800)
    west.save()
    east.geom = square(650800, 6860000, 1200)
    east.save()
    assert reattach_set(tset.pk) == 1
    assert Attachment.objects.get(intervention=entry).territory == east
