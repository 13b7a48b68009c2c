"""The exported layers: who may export each, in which formats, from which source.

Client viewers get aggregated layers of their perimeter only, with small counts
(under ``settings.SMALL_COUNT_THRESHOLD``, zero included) suppressed:

- zone statistics: the count and its rates are left empty and
  ``count_suppressed`` is true. Within a territory, the total and the
  categories are suppressed together, so that no hidden count is the
  difference of published ones (see `sources.ZoneStatisticsSource`);
- hot spots: the count of a cell under the threshold is left empty. The
  ``gi_z`` and ``gi_p`` of every cell are left empty too, because with the
  neighbourhood structure they would let one solve for the hidden counts.
  The confidence class ``gi_bin`` stays;
- coverage: each count under the threshold is left empty, with the same
  together-suppression within a unit (entries = demand + active entries,
  demand and presence hours = the sum of their time slots), and the ratio
  and missing hours are left empty when a count they use is hidden;
- density: see `raster.export_density`.
"""

import math
from dataclasses import dataclass

import numpy as np
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from accounts import scoping
from layers.exports import schemas
from layers.exports.sources import (
    EntrySource,
    FrameSource,
    TerritorySource,
    ZoneStatisticsSource,
    selected_territories,
)

VECTOR_FORMATS = ("shp", "gpkg", "geojson", "csv")
RASTER_FORMATS = ("tif",)
FORMAT_LABELS = {
    "shp": _("Shapefile (zipped)"),
    "gpkg": _("GeoPackage"),
    "geojson": _("GeoJSON (WGS84)"),
    "csv": _("CSV"),
    "tif": _("GeoTIFF"),
}
# EPSG:4326 (WGS84), 2154 (Lambert-93), 3857 (web Mercator) and the nine
# conic conformal zones CC42 to CC50 (3942 to 3950).
SRIDS = (2154, 4326, 3857, *range(3942, 3951))
SRID_LABELS = {
    2154: _("Lambert-93 (EPSG:2154)"),
    4326: _("WGS84 longitude/latitude (EPSG:4326)"),
    3857: _("Web Mercator (EPSG:3857)"),
    # Conic conformal zone names are proper names, left untranslated.
    **{srid: f"CC{srid - 3900} (EPSG:{srid})" for srid in range(3942, 3951)},
}

# Who may export what, as in the role table: role admins manage users and the
# nomenclature, and export nothing.
ENTRY_ROLES = (scoping.COORDINATOR, scoping.ANALYST)
AGGREGATE_ROLES = (*ENTRY_ROLES, scoping.CLIENT_VIEWER)


@dataclass(frozen=True)
class LayerSpec:
    name: str
    label: str
    roles: tuple
    formats: tuple
    build: object = None
    schema: object = None
    # Options the layer reads, besides the filters.
    options: tuple = ()

    @property
    def is_raster(self):
        return self.formats == RASTER_FORMATS

    def allows(self, scope):
        return scope.role in self.roles


def _entries(scope, filters, options):
    return EntrySource(filters.apply(scope.entries()))


def _territories(scope, filters, options):
    return TerritorySource(scope, filters)


def _zone_statistics(scope, filters, options):
    return ZoneStatisticsSource(scope, filters, by_category=False)


def _zone_statistics_by_category(scope, filters, options):
    return ZoneStatisticsSource(scope, filters, by_category=True)


def grid_extent(scope, filters):
    """Territories a grid covers: the filters', else a client viewer's perimeter."""
    if filters.territories:
        return scope.territories().filter(id__in=filters.territories)
    if filters.territory_set:
        return scope.territories().filter(territory_set_id=filters.territory_set)
    if scope.suppresses_small_counts:
        return scope.territories()
    return None


def _optional_float(value):
    if value is None:
        return None
    value = float(value)
    return None if math.isnan(value) else value


def _hotspots(scope, filters, options):
    from layers.hotspots import hotspot_layer

    entries = filters.apply(scope.aggregatable_entries())
    result = hotspot_layer(
        entries, cell_size=options.cell_size, extent=grid_extent(scope, filters)
    )
    cells = result.cells
    threshold = settings.SMALL_COUNT_THRESHOLD
    suppress = scope.suppresses_small_counts
    values = []
    for cell_id, count, gi_z, gi_p, gi_bin, neighbours, is_island in zip(
        cells["cell_id"].tolist(),
        cells["count"].tolist(),
        cells["gi_z"].tolist(),
        cells["gi_p"].tolist(),
        cells["gi_bin"].tolist(),
        cells["neighbours"].tolist(),
        cells["is_island"].tolist(),
    ):
        hidden = suppress and count < threshold
        values.append(
            (
                cell_id,
                float(result.cell_size),
                None if hidden else int(count),
                hidden,
                None if suppress else _optional_float(gi_z),
                None if suppress else _optional_float(gi_p),
                int(gi_bin),
                int(neighbours),
                bool(is_island),
            )
        )
    messages = [result.message] if result.message else []
    return FrameSource(schemas.HOTSPOTS, cells, values, messages)


def _coverage_values(frame, key_columns, suppress):
    threshold = settings.SMALL_COUNT_THRESHOLD
    counts = {name: frame[name].tolist() for name in schemas.COVERAGE_COUNT_FIELDS}
    keys = [frame[name].tolist() for name in key_columns]
    ratio = frame["coverage_ratio"].tolist()
    missing = frame["missing_hours"].tolist()
    is_gap = frame["is_gap"].tolist()
    gap_rank = frame["gap_rank"].tolist()
    values = []
    for position in range(len(frame)):
        unit = {name: int(counts[name][position]) for name in counts}
        hidden = _hidden_coverage_figures(unit, threshold) if suppress else set()
        derived_hidden = bool(hidden & {"demand", "presence_hours"})
        values.append(
            (
                *(key[position] for key in keys),
                *(None if name in hidden else unit[name] for name in counts),
                None if derived_hidden else _optional_float(ratio[position]),
                None if derived_hidden else _optional_float(missing[position]),
                bool(is_gap[position]),
                int(gap_rank[position]),
                bool(hidden),
            )
        )
    return values


def _hidden_coverage_figures(unit, threshold):
    """Names of the coverage figures of one unit to hide from a client viewer."""
    from layers.filters import TIME_SLOTS
    from layers.reports.suppression import FigureBook

    book = FigureBook(threshold)
    for name, value in unit.items():
        book.add(name, value)
    book.add_relation("entries", ["demand", "active_entries"])
    book.add_relation("demand", [f"demand_{slot}" for slot in TIME_SLOTS])
    book.add_relation("presence_hours", [f"presence_hours_{slot}" for slot in TIME_SLOTS])
    book.suppress()
    return {name for name in unit if book.is_suppressed(name)}


def _coverage_territories(scope, filters, options):
    from layers.coverage import coverage_by_territory, gap_layer

    territories = selected_territories(scope, filters, schemas.COVERAGE_TERRITORIES.name)
    entries = filters.apply(scope.aggregatable_entries())
    frame = gap_layer(coverage_by_territory(entries, territories=territories))
    values = _coverage_values(
        frame, ["territory_id", "code", "name"], scope.suppresses_small_counts
    )
    return FrameSource(schemas.COVERAGE_TERRITORIES, frame, values)


def _coverage_cells(scope, filters, options):
    from layers.coverage import coverage_by_cell, gap_layer

    entries = filters.apply(scope.aggregatable_entries())
    frame = gap_layer(
        coverage_by_cell(
            entries, cell_size=options.cell_size, extent=grid_extent(scope, filters)
        )
    )
    cell_size = frame.attrs.get("cell_size", options.cell_size)
    frame["cell_size_m"] = np.full(len(frame), float(cell_size))
    values = _coverage_values(
        frame, ["cell_id", "cell_size_m"], scope.suppresses_small_counts
    )
    return FrameSource(schemas.COVERAGE_CELLS, frame, values)


LAYERS = {
    spec.name: spec
    for spec in (
        LayerSpec(
            "entries", _("Entries (points)"), ENTRY_ROLES, VECTOR_FORMATS, _entries,
            schemas.ENTRIES,
        ),
        LayerSpec(
            "territories", _("Territories"), AGGREGATE_ROLES, VECTOR_FORMATS, _territories,
            schemas.TERRITORIES,
        ),
        LayerSpec(
            "zone_statistics",
            _("Zone statistics (counts and rates per territory)"),
            AGGREGATE_ROLES,
            VECTOR_FORMATS,
            _zone_statistics,
            schemas.ZONE_STATISTICS,
        ),
        LayerSpec(
            "zone_statistics_by_category",
            _("Zone statistics by category"),
            AGGREGATE_ROLES,
            VECTOR_FORMATS,
            _zone_statistics_by_category,
            schemas.ZONE_STATISTICS_BY_CATEGORY,
        ),
        LayerSpec(
            "hotspots",
            _("Hot spots (Getis-Ord Gi* on hexagons)"),
            AGGREGATE_ROLES,
            VECTOR_FORMATS,
            _hotspots,
            schemas.HOTSPOTS,
            options=("cell_size",),
        ),
        LayerSpec(
            "coverage_territories",
            _("Coverage and gaps per territory"),
            AGGREGATE_ROLES,
            VECTOR_FORMATS,
            _coverage_territories,
            schemas.COVERAGE_TERRITORIES,
        ),
        LayerSpec(
            "coverage_cells",
            _("Coverage and gaps per hexagon"),
            AGGREGATE_ROLES,
            VECTOR_FORMATS,
            _coverage_cells,
            schemas.COVERAGE_CELLS,
            options=("cell_size",),
        ),
        LayerSpec(
            "density",
            _("Kernel density (entries per km²)"),
            AGGREGATE_ROLES,
            RASTER_FORMATS,
            options=("bandwidth", "pixel_size"),
        ),
    )
}


def layers_for(scope):
    """Return the layer specs the scope's role may export, in display order."""
    return [spec for spec in LAYERS.values() if spec.allows(scope)]
