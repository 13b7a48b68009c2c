"""Mapbox vector tiles of entries, encoded by PostGIS.

Geometries are stored in the working CRS and transformed to Web Mercator
(EPSG:3857) for ``ST_AsMVTGeom``. From zoom ``POINTS_MIN_ZOOM`` on, the tile
has a layer "entries" with one point per entry. Below that zoom, it has a
layer "clusters" with one point per block of ``CLUSTER_CELL`` tile units and
the number of entries in the block, so a tile never carries every point of a
city.
"""

from django.conf import settings
from django.utils.translation import gettext as _

from layers.exceptions import InvalidParameterError
from layers.sql import entries_sql, fetch_all

EXTENT = 4096
BUFFER = 64
POINTS_MIN_ZOOM = 15
CLUSTER_CELL = 512
MAX_ZOOM = 22

# The tile envelope, widened by the buffer, is densified before it is
# transformed to the working CRS, so that its bounding box covers the curved
# image of the tile. ST_AsMVTGeom then clips exactly in EPSG:3857.
_TILE_ENTRIES = """
WITH entries AS ({entries}),
tile AS (SELECT ST_TileEnvelope(%s, %s, %s) AS env),
search AS (
    SELECT ST_Transform(
        ST_Segmentize(
            ST_Expand(tile.env, (ST_XMax(tile.env) - ST_XMin(tile.env)) * %s),
            (ST_XMax(tile.env) - ST_XMin(tile.env)) / 16
        ),
        %s
    ) AS geom
    FROM tile
),
placed AS (
    SELECT ST_AsMVTGeom(ST_Transform(entries.location, 3857), tile.env, %s, %s, TRUE)
               AS geom,
           entries.id::text AS id,
           entries.category_code AS category,
           entries.status AS status,
           to_char(entries.occurred_at AT TIME ZONE %s, 'YYYY-MM-DD HH24:MI') AS occurred
    FROM entries, tile, search
    WHERE entries.location && search.geom
)
{select}
"""

_SELECT_POINTS = """
SELECT ST_AsMVT(points, 'entries', %s, 'geom')
FROM (SELECT geom, id, category, status, occurred FROM placed WHERE geom IS NOT NULL)
    AS points
"""

_SELECT_CLUSTERS = """
SELECT ST_AsMVT(clusters, 'clusters', %s, 'geom')
FROM (
    SELECT ST_SnapToGrid(ST_Centroid(ST_Collect(geom)), 1) AS geom, count(*) AS count
    FROM placed
    WHERE geom IS NOT NULL
    GROUP BY floor(ST_X(geom) / %s), floor(ST_Y(geom) / %s)
) AS clusters
"""


def check_tile(z, x, y):
    z, x, y = int(z), int(x), int(y)
    if not 0 <= z <= MAX_ZOOM:
        raise InvalidParameterError(
            _("z=%(z)s is not a valid zoom level; use 0 to %(maximum)s.")
            % {"z": z, "maximum": MAX_ZOOM}
        )
    side = 2**z
    if not (0 <= x < side and 0 <= y < side):
        raise InvalidParameterError(
            _(
                "x=%(x)s, y=%(y)s is not a tile of zoom %(z)s; both must be from 0 to "
                "%(last)s."
            )
            % {"x": x, "y": y, "z": z, "last": side - 1}
        )
    return z, x, y


def entry_tile(interventions_qs, z, x, y):
    """Encode the entries of tile z/x/y (XYZ scheme) as a Mapbox vector tile.

    Parameters
    ----------
    interventions_qs : QuerySet of Intervention
        Entries the user may see one by one (``visible_to``), filtered.
    z, x, y : int
        Tile address in the XYZ scheme of web maps (y grows southwards).

    Returns
    -------
    bytes
        The tile (possibly empty). Points carry ``id``, ``category`` (code),
        ``status`` and ``occurred`` (local time, minute precision); clusters
        carry ``count``. No free text leaves the database.
    """
    from django.db.models import F

    z, x, y = check_tile(z, x, y)
    entries, entries_params = entries_sql(
        interventions_qs,
        "id",
        "status",
        "occurred_at",
        category_code=F("category__code"),
    )
    if z >= POINTS_MIN_ZOOM:
        select, select_params = _SELECT_POINTS, [EXTENT]
    else:
        select, select_params = _SELECT_CLUSTERS, [EXTENT, CLUSTER_CELL, CLUSTER_CELL]
    sql = _TILE_ENTRIES.format(entries=entries, select=select)
    params = (
        entries_params
        + [z, x, y, BUFFER / EXTENT, settings.WORKING_SRID, EXTENT, BUFFER]
        + [settings.TIME_ZONE]
        + select_params
    )
    rows = fetch_all(sql, params)
    tile = rows[0][0] if rows else None
    return bytes(tile) if tile else b""
