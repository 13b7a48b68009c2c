"""The fields of every exported layer, with their fixed Shapefile names.

Change a short name only with a release note: GIS projects and scheduled
imports refer to the fields by these names.
"""

from django.utils.translation import gettext_lazy as _

from interventions.models import NOTE_MAX_LENGTH
from layers.exports.fields import (
    BOOLEAN,
    DATE,
    DATETIME,
    DBF_MAX_TEXT_BYTES,
    INTEGER,
    INTEGER64,
    REAL,
    TEXT,
    Field,
    LayerSchema,
)

# Enough 254-byte parts for a note of NOTE_MAX_LENGTH characters of 4 bytes
# each. A part contains at least 251 bytes, because a cut never splits a character.
NOTE_PARTS = -(-NOTE_MAX_LENGTH * 4 // (DBF_MAX_TEXT_BYTES - 3))

ENTRIES = LayerSchema(
    name="entries",
    geometry_type="Point",
    fields=(
        Field("id", "id", TEXT, _("Entry identifier (UUID made by the phone).")),
        Field(
            "occurred_at",
            "occur_iso",
            DATETIME,
            _("Date and time of the intervention, ISO 8601 with the UTC offset."),
        ),
        Field(
            "occurred_local_date",
            "occur_date",
            DATE,
            _("Local date of the intervention, in the service's time zone."),
        ),
        Field(
            "occurred_local_time",
            "occur_time",
            TEXT,
            _("Local time of the intervention, HH:MM:SS, in the service's time zone."),
        ),
        Field(
            "duration_minutes",
            "duration",
            INTEGER,
            _("Duration of the intervention in minutes."),
        ),
        Field("category_code", "cat_code", TEXT, _("Category code.")),
        Field("category_label", "cat_label", TEXT, _("Category label.")),
        Field("type_code", "type_code", TEXT, _("Intervention type code.")),
        Field("type_label", "type_label", TEXT, _("Intervention type label.")),
        Field("themes", "themes", TEXT, _("Theme codes, separated by commas.")),
        Field(
            "partners",
            "partners",
            TEXT,
            _("Codes of the partners mobilised, separated by commas."),
        ),
        Field("outcome_code", "outc_code", TEXT, _("Outcome code.")),
        Field("outcome_label", "outc_label", TEXT, _("Outcome label.")),
        Field("people_count", "people", INTEGER, _("Number of people concerned.")),
        Field("intensity", "intensity", INTEGER, _("Intensity: 1 low, 2 medium, 3 high.")),
        Field("note", "note", TEXT, _("Short note of the mediator."), parts=NOTE_PARTS),
        Field(
            "status",
            "status",
            TEXT,
            _("Status: draft, submitted, validated or rejected."),
        ),
        Field("mediator", "mediator", TEXT, _("User name of the mediator.")),
        Field(
            "location_method",
            "loc_method",
            TEXT,
            _("How the point was placed: gps, map_tap or address."),
        ),
        Field(
            "location_accuracy_m",
            "loc_acc_m",
            REAL,
            _("Accuracy of the point in metres, as reported by the phone."),
        ),
        Field(
            "outside_territories",
            "outside",
            BOOLEAN,
            _("True when the point lies in none of the organisation's territories."),
        ),
        Field("is_demo", "is_demo", BOOLEAN, _("True for demonstration data.")),
    ),
)

_TERRITORY_KEY_FIELDS = (
    Field("territory_id", "terr_id", INTEGER64, _("Territory identifier.")),
    Field("territory_code", "terr_code", TEXT, _("Territory code (INSEE, QPV code...).")),
    Field("territory_name", "terr_name", TEXT, _("Territory name.")),
)

TERRITORIES = LayerSchema(
    name="territories",
    geometry_type="MultiPolygon",
    fields=(
        *_TERRITORY_KEY_FIELDS,
        Field("territory_set_id", "set_id", INTEGER64, _("Territory set identifier.")),
        Field("territory_set_slug", "set_slug", TEXT, _("Short name of the territory set.")),
        Field("territory_set_name", "set_name", TEXT, _("Name of the territory set.")),
        Field(
            "territory_set_kind",
            "set_kind",
            TEXT,
            _("Kind of territory set: commune, district, qpv, iris..."),
        ),
        Field("territory_set_version", "set_vers", INTEGER, _("Version of the territory set.")),
        Field("valid_from", "valid_from", DATE, _("First day of validity of the set.")),
        Field("valid_to", "valid_to", DATE, _("Last day of validity of the set.")),
        Field("parent_code", "parent", TEXT, _("Code of the parent territory.")),
        Field("population", "population", INTEGER64, _("Population, when known.")),
        Field("area_km2", "area_km2", REAL, _("Area in square kilometres.")),
    ),
)

_COUNT_FIELDS = (
    Field(
        "entry_count",
        "entries",
        INTEGER64,
        _("Number of entries; empty when suppressed as a small count."),
    ),
    Field(
        "count_suppressed",
        "suppressed",
        BOOLEAN,
        _("True when small counts were suppressed for confidentiality."),
    ),
)

_ZONE_FIELDS = (
    *_TERRITORY_KEY_FIELDS,
    Field("territory_set_slug", "set_slug", TEXT, _("Short name of the territory set.")),
    Field("territory_set_version", "set_vers", INTEGER, _("Version of the territory set.")),
    Field("population", "population", INTEGER64, _("Population, when known.")),
    Field("area_km2", "area_km2", REAL, _("Area in square kilometres.")),
)

_RATE_FIELDS = (
    Field("rate_per_km2", "rate_km2", REAL, _("Entries per square kilometre.")),
    Field(
        "rate_per_1000_inhabitants",
        "rate_1000",
        REAL,
        _("Entries per 1,000 inhabitants; empty when the population is unknown."),
    ),
)

ZONE_STATISTICS = LayerSchema(
    name="zone_statistics",
    geometry_type="MultiPolygon",
    fields=(*_ZONE_FIELDS, *_COUNT_FIELDS, *_RATE_FIELDS),
)

ZONE_STATISTICS_BY_CATEGORY = LayerSchema(
    name="zone_statistics_by_category",
    geometry_type="MultiPolygon",
    fields=(
        *_ZONE_FIELDS,
        Field("category_code", "cat_code", TEXT, _("Category code.")),
        Field("category_label", "cat_label", TEXT, _("Category label.")),
        *_COUNT_FIELDS,
        *_RATE_FIELDS,
    ),
)

_CELL_FIELDS = (
    Field(
        "cell_id",
        "cell_id",
        TEXT,
        _("Hexagon identifier H<edge>_<column>_<row>, stable across exports."),
    ),
    Field("cell_size_m", "cell_m", REAL, _("Hexagon edge length in metres.")),
)

HOTSPOTS = LayerSchema(
    name="hotspots",
    geometry_type="Polygon",
    fields=(
        *_CELL_FIELDS,
        *_COUNT_FIELDS,
        Field("gi_z", "gi_z", REAL, _("Getis-Ord Gi* z-score.")),
        Field("gi_p", "gi_p", REAL, _("Two-sided p-value of the Gi* z-score.")),
        Field(
            "gi_bin",
            "gi_bin",
            INTEGER,
            _(
                "Confidence class: 3, 2, 1 hot spot at 99, 95, 90 per cent; -3, -2, -1 "
                "cold spot; 0 not significant."
            ),
        ),
        Field("neighbours", "neighbours", INTEGER, _("Number of neighbouring cells.")),
        Field("is_island", "is_island", BOOLEAN, _("True for a cell without neighbour.")),
    ),
)

_COVERAGE_FIELDS = (
    Field("entries", "entries", INTEGER64, _("Number of entries.")),
    Field("demand", "demand", INTEGER64, _("Entries other than active presence.")),
    Field("active_entries", "active_ent", INTEGER64, _("Active presence entries.")),
    Field("presence_days", "pres_days", INTEGER64, _("Days with presence.")),
    Field("presence_hours", "pres_hours", INTEGER64, _("Clock hours with presence.")),
    Field("active_days", "act_days", INTEGER64, _("Days with active presence.")),
    Field("active_hours", "act_hours", INTEGER64, _("Clock hours with active presence.")),
    Field("other_days", "oth_days", INTEGER64, _("Days with other interventions.")),
    Field("other_hours", "oth_hours", INTEGER64, _("Clock hours with other interventions.")),
    Field("presence_hours_morning", "ph_morning", INTEGER64, _("Presence hours, 6 h to 12 h.")),
    Field(
        "presence_hours_afternoon", "ph_aftern", INTEGER64, _("Presence hours, 12 h to 18 h.")
    ),
    Field("presence_hours_evening", "ph_evening", INTEGER64, _("Presence hours, 18 h to 22 h.")),
    Field("presence_hours_night", "ph_night", INTEGER64, _("Presence hours, 22 h to 6 h.")),
    Field("demand_morning", "dem_morn", INTEGER64, _("Demand entries, 6 h to 12 h.")),
    Field("demand_afternoon", "dem_aftern", INTEGER64, _("Demand entries, 12 h to 18 h.")),
    Field("demand_evening", "dem_even", INTEGER64, _("Demand entries, 18 h to 22 h.")),
    Field("demand_night", "dem_night", INTEGER64, _("Demand entries, 22 h to 6 h.")),
    Field(
        "coverage_ratio",
        "cov_ratio",
        REAL,
        _("Presence hours per demand entry; empty without demand."),
    ),
    Field(
        "missing_hours",
        "miss_hours",
        REAL,
        _("Presence hours lacking to reach the expected ratio."),
    ),
    Field(
        "is_gap",
        "is_gap",
        BOOLEAN,
        _("True when demand is high and presence low (coverage gap)."),
    ),
    Field("gap_rank", "gap_rank", INTEGER, _("Rank of the gap, 1 for the largest; 0 otherwise.")),
    Field(
        "count_suppressed",
        "suppressed",
        BOOLEAN,
        _("True when small counts were suppressed for confidentiality."),
    ),
)

COVERAGE_TERRITORIES = LayerSchema(
    name="coverage_territories",
    geometry_type="MultiPolygon",
    fields=(*_TERRITORY_KEY_FIELDS, *_COVERAGE_FIELDS),
)

COVERAGE_CELLS = LayerSchema(
    name="coverage_cells",
    geometry_type="Polygon",
    fields=(*_CELL_FIELDS, *_COVERAGE_FIELDS),
)

# The count columns of the coverage layers, in the order of `_COVERAGE_FIELDS`.
COVERAGE_COUNT_FIELDS = tuple(
    field.name for field in _COVERAGE_FIELDS if field.kind == INTEGER64
)
