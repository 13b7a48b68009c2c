"""Hexagonal grid counts: placement of entries, stable ids, extents, limits."""

import numpy as np
import pytest
import shapely
from django.contrib.gis.geos import Polygon

from tests.layers.conftest import X0, Y0

pytestmark = pytest.mark.django_db


def entries_of(organisation):
    from interventions.models import Intervention

    return Intervention.objects.filter(organisation=organisation)


def test_grid_counts_match_cell_polygons(organisation, users, plant):
    from layers.grid import hex_grid_counts

    rng = np.random.default_rng(7)
    xs = rng.uniform(X0, X0 + 3000, 800)
    ys = rng.uniform(Y0, Y0 + 3000, 800)
    plant(organisation, users["mediator"], xs, ys)

    cells = hex_grid_counts(entries_of(organisation), cell_size=250)

    # Expected counts from the cell polygons that ST_HexagonGrid returned.
    points = shapely.points(xs, ys)
    expected = [
        int(shapely.contains(polygon, points).sum()) for polygon in cells.geometry
    ]
    assert cells["count"].tolist() == expected
    assert cells["count"].sum() == 800
    assert str(cells.crs) == "EPSG:2154"
    assert cells["cell_id"].is_unique


def test_grid_cells_all_meet_entries_bbox(organisation, users, plant):
    from layers.grid import hex_grid_counts

    # With these bounds ST_HexagonGrid also returns column 1706, which lies
    # entirely west of x = 640000.
    xs = [640000.0441189149, 669997.0564148799]
    ys = [6840002.59092027, 6869997.128369461]
    plant(organisation, users["mediator"], xs, ys)
    cells = hex_grid_counts(entries_of(organisation), cell_size=250)
    bbox = shapely.box(xs[0], ys[0], xs[1], ys[1])
    assert cells.geometry.intersects(bbox).all()
    assert cells["i"].min() == 1707
    assert cells["count"].sum() == 2


def test_cell_ids_follow_lattice(organisation, users, plant):
    from layers.grid import cell_centres, hex_grid_counts

    plant(organisation, users["mediator"], [X0 + 10], [Y0 + 10])
    cells = hex_grid_counts(entries_of(organisation), cell_size=250)
    hit = cells[cells["count"] == 1].iloc[0]
    x, y = cell_centres(250, hit.i, hit.j)
    assert hit.geometry.centroid.distance(shapely.Point(float(x), float(y))) < 1e-6
    assert hit.cell_id == f"H250_{hit.i}_{hit.j}"


def test_cell_ids_stable_across_extents(organisation, users, plant):
    from layers.grid import hex_grid_counts

    plant(
        organisation, users["mediator"], [X0 + 1200, X0 + 5000], [Y0 + 1300, Y0 + 5000]
    )
    small = Polygon.from_bbox((X0 + 1000, Y0 + 1000, X0 + 1500, Y0 + 1500))
    small.srid = 2154
    in_small = hex_grid_counts(entries_of(organisation), extent=small)
    in_bbox = hex_grid_counts(entries_of(organisation))

    hit_small = in_small[in_small["count"] == 1].cell_id.tolist()
    hit_bbox = in_bbox[in_bbox["count"] == 1].cell_id.tolist()
    assert len(hit_small) == 1
    assert hit_small[0] in hit_bbox
    # The far entry lies outside the small extent, so only the bbox grid counts it.
    assert in_small["count"].sum() == 1
    assert in_bbox["count"].sum() == 2


def test_point_on_shared_edge_counted_once(organisation, users, plant):
    from layers.grid import hex_grid_counts

    # Column 1740 is even, so its cells j and j + 1 share the horizontal edge
    # y = sqrt(3) * 250 * (j + 0.5), which passes through x = 1.5 * 250 * 1740.
    edge_x = 1.5 * 250 * 1740
    edge_y = np.sqrt(3.0) * 250 * (15847 + 0.5)
    plant(organisation, users["mediator"], [edge_x], [edge_y])
    cells = hex_grid_counts(entries_of(organisation), cell_size=250)

    near_edge = shapely.distance(cells.geometry.boundary, shapely.Point(edge_x, edge_y))
    assert (near_edge < 1e-6).sum() == 2
    assert cells["count"].sum() == 1


def test_grid_over_territories_interior_only(
    organisation, users, plant, make_territories
):
    from layers.grid import hex_grid_counts
    from territories.models import Territory

    _, territories = make_territories({"A": (X0, Y0, 1000)})
    cells = hex_grid_counts(
        entries_of(organisation),
        extent=Territory.objects.filter(pk=territories["A"].pk),
    )
    square = territories["A"].geom
    polygon = shapely.from_wkb(bytes(square.wkb))
    for geometry in cells.geometry:
        # Every kept cell shares area with the territory, not just an edge.
        assert geometry.intersection(polygon).area > 0
    assert cells.geometry.union_all().covers(polygon)


def test_empty_queryset_gives_empty_grid(organisation):
    from layers.grid import hex_grid_counts

    cells = hex_grid_counts(entries_of(organisation).none())
    assert len(cells) == 0
    assert list(cells.columns) == ["cell_id", "i", "j", "count", "geometry"]


@pytest.mark.parametrize("value", [0, -5, "abc", float("nan"), 5])
def test_invalid_cell_size_rejected(organisation, value):
    from layers.exceptions import InvalidParameterError
    from layers.grid import hex_grid_counts

    with pytest.raises(InvalidParameterError, match="cell_size="):
        hex_grid_counts(entries_of(organisation), cell_size=value)


def test_grid_too_large_rejected(organisation):
    from layers.exceptions import GridTooLargeError
    from layers.grid import hex_grid_counts

    region = Polygon.from_bbox((X0, Y0, X0 + 200000, Y0 + 200000))
    region.srid = 2154
    with pytest.raises(GridTooLargeError, match="Des mailles de 50 m"):
        hex_grid_counts(entries_of(organisation), cell_size=50, extent=region)


def test_extent_in_other_srid_transformed(organisation, users, plant):
    from layers.grid import hex_grid_counts

    plant(organisation, users["mediator"], [X0 + 500], [Y0 + 500])
    square = Polygon.from_bbox((X0, Y0, X0 + 1000, Y0 + 1000))
    square.srid = 2154
    wgs84 = square.transform(4326, clone=True)
    from_2154 = hex_grid_counts(entries_of(organisation), extent=square)
    from_4326 = hex_grid_counts(entries_of(organisation), extent=wgs84)
    assert from_4326["count"].sum() == 1
    hit_2154 = from_2154.loc[from_2154["count"] == 1, "cell_id"].tolist()
    hit_4326 = from_4326.loc[from_4326["count"] == 1, "cell_id"].tolist()
    assert hit_2154 == hit_4326
    # Transformed back, the square's edges move by well under a metre, so
    # both grids keep the same cells.
    assert set(from_2154.cell_id) == set(from_4326.cell_id)


def test_parse_cell_id_round_trip():
    from layers.exceptions import InvalidParameterError
    from layers.grid import cell_id, parse_cell_id

    assert parse_cell_id(cell_id(250, 1740, -3)) == (250.0, 1740, -3)
    with pytest.raises(InvalidParameterError, match="cell=H250_x"):
        parse_cell_id("H250_x")
