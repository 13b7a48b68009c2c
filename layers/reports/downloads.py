"""A zone report as CSV, XLSX and PDF files.

Every file is written from the report's tables (`presentation.report_tables`),
so hidden figures appear as "< 5" or "s" in files as on the page.
"""

import csv
import io

from django.template.loader import render_to_string
from django.utils.text import slugify
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from layers.reports import charts
from layers.reports.presentation import display_datetime, report_metadata

CSV_HEADER = [
    "table",
    "row_key",
    "row_group",
    "row_label",
    "column_key",
    "column_label",
    "value",
    "status",
]
# Columns of a wide table printed side by side on one A4 landscape page.
PDF_COLUMNS_PER_CHUNK = 13


def report_filename(report, extension):
    period = report.periods["current"]
    name = slugify(report.zone.name) or report.zone.kind
    return f"rapport-{name}-{period.start:%Y%m%d}-{period.end:%Y%m%d}.{extension}"


def _dates(period):
    dates = f"{period['start']} / {period['end']}"
    if period.get("covered_by_data") is False:
        dates += " (" + _("comparison period not covered by the data") + ")"
    return dates


def metadata_rows(report):
    """(key, label, value) lines describing the report, for the file headers."""
    metadata = report_metadata(report)
    period = metadata["period"]
    rows = [
        ("zone", _("zone"), f"{metadata['zone']['name']} ({metadata['zone']['spec']})"),
        ("period", _("period"), _dates(period)),
        ("step", _("step"), _("month") if period["step"] == "month" else _("week")),
        ("previous_period", _("previous period"), _dates(metadata["previous_period"])),
        (
            "previous_year",
            _("same period a year earlier"),
            _dates(metadata["previous_year"]),
        ),
        ("time_zone", _("time zone"), metadata["time_zone"]),
        ("data_date", _("data as of"), display_datetime(report.data_date)),
        ("generated_at", _("generated at"), display_datetime(report.generated_at)),
    ]
    for item in metadata["filters_display"]:
        rows.append(("filter", item["label"], item["value"]))
    for territory_set in metadata["territory_sets"]:
        rows.append(
            (
                f"territory_set:{territory_set['slug']}",
                _("territory set"),
                f"{territory_set['name']} v{territory_set['version']}"
                f" ({territory_set['role']})",
            )
        )
    if metadata["suppression"]["applied"]:
        rows.append(("suppression", _("small counts"), metadata["suppression"]["rule"]))
    return rows


def _csv_value(cell):
    if cell.is_hidden or cell.value is None:
        return cell.display if cell.is_hidden else ""
    return cell.value


def report_csv(report, tables):
    """Write the report as one long UTF-8 CSV, one line per figure."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for key, label, value in metadata_rows(report):
        writer.writerow(["metadata", key, "", label, "value", "", value, "published"])
    for table in tables:
        for row in table.rows:
            for column, cell in zip(table.columns, row.cells):
                writer.writerow(
                    [
                        table.name,
                        row.key,
                        row.group,
                        row.label,
                        column.key,
                        column.label,
                        _csv_value(cell),
                        cell.status,
                    ]
                )
    return buffer.getvalue().encode("utf-8")


def report_xlsx(report, tables):
    """Write the report as a workbook: a description sheet, then a sheet per table."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "rapport"
    sheet.append([_("Trend report"), report.zone.name])
    sheet["A1"].font = Font(bold=True, size=14)
    for _key, label, value in metadata_rows(report):
        sheet.append([label, value])
    sheet.column_dimensions["A"].width = 32
    sheet.column_dimensions["B"].width = 80

    for table in tables:
        sheet = workbook.create_sheet(table.name[:31])
        sheet.append([table.title])
        sheet["A1"].font = Font(bold=True)
        sheet.append([table.note])
        sheet.append([])
        has_groups = any(row.group for row in table.rows)
        header = [_("key"), *([_("group")] if has_groups else []), _("label")]
        header.extend(column.label for column in table.columns)
        sheet.append(header)
        for cell in sheet[sheet.max_row]:
            cell.font = Font(bold=True)
        for row in table.rows:
            line = [row.key, *([row.group] if has_groups else []), row.label]
            line.extend(
                cell.display if cell.is_hidden else cell.value for cell in row.cells
            )
            sheet.append(line)
            if row.is_total:
                for cell in sheet[sheet.max_row]:
                    cell.font = Font(bold=True)
        sheet.freeze_panes = sheet.cell(
            row=5, column=len(header) - len(table.columns) + 1
        )
        for index in range(1, len(header) + 1):
            sheet.column_dimensions[get_column_letter(index)].width = 14
        sheet.column_dimensions[
            get_column_letter(len(header) - len(table.columns))
        ].width = 40

    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def pdf_context(report, tables, *, base_context):
    """Template context of the printed report: static map and wide tables in chunks."""
    return {
        **base_context,
        "for_pdf": True,
        "map_svg": charts.data_uri(
            charts.zone_map(report.zone.geom(), report.cells.cells)
        ),
        "table_chunks": [
            {"table": table, "chunks": table.column_chunks(PDF_COLUMNS_PER_CHUNK)}
            for table in tables
        ],
    }


def render_pdf_document(report, tables, *, base_context, base_url=None):
    """Lay the print template out with WeasyPrint; return its `Document`."""
    # Imported here: WeasyPrint loads Pango when imported.
    from weasyprint import HTML

    html = render_to_string(
        "reports/pdf.html", pdf_context(report, tables, base_context=base_context)
    )
    return HTML(string=html, base_url=base_url).render()


def report_pdf(report, tables, *, base_context, base_url=None):
    """Render the report as PDF bytes."""
    document = render_pdf_document(
        report, tables, base_context=base_context, base_url=base_url
    )
    return document.write_pdf()
