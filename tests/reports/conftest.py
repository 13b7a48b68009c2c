"""Fixtures of the report tests: three districts and a way to plant entries.

District A is a 1 km square with 2,000 inhabitants, B a 2 km square (4 km²)
with 10,000 inhabitants, C a 1 km square without a population. The client
of the `users` fixture (`client_city`) has A and B in its perimeter.
"""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.gis.geos import Point

from tests.conftest import square

PARIS = ZoneInfo("Europe/Paris")
# Lower-left corners (Lambert-93) and sides of the planted districts.
DISTRICTS = {
    "A": (650000, 6860000, 1000, 2000),
    "B": (652000, 6860000, 2000, 10000),
    "C": (656000, 6860000, 1000, None),
}


def paris(*args):
    """An aware datetime in Paris local time."""
    return dt.datetime(*args, tzinfo=PARIS)


@pytest.fixture
def districts(organisation):
    from territories.models import Territory, TerritorySet

    territory_set = TerritorySet.objects.create(
        organisation=organisation,
        slug="quartiers",
        kind="district",
        name="Quartiers",
        version=3,
        valid_from=dt.date(2020, 1, 1),
    )
    territories = {}
    for code, (x, y, size, population) in DISTRICTS.items():
        territories[code] = Territory.objects.create(
            territory_set=territory_set,
            code=code,
            name=f"Quartier {code}",
            population=population,
            geom=square(x, y, size),
        )
    return territory_set, territories


@pytest.fixture
def perimeter(client_city, districts):
    _territory_set, territories = districts
    client_city.perimeter.set([territories["A"], territories["B"]])
    return client_city


@pytest.fixture
def plant(organisation, users, nomenclature):
    """Create entries at the centre of a territory (or at a point) and attach them.

    ``plant(territory, when, n=1, category=..., type=..., themes=(), partners=(),
    outcome=None, duration=0, status="validated", offset=(0, 0))`` returns the
    entries created.
    """
    from interventions.models import Intervention
    from territories.attachment import attach_interventions

    def make(
        territory,
        when,
        n=1,
        *,
        category="conflits",
        type="conflit-voisinage-bruit",
        themes=(),
        partners=(),
        outcome=None,
        duration=0,
        status="validated",
        offset=(0, 0),
    ):
        centre = territory.geom.centroid
        created = []
        for index in range(n):
            entry = Intervention.objects.create(
                organisation=organisation,
                mediator=users["mediator"],
                occurred_at=when,
                duration_minutes=duration,
                location=Point(
                    centre.x + offset[0] + index % 7,
                    centre.y + offset[1],
                    srid=centre.srid,
                ),
                category=nomenclature["category"][category],
                type=nomenclature["type"][type],
                outcome=nomenclature["outcome"][outcome] if outcome else None,
                status=status,
            )
            entry.themes.set([nomenclature["theme"][code] for code in themes])
            entry.partners.set([nomenclature["partner"][code] for code in partners])
            created.append(entry)
        attach_interventions([entry.pk for entry in created])
        return created

    return make


def build(user, zone, start, end, step="month", **params):
    """Build a report as `user` from query-like parameters."""
    from layers.reports.zone_report import ReportRequest, build_zone_report

    query = {"zone": zone, "start": start, "end": end, "step": step, **params}
    request = ReportRequest.from_query(query)
    return build_zone_report(user=user, request=request)
