"""Estates derived from the social-housing programme points, checked with shapely."""

import pytest

import geopandas as gpd

from demo.estates import ESTATE_BUFFER_M, derive_estates
from tests.conftest import shared_data

PROGRAMMES = (
    "paris-logements-sociaux-finances",
    "logements-sociaux-finances-a-paris.geojson",
)


@pytest.fixture(scope="module")
def iris():
    path = shared_data("paris-iris-lambert93", "iris_paris.shp")
    return gpd.read_file(path).set_crs(2154, allow_override=True).set_index("CODE_IRIS")


@pytest.fixture(scope="module")
def rivp_estates():
    return derive_estates(
        shared_data(*PROGRAMMES),
        shared_data("paris-iris-lambert93", "iris_paris.shp"),
        "RIVP",
        srid=2154,
    )


def test_estate_lies_in_its_iris(rivp_estates, iris):
    for estate in rivp_estates.itertuples():
        outside = estate.geometry.difference(iris.loc[estate.parent_code].geometry)
        assert outside.area < 1e-3, estate.code


def test_estates_cover_programme_points(rivp_estates, iris):
    programmes = gpd.read_file(shared_data(*PROGRAMMES)).to_crs(2154)
    points = programmes[programmes["bs"] == "RIVP"]
    located = gpd.sjoin(points, iris[["geometry"]], predicate="within")
    estates = rivp_estates.geometry.union_all().buffer(1e-6)

    assert len(located) == len(points)
    for point in located.itertuples():
        # The part of the point's disc that lies in its IRIS belongs to the estate.
        disc = point.geometry.buffer(ESTATE_BUFFER_M - 0.5)
        expected = disc.intersection(iris.loc[point.CODE_IRIS].geometry)
        assert expected.within(estates), point.n_livraison


def test_estates_of_one_landlord_do_not_overlap(rivp_estates):
    total = rivp_estates.geometry.area.sum()
    union = rivp_estates.geometry.union_all().area
    assert total == pytest.approx(union, rel=1e-9)


def test_estate_codes_and_names(rivp_estates):
    first = rivp_estates.iloc[0]
    assert first["code"] == f"rivp-{first['parent_code']}"
    assert first["name"].startswith("RIVP – ")
    assert rivp_estates["code"].is_unique
    assert set(rivp_estates.geom_type) == {"MultiPolygon"}


def test_unknown_landlord_lists_known_names():
    with pytest.raises(
        ValueError, match="No programme of the landlord 'Paris Habitat'.*PARIS HAB"
    ):
        derive_estates(
            shared_data(*PROGRAMMES),
            shared_data("paris-iris-lambert93", "iris_paris.shp"),
            "Paris Habitat",
            srid=2154,
        )
