"""Export API: the layers offered, export jobs with their progress, direct downloads."""

import shutil
import tempfile
from pathlib import Path

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, PermissionDenied
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from accounts.permissions import HasRole
from layers.exceptions import LayerError
from layers.exports.catalogue import (
    AGGREGATE_ROLES,
    FORMAT_LABELS,
    SRID_LABELS,
    SRIDS,
    layers_for,
)
from layers.exports.errors import ExportError, ExportPermissionError
from layers.exports.jobs import export_job_create
from layers.exports.models import ExportJob
from layers.exports.scope import ExportScope
from layers.exports.services import (
    ExportOptions,
    export_directory,
    parse_srid,
    record_export,
    run_export,
)
from layers.exports.views import job_file_response
from layers.exports.writers import WRITERS
from layers.filters import LayerFilters

EXPORT_API_ROLES = AGGREGATE_ROLES


class _SettingsWithoutFormatOverride:
    URL_FORMAT_OVERRIDE = None

    def __getattr__(self, name):
        return getattr(api_settings, name)


class ExportContentNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, except that `?format=` names the export's file format.

    DRF otherwise reads `format` as the response format and returns 404 for
    a value such as "gpkg" that no renderer has.
    """

    settings = _SettingsWithoutFormatOverride()


class ExportRejected(APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"


def _parse_request(data):
    """Parse the layer, format, SRID, filters and options of a request, or raise ExportRejected."""
    try:
        layer = str(data.get("layer") or "")
        export_format = str(data.get("format") or "")
        srid = parse_srid(data.get("srid") or "2154")
        filters = LayerFilters.from_query(data)
        options = ExportOptions.from_query(data)
    except ExportError as error:
        raise ExportRejected(str(error)) from error
    except DjangoValidationError as error:
        raise ExportRejected(" ".join(error.messages)) from error
    return layer, export_format, srid, filters, options


def _raise_api_error(error):
    if isinstance(error, ExportPermissionError):
        raise PermissionDenied(str(error)) from error
    raise ExportRejected(str(error)) from error


class ExportJobSerializer(serializers.ModelSerializer):
    percent = serializers.IntegerField(read_only=True, allow_null=True)
    file_name = serializers.CharField(read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    status_url = serializers.SerializerMethodField()
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ExportJob
        fields = [
            "id",
            "layer",
            "format",
            "srid",
            "filters",
            "options",
            "status",
            "status_label",
            "written_features",
            "total_features",
            "percent",
            "file_name",
            "file_size",
            "messages",
            "error",
            "created_at",
            "started_at",
            "finished_at",
            "status_url",
            "download_url",
        ]
        read_only_fields = fields

    def get_status_url(self, job) -> str:
        return reverse("api-exports-job-detail", args=[job.pk])

    def get_download_url(self, job) -> str | None:
        if job.status != ExportJob.Status.DONE:
            return None
        return reverse("exports:download", args=[job.pk])


class ExportRequestSerializer(serializers.Serializer):
    """Fields of an export request. The filters are those of the map layers."""

    layer = serializers.CharField(help_text="A layer name from GET /api/exports/layers/.")
    format = serializers.ChoiceField(choices=list(FORMAT_LABELS))
    srid = serializers.ChoiceField(choices=list(SRIDS), default=2154)
    start = serializers.DateField(required=False, help_text="First local day, YYYY-MM-DD.")
    end = serializers.DateField(required=False, help_text="Last local day, included.")
    category = serializers.CharField(required=False, help_text="Category codes, comma-separated.")
    type = serializers.CharField(required=False, help_text="Type codes, comma-separated.")
    theme = serializers.CharField(required=False, help_text="Theme codes, comma-separated.")
    territory_set = serializers.IntegerField(required=False)
    territory = serializers.CharField(required=False, help_text="Territory ids, comma-separated.")
    status = serializers.CharField(
        required=False, help_text="Statuses, comma-separated; validated by default."
    )
    time_slot = serializers.CharField(required=False)
    day_kind = serializers.CharField(required=False)
    bom = serializers.BooleanField(required=False, help_text="CSV: start with a byte-order mark.")
    cell_size = serializers.FloatField(required=False, help_text="Hexagon edge in metres.")
    bandwidth = serializers.FloatField(required=False, help_text="Density bandwidth in metres.")
    pixel_size = serializers.FloatField(required=False, help_text="Density pixel in metres.")


class ExportLayersApi(APIView):
    """The layers the user may export, their formats, and the offered CRS."""

    permission_classes = [HasRole(*EXPORT_API_ROLES)]

    @extend_schema(responses={200: OpenApiResponse(description="Layers, formats and SRIDs.")})
    def get(self, request):
        scope = ExportScope.for_user(request.user)
        return Response(
            {
                "layers": [
                    {
                        "name": spec.name,
                        "label": str(spec.label),
                        "formats": list(spec.formats),
                        "fields": [field.name for field in spec.schema.fields]
                        if spec.schema
                        else [],
                        "options": list(spec.options),
                    }
                    for spec in layers_for(scope)
                ],
                "formats": {key: str(label) for key, label in FORMAT_LABELS.items()},
                "srids": [{"srid": srid, "label": str(SRID_LABELS[srid])} for srid in SRIDS],
            }
        )


class ExportJobListCreateApi(APIView):
    """List the user's export jobs, or queue a new one (written in the background)."""

    permission_classes = [HasRole(*EXPORT_API_ROLES)]

    @extend_schema(responses={200: ExportJobSerializer(many=True)})
    def get(self, request):
        jobs = ExportJob.objects.filter(user=request.user)[:100]
        return Response(ExportJobSerializer(jobs, many=True).data)

    @extend_schema(
        request=ExportRequestSerializer,
        responses={
            202: ExportJobSerializer,
            400: OpenApiResponse(description="Invalid layer, format, SRID or filter."),
            403: OpenApiResponse(description="The role may not export this layer."),
        },
    )
    def post(self, request):
        layer, export_format, srid, filters, options = _parse_request(request.data)
        try:
            job = export_job_create(
                user=request.user,
                layer=layer,
                export_format=export_format,
                srid=srid,
                filters=filters,
                options=options,
                request=request,
            )
        except ExportError as error:
            _raise_api_error(error)
        return Response(ExportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)


class ExportJobDetailApi(APIView):
    """One of the user's export jobs: status, progress and download link."""

    permission_classes = [HasRole(*EXPORT_API_ROLES)]

    @extend_schema(responses={200: ExportJobSerializer})
    def get(self, request, job_id):
        job = get_object_or_404(ExportJob, pk=job_id, user=request.user)
        return Response(ExportJobSerializer(job).data)


class ExportJobDownloadApi(APIView):
    """The file of one of the user's finished export jobs."""

    permission_classes = [HasRole(*EXPORT_API_ROLES)]

    @extend_schema(responses={200: OpenApiResponse(description="The exported file.")})
    def get(self, request, job_id):
        job = get_object_or_404(ExportJob, pk=job_id, user=request.user)
        return job_file_response(job)


class ExportDownloadApi(APIView):
    """Export a layer within the request and return the file.

    Meant for scripts and for QGIS layers added from a URL. The request waits
    for the whole file, so large exports should go through the jobs endpoint.
    """

    permission_classes = [HasRole(*EXPORT_API_ROLES)]
    content_negotiation_class = ExportContentNegotiation

    @extend_schema(
        parameters=[ExportRequestSerializer],
        responses={
            200: OpenApiResponse(description="The exported file."),
            400: OpenApiResponse(description="Invalid layer, format, SRID or filter."),
            403: OpenApiResponse(description="The role may not export this layer."),
        },
    )
    def get(self, request):
        layer, export_format, srid, filters, options = _parse_request(
            request.query_params
        )
        scope = ExportScope.for_user(request.user)
        export_directory().mkdir(parents=True, exist_ok=True)
        directory = Path(tempfile.mkdtemp(prefix="direct-", dir=export_directory()))
        try:
            result = run_export(
                scope=scope,
                layer=layer,
                export_format=export_format,
                srid=srid,
                filters=filters,
                options=options,
                directory=directory,
            )
            record_export(
                scope,
                layer,
                export_format,
                srid,
                filters,
                options,
                request=request,
                features=result.feature_count,
            )
            # On POSIX systems (the service runs on Linux), an open handle keeps
            # the file readable after its folder is removed, so nothing is left
            # behind once the response is sent.
            handle = result.path.open("rb")
        except (ExportError, LayerError) as error:
            _raise_api_error(error)
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        writer = WRITERS.get(export_format)
        media_type = writer.media_type if writer else "image/tiff"
        return FileResponse(
            handle, as_attachment=True, filename=result.path.name, content_type=media_type
        )

