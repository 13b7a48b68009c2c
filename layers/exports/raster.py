"""GeoTIFF export of the kernel density surface, in the chosen CRS."""

import math
from pathlib import Path

import numpy as np
from django.conf import settings

import rasterio
from rasterio.transform import from_origin
from rasterio.warp import Resampling, calculate_default_transform, reproject

from layers.density import UNITS, density_surface
from layers.exports.catalogue import grid_extent

# Pixel edge, in metres, of the one-pixel raster written when no entry matches.
EMPTY_PIXEL_SIZE = 100.0


def export_density(scope, filters, options, *, srid, directory):
    """Write the density surface of the filtered entries as a GeoTIFF in `srid`.

    Returns ``(path, entry count, messages)``. Values are entries per km²
    (float32, one band). When no entry matches, the file is a valid GeoTIFF of
    zeros over the filters' territories (or one pixel at the CRS origin).

    For client viewers, a pixel is kept only where the surface reaches the
    peak that ``SMALL_COUNT_THRESHOLD`` entries at one spot would make,
    ``threshold / (2 pi bandwidth²)``. Lower pixels are set to 0. So fewer
    than the threshold entries never show, wherever they are, because a sum
    of n kernels never exceeds n peaks.

    A CRS other than the working CRS is reached by bilinear resampling, which
    keeps densities but not the exact integral of the surface.
    """
    directory = Path(directory)
    entries = filters.apply(scope.aggregatable_entries())
    extent = grid_extent(scope, filters)
    working = directory / "density-working.tif"
    result = density_surface(
        entries,
        bandwidth=options.bandwidth,
        pixel_size=options.pixel_size,
        extent=extent,
        path=working,
    )
    messages = [result.message] if result.message else []
    if result.path is None:
        _write_empty_raster(working, extent)
    elif scope.suppresses_small_counts:
        _mask_below_small_count_peak(working, result.bandwidth)

    path = directory / f"density-epsg{srid}.tif"
    if srid == settings.WORKING_SRID:
        working.rename(path)
    else:
        _reproject(working, path, srid)
        working.unlink()

    return path, result.count, messages


def _mask_below_small_count_peak(path, bandwidth):
    threshold = settings.SMALL_COUNT_THRESHOLD
    peak_area_km2 = 2.0 * math.pi * bandwidth**2 / 1_000_000.0
    floor = threshold / peak_area_km2
    with rasterio.open(path, "r+") as dataset:
        values = dataset.read(1)
        values[values < floor] = 0.0
        dataset.write(values, 1)


def _write_empty_raster(path, extent):
    bounds = None
    if extent is not None:
        from django.contrib.gis.db.models import Extent

        bounds = extent.aggregate(box=Extent("geom"))["box"]
    if bounds:
        xmin, ymin, xmax, ymax = bounds
        pixel = EMPTY_PIXEL_SIZE
        columns = max(1, math.ceil((xmax - xmin) / pixel))
        rows = max(1, math.ceil((ymax - ymin) / pixel))
        transform = from_origin(xmin, ymin + rows * pixel, pixel, pixel)
    else:
        columns = rows = 1
        transform = from_origin(0.0, EMPTY_PIXEL_SIZE, EMPTY_PIXEL_SIZE, EMPTY_PIXEL_SIZE)
    profile = {
        "driver": "GTiff",
        "height": rows,
        "width": columns,
        "count": 1,
        "dtype": "float32",
        "crs": f"EPSG:{settings.WORKING_SRID}",
        "transform": transform,
        "compress": "deflate",
    }
    with rasterio.open(path, "w", **profile) as dataset:
        dataset.write(np.zeros((rows, columns), dtype=np.float32), 1)
        dataset.update_tags(units=UNITS)


def _reproject(source_path, target_path, srid):
    with rasterio.open(source_path) as source:
        target_crs = f"EPSG:{srid}"
        transform, width, height = calculate_default_transform(
            source.crs, target_crs, source.width, source.height, *source.bounds
        )
        profile = source.profile.copy()
        profile.update(crs=target_crs, transform=transform, width=width, height=height)
        if width < 256 or height < 256:
            profile.pop("blockxsize", None)
            profile.pop("blockysize", None)
            profile["tiled"] = False
        with rasterio.open(target_path, "w", **profile) as target:
            reproject(
                source=rasterio.band(source, 1),
                destination=rasterio.band(target, 1),
                src_transform=source.transform,
                src_crs=source.crs,
                dst_transform=transform,
                dst_crs=target_crs,
                resampling=Resampling.bilinear,
            )
            target.update_tags(**source.tags())
            target.set_band_description(1, source.descriptions[0] or "")
