"""Kernel density surface: integral, peak, bandwidth rule, GeoTIFF and PNG."""

import io

import numpy as np
import pytest
import rasterio

from tests.layers.conftest import X0, Y0

pytestmark = pytest.mark.django_db


def entries_of(organisation):
    from interventions.models import Intervention

    return Intervention.objects.filter(organisation=organisation)


@pytest.fixture
def planted(organisation, users, plant):
    rng = np.random.default_rng(3)
    xs = np.r_[rng.uniform(X0, X0 + 4000, 700), rng.normal(X0 + 1000, 60, 300)]
    ys = np.r_[rng.uniform(Y0, Y0 + 4000, 700), rng.normal(Y0 + 3000, 60, 300)]
    plant(organisation, users["mediator"], xs, ys)
    return xs, ys


def test_density_integrates_to_entry_count(organisation, planted, tmp_path):
    from layers.density import density_surface

    result = density_surface(entries_of(organisation), path=tmp_path / "density.tif")
    with rasterio.open(result.path) as dataset:
        values = dataset.read(1).astype(float)
        pixel_width, pixel_height = dataset.res
        assert dataset.crs.to_epsg() == 2154
        assert dataset.tags()["units"] == "entries per km2"
    integral = values.sum() * (pixel_width / 1000) * (pixel_height / 1000)
    assert integral == pytest.approx(1000, rel=0.01)
    assert result.count == 1000


def test_density_integral_with_given_bandwidth(organisation, planted, tmp_path):
    from layers.density import density_surface

    result = density_surface(
        entries_of(organisation), bandwidth=400, pixel_size=40, path=tmp_path / "d.tif"
    )
    with rasterio.open(result.path) as dataset:
        values = dataset.read(1).astype(float)
    assert result.bandwidth_rule == "given"
    assert result.pixel_size == 40
    assert values.sum() * 0.04**2 == pytest.approx(1000, rel=0.01)


def test_density_peak_at_planted_cluster(organisation, planted, tmp_path):
    from layers.density import density_surface

    result = density_surface(entries_of(organisation), path=tmp_path / "density.tif")
    with rasterio.open(result.path) as dataset:
        values = dataset.read(1)
        row, column = np.unravel_index(np.argmax(values), values.shape)
        x, y = dataset.xy(row, column)
    assert abs(x - (X0 + 1000)) < 100
    assert abs(y - (Y0 + 3000)) < 100
    assert result.max_density == pytest.approx(float(values.max()), rel=1e-5)


def test_default_bandwidth_is_silverman(organisation, planted):
    from layers.density import density_surface

    xs, ys = planted
    result = density_surface(entries_of(organisation))
    # Silverman's rule per axis from the planted coordinates, averaged.
    widths = []
    for values in (xs, ys):
        iqr = np.percentile(values, 75) - np.percentile(values, 25)
        spread = min(np.std(values, ddof=1), iqr / 1.34)
        widths.append(0.9 * spread * len(values) ** (-1 / 5))
    assert result.bandwidth_rule == "silverman"
    assert result.bandwidth == pytest.approx(np.mean(widths), rel=1e-9)
    result.path.unlink()


def test_single_entry_uses_minimum_bandwidth(organisation, users, plant, tmp_path):
    from layers.density import MIN_BANDWIDTH, density_surface

    plant(organisation, users["mediator"], [X0 + 10.3], [Y0 + 20.7])
    result = density_surface(entries_of(organisation), path=tmp_path / "one.tif")
    assert result.bandwidth == MIN_BANDWIDTH
    assert result.bandwidth_rule == "minimum"
    with rasterio.open(result.path) as dataset:
        values = dataset.read(1).astype(float)
        pixel = dataset.res[0] / 1000
    assert values.sum() * pixel**2 == pytest.approx(1, rel=0.01)


def test_no_entry_gives_message(organisation):
    from layers.density import density_surface

    result = density_surface(entries_of(organisation))
    assert result.path is None
    assert result.count == 0
    assert result.message


def test_density_png_overlay(organisation, planted, tmp_path):
    from matplotlib.image import imread

    from layers.density import density_png, density_surface

    result = density_surface(entries_of(organisation), path=tmp_path / "density.tif")
    png, bounds, legend = density_png(result)
    image = imread(io.BytesIO(png), format="png")
    assert image.shape[2] == 4
    assert image[..., 3].max() > 0
    west, south, east, north = bounds
    raster_west, raster_south, raster_east, raster_north = result.bounds_4326
    assert west == pytest.approx(raster_west, abs=1e-3)
    assert north == pytest.approx(raster_north, abs=1e-3)
    assert legend[-1]["value"] == pytest.approx(result.max_density, rel=0.05)
    assert legend[0]["value"] == 0


@pytest.mark.parametrize("name, value", [("bandwidth", -1), ("pixel_size", "x")])
def test_invalid_density_arguments(organisation, name, value):
    from layers.density import density_surface
    from layers.exceptions import InvalidParameterError

    with pytest.raises(InvalidParameterError, match=f"{name}={value}"):
        density_surface(entries_of(organisation), **{name: value})


def test_too_fine_pixel_rejected(organisation, planted):
    from layers.density import density_surface
    from layers.exceptions import GridTooLargeError

    with pytest.raises(GridTooLargeError, match="pixel_size=1 m"):
        density_surface(entries_of(organisation), pixel_size=1)


def test_mask_small_counts_hides_isolated_entries(organisation, users, plant, tmp_path):
    from layers.density import density_surface, mask_small_counts

    # Three entries at one spot and ten at another, 3 km apart.
    plant(organisation, users["mediator"], [X0] * 3, [Y0] * 3)
    plant(organisation, users["mediator"], [X0 + 3000] * 10, [Y0] * 10)
    result = density_surface(
        entries_of(organisation), bandwidth=100, pixel_size=10, path=tmp_path / "d.tif"
    )
    mask_small_counts(result, 5)
    with rasterio.open(result.path) as dataset:
        values = dataset.read(1)
        small_spot = values[dataset.index(X0, Y0)]
        large_spot = values[dataset.index(X0 + 3000, Y0)]
    floor = 5 / (2 * np.pi * 0.1**2)
    assert small_spot == 0
    assert large_spot > floor
    assert values[(values > 0) & (values < floor)].size == 0
    assert result.max_density == pytest.approx(float(values.max()))
