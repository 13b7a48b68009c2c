"""Zone trend report: counts, changes, trends, hours, comparison, hot cells.

`build_zone_report` computes every figure of one report from the database and
keeps them in a `FigureBook`, so that small-count suppression works on the
whole report at once. `layers.reports.presentation` turns the result into
tables.
"""

import datetime as dt
from dataclasses import dataclass, field, replace

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from interventions.models import Intervention
from layers.filters import TIME_SLOTS, LayerFilters
from layers.reports import selectors
from layers.reports.cells import TopCells, top_cells
from layers.reports.periods import STEPS, ReportPeriod, default_period
from layers.reports.suppression import FigureBook
from layers.reports.trends import trend_verdict
from layers.reports.zones import (
    check_report_access,
    comparison_set_resolve,
    suppresses_small_counts,
    zone_resolve,
)
from territories.models import Territory

PERIOD_NAMES = ("current", "previous", "previous_year")
# Dimensions with a series per bucket; partners and outcomes only get totals.
SERIES_DIMENSIONS = ("category", "type", "theme", "time_slot")
DIMENSIONS = ("category", "type", "theme", "time_slot", "partner", "outcome")
ADDITIVE_DIMENSIONS = tuple(
    name for name in DIMENSIONS if selectors.DIMENSIONS[name]["additive"]
)
ALL = "all"


def count_key(dimension, key, period_name, bucket=ALL):
    """Key of a count in the report's FigureBook; `dimension` "total" has key None."""
    return ("count", dimension, key, period_name, bucket)


def territory_key(territory_id, period_name):
    return ("territory", territory_id, period_name)


@dataclass(frozen=True)
class ReportRequest:
    """Parameters of a report: zone, period and step, filters, comparison set."""

    zone: str
    period: ReportPeriod
    filters: LayerFilters = field(default_factory=LayerFilters)
    comparison_set_id: int | None = None

    @classmethod
    def from_query(cls, params, *, today=None, user=None):
        """Parse query parameters; raise ValidationError naming a bad value.

        Without start and end, the period is the twelve whole months ending
        with the month of the latest entry `user` may aggregate
        (`periods.default_period`).
        """
        filters = LayerFilters.from_query(params)
        if filters.territories:
            raise ValidationError(
                _(
                    "territory=%(value)s is not accepted by reports; name the zone "
                    "with zone=territory:<id> instead."
                )
                % {"value": ",".join(str(pk) for pk in filters.territories)}
            )
        step = params.get("step") or "month"
        if step not in STEPS:
            raise ValidationError(
                _("step=%(value)s is not valid; use one of: %(allowed)s.")
                % {"value": step, "allowed": ", ".join(STEPS)}
            )
        if filters.start and filters.end:
            period = ReportPeriod(filters.start, filters.end, step)
        elif filters.start or filters.end:
            raise ValidationError(
                _(
                    "Give both start and end, or neither for the twelve months up "
                    "to the latest entry."
                )
            )
        else:
            latest = selectors.latest_entry_day(user) if user is not None else None
            period = default_period(today, step, latest=latest)
        return cls(
            zone=params.get("zone") or "",
            period=period,
            filters=replace(
                filters, start=None, end=None, territories=(), territory_set=None
            ),
            comparison_set_id=filters.territory_set,
        )

    def query_params(self):
        """Return the request as query parameters, for links to the other formats."""
        params = {
            "zone": self.zone,
            "start": self.period.start.isoformat(),
            "end": self.period.end.isoformat(),
            "step": self.period.step,
        }
        if self.comparison_set_id is not None:
            params["territory_set"] = str(self.comparison_set_id)
        filters = self.filters
        for name, values in (
            ("category", filters.categories),
            ("type", filters.types),
            ("theme", filters.themes),
            ("time_slot", filters.time_slots),
        ):
            if values:
                params[name] = ",".join(values)
        if tuple(filters.statuses) != ("validated",):
            params["status"] = ",".join(filters.statuses)
        if filters.day_kind:
            params["day_kind"] = filters.day_kind
        return params


@dataclass
class ZoneReport:
    """Every figure of one report, before presentation.

    `uncovered` names the comparison periods ("previous", "previous_year")
    that start before the first entry of the zone's organisation, so that the
    data do not cover them.
    """

    request: ReportRequest
    zone: object
    periods: dict
    comparison_set: object
    keys: dict
    book: FigureBook
    hours: dict
    cells: TopCells
    comparison: list
    trends: dict
    data_date: dt.datetime
    generated_at: dt.datetime
    suppressed: bool
    uncovered: frozenset = frozenset()

    @property
    def buckets(self):
        return self.periods["current"].buckets()

    def territory_sets(self):
        """List every territory set the report used, with its role."""
        sets = [(territory_set, "zone") for territory_set in self.zone.territory_sets]
        if self.comparison_set.pk not in {item.pk for item, _role in sets}:
            sets.append((self.comparison_set, "comparison"))
        return sets


def build_zone_report(*, user, request, now=None):
    """Compute the report described by `request`, as `user` may see it.

    Raises Http404 when the zone or the comparison set is not visible to the
    user, PermissionDenied for roles without reports, ValidationError for a
    bad request.
    """
    check_report_access(user)
    suppressed = suppresses_small_counts(user)
    if suppressed and tuple(request.filters.statuses) != ("validated",):
        raise ValidationError(
            _(
                "status=%(value)s is not available to client viewers; their reports "
                "count validated entries only."
            )
            % {"value": ",".join(request.filters.statuses)}
        )
    zone = zone_resolve(user, request.zone)
    comparison_set = comparison_set_resolve(user, zone, request.comparison_set_id)
    current = request.period
    periods = {
        "current": current,
        "previous": current.previous(),
        "previous_year": current.previous_year(),
    }
    entries = selectors.zone_entries(user, request.filters, zone.territory_ids)
    current_entries = selectors.period_entries(entries, current)

    counts = _count_all(entries, periods)
    keys = _report_keys(user, counts, suppressed=suppressed)
    book = FigureBook(settings.SMALL_COUNT_THRESHOLD)
    _add_counts(book, counts, keys, periods)
    comparison = _add_comparison(book, user, request, zone, comparison_set, periods)
    cells = top_cells(current_entries, zone)
    if suppressed:
        # A listed cell under the threshold would still place 1 to 4 entries
        # within a few hundred metres, so client viewers do not get it. The
        # z-scores and p-values are dropped too: with the published counts
        # they would let a reader solve for the hidden ones.
        cells.cells = [
            {**cell, "gi_z": None, "gi_p": None}
            for cell in cells.cells
            if cell["count"] >= settings.SMALL_COUNT_THRESHOLD
        ]
    _add_cells(book, cells)
    if suppressed:
        book.suppress()

    generated_at = now or timezone.now()
    latest = selectors.latest_update(current_entries)
    return ZoneReport(
        request=request,
        zone=zone,
        periods=periods,
        comparison_set=comparison_set,
        keys=keys,
        book=book,
        hours={
            name: selectors.hours_of(selectors.period_entries(entries, period))
            for name, period in periods.items()
        },
        cells=cells,
        comparison=comparison,
        trends=_trends(book, keys, current.buckets()),
        data_date=latest or generated_at,
        generated_at=generated_at,
        suppressed=suppressed,
        uncovered=_uncovered_periods(zone, periods),
    )


def _uncovered_periods(zone, periods):
    """Comparison periods that start before the organisation's first entry.

    The first entry of the whole organisation, not of the zone, marks where the
    data start: a zone may rightly have no entry for months after that.
    """
    organisation_id = zone.territories[0].territory_set.organisation_id
    first_day = selectors.first_entry_day(organisation_id)
    return frozenset(
        name
        for name, period in periods.items()
        if name != "current" and (first_day is None or period.start < first_day)
    )


# --- counting ----------------------------------------------------------------


def _count_all(entries, periods):
    """Counts per (dimension, period name): ``{(key, bucket): n}``.

    The current period is counted per bucket and its "all" figures are the
    sums of its buckets; the comparison periods are counted as a whole.
    """
    counts = {}
    for name, period in periods.items():
        period_entries = selectors.period_entries(entries, period)
        step = period.step if name == "current" else None
        for dimension in (None, *DIMENSIONS):
            found = selectors.counts_by(period_entries, dimension, step=step)
            if step:
                totals = {}
                for (key, _bucket), n in found.items():
                    totals[(key, ALL)] = totals.get((key, ALL), 0) + n
                found = {**found, **totals}
            counts[(dimension or "total", name)] = found
    return counts


def _report_keys(user, counts, *, suppressed):
    """List the rows of each dimension: the active nomenclature, then other keys.

    Returns ``{dimension: [(key, label), ...]}``. Keys outside the active
    nomenclature (retired values, "none") are listed when they have entries.
    For client viewers (`suppressed`) the rows depend on the data in no other
    way, so the list of rows reveals nothing. For the provider's staff, types
    without any entry in the three periods are left out, because there are
    several dozen of them.
    """
    labels = selectors.nomenclature_labels(user.organisation_id)
    seen = {dimension: set() for dimension in DIMENSIONS}
    for (dimension, _name), found in counts.items():
        if dimension != "total":
            seen[dimension].update(key for key, _bucket in found)

    keys = {}
    for dimension in ("category", "type", "theme", "partner", "outcome"):
        known = {key: label for key, label, _active in labels[dimension]}
        rows = [(key, label) for key, label, active in labels[dimension] if active]
        if dimension == "type" and not suppressed:
            rows = [(key, label) for key, label in rows if key in seen["type"]]
        listed = {key for key, _label in rows}
        for key in sorted(seen[dimension] - listed, key=str):
            rows.append((key, known.get(key) or _unknown_label(dimension, key, labels)))
        keys[dimension] = rows
    keys["time_slot"] = [(slot, time_slot_label(slot)) for slot in TIME_SLOTS]

    # Every category holding a listed type is listed too, so that the types
    # of a category always add up to it.
    categories = {key for key, _label in keys["category"]}
    category_labels = {key: label for key, label, _active in labels["category"]}
    for (category, _type), _label in keys["type"]:
        if category not in categories:
            keys["category"].append((category, category_labels.get(category, category)))
            categories.add(category)
    return keys


def _unknown_label(dimension, key, labels):
    if key == selectors.NO_VALUE:
        return {
            "theme": _("no theme"),
            "partner": _("no partner"),
            "outcome": _("no outcome recorded"),
        }.get(dimension, key)
    if dimension == "type":
        by_code = {code: label for (_cat, code), label, _active in labels["type"]}
        return by_code.get(key[1], key[1])
    return str(key)


def time_slot_label(slot):
    first, last = TIME_SLOTS[slot]
    names = {
        "morning": _("morning"),
        "afternoon": _("afternoon"),
        "evening": _("evening"),
        "night": _("night"),
    }
    return _("%(name)s (%(first)s:00 to %(last)s:00)") % {
        "name": names.get(slot, slot),
        "first": first,
        "last": last,
    }


def _add_counts(book, counts, keys, periods):
    buckets = periods["current"].buckets()
    for name in PERIOD_NAMES:
        period_buckets = [*buckets, ALL] if name == "current" else [ALL]
        found = counts[("total", name)]
        for bucket in period_buckets:
            book.add(
                count_key("total", None, name, bucket), found.get((None, bucket), 0)
            )
        for dimension in DIMENSIONS:
            found = counts[(dimension, name)]
            with_series = name == "current" and dimension in SERIES_DIMENSIONS
            for key, _label in keys[dimension]:
                for bucket in period_buckets if with_series else [ALL]:
                    book.add(
                        count_key(dimension, key, name, bucket),
                        found.get((key, bucket), 0),
                    )
        _add_relations(book, keys, name, period_buckets)


def _add_relations(book, keys, name, period_buckets):
    for bucket in period_buckets:
        total = count_key("total", None, name, bucket)
        for dimension in ADDITIVE_DIMENSIONS:
            parts = [
                count_key(dimension, key, name, bucket)
                for key, _label in keys[dimension]
            ]
            if all(part in book.values for part in parts):
                book.add_relation(total, parts)
        for category, _label in keys["category"]:
            types = [
                count_key("type", key, name, bucket)
                for key, _type_label in keys["type"]
                if key[0] == category
            ]
            book.add_relation(count_key("category", category, name, bucket), types)
    series_buckets = [bucket for bucket in period_buckets if bucket != ALL]
    if not series_buckets:
        return
    book.add_relation(
        count_key("total", None, name),
        [count_key("total", None, name, bucket) for bucket in series_buckets],
    )
    for dimension in SERIES_DIMENSIONS:
        for key, _label in keys[dimension]:
            book.add_relation(
                count_key(dimension, key, name),
                [count_key(dimension, key, name, bucket) for bucket in series_buckets],
            )


# --- comparison across the zones of a set --------------------------------------


def _add_comparison(book, user, request, zone, comparison_set, periods):
    """Count the entries of every visible territory of the comparison set."""
    territories = list(
        selectors.territories_with_area(
            Territory.objects.visible_to(user).filter(territory_set=comparison_set)
        )
    )
    ids = [territory.pk for territory in territories]
    base = request.filters.apply(Intervention.objects.aggregatable_by(user))
    rows = [
        {
            "territory": territory,
            "area_km2": territory.area.sq_m / 1e6,
            "population": territory.population,
            "is_zone": territory.pk in zone.territory_ids,
        }
        for territory in territories
    ]
    for name in ("current", "previous"):
        found = selectors.counts_per_territory(
            selectors.period_entries(base, periods[name]), ids
        )
        for territory_id, n in found.items():
            book.add(territory_key(territory_id, name), n)
        # The report's own total is one of these rows, or their sum.
        total = count_key("total", None, name)
        if zone.kind == "territory" and zone.id in found:
            book.add_relation(total, [territory_key(zone.id, name)])
        elif zone.kind == "client" and set(ids) == set(zone.territory_ids):
            book.add_relation(total, [territory_key(pk, name) for pk in ids])
    return rows


# --- cells ----------------------------------------------------------------------


def _add_cells(book, cells):
    """Add the listed cells and the entries outside them to the FigureBook.

    The number of entries outside the listed cells is public knowledge (zero)
    when the report lists every cell with entries and these cells contain the
    whole total. Otherwise it is a hidden figure.
    """
    if not cells.cells:
        return
    total_key = count_key("total", None, "current")
    parts = []
    for cell in cells.cells:
        parts.append(book.add(("cell", cell["cell_id"]), cell["count"]))
    rest = book.values[total_key] - sum(cell["count"] for cell in cells.cells)
    if rest < 0:
        return
    every_cell_listed = cells.nonempty <= len(cells.cells)
    parts.append(
        book.add(
            ("cells_rest",),
            rest,
            known=every_cell_listed and rest == 0,
            hidden=not (every_cell_listed and rest == 0),
        )
    )
    book.add_relation(total_key, parts)


# --- trends ---------------------------------------------------------------------


def _trends(book, keys, buckets):
    """Mann-Kendall verdict of every series of the current period."""
    trends = {}
    series = [("total", None)] + [
        (dimension, key)
        for dimension in SERIES_DIMENSIONS
        for key, _label in keys[dimension]
    ]
    for dimension, key in series:
        values = [book.values[count_key(dimension, key, "current", b)] for b in buckets]
        trends[(dimension, key)] = trend_verdict(values)
    return trends
