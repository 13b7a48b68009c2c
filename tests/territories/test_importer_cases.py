"""Hard cases of the import, on small files written in tmp_path."""

import zipfile

import pytest
from django.db import connection

import geopandas as gpd
import pyogrio
from shapely.geometry import Point, box

from tests.territories.conftest import (
    PARIS_X,
    PARIS_Y,
    bow_tie,
    feature,
    ring,
    squares_frame,
    write_geojson,
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def run_import(path, organisation, slug="set", kind="district", **options):
    from territories.importer import import_territories

    return import_territories(
        path, organisation=organisation, slug=slug, kind=kind, **options
    )


def test_import_bow_tie_repaired(organisation, stored_areas, tmp_path):
    frame = gpd.GeoDataFrame(
        {"code": ["tie", "square"]},
        geometry=[
            bow_tie(PARIS_X, PARIS_Y, 100),
            box(PARIS_X, PARIS_Y + 500, PARIS_X + 100, PARIS_Y + 600),
        ],
        crs=2154,
    )
    path = tmp_path / "bowtie.gpkg"
    frame.to_file(path, driver="GPKG")
    report = run_import(path, organisation, code_field="code")
    # A GeoPackage keeps feature ids, counted from 1.
    assert [issue.fid for issue in report.repaired] == [1]
    assert report.numbering == "file"
    # The two diagonals of the 100 m bow tie cross at its centre.
    assert report.repaired[0].reason == (
        "self-intersection at point 651050.00 6862050.00 (Lambert-93)"
    )
    tie = report.territory_set.territories.get(code="tie")
    # Two triangles of half-base 50 m and height 100 m: 2 * (100 * 50 / 2) m2.
    assert stored_areas(report.territory_set)["tie"] == pytest.approx(5000)
    assert tie.geom.geom_type == "MultiPolygon"
    assert len(tie.geom) == 2
    assert tie.geom.valid


def test_import_polygon_z_flattened(organisation, tmp_path):
    from shapely.geometry import Polygon

    square_z = Polygon(
        [
            (PARIS_X, PARIS_Y, 35),
            (PARIS_X + 10, PARIS_Y, 35),
            (PARIS_X + 10, PARIS_Y + 10, 36),
            (PARIS_X, PARIS_Y, 35),
        ]
    )
    frame = gpd.GeoDataFrame({"code": ["z"]}, geometry=[square_z], crs=2154)
    path = tmp_path / "z.gpkg"
    frame.to_file(path, driver="GPKG")
    report = run_import(path, organisation, code_field="code")
    territory = report.territory_set.territories.get()
    assert territory.geom.hasz is False
    assert territory.geom.geom_type == "MultiPolygon"


def test_shapefile_without_prj(organisation, tmp_path):
    from territories.errors import MissingCrsError

    path = tmp_path / "noprj.shp"
    squares_frame([("A", "Ouest", PARIS_X, PARIS_Y, 1000)]).to_file(path)
    path.with_suffix(".prj").unlink()
    with pytest.raises(MissingCrsError, match=r"noprj\.shp.*\.prj"):
        run_import(path, organisation, code_field="code")
    report = run_import(path, organisation, code_field="code", source_srid=2154)
    assert report.crs == "EPSG:2154"
    assert report.crs_source == "given"
    assert report.territory_set.territories.get().geom.area == pytest.approx(1_000_000)


def test_shapefile_without_prj_in_other_crs(organisation, stored_areas, tmp_path):
    # The same square given in EPSG:3949 (CC49) must be reprojected to 2154.
    square = squares_frame([("A", "Ouest", PARIS_X, PARIS_Y, 1000)])
    path = tmp_path / "cc49.shp"
    square.to_crs(3949).to_file(path)
    path.with_suffix(".prj").unlink()
    report = run_import(path, organisation, code_field="code", source_srid=3949)
    stored = report.territory_set.territories.get().geom
    assert stored.extent == pytest.approx(
        (PARIS_X, PARIS_Y, PARIS_X + 1000, PARIS_Y + 1000), abs=0.01
    )


def test_latin1_dbf_without_cpg(organisation, tmp_path):
    names = ["Cité Étienne", "Bâtiment œuvre", "Hôpital"]
    frame = squares_frame(
        [
            (str(i), name, PARIS_X + 2000 * i, PARIS_Y, 1000)
            for i, name in enumerate(names)
        ]
    )
    path = tmp_path / "latin.shp"
    frame.to_file(path, encoding="cp1252")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    # GDAL writes a language driver id for the encoding: clear it, as in DBF
    # files written by tools that ignore encodings.
    dbf = path.with_suffix(".dbf")
    data = bytearray(dbf.read_bytes())
    data[29] = 0
    dbf.write_bytes(bytes(data))
    # GDAL alone would read these bytes as ISO-8859-1: "œ" (0x9C) would be lost.
    report = run_import(path, organisation, code_field="code", name_field="nom")
    stored = dict(report.territory_set.territories.values_list("code", "name"))
    assert report.encoding == "cp1252"
    assert report.encoding_source == "detected"
    assert stored == {"0": "Cité Étienne", "1": "Bâtiment œuvre", "2": "Hôpital"}


def test_given_encoding_wins(organisation, tmp_path):
    frame = squares_frame([("1", "Crèche", PARIS_X, PARIS_Y, 1000)])
    path = tmp_path / "given.shp"
    frame.to_file(path, encoding="ISO-8859-1")
    path.with_suffix(".cpg").unlink(missing_ok=True)
    report = run_import(
        path, organisation, code_field="code", name_field="nom", encoding="latin-1"
    )
    assert report.encoding_source == "given"
    assert report.territory_set.territories.get().name == "Crèche"


def test_unknown_encoding_rejected(organisation, tmp_path):
    from territories.errors import EncodingError

    path = tmp_path / "enc.shp"
    squares_frame([("1", "x", PARIS_X, PARIS_Y, 1000)]).to_file(path)
    with pytest.raises(EncodingError, match="klingon"):
        run_import(path, organisation, encoding="klingon")


def test_zip_with_shapefile_in_subfolder(organisation, tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    squares_frame(
        [
            ("A", "Ouest", PARIS_X, PARIS_Y, 1000),
            ("B", "Est", PARIS_X + 1000, PARIS_Y, 1000),
        ]
    ).to_file(folder / "districts.shp")
    archive = tmp_path / "districts.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for member in folder.iterdir():
            zipped.write(member, f"livraison/2024/{member.name}")
        zipped.writestr("__MACOSX/livraison/._districts.shp", b"junk")
    report = run_import(archive, organisation, code_field="code", name_field="nom")
    assert report.format_name == "Shapefile"
    assert sorted(report.territory_set.territories.values_list("name", flat=True)) == [
        "Est",
        "Ouest",
    ]


def test_geojson_swapped_coordinates(organisation, tmp_path):
    from territories.errors import RejectedFeaturesError

    path = write_geojson(
        tmp_path / "swapped.geojson",
        [
            feature(
                {"type": "Polygon", "coordinates": [ring(2.30, 48.85, 0.01)]}, code="ok"
            ),
            # Latitude first: (48.85, 2.30) lies off Somalia, not in Paris.
            feature(
                {"type": "Polygon", "coordinates": [ring(48.85, 2.30, 0.01)]},
                code="swap",
            ),
        ],
    )
    report = run_import(path, organisation, code_field="code")
    assert report.imported_count == 1
    assert [(i.fid, i.kind) for i in report.rejected] == [(2, "swapped_axes")]
    assert "48.85" in report.rejected[0].reason
    with pytest.raises(RejectedFeaturesError, match="feature 2:"):
        run_import(path, organisation, slug="strict", code_field="code", strict=True)


def test_geojson_projected_numbers_as_degrees(organisation, tmp_path):
    from territories.errors import RejectedFeaturesError

    # Lambert-93 metres in a GeoJSON without crs member, read as degrees.
    path = write_geojson(
        tmp_path / "metres.geojson",
        [
            feature(
                {"type": "Polygon", "coordinates": [ring(PARIS_X, PARIS_Y, 100)]},
                code="m",
            )
        ],
    )
    with pytest.raises(RejectedFeaturesError) as caught:
        run_import(path, organisation, code_field="code")
    assert [(i.fid, i.kind) for i in caught.value.rejected] == [(1, "not_degrees")]


def test_shapefile_degrees_declared_projected(organisation, tmp_path):
    from territories.errors import RejectedFeaturesError

    path = tmp_path / "degrees.shp"
    squares_frame([("A", "x", 2.30, 48.85, 0.01)], crs=4326).set_crs(
        2154, allow_override=True
    ).to_file(path)
    with pytest.raises(RejectedFeaturesError) as caught:
        run_import(path, organisation, code_field="code")
    assert [i.kind for i in caught.value.rejected] == ["degrees_as_projected"]


def test_geojson_legacy_crs_member(organisation, stored_areas, tmp_path):
    path = write_geojson(
        tmp_path / "legacy.geojson",
        [
            feature(
                {"type": "Polygon", "coordinates": [ring(PARIS_X, PARIS_Y, 200)]},
                code="L",
            )
        ],
        crs="urn:ogc:def:crs:EPSG::2154",
    )
    report = run_import(path, organisation, code_field="code")
    assert report.crs == "EPSG:2154"
    assert stored_areas(report.territory_set) == {"L": pytest.approx(40_000)}


def test_null_empty_and_line_geometries(organisation, tmp_path):
    path = write_geojson(
        tmp_path / "mixed.geojson",
        [
            feature(
                {"type": "Polygon", "coordinates": [ring(2.30, 48.85, 0.01)]}, code="ok"
            ),
            feature(None, code="null"),
            feature({"type": "Polygon", "coordinates": []}, code="empty"),
            feature(
                {"type": "LineString", "coordinates": [[2.3, 48.85], [2.31, 48.86]]},
                code="line",
            ),
        ],
    )
    report = run_import(path, organisation, code_field="code")
    rejected = {issue.label: issue.kind for issue in report.rejected}
    assert report.imported_count == 1
    assert rejected == {"null": "null", "empty": "empty", "line": "not_polygonal"}
    assert [issue.fid for issue in report.rejected] == [2, 3, 4]


def test_duplicate_codes_rejected(organisation, tmp_path):
    from territories.errors import DuplicateCodeError

    path = tmp_path / "dup.gpkg"
    squares_frame(
        [("A", "x", PARIS_X, PARIS_Y, 10), ("A", "y", PARIS_X + 20, PARIS_Y, 10)]
    ).to_file(path, driver="GPKG")
    with pytest.raises(DuplicateCodeError, match="'?A'?"):
        run_import(path, organisation, code_field="code")


def test_wrong_field_lists_fields(organisation, tmp_path):
    from territories.errors import FieldNotFoundError

    path = tmp_path / "fields.gpkg"
    squares_frame([("A", "x", PARIS_X, PARIS_Y, 10)]).to_file(path, driver="GPKG")
    with pytest.raises(FieldNotFoundError, match=r"'NAME'.*code, nom"):
        run_import(path, organisation, name_field="NAME")
    # Case differences are forgiven.
    report = run_import(path, organisation, code_field="CODE")
    assert report.territory_set.territories.get().code == "A"


def test_geopackage_layer_choice(organisation, tmp_path):
    from territories.errors import LayerNotFoundError

    path = tmp_path / "two.gpkg"
    squares_frame([("A", "a", PARIS_X, PARIS_Y, 10)]).to_file(
        path, layer="first", driver="GPKG"
    )
    squares_frame(
        [("B", "b", PARIS_X, PARIS_Y, 10), ("C", "c", PARIS_X + 20, PARIS_Y, 10)]
    ).to_file(path, layer="second", driver="GPKG")
    with pytest.raises(LayerNotFoundError, match="first, second"):
        run_import(path, organisation, code_field="code")
    with pytest.raises(LayerNotFoundError, match="third"):
        run_import(path, organisation, code_field="code", layer="third")
    report = run_import(path, organisation, code_field="code", layer="second")
    assert report.layers == ["first", "second"]
    assert report.territory_set.territories.count() == 2


def test_dry_run_writes_nothing(organisation, tmp_path):
    from territories.models import Territory, TerritorySet

    path = tmp_path / "dry.gpkg"
    squares_frame([("A", "a", PARIS_X, PARIS_Y, 10)]).to_file(path, driver="GPKG")
    report = run_import(path, organisation, code_field="code", dry_run=True)
    assert report.territory_set is None
    assert report.imported_count == 1
    assert TerritorySet.objects.count() == 0
    assert Territory.objects.count() == 0
    preview = report.to_geojson()
    (lon, lat) = preview["features"][0]["geometry"]["coordinates"][0][0][0]
    assert 2.2 < lon < 2.5
    assert 48.8 < lat < 48.9


def test_unsupported_file_rejected(organisation, tmp_path):
    from territories.errors import UnsupportedFileError

    path = tmp_path / "table.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(UnsupportedFileError, match=r"table\.csv"):
        run_import(path, organisation)


def test_points_only_file_rejected(organisation, tmp_path):
    from territories.errors import RejectedFeaturesError

    path = tmp_path / "points.gpkg"
    gpd.GeoDataFrame(
        {"code": ["p"]}, geometry=[Point(PARIS_X, PARIS_Y)], crs=2154
    ).to_file(path, driver="GPKG")
    with pytest.raises(RejectedFeaturesError, match="Point"):
        run_import(path, organisation, code_field="code")
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM territories_territoryset")
        assert cursor.fetchone()[0] == 0


def test_read_back_matches_file(organisation, tmp_path):
    """Every stored row equals the feature read back from the file with GDAL."""
    path = tmp_path / "readback.fgb"
    frame = squares_frame(
        [
            ("N1", "Nord", PARIS_X, PARIS_Y + 1000, 500),
            ("S1", "Sud", PARIS_X, PARIS_Y, 700),
        ]
    )
    frame.to_file(path, driver="FlatGeobuf")
    report = run_import(path, organisation, code_field="code", name_field="nom")
    _meta, _fids, wkbs, fields = pyogrio.raw.read(path)
    import shapely

    for code, name, wkb in zip(fields[0], fields[1], wkbs):
        territory = report.territory_set.territories.get(code=code)
        assert territory.name == name
        assert shapely.from_wkb(bytes(territory.geom.wkb)).equals(shapely.from_wkb(wkb))
        assert territory.properties == {"code": code, "nom": name}
