"""Report periods, their comparison periods and their time buckets.

A period is a pair of local dates in the deployment's time zone
(settings.TIME_ZONE), both included. Buckets are calendar months or ISO weeks
(Monday to Sunday) of local time: an entry at 23:30 on the last day of a month
belongs to that month, whatever the UTC offset of that night.
"""

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

STEPS = ("month", "week")

# Largest number of buckets one report may have: ten years of months, five
# years of weeks. Longer series make unreadable tables and slow suppression.
MAX_BUCKETS = {"month": 120, "week": 261}
# Dates a report may cover. Comparisons reach one year before the start, so the
# bounds keep every date computed from a period inside Python's calendar.
EARLIEST_DATE = dt.date(2000, 1, 1)
LATEST_DATE = dt.date(2099, 12, 31)


def local_zone():
    return ZoneInfo(settings.TIME_ZONE)


def add_months(day, months):
    """Return the first day of the month `months` after the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def shift_year(day, years):
    """Return the same calendar day `years` later (28 February for 29 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def bucket_start(day, step):
    """First local date of the bucket that contains `day`."""
    if step == "month":
        return day.replace(day=1)
    return day - dt.timedelta(days=day.weekday())


def bucket_of(moment, step):
    """Bucket of an aware datetime, computed in Python with zoneinfo."""
    if moment.tzinfo is None:
        raise ValueError(f"bucket_of needs an aware datetime, got {moment!r}")
    return bucket_start(moment.astimezone(local_zone()).date(), step)


def bucket_label(start, step):
    """Short label of a bucket: 2024-03 for a month, 2024-W10 for an ISO week."""
    if step == "month":
        return f"{start:%Y-%m}"
    year, week, _weekday = start.isocalendar()
    return f"{year}-W{week:02d}"


@dataclass(frozen=True)
class ReportPeriod:
    """Local dates [start, end], both included, cut into buckets of `step`."""

    start: dt.date
    end: dt.date
    step: str = "month"

    def __post_init__(self):
        if self.step not in STEPS:
            raise ValidationError(
                _("step=%(value)s is not valid; use one of: %(allowed)s.")
                % {"value": self.step, "allowed": ", ".join(STEPS)}
            )
        if self.end < self.start:
            raise ValidationError(
                _("end=%(end)s is before start=%(start)s; swap the dates.")
                % {"start": self.start, "end": self.end}
            )
        for name, value in (("start", self.start), ("end", self.end)):
            if not EARLIEST_DATE <= value <= LATEST_DATE:
                raise ValidationError(
                    _(
                        "%(name)s=%(value)s is outside the dates a report may cover; "
                        "choose a date between %(earliest)s and %(latest)s."
                    )
                    % {
                        "name": name,
                        "value": value,
                        "earliest": EARLIEST_DATE,
                        "latest": LATEST_DATE,
                    }
                )
        count = self.bucket_count()
        if count > MAX_BUCKETS[self.step]:
            raise ValidationError(
                _(
                    "The period %(start)s to %(end)s has %(count)s buckets of one "
                    "%(step)s; choose a period of at most %(max)s buckets."
                )
                % {
                    "start": self.start,
                    "end": self.end,
                    "count": count,
                    "step": _("month") if self.step == "month" else _("week"),
                    "max": MAX_BUCKETS[self.step],
                }
            )

    @property
    def is_whole_months(self):
        return self.start.day == 1 and (self.end + dt.timedelta(days=1)).day == 1

    @property
    def days(self):
        return (self.end - self.start).days + 1

    def months(self):
        return (
            (self.end.year - self.start.year) * 12
            + self.end.month
            - self.start.month
            + 1
        )

    def bucket_count(self):
        """Number of buckets, computed without listing them."""
        first = bucket_start(self.start, self.step)
        last = bucket_start(self.end, self.step)
        if self.step == "month":
            return (last.year - first.year) * 12 + last.month - first.month + 1
        return (last - first).days // 7 + 1

    def buckets(self):
        """First local date of every bucket, from the one holding `start` to `end`."""
        first = bucket_start(self.start, self.step)
        last = bucket_start(self.end, self.step)
        buckets = []
        current = first
        while current <= last:
            buckets.append(current)
            if self.step == "month":
                current = add_months(current, 1)
            else:
                current += dt.timedelta(days=7)
        return buckets

    def previous(self):
        """Return the period of the same length that ends the day before `start`.

        Whole calendar months give whole calendar months: January to June gives
        July to December of the year before. Any other period gives the same
        number of days.
        """
        end = self.start - dt.timedelta(days=1)
        if self.is_whole_months:
            start = add_months(self.start, -self.months())
        else:
            start = end - dt.timedelta(days=self.days - 1)
        return ReportPeriod(start, end, self.step)

    def previous_year(self):
        """Return the same calendar dates one year earlier."""
        start = shift_year(self.start, -1)
        end = shift_year(self.end, -1)
        if self.is_whole_months:
            # Keep the last day of February when the period ends on it.
            end = add_months(shift_year(self.end.replace(day=1), -1), 1) - dt.timedelta(
                days=1
            )
        return ReportPeriod(start, end, self.step)

    def bounds(self):
        """Return the aware datetimes [lower, upper) of the period in local time."""
        zone = local_zone()
        lower = dt.datetime.combine(self.start, dt.time(), zone)
        upper = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), zone)
        return lower, upper

    def as_dict(self):
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "step": self.step,
        }


def default_period(today=None, step="month", latest=None):
    """Return twelve whole months ending with the month of `latest`.

    `latest` is the local date of the latest entry the report may count. The
    period ends with the month before the current local month when `latest`
    is None or falls in the current month or later, so that it never
    contains a month still running.
    """
    today = today or dt.datetime.now(local_zone()).date()
    end = today.replace(day=1) - dt.timedelta(days=1)
    if latest is not None and latest <= end:
        end = add_months(latest, 1) - dt.timedelta(days=1)
    start = add_months(end, -11)
    return ReportPeriod(start, end, step)
