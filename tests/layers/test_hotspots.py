"""Getis-Ord Gi* hot spots: agreement with esda, planted patterns, thin data."""

import numpy as np
import pytest
import shapely
from django.contrib.gis.geos import MultiPolygon, Polygon

from tests.layers.conftest import X0, Y0

pytestmark = pytest.mark.django_db

SIDE = 5000.0


def entries_of(organisation):
    from interventions.models import Intervention

    return Intervention.objects.filter(organisation=organisation)


def study_area(side=SIDE):
    area = Polygon.from_bbox((X0, Y0, X0 + side, Y0 + side))
    area.srid = 2154
    return area


def plant_noise_and_cluster(
    plant, organisation, mediator, *, seed=1, noise=2000, cluster=200
):
    rng = np.random.default_rng(seed)
    xs = rng.uniform(X0, X0 + SIDE, noise)
    ys = rng.uniform(Y0, Y0 + SIDE, noise)
    if cluster:
        xs = np.r_[xs, rng.normal(X0 + 2600, 80, cluster)]
        ys = np.r_[ys, rng.normal(Y0 + 2400, 80, cluster)]
    plant(organisation, mediator, xs, ys)


def assert_no_nan(cells):
    numeric = cells[["count", "gi_z", "gi_p", "gi_p_norm", "gi_p_sim", "gi_bin"]]
    assert not numeric.isna().any().any()


def test_zscores_equal_esda(organisation, users, plant):
    from esda.getisord import G_Local
    from libpysal.weights import Queen

    from layers.hotspots import hotspot_layer

    plant_noise_and_cluster(plant, organisation, users["mediator"])
    result = hotspot_layer(
        entries_of(organisation), cell_size=250, extent=study_area(), permutations=0
    )
    cells = result.cells
    assert result.message is None
    assert not cells["is_island"].any()

    # Reference: contiguity read from the hexagon polygons themselves.
    weights = Queen.from_dataframe(cells, use_index=False, silence_warnings=True)
    assert weights.islands == []
    reference = G_Local(
        cells["count"].to_numpy(dtype=float),
        weights,
        transform="B",
        star=True,
        permutations=0,
    )
    np.testing.assert_allclose(
        cells["gi_z"].to_numpy(), reference.Zs, rtol=0, atol=1e-9
    )
    np.testing.assert_allclose(
        cells["gi_p_norm"].to_numpy(), 2 * reference.p_norm, rtol=0, atol=1e-12
    )


def test_neighbours_match_polygon_contiguity(organisation, users, plant):
    from libpysal.weights import Queen

    from layers.hotspots import hotspot_layer

    plant_noise_and_cluster(
        plant, organisation, users["mediator"], noise=300, cluster=0
    )
    cells = hotspot_layer(entries_of(organisation), extent=study_area()).cells
    weights = Queen.from_dataframe(cells, use_index=False, silence_warnings=True)
    expected = [weights.cardinalities[k] for k in range(len(cells))]
    assert cells["neighbours"].tolist() == expected


def test_planted_cluster_hot_at_99(organisation, users, plant):
    from layers.hotspots import hotspot_layer

    plant_noise_and_cluster(plant, organisation, users["mediator"])
    result = hotspot_layer(entries_of(organisation), cell_size=250, extent=study_area())
    cells = result.cells

    centre = cells[cells.geometry.contains(shapely.Point(X0 + 2600, Y0 + 2400))]
    assert len(centre) == 1
    assert centre.iloc[0]["gi_bin"] == 3
    # Hot cells sit around the cluster, not elsewhere in the noise.
    hot = cells[cells["gi_bin"] == 3]
    distances = hot.geometry.centroid.distance(shapely.Point(X0 + 2600, Y0 + 2400))
    assert distances.max() < 800
    assert_no_nan(cells)


def test_uniform_noise_mostly_not_significant(organisation, users, plant):
    from interventions.models import Intervention

    from layers.hotspots import hotspot_layer

    clean_seeds = 0
    for seed in range(10):
        plant_noise_and_cluster(
            plant, organisation, users["mediator"], seed=100 + seed, cluster=0
        )
        result = hotspot_layer(
            entries_of(organisation), extent=study_area(), permutations=0
        )
        assert result.message is None
        if (result.cells["gi_bin"] == 0).all():
            clean_seeds += 1
        Intervention.objects.filter(organisation=organisation).delete()
    assert clean_seeds >= 8


def test_constant_grid_says_too_little_data(organisation, users, plant):
    from django.utils import translation

    from layers.grid import cell_centres, hex_grid_counts
    from layers.hotspots import hotspot_layer

    area = study_area(2000)
    empty_grid = hex_grid_counts(entries_of(organisation), extent=area)
    xs, ys = cell_centres(250, empty_grid["i"], empty_grid["j"])
    plant(organisation, users["mediator"], np.repeat(xs, 2), np.repeat(ys, 2))

    with translation.override("en"):
        result = hotspot_layer(entries_of(organisation), extent=area)
    assert (result.cells["count"] == 2).all()
    assert result.message is not None
    assert "same count" in result.message
    assert (result.cells["gi_bin"] == 0).all()
    assert_no_nan(result.cells)


def test_single_cell_with_entries_says_too_little_data(organisation, users, plant):
    from django.utils import translation

    from layers.hotspots import hotspot_layer

    plant(organisation, users["mediator"], [X0 + 1000] * 20, [Y0 + 1000] * 20)
    with translation.override("en"):
        result = hotspot_layer(entries_of(organisation), extent=study_area(2000))
    assert result.message is not None
    assert "only 1 cells contain entries" in result.message
    assert result.is_tested is False
    assert_no_nan(result.cells)


def test_small_grid_says_too_little_data(organisation, users, plant):
    from django.utils import translation

    from layers.hotspots import hotspot_layer

    plant(organisation, users["mediator"], [X0 + 100, X0 + 300], [Y0 + 100, Y0 + 300])
    with translation.override("en"):
        result = hotspot_layer(entries_of(organisation), extent=study_area(600))
    assert "cells with neighbours" in result.message
    assert_no_nan(result.cells)


def test_island_cell_left_untested(organisation, users, plant):
    from layers.grid import cell_centres
    from layers.hotspots import hotspot_layer

    plant_noise_and_cluster(plant, organisation, users["mediator"])
    # A 20 m square around the centre of a cell 10 km east of the study area:
    # that cell touches no other cell of the grid.
    island_x, island_y = (float(v) for v in cell_centres(250, 1760, 15855))
    island = Polygon.from_bbox(
        (island_x - 10, island_y - 10, island_x + 10, island_y + 10)
    )
    extent = MultiPolygon(study_area(), island, srid=2154)
    plant(organisation, users["mediator"], [island_x] * 9, [island_y] * 9)

    result = hotspot_layer(entries_of(organisation), extent=extent)
    cells = result.cells
    isolated = cells[cells["cell_id"] == "H250_1760_15855"].iloc[0]
    assert isolated["is_island"]
    assert isolated["count"] == 9
    assert isolated["gi_bin"] == 0
    assert isolated["gi_z"] == 0.0
    assert cells["is_island"].sum() == 1
    assert result.message is None
    assert_no_nan(cells)


def test_permutations_repeat_with_seed(organisation, users, plant):
    from layers.hotspots import hotspot_layer

    plant_noise_and_cluster(
        plant, organisation, users["mediator"], noise=600, cluster=60
    )
    area = study_area(3000)
    first = hotspot_layer(
        entries_of(organisation), extent=area, permutations=199, seed=5
    )
    again = hotspot_layer(
        entries_of(organisation), extent=area, permutations=199, seed=5
    )
    other = hotspot_layer(
        entries_of(organisation), extent=area, permutations=199, seed=6
    )
    assert first.cells["gi_p_sim"].tolist() == again.cells["gi_p_sim"].tolist()
    assert first.cells["gi_p_sim"].tolist() != other.cells["gi_p_sim"].tolist()


def test_fdr_thresholds_from_esda(organisation, users, plant):
    from esda import fdr

    from layers.hotspots import hotspot_layer

    plant_noise_and_cluster(plant, organisation, users["mediator"])
    result = hotspot_layer(
        entries_of(organisation), extent=study_area(), permutations=0
    )
    p = result.cells["gi_p"].to_numpy()
    assert result.fdr_thresholds[0.01] == pytest.approx(fdr(p, 0.01))
    z = result.cells["gi_z"].to_numpy()
    expected_99 = (p <= fdr(p, 0.01)) & (z > 0)
    assert ((result.cells["gi_bin"] == 3).to_numpy() == expected_99).all()


@pytest.mark.parametrize(
    "arguments, pattern",
    [
        ({"neighbourhood": 100}, "neighbourhood=100"),
        ({"neighbourhood": "queen"}, "neighbourhood=queen"),
        ({"permutations": -1}, "permutations=-1"),
        ({"alpha_fdr": 2}, "alpha_fdr=2"),
        ({"inference": "exact"}, "inference=exact"),
        ({"inference": "permutation", "permutations": 0}, "inference=permutation"),
    ],
)
def test_invalid_arguments_rejected(organisation, arguments, pattern):
    from layers.exceptions import InvalidParameterError
    from layers.hotspots import hotspot_layer

    with pytest.raises(InvalidParameterError, match=pattern):
        hotspot_layer(entries_of(organisation), **arguments)


def test_distance_band_neighbourhood(organisation, users, plant):
    from layers.hotspots import hotspot_layer

    plant_noise_and_cluster(plant, organisation, users["mediator"])
    result = hotspot_layer(
        entries_of(organisation), extent=study_area(), neighbourhood=900, permutations=0
    )
    inner = result.cells[result.cells["neighbours"] == result.cells["neighbours"].max()]
    # Two rings of hexagons lie within 900 m of a 250 m cell's centre.
    assert inner["neighbours"].iloc[0] == 18
    assert (result.cells["gi_bin"] == 3).any()
