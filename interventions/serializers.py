"""GeoJSON representation of entries for the sync API (EPSG:4326, longitude first)."""

from django.contrib.gis.geos import Point
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework_gis.fields import GeometryField
from rest_framework_gis.serializers import GeoFeatureModelSerializer

from interventions import validation
from interventions.models import (
    NOTE_MAX_LENGTH,
    Category,
    Intervention,
    InterventionType,
    Outcome,
    Partner,
    Theme,
)
from interventions.selectors import nomenclature_items

# Digits kept in output coordinates: 1e-7 degree is about 1 cm.
COORDINATE_PRECISION = 7

MAX_DURATION_MINUTES = 24 * 60
MAX_PEOPLE_COUNT = 1000
MAX_ACCURACY_M = 100_000


def _as_drf_error(error):
    return serializers.ValidationError(list(error.messages), code=error.code)


class WGS84PointField(GeometryField):
    """A GeoJSON Point in EPSG:4326, stored in the working CRS without altitude.

    Phones may send [longitude, latitude, altitude]: the altitude is dropped
    because the location column is 2D.
    """

    def to_internal_value(self, value):
        try:
            validation.check_point_geojson(value)
            try:
                point = super().to_internal_value(value)
            except DjangoValidationError:
                raise DjangoValidationError(
                    _(
                        "The location %(value)s is not a GeoJSON geometry; send "
                        '{"type": "Point", "coordinates": [longitude, latitude]}.'
                    )
                    % {"value": validation.quote_value(value)},
                    code="invalid_geometry",
                ) from None
            validation.check_point_wgs84(point)
        except DjangoValidationError as error:
            raise _as_drf_error(error) from None
        if point.hasz:
            point = Point(point.x, point.y, srid=point.srid)
        return validation.to_working_srid(point)

    def to_representation(self, value):
        if value is None:
            return None
        return super().to_representation(validation.to_wgs84(value))


@extend_schema_field(OpenApiTypes.STR)
class NomenclatureCodeField(serializers.RelatedField):
    """A nomenclature row named by its code, among the rows the user's form offers."""

    default_error_messages = {
        "unknown": gettext_lazy(
            "Unknown %(kind)s code “%(code)s”; use a code listed by /api/nomenclature/."
        ),
        "not_a_code": gettext_lazy(
            "Expected a %(kind)s code as text; received %(value)s."
        ),
    }

    def __init__(self, model, **kwargs):
        self.model = model
        kwargs.setdefault("queryset", model.objects.all())
        super().__init__(**kwargs)

    def get_queryset(self):
        request = self.context.get("request")
        organisation_id = getattr(
            getattr(request, "user", None), "organisation_id", None
        )
        queryset = nomenclature_items(self.model, organisation_id)
        if self.model is InterventionType:
            # The type's category is read when the serializer checks the pair.
            queryset = queryset.select_related("category")
        return queryset

    def to_internal_value(self, data):
        kind = self.model._meta.verbose_name
        if not isinstance(data, str):
            raise serializers.ValidationError(
                self.error_messages["not_a_code"] % {"kind": kind, "value": repr(data)},
                code="not_a_code",
            )
        rows = list(self.get_queryset().filter(code=data))
        if not rows:
            raise serializers.ValidationError(
                self.error_messages["unknown"] % {"kind": kind, "code": data},
                code="unknown",
            )
        # The organisation's own row wins over a default row with the same code.
        rows.sort(key=lambda row: row.organisation_id is None)
        return rows[0]

    def to_representation(self, value):
        return value.code


class BoundedIntegerField(serializers.IntegerField):
    """An integer whose range error names the value received."""

    def __init__(self, *, minimum, maximum, message, **kwargs):
        super().__init__(**kwargs)
        # Set after __init__ so that DRF adds no validator with its generic message;
        # the OpenAPI schema still reads the bounds from these attributes.
        self.min_value = minimum
        self.max_value = maximum
        self.range_message = message

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not self.min_value <= value <= self.max_value:
            raise serializers.ValidationError(
                self.range_message
                % {"value": value, "min": self.min_value, "max": self.max_value},
                code="out_of_range",
            )
        return value


class NoteField(serializers.CharField):
    """The short free-text note, whose length error gives the length and the limit."""

    def __init__(self, **kwargs):
        super().__init__(allow_blank=True, trim_whitespace=True, **kwargs)
        self.max_length = NOTE_MAX_LENGTH

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            validation.check_note_length(value, NOTE_MAX_LENGTH)
        except DjangoValidationError as error:
            raise _as_drf_error(error) from None
        return value


class InterventionSerializer(GeoFeatureModelSerializer):
    """One entry as a GeoJSON Feature; the nomenclature is referenced by code.

    The Feature's `id` is the UUID made by the phone. Writes accept the statuses
    `draft` and `submitted`; reviews set the others.
    """

    id = serializers.UUIDField(
        required=False,
        help_text=gettext_lazy(
            "UUID made by the phone; sending it again never duplicates the entry."
        ),
    )
    location = WGS84PointField(precision=COORDINATE_PRECISION)
    occurred_at = serializers.DateTimeField(
        help_text=gettext_lazy(
            "When the intervention took place, ISO 8601 with offset."
        )
    )
    duration_minutes = BoundedIntegerField(
        minimum=0,
        maximum=MAX_DURATION_MINUTES,
        message=gettext_lazy(
            "The duration %(value)s is out of range; expected %(min)s to %(max)s "
            "minutes."
        ),
        required=False,
    )
    location_accuracy_m = serializers.FloatField(
        min_value=0, max_value=MAX_ACCURACY_M, allow_null=True, required=False
    )
    location_method = serializers.ChoiceField(
        choices=Intervention.LocationMethod.choices, required=False
    )
    category = NomenclatureCodeField(Category)
    type = NomenclatureCodeField(InterventionType)
    themes = NomenclatureCodeField(Theme, many=True, required=False)
    partners = NomenclatureCodeField(Partner, many=True, required=False)
    outcome = NomenclatureCodeField(Outcome, allow_null=True, required=False)
    people_count = BoundedIntegerField(
        minimum=0,
        maximum=MAX_PEOPLE_COUNT,
        message=gettext_lazy(
            "The number of people %(value)s is out of range; expected %(min)s to "
            "%(max)s."
        ),
        required=False,
    )
    intensity = BoundedIntegerField(
        minimum=1,
        maximum=3,
        message=gettext_lazy(
            "The intensity %(value)s is out of range; expected 1 (low), 2 (medium) "
            "or 3 (high)."
        ),
        required=False,
    )
    note = NoteField(required=False)
    status = serializers.ChoiceField(
        choices=Intervention.Status.choices,
        required=False,
        help_text=gettext_lazy("Writes accept draft and submitted."),
    )
    mediator = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Intervention
        geo_field = "location"
        id_field = "id"
        fields = [
            "id",
            "location",
            "occurred_at",
            "duration_minutes",
            "location_accuracy_m",
            "location_method",
            "category",
            "type",
            "themes",
            "partners",
            "outcome",
            "people_count",
            "intensity",
            "note",
            "status",
            "review_comment",
            "outside_territories",
            "mediator",
            "created_at",
            "updated_at",
        ]
        read_only_fields = [
            "review_comment",
            "outside_territories",
            "created_at",
            "updated_at",
        ]

    def validate_occurred_at(self, value):
        try:
            validation.check_occurred_at(value)
        except DjangoValidationError as error:
            raise _as_drf_error(error) from None
        return value

    def validate_status(self, value):
        if value not in (Intervention.Status.DRAFT, Intervention.Status.SUBMITTED):
            raise serializers.ValidationError(
                _("The status “%(value)s” is set by a review; send draft or submitted.")
                % {"value": value},
                code="review_status",
            )
        return value

    def validate(self, attrs):
        category, kind = attrs.get("category"), attrs.get("type")
        if (
            category is not None
            and kind is not None
            and kind.category.code != category.code
        ):
            raise serializers.ValidationError(
                {
                    "type": _(
                        "The type “%(type)s” belongs to the category “%(actual)s”, "
                        "not “%(category)s”."
                    )
                    % {
                        "type": kind.code,
                        "actual": kind.category.code,
                        "category": category.code,
                    }
                },
                code="type_category",
            )
        return attrs


class SubmissionErrorSerializer(serializers.Serializer):
    """Body of a 409: why the entry cannot be stored, never another entry's data."""

    detail = serializers.CharField()
    code = serializers.ChoiceField(choices=["validated", "id_taken"])


class NomenclatureItemSerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()


class NomenclatureCategorySerializer(NomenclatureItemSerializer):
    types = NomenclatureItemSerializer(many=True)


class NomenclatureSerializer(serializers.Serializer):
    """The codes and labels the form offers, types grouped under their category."""

    categories = NomenclatureCategorySerializer(many=True)
    themes = NomenclatureItemSerializer(many=True)
    partners = NomenclatureItemSerializer(many=True)
    outcomes = NomenclatureItemSerializer(many=True)
