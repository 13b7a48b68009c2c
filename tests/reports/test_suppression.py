"""Small-count suppression: primary, secondary, linear check, and in the report."""

import csv
import io
import json

import numpy as np
import pytest

from layers.reports.presentation import report_as_dict, report_tables
from layers.reports.suppression import (
    HIDDEN,
    PRIMARY,
    PUBLISHED,
    SECONDARY,
    FigureBook,
)
from tests.reports.conftest import build, paris


def determined_by_rank(book):
    """List the suppressed figures that the published ones determine, by SVD.

    This check is independent of the elimination the module uses. A figure is
    determined when its unit vector lies in the row space of the relation
    matrix restricted to the suppressed figures. Then the squared norm of its
    column in an orthonormal basis of the row space is 1.
    """
    unknown = [key for key in book.values if book.status[key] != PUBLISHED]
    column = {key: index for index, key in enumerate(unknown)}
    rows = []
    for total, parts in book.relations:
        row = np.zeros(len(unknown))
        if total in column:
            row[column[total]] -= 1
        for key in parts:
            if key in column:
                row[column[key]] += 1
        if row.any():
            rows.append(row)
    if not rows:
        return []
    _u, singular, vt = np.linalg.svd(np.vstack(rows), full_matrices=False)
    rank = int((singular > singular.max() * 1e-10).sum())
    share = (vt[:rank] ** 2).sum(axis=0)
    return [
        key
        for key, index in column.items()
        if (book.status[key] != HIDDEN or book.values[key] < book.threshold)
        and abs(share[index] - 1) < 1e-9
    ]


def two_way_book(cells):
    """A FigureBook of a table with row, column and grand totals."""
    book = FigureBook(threshold=5)
    n_rows, n_columns = len(cells), len(cells[0])
    for i in range(n_rows):
        for j in range(n_columns):
            book.add(("cell", i, j), cells[i][j])
    for i in range(n_rows):
        book.add(("row", i), sum(cells[i]))
        book.add_relation(("row", i), [("cell", i, j) for j in range(n_columns)])
    for j in range(n_columns):
        book.add(("column", j), sum(cells[i][j] for i in range(n_rows)))
        book.add_relation(("column", j), [("cell", i, j) for i in range(n_rows)])
    book.add("grand", sum(map(sum, cells)))
    book.add_relation("grand", [("row", i) for i in range(n_rows)])
    book.add_relation("grand", [("column", j) for j in range(n_columns)])
    return book


def test_single_hole_gets_secondary():
    book = FigureBook(threshold=5)
    book.add("total", 24)
    for key, value in (("a", 12), ("b", 3), ("c", 9)):
        book.add(key, value)
    book.add_relation("total", ["a", "b", "c"])
    book.suppress()
    assert book.status == {
        "total": PUBLISHED,
        "a": PUBLISHED,
        "b": PRIMARY,
        "c": SECONDARY,
    }
    # 24 - 12 = 12 is b + c: the split stays unknown.
    assert determined_by_rank(book) == []


def test_zero_is_a_small_count():
    book = FigureBook(threshold=5)
    book.add("zero", 0)
    book.add("five", 5)
    book.suppress()
    assert book.status["zero"] == PRIMARY
    assert book.status["five"] == PUBLISHED


def test_bridge_cell_found_by_linear_check():
    # Two blocks of small cells (rows 0-1 x columns 0-1, rows 2-3 x columns
    # 2-3) joined by the small cell (1, 2). Every row and column has at least
    # two small cells, so step 2 adds nothing, yet the margins determine the
    # joining cell exactly.
    cells = [
        [1, 2, 10, 10],
        [3, 4, 2, 10],
        [10, 10, 1, 2],
        [10, 10, 3, 4],
    ]
    primary_only = two_way_book(cells)
    for key, value in primary_only.values.items():
        if value < 5:
            primary_only.status[key] = PRIMARY
    for total, parts in primary_only.relations:
        hidden = [
            key for key in [total, *parts] if primary_only.status[key] != PUBLISHED
        ]
        assert len(hidden) != 1
    assert determined_by_rank(primary_only) == [("cell", 1, 2)]

    book = two_way_book(cells).suppress()
    assert determined_by_rank(book) == []
    assert SECONDARY in book.status.values()


def test_two_way_table_leaves_nothing_determined():
    cells = [
        [12, 3, 9, 20],
        [8, 15, 1, 30],
        [2, 11, 14, 7],
    ]
    book = two_way_book(cells).suppress()
    assert determined_by_rank(book) == []
    for total, parts in book.relations:
        hidden = [key for key in [total, *parts] if book.status[key] != PUBLISHED]
        assert len(hidden) != 1, (total, parts)
    # Row 0: 3 is small, the next smallest part (9) is hidden with it.
    assert book.status[("cell", 0, 1)] == PRIMARY
    assert book.status[("cell", 0, 2)] == SECONDARY


def test_known_zero_and_hidden_rest():
    book = FigureBook(threshold=5)
    book.add("total", 14)
    book.add("cell_a", 10)
    book.add("cell_b", 4)
    book.add("rest", 0, known=True)
    book.add_relation("total", ["cell_a", "cell_b", "rest"])
    book.suppress()
    # The known zero cannot hide cell_b, so cell_a is hidden with it.
    assert book.status["rest"] == PUBLISHED
    assert book.status["cell_b"] == PRIMARY
    assert book.status["cell_a"] == SECONDARY

    hidden_rest = FigureBook(threshold=5)
    hidden_rest.add("total", 14)
    hidden_rest.add("cell_a", 10)
    hidden_rest.add("cell_b", 4)
    hidden_rest.add("rest", 0, hidden=True)
    hidden_rest.add_relation("total", ["cell_a", "cell_b", "rest"])
    hidden_rest.suppress()
    assert hidden_rest.status["cell_a"] == PUBLISHED
    assert hidden_rest.status["cell_b"] == PRIMARY


def test_relation_must_hold():
    book = FigureBook(threshold=5)
    book.add("total", 10)
    book.add("part", 9)
    with pytest.raises(ValueError, match="does not hold"):
        book.add_relation("total", ["part"])


# --- in a report ----------------------------------------------------------------


@pytest.fixture
def slots_in_march(districts, perimeter, plant):
    """41 entries in district A in March 2024: 20 in the morning, 12 in the
    afternoon, 6 in the evening and 3 at night (local hours)."""
    _territory_set, territories = districts
    zone = territories["A"]
    plant(zone, paris(2024, 3, 5, 10), 20)
    plant(zone, paris(2024, 3, 6, 15), 12)
    plant(zone, paris(2024, 3, 7, 20), 6)
    plant(zone, paris(2024, 3, 8, 23), 3)
    return perimeter


def _client_report(users, perimeter):
    return build(
        users["client_viewer"], f"client:{perimeter.pk}", "2024-03-01", "2024-03-31"
    )


@pytest.mark.django_db
def test_report_hides_small_slot_and_its_partner(slots_in_march, users):
    report = _client_report(users, slots_in_march)
    slots = next(t for t in report_tables(report) if t.name == "breakdown_time_slot")
    displayed = {row.key: row.cells[0] for row in slots.rows}
    assert displayed["morning"].display == "20"
    assert displayed["afternoon"].display == "12"
    assert displayed["night"].display == "< 5"
    assert displayed["night"].value is None
    assert displayed["evening"].display == "s"
    assert displayed["evening"].value is None
    assert displayed["total"].value == 41
    # Subtraction: the total minus the published slots is 9, the sum of two
    # hidden figures, which does not give the 3 night entries.
    published = sum(
        cell.value for key, cell in displayed.items() if key != "total" and cell.value
    )
    assert displayed["total"].value - published == 9
    assert determined_by_rank(report.book) == []


@pytest.mark.django_db
def test_report_changes_need_both_sides(slots_in_march, districts, plant, users):
    # An entry of district C, outside the perimeter, in January 2024 starts
    # the data before February, so the previous period is covered.
    _territory_set, territories = districts
    plant(territories["C"], paris(2024, 1, 15, 10))
    report = _client_report(users, slots_in_march)
    summary = next(t for t in report_tables(report) if t.name == "summary")
    entries = summary.row("entries")
    assert entries.cells[0].value == 41
    # No entry of the zone in February: the previous figures are hidden, so is
    # the change.
    assert entries.cells[1].display == "< 5"
    assert entries.cells[3].display == "—"
    assert entries.cells[4].value is None


@pytest.mark.django_db
def test_comparison_total_cannot_reveal_row(slots_in_march, users):
    report = _client_report(users, slots_in_march)
    comparison = next(t for t in report_tables(report) if t.name == "comparison")
    # The perimeter is A and B, so A + B is the report's total (41): with B
    # hidden (0), A is hidden too and neither gets a rank.
    rows = {row.label: row for row in comparison.rows}
    assert [row for row in rows] == ["Quartier A", "Quartier B"]
    assert rows["Quartier B"].cells[3].display == "< 5"
    assert rows["Quartier A"].cells[3].display == "s"
    assert rows["Quartier A"].cells[9].value is None
    assert rows["Quartier A"].cells[7].value is None


@pytest.mark.django_db
def test_hidden_figures_absent_from_json_and_csv(slots_in_march, users):
    from layers.reports.downloads import report_csv

    report = _client_report(users, slots_in_march)
    tables = report_tables(report)
    data = report_as_dict(report, tables)
    slots = next(t for t in data["tables"] if t["name"] == "breakdown_time_slot")
    night = next(row for row in slots["rows"] if row["key"] == "night")
    assert night["cells"][0] == {"value": None, "display": "< 5", "status": "primary"}
    json.dumps(data)

    lines = list(
        csv.DictReader(io.StringIO(report_csv(report, tables).decode("utf-8")))
    )
    night_line = next(
        line
        for line in lines
        if line["table"] == "breakdown_time_slot"
        and line["row_key"] == "night"
        and line["column_key"] == "current"
    )
    assert night_line["value"] == "< 5"
    evening_line = next(
        line
        for line in lines
        if line["table"] == "series_time_slot"
        and line["row_key"] == "evening"
        and line["column_key"] == "total"
    )
    assert evening_line["value"] == "s"


@pytest.mark.django_db
def test_staff_see_every_figure(slots_in_march, users):
    report = build(
        users["analyst"], f"client:{slots_in_march.pk}", "2024-03-01", "2024-03-31"
    )
    slots = next(t for t in report_tables(report) if t.name == "breakdown_time_slot")
    assert slots.cell("night", "current").value == 3
    assert slots.cell("evening", "current").value == 6
    assert report.suppressed is False


@pytest.mark.django_db
def test_client_viewer_cannot_ask_for_drafts(slots_in_march, users):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match="status=draft"):
        build(
            users["client_viewer"],
            f"client:{slots_in_march.pk}",
            "2024-03-01",
            "2024-03-31",
            status="draft",
        )
