"""Exported files read back with GDAL: counts, CRS, positions, attributes, empty files."""

import csv
import json
import shutil
import subprocess
import zipfile
from datetime import date

import pandas as pd
import pyogrio
import pytest
import shapely
from pyproj import Transformer

from layers.exports.catalogue import SRIDS
from layers.exports.errors import FieldTooLongError
from layers.exports.scope import ExportScope
from layers.exports.services import ExportOptions, run_export
from layers.filters import LayerFilters
from tests.exports.conftest import (
    FRENCH_NOTE,
    LONG_NOTE,
    NOTRE_DAME_L93,
    NOTRE_DAME_LONLAT,
    TEN_DIGITS,
)

pytestmark = pytest.mark.django_db

# Notre-Dame in CC49 and in web Mercator, from
# `echo 48.8530 2.3499 | cs2cs -f %.2f EPSG:4326 EPSG:3949` (and EPSG:3857), PROJ 9.1.1.
NOTRE_DAME_CC49 = (1652295.68, 8183858.01)
NOTRE_DAME_3857 = (261589.67, 6249955.28)

ENTRY_SHORT_NAMES = [
    "id",
    "occur_iso",
    "occur_date",
    "occur_time",
    "duration",
    "cat_code",
    "cat_label",
    "type_code",
    "type_label",
    "themes",
    "partners",
    "outc_code",
    "outc_label",
    "people",
    "intensity",
    "note_1",
    "note_2",
    "note_3",
    "note_4",
    "note_5",
    "status",
    "mediator",
    "loc_method",
    "loc_acc_m",
    "outside",
    "is_demo",
]


def export(user, layer, export_format, srid=2154, *, directory, options=None, **filters):
    return run_export(
        scope=ExportScope.for_user(user),
        layer=layer,
        export_format=export_format,
        srid=srid,
        filters=LayerFilters.from_query(filters),
        options=options or ExportOptions(),
        directory=directory,
    )


def read_csv_layer(path, srid):
    return pyogrio.read_dataframe(
        path, GEOM_POSSIBLE_NAMES=f"wkt_epsg_{srid}", KEEP_GEOM_COLUMNS="NO"
    )


def expected_position(srid):
    """Notre-Dame in `srid`, transformed from its Lambert-93 reference by pyproj."""
    transformer = Transformer.from_crs(2154, srid, always_xy=True)
    return transformer.transform(*NOTRE_DAME_L93)


def tolerance(srid):
    return 1e-6 if srid == 4326 else 0.01


# --- Shapefile ----------------------------------------------------------------


def test_shapefile_entry_attributes(users, notre_dame_entry, export_dir):
    result = export(users["analyst"], "entries", "shp", directory=export_dir)
    frame = pyogrio.read_dataframe(result.path)

    assert result.feature_count == 1
    assert len(frame) == 1
    row = frame.iloc[0]
    assert row["id"] == str(notre_dame_entry.pk)
    assert row["note_1"] == FRENCH_NOTE
    assert row["cat_code"] == "conflits"
    assert row["cat_label"] == "Prévention et gestion des conflits"
    assert row["type_label"] == "Conflit de voisinage : bruit"
    assert row["themes"] == "jeunesse, tranquillite"
    assert row["partners"] == "bailleur"
    assert row["outc_code"] == "resolu"
    assert row["outc_label"] == "Résolu"
    assert row["people"] == 3
    assert row["intensity"] == 2
    assert row["duration"] == 45
    assert row["loc_acc_m"] == pytest.approx(12.5)
    assert row["loc_method"] == "gps"
    assert row["status"] == "validated"
    assert row["mediator"] == "mediator"
    assert not row["outside"]
    assert row.geometry.x == pytest.approx(NOTRE_DAME_L93[0], abs=0.01)
    assert row.geometry.y == pytest.approx(NOTRE_DAME_L93[1], abs=0.01)


def test_shapefile_datetime_after_midnight(users, notre_dame_entry, export_dir):
    # 00:15 in Paris on 1 July 2024 is 22:15 UTC on 30 June.
    result = export(users["analyst"], "entries", "shp", directory=export_dir)
    frame = pyogrio.read_dataframe(result.path)
    info = pyogrio.read_info(result.path)
    types = dict(zip(info["fields"], info["ogr_types"]))

    row = frame.iloc[0]
    assert types["occur_date"] == "OFTDate"
    assert row["occur_date"].date() == date(2024, 7, 1)
    assert row["occur_time"] == "00:15:00"
    assert row["occur_iso"] == "2024-07-01T00:15:00+02:00"


def test_shapefile_short_names_stable(users, notre_dame_entry, districts, export_dir):
    entries = export(users["analyst"], "entries", "shp", directory=export_dir)
    territories = export(users["analyst"], "territories", "shp", directory=export_dir)

    assert list(pyogrio.read_info(entries.path)["fields"]) == ENTRY_SHORT_NAMES
    territory_fields = list(pyogrio.read_info(territories.path)["fields"])
    # territory_code and territory_name share their first ten characters.
    assert territory_fields[:3] == ["terr_id", "terr_code", "terr_name"]
    assert "population" in territory_fields


def test_shapefile_zip_members(users, notre_dame_entry, export_dir):
    result = export(users["analyst"], "entries", "shp", directory=export_dir)

    with zipfile.ZipFile(result.path) as archive:
        names = set(archive.namelist())
        cpg = archive.read("entries.cpg").decode("ascii")
        dictionary = archive.read("fields.csv").decode("utf-8")
    assert names == {
        "entries.shp",
        "entries.shx",
        "entries.dbf",
        "entries.prj",
        "entries.cpg",
        "fields.csv",
    }
    assert cpg.strip() == "UTF-8"
    rows = list(csv.reader(dictionary.splitlines()))
    assert rows[0] == ["nom_court", "nom_complet", "type", "signification"]
    assert [row[0] for row in rows[1:]] == ENTRY_SHORT_NAMES


def test_shapefile_dictionary_in_french(users, notre_dame_entry, export_dir):
    result = export(users["analyst"], "entries", "shp", directory=export_dir)

    with zipfile.ZipFile(result.path) as archive:
        rows = list(csv.reader(archive.read("fields.csv").decode("utf-8").splitlines()))
    by_short_name = {row[0]: row for row in rows[1:]}
    assert by_short_name["occur_date"] == [
        "occur_date",
        "occurred_local_date",
        "date",
        "Date locale de l'intervention, dans le fuseau horaire du service.",
    ]
    assert by_short_name["occur_time"][1] == "occurred_local_time"
    assert by_short_name["note_2"][3].startswith("Note courte du médiateur. Partie 2 sur 5")


def test_shapefile_long_note_split(users, make_entry, export_dir):
    make_entry(*NOTRE_DAME_L93, note=LONG_NOTE)
    result = export(users["analyst"], "entries", "shp", directory=export_dir)
    row = pyogrio.read_dataframe(result.path).iloc[0]

    assert len(LONG_NOTE.encode("utf-8")) == 420
    assert len(row["note_1"].encode("utf-8")) <= 254
    assert len(row["note_2"].encode("utf-8")) <= 254
    assert row["note_1"] + row["note_2"] == LONG_NOTE
    assert not row["note_3"]


def test_shapefile_ten_digit_integer(users, districts, export_dir):
    territories = export(
        users["analyst"], "territories", "shp", directory=export_dir, territory_set=str(districts[0].pk)
    )
    statistics = export(
        users["analyst"],
        "zone_statistics",
        "shp",
        directory=export_dir,
        territory_set=str(districts[0].pk),
    )

    for path in (territories.path, statistics.path):
        frame = pyogrio.read_dataframe(path)
        west = frame[frame["terr_code"] == "75104-ND"].iloc[0]
        assert west["population"] == TEN_DIGITS
        assert west["terr_name"] == "Cœur de l'Île – Notre-Dame"


def test_shapefile_rejects_text_over_254_bytes(
    users, organisation, make_entry, export_dir, nomenclature
):
    from interventions.models import Category, InterventionType

    label = "Œuvre – " + "œ" * 190  # 198 characters, 391 bytes in UTF-8
    category = Category.objects.create(organisation=organisation, code="longue", label=label)
    kind = InterventionType.objects.create(
        organisation=organisation, code="longue-type", label="Type", category=category
    )
    entry = make_entry(*NOTRE_DAME_L93)
    entry.category = category
    entry.type = kind
    entry.save()

    with pytest.raises(FieldTooLongError, match="category_label"):
        export(users["analyst"], "entries", "shp", directory=export_dir)
    package = export(users["analyst"], "entries", "gpkg", directory=export_dir)
    assert pyogrio.read_dataframe(package.path).iloc[0]["category_label"] == label


# --- CRS and positions --------------------------------------------------------


@pytest.mark.parametrize("export_format", ["shp", "gpkg"])
@pytest.mark.parametrize("srid", SRIDS)
def test_crs_and_position(users, notre_dame_entry, export_dir, export_format, srid):
    result = export(users["analyst"], "entries", export_format, srid, directory=export_dir)
    info = pyogrio.read_info(result.path)
    point = pyogrio.read_dataframe(result.path).geometry.iloc[0]
    x, y = expected_position(srid)

    assert info["crs"] == f"EPSG:{srid}"
    assert info["features"] == 1
    assert point.x == pytest.approx(x, abs=tolerance(srid))
    assert point.y == pytest.approx(y, abs=tolerance(srid))


def test_positions_match_cs2cs(users, notre_dame_entry, export_dir):
    for srid, reference in [
        (4326, NOTRE_DAME_LONLAT),
        (3949, NOTRE_DAME_CC49),
        (3857, NOTRE_DAME_3857),
    ]:
        result = export(users["analyst"], "entries", "gpkg", srid, directory=export_dir)
        point = pyogrio.read_dataframe(result.path).geometry.iloc[0]
        # cs2cs printed two decimals; 1e-6 degree is about 0.1 m.
        assert point.x == pytest.approx(reference[0], abs=tolerance(srid) + 0.005)
        assert point.y == pytest.approx(reference[1], abs=tolerance(srid) + 0.005)


@pytest.mark.skipif(shutil.which("gdalsrsinfo") is None, reason="gdal-bin is not installed")
def test_prj_recognised_by_system_gdal(users, notre_dame_entry, export_dir, tmp_path):
    for srid in SRIDS:
        result = export(users["analyst"], "entries", "shp", srid, directory=export_dir)
        with zipfile.ZipFile(result.path) as archive:
            archive.extract("entries.prj", tmp_path / str(srid))
        output = subprocess.run(
            ["gdalsrsinfo", "-e", str(tmp_path / str(srid) / "entries.prj")],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert f"EPSG:{srid}" in output.split()


# --- GeoPackage ---------------------------------------------------------------


def test_geopackage_full_names_and_types(users, notre_dame_entry, export_dir):
    result = export(users["analyst"], "entries", "gpkg", directory=export_dir)
    info = pyogrio.read_info(result.path)
    types = dict(zip(info["fields"], info["ogr_types"]))
    row = pyogrio.read_dataframe(result.path).iloc[0]

    assert types["occurred_at"] == "OFTDateTime"
    assert types["occurred_local_date"] == "OFTDate"
    assert types["people_count"] == "OFTInteger"
    assert types["location_accuracy_m"] == "OFTReal"
    assert row["occurred_at"] == pd.Timestamp("2024-06-30 22:15:00", tz="UTC")
    assert row["occurred_local_date"].date() == date(2024, 7, 1)
    assert row["occurred_local_time"] == "00:15:00"
    assert row["note"] == FRENCH_NOTE
    assert row["category_label"] == "Prévention et gestion des conflits"


def test_geopackage_ten_digit_integer(users, districts, export_dir):
    result = export(
        users["analyst"], "territories", "gpkg", directory=export_dir, territory_set=str(districts[0].pk)
    )
    frame = pyogrio.read_dataframe(result.path)
    west = frame[frame["territory_code"] == "75104-ND"].iloc[0]

    assert west["population"] == TEN_DIGITS
    assert west["territory_name"] == "Cœur de l'Île – Notre-Dame"
    assert west["area_km2"] == pytest.approx(1.0)


# --- GeoJSON ------------------------------------------------------------------


def test_geojson_rfc7946_whatever_srid(users, notre_dame_entry, districts, export_dir):
    entries = export(users["analyst"], "entries", "geojson", 2154, directory=export_dir)
    territories = export(users["analyst"], "territories", "geojson", 3949, directory=export_dir)

    document = json.loads(entries.path.read_text(encoding="utf-8"))
    assert "crs" not in document
    feature = document["features"][0]
    longitude, latitude = feature["geometry"]["coordinates"]
    assert longitude == pytest.approx(NOTRE_DAME_LONLAT[0], abs=1e-6)
    assert latitude == pytest.approx(NOTRE_DAME_LONLAT[1], abs=1e-6)
    assert feature["properties"]["note"] == FRENCH_NOTE
    assert feature["properties"]["occurred_at"] == "2024-07-01T00:15:00+02:00"
    assert feature["properties"]["occurred_local_date"] == "2024-07-01"
    assert pyogrio.read_info(entries.path)["crs"] == "EPSG:4326"

    polygons = json.loads(territories.path.read_text(encoding="utf-8"))["features"]
    assert territories.srid == 4326
    assert polygons[0]["properties"]["population"] == TEN_DIGITS
    for polygon in polygons:
        exterior = polygon["geometry"]["coordinates"][0][0]
        assert shapely.LinearRing(exterior).is_ccw
        assert 2.0 < exterior[0][0] < 2.5


# --- CSV ----------------------------------------------------------------------


def test_csv_columns_and_wkt(users, notre_dame_entry, export_dir):
    result = export(users["analyst"], "entries", "csv", 2154, directory=export_dir)
    raw = result.path.read_bytes()
    rows = list(csv.DictReader(raw.decode("utf-8").splitlines()))
    frame = read_csv_layer(result.path, 2154)

    assert not raw.startswith(b"\xef\xbb\xbf")
    assert len(rows) == 1
    assert list(rows[0])[-3:] == ["longitude", "latitude", "wkt_epsg_2154"]
    assert float(rows[0]["longitude"]) == pytest.approx(NOTRE_DAME_LONLAT[0], abs=1e-6)
    assert float(rows[0]["latitude"]) == pytest.approx(NOTRE_DAME_LONLAT[1], abs=1e-6)
    assert rows[0]["note"] == FRENCH_NOTE
    assert rows[0]["occurred_at"] == "2024-07-01T00:15:00+02:00"
    assert rows[0]["people_count"] == "3"
    assert frame.geometry.iloc[0].x == pytest.approx(NOTRE_DAME_L93[0], abs=0.01)
    assert frame.geometry.iloc[0].y == pytest.approx(NOTRE_DAME_L93[1], abs=0.01)


def test_csv_byte_order_mark_option(users, notre_dame_entry, export_dir):
    result = export(
        users["analyst"],
        "entries",
        "csv",
        3949,
        directory=export_dir,
        options=ExportOptions(bom=True),
    )
    raw = result.path.read_bytes()
    rows = list(csv.DictReader(raw.decode("utf-8-sig").splitlines()))

    assert raw.startswith(b"\xef\xbb\xbf")
    point = shapely.from_wkt(rows[0]["wkt_epsg_3949"])
    assert point.x == pytest.approx(NOTRE_DAME_CC49[0], abs=0.01)
    assert point.y == pytest.approx(NOTRE_DAME_CC49[1], abs=0.01)


# --- empty selection ----------------------------------------------------------


def test_empty_selection_keeps_schema(users, notre_dame_entry, export_dir):
    empty = {"start": "2030-01-01"}
    shp = export(users["analyst"], "entries", "shp", directory=export_dir, **empty)
    gpkg = export(users["analyst"], "entries", "gpkg", 3949, directory=export_dir, **empty)
    geojson = export(users["analyst"], "entries", "geojson", directory=export_dir, **empty)
    table = export(users["analyst"], "entries", "csv", directory=export_dir, **empty)

    shp_info = pyogrio.read_info(shp.path)
    assert shp.feature_count == 0
    assert shp_info["features"] == 0
    assert list(shp_info["fields"]) == ENTRY_SHORT_NAMES
    assert shp_info["crs"] == "EPSG:2154"
    gpkg_info = pyogrio.read_info(gpkg.path)
    assert gpkg_info["features"] == 0
    assert gpkg_info["crs"] == "EPSG:3949"
    assert gpkg_info["geometry_type"] == "Point"
    assert "occurred_local_date" in list(gpkg_info["fields"])
    assert json.loads(geojson.path.read_text()) == {
        "type": "FeatureCollection",
        "features": [],
    }
    lines = table.path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("id,occurred_at,occurred_local_date,occurred_local_time")
