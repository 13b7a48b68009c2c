"""Turn a `ZoneReport` into tables and JSON, with small counts already hidden.

Every output (HTML page, PDF, CSV, XLSX, API) reads the same `Table` objects,
so a figure hidden in one is hidden in all. A hidden figure has no value, only
its display: "< 5" under the threshold, "s" for a figure hidden so that the
others cannot reveal a small one.
"""

import datetime as dt
import json
from dataclasses import dataclass, field

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _

from interventions.models import Intervention
from layers.reports.periods import add_months, bucket_label
from layers.reports.suppression import HIDDEN, PRIMARY, PUBLISHED, SECONDARY
from layers.reports.trends import MIN_POINTS
from layers.reports.zone_report import (
    ADDITIVE_DIMENSIONS,
    DIMENSIONS,
    PERIOD_NAMES,
    SERIES_DIMENSIONS,
    count_key,
    territory_key,
    time_slot_label,
)

SECONDARY_MARK = "s"
# Status of a change against a comparison period that starts before the first
# entry of the organisation, because the data do not cover that period.
NOT_COVERED = "not_covered"


@dataclass
class Cell:
    """One figure of a table: its value, its text, and a reason when not shown."""

    value: object = None
    display: str = ""
    status: str = PUBLISHED
    note: str = ""

    @property
    def is_hidden(self):
        return self.status != PUBLISHED

    def as_dict(self):
        data = {"value": self.value, "display": self.display, "status": self.status}
        if self.note:
            data["note"] = self.note
        return data


@dataclass
class Column:
    key: str
    label: str
    kind: str = "number"


@dataclass
class Row:
    key: str
    label: str
    cells: list
    group: str = ""
    is_total: bool = False


@dataclass
class Table:
    name: str
    title: str
    columns: list
    rows: list = field(default_factory=list)
    note: str = ""

    def row(self, key):
        for row in self.rows:
            if row.key == key:
                return row
        raise KeyError(f"table {self.name} has no row {key!r}")

    def cell(self, row_key, column_key):
        index = [column.key for column in self.columns].index(column_key)
        return self.row(row_key).cells[index]

    def column_chunks(self, size):
        """Split the columns in groups of `size` (for printing wide tables)."""
        chunks = []
        for first in range(0, len(self.columns), size):
            indexes = list(range(first, min(first + size, len(self.columns))))
            chunks.append(
                {
                    "columns": [self.columns[index] for index in indexes],
                    "rows": [
                        {"row": row, "cells": [row.cells[index] for index in indexes]}
                        for row in self.rows
                    ],
                }
            )
        return chunks

    def as_dict(self):
        return {
            "name": self.name,
            "title": self.title,
            "note": self.note,
            "columns": [
                {"key": column.key, "label": column.label, "kind": column.kind}
                for column in self.columns
            ],
            "rows": [
                {
                    "key": row.key,
                    "label": row.label,
                    "group": row.group,
                    "is_total": row.is_total,
                    "cells": [cell.as_dict() for cell in row.cells],
                }
                for row in self.rows
            ],
        }


# --- cells ------------------------------------------------------------------------


def _format(value, decimals=0):
    if value is None:
        return "—"
    if decimals == 0:
        return number_format(int(round(value)), force_grouping=True)
    return number_format(
        round(value, decimals), decimal_pos=decimals, force_grouping=True
    )


def hidden_display(status):
    if status == PRIMARY:
        return _("< %(threshold)s") % {"threshold": settings.SMALL_COUNT_THRESHOLD}
    if status == SECONDARY:
        return SECONDARY_MARK
    return ""


def count_cell(book, key):
    status = book.status[key]
    if status == HIDDEN:
        return Cell(None, "", HIDDEN)
    if status != PUBLISHED:
        return Cell(None, hidden_display(status), status)
    return Cell(book.values[key], _format(book.values[key]))


def number_cell(value, decimals=1):
    if value is None:
        return Cell(None, "—")
    value = round(float(value), decimals)
    return Cell(value, _format(value, decimals))


def text_cell(text):
    return Cell(text, text)


def not_covered_cell():
    return Cell(
        None,
        _("not available"),
        NOT_COVERED,
        note=_("comparison period not covered by the data"),
    )


def change_cells(current, previous, covered=True):
    """Absolute and percent change of two count cells.

    Both are empty when either count is hidden, and "not available" when the
    data do not cover the comparison period (`covered` False): a count of
    zero there means no data, not no entries.
    """
    if not covered:
        return not_covered_cell(), not_covered_cell()
    if current.is_hidden or previous.is_hidden:
        return Cell(None, "—"), Cell(None, "—")
    difference = current.value - previous.value
    absolute = Cell(difference, ("+" if difference > 0 else "") + _format(difference))
    if previous.value == 0:
        return absolute, Cell(None, "—")
    percent = round(difference / previous.value * 100, 1)
    sign = "+" if percent > 0 else ""
    return absolute, Cell(percent, f"{sign}{_format(percent, 1)} %")


def _competition_ranks(values):
    """Rank 1 for the largest value; equal values share the best rank (1, 2, 2, 4)."""
    ranks = {}
    ordered = sorted(values.items(), key=lambda item: -item[1])
    for position, (key, value) in enumerate(ordered, start=1):
        if position > 1 and value == ordered[position - 2][1]:
            ranks[key] = ranks[ordered[position - 2][0]]
        else:
            ranks[key] = position
    return ranks


# --- tables -------------------------------------------------------------------------


def _period_columns():
    return [
        Column("current", _("period")),
        Column("previous", _("previous period")),
        Column("previous_year", _("same period a year earlier")),
        Column("change_previous", _("change vs previous period")),
        Column("change_previous_pct", _("change vs previous period (%)"), "percent"),
        Column("change_previous_year", _("change vs a year earlier")),
        Column(
            "change_previous_year_pct", _("change vs a year earlier (%)"), "percent"
        ),
    ]


def _period_row_cells(cells, uncovered=frozenset()):
    """Counts of the three periods, then the changes against the last two.

    `uncovered` names the comparison periods the data do not cover.
    """
    current, previous, previous_year = cells
    change_previous = change_cells(
        current, previous, covered="previous" not in uncovered
    )
    change_year = change_cells(
        current, previous_year, covered="previous_year" not in uncovered
    )
    return [current, previous, previous_year, *change_previous, *change_year]


def not_covered_note(report, names=("previous", "previous_year")):
    """Return the sentence explaining the changes left out ("" if none is)."""
    if not any(name in report.uncovered for name in names):
        return ""
    return _(
        "Changes against a comparison period that starts before the first entry "
        "of the organisation are not available, because the data do not cover "
        "that period."
    )


def dimension_title(dimension):
    return {
        "total": _("all entries"),
        "category": _("category"),
        "type": _("type"),
        "theme": _("theme"),
        "time_slot": _("time slot"),
        "partner": _("partner mobilised"),
        "outcome": _("outcome"),
    }[dimension]


def key_text(key):
    """Return the key of a row as text: a code, or "category/type" for types."""
    if key is None:
        return "total"
    if isinstance(key, tuple):
        return "/".join(key)
    return str(key)


def _row_labels(report, dimension):
    if dimension != "type":
        return {key: (label, "") for key, label in report.keys[dimension]}
    categories = dict(report.keys["category"])
    return {
        key: (label, categories.get(key[0], key[0]))
        for key, label in report.keys["type"]
    }


def summary_table(report):
    book = report.book
    table = Table("summary", _("Summary"), _period_columns())
    table.note = not_covered_note(report)
    counts = [count_cell(book, count_key("total", None, name)) for name in PERIOD_NAMES]
    table.rows.append(
        Row("entries", _("entries"), _period_row_cells(counts, report.uncovered))
    )
    for kind, label in (
        ("presence", _("hours of active presence")),
        ("all", _("hours of all entries")),
    ):
        cells = [_hours_cell(report, name, kind) for name in PERIOD_NAMES]
        table.rows.append(
            Row(f"hours_{kind}", label, _period_row_cells(cells, report.uncovered))
        )
    return table


def _hours_cell(report, period_name, kind):
    """Hours of presence or of all entries, hidden with the count they sum."""
    hours = report.hours[period_name]
    value = round(hours[f"{kind}_minutes"] / 60, 1)
    if not report.suppressed:
        return Cell(value, _format(value, 1))
    threshold = report.book.threshold
    if kind == "presence":
        key = count_key("category", "presence-active", period_name)
    else:
        key = count_key("total", None, period_name)
    count_hidden = key in report.book.status and report.book.is_suppressed(key)
    if count_hidden or hours[f"{kind}_count"] < threshold:
        return Cell(None, SECONDARY_MARK, SECONDARY)
    if value < threshold:
        return Cell(None, hidden_display(PRIMARY), PRIMARY)
    return Cell(value, _format(value, 1))


def series_table(report, dimension):
    book = report.book
    buckets = report.buckets
    step = report.periods["current"].step
    columns = [
        Column(bucket.isoformat(), bucket_label(bucket, step)) for bucket in buckets
    ]
    columns.append(Column("total", _("period")))
    table = Table(
        f"series_{dimension}",
        _("Entries per %(step)s and %(dimension)s")
        % {"step": _step_name(step), "dimension": dimension_title(dimension)},
        columns,
    )
    if dimension == "theme":
        table.note = _(
            "An entry may have several themes, so themes do not add up to the total."
        )
    labels = _row_labels(report, dimension)
    for key, _label in report.keys[dimension]:
        label, group = labels[key]
        cells = [
            count_cell(book, count_key(dimension, key, "current", b)) for b in buckets
        ]
        cells.append(count_cell(book, count_key(dimension, key, "current")))
        table.rows.append(Row(key_text(key), label, cells, group=group))
    if dimension in ADDITIVE_DIMENSIONS:
        cells = [
            count_cell(book, count_key("total", None, "current", b)) for b in buckets
        ]
        cells.append(count_cell(book, count_key("total", None, "current")))
        table.rows.append(Row("total", _("total"), cells, is_total=True))
    return table


def breakdown_table(report, dimension):
    book = report.book
    table = Table(
        f"breakdown_{dimension}",
        _("Entries per %(dimension)s, compared")
        % {"dimension": dimension_title(dimension)},
        _period_columns(),
    )
    notes = [not_covered_note(report)]
    if dimension in ("theme", "partner"):
        notes.insert(
            0,
            _(
                "An entry may count under several values, so the rows do not add "
                "up to the total."
            ),
        )
    table.note = " ".join(note for note in notes if note)
    labels = _row_labels(report, dimension)
    for key, _label in report.keys[dimension]:
        label, group = labels[key]
        cells = [
            count_cell(book, count_key(dimension, key, name)) for name in PERIOD_NAMES
        ]
        table.rows.append(
            Row(
                key_text(key),
                label,
                _period_row_cells(cells, report.uncovered),
                group=group,
            )
        )
    if dimension in ADDITIVE_DIMENSIONS:
        cells = [
            count_cell(book, count_key("total", None, name)) for name in PERIOD_NAMES
        ]
        table.rows.append(
            Row(
                "total",
                _("total"),
                _period_row_cells(cells, report.uncovered),
                is_total=True,
            )
        )
    return table


def trends_table(report):
    book = report.book
    step = report.periods["current"].step
    table = Table(
        "trends",
        _("Trends (Mann-Kendall test, Sen's slope)"),
        [
            Column("n", _("points")),
            Column("verdict", _("verdict"), "text"),
            Column("p_value", _("p-value")),
            Column(
                "slope",
                _("Sen's slope (entries per %(step)s)") % {"step": _step_name(step)},
            ),
        ],
    )
    table.note = _(
        "A verdict needs at least %(min)s points; the test is two-sided at the "
        "5 %% level."
    ) % {"min": MIN_POINTS}
    labels = {"total": {None: (_("all entries"), "")}}
    for dimension in SERIES_DIMENSIONS:
        labels[dimension] = _row_labels(report, dimension)
    for (dimension, key), verdict in report.trends.items():
        label, group = labels[dimension][key]
        show_numbers = verdict.p_value is not None and not (
            report.suppressed
            and _series_has_hidden(book, dimension, key, report.buckets)
        )
        cells = [
            number_cell(verdict.n, 0),
            text_cell(verdict.text),
            number_cell(verdict.p_value, 3) if show_numbers else Cell(None, "—"),
            number_cell(verdict.slope, 2) if show_numbers else Cell(None, "—"),
        ]
        row_label = (
            label if dimension == "total" else f"{dimension_title(dimension)} : {label}"
        )
        table.rows.append(
            Row(f"{dimension}:{key_text(key)}", row_label, cells, group=group)
        )
    return table


def _series_has_hidden(book, dimension, key, buckets):
    return any(
        book.is_suppressed(count_key(dimension, key, "current", bucket))
        for bucket in buckets
    )


def comparison_table(report):
    book = report.book
    table = Table(
        "comparison",
        _("Comparison of the zones of %(set)s")
        % {"set": f"{report.comparison_set.name} (v{report.comparison_set.version})"},
        [
            Column("code", _("code"), "text"),
            Column("area_km2", _("area (km²)")),
            Column("population", _("population")),
            Column("current", _("period")),
            Column("previous", _("previous period")),
            Column("change_previous", _("change vs previous period")),
            Column(
                "change_previous_pct", _("change vs previous period (%)"), "percent"
            ),
            Column("per_km2", _("entries per km²")),
            Column("per_1000", _("entries per 1,000 inhabitants")),
            Column("rank", _("rank (entries)")),
            Column("rank_per_1000", _("rank (per 1,000 inhabitants)")),
        ],
    )
    table.note = _(
        "Areas are computed in EPSG:%(srid)s. Rank 1 has the most entries; equal "
        "values share a rank; hidden figures get no rank."
    ) % {"srid": settings.WORKING_SRID}
    previous_note = not_covered_note(report, names=("previous",))
    if previous_note:
        table.note += " " + previous_note

    published, per_1000 = {}, {}
    rows = []
    for item in report.comparison:
        territory = item["territory"]
        current = count_cell(book, territory_key(territory.pk, "current"))
        previous = count_cell(book, territory_key(territory.pk, "previous"))
        rate_km2 = rate_1000 = None
        if not current.is_hidden:
            published[territory.pk] = current.value
            if item["area_km2"] > 0:
                rate_km2 = current.value / item["area_km2"]
            if item["population"]:
                rate_1000 = current.value / item["population"] * 1000
                per_1000[territory.pk] = rate_1000
        rows.append((item, current, previous, rate_km2, rate_1000))

    ranks = _competition_ranks(published)
    ranks_1000 = _competition_ranks(per_1000)
    for item, current, previous, rate_km2, rate_1000 in rows:
        territory = item["territory"]
        cells = [
            text_cell(territory.code),
            number_cell(item["area_km2"], 2),
            number_cell(item["population"], 0),
            current,
            previous,
            *change_cells(
                current, previous, covered="previous" not in report.uncovered
            ),
            number_cell(rate_km2, 1),
            number_cell(rate_1000, 1),
            number_cell(ranks.get(territory.pk), 0),
            number_cell(ranks_1000.get(territory.pk), 0),
        ]
        table.rows.append(
            Row(str(territory.pk), territory.name, cells, is_total=item["is_zone"])
        )
    return table


def cells_table(report):
    """Table of the listed cells: count, Gi* z-score and p-value, class in words.

    Client viewers get no z-score nor p-value, as on the map and in the
    exports, because with the published counts they would let a reader solve
    for the hidden small counts. They keep the class.
    """
    cells = report.cells
    show_statistics = not report.suppressed
    columns = [Column("count", _("entries"))]
    if show_statistics:
        columns.append(Column("gi_z", _("Gi* z-score")))
        columns.append(Column("gi_p", _("p-value")))
    columns.append(Column("class", _("class"), "text"))
    table = Table(
        "hotspots",
        _("Top cells of %(size)s m hexagons") % {"size": _format(cells.cell_size_m)},
        columns,
    )
    if cells.method == "count":
        table.note = (cells.message or "") + " " + _("Cells are ranked by their count.")
    else:
        table.note = _(
            "Getis-Ord Gi* on the hexagon counts; classes after a false discovery "
            "rate correction."
        )
    if report.suppressed:
        table.note += " " + _(
            "Cells with fewer than %(threshold)s entries are not listed."
        ) % {"threshold": settings.SMALL_COUNT_THRESHOLD}
        table.note += " " + _(
            "Z-scores and p-values are not shown, because with the counts they "
            "would reveal small counts."
        )
    tested = cells.method == "gi_star"
    for cell in cells.cells:
        row_cells = [count_cell(report.book, ("cell", cell["cell_id"]))]
        if show_statistics:
            if tested:
                row_cells.append(number_cell(cell["gi_z"], 2))
                row_cells.append(number_cell(cell["gi_p"], 3))
            else:
                row_cells.extend([Cell(None, "—"), Cell(None, "—")])
        row_cells.append(text_cell(hotspot_class(cell["gi_bin"], tested)))
        table.rows.append(Row(cell["cell_id"], cell["cell_id"], row_cells))
    return table


def hotspot_class(gi_bin, tested=True):
    if not tested:
        return _("not tested")
    confidence = {3: "99", 2: "95", 1: "90"}.get(abs(gi_bin))
    if confidence is None:
        return _("not significant")
    if gi_bin > 0:
        return _("hot spot (%(confidence)s %%)") % {"confidence": confidence}
    return _("cold spot (%(confidence)s %%)") % {"confidence": confidence}


def report_tables(report):
    """List every table of the report, in reading order."""
    tables = [summary_table(report)]
    tables.extend(series_table(report, dimension) for dimension in SERIES_DIMENSIONS)
    tables.extend(breakdown_table(report, dimension) for dimension in DIMENSIONS)
    tables.append(trends_table(report))
    tables.append(comparison_table(report))
    tables.append(cells_table(report))
    return tables


# --- metadata -------------------------------------------------------------------------


def _step_name(step):
    return _("month") if step == "month" else _("week")


def _joined(labels, codes):
    return ", ".join(str(labels.get(code, code)) for code in codes)


def filters_display(report):
    """Describe the filters of the report as (label, value) pairs in words."""
    filters = report.request.filters
    category_labels = dict(report.keys["category"])
    theme_labels = dict(report.keys["theme"])
    type_labels = {code: label for (_category, code), label in report.keys["type"]}
    slot_labels = {slot: time_slot_label(slot) for slot in filters.time_slots}
    day_kinds = {"weekday": _("weekdays"), "weekend": _("weekends")}

    pairs = []
    if filters.categories:
        pairs.append((_("categories"), _joined(category_labels, filters.categories)))
    if filters.types:
        pairs.append((_("types"), _joined(type_labels, filters.types)))
    if filters.themes:
        pairs.append((_("themes"), _joined(theme_labels, filters.themes)))
    if filters.time_slots:
        pairs.append((_("time slots"), _joined(slot_labels, filters.time_slots)))
    if filters.day_kind:
        pairs.append((_("days"), _joined(day_kinds, [filters.day_kind])))
    status_labels = dict(Intervention.Status.choices)
    pairs.append((_("statuses"), _joined(status_labels, filters.statuses)))

    return pairs


def _geojson(geom):
    if geom is None:
        return None
    return json.loads(geom.transform(4326, clone=True).json)


def map_data(report):
    """Return the zone outline and the listed cells as GeoJSON in EPSG:4326."""
    features = []
    table = cells_table(report)
    for cell, row in zip(report.cells.cells, table.rows):
        features.append(
            {
                "type": "Feature",
                "id": cell["cell_id"],
                "geometry": _geojson(cell["geom"]),
                "properties": {
                    "cell_id": cell["cell_id"],
                    "count": table.cell(row.key, "count").display,
                    "gi_bin": cell["gi_bin"] if report.cells.method == "gi_star" else 0,
                    "class": table.cell(row.key, "class").display,
                },
            }
        )
    return {
        "zone": {
            "type": "Feature",
            "geometry": _geojson(report.zone.geom()),
            "properties": {"name": report.zone.name},
        },
        "cells": {"type": "FeatureCollection", "features": features},
    }


def report_metadata(report):
    """Zone, period, filters, data date and territory set versions of a report."""
    current = report.periods["current"]
    buckets = current.buckets()
    return {
        "zone": {
            "spec": report.zone.spec,
            "kind": report.zone.kind,
            "id": report.zone.id,
            "name": report.zone.name,
            "territories": [
                {
                    "id": t.pk,
                    "code": t.code,
                    "name": t.name,
                    "territory_set": t.territory_set_id,
                }
                for t in report.zone.territories
            ],
        },
        "period": {
            **current.as_dict(),
            "buckets": [
                {"start": b.isoformat(), "label": bucket_label(b, current.step)}
                for b in buckets
            ],
            "partial_first_bucket": buckets[0] != current.start,
            "partial_last_bucket": _bucket_end(buckets[-1], current.step)
            != current.end,
        },
        "previous_period": {
            **report.periods["previous"].as_dict(),
            "covered_by_data": "previous" not in report.uncovered,
        },
        "previous_year": {
            **report.periods["previous_year"].as_dict(),
            "covered_by_data": "previous_year" not in report.uncovered,
        },
        # Twelve whole months: the previous period is the same months a year
        # earlier, so pages print it once.
        "comparison_periods_coincide": _same_dates(
            report.periods["previous"], report.periods["previous_year"]
        ),
        "filters": {
            key: value
            for key, value in report.request.filters.as_dict().items()
            if key not in {"start", "end", "territories", "territory_set"}
        },
        "filters_display": [
            {"label": label, "value": value} for label, value in filters_display(report)
        ],
        "data_date": report.data_date.isoformat(),
        "generated_at": report.generated_at.isoformat(),
        "time_zone": settings.TIME_ZONE,
        "territory_sets": [
            {
                "id": territory_set.pk,
                "slug": territory_set.slug,
                "name": territory_set.name,
                "kind": territory_set.kind,
                "version": territory_set.version,
                "valid_from": _iso(territory_set.valid_from),
                "valid_to": _iso(territory_set.valid_to),
                "role": role,
            }
            for territory_set, role in report.territory_sets()
        ],
        "suppression": {
            "applied": report.suppressed,
            "threshold": settings.SMALL_COUNT_THRESHOLD,
            "rule": suppression_rule_text() if report.suppressed else "",
        },
        "hotspots": {
            "method": report.cells.method,
            "message": report.cells.message,
            "cell_size_m": report.cells.cell_size_m,
        },
        "trend": report.trends[("total", None)].as_dict(
            show_slope=not (
                report.suppressed
                and _series_has_hidden(report.book, "total", None, report.buckets)
            )
        ),
    }


def _same_dates(first, second):
    return (first.start, first.end) == (second.start, second.end)


def _bucket_end(start, step):
    if step == "month":
        return add_months(start, 1) - dt.timedelta(days=1)
    return start + dt.timedelta(days=6)


def _iso(value):
    return value.isoformat() if value else None


def suppression_rule_text():
    return _(
        'Figures under %(threshold)s are shown as "< %(threshold)s". When a total '
        "and its other parts would reveal such a figure, the smallest other part is "
        'hidden too and shown as "s". Changes and rates are shown only when every '
        "figure they use is shown."
    ) % {"threshold": settings.SMALL_COUNT_THRESHOLD}


def report_as_dict(report, tables=None):
    """Return the whole report as JSON-ready values (the API's response)."""
    tables = tables if tables is not None else report_tables(report)
    return {
        **report_metadata(report),
        "tables": [table.as_dict() for table in tables],
        "map": map_data(report),
    }


def display_datetime(value):
    return date_format(timezone.localtime(value), "DATETIME_FORMAT")
