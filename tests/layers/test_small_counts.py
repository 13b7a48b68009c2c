"""The small-count rule of the map layers matches the one of reports and exports."""

import pytest

from layers.access import suppressed


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0, "< 5"), (1, "< 5"), (4, "< 5"), (5, 5), (12, 12), (None, None)],
)
def test_suppressed_counts_under_threshold(value, expected, settings):
    settings.SMALL_COUNT_THRESHOLD = 5
    assert suppressed(value) == expected


def test_suppressed_follows_threshold_setting(settings):
    settings.SMALL_COUNT_THRESHOLD = 10
    assert suppressed(9) == "< 10"
    assert suppressed(10) == 10
