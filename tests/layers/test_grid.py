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


def brute_force_cells(polygons, size):
    """Lattice hexagons whose interior meets one of `polygons`, by enumeration.

    Returns {cell_id: hexagon}. Cell (i, j) is centred at x = 1.5 * size * i,
    y = sqrt(3) * size * (j + (i mod 2) / 2), with a vertex at angle 0.
    """
    step_x = 1.5 * size
    step_y = np.sqrt(3.0) * size
    cells = {}
    for polygon in polygons:
        xmin, ymin, xmax, ymax = polygon.bounds
        for i in range(int(np.floor(xmin / step_x)) - 1, int(np.ceil(xmax / step_x)) + 2):
            for j in range(
                int(np.floor(ymin / step_y)) - 2, int(np.ceil(ymax / step_y)) + 2
            ):
                cx = step_x * i
                cy = step_y * (j + (i % 2) / 2.0)
                angles = np.arange(6) * np.pi / 3.0
                hexagon = shapely.Polygon(
                    np.column_stack(
                        [cx + size * np.cos(angles), cy + size * np.sin(angles)]
                    )
                )
                if hexagon.intersection(polygon).area > 1e-6:
                    cells[f"H{size}_{i}_{j}"] = hexagon
    return cells


def assert_cells_match(cells, expected):
    assert cells["cell_id"].is_unique
    assert set(cells["cell_id"]) == set(expected)
    for cell in cells.itertuples():
        assert cell.geometry.hausdorff_distance(expected[cell.cell_id]) < 1e-6


def shapely_of(territory):
    return shapely.from_wkb(bytes(territory.geom.wkb))


def test_scattered_territories_cells_exact(organisation, make_territories):
    from layers.grid import MAX_GRID_CELLS, cell_area, hex_grid_counts
    from territories.models import Territory

    _, territories = make_territories(
        {"A": (X0, Y0, 1000), "B": (X0 + 300000, Y0 + 300000, 1000)}
    )
    # A grid over the bounding box of the two squares would exceed the limit.
    assert 301500**2 / cell_area(250) > MAX_GRID_CELLS

    cells = hex_grid_counts(
        entries_of(organisation), cell_size=250, extent=Territory.objects.all()
    )

    expected = brute_force_cells([shapely_of(t) for t in territories.values()], 250)
    assert len(expected) > 0
    assert_cells_match(cells, expected)


def test_scattered_geometry_extent_cells_exact(organisation, users, plant):
    from django.contrib.gis.geos import MultiPolygon

    from layers.grid import hex_grid_counts

    first = Polygon.from_bbox((X0, Y0, X0 + 1000, Y0 + 1000))
    second = Polygon.from_bbox(
        (X0 + 300000, Y0 + 300000, X0 + 300800, Y0 + 300600)
    )
    extent = MultiPolygon(first, second, srid=2154)
    # One entry in each square and one between them, outside the extent.
    plant(
        organisation,
        users["mediator"],
        [X0 + 500, X0 + 300400, X0 + 150000],
        [Y0 + 500, Y0 + 300300, Y0 + 150000],
    )

    cells = hex_grid_counts(entries_of(organisation), cell_size=250, extent=extent)

    polygons = [shapely.from_wkb(bytes(p.wkb)) for p in (first, second)]
    assert_cells_match(cells, brute_force_cells(polygons, 250))
    assert cells["count"].sum() == 2
    assert (cells["count"] == 1).sum() == 2


def test_cell_shared_by_territories_listed_once(organisation, make_territories):
    from layers.grid import hex_grid_counts
    from territories.models import Territory

    # A and B share the edge x = X0 + 1000; C is far away, so that the cells
    # are generated territory by territory.
    _, territories = make_territories(
        {
            "A": (X0, Y0, 1000),
            "B": (X0 + 1000, Y0, 1000),
            "C": (X0 + 300000, Y0 + 300000, 1000),
        }
    )
    cells = hex_grid_counts(
        entries_of(organisation), cell_size=250, extent=Territory.objects.all()
    )

    in_a = brute_force_cells([shapely_of(territories["A"])], 250)
    in_b = brute_force_cells([shapely_of(territories["B"])], 250)
    assert len(set(in_a) & set(in_b)) > 0
    assert_cells_match(
        cells, brute_force_cells([shapely_of(t) for t in territories.values()], 250)
    )


def test_cells_by_part_equal_cells_by_box(organisation, make_territories):
    from layers.grid import hex_grid_counts
    from territories.models import Territory

    _, territories = make_territories(
        {"A": (X0 + 37, Y0 + 11, 1200), "B": (X0 + 200000, Y0 + 90000, 700)}
    )
    both = hex_grid_counts(entries_of(organisation), extent=Territory.objects.all())
    # A single square fills its own bounding box, so its grid comes from the box.
    alone = [
        hex_grid_counts(
            entries_of(organisation), extent=Territory.objects.filter(pk=t.pk)
        )
        for t in territories.values()
    ]

    by_box = {
        cell.cell_id: cell.geometry for frame in alone for cell in frame.itertuples()
    }
    assert set(both["cell_id"]) == set(by_box)
    for cell in both.itertuples():
        assert cell.geometry.equals_exact(by_box[cell.cell_id], tolerance=0)


def test_parse_cell_id_round_trip():
    from layers.exceptions import InvalidParameterError
    from layers.grid import cell_id, parse_cell_id

    assert parse_cell_id(cell_id(250, 1740, -3)) == (250.0, 1740, -3)
    with pytest.raises(InvalidParameterError, match="cell=H250_x"):
        parse_cell_id("H250_x")
