"""Helpers to plant entries and territories for the layer tests."""

import datetime as dt
from zoneinfo import ZoneInfo

import numpy as np
import pytest

PARIS = ZoneInfo("Europe/Paris")
# Lower-left corner of the planted study area, in Lambert-93 (Paris area).
X0, Y0 = 650000.0, 6860000.0
CATEGORY_TYPES = {
    "presence-active": "tournee-pied",
    "conflits": "conflit-voisinage-bruit",
    "incivilites": "depot-sauvage",
}


# One INSERT for many entries: the ORM's bulk_create builds a GEOS point per
# row and is about twenty times slower for the thousands of entries the
# statistical tests plant.
_INSERT_ENTRIES = """
INSERT INTO interventions_intervention (
    id, organisation_id, mediator_id, occurred_at, duration_minutes, location,
    location_method, category_id, type_id, people_count, intensity, note, status,
    review_comment, outside_territories, is_demo, created_at, updated_at
)
SELECT gen_random_uuid(), %s, %s, %s, %s, ST_SetSRID(ST_MakePoint(xy.x, xy.y), 2154),
       'map_tap', %s, %s, 1, 1, '', %s, '', FALSE, FALSE, now(), now()
FROM unnest(%s::float8[], %s::float8[]) AS xy (x, y)
RETURNING id
"""


@pytest.fixture
def plant(nomenclature):
    """Insert entries at (x, y) points in the working CRS; return their ids.

    The rows are inserted in SQL and send no signal, so planting does not
    invalidate cached layers; tests of the cache create entries one by one.
    """
    from django.db import connection

    def plant_entries(
        organisation,
        mediator,
        xs,
        ys,
        *,
        category="conflits",
        status="validated",
        occurred_at=None,
        duration_minutes=0,
    ):
        occurred_at = occurred_at or dt.datetime(2024, 6, 3, 10, tzinfo=PARIS)
        params = [
            organisation.pk,
            mediator.pk,
            occurred_at,
            duration_minutes,
            nomenclature["category"][category].pk,
            nomenclature["type"][CATEGORY_TYPES[category]].pk,
            status,
            [float(x) for x in np.atleast_1d(xs)],
            [float(y) for y in np.atleast_1d(ys)],
        ]
        with connection.cursor() as cursor:
            cursor.execute(_INSERT_ENTRIES, params)
            return [row[0] for row in cursor.fetchall()]

    return plant_entries


@pytest.fixture
def make_territories(organisation):
    """Create a territory set with square territories: {code: (x, y, size)}."""
    from territories.models import Territory, TerritorySet

    from tests.conftest import square

    def make(squares, *, slug="districts", org=None):
        tset = TerritorySet.objects.create(
            organisation=org or organisation,
            slug=slug,
            kind="district",
            name=slug.title(),
        )
        territories = {
            code: Territory.objects.create(
                territory_set=tset,
                code=code,
                name=f"Secteur {code}",
                geom=square(x, y, size),
            )
            for code, (x, y, size) in squares.items()
        }
        return tset, territories

    return make


@pytest.fixture(autouse=True)
def clear_layer_cache():
    """Layers are cached in the process-wide test cache; start each test empty."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
