"""Layer API: GeoJSON output, bad input, roles, client perimeter, cache, tiles."""

import math

import numpy as np
import pyogrio
import pytest
import rasterio
from pyproj import Transformer

from tests.layers.conftest import X0, Y0

pytestmark = pytest.mark.django_db

TO_WGS84 = Transformer.from_crs(2154, 4326, always_xy=True)
TO_MERCATOR = Transformer.from_crs(2154, 3857, always_xy=True)
FROM_MERCATOR = Transformer.from_crs(3857, 2154, always_xy=True)


def logged_in(client, user):
    client.force_login(user)
    return client


def numeric_counts(features):
    return [
        f["properties"]["count"]
        for f in features
        if isinstance(f["properties"]["count"], int)
    ]


@pytest.fixture
def spread(organisation, users, plant):
    rng = np.random.default_rng(11)
    xs = np.r_[rng.uniform(X0, X0 + 3000, 400), rng.normal(X0 + 1500, 60, 100)]
    ys = np.r_[rng.uniform(Y0, Y0 + 3000, 400), rng.normal(Y0 + 1500, 60, 100)]
    plant(organisation, users["mediator"], xs, ys)
    # Entries not yet validated stay out of layers by default.
    plant(
        organisation,
        users["mediator"],
        [X0 + 100] * 7,
        [Y0 + 100] * 7,
        status="submitted",
    )
    return 500


def test_hotspots_geojson_in_wgs84(client, users, spread):
    response = logged_in(client, users["analyst"]).get(
        "/api/layers/hotspots/?cell_size=250"
    )
    assert response.status_code == 200
    data = response.json()
    assert data["type"] == "FeatureCollection"
    assert data["message"] is None
    assert sum(numeric_counts(data["features"])) == spread
    lon, lat = data["features"][0]["geometry"]["coordinates"][0][0]
    assert 2.0 < lon < 2.6
    assert 48.6 < lat < 49.0
    bins = {f["properties"]["gi_bin"] for f in data["features"]}
    assert 3 in bins
    assert [item["gi_bin"] for item in data["meta"]["legend"]] == [
        3,
        2,
        1,
        0,
        -1,
        -2,
        -3,
    ]


def test_status_filter_includes_submitted(client, users, spread):
    response = logged_in(client, users["coordinator"]).get(
        "/api/layers/hotspots/?status=validated,submitted"
    )
    assert sum(numeric_counts(response.json()["features"])) == spread + 7


@pytest.mark.parametrize(
    "query, fragment",
    [
        ("start=2024-13-45", "start=2024-13-45"),
        ("cell_size=abc", "cell_size=abc"),
        ("cell_size=10", "cell_size=10"),
        ("territory_set=999999", "territory_set=999999"),
        ("territory=abc", "territory=abc"),
        ("time_slot=noon", "time_slot=noon"),
        ("status=lost", "status=lost"),
    ],
)
def test_bad_filter_returns_400(client, users, query, fragment):
    response = logged_in(client, users["analyst"]).get(f"/api/layers/hotspots/?{query}")
    assert response.status_code == 400
    assert fragment in response.json()["detail"]


@pytest.mark.parametrize(
    "url, query, fragment",
    [
        ("/api/layers/coverage/", "unit=street", "unit=street"),
        ("/api/layers/coverage/", "unit=territory", "unit=territory"),
        ("/api/layers/gaps/", "min_ratio=-2", "min_ratio=-2"),
        ("/api/layers/density/", "bandwidth=0", "bandwidth=0"),
        ("/api/layers/cells/H250_zz/", "", "cell=H250_zz"),
        ("/api/layers/tiles/3/9/0.mvt", "", "x=9, y=0"),
    ],
)
def test_bad_layer_parameter_returns_400(client, users, url, query, fragment):
    response = logged_in(client, users["coordinator"]).get(f"{url}?{query}")
    assert response.status_code == 400
    assert fragment in response.json()["detail"]


def test_mediator_gets_403(client, users):
    client = logged_in(client, users["mediator"])
    for url in (
        "/map/",
        "/api/layers/hotspots/",
        "/api/layers/density/",
        "/api/layers/coverage/",
        "/api/layers/tiles/12/2074/1409.mvt",
    ):
        assert client.get(url).status_code == 403, url


def test_anonymous_rejected(client):
    assert client.get("/api/layers/hotspots/").status_code in (401, 403)
    response = client.get("/map/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


@pytest.mark.django_db(transaction=True)
def test_cache_invalidated_on_new_entry(
    client, users, organisation, nomenclature, plant
):
    from django.contrib.gis.geos import Point
    from django.utils import timezone

    from interventions.models import Intervention

    plant(organisation, users["mediator"], [X0 + 10, X0 + 600], [Y0 + 10, Y0 + 600])
    client = logged_in(client, users["analyst"])
    url = "/api/layers/hotspots/"

    def total():
        return sum(numeric_counts(client.get(url).json()["features"]))

    assert total() == 2
    # Rows written without signals are not seen: the layer comes from the cache.
    plant(organisation, users["mediator"], [X0 + 20], [Y0 + 20])
    assert total() == 2
    # Saving an entry through the ORM invalidates the cached layers.
    Intervention.objects.create(
        organisation=organisation,
        mediator=users["mediator"],
        occurred_at=timezone.now(),
        location=Point(X0 + 30, Y0 + 30, srid=2154),
        category=nomenclature["category"]["conflits"],
        type=nomenclature["type"]["conflit-voisinage-bruit"],
        status="validated",
    )
    assert total() == 4


def test_time_slot_filter_applies(client, users, spread):
    client = logged_in(client, users["analyst"])
    everything = client.get("/api/layers/hotspots/").json()
    afternoon = client.get("/api/layers/hotspots/?time_slot=afternoon").json()
    assert sum(numeric_counts(everything["features"])) == spread
    # Planted entries occur at 10:00, in the morning slot.
    assert sum(numeric_counts(afternoon["features"])) == 0


# --- vector tiles ---------------------------------------------------------


def tile_of(x, y, zoom):
    lon, lat = TO_WGS84.transform(x, y)
    n = 2**zoom
    column = int((lon + 180) / 360 * n)
    lat_rad = math.radians(lat)
    row = int(
        (1 - math.log(math.tan(lat_rad) + 1 / math.cos(lat_rad)) / math.pi) / 2 * n
    )
    return column, row


def tile_centre(zoom, column, row):
    """Centre of a tile in Lambert-93."""
    half = 20037508.342789244
    size = 2 * half / 2**zoom
    mx = -half + (column + 0.5) * size
    my = half - (row + 0.5) * size
    return FROM_MERCATOR.transform(mx, my)


def read_tile(tmp_path, content, zoom, column, row):
    """Decode a tile with GDAL's MVT driver, georeferenced from its z/x/y path."""
    folder = tmp_path / str(zoom) / str(column)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{row}.mvt"
    path.write_bytes(content)
    if not content:
        return {}
    return {
        name: pyogrio.read_dataframe(path, layer=name)
        for name, _ in pyogrio.list_layers(path)
    }


@pytest.fixture
def tile_points(organisation, users, plant):
    zoom = 16
    column, row = tile_of(X0 + 2000, Y0 + 2000, zoom)
    cx, cy = tile_centre(zoom, column, row)
    xs = cx + np.array([-40.0, -10.0, 0.0, 15.0, 35.0])
    ys = cy + np.array([30.0, -25.0, 0.0, 10.0, -35.0])
    plant(organisation, users["mediator"], xs, ys)
    # 20 km away: in another tile at every zoom used below.
    plant(organisation, users["mediator"], [cx + 20000] * 3, [cy + 20000] * 3)
    plant(organisation, users["mediator"], [cx], [cy], status="draft")
    return zoom, column, row, xs, ys


def test_tile_contains_planted_points(client, users, tile_points, tmp_path):
    zoom, column, row, xs, ys = tile_points
    response = logged_in(client, users["analyst"]).get(
        f"/api/layers/tiles/{zoom}/{column}/{row}.mvt"
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.mapbox-vector-tile"
    layers = read_tile(tmp_path, response.content, zoom, column, row)
    entries = layers["entries"]
    assert len(entries) == 5
    assert set(entries["category"]) == {"conflits"}
    assert "note" not in entries.columns
    # Positions agree with the planted points to the tile's resolution
    # (a z16 tile is about 611 m for 4096 units: 0.15 m).
    expected = np.column_stack(TO_MERCATOR.transform(xs, ys))
    found = np.column_stack([entries.geometry.x, entries.geometry.y])
    for point in expected:
        assert np.min(np.hypot(*(found - point).T)) < 0.5


def test_tile_status_filter(client, users, tile_points, tmp_path):
    zoom, column, row, _, _ = tile_points
    response = logged_in(client, users["coordinator"]).get(
        f"/api/layers/tiles/{zoom}/{column}/{row}.pvt?status=draft,validated"
    )
    layers = read_tile(tmp_path, response.content, zoom, column, row)
    assert len(layers["entries"]) == 6


def test_tile_clusters_at_low_zoom(client, users, tile_points, tmp_path):
    zoom, _, _, xs, ys = tile_points
    column, row = tile_of(xs[2], ys[2], 12)
    response = logged_in(client, users["analyst"]).get(
        f"/api/layers/tiles/12/{column}/{row}.mvt"
    )
    layers = read_tile(tmp_path, response.content, 12, column, row)
    assert "entries" not in layers
    assert layers["clusters"]["count"].sum() == 5


def test_tile_empty_for_other_organisation(
    client, make_user, other_organisation, tile_points, tmp_path
):
    zoom, column, row, _, _ = tile_points
    outsider = make_user("outsider", "analyst", other_organisation)
    response = logged_in(client, outsider).get(
        f"/api/layers/tiles/{zoom}/{column}/{row}.mvt"
    )
    assert response.status_code == 200
    assert read_tile(tmp_path, response.content, zoom, column, row) == {}


@pytest.mark.parametrize("role", ["client_viewer", "admin", "mediator"])
def test_tile_forbidden_for_other_roles(client, users, role):
    response = logged_in(client, users[role]).get("/api/layers/tiles/12/2074/1409.mvt")
    assert response.status_code == 403


# --- client viewers -------------------------------------------------------


@pytest.fixture
def perimeter_case(organisation, users, plant, make_territories, client_city):
    """Territory A is the client's perimeter, B is not.

    A holds 40 spread entries and 3 entries at one spot (a cell of 3);
    B contains 30 entries.
    """
    from territories.attachment import attach_interventions

    tset, territories = make_territories(
        {"A": (X0, Y0, 2000), "B": (X0 + 3000, Y0, 2000)}
    )
    client_city.perimeter.add(territories["A"])
    rng = np.random.default_rng(5)
    mediator = users["mediator"]
    ids = plant(
        organisation,
        mediator,
        rng.uniform(X0 + 600, X0 + 1400, 40),
        rng.uniform(Y0 + 600, Y0 + 1400, 40),
    )
    ids += plant(organisation, mediator, [X0 + 1900] * 3, [Y0 + 100] * 3)
    ids += plant(
        organisation,
        mediator,
        rng.uniform(X0 + 3100, X0 + 4900, 30),
        rng.uniform(Y0 + 100, Y0 + 1900, 30),
    )
    attach_interventions(ids)
    return tset, territories


def test_client_viewer_sees_perimeter_only(client, users, perimeter_case, organisation):
    from interventions.models import Intervention
    from layers.grid import hex_grid_counts
    from territories.models import Territory

    tset, territories = perimeter_case
    data = logged_in(client, users["client_viewer"]).get("/api/layers/hotspots/").json()
    perimeter_cells = set(
        hex_grid_counts(
            Intervention.objects.none(),
            extent=Territory.objects.filter(pk=territories["A"].pk),
        ).cell_id
    )
    returned = {f["properties"]["cell_id"] for f in data["features"]}
    assert returned == perimeter_cells
    counts = [f["properties"]["count"] for f in data["features"]]
    assert all(c == "< 5" or c == 0 or c >= 5 for c in counts)
    assert "< 5" in counts
    # Classes only: z-scores and p-values would let the small counts be solved.
    assert all(f["properties"]["gi_z"] is None for f in data["features"])
    assert all(f["properties"]["gi_p"] is None for f in data["features"])
    # B's 30 entries are not in any cell: the A cells hold at most A's 43.
    assert sum(numeric_counts(data["features"])) <= 43


def test_client_viewer_summary_and_coverage_suppressed(client, users, perimeter_case):

    tset, territories = perimeter_case
    client = logged_in(client, users["client_viewer"])
    coverage = client.get("/api/layers/coverage/").json()
    assert [f["properties"]["code"] for f in coverage["features"]] == ["A"]
    assert coverage["features"][0]["properties"]["entries"] == 43

    hotspots = client.get("/api/layers/hotspots/").json()
    small = [f for f in hotspots["features"] if f["properties"]["count"] == "< 5"]
    summary = client.get(
        f"/api/layers/cells/{small[0]['properties']['cell_id']}/"
    ).json()
    assert summary["count"] == "< 5"
    assert all(item["count"] == "< 5" for item in summary["top_categories"])

    territory_b = client.get(f"/api/layers/territories/{territories['B'].pk}/")
    assert territory_b.status_code == 404


def test_client_viewer_cannot_widen_scope(client, users, perimeter_case):
    tset, territories = perimeter_case
    client = logged_in(client, users["client_viewer"])
    response = client.get(f"/api/layers/hotspots/?territory={territories['B'].pk}")
    assert response.status_code == 400
    assert f"territory={territories['B'].pk}" in response.json()["detail"]
    response = client.get("/api/layers/hotspots/?status=draft")
    assert response.status_code == 400
    assert "status=draft" in response.json()["detail"]


def test_staff_territory_summary(client, users, perimeter_case):
    tset, territories = perimeter_case
    response = logged_in(client, users["analyst"]).get(
        f"/api/layers/territories/{territories['B'].pk}/"
    )
    data = response.json()
    assert data["count"] == 30
    assert data["top_categories"][0]["code"] == "conflits"
    outlines = (
        logged_in(client, users["analyst"])
        .get(f"/api/layers/territories/?territory_set={tset.pk}")
        .json()
    )
    assert sorted(f["properties"]["code"] for f in outlines["features"]) == ["A", "B"]


# --- density --------------------------------------------------------------


def test_density_endpoints(client, users, spread, settings, tmp_path):
    settings.VAR_DIR = tmp_path
    client = logged_in(client, users["analyst"])
    meta = client.get("/api/layers/density/").json()
    assert meta["count"] == spread
    assert meta["bandwidth_rule"] == "silverman"
    assert meta["legend"][-1]["value"] > 0
    png = client.get(meta["png_url"])
    assert png["Content-Type"] == "image/png"
    assert b"".join(png.streaming_content)[:8] == b"\x89PNG\r\n\x1a\n"
    tiff = client.get(meta["tiff_url"])
    content = b"".join(tiff.streaming_content)
    with rasterio.MemoryFile(content) as memory, memory.open() as dataset:
        values = dataset.read(1).astype(float)
        pixel_km = dataset.res[0] / 1000
        assert dataset.crs.to_epsg() == 2154
    assert values.sum() * pixel_km**2 == pytest.approx(spread, rel=0.01)


def test_density_hidden_for_client_with_few_entries(
    client,
    users,
    organisation,
    plant,
    make_territories,
    client_city,
    settings,
    tmp_path,
):
    from territories.attachment import attach_interventions

    settings.VAR_DIR = tmp_path
    _, territories = make_territories({"A": (X0, Y0, 2000)})
    client_city.perimeter.add(territories["A"])
    attach_interventions(
        plant(organisation, users["mediator"], [X0 + 50] * 3, [Y0 + 50] * 3)
    )
    meta = logged_in(client, users["client_viewer"]).get("/api/layers/density/").json()
    assert "png_url" not in meta
    assert meta["message"]
    assert meta["count"] == "< 5"


def test_density_masked_for_client_viewer(
    client, users, perimeter_case, settings, tmp_path
):
    settings.VAR_DIR = tmp_path
    client = logged_in(client, users["client_viewer"])
    meta = client.get("/api/layers/density/").json()
    assert meta["count"] == 43
    content = b"".join(client.get(meta["tiff_url"]).streaming_content)
    floor = 5 / (2 * math.pi * (meta["bandwidth_m"] / 1000) ** 2)
    with rasterio.MemoryFile(content) as memory, memory.open() as dataset:
        values = dataset.read(1)
        spot_of_three = values[dataset.index(X0 + 1900, Y0 + 100)]
    assert values.max() > floor
    assert values[(values > 0) & (values < floor)].size == 0
    assert spot_of_three == 0


# --- page -----------------------------------------------------------------


def test_map_page_scripts_respect_csp(client, users):
    import re

    response = logged_in(client, users["analyst"]).get("/map/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "layers/map.js" in html
    assert 'id="map-config"' in html
    for tag in re.findall(r"<script[^>]*>", html):
        # Inline scripts are JSON data blocks, which browsers do not run.
        assert "src=" in tag or 'type="application/json"' in tag or "nonce=" in tag, tag
    assert 'name="status"' in html


def test_map_page_for_client_viewer_has_no_status(client, users):
    response = logged_in(client, users["client_viewer"]).get("/map/")
    assert response.status_code == 200
    assert 'name="status"' not in response.content.decode()
