"""Check, reproject and repair the polygons of an import, as shapely arrays.

The steps run in this order. Features without a usable geometry are
rejected, then coordinates that cannot be in the declared CRS. The rest is
reprojected to the working CRS, and every polygon is made valid there,
because reprojection itself can make a ring cross itself. Each geometry ends
as a 2D MultiPolygon.
"""

import re
from dataclasses import dataclass

import numpy as np
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

import shapely
from pyproj import CRS, Transformer

from territories.sources import AREA_OF_USE_MARGIN_DEG

POLYGONAL_TYPES = {"Polygon", "MultiPolygon"}


@dataclass
class FeatureIssue:
    """A feature left out of the import, or changed by it, and why."""

    fid: int
    kind: str
    reason: str
    label: str = ""

    def as_dict(self):
        return {
            "fid": self.fid,
            "kind": self.kind,
            "reason": self.reason,
            "label": self.label,
        }


def reject_unusable(geoms, fids):
    """Return {position: FeatureIssue} for null, empty and non-polygonal geometries.

    A GeometryCollection is kept when it contains polygons: the other parts
    are dropped by `make_polygonal`.
    """
    issues = {}
    for position, geom in enumerate(geoms):
        fid = int(fids[position])
        if geom is None:
            issues[position] = FeatureIssue(fid, "null", _("no geometry"))
        elif geom.is_empty:
            issues[position] = FeatureIssue(fid, "empty", _("empty geometry"))
        elif geom.geom_type not in POLYGONAL_TYPES and not _has_polygons(geom):
            issues[position] = FeatureIssue(
                fid,
                "not_polygonal",
                _("the geometry is a %(type)s, not a polygon")
                % {"type": geom.geom_type},
            )
    return issues


def _has_polygons(geom):
    return geom.geom_type == "GeometryCollection" and any(
        part.geom_type in POLYGONAL_TYPES for part in geom.geoms
    )


def find_implausible_coordinates(geoms, fids, crs, working_crs, skip=()):
    """Return {position: FeatureIssue} for features that cannot be in `crs`.

    Degrees must lie within +-180 and +-90. Every feature must then fall in
    the area of use of the working CRS, with a margin of
    AREA_OF_USE_MARGIN_DEG degrees, because it could not be stored there
    otherwise. The reason distinguishes a latitude/longitude swap (the swapped
    coordinates would fit), projected numbers declared as degrees, degrees
    declared as a projected CRS, and data that is simply elsewhere.
    """
    area = working_crs.area_of_use
    issues = {}
    bounds = shapely.bounds(np.asarray(geoms, dtype=object))
    lonlat = _bounds_in_degrees(bounds, crs)
    for position in range(len(geoms)):
        if position in skip or np.isnan(bounds[position]).any():
            continue
        kind = _coordinate_problem(bounds[position], lonlat[position], crs, area)
        if kind is not None:
            issues[position] = _coordinate_issue(
                int(fids[position]), kind, bounds[position], crs, working_crs
            )
    return issues


def _bounds_in_degrees(bounds, crs):
    if crs.is_geographic:
        return bounds
    transformer = Transformer.from_crs(crs, CRS.from_epsg(4326), always_xy=True)
    xs = np.stack([bounds[:, 0], bounds[:, 2], bounds[:, 0], bounds[:, 2]], axis=1)
    ys = np.stack([bounds[:, 1], bounds[:, 1], bounds[:, 3], bounds[:, 3]], axis=1)
    with np.errstate(invalid="ignore"):
        lons, lats = transformer.transform(xs, ys, errcheck=False)
    lons, lats = np.asarray(lons), np.asarray(lats)
    lons[~np.isfinite(lons)] = np.nan
    lats[~np.isfinite(lats)] = np.nan
    return np.stack(
        [lons.min(axis=1), lats.min(axis=1), lons.max(axis=1), lats.max(axis=1)], axis=1
    )


def _coordinate_problem(bounds, lonlat, crs, area):
    minx, miny, maxx, maxy = bounds
    looks_like_degrees = (
        max(abs(minx), abs(maxx)) <= 180 and max(abs(miny), abs(maxy)) <= 90
    )
    if crs.is_geographic and not looks_like_degrees:
        return "not_degrees"
    if area is None or _inside(lonlat, area):
        return None
    if crs.is_geographic:
        swapped = (lonlat[1], lonlat[0], lonlat[3], lonlat[2])
        return "swapped_axes" if _inside(swapped, area) else "outside_area"
    if looks_like_degrees:
        return "degrees_as_projected"
    return "outside_area"


def _inside(lonlat, area):
    west, south, east, north = lonlat
    margin = AREA_OF_USE_MARGIN_DEG
    if np.isnan([west, south, east, north]).any():
        return False
    return (
        west >= area.west - margin
        and east <= area.east + margin
        and south >= area.south - margin
        and north <= area.north + margin
    )


def _coordinate_issue(fid, kind, bounds, crs, working_crs):
    values = {
        "x": f"{bounds[0]:.6g}",
        "y": f"{bounds[1]:.6g}",
        "crs": _crs_name(crs),
        "working": _crs_name(working_crs),
        "area": working_crs.area_of_use.name if working_crs.area_of_use else "",
    }
    if kind == "not_degrees":
        reason = _(
            "coordinates (%(x)s, %(y)s) cannot be degrees, but the file declares "
            "%(crs)s; give the real source CRS"
        )
    elif kind == "swapped_axes":
        reason = _(
            "coordinates (%(x)s, %(y)s) look like latitude and longitude swapped; "
            "write the longitude first (x), then the latitude (y)"
        )
    elif kind == "degrees_as_projected":
        reason = _(
            "coordinates (%(x)s, %(y)s) look like degrees, but the file declares "
            "the projected %(crs)s; give the real source CRS"
        )
    else:
        reason = _(
            "coordinates (%(x)s, %(y)s) in %(crs)s lie outside the area of "
            "%(working)s (%(area)s); check the declared CRS"
        )
    return FeatureIssue(fid, kind, reason % values)


def _crs_name(crs):
    srid = crs.to_epsg()
    return f"EPSG:{srid}" if srid else crs.name


def reproject(geoms, crs, working_crs):
    """Reproject an array of geometries, always in (x=easting/longitude, y) order."""
    if crs == working_crs:
        return np.asarray(geoms, dtype=object)
    transformer = Transformer.from_crs(crs, working_crs, always_xy=True)

    def transform(coords):
        xs, ys = transformer.transform(coords[:, 0], coords[:, 1], errcheck=False)
        return np.column_stack([xs, ys])

    return shapely.transform(np.asarray(geoms, dtype=object), transform)


def make_polygonal(geoms, fids, crs, skip=()):
    """Turn each geometry into a valid 2D MultiPolygon.

    `crs` is the CRS of `geoms`, named in the reasons next to the point where
    a polygon is invalid. Returns the new geometries (None where a feature is left out), the
    repairs as {position: FeatureIssue} and the rejects as
    {position: FeatureIssue}. Invalid polygons go through
    ``shapely.make_valid`` (the same GEOS routine as PostGIS ST_MakeValid),
    and only the polygonal parts of its result are kept.
    """
    result = np.full(len(geoms), None, dtype=object)
    repairs, rejects = {}, {}
    for position, geom in enumerate(geoms):
        if position in skip:
            continue
        fid = int(fids[position])
        geom = shapely.force_2d(geom)
        if not _finite(geom):
            rejects[position] = FeatureIssue(
                fid, "not_reprojectable", _("the coordinates could not be reprojected")
            )
            continue
        geom = as_multipolygon(geom)
        if not geom.is_valid:
            problem = describe_invalidity(shapely.is_valid_reason(geom), crs)
            geom = as_multipolygon(shapely.make_valid(geom))
            if not geom.is_valid:
                # Polygons taken out of a collection may share an edge, which a
                # MultiPolygon forbids: dissolving them fixes that.
                geom = as_multipolygon(shapely.union_all(geom.geoms))
            if geom.is_empty or geom.area == 0:
                rejects[position] = FeatureIssue(
                    fid,
                    "invalid_unrepairable",
                    _("invalid polygon (%(problem)s) with no area left after repair")
                    % {"problem": problem},
                )
                continue
            repairs[position] = FeatureIssue(fid, "repaired", problem)
        result[position] = geom
    return result, repairs, rejects


# GEOS validity reasons (IsValidOp, GEOS 3.x), translated. GEOS appends the
# point at fault in brackets, as in "Self-intersection[652315.29 6862970.69]".
_INVALIDITY_REASONS = {
    "Self-intersection": gettext_lazy("self-intersection"),
    "Ring Self-intersection": gettext_lazy("ring self-intersection"),
    "Hole lies outside shell": gettext_lazy("hole outside its polygon"),
    "Holes are nested": gettext_lazy("hole inside another hole"),
    "Interior is disconnected": gettext_lazy("interior cut in several parts"),
    "Nested shells": gettext_lazy("polygon inside another polygon of the same feature"),
    "Duplicate Rings": gettext_lazy("duplicate rings"),
    "Too few points in geometry component": gettext_lazy("ring with too few points"),
    "Invalid Coordinate": gettext_lazy("invalid coordinate"),
    "Ring is not closed": gettext_lazy("ring not closed"),
    "Repeated Point": gettext_lazy("repeated point"),
}
_REASON_PATTERN = re.compile(r"^(?P<kind>[^\[]+?)\s*(?:\[(?P<x>\S+) (?P<y>\S+)\])?$")


def describe_invalidity(reason, crs):
    """Translate a GEOS validity reason, with its point in `crs` coordinates.

    An unknown reason is returned as GEOS wrote it.
    """
    match = _REASON_PATTERN.match(reason or "")
    if match is None or match["kind"] not in _INVALIDITY_REASONS:
        return reason
    kind = str(_INVALIDITY_REASONS[match["kind"]])
    if match["x"] is None:
        return kind
    try:
        x, y = float(match["x"]), float(match["y"])
    except ValueError:
        return reason
    digits = 6 if crs.is_geographic else 2
    return _("%(kind)s at point %(x)s %(y)s (%(crs)s)") % {
        "kind": kind,
        "x": f"{x:.{digits}f}",
        "y": f"{y:.{digits}f}",
        "crs": short_crs_name(crs),
    }


def short_crs_name(crs):
    """Return the projection part of a CRS name: "Lambert-93" for EPSG:2154."""
    return crs.name.rsplit(" / ", 1)[-1]


def _finite(geom):
    coords = shapely.get_coordinates(geom)
    return bool(len(coords)) and bool(np.isfinite(coords).all())


def as_multipolygon(geom):
    if geom.geom_type == "MultiPolygon":
        return geom
    if geom.geom_type == "Polygon":
        return shapely.MultiPolygon([geom])
    polygons = []
    for part in getattr(geom, "geoms", []):
        if part.geom_type == "Polygon":
            polygons.append(part)
        elif part.geom_type in ("MultiPolygon", "GeometryCollection"):
            polygons.extend(as_multipolygon(part).geoms)
    return shapely.MultiPolygon(polygons)
