"""Layer schemas: Shapefile names valid, unique and in step with the layer functions."""

import pytest

from layers.exports import schemas
from layers.exports.catalogue import LAYERS
from layers.exports.fields import Field, LayerSchema, TEXT, split_utf8


def test_every_layer_has_valid_short_names():
    for spec in LAYERS.values():
        if spec.schema is None:
            continue
        names = [name for field in spec.schema.fields for name in field.shapefile_names()]
        assert len(names) == len(set(names)), spec.name
        assert all(len(name) <= 10 for name in names), spec.name


def test_duplicate_short_name_rejected():
    with pytest.raises(ValueError, match="both territory_code and territory_name"):
        LayerSchema(
            name="broken",
            geometry_type="Point",
            fields=(
                Field("territory_code", "territory_", TEXT, "code"),
                Field("territory_name", "territory_", TEXT, "name"),
            ),
        )


def test_long_short_name_rejected():
    with pytest.raises(ValueError, match="'occurred_local'"):
        LayerSchema(
            name="broken",
            geometry_type="Point",
            fields=(Field("occurred_local_date", "occurred_local", TEXT, "date"),),
        )


def test_coverage_fields_match_coverage_layer():
    from layers.coverage import COUNT_COLUMNS

    assert list(schemas.COVERAGE_COUNT_FIELDS) == list(COUNT_COLUMNS)


def test_note_parts_cover_longest_note():
    from interventions.models import NOTE_MAX_LENGTH

    widest = "😀" * NOTE_MAX_LENGTH  # 4 bytes per character
    assert len(split_utf8(widest)) <= schemas.NOTE_PARTS


def test_split_utf8_keeps_characters_whole():
    text = "a" * 253 + "é" + "œ–"
    pieces = split_utf8(text)

    assert pieces == ["a" * 253, "é" + "œ–"]
    assert all(len(piece.encode("utf-8")) <= 254 for piece in pieces)
