"""Import of the real open-data files, checked against independent readings."""

import pytest

import geopandas as gpd
import pyogrio

from tests.conftest import shared_data

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


def run_import(path, organisation, slug, kind, **options):
    from territories.importer import import_territories

    return import_territories(
        path, organisation=organisation, slug=slug, kind=kind, **options
    )


def test_import_paris_arrondissements(organisation, stored_areas):
    path = shared_data("paris-quartiers-arrondissements", "arrondissements.geojson")
    report = run_import(
        path,
        organisation,
        "arrondissements",
        "district",
        code_field="c_arinsee",
        name_field="l_aroff",
    )
    tset = report.territory_set
    names = dict(tset.territories.values_list("code", "name"))
    assert report.feature_count == 20
    assert tset.territories.count() == 20
    assert report.crs == "EPSG:4326"
    assert report.encoding == "UTF-8"
    assert names["75108"] == "Élysée"
    assert names["75105"] == "Panthéon"
    assert names["75110"] == "Entrepôt"
    # The publisher's own "surface" column is the Lambert-93 area in m2.
    published = gpd.read_file(path).set_index("c_arinsee")["surface"]
    for code, area in stored_areas(tset).items():
        assert area == pytest.approx(published[int(code)], rel=1e-6), code


def test_import_paris_quartiers_with_parents(organisation, stored_areas, tmp_path):
    arrondissements = run_import(
        shared_data("paris-quartiers-arrondissements", "arrondissements.geojson"),
        organisation,
        "arrondissements",
        "district",
        code_field="c_ar",
        name_field="l_aroff",
    ).territory_set
    path = shared_data("paris-quartiers-arrondissements", "quartier_paris.geojson")
    report = run_import(
        path,
        organisation,
        "quartiers",
        "district",
        code_field="c_quinsee",
        name_field="l_qu",
        parent_field="c_ar",
        parent_set="arrondissements",
    )
    quartiers = report.territory_set
    assert report.feature_count == 80
    assert quartiers.territories.count() == 80
    saint_germain = quartiers.territories.get(name="Saint-Germain-des-Prés")
    assert saint_germain.parent.territory_set == arrondissements
    assert saint_germain.parent.code == "6"
    assert quartiers.territories.filter(parent__isnull=True).count() == 0
    expected = gpd.read_file(path).to_crs(2154)
    expected = dict(zip(expected["c_quinsee"].astype(str), expected.area))
    for code, area in stored_areas(quartiers).items():
        assert area == pytest.approx(expected[code], rel=1e-6), code


def test_import_paris_iris_shapefile(organisation, stored_areas):
    path = shared_data("paris-iris-lambert93", "iris_paris.shp")
    report = run_import(
        path,
        organisation,
        "iris",
        "iris",
        code_field="CODE_IRIS",
        name_field="NOM_IRIS",
    )
    tset = report.territory_set
    assert report.feature_count == 992
    assert tset.territories.count() == 992
    assert report.crs == "EPSG:2154"
    assert report.encoding_source == "cpg"
    assert report.rejected == []
    expected = gpd.read_file(path)
    expected = dict(zip(expected["CODE_IRIS"], expected.area))
    stored = stored_areas(tset)
    assert stored.keys() == expected.keys()
    for code, area in stored.items():
        assert area == pytest.approx(expected[code], rel=1e-9), code
    assert tset.territories.get(code="751197316").name == "Villette 16"


def test_import_iris_population_by_code(organisation):
    import pandas as pd

    population = pd.read_csv(
        shared_data("paris-iris-lambert93", "PopIrisParis.csv"),
        dtype=str,
        usecols=["IRIS", "P18_POP"],
    )
    by_code = dict(zip(population["IRIS"], population["P18_POP"]))
    report = run_import(
        shared_data("paris-iris-lambert93", "iris_paris.shp"),
        organisation,
        "iris",
        "iris",
        code_field="CODE_IRIS",
        population_by_code=by_code,
    )
    stored = dict(report.territory_set.territories.values_list("code", "population"))
    assert len(stored) == 992
    for code in ("751010101", "751197316"):
        assert stored[code] == round(float(by_code[code])), code
    assert None not in stored.values()


def test_import_occitanie_qpv_repairs(organisation, stored_areas):
    from django.db import connection

    path = shared_data("occitanie-qpv-2015-dvf", "qp.geojson")
    report = run_import(
        path, organisation, "qpv-2015", "qpv", code_field="code_qp", name_field="nom_qp"
    )
    tset = report.territory_set
    assert report.feature_count == 105
    assert tset.territories.count() == 105
    assert report.rejected == []
    # Validity is judged in the working CRS, where the polygons are stored.
    frame = gpd.read_file(path, fid_as_index=True).to_crs(2154)
    # The file has no feature ids: issues give positions counted from 1.
    invalid_positions = {fid + 1 for fid in frame.index[~frame.is_valid]}
    assert report.numbering == "position"
    assert {issue.fid for issue in report.repaired} == invalid_positions
    assert all(issue.reason for issue in report.repaired)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM territories_territory "
            "WHERE territory_set_id = %s AND NOT ST_IsValid(geom)",
            [tset.pk],
        )
        assert cursor.fetchone()[0] == 0
    # Repairs keep the area of a polygon whose ring crosses itself only slightly.
    expected = dict(zip(frame["code_qp"], frame.buffer(0).area))
    for code, area in stored_areas(tset).items():
        assert area == pytest.approx(expected[code], rel=1e-3), code
    assert tset.territories.filter(name="Les Costières").exists()


def test_import_plu_cp1252_with_cpg(organisation):
    folder = shared_data("plu-shapefiles-encodings", "arpaillargues-30014_cp1252")
    report = run_import(
        folder, organisation, "plu-30014", "district", name_field="LIBELONG"
    )
    names = set(report.territory_set.territories.values_list("name", flat=True))
    assert report.feature_count == 90
    assert report.encoding_source == "cpg"
    assert (
        "Zone urbaine soumise à des prescriptions architecturales particulières"
        in names
    )
    assert not any("Ã" in name for name in names)


def test_import_plu_utf8_without_cpg(organisation):
    folder = shared_data("plu-shapefiles-encodings", "pezou-41175_utf8-without-cpg")
    report = run_import(
        folder, organisation, "plu-41175", "district", name_field="LIBELONG"
    )
    names = set(report.territory_set.territories.values_list("name", flat=True))
    assert report.feature_count == 118
    assert report.encoding == "utf-8"
    assert report.encoding_source == "detected"
    assert (
        "Secteur de zone naturelle où l'évolution modéré du bâti existant est admis"
        in names
    )
    assert not any("Ã" in name for name in names)


def test_import_plu_latin1_points_rejected(organisation):
    from territories.errors import RejectedFeaturesError

    from territories.models import TerritorySet

    folder = shared_data("plu-shapefiles-encodings", "prescription-pct-41269_latin1")
    with pytest.raises(RejectedFeaturesError, match="feature 1:") as caught:
        run_import(folder, organisation, "psc", "district", name_field="LIBELLE")
    assert not TerritorySet.objects.filter(slug="psc").exists()
    rejected = caught.value.rejected
    assert len(rejected) == 59
    assert {issue.kind for issue in rejected} == {"not_polygonal"}
    assert "Bâtiment agricole" in {issue.label for issue in rejected}


def test_plu_latin1_prj_matched_to_lambert93():
    from pyproj import CRS

    from territories.sources import locate_dataset, open_source

    folder = shared_data("plu-shapefiles-encodings", "prescription-pct-41269_latin1")
    info = pyogrio.read_info(folder / "PRESCRIPTION_PCT.shp")
    # GDAL does not identify this .prj, which is the case under test.
    assert CRS.from_user_input(info["crs"]).to_epsg() is None
    dataset, layer = locate_dataset(folder, None)
    source = open_source(dataset, layer=layer)
    assert source.crs_label == "EPSG:2154"
    assert source.crs_source == "matched"


@pytest.mark.parametrize("driver,suffix", [("GPKG", ".gpkg"), ("FlatGeobuf", ".fgb")])
def test_import_arrondissements_other_formats(
    organisation, stored_areas, tmp_path, driver, suffix
):
    source = shared_data("paris-quartiers-arrondissements", "arrondissements.geojson")
    frame = gpd.read_file(source)
    target = tmp_path / f"arrondissements{suffix}"
    frame.to_file(target, driver=driver)
    report = run_import(
        target,
        organisation,
        f"arr-{driver.lower()}",
        "district",
        code_field="c_arinsee",
        name_field="l_aroff",
    )
    tset = report.territory_set
    assert (
        report.format_name == {"GPKG": "GeoPackage", "FlatGeobuf": "FlatGeobuf"}[driver]
    )
    assert tset.territories.count() == 20
    assert tset.territories.get(code="75108").name == "Élysée"
    published = frame.set_index("c_arinsee")["surface"]
    for code, area in stored_areas(tset).items():
        assert area == pytest.approx(published[int(code)], rel=1e-6), code


def test_import_polygons_with_unmapped_lambert93_prj(organisation, tmp_path):
    from tests.territories.conftest import squares_frame

    prj = shared_data(
        "plu-shapefiles-encodings", "prescription-pct-41269_latin1", "PRESCRIPTION_PCT.prj"
    )
    path = tmp_path / "zones.shp"
    squares_frame([("Z1", "Zone", 555000, 6745000, 1000)]).to_file(path)
    path.with_suffix(".prj").write_bytes(prj.read_bytes())
    report = run_import(path, organisation, "zones", "district", code_field="code")
    assert report.crs == "EPSG:2154"
    assert report.crs_source == "matched"
    stored = report.territory_set.territories.get().geom
    assert stored.extent == pytest.approx((555000, 6745000, 556000, 6746000), abs=1e-6)
