"""Monthly and weekly series cut in local time by PostgreSQL, around clock changes."""

import datetime as dt

import pytest

from layers.reports.periods import bucket_of
from layers.reports.presentation import report_tables
from tests.reports.conftest import build, paris

pytestmark = pytest.mark.django_db

UTC = dt.timezone.utc


@pytest.fixture
def dst_entries(districts, plant):
    """Entries on both sides of the 2024 clock changes in Paris, in zone A.

    Expected months, worked out by hand from the Paris offsets (+01:00 in
    winter, +02:00 from 31 March 02:00 to 27 October 03:00):
    February 1, March 3, April 2, October 4, November 4.
    """
    _territory_set, territories = districts
    zone = territories["A"]
    planted = [
        # 2024-02-29 22:59 UTC: last minute of February in Paris.
        (dt.datetime(2024, 2, 29, 22, 59, tzinfo=UTC), 1),
        # 2024-02-29 23:00 UTC: midnight opening March in Paris.
        (dt.datetime(2024, 2, 29, 23, 0, tzinfo=UTC), 1),
        # 03:30 on 31 March, just after the change to summer time.
        (paris(2024, 3, 31, 3, 30), 1),
        # 23:30 on the last day of March = 21:30 UTC: March.
        (paris(2024, 3, 31, 23, 30), 1),
        # 00:30 on 1 April = 22:30 UTC on 31 March: April.
        (paris(2024, 4, 1, 0, 30), 2),
        # 02:30 on 27 October, the first (summer time) of the two 02:30s.
        (paris(2024, 10, 27, 2, 30), 1),
        # 23:30 on the last day of October = 22:30 UTC: October.
        (paris(2024, 10, 31, 23, 30), 3),
        # 00:10 on 1 November = 23:10 UTC on 31 October: November.
        (paris(2024, 11, 1, 0, 10), 4),
    ]
    entries = []
    for moment, count in planted:
        entries.extend(plant(zone, moment, count))
    return zone, entries


def _total_row(report):
    table = next(t for t in report_tables(report) if t.name == "series_category")
    return {
        column.key: cell.value
        for column, cell in zip(table.columns, table.row("total").cells)
    }


def test_monthly_series_around_clock_changes(dst_entries, users):
    zone, _entries = dst_entries
    report = build(users["analyst"], f"territory:{zone.pk}", "2024-01-01", "2024-12-31")
    totals = _total_row(report)
    expected = {f"2024-{month:02d}-01": 0 for month in range(1, 13)}
    expected.update(
        {
            "2024-02-01": 1,
            "2024-03-01": 3,
            "2024-04-01": 2,
            "2024-10-01": 4,
            "2024-11-01": 4,
        }
    )
    expected["total"] = 14
    assert totals == expected


def test_sql_buckets_match_python_zoneinfo(dst_entries, users):
    from interventions.models import Intervention

    zone, entries = dst_entries
    report = build(users["analyst"], f"territory:{zone.pk}", "2024-01-01", "2024-12-31")
    by_python = {}
    for entry in Intervention.objects.filter(pk__in=[e.pk for e in entries]):
        bucket = bucket_of(entry.occurred_at, "month").isoformat()
        by_python[bucket] = by_python.get(bucket, 0) + 1
    by_sql = {
        key: value
        for key, value in _total_row(report).items()
        if value and key != "total"
    }
    assert by_sql == by_python


def test_period_edges_follow_local_days(dst_entries, users):
    zone, _entries = dst_entries
    march = build(users["analyst"], f"territory:{zone.pk}", "2024-03-01", "2024-03-31")
    october = build(
        users["analyst"], f"territory:{zone.pk}", "2024-10-01", "2024-10-31"
    )
    # March: 00:00 on 1 March, 03:30 and 23:30 on 31 March; not 00:30 on 1 April.
    assert _total_row(march) == {"2024-03-01": 3, "total": 3}
    assert _total_row(october) == {"2024-10-01": 4, "total": 4}


def test_weekly_series_across_midnight(dst_entries, users):
    zone, _entries = dst_entries
    report = build(
        users["analyst"],
        f"territory:{zone.pk}",
        "2024-03-25",
        "2024-04-07",
        step="week",
    )
    # Sunday 31 March (03:30 and 23:30) is in the week of Monday 25 March;
    # 00:30 on Monday 1 April opens the next week.
    assert _total_row(report) == {"2024-03-25": 2, "2024-04-01": 2, "total": 4}


def test_series_by_time_slot_in_local_hours(dst_entries, users):
    zone, _entries = dst_entries
    report = build(users["analyst"], f"territory:{zone.pk}", "2024-01-01", "2024-12-31")
    table = next(t for t in report_tables(report) if t.name == "series_time_slot")
    totals = {row.key: row.cells[-1].value for row in table.rows}
    # Night (22:00 to 06:00 local): 22:59 and 23:00 UTC in February are 23:59
    # and 00:00 local, 03:30, 23:30, 00:30 x2, 02:30, 23:30 x3, 00:10 x4.
    assert totals == {
        "morning": 0,
        "afternoon": 0,
        "evening": 0,
        "night": 14,
        "total": 14,
    }
