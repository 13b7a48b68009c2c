"""Territory API: sets and GeoJSON outlines, scoped to what each user may see."""

import pytest
from django.urls import reverse

from tests.conftest import square

pytestmark = pytest.mark.django_db


@pytest.fixture
def sets(organisation, other_organisation, client_city):
    from territories.models import Territory, TerritorySet

    districts = TerritorySet.objects.create(
        organisation=organisation, slug="districts", kind="district", name="Quartiers"
    )
    west = Territory.objects.create(
        territory_set=districts,
        code="W",
        name="Ouest",
        population=1200,
        geom=square(651000, 6862000, 1000),
    )
    east = Territory.objects.create(
        territory_set=districts,
        code="E",
        name="Est",
        geom=square(652000, 6862000, 1000),
    )
    foreign = TerritorySet.objects.create(
        organisation=other_organisation, slug="foreign", kind="qpv", name="Ailleurs"
    )
    Territory.objects.create(
        territory_set=foreign,
        code="F",
        name="Ailleurs",
        geom=square(700000, 6600000, 1000),
    )
    client_city.perimeter.add(west)
    return {"districts": districts, "west": west, "east": east, "foreign": foreign}


def test_sets_list_scoped(client, users, sets):
    client.force_login(users["analyst"])
    response = client.get(reverse("api-territory-sets-list"))
    assert response.status_code == 200
    body = response.json()
    assert [item["slug"] for item in body] == ["districts"]
    assert body[0]["territory_count"] == 2
    assert body[0]["kind"] == "district"


def test_sets_list_anonymous_refused(client, sets):
    assert client.get(reverse("api-territory-sets-list")).status_code in (401, 403)


def test_sets_list_bad_kind(client, users, sets):
    client.force_login(users["analyst"])
    response = client.get(reverse("api-territory-sets-list"), {"kind": "planet"})
    assert response.status_code == 400
    assert "planet" in response.json()["detail"]


def test_territories_geojson_in_wgs84(client, users, sets):
    from pyproj import Transformer

    client.force_login(users["mediator"])
    response = client.get(
        reverse("api-territories-list"), {"territory_set": sets["districts"].pk}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["type"] == "FeatureCollection"
    features = {f["properties"]["code"]: f for f in body["features"]}
    assert set(features) == {"W", "E"}
    west = features["W"]
    assert west["properties"] == {
        "id": sets["west"].pk,
        "code": "W",
        "name": "Ouest",
        "territory_set": sets["districts"].pk,
        "kind": "district",
        "population": 1200,
    }
    assert west["geometry"]["type"] == "MultiPolygon"
    # The lower-left corner, transformed independently with pyproj.
    lon, lat = Transformer.from_crs(2154, 4326, always_xy=True).transform(
        651000, 6862000
    )
    corners = west["geometry"]["coordinates"][0][0]
    assert any(abs(x - lon) < 1e-6 and abs(y - lat) < 1e-6 for x, y in corners), corners


def test_territories_client_viewer_sees_perimeter(client, users, sets):
    client.force_login(users["client_viewer"])
    response = client.get(reverse("api-territories-list"))
    assert [f["properties"]["code"] for f in response.json()["features"]] == ["W"]


def test_territories_other_organisation_set_not_found(client, users, sets):
    client.force_login(users["analyst"])
    response = client.get(
        reverse("api-territories-list"), {"territory_set": sets["foreign"].pk}
    )
    assert response.status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"territory_set": "abc"},
        {"simplify": "-1"},
        {"simplify": "x"},
        {"simplify": "5000"},
    ],
)
def test_territories_bad_parameters(client, users, sets, params):
    client.force_login(users["analyst"])
    response = client.get(reverse("api-territories-list"), params)
    assert response.status_code == 400
    assert list(params.values())[0] in response.json()["detail"]


def test_territories_simplify_reduces_vertices(client, organisation, users):
    from django.contrib.gis.geos import MultiPolygon, Polygon

    from territories.models import Territory, TerritorySet

    tset = TerritorySet.objects.create(
        organisation=organisation, slug="wavy", kind="district", name="Wavy"
    )
    # A square whose bottom edge zigzags by 1 m every 10 m.
    bottom = [(651000 + 10 * i, 6862000 + (i % 2)) for i in range(101)]
    ring = bottom + [(652000, 6863000), (651000, 6863000), bottom[0]]
    Territory.objects.create(
        territory_set=tset,
        code="W",
        name="Wavy",
        geom=MultiPolygon(Polygon(ring), srid=2154),
    )
    client.force_login(users["analyst"])
    url = reverse("api-territories-list")
    full = client.get(url, {"territory_set": tset.pk}).json()["features"][0]
    simple = client.get(url, {"territory_set": tset.pk, "simplify": "5"}).json()[
        "features"
    ][0]
    assert len(full["geometry"]["coordinates"][0][0]) == 104
    assert len(simple["geometry"]["coordinates"][0][0]) == 5


def test_schema_documents_territory_endpoints(client, users):
    client.force_login(users["analyst"])
    response = client.get(reverse("api-schema"))
    assert response.status_code == 200
    schema = response.content.decode()
    assert "/api/territories/:" in schema
    assert "/api/territory-sets/:" in schema
    assert "simplify" in schema
