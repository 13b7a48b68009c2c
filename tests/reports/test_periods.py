"""Report periods: comparison periods, buckets and local-time bucketing in Python."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from layers.reports.periods import ReportPeriod, bucket_of, default_period

UTC = dt.timezone.utc


def test_previous_of_whole_months():
    period = ReportPeriod(dt.date(2024, 1, 1), dt.date(2024, 6, 30))
    previous = period.previous()
    assert (previous.start, previous.end) == (
        dt.date(2023, 7, 1),
        dt.date(2023, 12, 31),
    )


def test_previous_of_days_crosses_leap_day():
    # 10 days, so the previous period is the 10 days before 10 March 2024.
    period = ReportPeriod(dt.date(2024, 3, 10), dt.date(2024, 3, 19))
    previous = period.previous()
    assert (previous.start, previous.end) == (dt.date(2024, 2, 29), dt.date(2024, 3, 9))


def test_previous_year_keeps_month_ends():
    february_2024 = ReportPeriod(
        dt.date(2024, 2, 1), dt.date(2024, 2, 29)
    ).previous_year()
    assert (february_2024.start, february_2024.end) == (
        dt.date(2023, 2, 1),
        dt.date(2023, 2, 28),
    )
    february_2025 = ReportPeriod(
        dt.date(2025, 2, 1), dt.date(2025, 2, 28)
    ).previous_year()
    assert (february_2025.start, february_2025.end) == (
        dt.date(2024, 2, 1),
        dt.date(2024, 2, 29),
    )


def test_month_and_week_buckets():
    months = ReportPeriod(dt.date(2024, 1, 15), dt.date(2024, 3, 2)).buckets()
    assert months == [dt.date(2024, 1, 1), dt.date(2024, 2, 1), dt.date(2024, 3, 1)]
    # Wednesday 27 March to Monday 8 April: three ISO weeks, from Monday 25 March.
    weeks = ReportPeriod(dt.date(2024, 3, 27), dt.date(2024, 4, 8), "week").buckets()
    assert weeks == [dt.date(2024, 3, 25), dt.date(2024, 4, 1), dt.date(2024, 4, 8)]


@pytest.mark.parametrize(
    "moment, expected",
    [
        # 23:30 in Paris on 31 March 2024 (summer time began at 02:00 that day).
        (dt.datetime(2024, 3, 31, 21, 30, tzinfo=UTC), dt.date(2024, 3, 1)),
        # 00:30 in Paris on 1 April 2024, still 31 March in UTC.
        (dt.datetime(2024, 3, 31, 22, 30, tzinfo=UTC), dt.date(2024, 4, 1)),
        # 23:30 in Paris on 31 October 2024 (winter time since 27 October).
        (dt.datetime(2024, 10, 31, 22, 30, tzinfo=UTC), dt.date(2024, 10, 1)),
        # 00:30 in Paris on 1 November 2024.
        (dt.datetime(2024, 10, 31, 23, 30, tzinfo=UTC), dt.date(2024, 11, 1)),
        # 00:00 in Paris on 1 March 2024 is 23:00 on 29 February in UTC.
        (dt.datetime(2024, 2, 29, 23, 0, tzinfo=UTC), dt.date(2024, 3, 1)),
    ],
)
def test_bucket_of_local_month(moment, expected):
    assert bucket_of(moment, "month") == expected


def test_bucket_of_week_after_midnight():
    # Monday 1 April 2024 at 00:30 in Paris opens a new ISO week.
    assert bucket_of(dt.datetime(2024, 3, 31, 22, 30, tzinfo=UTC), "week") == dt.date(
        2024, 4, 1
    )
    assert bucket_of(dt.datetime(2024, 3, 31, 21, 30, tzinfo=UTC), "week") == dt.date(
        2024, 3, 25
    )


def test_bucket_of_needs_aware_datetime():
    with pytest.raises(ValueError, match="aware datetime"):
        bucket_of(dt.datetime(2024, 3, 31, 23, 30), "month")


def test_period_rejects_bad_step_and_length():
    with pytest.raises(ValidationError, match="step=day"):
        ReportPeriod(dt.date(2024, 1, 1), dt.date(2024, 1, 31), "day")
    with pytest.raises(ValidationError, match="swap the dates|inversez"):
        ReportPeriod(dt.date(2024, 2, 1), dt.date(2024, 1, 31))
    with pytest.raises(ValidationError, match="121"):
        ReportPeriod(dt.date(2010, 1, 1), dt.date(2020, 1, 31))


def test_default_period_is_last_twelve_months():
    period = default_period(dt.date(2025, 3, 14))
    assert (period.start, period.end) == (dt.date(2024, 3, 1), dt.date(2025, 2, 28))


def test_default_period_ends_with_latest_entry():
    today = dt.date(2026, 12, 4)
    period = default_period(today, latest=dt.date(2024, 9, 12))
    assert (period.start, period.end) == (dt.date(2023, 10, 1), dt.date(2024, 9, 30))
    # An entry of the current month would make the last month partial, so the
    # period still ends with the month before it.
    period = default_period(today, latest=dt.date(2026, 12, 2))
    assert (period.start, period.end) == (dt.date(2025, 12, 1), dt.date(2026, 11, 30))
    period = default_period(today, latest=None)
    assert (period.start, period.end) == (dt.date(2025, 12, 1), dt.date(2026, 11, 30))


@pytest.mark.parametrize(
    ("start", "end", "named"),
    [
        (dt.date(1, 1, 1), dt.date(9999, 12, 31), "start=0001-01-01"),
        (dt.date(2024, 1, 1), dt.date(9999, 12, 31), "end=9999-12-31"),
        (dt.date(1999, 12, 31), dt.date(2000, 6, 30), "start=1999-12-31"),
    ],
)
def test_period_outside_calendar_bounds_rejected(start, end, named):
    with pytest.raises(ValidationError) as caught:
        ReportPeriod(start, end)
    assert named in caught.value.messages[0]


@pytest.mark.parametrize(
    ("start", "end", "step", "expected"),
    [
        (dt.date(2024, 1, 15), dt.date(2024, 12, 2), "month", 12),
        (dt.date(2023, 12, 31), dt.date(2024, 1, 1), "month", 2),
        # 2024-03-04 and 2024-03-31 are in ISO weeks 10 and 13.
        (dt.date(2024, 3, 4), dt.date(2024, 3, 31), "week", 4),
    ],
)
def test_bucket_count_matches_buckets(start, end, step, expected):
    period = ReportPeriod(start, end, step)
    assert period.bucket_count() == expected
    assert len(period.buckets()) == expected
