"""API of the trend reports: the zones a user may report on, and a report's JSON."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.audit import record_event
from layers.reports.presentation import report_as_dict
from layers.reports.zone_report import ReportRequest, build_zone_report
from layers.reports.zones import can_read_reports, clients_visible_to
from territories.models import Territory


class CanReadReports(BasePermission):
    message = _("Your role does not give access to trend reports.")

    def has_permission(self, request, view):
        return can_read_reports(request.user)


def _error_response(error):
    return Response({"detail": " ".join(error.messages)}, status=400)


REPORT_PARAMETERS = [
    OpenApiParameter(
        "zone", str, description="territory:<id> or client:<id>", required=True
    ),
    OpenApiParameter(
        "start", OpenApiTypes.DATE, description="First local date, included."
    ),
    OpenApiParameter(
        "end", OpenApiTypes.DATE, description="Last local date, included."
    ),
    OpenApiParameter(
        "step", str, enum=["month", "week"], description="Bucket of the series."
    ),
    OpenApiParameter("territory_set", int, description="Set whose zones are compared."),
    OpenApiParameter("category", str, description="Category codes, comma separated."),
    OpenApiParameter("type", str, description="Type codes, comma separated."),
    OpenApiParameter("theme", str, description="Theme codes, comma separated."),
    OpenApiParameter(
        "status", str, description="Statuses, comma separated (validated)."
    ),
    OpenApiParameter(
        "time_slot", str, description="morning, afternoon, evening, night."
    ),
    OpenApiParameter("day_kind", str, enum=["weekday", "weekend"]),
]


class ZoneReportApi(APIView):
    """One zone report as JSON: metadata, tables (small counts hidden) and map."""

    permission_classes = [IsAuthenticated, CanReadReports]

    @extend_schema(
        parameters=REPORT_PARAMETERS,
        responses={200: OpenApiTypes.OBJECT, 400: OpenApiTypes.OBJECT},
    )
    def get(self, request):
        try:
            report_request = ReportRequest.from_query(
                request.query_params, user=request.user
            )
            report = build_zone_report(user=request.user, request=report_request)
        except ValidationError as error:
            return _error_response(error)
        record_event(
            request.user,
            "report_download",
            target=report.zone.spec,
            details={"format": "json", **report_request.query_params()},
            request=request,
        )
        return Response(report_as_dict(report))


class ReportZonesApi(APIView):
    """The zones the user may ask a report for, with their `zone` parameter."""

    permission_classes = [IsAuthenticated, CanReadReports]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request):
        clients = [
            {"zone": f"client:{client.pk}", "name": client.name, "kind": client.kind}
            for client in clients_visible_to(request.user).order_by("name")
        ]
        territories = [
            {
                "zone": f"territory:{territory.pk}",
                "code": territory.code,
                "name": territory.name,
                "territory_set": {
                    "id": territory.territory_set_id,
                    "name": territory.territory_set.name,
                    "version": territory.territory_set.version,
                },
            }
            for territory in Territory.objects.visible_to(request.user)
            .select_related("territory_set")
            .order_by("territory_set__name", "-territory_set__version", "code")
        ]
        return Response({"clients": clients, "territories": territories})
