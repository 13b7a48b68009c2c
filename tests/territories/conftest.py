"""Helpers of the territory tests: small GIS files written in tmp_path."""

import json

import pytest

import geopandas as gpd
from shapely.geometry import Polygon, box

# Lambert-93 coordinates of a point in Paris, to build small planted squares.
PARIS_X, PARIS_Y = 651000, 6862000


def write_geojson(path, features, crs=None):
    """Write a GeoJSON file by hand, so that odd cases (legacy crs member,
    swapped axes, null geometries) reach the importer exactly as written."""
    collection = {"type": "FeatureCollection", "features": features}
    if crs is not None:
        collection["crs"] = {"type": "name", "properties": {"name": crs}}
    path.write_text(json.dumps(collection), encoding="utf-8")
    return path


def feature(geometry, **properties):
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def ring(x, y, size):
    """A closed square ring as GeoJSON coordinates."""
    return [[x, y], [x + size, y], [x + size, y + size], [x, y + size], [x, y]]


def squares_frame(specs, crs=2154):
    """A GeoDataFrame of squares: specs are (code, name, x, y, size)."""
    return gpd.GeoDataFrame(
        {
            "code": [s[0] for s in specs],
            "nom": [s[1] for s in specs],
        },
        geometry=[box(s[2], s[3], s[2] + s[4], s[3] + s[4]) for s in specs],
        crs=crs,
    )


def bow_tie(x, y, size):
    """A self-intersecting square whose two triangles meet at the centre."""
    return Polygon([(x, y), (x + size, y + size), (x + size, y), (x, y + size), (x, y)])


@pytest.fixture
def stored_areas(db):
    """Return {code: area in m2} of a set, computed by PostGIS."""
    from django.db import connection

    def areas(territory_set):
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT code, ST_Area(geom) FROM territories_territory "
                "WHERE territory_set_id = %s",
                [territory_set.pk],
            )
            return dict(cursor.fetchall())

    return areas


@pytest.fixture
def english():
    """Run in English, so that messages can be matched whatever catalogues exist."""
    from django.utils import translation

    with translation.override("en"):
        yield
