"""Sync API of the capture: idempotent entries by client UUID, and the nomenclature."""

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.exceptions import NotFound, ParseError, PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_gis.pagination import GeoJsonPagination

from accounts import permissions
from interventions import selectors, services
from interventions.models import Intervention
from interventions.serializers import (
    InterventionSerializer,
    NomenclatureSerializer,
    SubmissionErrorSerializer,
)


class EntryPagination(GeoJsonPagination):
    page_size = 100
    max_page_size = 1000


class EntryJSONParser(JSONParser):
    """DRF's JSON parser with a translated error, also for too deeply nested input.

    Python's json module raises RecursionError on deeply nested arrays, which
    DRF's parser lets through as a server error.
    """

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except ParseError as error:
            reason = str(error.detail).removeprefix("JSON parse error - ")
        except RecursionError:
            reason = _("the values are nested too deeply")
        raise ParseError(
            _("The request body is not valid JSON: %(reason)s.") % {"reason": reason}
        )


class CanReadOrCapture(BasePermission):
    """Let roles that see single entries read, and mediators and coordinators write.

    Anonymous requests fail without a message, so that DRF returns 401.
    """

    message = gettext_lazy(
        "Client viewers see aggregates only, never individual entries."
    )

    def has_permission(self, request, view):
        if not request.user or not request.user.is_authenticated:
            return False
        if request.method in SAFE_METHODS:
            return permissions.has_role(request.user, *permissions.ENTRY_ROLES)
        if not permissions.has_role(request.user, *permissions.CAPTURE_ROLES):
            raise PermissionDenied(_("Only mediators and coordinators record entries."))
        if request.user.organisation_id is None:
            raise PermissionDenied(
                _("Your account has no organisation; ask an administrator to set one.")
            )
        return True


def _locked_message(entry):
    reviewed_at = entry.reviewed_at or entry.updated_at
    return _(
        "This entry was validated on %(date)s and can no longer be changed; ask "
        "your coordinator to correct it."
    ) % {"date": timezone.localtime(reviewed_at).strftime("%Y-%m-%d")}


_SUBMIT_RESPONSES = {
    200: OpenApiResponse(
        InterventionSerializer,
        description="The UUID was known: the stored entry, unchanged or updated.",
    ),
    201: OpenApiResponse(InterventionSerializer, description="The entry was created."),
    400: OpenApiResponse(description="Invalid input, with one message per field."),
    409: OpenApiResponse(
        SubmissionErrorSerializer,
        description=(
            "The entry was validated and can no longer change (code `validated`), or "
            "the UUID belongs to another mediator (code `id_taken`)."
        ),
    ),
}


@extend_schema_view(
    list=extend_schema(
        summary="List entries",
        description=(
            "Entries the user may see, newest first, as a GeoJSON FeatureCollection in "
            "EPSG:4326: a mediator's own, the organisation's for other provider roles."
        ),
    ),
    retrieve=extend_schema(summary="Read an entry"),
    create=extend_schema(
        summary="Send an entry (idempotent)",
        description=(
            "Send a GeoJSON Feature whose `id` is a UUID made by the phone. Sending "
            "the same UUID again never creates a second row. The same content "
            "returns 200 with the stored entry. Other content updates the entry "
            "while it is editable (draft, submitted, rejected) and returns 409 once "
            "it is validated."
        ),
        responses=_SUBMIT_RESPONSES,
    ),
    update=extend_schema(
        summary="Send an entry by its UUID (idempotent)",
        description=(
            "Same as POST, with the UUID in the URL. It creates the entry if needed."
        ),
        responses=_SUBMIT_RESPONSES,
    ),
)
class InterventionViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    serializer_class = InterventionSerializer
    permission_classes = [CanReadOrCapture]
    pagination_class = EntryPagination
    filter_backends = []
    lookup_value_converter = "uuid"
    http_method_names = ["get", "post", "put", "head", "options"]
    parser_classes = [EntryJSONParser, FormParser, MultiPartParser]

    def get_object(self):
        try:
            return super().get_object()
        except Http404:
            raise NotFound(
                _("No entry you can see has the identifier %(id)s.")
                % {"id": self.kwargs[self.lookup_field]}
            ) from None

    def get_queryset(self):
        return selectors.entries_with_details(
            Intervention.objects.visible_to(self.request.user)
        ).order_by("-occurred_at", "-created_at")

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry_id = serializer.validated_data.pop("id", None)
        if entry_id is None:
            raise serializers.ValidationError(
                {
                    "id": [
                        _(
                            "Send the entry's UUID as the Feature's id; the phone "
                            "makes it."
                        )
                    ]
                }
            )
        return self._submit(entry_id, serializer.validated_data)

    def update(self, request, *args, **kwargs):
        entry_id = kwargs[self.lookup_field]
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        body_id = serializer.validated_data.pop("id", None)
        if body_id is not None and body_id != entry_id:
            raise serializers.ValidationError(
                {
                    "id": [
                        _("The id %(body)s differs from the UUID %(url)s in the URL.")
                        % {"body": body_id, "url": entry_id}
                    ]
                }
            )
        return self._submit(entry_id, serializer.validated_data)

    def _submit(self, entry_id, fields):
        try:
            result = services.intervention_submit(
                user=self.request.user, entry_id=entry_id, fields=fields
            )
        except services.EntryLocked as error:
            return Response(
                {"detail": _locked_message(error.entry), "code": "validated"},
                status=status.HTTP_409_CONFLICT,
            )
        except services.EntryIdTaken:
            return Response(
                {
                    "detail": _(
                        "This UUID is already used by another entry; save the entry "
                        "again so that the phone makes a new one."
                    ),
                    "code": "id_taken",
                },
                status=status.HTTP_409_CONFLICT,
            )

        created = result.outcome is services.SubmitOutcome.CREATED
        data = self.get_serializer(result.entry).data
        code = status.HTTP_201_CREATED if created else status.HTTP_200_OK
        return Response(data, status=code)


class NomenclatureApi(APIView):
    permission_classes = [permissions.HasRole(*permissions.ENTRY_ROLES)]

    @extend_schema(
        summary="Form nomenclature",
        description=(
            "Codes and labels of the categories (with their types), themes, partners "
            "and outcomes that the user's organisation offers."
        ),
        responses=NomenclatureSerializer,
    )
    def get(self, request):
        return Response(selectors.nomenclature_for(request.user.organisation_id))
