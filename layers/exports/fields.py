"""Field definitions of exported layers, and their Shapefile form.

Every exported field has a full name (GeoPackage, GeoJSON, CSV) and a fixed
Shapefile name of at most 10 characters, written once in `schemas.py`. The
short names are never derived at run time, so a field keeps its short name
from one export to the next whatever the other fields are.
"""

import re
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _
from django.utils.translation import override

# GDAL truncates a DBF text value to 254 bytes, with only a warning.
DBF_MAX_TEXT_BYTES = 254
DBF_MAX_NAME_LENGTH = 10
# "2024-07-01T00:15:00+02:00": local time with its UTC offset, to the second.
ISO_DATETIME_LENGTH = 25

TEXT = "text"
INTEGER = "integer"
INTEGER64 = "integer64"
REAL = "real"
BOOLEAN = "boolean"
DATE = "date"
DATETIME = "datetime"
KINDS = (TEXT, INTEGER, INTEGER64, REAL, BOOLEAN, DATE, DATETIME)

_SHORT_NAME = re.compile(r"^[a-z][a-z0-9_]*$")

# Type names of the field dictionary (fields.csv), as a Shapefile stores them.
_DBF_TYPE_LABELS = {
    TEXT: _("text"),
    INTEGER: _("integer"),
    INTEGER64: _("integer (up to 18 digits)"),
    REAL: _("real number"),
    BOOLEAN: _("boolean (T or F)"),
    DATE: _("date"),
    DATETIME: _("text: ISO 8601 local date and time with UTC offset"),
}


@dataclass(frozen=True)
class Field:
    """One attribute of an exported layer.

    `parts` above 1 splits a long text into that many Shapefile fields named
    ``<short_name>_1`` to ``<short_name>_<parts>``, each at most 254 bytes.
    """

    name: str
    short_name: str
    kind: str
    description: str
    parts: int = 1

    def shapefile_names(self):
        if self.parts == 1:
            return [self.short_name]
        return [f"{self.short_name}_{index}" for index in range(1, self.parts + 1)]


@dataclass(frozen=True)
class LayerSchema:
    """Name, geometry type and ordered fields of an exported layer."""

    name: str
    geometry_type: str
    fields: tuple

    def __post_init__(self):
        check_short_names(self)

    @property
    def field_names(self):
        return [field.name for field in self.fields]


def check_short_names(schema):
    """Raise ValueError unless the Shapefile names of `schema` are valid and unique.

    A valid name has at most 10 lower-case letters, digits or underscores.
    Lower case only, because DBF field names are case-insensitive.
    """
    seen = {}
    for field in schema.fields:
        if field.kind not in KINDS:
            raise ValueError(
                f"field {field.name} of layer {schema.name} has kind {field.kind!r}; "
                f"use one of {', '.join(KINDS)}."
            )
        for short in field.shapefile_names():
            if len(short) > DBF_MAX_NAME_LENGTH or not _SHORT_NAME.match(short):
                raise ValueError(
                    f"Shapefile name {short!r} of field {field.name} in layer "
                    f"{schema.name} is not valid; use at most {DBF_MAX_NAME_LENGTH} "
                    "lower-case letters, digits or underscores."
                )
            if short in seen:
                raise ValueError(
                    f"Shapefile name {short!r} is given to both {seen[short]} and "
                    f"{field.name} in layer {schema.name}; choose another short name."
                )
            seen[short] = field.name


def field_dictionary_rows(schema):
    """Return the rows (short name, full name, type, meaning) of the field dictionary.

    The labels are in French whatever the request's language, because the
    dictionary travels with the file to GIS staff.
    """
    rows = []
    with override("fr"):
        for field in schema.fields:
            names = field.shapefile_names()
            for index, short in enumerate(names, start=1):
                meaning = str(field.description)
                if len(names) > 1:
                    meaning = _(
                        "%(meaning)s Part %(index)d of %(count)d: the text is cut every "
                        "254 bytes between two characters; join the parts in order."
                    ) % {"meaning": meaning, "index": index, "count": len(names)}
                rows.append(
                    (short, field.name, str(_DBF_TYPE_LABELS[field.kind]), str(meaning))
                )
    return rows


def split_utf8(text, max_bytes=DBF_MAX_TEXT_BYTES):
    """Cut `text` into pieces of at most `max_bytes` UTF-8 bytes, between characters."""
    pieces = []
    current = []
    size = 0
    for character in text:
        length = len(character.encode("utf-8"))
        if size + length > max_bytes:
            pieces.append("".join(current))
            current, size = [], 0
        current.append(character)
        size += length
    if current or not pieces:
        pieces.append("".join(current))
    return pieces
