"""Layer endpoints: GeoJSON in EPSG:4326, density images, entry tiles.

Every endpoint takes the shared filters (`LayerFilters`) as query
parameters and starts from the entries the user may aggregate. Results are
cached per user scope and filters. An invalid parameter returns 400 with a
message naming the value.
"""

import json
import logging
import math
import time
from pathlib import Path

import numpy as np
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import F
from django.contrib.gis.db.models.functions import AsGeoJSON, Transform
from django.http import FileResponse, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

import shapely

from layers import cache as layer_cache
from layers.access import (
    can_view_entries,
    can_view_layers,
    layer_request,
    suppressed,
)
from layers.coverage import (
    COUNT_COLUMNS,
    coverage_by_cell,
    coverage_by_territory,
    gap_layer,
)
from layers.density import density_png, density_surface, mask_small_counts
from layers.exceptions import InvalidParameterError, LayerError
from layers.grid import DEFAULT_CELL_SIZE, parse_cell_id
from layers.hotspots import hotspot_layer
from layers.summary import cell_category_counts, territory_category_counts
from layers.tiles import entry_tile

logger = logging.getLogger(__name__)

MIN_API_CELL_SIZE = 50
MAX_API_CELL_SIZE = 5000
TOP_CATEGORIES = 5
DENSITY_FILE_MAX_AGE = 24 * 3600

HOTSPOT_COLOURS = {
    3: "#d62f27",
    2: "#ed7551",
    1: "#fab984",
    0: "#f2f2ee",
    -1: "#b5c8e0",
    -2: "#7599c1",
    -3: "#4575b5",
}


FILTER_PARAMETERS = [
    OpenApiParameter(
        "start", OpenApiTypes.DATE, description="First local day, included."
    ),
    OpenApiParameter("end", OpenApiTypes.DATE, description="Last local day, included."),
    OpenApiParameter("category", str, description="Category codes, comma-separated."),
    OpenApiParameter(
        "type", str, description="Intervention type codes, comma-separated."
    ),
    OpenApiParameter("theme", str, description="Theme codes, comma-separated."),
    OpenApiParameter(
        "territory_set", int, description="Territory set id (the extent)."
    ),
    OpenApiParameter("territory", str, description="Territory ids, comma-separated."),
    OpenApiParameter(
        "status", str, description="Statuses, comma-separated, default validated."
    ),
    OpenApiParameter(
        "time_slot", str, description="morning, afternoon, evening, night."
    ),
    OpenApiParameter("day_kind", str, description="weekday or weekend."),
]
CELL_SIZE_PARAMETER = OpenApiParameter(
    "cell_size",
    float,
    description="Hexagon edge length in metres, 50 to 5000, default 250.",
)


def layer_schema(
    summary, parameters=(), response=OpenApiTypes.OBJECT, operation_id=None
):
    """OpenAPI description of a layer endpoint's GET."""
    return extend_schema_view(
        get=extend_schema(
            operation_id=operation_id,
            summary=summary,
            parameters=[*FILTER_PARAMETERS, *parameters],
            responses={200: response, 400: OpenApiTypes.OBJECT},
        )
    )


class CanViewLayers(permissions.BasePermission):
    def has_permission(self, request, view):
        return can_view_layers(request.user)


class CanViewEntries(permissions.BasePermission):
    def has_permission(self, request, view):
        return can_view_entries(request.user)


def _number(params, name, *, default=None, minimum, maximum, integer=False):
    raw = params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or not minimum <= value <= maximum:
        raise InvalidParameterError(
            _(
                "%(name)s=%(value)s is not valid; give a number from %(minimum)s to "
                "%(maximum)s."
            )
            % {"name": name, "value": raw, "minimum": minimum, "maximum": maximum}
        )
    return value


def _cell_size(params):
    return _number(
        params,
        "cell_size",
        default=DEFAULT_CELL_SIZE,
        minimum=MIN_API_CELL_SIZE,
        maximum=MAX_API_CELL_SIZE,
    )


def _round_coordinates(geometries):
    return shapely.transform(geometries, lambda coords: np.round(coords, 6))


def _clean(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, np.generic):
        return _clean(value.item())
    return value


def frame_to_feature_collection(frame, columns, **members):
    """GeoJSON FeatureCollection (dict) in EPSG:4326 of `columns` of a frame."""
    wgs84 = frame.to_crs(4326)
    geometries = shapely.to_geojson(_round_coordinates(wgs84.geometry.to_numpy()))
    records = wgs84[columns].to_dict("records")
    features = [
        {
            "type": "Feature",
            "properties": {key: _clean(value) for key, value in record.items()},
            "geometry": json.loads(geometry),
        }
        for record, geometry in zip(records, geometries)
    ]
    return {"type": "FeatureCollection", **members, "features": features}


class LayerApi(APIView):
    """Common handling: permissions, filters, 400 on bad input, caching."""

    permission_classes = [permissions.IsAuthenticated, CanViewLayers]
    layer = None

    def get(self, request, *args, **kwargs):
        try:
            layer_req = layer_request(request.user, request.query_params)
            return self.respond(request, layer_req, *args, **kwargs)
        except ValidationError as error:
            return Response({"detail": " ".join(error.messages)}, status=400)
        except LayerError as error:
            return Response({"detail": str(error)}, status=400)

    def respond(self, request, layer_req, *args, **kwargs):
        raise NotImplementedError

    def cached(self, layer_req, compute, **params):
        key = layer_cache.layer_key(
            self.layer, layer_req.user, layer_req.filters, **params
        )
        return layer_cache.get_or_compute(key, compute)


@layer_schema("Gi* hot spots per hexagon (GeoJSON, EPSG:4326)", [CELL_SIZE_PARAMETER])
class HotspotsApi(LayerApi):
    """Getis-Ord Gi* hot and cold spots per hexagon, as GeoJSON."""

    layer = "hotspots"

    def respond(self, request, layer_req):
        cell_size = _cell_size(request.query_params)
        data = self.cached(
            layer_req, lambda: self.compute(layer_req, cell_size), cell_size=cell_size
        )
        return Response(data)

    def compute(self, layer_req, cell_size):
        result = hotspot_layer(
            layer_req.entries, cell_size=cell_size, extent=layer_req.extent
        )
        cells = result.cells
        cells["gi_z"] = cells["gi_z"].round(3)
        if layer_req.suppress_small_counts:
            cells["count"] = [suppressed(int(value)) for value in cells["count"]]
            # z-scores and p-values with the counts shown would let a reader
            # solve for the hidden small counts, so client viewers get classes.
            cells["gi_z"] = np.nan
            cells["gi_p"] = np.nan
        columns = ["cell_id", "count", "gi_z", "gi_p", "gi_bin", "is_island"]
        meta = {
            "cell_size_m": result.cell_size,
            "neighbourhood": str(result.neighbourhood),
            "permutations": result.permutations,
            "seed": result.seed,
            "alpha_fdr": result.alpha_fdr,
            "fdr_thresholds": {str(k): v for k, v in result.fdr_thresholds.items()},
            "legend": hotspot_legend(),
        }
        return frame_to_feature_collection(
            cells, columns, message=result.message, meta=meta
        )


def hotspot_legend():
    confidence = {3: "99 %", 2: "95 %", 1: "90 %"}
    labels = {0: _("Not significant")}
    for level, percent in confidence.items():
        labels[level] = _("Hot spot, %(confidence)s confidence") % {
            "confidence": percent
        }
        labels[-level] = _("Cold spot, %(confidence)s confidence") % {
            "confidence": percent
        }
    return [
        {"gi_bin": level, "label": labels[level], "color": HOTSPOT_COLOURS[level]}
        for level in (3, 2, 1, 0, -1, -2, -3)
    ]


@layer_schema(
    "Kernel density: metadata, PNG overlay or GeoTIFF",
    [
        OpenApiParameter("bandwidth", float, description="Kernel bandwidth in metres."),
        OpenApiParameter("pixel_size", float, description="Pixel edge in metres."),
    ],
    OpenApiTypes.BINARY,
)
class DensityApi(LayerApi):
    """Kernel density metadata (JSON), or the surface as PNG or GeoTIFF.

    The URL sets the output through the `fmt` keyword: "json", "png" or "tiff".
    """

    layer = "density"

    def respond(self, request, layer_req, fmt="json"):
        bandwidth = _number(
            request.query_params, "bandwidth", minimum=10, maximum=20000
        )
        pixel_size = _number(
            request.query_params, "pixel_size", minimum=5, maximum=5000
        )
        key = layer_cache.layer_key(
            self.layer,
            layer_req.user,
            layer_req.filters,
            bandwidth=bandwidth,
            pixel_size=pixel_size,
        )
        meta = layer_cache.cache.get(key)
        if meta is None or (meta["tiff"] and not Path(meta["tiff"]).exists()):
            meta = self.compute(layer_req, key, bandwidth, pixel_size)
            layer_cache.cache.set(key, meta, layer_cache.TIMEOUT)
        if fmt == "json":
            return Response(self.public_meta(request, layer_req, meta))
        if meta["tiff"] is None:
            return Response({"detail": meta["message"]}, status=404)
        if fmt == "png":
            return FileResponse(open(meta["png"], "rb"), content_type="image/png")
        return FileResponse(
            open(meta["tiff"], "rb"),
            content_type="image/tiff",
            as_attachment=True,
            filename="density.tif",
        )

    def compute(self, layer_req, key, bandwidth, pixel_size):
        folder = Path(settings.VAR_DIR) / "layers" / "density"
        _remove_old_files(folder)
        name = key.rsplit(":", 1)[-1]
        result = density_surface(
            layer_req.entries,
            bandwidth=bandwidth,
            pixel_size=pixel_size,
            extent=layer_req.extent,
            path=folder / f"{name}.tif",
        )
        if layer_req.suppress_small_counts:
            _withhold_small_surface(result)
        meta = _density_meta(result)
        if result.path is not None and result.max_density == 0:
            meta["message"] = _(
                "No place gathers %(threshold)d entries or more; the density surface "
                "is not shown."
            ) % {"threshold": settings.SMALL_COUNT_THRESHOLD}
        if result.path is None:
            return meta

        png, bounds_4326, legend = density_png(result)
        png_path = folder / f"{name}.png"
        png_path.write_bytes(png)
        meta.update(
            tiff=str(result.path),
            png=str(png_path),
            image_bounds_4326=list(bounds_4326),
            legend=legend,
            max_density=result.max_density,
        )
        return meta

    def public_meta(self, request, layer_req, meta):
        data = {key: value for key, value in meta.items() if key not in ("tiff", "png")}
        if meta["tiff"] is not None:
            query = request.GET.urlencode()
            suffix = f"?{query}" if query else ""
            data["png_url"] = reverse("api-layers-density-png") + suffix
            data["tiff_url"] = reverse("api-layers-density-tiff") + suffix
        if layer_req.suppress_small_counts:
            data["count"] = suppressed(data["count"])
        return data


def _withhold_small_surface(result):
    """Hide what fewer entries than the small-count threshold would show."""
    if result.path is None:
        return
    if result.count >= settings.SMALL_COUNT_THRESHOLD:
        mask_small_counts(result, settings.SMALL_COUNT_THRESHOLD)
        return
    result.path.unlink(missing_ok=True)
    result.path = None
    result.message = _(
        "Fewer than %(threshold)d entries match these filters; the density "
        "surface is not shown."
    ) % {"threshold": settings.SMALL_COUNT_THRESHOLD}


def _density_meta(result):
    return {
        "message": result.message,
        "tiff": None,
        "png": None,
        "count": result.count,
        "bandwidth_m": result.bandwidth,
        "bandwidth_rule": result.bandwidth_rule,
        "pixel_size_m": result.pixel_size,
        "bounds": list(result.bounds),
        "units": result.units,
    }


def _remove_old_files(folder):
    folder.mkdir(parents=True, exist_ok=True)
    limit = time.time() - DENSITY_FILE_MAX_AGE
    for path in folder.glob("*"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
        except FileNotFoundError:
            continue


@layer_schema(
    "Presence against demand (GeoJSON, EPSG:4326)",
    [
        OpenApiParameter("unit", str, description="territory or cell."),
        CELL_SIZE_PARAMETER,
    ],
)
class CoverageApi(LayerApi):
    """Presence against demand per territory or per cell, as GeoJSON.

    The query parameter ``unit`` is "territory" or "cell". It defaults to
    "territory" when the request names territories or a territory set, and
    for client viewers. Cells without entries are left out of the response.
    """

    layer = "coverage"

    def respond(self, request, layer_req):
        unit = self.unit(request, layer_req)
        cell_size = _cell_size(request.query_params)
        gap_params = self.gap_params(request)
        data = self.cached(
            layer_req,
            lambda: self.compute(layer_req, unit, cell_size, gap_params),
            unit=unit,
            cell_size=cell_size,
            **gap_params,
        )
        return Response(data)

    def gap_params(self, request):
        return {}

    def unit(self, request, layer_req):
        unit = request.query_params.get("unit") or (
            "territory" if layer_req.extent is not None else "cell"
        )
        if unit not in ("territory", "cell"):
            raise InvalidParameterError(
                _("unit=%(value)s is not valid; use territory or cell.")
                % {"value": unit}
            )
        if unit == "territory" and layer_req.extent is None:
            raise InvalidParameterError(
                _(
                    "unit=territory needs a territory set; choose one with territory_set."
                )
            )
        return unit

    def coverage(self, layer_req, unit, cell_size):
        if unit == "territory":
            frame = coverage_by_territory(
                layer_req.entries, territories=layer_req.extent
            )
            return frame, ["territory_id", "code", "name"]
        frame = coverage_by_cell(
            layer_req.entries, cell_size=cell_size, extent=layer_req.extent
        )
        return frame[frame["entries"] > 0], ["cell_id"]

    def compute(self, layer_req, unit, cell_size, gap_params):
        frame, keys = self.coverage(layer_req, unit, cell_size)
        frame, extra = self.decorate(frame, gap_params)
        frame = _suppress_coverage(frame, layer_req)
        return frame_to_feature_collection(
            frame,
            keys + COUNT_COLUMNS + ["coverage_ratio"] + extra,
            meta={"unit": unit, "cell_size_m": cell_size, **gap_params},
        )

    def decorate(self, frame, gap_params):
        return frame, []


@layer_schema(
    "High demand with little presence (GeoJSON, EPSG:4326)",
    [
        OpenApiParameter("unit", str, description="territory or cell."),
        CELL_SIZE_PARAMETER,
        OpenApiParameter(
            "min_demand", int, description="Smallest demand of a gap, default 5."
        ),
        OpenApiParameter(
            "min_ratio",
            float,
            description="Presence hours expected per demand entry, default 0.5.",
        ),
    ],
)
class GapsApi(CoverageApi):
    """Units where demand is high and presence low (rule in `gap_layer`)."""

    layer = "gaps"

    def gap_params(self, request):
        params = request.query_params
        return {
            "min_demand": _number(
                params, "min_demand", default=5, minimum=1, maximum=100000, integer=True
            ),
            "min_ratio": _number(
                params, "min_ratio", default=0.5, minimum=0.01, maximum=100
            ),
        }

    def decorate(self, frame, gap_params):
        frame = gap_layer(frame, **gap_params)
        return frame, ["missing_hours", "is_gap", "gap_rank"]


def _suppress_coverage(frame, layer_req):
    if not layer_req.suppress_small_counts:
        return frame
    frame = frame.copy()
    small = frame["entries"].to_numpy() < settings.SMALL_COUNT_THRESHOLD
    frame["coverage_ratio"] = np.where(small, np.nan, frame["coverage_ratio"])
    for column in COUNT_COLUMNS:
        frame[column] = [suppressed(int(value)) for value in frame[column]]
    if "missing_hours" in frame:
        frame["missing_hours"] = np.where(small, 0.0, frame["missing_hours"])
    return frame


@layer_schema(
    "Outlines of the request's territories (GeoJSON, EPSG:4326)",
    operation_id="layers_territory_outlines",
)
class TerritoryOutlinesApi(LayerApi):
    """Outlines of the request's territories (or of a territory set) as GeoJSON."""

    layer = "outlines"

    def respond(self, request, layer_req):
        if layer_req.extent is None:
            return Response({"type": "FeatureCollection", "features": []})
        data = self.cached(layer_req, lambda: self.compute(layer_req))
        return Response(data)

    def compute(self, layer_req):
        rows = (
            layer_req.extent.order_by("code")
            .annotate(geojson=AsGeoJSON(Transform("geom", 4326), precision=6))
            .values("id", "code", "name", "geojson", set_name=F("territory_set__name"))
        )
        features = [
            {
                "type": "Feature",
                "properties": {
                    "territory_id": row["id"],
                    "code": row["code"],
                    "name": row["name"],
                    "territory_set": row["set_name"],
                },
                "geometry": json.loads(row["geojson"]),
            }
            for row in rows
        ]
        return {"type": "FeatureCollection", "features": features}


@layer_schema("Entry count and top categories of a grid cell")
class CellSummaryApi(LayerApi):
    """Entry count and top categories of one grid cell."""

    layer = "cell-summary"

    def respond(self, request, layer_req, cell_id):
        cell_size, i, j = parse_cell_id(cell_id)
        if not MIN_API_CELL_SIZE <= cell_size <= MAX_API_CELL_SIZE:
            raise InvalidParameterError(
                _(
                    "cell=%(value)s has a cell size out of range; sizes go from %(minimum)s "
                    "to %(maximum)s m."
                )
                % {
                    "value": cell_id,
                    "minimum": MIN_API_CELL_SIZE,
                    "maximum": MAX_API_CELL_SIZE,
                }
            )
        data = self.cached(
            layer_req,
            lambda: _summary(
                layer_req,
                cell_category_counts(layer_req.entries, cell_size=cell_size, i=i, j=j),
                cell_id=cell_id,
            ),
            cell=cell_id,
        )
        return Response(data)


@layer_schema(
    "Entry count and top categories of a territory",
    operation_id="layers_territory_summary",
)
class TerritorySummaryApi(LayerApi):
    """Entry count and top categories of one territory."""

    layer = "territory-summary"

    def respond(self, request, layer_req, territory_id):
        from territories.models import Territory

        territory = (
            Territory.objects.visible_to(request.user).filter(pk=territory_id).first()
        )
        if territory is None:
            return Response(
                {"detail": _("Territory %(id)s not found.") % {"id": territory_id}},
                status=404,
            )
        data = self.cached(
            layer_req,
            lambda: _summary(
                layer_req,
                territory_category_counts(layer_req.entries, territory_id=territory.pk),
                territory_id=territory.pk,
                code=territory.code,
                name=territory.name,
            ),
            territory_id=territory.pk,
        )
        return Response(data)


def _summary(layer_req, categories, **members):
    total = sum(item["count"] for item in categories)
    top = categories[:TOP_CATEGORIES]
    if layer_req.suppress_small_counts:
        total = suppressed(total)
        top = [{**item, "count": suppressed(item["count"])} for item in top]
    return {**members, "count": total, "top_categories": top}


@layer_schema(
    "Entries of a web-map tile (Mapbox vector tile)", response=OpenApiTypes.BINARY
)
class EntryTileApi(APIView):
    """Entries of one web-map tile as a Mapbox vector tile (coordinators, analysts)."""

    permission_classes = [permissions.IsAuthenticated, CanViewEntries]

    def get(self, request, z, x, y, ext="mvt"):
        from interventions.models import Intervention
        from layers.filters import LayerFilters

        try:
            filters = LayerFilters.from_query(request.query_params)
            entries = filters.apply(Intervention.objects.visible_to(request.user))
            tile = entry_tile(entries, z, x, y)
        except ValidationError as error:
            return Response({"detail": " ".join(error.messages)}, status=400)
        except LayerError as error:
            return Response({"detail": str(error)}, status=400)
        response = HttpResponse(tile, content_type="application/vnd.mapbox-vector-tile")
        response["Cache-Control"] = "private, max-age=60"
        return response
