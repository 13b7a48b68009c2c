"""The top hotspot cells of a zone, from the Getis-Ord Gi* layer."""

import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry

from layers.exceptions import LayerError
from territories.models import Territory

logger = logging.getLogger(__name__)

TOP_CELLS = 5
CELL_SIZE_M = 250


@dataclass
class TopCells:
    """The cells a report lists, hottest first.

    `method` is "gi_star" when the Gi* statistic was computed, "count" when
    the data were too thin for it and the cells are ranked by their count.
    `nonempty` is the number of cells of the whole grid with at least one
    entry, and `grid_total` the number of entries those cells hold.
    """

    method: str
    cells: list = field(default_factory=list)
    message: str | None = None
    nonempty: int = 0
    grid_total: int = 0
    cell_size_m: float = CELL_SIZE_M


def top_cells(entries, zone, *, limit=TOP_CELLS, cell_size_m=CELL_SIZE_M):
    """Rank the grid cells of a zone and keep the first `limit` with entries.

    Parameters
    ----------
    entries : QuerySet of Intervention
        The zone's entries for the report period, scoped and filtered.
    zone : Zone
        Its territories bound the grid.
    limit : int
        Number of cells kept.
    cell_size_m : float
        Hexagon edge length in metres.

    Returns
    -------
    TopCells
        Cells as dicts with ``cell_id``, ``count``, ``gi_z``, ``gi_p``,
        ``gi_bin`` (-3..3, 0 when not significant or not tested) and ``geom``
        (GEOS polygon in the working CRS). Hot spots (``gi_bin`` > 0) come
        first by decreasing z-score, then the other cells by decreasing count.
    """
    # Imported here: the hotspot module loads esda and libpysal, which only
    # reports and hotspot layers need.
    from layers.hotspots import hotspot_layer

    extent = Territory.objects.filter(pk__in=zone.territory_ids)
    try:
        # Permutations only refine gi_p_sim, which the normal inference ignores.
        result = hotspot_layer(
            entries,
            cell_size=cell_size_m,
            extent=extent,
            permutations=0,
            inference="normal",
        )
    except LayerError as error:
        logger.error("no hotspot cells for zone %s: %s", zone.spec, error)
        return TopCells(method="count", message=str(error), cell_size_m=cell_size_m)
    frame = result.cells
    with_entries = frame[frame["count"] > 0]
    hot = with_entries["gi_bin"] > 0
    ranked = with_entries.assign(
        hot=hot.astype(int), hot_z=with_entries["gi_z"].where(hot, 0.0)
    ).sort_values(
        ["hot", "hot_z", "count", "cell_id"], ascending=[False, False, False, True]
    )

    cells = []
    for row in ranked.head(limit).itertuples():
        cells.append(
            {
                "cell_id": row.cell_id,
                "count": int(row.count),
                "gi_z": float(row.gi_z),
                "gi_p": float(row.gi_p),
                "gi_bin": int(row.gi_bin),
                "geom": GEOSGeometry(
                    memoryview(row.geometry.wkb), srid=settings.WORKING_SRID
                ),
            }
        )
    return TopCells(
        method="gi_star" if result.message is None else "count",
        cells=cells,
        message=result.message,
        nonempty=len(with_entries),
        grid_total=int(with_entries["count"].sum()),
        cell_size_m=cell_size_m,
    )
