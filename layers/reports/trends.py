"""Trend verdicts on count series: Mann-Kendall test and Sen's slope."""

from dataclasses import dataclass

import pymannkendall
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

# Series shorter than this get no verdict. With 4 points or fewer the test
# cannot reach p < 0.05 at all, and with 5 or 6 points only a series in perfect
# or nearly perfect order can; 8 points (eight months) is a choice made for
# steering committees, not a statistical boundary.
MIN_POINTS = 8
ALPHA = 0.05


@dataclass(frozen=True)
class TrendVerdict:
    """Outcome of the Mann-Kendall test on one series.

    `direction` is "increasing", "decreasing", "none" or "too_short".
    `slope` is Sen's slope in entries per bucket (per month or per week) and
    `intercept` the value of the Sen line at the first bucket.
    """

    n: int
    direction: str
    p_value: float | None = None
    slope: float | None = None
    intercept: float | None = None
    tau: float | None = None

    @property
    def is_conclusive(self):
        return self.direction in {"increasing", "decreasing"}

    @property
    def text(self):
        if self.direction == "increasing":
            return _("significant rise")
        if self.direction == "decreasing":
            return _("significant fall")
        if self.direction == "none":
            return _("no clear trend")
        return ngettext(
            "series too short to conclude (%(n)s point, %(min)s are needed)",
            "series too short to conclude (%(n)s points, %(min)s are needed)",
            self.n,
        ) % {"n": self.n, "min": MIN_POINTS}

    def as_dict(self, *, show_slope=True):
        return {
            "n": self.n,
            "direction": self.direction,
            "text": self.text,
            "p_value": self.p_value,
            "slope": self.slope if show_slope else None,
            "tau": self.tau,
        }


def trend_verdict(values, *, min_points=MIN_POINTS, alpha=ALPHA):
    """Test a count series for a monotonic trend.

    Parameters
    ----------
    values : sequence of numbers
        One value per bucket, oldest first, with no gaps (a bucket without
        entries is 0).
    min_points : int
        Shorter series get the "too_short" verdict and no test.
    alpha : float
        Significance level of the two-sided test.

    Returns
    -------
    TrendVerdict

    Notes
    -----
    Uses `pymannkendall.original_test`, which corrects the variance for ties
    but not for autocorrelation. A constant series has no trend (p = 1).
    """
    values = [float(value) for value in values]
    n = len(values)
    if n < min_points:
        return TrendVerdict(n=n, direction="too_short")
    result = pymannkendall.original_test(values, alpha=alpha)
    direction = {"increasing": "increasing", "decreasing": "decreasing"}.get(
        result.trend, "none"
    )

    return TrendVerdict(
        n=n,
        direction=direction,
        p_value=float(result.p),
        slope=float(result.slope),
        intercept=float(result.intercept),
        tau=float(result.Tau),
    )
