"""Kernel density of entries, written as a GeoTIFF in entries per km².

Entries are linearly binned to the pixel centres in PostGIS: each entry's
weight is shared between the four nearest pixel centres, as in the usual
binned kernel density estimate. The binned grid is then convolved with a
Gaussian kernel by ``scipy.ndimage.gaussian_filter``. The raster is padded by
more than the kernel's reach, so the surface integrates to the number of
entries.
"""

import io
import math
import uuid
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from django.conf import settings
from django.utils.translation import gettext as _
from scipy import ndimage

import rasterio
from rasterio.transform import Affine, array_bounds
from rasterio.warp import (
    Resampling,
    calculate_default_transform,
    reproject,
    transform_bounds,
)

from layers.exceptions import GridTooLargeError, InvalidParameterError
from layers.sql import Extent, entries_sql, fetch_all

MIN_BANDWIDTH = 50.0
MIN_PIXEL_SIZE = 5.0
MAX_RASTER_SIDE = 2000
# The Gaussian kernel is cut at this many bandwidths (scipy's `truncate`),
# and the raster extends that far beyond the entries plus one pixel.
KERNEL_REACH = 4.0
UNITS = "entries per km2"

_STATISTICS = """
WITH entries AS ({entries}),
xy AS (SELECT ST_X(location) AS x, ST_Y(location) AS y FROM entries)
SELECT count(*),
       stddev_samp(x), stddev_samp(y),
       percentile_cont(0.75) WITHIN GROUP (ORDER BY x)
           - percentile_cont(0.25) WITHIN GROUP (ORDER BY x),
       percentile_cont(0.75) WITHIN GROUP (ORDER BY y)
           - percentile_cont(0.25) WITHIN GROUP (ORDER BY y),
       min(x), min(y), max(x), max(y)
FROM xy
"""

_EXTENT_BOUNDS = """
SELECT ST_XMin(b.geom), ST_YMin(b.geom), ST_XMax(b.geom), ST_YMax(b.geom)
FROM (SELECT {bounds} AS geom) AS b
"""

# Linear binning: position of each entry in pixel-centre units from the
# raster's lower-left pixel centre, split between the four surrounding
# centres with bilinear weights. Binds x0, pixel, y0, pixel.
_LINEAR_BINS = """
WITH entries AS ({entries}),
grid AS (
    SELECT (ST_X(location) - %s) / %s - 0.5 AS gx,
           (ST_Y(location) - %s) / %s - 0.5 AS gy
    FROM entries
),
corner AS (
    SELECT floor(gx)::int AS col, floor(gy)::int AS row,
           gx - floor(gx) AS fx, gy - floor(gy) AS fy
    FROM grid
)
SELECT corner.col + dc, corner.row + dr,
       sum(CASE WHEN dc = 0 THEN 1 - fx ELSE fx END
           * CASE WHEN dr = 0 THEN 1 - fy ELSE fy END)
FROM corner
CROSS JOIN (VALUES (0, 0), (1, 0), (0, 1), (1, 1)) AS offsets (dc, dr)
GROUP BY 1, 2
"""


@dataclass
class DensityResult:
    """A kernel density surface written to disk.

    Attributes
    ----------
    path : Path or None
        GeoTIFF (float32, one band, working CRS) of entries per km²; None
        when there was no entry.
    count : int
        Number of entries, which is also the integral of the surface.
    bandwidth : float
        Standard deviation of the Gaussian kernel, in metres.
    bandwidth_rule : str
        "given", "silverman" or "minimum" (the rule's value was below
        ``MIN_BANDWIDTH``).
    pixel_size : float
        Pixel edge in metres.
    bounds : tuple
        (xmin, ymin, xmax, ymax) of the raster in the working CRS.
    bounds_4326 : tuple
        The same bounds as (west, south, east, north) in degrees.
    max_density : float
        Highest pixel value, in entries per km².
    message : str or None
        Translated sentence explaining why no surface was made.
    """

    path: Path | None
    count: int
    bandwidth: float
    bandwidth_rule: str
    pixel_size: float
    bounds: tuple
    bounds_4326: tuple
    max_density: float
    message: str | None = None

    units = UNITS


def density_surface(
    interventions_qs, *, bandwidth=None, pixel_size=None, extent=None, path=None
):
    """Compute a Gaussian kernel density surface of entries and write a GeoTIFF.

    Parameters
    ----------
    interventions_qs : QuerySet of Intervention
        Entries, already scoped to the user and filtered.
    bandwidth : float, optional
        Standard deviation of the isotropic Gaussian kernel in metres. By
        default Silverman's rule of thumb on the projected coordinates:
        ``h = 0.9 * min(sd, IQR / 1.34) * n ** (-1 / 5)`` for x and for y,
        averaged, and at least 50 m (``MIN_BANDWIDTH``) so that a few entries
        at one address still give a readable spot.
    pixel_size : float, optional
        Pixel edge in metres. By default a quarter of the bandwidth (at least
        5 m), coarsened when needed so that the raster has at most 2000
        pixels on a side.
    extent : Territory queryset, GEOS geometry or None
        Area the raster must cover in addition to the entries; None covers
        the entries only.
    path : str or Path, optional
        Where to write the GeoTIFF; by default a new file under
        ``VAR_DIR/layers/density``.

    Returns
    -------
    DensityResult
        With ``path`` None and a ``message`` when there is no entry.

    Raises
    ------
    InvalidParameterError
        When `bandwidth` or `pixel_size` is not a positive number.
    GridTooLargeError
        When an explicit `pixel_size` gives more than 2000 pixels on a side.

    Notes
    -----
    Values are in entries per km²: the sum of the pixels times the pixel
    area in km² equals the number of entries (to float32 rounding). The
    raster extends 4 bandwidths plus one pixel beyond the entries and the
    kernel is truncated at 4 bandwidths, so no weight is lost at the edges.
    Linear binning moves no weight farther than one pixel.
    """
    bandwidth = _check_positive("bandwidth", bandwidth)
    pixel_size = _check_positive("pixel_size", pixel_size)
    extent = None if extent is None else Extent.resolve(extent)
    entries, entries_params = entries_sql(interventions_qs)
    stats = _entry_statistics(entries, entries_params)
    if stats["count"] == 0:
        return _empty_result()

    bandwidth, rule = _choose_bandwidth(bandwidth, stats)
    bounds = _covered_bounds(stats, extent)
    pixel_size, origin, shape = _raster_geometry(bounds, bandwidth, pixel_size)
    binned = _bin_entries(entries, entries_params, origin, pixel_size, shape)
    density = _smooth(binned, bandwidth, pixel_size)
    path = _write_geotiff(density, origin, pixel_size, bandwidth, path)

    return _result(
        path, stats["count"], bandwidth, rule, pixel_size, origin, shape, density
    )


def _check_positive(name, value):
    if value is None:
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or number <= 0:
        raise InvalidParameterError(
            _("%(name)s=%(value)s is not valid; give a positive number of metres.")
            % {"name": name, "value": value}
        )
    return number


def _empty_result():
    return DensityResult(
        path=None,
        count=0,
        bandwidth=0.0,
        bandwidth_rule="none",
        pixel_size=0.0,
        bounds=(),
        bounds_4326=(),
        max_density=0.0,
        message=_("No entry matches these filters, so there is no density surface."),
    )


def _entry_statistics(entries, params):
    rows = fetch_all(_STATISTICS.format(entries=entries), params)
    count, sd_x, sd_y, iqr_x, iqr_y, xmin, ymin, xmax, ymax = rows[0]
    return {
        "count": int(count),
        "sd": (sd_x or 0.0, sd_y or 0.0),
        "iqr": (iqr_x or 0.0, iqr_y or 0.0),
        "bounds": (xmin, ymin, xmax, ymax),
    }


def silverman_bandwidth(count, sd, iqr):
    """Silverman's rule of thumb per axis, averaged over x and y, in metres.

    Each axis uses ``0.9 * min(sd, IQR / 1.34) * n ** (-1 / 5)``; an axis
    whose IQR is zero falls back to its standard deviation.
    """
    if count < 2:
        return 0.0
    widths = []
    for axis_sd, axis_iqr in zip(sd, iqr):
        spread = min(axis_sd, axis_iqr / 1.34) if axis_iqr > 0 else axis_sd
        widths.append(0.9 * spread * count ** (-1 / 5))
    return float(np.mean(widths))


def _choose_bandwidth(bandwidth, stats):
    if bandwidth is not None:
        return bandwidth, "given"
    rule_value = silverman_bandwidth(stats["count"], stats["sd"], stats["iqr"])
    if rule_value < MIN_BANDWIDTH:
        return MIN_BANDWIDTH, "minimum"
    return rule_value, "silverman"


def _covered_bounds(stats, extent):
    xmin, ymin, xmax, ymax = stats["bounds"]
    if extent is None or extent.is_entries_bbox:
        return xmin, ymin, xmax, ymax
    bounds_sql, params = extent.bounds_sql()
    rows = fetch_all(_EXTENT_BOUNDS.format(bounds=bounds_sql), params)
    exmin, eymin, exmax, eymax = rows[0]
    if exmin is None:
        return xmin, ymin, xmax, ymax
    return min(xmin, exmin), min(ymin, eymin), max(xmax, exmax), max(ymax, eymax)


def _raster_geometry(bounds, bandwidth, pixel_size):
    """Pixel size, lower-left origin and (rows, columns), aligned on the pixel size."""
    xmin, ymin, xmax, ymax = bounds
    explicit = pixel_size is not None
    if not explicit:
        pixel_size = float(max(MIN_PIXEL_SIZE, round(bandwidth / 4.0)))
    while True:
        pad = KERNEL_REACH * bandwidth + 2 * pixel_size
        x0 = math.floor((xmin - pad) / pixel_size) * pixel_size
        y0 = math.floor((ymin - pad) / pixel_size) * pixel_size
        columns = math.ceil((xmax + pad - x0) / pixel_size)
        rows = math.ceil((ymax + pad - y0) / pixel_size)
        if max(columns, rows) <= MAX_RASTER_SIDE:
            return pixel_size, (x0, y0), (rows, columns)
        if explicit:
            raise GridTooLargeError(
                _(
                    "pixel_size=%(value)s m gives a raster of %(columns)d x %(rows)d pixels, "
                    "more than %(limit)d on a side; choose a pixel size of at least "
                    "%(suggested)d m."
                )
                % {
                    "value": f"{pixel_size:g}",
                    "columns": columns,
                    "rows": rows,
                    "limit": MAX_RASTER_SIDE,
                    "suggested": math.ceil(
                        pixel_size * max(columns, rows) / MAX_RASTER_SIDE
                    ),
                }
            )
        pixel_size = float(math.ceil(pixel_size * max(columns, rows) / MAX_RASTER_SIDE))


def _bin_entries(entries, params, origin, pixel_size, shape):
    """Binned weights, row 0 at the bottom of the raster."""
    x0, y0 = origin
    sql = _LINEAR_BINS.format(entries=entries)
    rows = fetch_all(sql, params + [x0, pixel_size, y0, pixel_size])
    grid = np.zeros(shape, dtype=np.float64)
    if rows:
        cols, rows_index, weights = (np.asarray(part) for part in zip(*rows))
        np.add.at(
            grid,
            (rows_index.astype(np.int64), cols.astype(np.int64)),
            weights.astype(np.float64),
        )
    return grid


def _smooth(binned, bandwidth, pixel_size):
    """Convolve with the Gaussian kernel; entries per km², row 0 at the top."""
    smoothed = ndimage.gaussian_filter(
        binned,
        sigma=bandwidth / pixel_size,
        mode="constant",
        cval=0.0,
        truncate=KERNEL_REACH,
    )
    pixel_area_km2 = (pixel_size / 1000.0) ** 2
    return np.flipud(smoothed / pixel_area_km2)


def _default_path():
    folder = Path(settings.VAR_DIR) / "layers" / "density"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"density-{uuid.uuid4().hex}.tif"


def _write_geotiff(density, origin, pixel_size, bandwidth, path):
    path = Path(path) if path else _default_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    rows, columns = density.shape
    x0, y0 = origin
    transform = Affine(pixel_size, 0.0, x0, 0.0, -pixel_size, y0 + rows * pixel_size)
    profile = {
        "driver": "GTiff",
        "height": rows,
        "width": columns,
        "count": 1,
        "dtype": "float32",
        "crs": f"EPSG:{settings.WORKING_SRID}",
        "transform": transform,
        "compress": "deflate",
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
    }
    with rasterio.open(path, "w", **profile) as dataset:
        dataset.write(density.astype(np.float32), 1)
        dataset.update_tags(
            units=UNITS, bandwidth_m=f"{bandwidth:.3f}", kernel="gaussian"
        )
        dataset.set_band_description(1, "kernel density (entries per km2)")
    return path


def _result(path, count, bandwidth, rule, pixel_size, origin, shape, density):
    rows, columns = shape
    x0, y0 = origin
    bounds = (x0, y0, x0 + columns * pixel_size, y0 + rows * pixel_size)
    bounds_4326 = transform_bounds(
        f"EPSG:{settings.WORKING_SRID}", "EPSG:4326", *bounds
    )
    return DensityResult(
        path=path,
        count=count,
        bandwidth=bandwidth,
        bandwidth_rule=rule,
        pixel_size=pixel_size,
        bounds=bounds,
        bounds_4326=tuple(bounds_4326),
        max_density=float(density.max()),
    )


def mask_small_counts(result, threshold):
    """Zero the pixels of a density GeoTIFF that fewer than `threshold` entries can reach.

    One entry adds at most ``1 / (2 pi h²)`` entries per unit area to any
    pixel, h being the bandwidth, so a pixel at or above ``threshold`` times
    that peak has at least `threshold` entries nearby. Pixels below it are
    set to 0, and ``result.max_density`` is updated. The masked surface no
    longer integrates to the number of entries.
    """
    peak_per_km2 = 1.0 / (2.0 * math.pi * (result.bandwidth / 1000.0) ** 2)
    floor = threshold * peak_per_km2
    with rasterio.open(result.path, "r+") as dataset:
        values = dataset.read(1)
        values[values < floor] = 0.0
        dataset.write(values, 1)
    result.max_density = float(values.max())
    return result


def density_png(result, *, colormap="YlOrRd", opacity=0.75, floor_fraction=0.02):
    """Render a density GeoTIFF as a PNG for a web map overlay.

    Parameters
    ----------
    result : DensityResult
        A surface from `density_surface` (``path`` not None).
    colormap : str, default "YlOrRd"
        Matplotlib colormap, scaled linearly from 0 to the maximum density.
    opacity : float, default 0.75
        Alpha of coloured pixels.
    floor_fraction : float, default 0.02
        Pixels below this fraction of the maximum are transparent.

    Returns
    -------
    png : bytes
        The image, reprojected to EPSG:3857 so that Leaflet's image overlay
        places every pixel where it belongs.
    bounds_4326 : tuple
        (west, south, east, north) of the image in degrees.
    legend : list of dict
        Stops ``{"value": entries per km², "color": "#rrggbb"}`` from 0 to
        the maximum.
    """
    from matplotlib import colormaps
    from matplotlib.colors import to_hex
    from matplotlib.image import imsave

    values, bounds_3857 = _reproject_to_web_mercator(result.path)
    top = float(np.nanmax(values)) if values.size else 0.0
    cmap = colormaps[colormap]
    scaled = np.clip(values / top, 0, 1) if top > 0 else np.zeros_like(values)
    rgba = cmap(scaled)
    rgba[..., 3] = np.where(scaled >= floor_fraction, opacity, 0.0)
    buffer = io.BytesIO()
    imsave(buffer, rgba, format="png")
    bounds_4326 = transform_bounds("EPSG:3857", "EPSG:4326", *bounds_3857)
    legend = [
        {"value": top * fraction, "color": to_hex(cmap(fraction))}
        for fraction in (0.0, 0.25, 0.5, 0.75, 1.0)
    ]
    return buffer.getvalue(), tuple(bounds_4326), legend


def _reproject_to_web_mercator(path):
    with rasterio.open(path) as source:
        transform, width, height = calculate_default_transform(
            source.crs, "EPSG:3857", source.width, source.height, *source.bounds
        )
        values = np.zeros((height, width), dtype=np.float32)
        reproject(
            source=rasterio.band(source, 1),
            destination=values,
            src_transform=source.transform,
            src_crs=source.crs,
            dst_transform=transform,
            dst_crs="EPSG:3857",
            resampling=Resampling.bilinear,
        )
    return values, array_bounds(height, width, transform)
