"""Report pages: the request form, the HTML report and its PDF, CSV and XLSX files."""

import logging
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.audit import record_event
from layers.reports import charts, downloads
from layers.reports.forms import ReportForm
from layers.reports.presentation import (
    display_datetime,
    map_data,
    report_metadata,
    report_tables,
)
from layers.reports.zone_report import ReportRequest, build_zone_report
from layers.reports.zones import check_report_access

logger = logging.getLogger(__name__)

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@require_GET
@login_required
def report_index(request):
    check_report_access(request.user)
    form = ReportForm(request.user, data=request.GET or None)
    return render(request, "reports/index.html", {"form": form})


def _build(request):
    report_request = ReportRequest.from_query(request.GET, user=request.user)
    report = build_zone_report(user=request.user, request=report_request)
    return report, report_tables(report)


def _invalid(request, error):
    form = ReportForm(request.user, data=request.GET)
    return render(
        request,
        "reports/index.html",
        {"form": form, "errors": error.messages},
        status=400,
    )


def report_context(report, tables):
    """Template context shared by the HTML page and the PDF."""
    by_name = {table.name: table for table in tables}
    metadata = report_metadata(report)
    series = by_name["series_category"].row("total")
    bucket_labels = [bucket["label"] for bucket in metadata["period"]["buckets"]]
    trend = report.trends[("total", None)]
    show_line = metadata["trend"]["slope"] is not None
    breakdown = by_name["breakdown_category"]
    category_rows = [row for row in breakdown.rows if not row.is_total]
    return {
        "report": report,
        "meta": metadata,
        "tables": tables,
        "tables_by_name": by_name,
        "summary": by_name["summary"],
        "data_date": display_datetime(report.data_date),
        "generated_at": display_datetime(report.generated_at),
        "series_chart": charts.data_uri(
            charts.series_chart(
                bucket_labels,
                [cell.value for cell in series.cells[:-1]],
                trend if show_line else None,
            )
        ),
        "bars_chart": charts.data_uri(
            charts.comparison_bars(
                [row.label for row in category_rows],
                [row.cells[0].value for row in category_rows],
                [row.cells[1].value for row in category_rows],
            )
        ),
        "map_data": map_data(report),
        "table_chunks": [
            {"table": table, "chunks": table.column_chunks(len(table.columns))}
            for table in tables
        ],
        "query_string": urlencode(report.request.query_params()),
    }


@require_GET
@login_required
def report_detail(request):
    check_report_access(request.user)
    try:
        report, tables = _build(request)
    except ValidationError as error:
        return _invalid(request, error)
    return render(request, "reports/detail.html", report_context(report, tables))


@require_GET
@login_required
def report_download(request, file_format):
    """Send the report as a PDF, CSV or XLSX file and record the download."""
    check_report_access(request.user)
    try:
        report, tables = _build(request)
    except ValidationError as error:
        return _invalid(request, error)
    if file_format == "pdf":
        content = downloads.report_pdf(
            report,
            tables,
            base_context=report_context(report, tables),
            base_url=request.build_absolute_uri("/"),
        )
    elif file_format == "csv":
        content = downloads.report_csv(report, tables)
    else:
        content = downloads.report_xlsx(report, tables)

    record_event(
        request.user,
        "report_download",
        target=report.zone.spec,
        details={"format": file_format, **report.request.query_params()},
        request=request,
    )
    response = HttpResponse(content, content_type=CONTENT_TYPES[file_format])
    filename = downloads.report_filename(report, file_format)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    logger.info(
        "report %s sent as %s to %s",
        report.zone.spec,
        file_format,
        request.user.username,
    )
    return response
