"""Mann-Kendall verdicts: rising, falling, flat and too-short series, in French."""

import math

import pytest
from django.utils import translation

from layers.reports.presentation import report_tables
from layers.reports.trends import MIN_POINTS, trend_verdict
from tests.reports.conftest import build, paris


def mann_kendall_by_hand(values):
    """S, z without tie correction and the two-sided p-value (Mann-Kendall)."""
    n = len(values)
    s = sum(
        (values[j] > values[i]) - (values[j] < values[i])
        for i in range(n)
        for j in range(i + 1, n)
    )
    variance = n * (n - 1) * (2 * n + 5) / 18
    z = (s - 1) / math.sqrt(variance) if s > 0 else (s + 1) / math.sqrt(variance)
    p = math.erfc(abs(z) / math.sqrt(2))
    return s, z, p


@pytest.fixture(autouse=True)
def french():
    with translation.override("fr"):
        yield


def test_rising_series_verdict():
    values = list(range(1, 11))
    s, _z, p = mann_kendall_by_hand(values)
    assert s == 45
    verdict = trend_verdict(values)
    assert verdict.direction == "increasing"
    assert verdict.p_value == pytest.approx(p)
    assert verdict.p_value < 0.001
    # Every pairwise slope is 1.
    assert verdict.slope == pytest.approx(1.0)
    assert verdict.text == "hausse significative"


def test_falling_series_verdict():
    values = [30, 28, 26, 24, 22, 20, 18, 16]
    s, _z, p = mann_kendall_by_hand(values)
    assert s == -28
    verdict = trend_verdict(values)
    assert verdict.direction == "decreasing"
    assert verdict.p_value == pytest.approx(p)
    assert verdict.slope == pytest.approx(-2.0)
    assert verdict.text == "baisse significative"


def test_flat_series_verdict():
    verdict = trend_verdict([5] * 12)
    assert verdict.direction == "none"
    assert verdict.p_value == pytest.approx(1.0)
    assert verdict.slope == pytest.approx(0.0)
    assert verdict.text == "pas de tendance nette"


def test_noisy_series_without_trend():
    # 21 rising pairs against 16 falling ones (8 ties): S = 5, far from the
    # |z| of 1.96 needed, even before the tie correction lowers the variance.
    values = [3, 6, 4, 5, 3, 6, 4, 5, 3, 6]
    s, z, _p = mann_kendall_by_hand(values)
    verdict = trend_verdict(values)
    assert s == 5
    assert abs(z) < 1.96
    assert verdict.direction == "none"
    assert verdict.text == "pas de tendance nette"


def test_short_series_gets_no_verdict():
    assert MIN_POINTS == 8
    verdict = trend_verdict([1, 2, 3, 4, 5, 6, 7])
    assert verdict.direction == "too_short"
    assert verdict.p_value is None
    assert verdict.text == "série trop courte pour conclure (7 points, il en faut 8)"


@pytest.mark.django_db
def test_report_trend_on_planted_rise(districts, plant, users):
    _territory_set, territories = districts
    zone = territories["B"]
    for month in range(1, 13):
        plant(zone, paris(2024, month, 15, 10), month)
    report = build(users["analyst"], f"territory:{zone.pk}", "2024-01-01", "2024-12-31")
    table = next(t for t in report_tables(report) if t.name == "trends")
    total = table.row("total:total")
    assert total.cells[0].value == 12
    assert total.cells[1].value == "hausse significative"
    assert total.cells[3].value == pytest.approx(1.0)
    # The category with no entry is flat.
    assert table.row("category:incivilites").cells[1].value == "pas de tendance nette"


@pytest.mark.django_db
def test_report_trend_too_short(districts, plant, users):
    _territory_set, territories = districts
    zone = territories["A"]
    plant(zone, paris(2024, 3, 15, 10), 6)
    report = build(users["analyst"], f"territory:{zone.pk}", "2024-01-01", "2024-06-30")
    table = next(t for t in report_tables(report) if t.name == "trends")
    with translation.override("fr"):
        assert table.row("total:total").cells[1].value == (
            "série trop courte pour conclure (6 points, il en faut 8)"
        )
