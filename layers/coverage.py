"""Mediator presence against demand, per territory and per grid cell, and gaps.

Presence is measured in distinct local clock hours and days during which
mediators recorded something in the unit: an entry covers the clock hours
from its start to its start plus its duration (at least the hour it starts
in). Presence hours are given for "présence active" entries (category code
``presence-active``), for the other interventions and for both together.
Demand is the number of entries of the other categories. Both are also split
by time slot (morning, afternoon, evening, night, as in `layers.filters`):
an hour counts in the slot it starts in, an entry in the slot of its start.
"""

import numpy as np
import pandas as pd
from django.conf import settings
from django.utils.translation import gettext as _

import geopandas as gpd
import shapely

from layers.exceptions import InvalidParameterError
from layers.filters import TIME_SLOTS
from layers.grid import (
    DEFAULT_CELL_SIZE,
    HEX_CELL_LATERAL,
    check_cell_size,
    grid_cells,
    join_cells,
)
from layers.sql import Extent, entries_sql, fetch_all

PRESENCE_CATEGORY = "presence-active"
DEFAULT_MIN_DEMAND = 5
DEFAULT_MIN_RATIO = 0.5

COUNT_COLUMNS = [
    "entries",
    "demand",
    "active_entries",
    "presence_days",
    "presence_hours",
    "active_days",
    "active_hours",
    "other_days",
    "other_hours",
    *[f"presence_hours_{slot}" for slot in TIME_SLOTS],
    *[f"demand_{slot}" for slot in TIME_SLOTS],
]


def _slot_case(hour_sql):
    """SQL CASE naming the time slot of a local hour, from `TIME_SLOTS`."""
    branches = []
    for slot, (first, last) in TIME_SLOTS.items():
        if first < last:
            condition = f"{hour_sql} >= {first} AND {hour_sql} < {last}"
        else:
            condition = f"({hour_sql} >= {first} OR {hour_sql} < {last})"
        branches.append(f"WHEN {condition} THEN '{slot}'")
    return "CASE " + " ".join(branches) + " END"


# Per unit `key` (one or more columns of `units`): entry counts and presence
# hours, in one aggregate over the clock hours each entry covers. The first
# hour row of an entry (is_first) stands for the entry itself. `units` must
# provide the key, local_start (timestamp without time zone),
# duration_minutes and is_presence. The output columns follow COUNT_COLUMNS.
_AGGREGATES = """
hours AS (
    SELECT {key}, units.is_presence, units.local_start, hour.start AS hour_start,
           hour.start = date_trunc('hour', units.local_start) AS is_first
    FROM units
    CROSS JOIN LATERAL generate_series(
        date_trunc('hour', units.local_start),
        units.local_start + make_interval(mins => GREATEST(units.duration_minutes, 1))
            - interval '1 microsecond',
        interval '1 hour'
    ) AS hour (start)
)
SELECT {key},
       count(*) FILTER (WHERE is_first) AS entries,
       count(*) FILTER (WHERE is_first AND NOT is_presence) AS demand,
       count(*) FILTER (WHERE is_first AND is_presence) AS active_entries,
       count(DISTINCT hour_start::date) AS presence_days,
       count(DISTINCT hour_start) AS presence_hours,
       count(DISTINCT hour_start::date) FILTER (WHERE is_presence) AS active_days,
       count(DISTINCT hour_start) FILTER (WHERE is_presence) AS active_hours,
       count(DISTINCT hour_start::date) FILTER (WHERE NOT is_presence) AS other_days,
       count(DISTINCT hour_start) FILTER (WHERE NOT is_presence) AS other_hours,
       {hours_by_slot},
       {demand_by_slot}
FROM hours
GROUP BY {key}
"""

# Units and counts are joined in pandas, as for the grid counts (see
# layers.grid), so that no nested loop over thousands of units can occur.
_CELL_COVERAGE = """
WITH entries AS ({entries}),
units AS (
    SELECT cell.i, cell.j,
           entries.occurred_at AT TIME ZONE %s AS local_start,
           entries.duration_minutes,
           COALESCE(entries.category_code = %s, FALSE) AS is_presence
    FROM entries
    {cell_lateral}
),
{aggregates}
"""

_TERRITORY_COVERAGE = """
WITH entries AS ({entries}),
units AS (
    SELECT attachment.territory_id,
           entries.occurred_at AT TIME ZONE %s AS local_start,
           entries.duration_minutes,
           COALESCE(entries.category_code = %s, FALSE) AS is_presence
    FROM entries
    JOIN territories_attachment AS attachment
      ON attachment.intervention_id = entries.id
     AND attachment.territory_id = ANY(%s)
),
{aggregates}
"""

_TERRITORIES = """
SELECT id, code, name, ST_AsBinary(geom)
FROM territories_territory
WHERE id = ANY(%s)
ORDER BY code, id
"""


def _aggregates_sql(key):
    demand_by_slot = ",\n       ".join(
        f"count(*) FILTER (WHERE is_first AND NOT is_presence AND "
        f"{_slot_case('extract(hour FROM local_start)')} = '{slot}') AS demand_{slot}"
        for slot in TIME_SLOTS
    )
    hours_by_slot = ",\n       ".join(
        f"count(DISTINCT hour_start) FILTER (WHERE "
        f"{_slot_case('extract(hour FROM hour_start)')} = '{slot}') "
        f"AS presence_hours_{slot}"
        for slot in TIME_SLOTS
    )
    return _AGGREGATES.format(
        key=key, demand_by_slot=demand_by_slot, hours_by_slot=hours_by_slot
    )


def _unit_counts(sql, params, key_columns):
    """DataFrame of the key columns and COUNT_COLUMNS from an aggregate query."""
    frame = pd.DataFrame(fetch_all(sql, params), columns=key_columns + COUNT_COLUMNS)
    return frame.astype({name: np.int64 for name in COUNT_COLUMNS})


def _entries_for_coverage(interventions_qs):
    from django.db.models import F

    return entries_sql(
        interventions_qs,
        "id",
        "occurred_at",
        "duration_minutes",
        category_code=F("category__code"),
    )


def coverage_by_cell(interventions_qs, *, cell_size=DEFAULT_CELL_SIZE, extent=None):
    """Count presence hours and demand in each hexagon of the grid.

    Parameters
    ----------
    interventions_qs : QuerySet of Intervention
        Entries, already scoped to the user and filtered. Leave the category
        filter out, or the layer loses either presence or demand.
    cell_size : float, default 250
        Hexagon edge length in metres, as in `hex_grid_counts`; cells have
        the same ids.
    extent : Territory queryset, GEOS geometry or None
        Area of the grid, as in `hex_grid_counts`.

    Returns
    -------
    GeoDataFrame
        One row per cell (empty cells included) in the working CRS, with
        ``cell_id``, ``i``, ``j``, the columns of ``COUNT_COLUMNS`` (ints),
        ``coverage_ratio`` (presence hours per demand entry, NaN when there
        is no demand) and the hexagon ``geometry``.

    Notes
    -----
    Dates and hours are local to ``settings.TIME_ZONE``. Entries are placed
    in cells as in `hex_grid_counts`.
    """
    cell_size = check_cell_size(cell_size)
    extent = Extent.resolve(extent)
    entries, entries_params = _entries_for_coverage(interventions_qs)
    cells = grid_cells(entries, entries_params, extent, cell_size)

    sql = _CELL_COVERAGE.format(
        entries=entries,
        cell_lateral=HEX_CELL_LATERAL,
        aggregates=_aggregates_sql("i, j"),
    )
    params = entries_params + [
        settings.TIME_ZONE,
        PRESENCE_CATEGORY,
        cell_size,
        cell_size,
    ]
    counts = _unit_counts(sql, params, ["i", "j"])

    frame = join_cells(cells, counts, COUNT_COLUMNS)
    frame["coverage_ratio"] = _ratio(frame["presence_hours"], frame["demand"])
    return frame


def coverage_by_territory(interventions_qs, *, territories):
    """Count presence hours and demand in each territory.

    Parameters
    ----------
    interventions_qs : QuerySet of Intervention
        Entries, already scoped to the user and filtered.
    territories : Territory queryset
        Territories to report, already scoped to the user; each gets a row,
        even without entries.

    Returns
    -------
    GeoDataFrame
        ``territory_id``, ``code``, ``name``, the columns of
        ``COUNT_COLUMNS``, ``coverage_ratio`` and the territory ``geometry``
        in the working CRS.

    Notes
    -----
    An entry counts in a territory when it is attached to it (the
    attachment, made when the entry was saved, picks one territory per set),
    so territories of one set never share an entry.
    """
    territory_ids = list(territories.order_by().values_list("pk", flat=True))
    entries, entries_params = _entries_for_coverage(interventions_qs)

    sql = _TERRITORY_COVERAGE.format(
        entries=entries, aggregates=_aggregates_sql("territory_id")
    )
    params = entries_params + [settings.TIME_ZONE, PRESENCE_CATEGORY, territory_ids]
    counts = _unit_counts(sql, params, ["territory_id"])
    units = _territory_frame(territory_ids)

    frame = units.merge(counts, on="territory_id", how="left", sort=False)
    for name in COUNT_COLUMNS:
        frame[name] = frame[name].fillna(0).astype(np.int64)
    frame["coverage_ratio"] = _ratio(frame["presence_hours"], frame["demand"])
    return frame


def _territory_frame(territory_ids):
    rows = fetch_all(_TERRITORIES, [territory_ids])
    return gpd.GeoDataFrame(
        {
            "territory_id": [row[0] for row in rows],
            "code": [row[1] for row in rows],
            "name": [row[2] for row in rows],
        },
        geometry=shapely.from_wkb([bytes(row[3]) for row in rows]),
        crs=f"EPSG:{settings.WORKING_SRID}",
    )


def _ratio(numerator, denominator):
    numerator = numerator.to_numpy(dtype=float)
    denominator = denominator.to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / np.maximum(denominator, 1), np.nan)


def gap_layer(coverage, *, min_demand=DEFAULT_MIN_DEMAND, min_ratio=DEFAULT_MIN_RATIO):
    """Flag the units where demand is high and presence low.

    Parameters
    ----------
    coverage : GeoDataFrame
        Output of `coverage_by_cell` or `coverage_by_territory`.
    min_demand : int, default 5
        Demand (entries other than présence active) from which a unit can be
        a gap; fewer entries are too few to judge.
    min_ratio : float, default 0.5
        Presence hours expected per demand entry: 0.5 requires at least one
        hour of presence for every two demand entries.

    Returns
    -------
    GeoDataFrame
        A copy of `coverage` with ``missing_hours`` (presence hours lacking
        to reach ``min_ratio * demand``, 0 when reached), ``is_gap`` (bool)
        and ``gap_rank`` (1 for the largest ``missing_hours``, 0 when not a
        gap), same CRS.

    Notes
    -----
    The rule: a unit is a gap when ``demand >= min_demand`` and
    ``presence_hours < min_ratio * demand``. For instance 10 demand entries
    and 3 presence hours make a gap with 2 missing hours at the default
    ratio; 10 entries and 5 hours do not.
    """
    _check_gap_arguments(min_demand, min_ratio)
    frame = coverage.copy()
    demand = frame["demand"].to_numpy(dtype=float)
    presence = frame["presence_hours"].to_numpy(dtype=float)

    missing = np.maximum(0.0, min_ratio * demand - presence)
    is_gap = (demand >= min_demand) & (presence < min_ratio * demand)
    frame["missing_hours"] = np.where(is_gap, missing, 0.0)
    frame["is_gap"] = is_gap
    frame["gap_rank"] = _gap_ranks(frame["missing_hours"].to_numpy(), is_gap)

    return frame


def _check_gap_arguments(min_demand, min_ratio):
    if not isinstance(min_demand, (int, float)) or min_demand < 1:
        raise InvalidParameterError(
            _(
                "min_demand=%(value)s is not valid; give a number of entries of at least 1."
            )
            % {"value": min_demand}
        )
    if not isinstance(min_ratio, (int, float)) or min_ratio <= 0:
        raise InvalidParameterError(
            _(
                "min_ratio=%(value)s is not valid; give a positive number of presence hours "
                "per demand entry, such as 0.5."
            )
            % {"value": min_ratio}
        )


def _gap_ranks(missing, is_gap):
    ranks = np.zeros(len(missing), dtype=np.int64)
    order = np.argsort(-missing, kind="stable")
    rank = 0
    for position in order:
        if is_gap[position]:
            rank += 1
            ranks[position] = rank
    return ranks
