"""Synthetic "présence active" entries, so that coverage layers have something to show.

The open data contains street reports, not mediators' rounds, so the demo adds
`SYNTHETIC_COUNT` invented entries of the category presence-active. They are
generated, not observed: every one has `is_demo` set and a note that starts
with `SYNTHETIC_NOTE`, and the demo documentation says so.

Generation is deterministic (a fixed seed, ids derived from the entry's rank),
so loading twice creates nothing new:

- 70 % lie in the derived estates of the demo landlords, drawn uniformly in a
  random estate: half "presence-hall" (halls and building entrances), half
  "tournee-pied";
- 30 % lie in a random quartier administratif of Paris: "tournee-pied";
- dates are uniform over the period of the DansMaRue sample, on weekdays and
  Saturdays, between 9:00 and 19:00 Europe/Paris;
- durations are 30 to 120 minutes, with 1 to 8 people met.
"""

import datetime as dt
import uuid
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import transaction

from shapely import wkb
from shapely.geometry import Point as ShapelyPoint

from interventions.models import Category, Intervention, InterventionType, Theme
from territories.models import Territory

SYNTHETIC_COUNT = 800
SEED = 20230814
ID_NAMESPACE = uuid.UUID("5d7c2a1e-8f4b-4c3a-9e6d-1b2a3c4d5e6f")
PERIOD = (dt.date(2023, 8, 14), dt.date(2024, 9, 12))
ESTATE_SHARE = 0.7
HOURS = (9, 19)
DURATION_MINUTES = (30, 120)
PEOPLE = (1, 8)
SATURDAY = 5
SUNDAY = 6
SYNTHETIC_NOTE = "Entrée synthétique de démonstration"


@dataclass
class SyntheticLoad:
    created: int = 0
    existing: int = 0


def synthetic_uuid(rank):
    """Return the id of the synthetic entry of rank `rank`, the same for every load."""
    return uuid.uuid5(ID_NAMESPACE, f"synthetic-presence:{rank}")


def load_synthetic_presence(
    *,
    organisation,
    mediator,
    reviewer,
    estate_set_ids,
    quartier_set_id,
    count=SYNTHETIC_COUNT,
):
    """Create the synthetic presence entries that do not exist yet.

    Returns a SyntheticLoad with the counts of created and existing entries.
    """
    ids = [synthetic_uuid(rank) for rank in range(count)]
    existing = set(Intervention.objects.filter(id__in=ids).values_list("id", flat=True))
    result = SyntheticLoad(existing=len(existing))
    if len(existing) == count:
        return result

    estates = _polygons(Territory.objects.filter(territory_set_id__in=estate_set_ids))
    quartiers = _polygons(Territory.objects.filter(territory_set_id=quartier_set_id))
    if not estates or not quartiers:
        raise ValueError(
            "Synthetic entries need the estate and quartier sets to hold territories; "
            "load the territory sets first."
        )
    entries = _generate(count, estates, quartiers)
    new_entries = [entry for entry in entries if entry["id"] not in existing]
    _insert(
        new_entries, organisation=organisation, mediator=mediator, reviewer=reviewer
    )
    result.created = len(new_entries)

    return result


def _polygons(territories):
    rows = territories.order_by("territory_set_id", "code").values_list(
        "geom", flat=True
    )
    return [wkb.loads(bytes(geom.wkb)) for geom in rows]


def _generate(count, estates, quartiers):
    rng = np.random.default_rng(SEED)
    timezone = ZoneInfo(settings.TIME_ZONE)
    days = _open_days()
    entries = []
    for rank in range(count):
        in_estate = rng.random() < ESTATE_SHARE
        if in_estate:
            polygon = estates[rng.integers(len(estates))]
            type_code = "presence-hall" if rng.random() < 0.5 else "tournee-pied"
        else:
            polygon = quartiers[rng.integers(len(quartiers))]
            type_code = "tournee-pied"
        x, y = _random_point_in(polygon, rng)
        day = days[rng.integers(len(days))]
        minute = int(rng.integers(HOURS[0] * 60, HOURS[1] * 60))
        occurred_at = dt.datetime.combine(
            day, dt.time(minute // 60, minute % 60), tzinfo=timezone
        )
        entries.append(
            {
                "id": synthetic_uuid(rank),
                "type_code": type_code,
                "occurred_at": occurred_at,
                "location": Point(x, y, srid=settings.WORKING_SRID),
                "duration": int(
                    rng.integers(DURATION_MINUTES[0], DURATION_MINUTES[1] + 1)
                ),
                "people": int(rng.integers(PEOPLE[0], PEOPLE[1] + 1)),
            }
        )

    return entries


def _open_days():
    start, end = PERIOD
    days = []
    day = start
    while day <= end:
        if day.weekday() != SUNDAY:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def _random_point_in(polygon, rng):
    """Draw a point uniformly inside `polygon` by rejection from its bounding box."""
    min_x, min_y, max_x, max_y = polygon.bounds
    while True:
        x = float(rng.uniform(min_x, max_x))
        y = float(rng.uniform(min_y, max_y))
        if polygon.contains(ShapelyPoint(x, y)):
            return x, y


@transaction.atomic
def _insert(entries, *, organisation, mediator, reviewer):
    category = Category.objects.get(organisation=None, code="presence-active")
    types = {
        t.code: t
        for t in InterventionType.objects.filter(organisation=None, category=category)
    }
    theme = Theme.objects.get(organisation=None, code="lien-social")
    rows = [
        Intervention(
            id=entry["id"],
            organisation=organisation,
            mediator=mediator,
            occurred_at=entry["occurred_at"],
            duration_minutes=entry["duration"],
            location=entry["location"],
            location_method=Intervention.LocationMethod.GPS,
            category=category,
            type=types[entry["type_code"]],
            people_count=entry["people"],
            note=f"{SYNTHETIC_NOTE} (présence active générée).",
            status=Intervention.Status.VALIDATED,
            reviewed_by=reviewer,
            reviewed_at=entry["occurred_at"] + dt.timedelta(days=1),
            is_demo=True,
        )
        for entry in entries
    ]
    Intervention.objects.bulk_create(rows)
    Intervention.themes.through.objects.bulk_create(
        [
            Intervention.themes.through(intervention_id=entry["id"], theme_id=theme.id)
            for entry in entries
        ]
    )
