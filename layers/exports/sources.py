"""Rows of each exported vector layer, read in chunks from PostGIS.

A source yields rows ``(values, wkb, lon, lat)``. `values` follows the fields
of its schema. `wkb` is the geometry in the requested SRID, or None when no
SRID is requested (to measure the attributes only). `lon` and `lat` are the
WGS84 coordinates of the point, or of a point inside the polygon, when
requested.

Entries and territories are read through a server-side cursor
(``QuerySet.iterator``), so a large export never keeps all rows in memory.
Aggregated layers (hot spots, coverage) come from the layer functions as
GeoDataFrames, one row per cell or territory.
"""

from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.gis.db.models.functions import AsWKB, PointOnSurface, Transform
from django.contrib.postgres.aggregates import StringAgg
from django.db.models import (
    Count,
    F,
    FloatField,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
)
from django.utils.translation import gettext as _

import shapely

from interventions.models import Category, Intervention
from layers.exports import schemas
from layers.exports.errors import MissingParameterError
from layers.exports.fields import TEXT
from territories.models import Attachment

# Rows fetched from the server-side cursor at a time.
CURSOR_CHUNK_SIZE = 10_000
# Decimals of WGS84 coordinates: 1e-7 degree is about 1 cm.
LONLAT_DECIMALS = 7


class OctetLength(Func):
    function = "OCTET_LENGTH"
    output_field = IntegerField()


class CoordinateX(Func):
    function = "ST_X"
    output_field = FloatField()


class CoordinateY(Func):
    function = "ST_Y"
    output_field = FloatField()


class Source:
    """Base of the layer sources; see the module docstring for the row shape."""

    schema = None
    # Notes for the person exporting (translated), such as why hot spots were
    # not tested.
    messages = ()

    def count(self):
        raise NotImplementedError

    def rows(self, *, srid, with_lonlat=False):
        raise NotImplementedError

    def text_widths(self):
        """Largest UTF-8 length in bytes of each text field, for Shapefile widths."""
        positions = [
            (index, field.name)
            for index, field in enumerate(self.schema.fields)
            if field.kind == TEXT
        ]
        widths = {name: 0 for _index, name in positions}
        for values, _wkb, _lon, _lat in self.rows(srid=None):
            for index, name in positions:
                value = values[index]
                if value:
                    widths[name] = max(widths[name], len(value.encode("utf-8")))
        return widths


def _geometry_annotations(geom_field, *, srid, with_lonlat, point_on_surface):
    annotations = {}
    if srid is not None:
        geom = F(geom_field) if srid == settings.WORKING_SRID else Transform(geom_field, srid)
        annotations["export_wkb"] = AsWKB(geom)
    if with_lonlat:
        anchor = PointOnSurface(geom_field) if point_on_surface else F(geom_field)
        wgs84 = Transform(anchor, 4326)
        annotations["export_lon"] = CoordinateX(wgs84)
        annotations["export_lat"] = CoordinateY(wgs84)
    return annotations


def _iterate(queryset, columns, *, geom_field, srid, with_lonlat, point_on_surface):
    """Yield ``(column values, wkb, lon, lat)`` through a server-side cursor."""
    geometry = _geometry_annotations(
        geom_field, srid=srid, with_lonlat=with_lonlat, point_on_surface=point_on_surface
    )
    names = [*columns, *geometry]
    records = queryset.annotate(**columns, **geometry).values_list(*names)
    width = len(columns)
    for record in records.iterator(chunk_size=CURSOR_CHUNK_SIZE):
        extra = dict(zip(geometry, record[width:]))
        wkb = extra.get("export_wkb")
        lon = extra.get("export_lon")
        lat = extra.get("export_lat")
        yield (
            record[:width],
            bytes(wkb) if wkb is not None else None,
            round(lon, LONLAT_DECIMALS) if lon is not None else None,
            round(lat, LONLAT_DECIMALS) if lat is not None else None,
        )


def _joined_codes(through_model, target):
    """Subquery: the codes linked to an entry through `through_model`, sorted, comma-joined."""
    codes = (
        through_model.objects.filter(intervention_id=OuterRef("pk"))
        .order_by()
        .values("intervention_id")
        .annotate(
            codes=StringAgg(f"{target}__code", ", ", order_by=f"{target}__code")
        )
        .values("codes")
    )
    return Subquery(codes)


class EntrySource(Source):
    """Individual entries, ordered by time of intervention."""

    schema = schemas.ENTRIES

    def __init__(self, queryset):
        self.queryset = queryset.order_by("occurred_at", "id")
        self.zone = ZoneInfo(settings.TIME_ZONE)

    def _columns(self):
        return {
            "x_id": F("id"),
            "x_occurred_at": F("occurred_at"),
            "x_duration": F("duration_minutes"),
            "x_category_code": F("category__code"),
            "x_category_label": F("category__label"),
            "x_type_code": F("type__code"),
            "x_type_label": F("type__label"),
            "x_themes": _joined_codes(Intervention.themes.through, "theme"),
            "x_partners": _joined_codes(Intervention.partners.through, "partner"),
            "x_outcome_code": F("outcome__code"),
            "x_outcome_label": F("outcome__label"),
            "x_people": F("people_count"),
            "x_intensity": F("intensity"),
            "x_note": F("note"),
            "x_status": F("status"),
            "x_mediator": F("mediator__username"),
            "x_location_method": F("location_method"),
            "x_accuracy": F("location_accuracy_m"),
            "x_outside": F("outside_territories"),
            "x_is_demo": F("is_demo"),
        }

    def count(self):
        return self.queryset.count()

    def text_widths(self):
        """Measure the text columns in SQL, in one pass over the selected entries."""
        columns = self._columns()
        measured = {
            "category_code": "x_category_code",
            "category_label": "x_category_label",
            "type_code": "x_type_code",
            "type_label": "x_type_label",
            "themes": "x_themes",
            "partners": "x_partners",
            "outcome_code": "x_outcome_code",
            "outcome_label": "x_outcome_label",
            "note": "x_note",
            "status": "x_status",
            "mediator": "x_mediator",
            "location_method": "x_location_method",
        }
        aggregates = {
            f"width_{name}": Max(OctetLength(alias)) for name, alias in measured.items()
        }
        used = {alias: columns[alias] for alias in measured.values()}
        result = self.queryset.order_by().annotate(**used).aggregate(**aggregates)
        widths = {name: result[f"width_{name}"] or 0 for name in measured}
        widths["id"] = 36
        widths["occurred_local_time"] = 8
        return widths

    def rows(self, *, srid, with_lonlat=False):
        zone = self.zone
        for record, wkb, lon, lat in _iterate(
            self.queryset,
            self._columns(),
            geom_field="location",
            srid=srid,
            with_lonlat=with_lonlat,
            point_on_surface=False,
        ):
            (
                pk,
                occurred_at,
                duration,
                category_code,
                category_label,
                type_code,
                type_label,
                themes,
                partners,
                outcome_code,
                outcome_label,
                people,
                intensity,
                note,
                status,
                mediator,
                location_method,
                accuracy,
                outside,
                is_demo,
            ) = record
            local = occurred_at.astimezone(zone)
            values = (
                str(pk),
                occurred_at,
                local.date(),
                local.strftime("%H:%M:%S"),
                duration,
                category_code,
                category_label,
                type_code,
                type_label,
                themes or "",
                partners or "",
                outcome_code,
                outcome_label,
                people,
                intensity,
                note,
                status,
                mediator,
                location_method,
                accuracy,
                outside,
                is_demo,
            )
            yield values, wkb, lon, lat


def _territory_columns():
    return {
        "x_id": F("id"),
        "x_code": F("code"),
        "x_name": F("name"),
        "x_set_id": F("territory_set_id"),
        "x_set_slug": F("territory_set__slug"),
        "x_set_name": F("territory_set__name"),
        "x_set_kind": F("territory_set__kind"),
        "x_set_version": F("territory_set__version"),
        "x_valid_from": F("territory_set__valid_from"),
        "x_valid_to": F("territory_set__valid_to"),
        "x_parent_code": F("parent__code"),
        "x_population": F("population"),
        # Square metres of the working CRS (projected, in metres) to km².
        "x_area_km2": Func(F("geom"), function="ST_Area", output_field=FloatField())
        / 1_000_000.0,
    }


def _ordered_territories(queryset):
    return queryset.order_by(
        "territory_set__slug", "territory_set__version", "code", "id"
    )


def _iterate_territories(queryset, *, srid, with_lonlat):
    return _iterate(
        _ordered_territories(queryset),
        _territory_columns(),
        geom_field="geom",
        srid=srid,
        with_lonlat=with_lonlat,
        point_on_surface=True,
    )


class TerritorySource(Source):
    """Territory polygons: of the chosen set or territories, or every visible set."""

    schema = schemas.TERRITORIES

    def __init__(self, scope, filters):
        territories = scope.territories()
        if filters.territories:
            territories = territories.filter(id__in=filters.territories)
        elif filters.territory_set:
            territories = territories.filter(territory_set_id=filters.territory_set)
        self.queryset = territories

    def count(self):
        return self.queryset.count()

    def rows(self, *, srid, with_lonlat=False):
        for record, wkb, lon, lat in _iterate_territories(
            self.queryset, srid=srid, with_lonlat=with_lonlat
        ):
            yield tuple(record), wkb, lon, lat


def selected_territories(scope, filters, layer_name):
    """Territories of the filters' set (or the filters' territories), visible to the scope.

    Raises MissingParameterError when neither a set nor territories are given,
    because territories of different sets overlap and would count entries twice.
    """
    if not filters.territory_set and not filters.territories:
        raise MissingParameterError(
            _(
                "The layer %(layer)s needs a territory set: choose a territory set "
                "(territory_set=<id>) or territories (territory=<ids>)."
            )
            % {"layer": layer_name}
        )
    territories = scope.territories()
    if filters.territory_set:
        territories = territories.filter(territory_set_id=filters.territory_set)
    if filters.territories:
        territories = territories.filter(id__in=filters.territories)
    return territories


class ZoneStatisticsSource(Source):
    """Entry counts per territory of a set, overall or per category, with rates.

    For client viewers, counts under ``settings.SMALL_COUNT_THRESHOLD`` (zero
    included) are suppressed. Within each territory, the categories and the
    total are suppressed together by the reports' small-count rule
    (`layers.reports.suppression.FigureBook`). So a territory never has
    exactly one hidden figure among its total and its categories, and no
    hidden count can be recomputed from the published ones. Both zone layers
    use the same suppression, so they can be combined safely.
    """

    def __init__(self, scope, filters, *, by_category):
        self.schema = (
            schemas.ZONE_STATISTICS_BY_CATEGORY if by_category else schemas.ZONE_STATISTICS
        )
        self.by_category = by_category
        self.territories = selected_territories(scope, filters, self.schema.name)
        self.entries = filters.apply(scope.aggregatable_entries())
        self.categories = list(
            Category.objects.filter(
                Q(organisation__isnull=True) | Q(organisation_id=scope.organisation_id)
            )
            .order_by("position", "code", "id")
            .values_list("id", "code", "label")
        )
        self.counts = self._count()
        self.suppressed = (
            self._suppress(settings.SMALL_COUNT_THRESHOLD)
            if scope.suppresses_small_counts
            else set()
        )

    def _count(self):
        """{territory id: {category id: count}} of the filtered entries."""
        grouped = (
            Attachment.objects.filter(
                territory__in=self.territories.order_by().values("pk"),
                intervention__in=self.entries.order_by().values("pk"),
            )
            .values("territory_id", "intervention__category_id")
            .annotate(n=Count("pk"))
            .order_by()
        )
        counts = {}
        for row in grouped:
            by_category = counts.setdefault(row["territory_id"], {})
            by_category[row["intervention__category_id"]] = row["n"]
        return counts

    def _suppress(self, threshold):
        """Keys ``(territory id, category id or None)`` of the hidden figures."""
        from layers.reports.suppression import FigureBook

        hidden = set()
        for territory_id in self.territories.order_by().values_list("pk", flat=True):
            counts = self.counts.get(territory_id, {})
            book = FigureBook(threshold)
            total = book.add((territory_id, None), sum(counts.values()))
            parts = [
                book.add((territory_id, category_id), counts.get(category_id, 0))
                for category_id, _code, _label in self.categories
            ]
            book.add_relation(total, parts)
            book.suppress()
            hidden.update(key for key in book.values if book.is_suppressed(key))
        return hidden

    def count(self):
        territories = self.territories.count()
        return territories * len(self.categories) if self.by_category else territories

    def rows(self, *, srid, with_lonlat=False):
        for record, wkb, lon, lat in _iterate_territories(
            self.territories, srid=srid, with_lonlat=with_lonlat
        ):
            territory_id, code, name = record[0], record[1], record[2]
            set_slug, set_version = record[4], record[7]
            population, area_km2 = record[11], record[12]
            zone = (territory_id, code, name, set_slug, set_version, population, area_km2)
            counts = self.counts.get(territory_id, {})
            if not self.by_category:
                figure = self._figure(territory_id, None, sum(counts.values()), zone)
                yield (*zone, *figure), wkb, lon, lat
                continue
            for category_id, category_code, category_label in self.categories:
                figure = self._figure(
                    territory_id, category_id, counts.get(category_id, 0), zone
                )
                yield (*zone, category_code, category_label, *figure), wkb, lon, lat

    def _figure(self, territory_id, category_id, count, zone):
        """(count, suppressed, rate per km², rate per 1,000 inhabitants)."""
        if (territory_id, category_id) in self.suppressed:
            return None, True, None, None
        population, area_km2 = zone[5], zone[6]
        per_km2 = count / area_km2 if area_km2 else None
        per_1000 = count * 1000.0 / population if population else None
        return count, False, per_km2, per_1000


class FrameSource(Source):
    """Rows of a GeoDataFrame in the working CRS, already in schema order."""

    def __init__(self, schema, frame, values, messages=()):
        self.schema = schema
        self.frame = frame
        self.values = values
        self.messages = tuple(messages)

    def count(self):
        return len(self.values)

    def rows(self, *, srid, with_lonlat=False):
        geometry = self.frame.geometry
        wkbs = [None] * len(self.values)
        if srid is not None:
            projected = geometry if srid == settings.WORKING_SRID else geometry.to_crs(srid)
            wkbs = shapely.to_wkb(projected.to_numpy()).tolist()
        lons = lats = [None] * len(self.values)
        if with_lonlat:
            anchors = geometry.representative_point().to_crs(4326)
            lons = [round(x, LONLAT_DECIMALS) for x in anchors.x.tolist()]
            lats = [round(y, LONLAT_DECIMALS) for y in anchors.y.tolist()]
        yield from zip(self.values, wkbs, lons, lats)
