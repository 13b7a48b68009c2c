"""Filters shared by every layer, report and export.

A `LayerFilters` is parsed once from query parameters (or command options) and
applied to an intervention queryset that is already scoped to the user.
"""

import datetime as dt
from dataclasses import asdict, dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import ExtractHour, ExtractIsoWeekDay
from django.utils.translation import gettext as _

# Local hours [start, end) of each time slot; night wraps past midnight.
TIME_SLOTS = {
    "morning": (6, 12),
    "afternoon": (12, 18),
    "evening": (18, 22),
    "night": (22, 6),
}
DAY_KINDS = {"weekday": (1, 2, 3, 4, 5), "weekend": (6, 7)}
STATUSES = ("draft", "submitted", "validated", "rejected")
DEFAULT_STATUSES = ("validated",)


def _split(value):
    if value is None:
        return ()
    if isinstance(value, (list, tuple)):
        items = []
        for item in value:
            items.extend(_split(item))
        return tuple(items)
    return tuple(part.strip() for part in str(value).split(",") if part.strip())


def _parse_date(name, value):
    if not value:
        return None
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise ValidationError(
            _("%(name)s=%(value)s is not a date; use the form YYYY-MM-DD.")
            % {"name": name, "value": value}
        ) from None


def _parse_ids(name, values):
    ids = []
    for value in values:
        try:
            ids.append(int(value))
        except ValueError:
            raise ValidationError(
                _("%(name)s=%(value)s is not a number; give territory ids separated by commas.")
                % {"name": name, "value": value}
            ) from None
    return tuple(ids)


def _check_choices(name, values, allowed):
    for value in values:
        if value not in allowed:
            raise ValidationError(
                _("%(name)s=%(value)s is not valid; use one of: %(allowed)s.")
                % {"name": name, "value": value, "allowed": ", ".join(allowed)}
            )
    return values


@dataclass(frozen=True)
class LayerFilters:
    """Selection of the entries a layer, report or export is computed from.

    `start` and `end` are local dates in the deployment's time zone, both
    included. Codes refer to the nomenclature; territory ids to `Territory`.
    """

    start: dt.date | None = None
    end: dt.date | None = None
    categories: tuple = ()
    types: tuple = ()
    themes: tuple = ()
    territory_set: int | None = None
    territories: tuple = ()
    statuses: tuple = DEFAULT_STATUSES
    time_slots: tuple = ()
    day_kind: str | None = None
    extra: dict = field(default_factory=dict, compare=False, hash=False)

    @classmethod
    def from_query(cls, params):
        """Build filters from a QueryDict or a plain dict; raise ValidationError on bad values."""

        def get(name):
            if hasattr(params, "getlist"):
                values = params.getlist(name)
                return values if values else None
            return params.get(name)

        start = _parse_date("start", get("start") and _split(get("start"))[0])
        end = _parse_date("end", get("end") and _split(get("end"))[0])
        if start and end and end < start:
            raise ValidationError(
                _("end=%(end)s is before start=%(start)s; swap the dates.")
                % {"start": start, "end": end}
            )
        territory_set = _parse_ids("territory_set", _split(get("territory_set")))
        statuses = _split(get("status")) or DEFAULT_STATUSES
        day_kind = _split(get("day_kind"))
        return cls(
            start=start,
            end=end,
            categories=_split(get("category")),
            types=_split(get("type")),
            themes=_split(get("theme")),
            territory_set=territory_set[0] if territory_set else None,
            territories=_parse_ids("territory", _split(get("territory"))),
            statuses=_check_choices("status", statuses, STATUSES),
            time_slots=_check_choices("time_slot", _split(get("time_slot")), tuple(TIME_SLOTS)),
            day_kind=_check_choices("day_kind", day_kind, tuple(DAY_KINDS))[0]
            if day_kind
            else None,
        )

    def as_dict(self):
        """Return the filters as JSON-ready values, for audit entries, cache keys and report headers."""
        data = asdict(self)
        data.pop("extra")
        for key in ("start", "end"):
            if data[key] is not None:
                data[key] = data[key].isoformat()
        return {key: list(value) if isinstance(value, tuple) else value for key, value in data.items()}

    def cache_key(self):
        items = sorted((k, str(v)) for k, v in self.as_dict().items())
        return "|".join(f"{k}={v}" for k, v in items)

    def period_bounds(self):
        """Aware datetimes [start, end) of the period in the deployment's time zone."""
        zone = ZoneInfo(settings.TIME_ZONE)
        lower = dt.datetime.combine(self.start, dt.time(), zone) if self.start else None
        upper = (
            dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time(), zone)
            if self.end
            else None
        )
        return lower, upper

    def apply(self, queryset):
        """Filter an intervention queryset; it must already be scoped to the user."""
        from territories.models import Attachment

        lower, upper = self.period_bounds()
        if lower:
            queryset = queryset.filter(occurred_at__gte=lower)
        if upper:
            queryset = queryset.filter(occurred_at__lt=upper)
        if self.categories:
            queryset = queryset.filter(category__code__in=self.categories)
        if self.types:
            queryset = queryset.filter(type__code__in=self.types)
        if self.themes:
            theme_links = queryset.model.themes.through.objects.filter(
                intervention=OuterRef("pk"), theme__code__in=self.themes
            )
            queryset = queryset.filter(Exists(theme_links))
        if self.statuses:
            queryset = queryset.filter(status__in=self.statuses)
        if self.territories:
            queryset = queryset.filter(
                Exists(
                    Attachment.objects.filter(
                        intervention=OuterRef("pk"), territory_id__in=self.territories
                    )
                )
            )
        elif self.territory_set:
            queryset = queryset.filter(
                Exists(
                    Attachment.objects.filter(
                        intervention=OuterRef("pk"), territory_set_id=self.territory_set
                    )
                )
            )
        if self.time_slots:
            queryset = queryset.annotate(local_hour=ExtractHour("occurred_at"))
            slot_filter = Q()
            for slot in self.time_slots:
                first, last = TIME_SLOTS[slot]
                if first < last:
                    slot_filter |= Q(local_hour__gte=first, local_hour__lt=last)
                else:
                    slot_filter |= Q(local_hour__gte=first) | Q(local_hour__lt=last)
            queryset = queryset.filter(slot_filter)
        if self.day_kind:
            queryset = queryset.annotate(local_weekday=ExtractIsoWeekDay("occurred_at"))
            queryset = queryset.filter(local_weekday__in=DAY_KINDS[self.day_kind])
        return queryset


def time_slot_of(local_datetime):
    """Name of the time slot a local datetime falls in."""
    hour = local_datetime.hour
    for slot, (first, last) in TIME_SLOTS.items():
        if first < last and first <= hour < last:
            return slot
    return "night"
