"""Coverage and gaps on a small case worked out by hand.

Territories A, B and C are 1 km squares side by side. Times are local
(Europe/Paris):

- A: a 90 min "présence active" at 09:10 on 3 June (clock hours 9 and 10),
  a conflict at 10:30 the same day (hour 10 again) and one at 19:00 on
  4 June: 3 entries, demand 2, presence over 3 distinct hours and 2 days.
- B: six conflicts between 14:00 and 14:50 on 5 June: demand 6 for a single
  presence hour, a gap at the default rule (6 >= 5 and 1 < 0.5 * 6).
- C: a 60 min "présence active" at 23:30 on 6 June: night hours 23 and 0,
  over 2 days, and no demand.
"""

import datetime as dt

import numpy as np
import pytest
import shapely

from tests.layers.conftest import PARIS, X0, Y0

pytestmark = pytest.mark.django_db


def at(day, hour, minute=0):
    return dt.datetime(2024, 6, day, hour, minute, tzinfo=PARIS)


@pytest.fixture
def worked_case(organisation, users, plant, make_territories):
    from territories.attachment import attach_interventions

    tset, territories = make_territories(
        {"A": (X0, Y0, 1000), "B": (X0 + 2000, Y0, 1000), "C": (X0 + 4000, Y0, 1000)}
    )
    mediator = users["mediator"]
    ids = []
    ids += plant(
        organisation,
        mediator,
        [X0 + 500],
        [Y0 + 500],
        category="presence-active",
        occurred_at=at(3, 9, 10),
        duration_minutes=90,
    )
    ids += plant(
        organisation, mediator, [X0 + 510], [Y0 + 500], occurred_at=at(3, 10, 30)
    )
    ids += plant(organisation, mediator, [X0 + 520], [Y0 + 500], occurred_at=at(4, 19))
    for minute in range(0, 60, 10):
        ids += plant(
            organisation,
            mediator,
            [X0 + 2500],
            [Y0 + 500],
            occurred_at=at(5, 14, minute),
        )
    ids += plant(
        organisation,
        mediator,
        [X0 + 4500],
        [Y0 + 500],
        category="presence-active",
        occurred_at=at(6, 23, 30),
        duration_minutes=60,
    )
    attach_interventions(ids)
    return tset, territories


EXPECTED = {
    "A": {
        "entries": 3,
        "demand": 2,
        "active_entries": 1,
        "presence_days": 2,
        "presence_hours": 3,
        "active_days": 1,
        "active_hours": 2,
        "other_days": 2,
        "other_hours": 2,
        "presence_hours_morning": 2,
        "presence_hours_afternoon": 0,
        "presence_hours_evening": 1,
        "presence_hours_night": 0,
        "demand_morning": 1,
        "demand_afternoon": 0,
        "demand_evening": 1,
        "demand_night": 0,
    },
    "B": {
        "entries": 6,
        "demand": 6,
        "active_entries": 0,
        "presence_days": 1,
        "presence_hours": 1,
        "active_days": 0,
        "active_hours": 0,
        "other_days": 1,
        "other_hours": 1,
        "presence_hours_morning": 0,
        "presence_hours_afternoon": 1,
        "presence_hours_evening": 0,
        "presence_hours_night": 0,
        "demand_morning": 0,
        "demand_afternoon": 6,
        "demand_evening": 0,
        "demand_night": 0,
    },
    "C": {
        "entries": 1,
        "demand": 0,
        "active_entries": 1,
        "presence_days": 2,
        "presence_hours": 2,
        "active_days": 2,
        "active_hours": 2,
        "other_days": 0,
        "other_hours": 0,
        "presence_hours_morning": 0,
        "presence_hours_afternoon": 0,
        "presence_hours_evening": 0,
        "presence_hours_night": 2,
        "demand_morning": 0,
        "demand_afternoon": 0,
        "demand_evening": 0,
        "demand_night": 0,
    },
}


def entries_of(organisation):
    from interventions.models import Intervention

    return Intervention.objects.filter(organisation=organisation)


def test_coverage_by_territory_by_hand(organisation, worked_case):
    from layers.coverage import coverage_by_territory

    tset, _ = worked_case
    frame = coverage_by_territory(
        entries_of(organisation), territories=tset.territories.all()
    )
    assert frame["code"].tolist() == ["A", "B", "C"]
    for code, expected in EXPECTED.items():
        row = frame[frame["code"] == code].iloc[0]
        assert {name: int(row[name]) for name in expected} == expected, code
    ratios = frame.set_index("code")["coverage_ratio"]
    assert ratios["A"] == pytest.approx(1.5)
    assert ratios["B"] == pytest.approx(1 / 6)
    assert np.isnan(ratios["C"])


def test_gap_layer_by_hand(organisation, worked_case):
    from layers.coverage import coverage_by_territory, gap_layer

    tset, _ = worked_case
    coverage = coverage_by_territory(
        entries_of(organisation), territories=tset.territories.all()
    )
    gaps = gap_layer(coverage).set_index("code")
    assert gaps["is_gap"].to_dict() == {"A": False, "B": True, "C": False}
    assert gaps.loc["B", "missing_hours"] == pytest.approx(2.0)
    assert gaps["gap_rank"].to_dict() == {"A": 0, "B": 1, "C": 0}
    # With a lower bar, A (demand 2, 3 hours) still has enough presence.
    relaxed = gap_layer(coverage, min_demand=2, min_ratio=2).set_index("code")
    assert relaxed["is_gap"].to_dict() == {"A": True, "B": True, "C": False}
    assert relaxed.loc["A", "missing_hours"] == pytest.approx(1.0)
    assert relaxed["gap_rank"].to_dict() == {"A": 2, "B": 1, "C": 0}


def test_coverage_by_cell_by_hand(organisation, worked_case):
    from layers.coverage import coverage_by_cell, gap_layer

    frame = coverage_by_cell(entries_of(organisation), cell_size=250)
    with_entries = frame[frame["entries"] > 0]
    assert with_entries["entries"].sum() == 10

    point_b = shapely.Point(X0 + 2500, Y0 + 500)
    cell_b = frame[frame.geometry.contains(point_b)].iloc[0]
    assert {name: int(cell_b[name]) for name in EXPECTED["B"]} == EXPECTED["B"]

    gaps = gap_layer(frame)
    assert gaps[gaps["is_gap"]]["cell_id"].tolist() == [cell_b["cell_id"]]


def test_coverage_cells_match_hotspot_cells(organisation, worked_case):
    from layers.coverage import coverage_by_cell
    from layers.grid import hex_grid_counts

    coverage = coverage_by_cell(entries_of(organisation))
    counts = hex_grid_counts(entries_of(organisation))
    assert coverage["cell_id"].tolist() == counts["cell_id"].tolist()
    assert coverage["entries"].tolist() == counts["count"].tolist()


@pytest.mark.parametrize(
    "arguments, pattern",
    [({"min_demand": 0}, "min_demand=0"), ({"min_ratio": -1}, "min_ratio=-1")],
)
def test_gap_layer_invalid_arguments(organisation, arguments, pattern):
    from layers.coverage import coverage_by_cell, gap_layer
    from layers.exceptions import InvalidParameterError

    coverage = coverage_by_cell(entries_of(organisation))
    with pytest.raises(InvalidParameterError, match=pattern):
        gap_layer(coverage, **arguments)
