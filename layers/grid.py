"""Hexagonal grid of entry counts, computed in PostGIS.

The lattice is the one of PostGIS's ``ST_HexagonGrid``: flat-topped hexagons
whose edge length is the cell size, anchored at the origin of the working CRS.
Cell ``(i, j)`` is centred at ``x = 1.5 * size * i`` and
``y = sqrt(3) * size * (j + (i mod 2) / 2)``, so a cell keeps its id
(``H<size>_<i>_<j>``) from one period, filter or extent to the next.
"""

import math
import re

import numpy as np
import pandas as pd
from django.conf import settings
from django.utils.translation import gettext as _

import geopandas as gpd
import shapely

from layers.exceptions import GridTooLargeError, InvalidParameterError
from layers.sql import Extent, entries_sql, fetch_all

DEFAULT_CELL_SIZE = 250
MIN_CELL_SIZE = 10
# Upper bound on the number of cells of one grid, so that a tiny cell size over
# a whole region fails early with a message instead of exhausting memory.
MAX_GRID_CELLS = 250_000

_CELL_ID = re.compile(r"^H(?P<size>\d+(?:\.\d+)?)_(?P<i>-?\d+)_(?P<j>-?\d+)$")

# Cell (i, j) of each entry, from its coordinates: axial coordinates of the
# flat-topped lattice rounded to the nearest cell in cube coordinates (so
# that every point, even one on an edge, gets exactly one cell), then turned
# into the column/row of ST_HexagonGrid with j = r + floor(q / 2).
# Expects a FROM item named `entries` with a `location` column; binds the cell
# size twice.
HEX_CELL_LATERAL = """
CROSS JOIN LATERAL (
    SELECT (2.0 / 3.0) * ST_X(entries.location) / %s AS qf,
           (-ST_X(entries.location) / 3.0 + sqrt(3.0) / 3.0 * ST_Y(entries.location))
               / %s AS rf
) AS axial
CROSS JOIN LATERAL (
    SELECT round(axial.qf) AS q, round(axial.rf) AS r, round(-axial.qf - axial.rf) AS s,
           abs(round(axial.qf) - axial.qf) AS dq,
           abs(round(axial.rf) - axial.rf) AS dr,
           abs(round(-axial.qf - axial.rf) + axial.qf + axial.rf) AS ds
) AS cube
CROSS JOIN LATERAL (
    SELECT CASE WHEN cube.dq > cube.dr AND cube.dq > cube.ds
                THEN -cube.r - cube.s ELSE cube.q END AS q,
           CASE WHEN NOT (cube.dq > cube.dr AND cube.dq > cube.ds) AND cube.dr > cube.ds
                THEN -cube.q - cube.s ELSE cube.r END AS r
) AS rounded
CROSS JOIN LATERAL (
    SELECT rounded.q::bigint AS i,
           (rounded.r + floor(rounded.q / 2.0))::bigint AS j
) AS cell
"""

# Cells of the lattice covering a box, kept when their interior meets the
# extent. ST_HexagonGrid (PostGIS 3.3) can return a column of cells just
# outside the box, which the ST_Intersects test drops. Binds the box (xmin,
# ymin, xmax, ymax, srid), the cell size, then the extent's parameters.
# ST_Envelope of a line keeps a box of zero width or height valid: it becomes
# a point or a line, as for entries all at one place.
_GRID_CELLS = """
WITH box AS (
    SELECT ST_SetSRID(
        ST_Envelope(ST_MakeLine(ST_MakePoint(%s, %s), ST_MakePoint(%s, %s))), %s
    ) AS geom
)
SELECT hex.i, hex.j, ST_AsBinary(hex.geom)
FROM box, ST_HexagonGrid(%s, box.geom) AS hex
WHERE ST_Intersects(hex.geom, box.geom) AND {inside}
"""

# The same cells, generated over each polygon part's own envelope instead of
# one box, so that scattered territories do not pay for the empty land between
# them. ST_HexagonGrid anchors its lattice at the origin of the CRS, so a cell
# keeps its (i, j) and its geometry whatever the envelope. A hexagon whose
# interior meets the interior of a union of polygons meets the interior of one
# of them, so testing part by part keeps the same cells. Cells shared by parts
# appear once. Binds the parts' parameters, then the cell size.
_GRID_CELLS_BY_PART = """
WITH parts AS ({parts})
SELECT DISTINCT ON (hex.i, hex.j) hex.i, hex.j, ST_AsBinary(hex.geom)
FROM parts
CROSS JOIN LATERAL ST_HexagonGrid(%s, parts.geom) AS hex
WHERE hex.geom && parts.geom AND ST_Relate(parts.geom, hex.geom, 'T********')
"""

# Sum of the parts' envelope areas, each envelope widened by one cell size on
# every side as in `padded_box_area`. Binds the parts' parameters, then the
# cell size twice.
_PARTS_AREA = """
WITH parts AS ({parts})
SELECT sum(
    (ST_XMax(parts.geom) - ST_XMin(parts.geom) + 2 * %s)
    * (ST_YMax(parts.geom) - ST_YMin(parts.geom) + 2 * %s)
)
FROM parts
"""

# Entries per lattice cell. The cells and the counts are fetched separately
# and joined in pandas: PostgreSQL estimates one row for ST_HexagonGrid and
# would join them with a nested loop, quadratic in the number of cells.
_CELL_COUNTS = """
WITH entries AS ({entries})
SELECT cell.i, cell.j, count(*)
FROM entries
{cell_lateral}
GROUP BY cell.i, cell.j
"""

_BOUNDS = """
WITH entries AS ({entries})
SELECT ST_XMin(b.geom), ST_YMin(b.geom), ST_XMax(b.geom), ST_YMax(b.geom)
FROM (SELECT {bounds} AS geom) AS b
"""


def check_cell_size(cell_size):
    """Return `cell_size` as a float, or raise InvalidParameterError."""
    try:
        value = float(cell_size)
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value) or value < MIN_CELL_SIZE:
        raise InvalidParameterError(
            _(
                "cell_size=%(value)s is not valid; give a hexagon edge length in metres of "
                "at least %(minimum)s."
            )
            % {"value": cell_size, "minimum": MIN_CELL_SIZE}
        )
    return value


def cell_area(cell_size):
    """Area of one hexagon of edge `cell_size`, in square metres."""
    return 1.5 * math.sqrt(3.0) * cell_size**2


def cell_id(cell_size, i, j):
    """Stable id of lattice cell (i, j), for example ``"H250_1740_15847"``."""
    return f"H{cell_size:g}_{int(i)}_{int(j)}"


def parse_cell_id(value):
    """Return ``(cell_size, i, j)`` of a cell id, or raise InvalidParameterError."""
    match = _CELL_ID.match(str(value))
    if not match:
        raise InvalidParameterError(
            _("cell=%(value)s is not a cell id; expected the form H250_1740_15847.")
            % {"value": value}
        )
    return float(match["size"]), int(match["i"]), int(match["j"])


def cell_centres(cell_size, i, j):
    """Centres (x, y) of lattice cells, in the working CRS."""
    i = np.asarray(i, dtype=float)
    j = np.asarray(j, dtype=float)
    x = 1.5 * cell_size * i
    y = math.sqrt(3.0) * cell_size * (j + np.mod(i, 2) / 2.0)
    return x, y


def lattice_neighbours(i, j):
    """Arrays (position, neighbour position) of cells sharing an edge.

    `i` and `j` are the lattice indices of the grid's cells; a pair is listed
    once in each direction. Each cell has up to six neighbours: the cells
    above and below in its column, and two cells in each adjacent column.
    """
    i = np.asarray(i, dtype=np.int64)
    j = np.asarray(j, dtype=np.int64)
    position = {(a, b): k for k, (a, b) in enumerate(zip(i.tolist(), j.tolist()))}
    odd = np.mod(i, 2) == 1
    # (di, dj) for even columns, then the shift of dj for odd columns.
    offsets = [(0, -1, 0), (0, 1, 0), (-1, -1, 1), (-1, 0, 1), (1, -1, 1), (1, 0, 1)]
    focal, neighbour = [], []
    for di, dj, odd_shift in offsets:
        ni = i + di
        nj = j + dj + np.where(odd, odd_shift, 0)
        for k, key in enumerate(zip(ni.tolist(), nj.tolist())):
            other = position.get(key)
            if other is not None:
                focal.append(k)
                neighbour.append(other)
    return np.asarray(focal, dtype=np.int64), np.asarray(neighbour, dtype=np.int64)


def grid_bounds(entries, entries_params, extent):
    """(xmin, ymin, xmax, ymax) the grid covers, or None when there is nothing."""
    bounds, bounds_params = extent.bounds_sql()
    sql = _BOUNDS.format(entries=entries, bounds=bounds)
    rows = fetch_all(sql, entries_params + bounds_params)
    if rows[0][0] is None:
        return None
    return tuple(float(value) for value in rows[0])


def padded_box_area(bounds, cell_size):
    """Area in m² of `bounds` widened by one cell size on every side."""
    xmin, ymin, xmax, ymax = bounds
    return (xmax - xmin + 2 * cell_size) * (ymax - ymin + 2 * cell_size)


def parts_area(extent, cell_size):
    """Sum of the padded envelope areas of the extent's polygon parts, in m².

    Returns None when the extent is the entries' bounding box or has no part.
    """
    parts = extent.parts_sql()
    if parts is None:
        return None
    parts_sql, parts_params = parts
    sql = _PARTS_AREA.format(parts=parts_sql)
    rows = fetch_all(sql, [*parts_params, cell_size, cell_size])
    if rows[0][0] is None:
        return None
    return float(rows[0][0])


def check_grid_size(area, cell_size):
    """Raise GridTooLargeError when a grid generated over `area` m² would be too large.

    The estimate, `area` divided by the area of one cell, is an upper bound of
    the number of cells when `area` comes from `padded_box_area` or
    `parts_area`.
    """
    estimate = area / cell_area(cell_size)
    if estimate > MAX_GRID_CELLS:
        suggested = math.ceil(math.sqrt(area / MAX_GRID_CELLS / 2.6) / 10) * 10
        raise GridTooLargeError(
            _(
                "cell_size=%(value)s m gives about %(estimate)d cells over this extent, more "
                "than the limit of %(limit)d; choose a cell size of at least %(suggested)d m "
                "or a smaller extent."
            )
            % {
                "value": f"{cell_size:g}",
                "estimate": estimate,
                "limit": MAX_GRID_CELLS,
                "suggested": suggested,
            }
        )


def grid_cells(entries, entries_params, extent, cell_size):
    """Return the cells (``cell_id``, ``i``, ``j``, geometry) covering the extent.

    `entries` is the compiled SQL of the entries (see `entries_sql`), used
    when the extent is their bounding box. For territories or a geometry,
    the cells are generated over each polygon part's envelope when the parts'
    envelopes add up to less area than the overall bounding box, as for
    scattered territories, and over the bounding box otherwise. Both ways
    give the same cells. Raises GridTooLargeError.
    """
    bounds = grid_bounds(entries, entries_params, extent)
    if bounds is None:
        return _grid_frame([], cell_size)
    box_area = padded_box_area(bounds, cell_size)
    by_part_area = parts_area(extent, cell_size)

    if by_part_area is not None and by_part_area < box_area:
        check_grid_size(by_part_area, cell_size)
        parts_sql, parts_params = extent.parts_sql()
        sql = _GRID_CELLS_BY_PART.format(parts=parts_sql)
        rows = fetch_all(sql, [*parts_params, cell_size])
    else:
        check_grid_size(box_area, cell_size)
        inside, inside_params = extent.interior_intersects_sql("hex.geom")
        params = [*bounds, settings.WORKING_SRID, cell_size, *inside_params]
        rows = fetch_all(_GRID_CELLS.format(inside=inside), params)

    return _grid_frame(rows, cell_size)


def cell_counts(entries, entries_params, cell_size):
    """DataFrame of ``i``, ``j`` and ``count`` for the cells that contain entries."""
    sql = _CELL_COUNTS.format(entries=entries, cell_lateral=HEX_CELL_LATERAL)
    rows = fetch_all(sql, entries_params + [cell_size, cell_size])
    return pd.DataFrame(rows, columns=["i", "j", "count"]).astype(np.int64)


def join_cells(cells, values, columns):
    """Left-join per-cell `values` (with ``i``, ``j``) to `cells`; missing values are 0."""
    frame = cells.merge(values, on=["i", "j"], how="left", sort=False)
    for column in columns:
        frame[column] = frame[column].fillna(0).astype(np.int64)
    ordered = [name for name in frame.columns if name != "geometry"] + ["geometry"]
    frame = frame[ordered]
    frame.attrs.update(cells.attrs)
    return frame


def hex_grid_counts(interventions_qs, *, cell_size=DEFAULT_CELL_SIZE, extent=None):
    """Count entries in the hexagonal cells covering an extent.

    Parameters
    ----------
    interventions_qs : QuerySet of Intervention
        Entries to count, already scoped to the user
        (``Intervention.objects.aggregatable_by(user)``) and filtered
        (``LayerFilters.apply``).
    cell_size : float, default 250
        Edge length of a hexagon in metres (also its circumradius, as the
        ``size`` of PostGIS's ``ST_HexagonGrid``). A 250 m cell is 500 m across
        corners and covers about 0.162 km².
    extent : Territory queryset, GEOS geometry or None
        Cells whose interior intersects the territories or the geometry are
        kept (a geometry in another SRID is transformed). None uses every cell
        of the bounding box of the entries.

    Returns
    -------
    GeoDataFrame
        One row per cell, empty cells included, ordered by ``i`` then ``j``:
        ``cell_id`` (str), ``i``, ``j`` (lattice column and row), ``count``
        (int) and the hexagon ``geometry`` in the working CRS
        (``settings.WORKING_SRID``). ``frame.attrs["cell_size"]`` contains
        the size used.

    Raises
    ------
    InvalidParameterError
        When `cell_size` is not a number of at least 10 m.
    GridTooLargeError
        When the estimated number of cells is more than ``MAX_GRID_CELLS``.

    Notes
    -----
    Each entry is counted once, in the cell whose centre is nearest to it, so
    a point on a shared edge is not counted twice. Entries that fall in a cell
    whose interior misses the extent are left out. Counting runs in PostGIS:
    entries are binned arithmetically and grouped by cell, and the cells come
    from ``ST_HexagonGrid``.
    """
    cell_size = check_cell_size(cell_size)
    extent = Extent.resolve(extent)
    entries, entries_params = entries_sql(interventions_qs)

    cells = grid_cells(entries, entries_params, extent, cell_size)
    counts = cell_counts(entries, entries_params, cell_size)

    return join_cells(cells, counts, ["count"])


def _grid_frame(rows, cell_size):
    """Cells ordered by i then j, from rows (i, j, wkb)."""
    rows = sorted(rows, key=lambda row: (row[0], row[1]))
    i = np.asarray([row[0] for row in rows], dtype=np.int64)
    j = np.asarray([row[1] for row in rows], dtype=np.int64)
    frame = gpd.GeoDataFrame(
        {
            "cell_id": [cell_id(cell_size, a, b) for a, b in zip(i, j)],
            "i": i,
            "j": j,
        },
        geometry=shapely.from_wkb([bytes(row[2]) for row in rows]),
        crs=f"EPSG:{settings.WORKING_SRID}",
    )
    frame.attrs["cell_size"] = cell_size
    return frame
