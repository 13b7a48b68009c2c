from django.contrib.gis.db.models import MultiPolygonField
from django.contrib.gis.db.models.functions import Transform
from django.conf import settings
from django.db.models import Count, F, Func, Value
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import NotFound, ParseError
from rest_framework.generics import ListAPIView

from territories.models import Territory, TerritorySet
from territories.serializers import TerritoryFeatureSerializer, TerritorySetSerializer

# Largest simplification tolerance accepted, in metres.
MAX_SIMPLIFY_M = 1000.0


class SimplifyPreserveTopology(Func):
    """ST_SimplifyPreserveTopology, kept a MultiPolygon (GEOS may return a Polygon)."""

    template = "ST_Multi(ST_SimplifyPreserveTopology(%(expressions)s))"
    arity = 2


@extend_schema(
    parameters=[
        OpenApiParameter(
            "kind", OpenApiTypes.STR, description="Only sets of this kind."
        ),
        OpenApiParameter(
            "slug", OpenApiTypes.STR, description="Only versions of this set."
        ),
        OpenApiParameter(
            "current",
            OpenApiTypes.BOOL,
            description="Only versions valid today (valid_to empty or not passed).",
        ),
    ]
)
class TerritorySetListApi(ListAPIView):
    """Territory sets the user may see, every version, newest version first."""

    serializer_class = TerritorySetSerializer
    filter_backends = []

    def get_queryset(self):
        queryset = TerritorySet.objects.visible_to(self.request.user).annotate(
            territory_count=Count("territories", distinct=True)
        )
        params = self.request.query_params
        kind = params.get("kind")
        if kind:
            if kind not in TerritorySet.Kind.values:
                raise ParseError(
                    _("Unknown kind %(kind)r; choose one of: %(kinds)s.")
                    % {"kind": kind, "kinds": ", ".join(TerritorySet.Kind.values)}
                )
            queryset = queryset.filter(kind=kind)
        if params.get("slug"):
            queryset = queryset.filter(slug=params["slug"])
        if params.get("current") in ("1", "true", "True"):
            today = timezone.localdate()
            queryset = queryset.exclude(valid_to__lt=today).exclude(
                valid_from__gt=today
            )
        return queryset.order_by("slug", "-version")


@extend_schema(
    parameters=[
        OpenApiParameter(
            "territory_set", OpenApiTypes.INT, description="Id of the territory set."
        ),
        OpenApiParameter(
            "simplify",
            OpenApiTypes.FLOAT,
            description=(
                "Simplification tolerance in metres (0 to 1000), applied in the "
                "working CRS with the topology of each polygon preserved."
            ),
        ),
    ]
)
class TerritoryListApi(ListAPIView):
    """Territory outlines as a GeoJSON FeatureCollection in EPSG:4326."""

    serializer_class = TerritoryFeatureSerializer
    filter_backends = []

    def get_queryset(self):
        queryset = Territory.objects.visible_to(self.request.user).select_related(
            "territory_set"
        )
        set_id = self._territory_set_id()
        if set_id is not None:
            visible_sets = TerritorySet.objects.visible_to(self.request.user)
            if not visible_sets.filter(pk=set_id).exists():
                raise NotFound(_("Territory set %(id)s not found.") % {"id": set_id})
            queryset = queryset.filter(territory_set_id=set_id)
        geom = F("geom")
        tolerance = self._simplify_tolerance()
        if tolerance:
            geom = SimplifyPreserveTopology(
                geom,
                Value(tolerance),
                output_field=MultiPolygonField(srid=settings.WORKING_SRID),
            )
        return queryset.annotate(geom_web=Transform(geom, 4326)).order_by(
            "territory_set_id", "code"
        )

    def _territory_set_id(self):
        value = self.request.query_params.get("territory_set")
        if value in (None, ""):
            return None
        try:
            return int(value)
        except ValueError:
            raise ParseError(
                _(
                    "territory_set must be a territory set id (an integer), not %(value)r."
                )
                % {"value": value}
            ) from None

    def _simplify_tolerance(self):
        value = self.request.query_params.get("simplify")
        if value in (None, ""):
            return 0.0
        try:
            tolerance = float(value)
        except ValueError:
            tolerance = -1.0
        if not 0 <= tolerance <= MAX_SIMPLIFY_M:
            raise ParseError(
                _(
                    "simplify must be a tolerance in metres between 0 and %(max)s, not %(value)r."
                )
                % {"max": int(MAX_SIMPLIFY_M), "value": value}
            )
        return tolerance
