"""Comparison with the previous period and the previous year, rates and ranks."""

import re

import pytest

from layers.reports.presentation import report_tables
from tests.reports.conftest import build, paris

pytestmark = pytest.mark.django_db


@pytest.fixture
def second_quarter(districts, plant):
    """Entries of district A around the quarter April-June 2024.

    Current quarter: 4 in April, 5 presence entries of 60 min in May, 3 in
    June, each conflict entry lasting 30 min. Previous quarter (January-March
    2024): 7 in January and one at 23:30 on 31 March. Same quarter of 2023:
    15 in May 2023. Outside every period: 23:30 on 31 March 2023 and 00:10 on
    1 July 2024.
    """
    _territory_set, territories = districts
    zone = territories["A"]
    plant(zone, paris(2024, 4, 3, 10), 4, duration=30)
    plant(
        zone,
        paris(2024, 5, 14, 18),
        5,
        category="presence-active",
        type="tournee-pied",
        duration=60,
    )
    plant(zone, paris(2024, 6, 30, 23, 30), 3, duration=30)
    plant(zone, paris(2024, 1, 20, 9), 7)
    plant(zone, paris(2024, 3, 31, 23, 30), 1)
    plant(zone, paris(2023, 5, 2, 11), 15)
    plant(zone, paris(2023, 3, 31, 23, 30), 2)
    plant(zone, paris(2024, 7, 1, 0, 10), 2)
    return zone


def test_changes_against_previous_periods(second_quarter, users):
    report = build(
        users["analyst"], f"territory:{second_quarter.pk}", "2024-04-01", "2024-06-30"
    )
    assert report.periods["previous"].start.isoformat() == "2024-01-01"
    assert report.periods["previous_year"].end.isoformat() == "2023-06-30"
    summary = next(t for t in report_tables(report) if t.name == "summary")
    entries = summary.row("entries")
    values = [cell.value for cell in entries.cells]
    # 12 now, 8 before (+4, +50 %), 15 a year earlier (-3, -20 %).
    assert values == [12, 8, 15, 4, 50.0, -3, -20.0]
    assert entries.cells[4].display == "+50,0 %"
    assert entries.cells[6].display == "-20,0 %"


def test_hours_of_presence(second_quarter, users):
    report = build(
        users["analyst"], f"territory:{second_quarter.pk}", "2024-04-01", "2024-06-30"
    )
    summary = next(t for t in report_tables(report) if t.name == "summary")
    # Presence: 5 x 60 min = 5 h. All entries: 5 h + 7 x 30 min = 8.5 h.
    assert summary.cell("hours_presence", "current").value == 5.0
    assert summary.cell("hours_all", "current").value == 8.5
    assert summary.cell("hours_all", "current").display == "8,5"
    assert summary.cell("hours_all", "previous").value == 0.0


def test_breakdown_by_category_compared(second_quarter, users):
    report = build(
        users["analyst"], f"territory:{second_quarter.pk}", "2024-04-01", "2024-06-30"
    )
    table = next(t for t in report_tables(report) if t.name == "breakdown_category")
    assert [cell.value for cell in table.row("conflits").cells[:3]] == [7, 8, 15]
    assert [cell.value for cell in table.row("presence-active").cells[:3]] == [5, 0, 0]
    # No previous presence entries: the percent change has no base.
    assert table.cell("presence-active", "change_previous_pct").display == "—"
    assert table.cell("presence-active", "change_previous").value == 5


@pytest.fixture
def set_counts(districts, plant):
    """March 2024: A 10, B 30, C 10. February 2024: A 5, B 40, C 0.

    One entry in C on 31 January 2024 starts the data before February, so
    that February is a comparison period the data cover.
    """
    _territory_set, territories = districts
    plant(territories["C"], paris(2024, 1, 31, 10))
    for code, current, previous in (("A", 10, 5), ("B", 30, 40), ("C", 10, 0)):
        plant(territories[code], paris(2024, 3, 12, 10), current)
        if previous:
            plant(territories[code], paris(2024, 2, 12, 10), previous)
    return territories


def _comparison(report):
    table = next(t for t in report_tables(report) if t.name == "comparison")
    return {
        row.label: {
            column.key: cell.value for column, cell in zip(table.columns, row.cells)
        }
        for row in table.rows
    }


def test_rates_and_ranks_across_set(set_counts, users):
    report = build(
        users["analyst"], f"territory:{set_counts['A'].pk}", "2024-03-01", "2024-03-31"
    )
    rows = _comparison(report)
    assert rows["Quartier A"] == {
        "code": "A",
        "area_km2": 1.0,
        "population": 2000,
        "current": 10,
        "previous": 5,
        "change_previous": 5,
        "change_previous_pct": 100.0,
        "per_km2": 10.0,
        "per_1000": 5.0,
        "rank": 2,
        "rank_per_1000": 1,
    }
    assert rows["Quartier B"] == {
        "code": "B",
        "area_km2": 4.0,
        "population": 10000,
        "current": 30,
        "previous": 40,
        "change_previous": -10,
        "change_previous_pct": -25.0,
        "per_km2": 7.5,
        "per_1000": 3.0,
        "rank": 1,
        "rank_per_1000": 2,
    }
    # C has no population: no rate per inhabitant and no rank on it; it ties
    # with A on counts, so both share rank 2.
    assert rows["Quartier C"]["per_1000"] is None
    assert rows["Quartier C"]["rank_per_1000"] is None
    assert rows["Quartier C"]["rank"] == 2
    assert rows["Quartier C"]["change_previous_pct"] is None


def test_comparison_for_client_viewer(set_counts, perimeter, users):
    report = build(
        users["client_viewer"], f"client:{perimeter.pk}", "2024-03-01", "2024-03-31"
    )
    rows = _comparison(report)
    # Only the perimeter (A and B); C is not listed.
    assert list(rows) == ["Quartier A", "Quartier B"]
    assert rows["Quartier A"]["per_1000"] == 5.0
    assert rows["Quartier B"]["rank"] == 1
    assert rows["Quartier A"]["rank"] == 2


def test_comparison_set_versions_listed(set_counts, users):
    from layers.reports.presentation import report_metadata

    report = build(
        users["analyst"], f"territory:{set_counts['A'].pk}", "2024-03-01", "2024-03-31"
    )
    sets = report_metadata(report)["territory_sets"]
    assert [(item["slug"], item["version"], item["role"]) for item in sets] == [
        ("quartiers", 3, "zone")
    ]
    assert sets[0]["valid_from"] == "2020-01-01"


@pytest.fixture
def from_february(districts, plant):
    """Data starting on 14 February 2024: 6 entries then, 9 in May 2024 in A."""
    _territory_set, territories = districts
    plant(territories["A"], paris(2024, 2, 14, 10), 6)
    plant(territories["A"], paris(2024, 5, 14, 10), 9)
    return territories["A"]


def test_uncovered_comparison_not_available(client, from_february, users):
    from django.urls import reverse

    from layers.reports.presentation import report_as_dict

    # Previous quarter: January to March 2024, starting before 14 February.
    zone = f"territory:{from_february.pk}"
    report = build(users["analyst"], zone, "2024-04-01", "2024-06-30")
    assert report.uncovered == frozenset({"previous", "previous_year"})
    tables = report_tables(report)
    entries = next(t for t in tables if t.name == "summary").row("entries")
    assert [cell.value for cell in entries.cells[:3]] == [9, 6, 0]
    for cell in entries.cells[3:]:
        assert cell.value is None
        assert cell.display == "non disponible"
        assert cell.note == "période de comparaison non couverte par les données"
    conflicts = next(t for t in tables if t.name == "breakdown_category")
    assert conflicts.cell("conflits", "change_previous_pct").status == "not_covered"
    comparison = next(t for t in tables if t.name == "comparison")
    assert comparison.cell(str(from_february.pk), "change_previous").value is None

    data = report_as_dict(report, tables)
    assert data["previous_period"]["covered_by_data"] is False
    summary = next(t for t in data["tables"] if t["name"] == "summary")
    assert summary["rows"][0]["cells"][4]["status"] == "not_covered"

    client.force_login(users["analyst"])
    page = client.get(
        reverse("reports:detail"),
        {"zone": zone, "start": "2024-04-01", "end": "2024-06-30"},
    ).content.decode()
    card = re.search(r'data-row="entries">(.*?)</section>', page, re.S).group(1)
    reason = "non disponible (période de comparaison non couverte par les données)"
    assert reason in card
    assert "%" not in card


def test_covered_comparison_starts_on_first_entry(districts, plant, users):
    _territory_set, territories = districts
    plant(territories["A"], paris(2024, 1, 1, 0, 30), 5)
    plant(territories["A"], paris(2024, 4, 2, 10), 10)
    report = build(
        users["analyst"], f"territory:{territories['A'].pk}", "2024-04-01", "2024-06-30"
    )
    assert report.uncovered == frozenset({"previous_year"})
    entries = next(t for t in report_tables(report) if t.name == "summary").row(
        "entries"
    )
    # 10 against 5: +100 %; the same quarter of 2023 is before the data.
    assert entries.cells[4].display == "+100,0 %"
    assert entries.cells[6].display == "non disponible"


def _page_text(client, user, params):
    from django.urls import reverse

    client.force_login(user)
    response = client.get(reverse("reports:detail"), params)
    assert response.status_code == 200
    return response.content.decode()


def test_comparison_periods_printed_once(client, second_quarter, users):
    zone = f"territory:{second_quarter.pk}"
    year = _page_text(
        client,
        users["analyst"],
        {"zone": zone, "start": "2023-07-01", "end": "2024-06-30"},
    )
    # Twelve whole months: the previous period is the same months a year earlier.
    assert year.count("2022-07-01 – 2023-06-30") == 1
    assert year.count('data-change="both"') == 3
    assert 'data-change="previous_year"' not in year
    quarter = _page_text(
        client,
        users["analyst"],
        {"zone": zone, "start": "2024-04-01", "end": "2024-06-30"},
    )
    assert quarter.count("2024-01-01 – 2024-03-31") == 1
    assert quarter.count("2023-04-01 – 2023-06-30") == 1
    assert quarter.count('data-change="previous_year"') == 3


@pytest.mark.parametrize(
    ("step", "unit"), [("month", "par mois"), ("week", "par semaine")]
)
def test_slope_unit_follows_step(client, second_quarter, users, step, unit):
    page = _page_text(
        client,
        users["analyst"],
        {
            "zone": f"territory:{second_quarter.pk}",
            "start": "2023-07-01",
            "end": "2024-06-30",
            "step": step,
        },
    )
    slope = re.search(r'data-change="slope">(.*?)</div>', page, re.S).group(1)
    assert slope.startswith("pente de Sen : ")
    assert slope.endswith(unit)
    assert "par pas" not in page
