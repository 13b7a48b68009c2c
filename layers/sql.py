"""SQL building blocks shared by the layer functions.

Layer functions receive a Django queryset that is already scoped to the user
and filtered. They wrap its compiled SQL, with its own bound parameters, in a
CTE, so that binning, counting and tile encoding run in PostGIS.
"""

from dataclasses import dataclass

from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.db import connection
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from layers.exceptions import InvalidParameterError


def entries_sql(queryset, *fields, **annotations):
    """Compile `queryset` to SQL selecting `location`, `fields` and `annotations`.

    Returns ``(sql, params)`` for use as a subquery: the columns are named
    after the fields and annotation keys.
    """
    qs = queryset.order_by()
    if qs.query.is_empty():
        # `.none()` querysets cannot be compiled; this one selects no row.
        qs = queryset.model._default_manager.filter(pk__isnull=True)
    if annotations:
        qs = qs.annotate(**annotations)
    qs = qs.values("location", *fields, *annotations)
    sql, params = qs.query.sql_with_params()
    return sql, list(params)


def fetch_all(sql, params):
    """Run one query with bound parameters and return its rows as tuples."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


@dataclass(frozen=True)
class Extent:
    """Area a layer covers: territories, one geometry, or the entries' bounding box.

    Build it with `Extent.resolve`. Geometries are in the working CRS.
    """

    territory_ids: tuple | None = None
    hexewkb: str | None = None

    @classmethod
    def resolve(cls, extent):
        """Accept None, a Territory queryset or iterable, or a GEOS geometry."""
        if extent is None or isinstance(extent, Extent):
            return extent or cls()
        if isinstance(extent, GEOSGeometry):
            geom = extent.clone()
            if geom.srid is None:
                raise InvalidParameterError(
                    _("extent has no SRID; give the geometry an SRID such as %(srid)s.")
                    % {"srid": settings.WORKING_SRID}
                )
            if geom.srid != settings.WORKING_SRID:
                geom.transform(settings.WORKING_SRID)
            if geom.empty:
                raise InvalidParameterError(
                    _("extent is an empty geometry; give a polygon.")
                )
            return cls(hexewkb=geom.hexewkb.decode())
        if isinstance(extent, QuerySet):
            return cls(
                territory_ids=tuple(extent.order_by().values_list("pk", flat=True))
            )
        try:
            return cls(territory_ids=tuple(item.pk for item in extent))
        except (TypeError, AttributeError):
            raise InvalidParameterError(
                _(
                    "extent=%(value)r is not understood; give a territory queryset, a GEOS "
                    "geometry or None."
                )
                % {"value": extent}
            ) from None

    @property
    def is_entries_bbox(self):
        return self.territory_ids is None and self.hexewkb is None

    def bounds_sql(self, entries_alias="entries"):
        """SQL for one geometry whose envelope the layer covers, and its params."""
        if self.territory_ids is not None:
            return (
                "(SELECT ST_SetSRID(ST_Extent(geom)::geometry, %s) "
                "FROM territories_territory WHERE id = ANY(%s))",
                [settings.WORKING_SRID, list(self.territory_ids)],
            )
        if self.hexewkb is not None:
            return "ST_Envelope(%s::geometry)", [self.hexewkb]
        return (
            f"(SELECT ST_SetSRID(ST_Extent(location)::geometry, %s) FROM {entries_alias})",
            [settings.WORKING_SRID],
        )

    def parts_sql(self):
        """SQL selecting the extent's polygons, one part per row (column ``geom``).

        Multipolygons and collections are split with ST_Dump. Returns
        ``(sql, params)``, or None when the extent is the entries' bounding box.
        """
        if self.territory_ids is not None:
            return (
                "SELECT (ST_Dump(geom)).geom AS geom "
                "FROM territories_territory WHERE id = ANY(%s)",
                [list(self.territory_ids)],
            )
        if self.hexewkb is not None:
            return "SELECT (ST_Dump(%s::geometry)).geom AS geom", [self.hexewkb]
        return None

    def interior_intersects_sql(self, geom_sql):
        """SQL predicate: the interiors of the extent and `geom_sql` intersect.

        A cell that only touches the extent along an edge or at a corner is
        left out.
        """
        if self.territory_ids is not None:
            return (
                "EXISTS (SELECT 1 FROM territories_territory AS t "
                f"WHERE t.id = ANY(%s) AND t.geom && {geom_sql} "
                f"AND ST_Relate(t.geom, {geom_sql}, 'T********'))",
                [list(self.territory_ids)],
            )
        if self.hexewkb is not None:
            return f"ST_Relate(%s::geometry, {geom_sql}, 'T********')", [self.hexewkb]
        return "TRUE", []
