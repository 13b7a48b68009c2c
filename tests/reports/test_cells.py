"""Top hotspot cells of a zone, from the Gi* layer."""

import re

import pytest
from django.contrib.gis.geos import Point
from django.utils import translation

from layers.reports.presentation import report_tables
from tests.conftest import square
from tests.reports.conftest import build, paris

pytestmark = pytest.mark.django_db


@pytest.fixture
def large_district(districts):
    """A 4 km square (16 km², about a hundred 250 m hexagons) in the same set."""
    from territories.models import Territory

    territory_set, _territories = districts
    return Territory.objects.create(
        territory_set=territory_set,
        code="D",
        name="Quartier D",
        geom=square(660000, 6860000, 4000),
    )


def test_planted_cluster_is_top_hot_spot(large_district, plant, users):
    # 45 entries within 250 m of (661 000, 6 861 000), then one entry in each
    # of six cells far from it and from each other.
    centre = large_district.geom.centroid
    cluster = (661000 - centre.x, 6861000 - centre.y)
    for dx, dy in ((0, 0), (120, 0), (0, 120)):
        plant(
            large_district,
            paris(2024, 5, 10, 10),
            15,
            offset=(cluster[0] + dx, cluster[1] + dy),
        )
    for x, y in (
        (663000, 6863000),
        (663500, 6861000),
        (661000, 6863500),
        (662500, 6862000),
        (663500, 6863500),
        (660500, 6862800),
    ):
        plant(
            large_district, paris(2024, 5, 11, 10), offset=(x - centre.x, y - centre.y)
        )

    report = build(
        users["analyst"], f"territory:{large_district.pk}", "2024-05-01", "2024-05-31"
    )
    assert report.cells.method == "gi_star"
    assert report.cells.message is None
    first = report.cells.cells[0]
    # The lattice puts the first two groups of 15 in one hexagon and the third
    # in the hexagon next to it: both are 99 % hot spots, the singles are not.
    assert [cell["count"] for cell in report.cells.cells] == [30, 15, 1, 1, 1]
    assert [cell["gi_bin"] for cell in report.cells.cells[:2]] == [3, 3]
    assert all(cell["gi_bin"] == 0 for cell in report.cells.cells[2:])
    assert first["geom"].contains(Point(661000, 6861000, srid=2154))
    assert report.cells.nonempty == 8
    assert report.cells.grid_total == 51
    with translation.override("fr"):
        table = next(t for t in report_tables(report) if t.name == "hotspots")
        assert table.rows[0].cells[3].value.startswith("point chaud")


def test_small_zone_ranks_cells_by_count(districts, plant, users):
    _territory_set, territories = districts
    zone = territories["A"]
    plant(zone, paris(2024, 5, 10, 10), 7)
    plant(zone, paris(2024, 5, 11, 10), 2, offset=(400, 400))
    report = build(users["analyst"], f"territory:{zone.pk}", "2024-05-01", "2024-05-31")
    # A 1 km square contains too few hexagons for Gi*, and the layer returns why.
    assert report.cells.method == "count"
    assert report.cells.message
    assert [cell["count"] for cell in report.cells.cells] == [7, 2]
    assert report.cells.grid_total == 9
    with translation.override("fr"):
        table = next(t for t in report_tables(report) if t.name == "hotspots")
        assert table.rows[0].cells[3].value == "non testé"


def test_client_viewer_gets_no_small_cell(districts, perimeter, plant, users):
    _territory_set, territories = districts
    zone = territories["A"]
    plant(zone, paris(2024, 5, 10, 10), 7)
    plant(zone, paris(2024, 5, 11, 10), 3, offset=(400, 400))
    plant(zone, paris(2024, 5, 12, 10), 3, offset=(-400, -400))
    report = build(
        users["client_viewer"], f"territory:{zone.pk}", "2024-05-01", "2024-05-31"
    )
    # The cells of 3 are not listed; the 6 entries outside the listed cell
    # are a hidden figure, and 13 - 7 = 6 reveals no small count.
    assert [cell["count"] for cell in report.cells.cells] == [7]
    cell_key = ("cell", report.cells.cells[0]["cell_id"])
    assert report.book.status[("cells_rest",)] == "hidden"
    assert report.book.values[("cells_rest",)] == 6
    assert report.book.status[cell_key] == "published"


def test_cell_hidden_when_rest_is_small(districts, perimeter, plant, users):
    _territory_set, territories = districts
    zone = territories["A"]
    plant(zone, paris(2024, 5, 10, 10), 7)
    plant(zone, paris(2024, 5, 11, 10), 2, offset=(400, 400))
    report = build(
        users["client_viewer"], f"territory:{zone.pk}", "2024-05-01", "2024-05-31"
    )
    # Total 9 minus the listed cell would give the 2 other entries.
    cell_key = ("cell", report.cells.cells[0]["cell_id"])
    assert report.book.values[cell_key] == 7
    assert report.book.status[cell_key] == "secondary"
    assert report.book.status[("count", "total", None, "current", "all")] == "published"


def test_client_viewer_gets_classes_only(large_district, perimeter, plant, users):
    import csv
    import io
    import json

    from django.template.loader import render_to_string
    from openpyxl import load_workbook

    from layers.reports import downloads
    from layers.reports.presentation import report_as_dict
    from layers.reports.views import report_context

    perimeter.perimeter.add(large_district)
    centre = large_district.geom.centroid
    plant(
        large_district,
        paris(2024, 5, 10, 10),
        30,
        offset=(661000 - centre.x, 6861000 - centre.y),
    )
    for x, y in (
        (663000, 6863000),
        (663500, 6861000),
        (661000, 6863500),
        (662500, 6862000),
        (663500, 6863500),
        (660500, 6862800),
    ):
        plant(
            large_district, paris(2024, 5, 11, 10), offset=(x - centre.x, y - centre.y)
        )
    zone = f"territory:{large_district.pk}"
    staff = build(users["analyst"], zone, "2024-05-01", "2024-05-31")
    viewer = build(users["client_viewer"], zone, "2024-05-01", "2024-05-31")
    assert viewer.cells.method == "gi_star", viewer.cells.message

    with translation.override("fr"):
        staff_table = next(t for t in report_tables(staff) if t.name == "hotspots")
        tables = report_tables(viewer)
        table = next(t for t in tables if t.name == "hotspots")
        data = report_as_dict(viewer, tables)
        csv_text = downloads.report_csv(viewer, tables).decode("utf-8")
        workbook = load_workbook(io.BytesIO(downloads.report_xlsx(viewer, tables)))
        context = downloads.pdf_context(
            viewer, tables, base_context=report_context(viewer, tables)
        )
        pdf_html = render_to_string("reports/pdf.html", context)

    assert [c.key for c in staff_table.columns] == ["count", "gi_z", "gi_p", "class"]
    assert [c.key for c in table.columns] == ["count", "class"]
    # The 30 planted entries fill one cell, a 99 % hot spot, named in words.
    assert table.rows[0].cells[0].value == 30
    assert table.rows[0].cells[1].value == "point chaud (99 %)"
    assert all(cell["gi_z"] is None for cell in viewer.cells.cells)
    assert all(cell["gi_p"] is None for cell in viewer.cells.cells)

    hotspots = next(t for t in data["tables"] if t["name"] == "hotspots")
    assert [c["key"] for c in hotspots["columns"]] == ["count", "class"]
    features = data["map"]["cells"]["features"]
    assert features[0]["properties"]["class"] == "point chaud (99 %)"
    assert "gi_z" not in json.dumps(data)
    assert "gi_p" not in json.dumps(data)

    lines = list(csv.DictReader(io.StringIO(csv_text)))
    columns = {line["column_key"] for line in lines if line["table"] == "hotspots"}
    assert columns == {"count", "class"}

    header = list(workbook["hotspots"].iter_rows(values_only=True))[3]
    assert header == ("clé", "libellé", "interventions", "classe")

    section = re.search(r'id="table-hotspots".*?</section>', pdf_html, re.S).group(0)
    assert "z-score" not in section.split("</p>", 1)[1]
    assert "p-valeur" not in section.split("</p>", 1)[1]
    assert "point chaud (99 %)" in section
