"""PDF, CSV and XLSX files of a report, read back, and their audit events."""

import csv
import io
import re
import zlib

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.reports.conftest import paris

pytestmark = pytest.mark.django_db

PERIOD = {"start": "2024-01-01", "end": "2024-06-30"}


@pytest.fixture
def half_year(districts, perimeter, plant):
    """District A: 6 entries in January, 9 in March (2 at night), 4 in May.

    District B: 3 entries in March.
    """
    _territory_set, territories = districts
    plant(territories["A"], paris(2024, 1, 10, 10), 6)
    plant(territories["A"], paris(2024, 3, 10, 15), 7)
    plant(territories["A"], paris(2024, 3, 31, 23, 30), 2)
    plant(territories["A"], paris(2024, 5, 10, 10), 4)
    plant(territories["B"], paris(2024, 3, 10, 10), 3)
    return territories


def _download(client, user, name, zone):
    client.force_login(user)
    response = client.get(reverse(name), {"zone": zone, **PERIOD})
    assert response.status_code == 200
    return response


def _pdf_streams(content):
    """Decompress the Flate streams of a PDF (page contents, object streams)."""
    streams = []
    for match in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", content, re.S):
        try:
            streams.append(zlib.decompress(match.group(1)))
        except zlib.error:
            continue
    return streams


def test_pdf_is_valid_with_text(client, users, half_year):
    from accounts.models import AuditEvent

    response = _download(
        client, users["analyst"], "reports:pdf", f"territory:{half_year['A'].pk}"
    )
    content = response.content
    assert response["Content-Type"] == "application/pdf"
    assert "attachment;" in response["Content-Disposition"]
    assert content.startswith(b"%PDF-")
    assert content.rstrip().endswith(b"%%EOF")
    streams = _pdf_streams(content)
    # The page tree sits in a compressed object stream (PDF 1.5 and later).
    page_counts = [
        int(count)
        for data in streams
        for count in re.findall(rb"/Type\s*/Pages\b[^>]*?/Count\s+(\d+)", data)
    ]
    assert len(page_counts) == 1
    assert page_counts[0] >= 2
    text_operators = sum(len(re.findall(rb"\bT[Jj]\b", data)) for data in streams)
    assert text_operators > 50
    event = AuditEvent.objects.get(action="report_download")
    assert event.details["format"] == "pdf"
    assert event.user == users["analyst"]


def test_pdf_pages_render_report_text(users, half_year):
    from layers.reports import downloads
    from layers.reports.presentation import report_tables
    from layers.reports.views import report_context
    from tests.reports.conftest import build

    report = build(users["analyst"], f"territory:{half_year['A'].pk}", **PERIOD)
    tables = report_tables(report)
    document = downloads.render_pdf_document(
        report, tables, base_context=report_context(report, tables)
    )
    assert len(document.pages) >= 2

    def texts(box):
        if getattr(box, "text", None):
            yield box.text
        for child in getattr(box, "children", []):
            yield from texts(child)

    first_page = " ".join(texts(document.pages[0]._page_box))
    assert "Rapport de tendance" in first_page
    assert "Quartier A" in first_page
    assert "Quartiers" in first_page
    last_page = " ".join(texts(document.pages[-1]._page_box))
    assert "H250_" in last_page


def test_xlsx_values_read_back(client, users, half_year):
    response = _download(
        client, users["analyst"], "reports:xlsx", f"territory:{half_year['A'].pk}"
    )
    workbook = load_workbook(io.BytesIO(response.content))
    assert workbook.sheetnames[0] == "rapport"
    assert "series_category" in workbook.sheetnames
    sheet = workbook["series_category"]
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[3]
    assert header[:2] == ("clé", "libellé")
    totals = next(row for row in rows[4:] if row[0] == "total")
    # January 6, March 9 (7, then 2 at 23:30 on 31 March), May 4.
    assert list(totals[2:]) == [6, 0, 9, 0, 4, 0, 19]
    conflits = next(row for row in rows[4:] if row[0] == "conflits")
    assert conflits[-1] == 19
    description = {
        row[0]: row[1] for row in workbook["rapport"].iter_rows(values_only=True)
    }
    assert description["période"] == "2024-01-01 / 2024-06-30"
    assert "Quartiers v3" in description["jeu de territoires"]


def test_xlsx_hides_small_counts(client, users, half_year, perimeter):
    response = _download(
        client, users["client_viewer"], "reports:xlsx", f"client:{perimeter.pk}"
    )
    workbook = load_workbook(io.BytesIO(response.content))
    rows = list(workbook["series_category"].iter_rows(values_only=True))
    totals = next(row for row in rows[4:] if row[0] == "total")
    # Perimeter A + B: January 6, March 12, May 4 ("< 5"), other months 0 ("< 5").
    assert list(totals[2:]) == [6, "< 5", 12, "< 5", "< 5", "< 5", 22]
    comparison = list(workbook["comparison"].iter_rows(values_only=True))
    b_row = next(row for row in comparison[4:] if row[1] == "Quartier B")
    assert b_row[5] == "< 5"


def test_csv_is_utf8_long_table(client, users, half_year):
    response = _download(
        client, users["analyst"], "reports:csv", f"territory:{half_year['A'].pk}"
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    text = response.content.decode("utf-8")
    lines = list(csv.DictReader(io.StringIO(text)))
    march = next(
        line
        for line in lines
        if line["table"] == "series_category"
        and line["row_key"] == "total"
        and line["column_key"] == "2024-03-01"
    )
    assert march["value"] == "9"
    labels = {line["row_label"] for line in lines if line["table"] == "series_category"}
    assert "Prévention et gestion des conflits" in labels
    zone = next(
        line
        for line in lines
        if line["table"] == "metadata" and line["row_key"] == "zone"
    )
    assert zone["value"].startswith("Quartier A")


def test_every_download_is_audited(client, users, half_year):
    from accounts.models import AuditEvent

    zone = f"territory:{half_year['A'].pk}"
    for name in ("reports:csv", "reports:xlsx"):
        _download(client, users["coordinator"], name, zone)
    client.get(reverse("reports:detail"), {"zone": zone, **PERIOD})
    events = AuditEvent.objects.filter(action="report_download").order_by("occurred_at")
    assert [event.details["format"] for event in events] == ["csv", "xlsx"]
    assert all(event.target == zone for event in events)
    assert events[0].details["start"] == "2024-01-01"


def test_pdf_template_hides_small_counts(users, half_year, perimeter):
    from django.template.loader import render_to_string

    from layers.reports import downloads
    from layers.reports.presentation import report_tables
    from layers.reports.views import report_context
    from tests.reports.conftest import build

    report = build(users["client_viewer"], f"client:{perimeter.pk}", **PERIOD)
    tables = report_tables(report)
    context = downloads.pdf_context(
        report, tables, base_context=report_context(report, tables)
    )
    html = render_to_string("reports/pdf.html", context)
    # May (4 entries in A) is hidden in the total row of the category series.
    total_row = re.search(
        r'data-table="series_category".*?<tr data-row="total"[^>]*>(.*?)</tr>',
        html,
        re.S,
    ).group(1)
    cells = re.findall(r"<td[^>]*>(.*?)</td>", total_row)
    assert cells == ["6", "&lt; 5", "12", "&lt; 5", "&lt; 5", "&lt; 5", "22"]
    assert "Les chiffres inférieurs à 5" in html
