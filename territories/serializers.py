from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.fields import GeometryField
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from territories.models import Territory, TerritorySet

# Decimal places of the coordinates sent in EPSG:4326: 6 places are about
# 0.1 m, finer than any boundary file.
COORDINATE_PRECISION = 6


@extend_schema_field(OpenApiTypes.OBJECT)
class AnnotatedGeometryField(GeometryField):
    """A GeoJSON geometry read from a queryset annotation, not from a model field."""


class TerritorySetSerializer(serializers.ModelSerializer):
    kind_label = serializers.CharField(source="get_kind_display", read_only=True)
    territory_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = TerritorySet
        fields = [
            "id",
            "slug",
            "kind",
            "kind_label",
            "name",
            "version",
            "valid_from",
            "valid_to",
            "is_derived",
            "source",
            "territory_count",
            "created_at",
        ]
        read_only_fields = fields


class TerritoryFeatureSerializer(GeoFeatureModelSerializer):
    """A territory as a GeoJSON feature in EPSG:4326.

    The view annotates `geom_web`, the outline reprojected (and simplified
    when asked) by PostGIS.
    """

    # Named after the model field, which drf-spectacular reads to document the
    # geometry type; the value is the reprojected annotation.
    geom = AnnotatedGeometryField(
        source="geom_web", precision=COORDINATE_PRECISION, read_only=True
    )
    kind = serializers.CharField(source="territory_set.kind", read_only=True)

    class Meta:
        model = Territory
        geo_field = "geom"
        id_field = False
        fields = ["id", "code", "name", "territory_set", "kind", "population"]
        read_only_fields = fields

    def to_representation(self, instance):
        feature = super().to_representation(instance)
        feature["id"] = instance.pk
        return feature
