"""Aggregated layers: zone statistics, hot spots, coverage and density, read back with GDAL."""

from datetime import datetime, timedelta

import numpy as np
import pyogrio
import pytest
import rasterio
import shapely

from layers.exports.errors import ExportError, MissingParameterError
from layers.exports.scope import ExportScope
from layers.exports.services import ExportOptions, run_export
from layers.filters import LayerFilters
from tests.exports.conftest import NOTRE_DAME_L93, NOTRE_DAME_LONLAT, PARIS, TEN_DIGITS

pytestmark = pytest.mark.django_db


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


@pytest.fixture
def client_viewer(users, client_city, districts):
    client_city.perimeter.set([districts[1], districts[2]])
    return users["client_viewer"]


@pytest.fixture
def zone_entries(make_entry):
    """West district: 3 conflicts and 2 technical reports; east: 1 conflict.

    A submitted entry in the west is left out by the default status filter.
    """
    for offset in range(3):
        make_entry(652000 + offset * 100, 6861400, category="conflits")
    for offset in range(2):
        make_entry(652000 + offset * 100, 6861900, category="veille-technique")
    make_entry(653300, 6861700, category="conflits")
    make_entry(652500, 6861500, category="conflits", status="submitted")


# --- zone statistics ----------------------------------------------------------


def test_zone_statistics_counts_and_rates(users, districts, zone_entries, export_dir):
    tset = districts[0]
    result = export(
        users["analyst"], "zone_statistics", "shp", directory=export_dir, territory_set=str(tset.pk)
    )
    frame = pyogrio.read_dataframe(result.path).set_index("terr_code")

    assert result.feature_count == 2
    assert frame.loc["75104-ND", "entries"] == 5
    assert frame.loc["75104-SL", "entries"] == 1
    # Each district is a 1 km square.
    assert frame.loc["75104-ND", "rate_km2"] == pytest.approx(5.0)
    assert frame.loc["75104-ND", "rate_1000"] == pytest.approx(5 * 1000 / TEN_DIGITS)
    assert frame.loc["75104-ND", "population"] == TEN_DIGITS
    assert np.isnan(frame.loc["75104-SL", "rate_1000"])
    assert not frame["suppressed"].any()


def test_zone_statistics_by_category(users, districts, zone_entries, export_dir, nomenclature):
    tset = districts[0]
    result = export(
        users["coordinator"],
        "zone_statistics_by_category",
        "gpkg",
        directory=export_dir,
        territory_set=str(tset.pk),
    )
    frame = pyogrio.read_dataframe(result.path)
    counts = {
        (row.territory_code, row.category_code): row.entry_count
        for row in frame.itertuples()
    }

    assert len(frame) == 2 * len(nomenclature["category"])
    assert counts[("75104-ND", "conflits")] == 3
    assert counts[("75104-ND", "veille-technique")] == 2
    assert counts[("75104-ND", "orientation")] == 0
    assert counts[("75104-SL", "conflits")] == 1
    labels = dict(zip(frame["category_code"], frame["category_label"]))
    assert labels["veille-technique"] == "Veille technique"


def test_zone_statistics_status_filter(users, districts, zone_entries, export_dir):
    result = export(
        users["analyst"],
        "zone_statistics",
        "csv",
        directory=export_dir,
        territory_set=str(districts[0].pk),
        status="validated,submitted",
    )
    frame = pyogrio.read_dataframe(
        result.path, GEOM_POSSIBLE_NAMES="wkt_epsg_2154", KEEP_GEOM_COLUMNS="NO"
    )
    counts = dict(zip(frame["territory_code"], frame["entry_count"].astype(int)))

    assert counts == {"75104-ND": 6, "75104-SL": 1}


def test_zone_statistics_client_viewer_suppression(
    client_viewer, districts, zone_entries, export_dir, settings
):
    settings.SMALL_COUNT_THRESHOLD = 5
    tset = districts[0]
    totals = pyogrio.read_dataframe(
        export(
            client_viewer, "zone_statistics", "gpkg", directory=export_dir, territory_set=str(tset.pk)
        ).path
    ).set_index("territory_code")
    by_category = pyogrio.read_dataframe(
        export(
            client_viewer,
            "zone_statistics_by_category",
            "gpkg",
            directory=export_dir,
            territory_set=str(tset.pk),
        ).path
    )

    # West: 5 entries, at the threshold, published; east: 1 entry, suppressed.
    assert totals.loc["75104-ND", "entry_count"] == 5
    assert not totals.loc["75104-ND", "count_suppressed"]
    assert np.isnan(totals.loc["75104-SL", "entry_count"])
    assert totals.loc["75104-SL", "count_suppressed"]
    assert np.isnan(totals.loc["75104-SL", "rate_per_km2"])
    # Every category count is under 5, so every one is hidden.
    assert by_category["entry_count"].isna().all()
    assert by_category["count_suppressed"].all()


def test_zone_statistics_no_single_hidden_category(
    client_viewer, districts, make_entry, export_dir, settings
):
    settings.SMALL_COUNT_THRESHOLD = 3
    # West: 4 conflicts, 3 technical reports, 1 active presence, other categories 0.
    for offset in range(4):
        make_entry(652000 + offset * 50, 6861400, category="conflits")
    for offset in range(3):
        make_entry(652000 + offset * 50, 6861900, category="veille-technique")
    make_entry(652500, 6861700, category="presence-active")
    frame = pyogrio.read_dataframe(
        export(
            client_viewer,
            "zone_statistics_by_category",
            "gpkg",
            directory=export_dir,
            territory_set=str(districts[0].pk),
        ).path
    )
    west = frame[frame["territory_code"] == "75104-ND"].set_index("category_code")

    assert west.loc["conflits", "entry_count"] == 4
    assert west.loc["veille-technique", "entry_count"] == 3
    assert west.loc["presence-active", "count_suppressed"]
    hidden = int(west["count_suppressed"].sum())
    assert hidden != 1


def test_zone_statistics_needs_territory_set(users, export_dir):
    with pytest.raises(MissingParameterError, match="territory_set"):
        export(users["analyst"], "zone_statistics", "gpkg", directory=export_dir)


def test_unknown_territory_set_rejected(users, other_organisation, export_dir):
    from territories.models import TerritorySet

    foreign = TerritorySet.objects.create(
        organisation=other_organisation, slug="autres", kind="district", name="Autres"
    )
    with pytest.raises(ExportError, match=f"territory_set={foreign.pk}"):
        export(
            users["analyst"],
            "territories",
            "gpkg",
            directory=export_dir,
            territory_set=str(foreign.pk),
        )


def test_territories_client_viewer_perimeter_only(
    client_viewer, client_city, districts, export_dir
):
    client_city.perimeter.set([districts[1]])
    result = export(client_viewer, "territories", "gpkg", 4326, directory=export_dir)
    frame = pyogrio.read_dataframe(result.path)

    assert list(frame["territory_code"]) == ["75104-ND"]
    assert frame.geometry.iloc[0].contains(shapely.Point(*NOTRE_DAME_LONLAT))


# --- hot spots ----------------------------------------------------------------


@pytest.fixture
def cluster_entries(make_entry):
    """12 entries at Notre-Dame and one in each of five cells far from it."""
    for _ in range(12):
        make_entry(*NOTRE_DAME_L93)
    singles = [(651900, 6861300), (652700, 6862100), (653600, 6861300), (653700, 6862100),
               (651900, 6862100)]
    for x, y in singles:
        make_entry(x, y)
    return 17


def test_hotspots_planted_cluster(users, districts, cluster_entries, export_dir):
    result = export(
        users["analyst"],
        "hotspots",
        "gpkg",
        4326,
        directory=export_dir,
        options=ExportOptions(cell_size=100),
        territory_set=str(districts[0].pk),
    )
    frame = pyogrio.read_dataframe(result.path)
    cluster = frame[frame.geometry.contains(shapely.Point(*NOTRE_DAME_LONLAT))].iloc[0]

    assert result.feature_count == len(frame)
    assert pyogrio.read_info(result.path)["crs"] == "EPSG:4326"
    assert frame["entry_count"].sum() == cluster_entries
    assert cluster["entry_count"] == 12
    assert cluster["gi_z"] > 0
    assert cluster["gi_bin"] >= 1
    assert cluster["cell_size_m"] == 100
    assert cluster["cell_id"].startswith("H100_")
    assert result.messages == []


def test_hotspots_client_viewer_hides_small_counts(
    client_viewer, districts, cluster_entries, export_dir
):
    result = export(
        client_viewer,
        "hotspots",
        "shp",
        directory=export_dir,
        options=ExportOptions(cell_size=100),
    )
    frame = pyogrio.read_dataframe(result.path)
    published = frame[~frame["suppressed"]]

    assert list(published["entries"]) == [12]
    assert frame["gi_z"].isna().all()
    assert frame["gi_p"].isna().all()
    assert frame["gi_bin"].max() >= 1


# --- coverage -----------------------------------------------------------------


def test_coverage_per_territory(users, districts, make_entry, export_dir):
    start = datetime(2024, 5, 6, 9, 0, tzinfo=PARIS)
    for hour in range(2):
        make_entry(
            652000,
            6861400,
            category="presence-active",
            occurred_at=start + timedelta(hours=hour * 3),
            duration_minutes=60,
        )
    for offset in range(3):
        make_entry(652100 + offset * 10, 6861400, category="conflits", occurred_at=start)
    result = export(
        users["analyst"],
        "coverage_territories",
        "shp",
        directory=export_dir,
        territory_set=str(districts[0].pk),
    )
    frame = pyogrio.read_dataframe(result.path).set_index("terr_code")

    assert frame.loc["75104-ND", "entries"] == 5
    assert frame.loc["75104-ND", "demand"] == 3
    assert frame.loc["75104-ND", "active_ent"] == 2
    assert frame.loc["75104-SL", "entries"] == 0
    assert frame.loc["75104-ND", "terr_name"] == "Cœur de l'Île – Notre-Dame"


def test_coverage_cells_client_viewer(client_viewer, districts, make_entry, export_dir):
    for offset in range(6):
        make_entry(*NOTRE_DAME_L93, category="conflits")
    result = export(
        client_viewer,
        "coverage_cells",
        "gpkg",
        directory=export_dir,
        options=ExportOptions(cell_size=250),
    )
    frame = pyogrio.read_dataframe(result.path)
    cluster = frame[frame["entries"].fillna(0) > 0]

    assert list(cluster["entries"]) == [6]
    # 00:15 is at night.
    assert list(cluster["demand_night"]) == [6]
    # No active presence: 0 is under the threshold, so it is hidden, and so is
    # demand, since entries minus demand would give it back.
    assert cluster["active_entries"].isna().all()
    assert cluster["demand"].isna().all()
    assert cluster["coverage_ratio"].isna().all()
    assert frame["count_suppressed"].all()


# --- density ------------------------------------------------------------------


def test_density_geotiff_in_each_crs(users, make_entry, export_dir):
    for offset in range(20):
        make_entry(NOTRE_DAME_L93[0] + offset * 20, NOTRE_DAME_L93[1])
    for srid in (2154, 4326, 3949):
        result = export(users["analyst"], "density", "tif", srid, directory=export_dir)
        with rasterio.open(result.path) as dataset:
            assert dataset.crs.to_epsg() == srid
            values = dataset.read(1)
            if srid == 2154:
                pixel_km2 = abs(dataset.transform.a * dataset.transform.e) / 1e6
                # The surface integrates to the number of entries.
                assert values.sum() * pixel_km2 == pytest.approx(20, rel=0.01)
        assert result.feature_count == 20


def test_density_empty_selection(users, districts, export_dir):
    result = export(
        users["analyst"],
        "density",
        "tif",
        3857,
        directory=export_dir,
        territory_set=str(districts[0].pk),
    )
    with rasterio.open(result.path) as dataset:
        assert dataset.crs.to_epsg() == 3857
        assert dataset.read(1).max() == 0

    assert result.feature_count == 0


def test_density_client_viewer_hides_sparse_entries(
    client_viewer, districts, make_entry, export_dir
):
    # Three entries at one spot stay under the threshold of 5: nothing shows.
    for _ in range(3):
        make_entry(*NOTRE_DAME_L93)
    sparse = export(client_viewer, "density", "tif", directory=export_dir)
    with rasterio.open(sparse.path) as dataset:
        assert dataset.read(1).max() == 0

    for _ in range(7):
        make_entry(*NOTRE_DAME_L93)
    dense = export(client_viewer, "density", "tif", directory=export_dir)
    with rasterio.open(dense.path) as dataset:
        assert dataset.read(1).max() > 0
