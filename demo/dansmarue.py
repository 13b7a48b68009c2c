"""DansMaRue street reports loaded as historical, validated demo entries.

DansMaRue is the Ville de Paris application where residents report anomalies
in the street. Each report of the open dataset becomes one entry of the demo
provider, recorded by the demo mediator and already validated by the demo
coordinator, with `is_demo` set.

Mapping of report categories to the nomenclature
------------------------------------------------
`dansmarue_mapping.csv` (next to this module) is the table. Each row gives a
DansMaRue `type`, an optional text that the `soustype` must contain (case
insensitive), and the category, type and theme codes of the seeded
nomenclature. The first matching row wins, so rows with a `soustype_contains`
come before the general row of the same type. Reports whose type matches no
row are skipped and counted by type. With the 2023-2024 sample:

- "Graffitis, tags, affiches et autocollants" -> incivilites / tag-graffiti;
- "Objets abandonnés" -> incivilites / depot-sauvage, except the objects of
  people living in the street -> veille-sociale / personne-sans-abri;
- "Propreté" -> veille-technique / signalement-proprete;
- "Éclairage / Électricité" -> veille-technique / signalement-eclairage;
- "Mobiliers urbains", "Voirie et espace public" and "Autos, motos, vélos,
  trottinettes..." (badly parked vehicles, wrecks) -> veille-technique /
  signalement-voirie;
- "Activités commerciales et professionnelles" (terraces, shop noise) ->
  conflits / conflit-espace-public;
- "Arbres, végétaux et animaux": only the reports about rats ->
  veille-technique / signalement-proprete; the others (trees, grass) have no
  counterpart in the nomenclature and are skipped;
- "Eau" (leaks, fountains) has no counterpart and is skipped.

Every loaded entry gets the outcome "oriente" and the partner
"services-techniques", since a report is handed to the city's services.

Other fields
------------
- `id`: a UUID derived from the report's `id_dmr`, so loading twice never
  creates a second row.
- `occurred_at`: the report date (`datedecl`) at 12:00 Europe/Paris. The
  dataset gives no time of day, so every report falls in the afternoon time
  slot of the layers.
- `location`: `geo_point_2d`, either the dict text of the sample
  (``{'lon': 2.33, 'lat': 48.88}``) or the "lat, lon" text of the publisher's
  CSV export, transformed to the working SRID. Rows without a parsable point
  are skipped.
- `note`: "DansMaRue <id_dmr> : <soustype>", cut to the note's maximum length.
"""

import csv
import datetime as dt
import math
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import transaction

import pyproj

from demo.datasets import csv_delimiter
from interventions.models import (
    NOTE_MAX_LENGTH,
    Category,
    Intervention,
    InterventionType,
    Outcome,
    Partner,
    Theme,
)

MAPPING_PATH = Path(__file__).with_name("dansmarue_mapping.csv")
ID_NAMESPACE = uuid.UUID("0f3d8f5e-5b1c-4d0e-9a57-6a3c1d2b9e41")
REPORT_HOUR = 12
DURATION_MINUTES = 5
OUTCOME_CODE = "oriente"
PARTNER_CODE = "services-techniques"
BATCH_SIZE = 2000

_NUMBER = r"(-?\d+(?:\.\d+)?(?:[eE]-?\d+)?)"
_DICT_POINT = re.compile(
    rf"""['"]lon['"]\s*:\s*{_NUMBER}.*?['"]lat['"]\s*:\s*{_NUMBER}"""
    rf"""|['"]lat['"]\s*:\s*{_NUMBER}.*?['"]lon['"]\s*:\s*{_NUMBER}"""
)
_LAT_LON_TEXT = re.compile(rf"^\s*\[?\s*{_NUMBER}\s*,\s*{_NUMBER}\s*\]?\s*$")


class MappingError(Exception):
    """The mapping table names a code that the nomenclature does not have."""


@dataclass(frozen=True)
class MappingRule:
    dansmarue_type: str
    soustype_contains: str
    category: Category
    type: InterventionType
    theme: Theme | None

    def matches(self, report_type, soustype):
        if report_type != self.dansmarue_type:
            return False
        if not self.soustype_contains:
            return True
        return self.soustype_contains.casefold() in (soustype or "").casefold()


def read_mapping(path=MAPPING_PATH):
    """Read the mapping table and resolve its codes in the default nomenclature.

    Raises MappingError naming the row and the unknown code.
    """
    categories = {c.code: c for c in Category.objects.filter(organisation=None)}
    types = {t.code: t for t in InterventionType.objects.filter(organisation=None)}
    themes = {t.code: t for t in Theme.objects.filter(organisation=None)}

    rules = []
    with Path(path).open(encoding="utf-8", newline="") as mapping_file:
        for line, row in enumerate(csv.DictReader(mapping_file), start=2):
            rules.append(_resolve_rule(path, line, row, categories, types, themes))

    return rules


def _resolve_rule(path, line, row, categories, types, themes):
    where = f"{path}, line {line}"
    category = categories.get(row["category"])
    if category is None:
        raise MappingError(
            f"{where}: unknown category code {row['category']!r}. Use a code of the "
            "default nomenclature."
        )
    intervention_type = types.get(row["type"])
    if intervention_type is None:
        raise MappingError(
            f"{where}: unknown type code {row['type']!r}. Use a code of the "
            "default nomenclature."
        )
    if intervention_type.category_id != category.id:
        raise MappingError(
            f"{where}: type {row['type']!r} belongs to the category "
            f"{intervention_type.category.code!r}, not {row['category']!r}."
        )
    theme = None
    if row.get("theme"):
        theme = themes.get(row["theme"])
        if theme is None:
            raise MappingError(
                f"{where}: unknown theme code {row['theme']!r}. Use a code of the "
                "default nomenclature."
            )

    return MappingRule(
        dansmarue_type=row["dansmarue_type"],
        soustype_contains=row.get("soustype_contains") or "",
        category=category,
        type=intervention_type,
        theme=theme,
    )


def parse_point(text):
    """Return (lon, lat) from a `geo_point_2d` value, or None without a usable point.

    Accepts the dict text ``{'lon': 2.33, 'lat': 48.88}`` (single or double
    quotes, keys in any order) and the "lat, lon" text of Opendatasoft CSV
    exports. A point outside the WGS84 range, or at (0, 0), is not usable.
    """
    if not isinstance(text, str):
        return None
    match = _DICT_POINT.search(text)
    if match:
        lon, lat, lat_second, lon_second = match.groups()
        if lon is None:
            lon, lat = lon_second, lat_second
    else:
        match = _LAT_LON_TEXT.match(text)
        if not match:
            return None
        lat, lon = match.groups()
    lon, lat = float(lon), float(lat)
    if not (math.isfinite(lon) and math.isfinite(lat)):
        return None
    if not (-180 <= lon <= 180 and -90 <= lat <= 90) or (lon == 0 and lat == 0):
        return None

    return lon, lat


def report_uuid(id_dmr):
    """Return the entry id of a DansMaRue report, the same for every load."""
    return uuid.uuid5(ID_NAMESPACE, f"dansmarue:{id_dmr}")


def read_reports(path):
    """Read the reports CSV into a frame of id_dmr, type, soustype, date, lon, lat."""
    frame = pd.read_csv(
        path,
        sep=csv_delimiter(path),
        dtype=str,
        encoding="utf-8-sig",
        keep_default_na=False,
    )
    points = frame["geo_point_2d"].map(parse_point)
    frame["lon"] = points.map(lambda point: point[0] if point else None)
    frame["lat"] = points.map(lambda point: point[1] if point else None)
    frame["date"] = frame["datedecl"].str.slice(0, 10)

    return frame[["id_dmr", "type", "soustype", "date", "lon", "lat"]]


@dataclass
class ReportLoad:
    """Row counts of one `load_reports` call, for the command's summary."""

    rows: int = 0
    created: int = 0
    existing: int = 0
    unmapped: Counter = field(default_factory=Counter)
    no_location: int = 0
    bad_date: int = 0
    duplicates: int = 0

    @property
    def mapped(self):
        return self.created + self.existing


def load_reports(path, *, organisation, mediator, reviewer, rules=None):
    """Create the demo entries of the reports in `path` that do not exist yet.

    Returns a ReportLoad with the counts of created, already present and
    skipped rows (unmapped type, no usable point, invalid date, an `id_dmr`
    seen earlier in the file).
    """
    rules = rules if rules is not None else read_mapping()
    frame = read_reports(path)
    result = ReportLoad(rows=len(frame))

    candidates = _map_rows(frame, rules, result)
    existing = _existing_ids(candidates)
    result.existing = len(existing)
    new_rows = [row for row in candidates if row["id"] not in existing]
    _insert_entries(
        new_rows, organisation=organisation, mediator=mediator, reviewer=reviewer
    )
    result.created = len(new_rows)

    return result


def _map_rows(frame, rules, result):
    timezone = ZoneInfo(settings.TIME_ZONE)
    transformer = pyproj.Transformer.from_crs(
        4326, settings.WORKING_SRID, always_xy=True
    )
    rows = []
    seen = set()
    for record in frame.itertuples(index=False):
        if record.id_dmr in seen:
            result.duplicates += 1
            continue
        seen.add(record.id_dmr)
        rule = next((r for r in rules if r.matches(record.type, record.soustype)), None)
        if rule is None:
            result.unmapped[record.type] += 1
            continue
        if record.lon is None or pd.isna(record.lon):
            result.no_location += 1
            continue
        try:
            day = dt.date.fromisoformat(record.date)
        except ValueError:
            result.bad_date += 1
            continue
        x, y = transformer.transform(record.lon, record.lat)
        note = f"DansMaRue {record.id_dmr} : {record.soustype}"
        rows.append(
            {
                "id": report_uuid(record.id_dmr),
                "rule": rule,
                "occurred_at": dt.datetime.combine(
                    day, dt.time(REPORT_HOUR), tzinfo=timezone
                ),
                "location": Point(x, y, srid=settings.WORKING_SRID),
                "note": note[:NOTE_MAX_LENGTH],
            }
        )

    return rows


def _existing_ids(rows):
    ids = [row["id"] for row in rows]
    existing = set()
    for start in range(0, len(ids), BATCH_SIZE):
        batch = ids[start : start + BATCH_SIZE]
        existing.update(
            Intervention.objects.filter(id__in=batch).values_list("id", flat=True)
        )

    return existing


@transaction.atomic
def _insert_entries(rows, *, organisation, mediator, reviewer):
    outcome = Outcome.objects.get(organisation=None, code=OUTCOME_CODE)
    partner = Partner.objects.get(organisation=None, code=PARTNER_CODE)
    entries = [
        Intervention(
            id=row["id"],
            organisation=organisation,
            mediator=mediator,
            occurred_at=row["occurred_at"],
            duration_minutes=DURATION_MINUTES,
            location=row["location"],
            location_method=Intervention.LocationMethod.MAP_TAP,
            category=row["rule"].category,
            type=row["rule"].type,
            outcome=outcome,
            note=row["note"],
            status=Intervention.Status.VALIDATED,
            reviewed_by=reviewer,
            reviewed_at=row["occurred_at"] + dt.timedelta(days=1),
            is_demo=True,
        )
        for row in rows
    ]
    Intervention.objects.bulk_create(entries, batch_size=BATCH_SIZE)

    theme_links = [
        Intervention.themes.through(
            intervention_id=row["id"], theme_id=row["rule"].theme.id
        )
        for row in rows
        if row["rule"].theme is not None
    ]
    Intervention.themes.through.objects.bulk_create(theme_links, batch_size=BATCH_SIZE)
    partner_links = [
        Intervention.partners.through(intervention_id=row["id"], partner_id=partner.id)
        for row in rows
    ]
    Intervention.partners.through.objects.bulk_create(
        partner_links, batch_size=BATCH_SIZE
    )
