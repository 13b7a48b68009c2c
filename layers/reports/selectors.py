"""Queries behind a zone report: entries of a zone, counts per bucket and key.

Every function takes an intervention queryset that is already scoped to the
user (`Intervention.objects.aggregatable_by`) and filtered
(`LayerFilters.apply`). Buckets are cut in PostgreSQL with
``date_trunc(step, occurred_at AT TIME ZONE settings.TIME_ZONE)``.
"""

from collections import defaultdict
from dataclasses import replace

from django.contrib.gis.db.models.functions import Area
from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    Max,
    Min,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import ExtractHour, Trunc

from interventions.models import (
    Category,
    Intervention,
    InterventionType,
    Outcome,
    Partner,
    Theme,
)
from layers.filters import DEFAULT_STATUSES, TIME_SLOTS
from layers.reports.periods import local_zone
from territories.models import Attachment

PRESENCE_CATEGORY = "presence-active"
NO_VALUE = "none"

# Dimensions of the report: how an entry is keyed in each.
# "additive": every entry has exactly one key, so keys add up to the total.
DIMENSIONS = {
    "category": {"fields": ("category__code",), "additive": True},
    "type": {"fields": ("category__code", "type__code"), "additive": True},
    "theme": {"fields": ("themes__code",), "additive": False},
    "time_slot": {"fields": ("time_slot",), "additive": True},
    "partner": {"fields": ("partners__code",), "additive": False},
    "outcome": {"fields": ("outcome__code",), "additive": True},
}


def zone_entries(user, filters, territory_ids):
    """Entries attached to `territory_ids` that the user may aggregate, filtered."""
    scoped = Intervention.objects.aggregatable_by(user)
    zone_filters = replace(
        filters, territories=tuple(territory_ids), territory_set=None
    )
    return zone_filters.apply(scoped)


def period_entries(entries, period):
    """Restrict entries to the local dates of `period`."""
    lower, upper = period.bounds()
    return entries.filter(occurred_at__gte=lower, occurred_at__lt=upper)


def _time_slot_expression():
    hour = ExtractHour("occurred_at", tzinfo=local_zone())
    whens = []
    for slot, (first, last) in TIME_SLOTS.items():
        if first < last:
            whens.append(When(Q(hour__gte=first, hour__lt=last), then=Value(slot)))
    night = next(slot for slot, (first, last) in TIME_SLOTS.items() if first >= last)
    return hour, Case(*whens, default=Value(night), output_field=CharField())


def counts_by(entries, dimension=None, *, step=None):
    """Count entries per key of `dimension` and per bucket of `step`.

    Returns a dict ``{(key, bucket): count}``. The key is None for the total
    (dimension None), a code, a ``(category, type)`` pair for types, or
    "none" for entries without a theme, partner or outcome. The bucket is the
    first local date of the month or ISO week, or "all" without a step.
    """
    qs = entries.order_by()
    group = []
    if step:
        qs = qs.annotate(
            bucket=Trunc(
                "occurred_at", step, output_field=DateField(), tzinfo=local_zone()
            )
        )
        group.append("bucket")
    fields = DIMENSIONS[dimension]["fields"] if dimension else ()
    if dimension == "time_slot":
        hour, slot = _time_slot_expression()
        qs = qs.annotate(hour=hour, time_slot=slot)
    group.extend(fields)
    rows = qs.values(*group).annotate(n=Count("id", distinct=True))

    counts = defaultdict(int)
    for row in rows:
        bucket = row["bucket"] if step else "all"
        if not fields:
            key = None
        elif len(fields) == 1:
            key = row[fields[0]] or NO_VALUE
        else:
            key = tuple(row[name] for name in fields)
        counts[(key, bucket)] += row["n"]
    return dict(counts)


def hours_of(entries):
    """Entries and minutes of presence (category presence-active) and of all entries."""
    totals = entries.order_by().aggregate(
        all_minutes=Sum("duration_minutes"),
        all_count=Count("id"),
        presence_minutes=Sum(
            "duration_minutes", filter=Q(category__code=PRESENCE_CATEGORY)
        ),
        presence_count=Count("id", filter=Q(category__code=PRESENCE_CATEGORY)),
    )
    return {key: value or 0 for key, value in totals.items()}


def latest_update(entries):
    return entries.order_by().aggregate(latest=Max("updated_at"))["latest"]


def latest_entry_day(user, statuses=DEFAULT_STATUSES):
    """Local date of the latest entry the user may aggregate, or None.

    Only entries with one of `statuses` count (validated ones by default, as
    in a report without a status filter).
    """
    latest = (
        Intervention.objects.aggregatable_by(user)
        .filter(status__in=statuses)
        .order_by()
        .aggregate(latest=Max("occurred_at"))["latest"]
    )
    return latest.astimezone(local_zone()).date() if latest else None


def first_entry_day(organisation_id):
    """Local date of the first entry of an organisation, whatever its status."""
    first = (
        Intervention.objects.filter(organisation_id=organisation_id)
        .order_by()
        .aggregate(first=Min("occurred_at"))["first"]
    )
    return first.astimezone(local_zone()).date() if first else None


def counts_per_territory(base_entries, territory_ids):
    """Entries attached to each of `territory_ids`: ``{territory_id: count}``."""
    rows = (
        Attachment.objects.filter(
            territory_id__in=territory_ids, intervention__in=base_entries
        )
        .values("territory_id")
        .annotate(n=Count("intervention_id", distinct=True))
        .order_by()
    )
    counts = {territory_id: 0 for territory_id in territory_ids}
    for row in rows:
        counts[row["territory_id"]] = row["n"]
    return counts


def territories_with_area(queryset):
    """Territories annotated with `area_m2`, computed in the working (projected) CRS."""
    return queryset.annotate(area=Area("geom")).order_by("code", "id")


def nomenclature_labels(organisation_id):
    """Map the codes of every dimension to their labels, in form order.

    Returns ``{dimension: [(key, label, is_active), ...]}``. Type keys are
    ``(category code, type code)`` pairs. An organisation's own row replaces
    the default row with the same code.
    """
    own_or_default = Q(organisation_id=organisation_id) | Q(organisation__isnull=True)
    labels = {}
    for dimension, model in (
        ("category", Category),
        ("theme", Theme),
        ("partner", Partner),
        ("outcome", Outcome),
    ):
        items = {}
        for code, label, active, own in (
            model.objects.filter(own_or_default)
            .order_by("position", "label")
            .values_list("code", "label", "is_active", "organisation_id")
        ):
            if code not in items or own:
                items[code] = (code, label, active)
        labels[dimension] = list(items.values())
    types = {}
    for code, label, active, own, category in (
        InterventionType.objects.filter(own_or_default)
        .order_by("category__position", "position", "label")
        .values_list("code", "label", "is_active", "organisation_id", "category__code")
    ):
        key = (category, code)
        if key not in types or own:
            types[key] = (key, label, active)
    labels["type"] = list(types.values())
    return labels
