"""Checks shared by the sync API and the edit form; each message names the value."""

import json
import math
import threading
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.conf import settings
from django.contrib.gis.gdal import CoordTransform, SpatialReference
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

# A phone's clock may run a little fast; a time further ahead is a wrong clock or a
# typing error, not an entry.
FUTURE_TOLERANCE = timedelta(minutes=5)

# No entry predates the service: an earlier time is a phone whose clock was reset or a
# typing error. Read in the current time zone (Europe/Paris by default).
EARLIEST_OCCURRED_AT = datetime(2000, 1, 1)

# Characters of a rejected value quoted back in a message.
QUOTED_VALUE_MAX_LENGTH = 80

# Coordinates of a lost GPS fix or of an empty form, never a real place here.
NULL_ISLAND = (0.0, 0.0)


def quote_value(value):
    """Return `value` as JSON text, cut to QUOTED_VALUE_MAX_LENGTH characters."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    if len(text) > QUOTED_VALUE_MAX_LENGTH:
        text = text[: QUOTED_VALUE_MAX_LENGTH - 1] + "…"
    return text


def check_point_geojson(value):
    """Raise ValidationError unless a GeoJSON Point has 2 or 3 numeric coordinates.

    `value` is the decoded `geometry` member of a Feature. Other geometry types
    pass, so that the check of the parsed geometry names their type.
    """
    if not isinstance(value, dict) or value.get("type") != "Point":
        return
    coordinates = value.get("coordinates")
    if not isinstance(coordinates, list) or len(coordinates) not in (2, 3):
        raise ValidationError(
            _(
                "Expected the Point's coordinates as [longitude, latitude] or "
                "[longitude, latitude, altitude]; received %(value)s."
            )
            % {"value": quote_value(coordinates)},
            code="coordinates_shape",
        )
    for coordinate in coordinates:
        # bool is a subclass of int, but true and false are no coordinates.
        if isinstance(coordinate, bool) or not isinstance(coordinate, (int, float)):
            raise ValidationError(
                _(
                    "The coordinate %(value)s is not a number; send the longitude "
                    "and latitude as numbers, for example [2.35, 48.85]."
                )
                % {"value": quote_value(coordinate)},
                code="coordinate_not_a_number",
            )


def check_point_wgs84(point):
    """Raise ValidationError unless `point` is a usable longitude/latitude point.

    `point` is a GEOS geometry in EPSG:4326 (GeoJSON order: x is the longitude).
    """
    if point.geom_type != "Point":
        raise ValidationError(
            _("Expected a GeoJSON Point; received a %(type)s.")
            % {"type": point.geom_type},
            code="not_a_point",
        )
    if point.srid not in (None, 4326):
        raise ValidationError(
            _(
                "Expected longitude and latitude in EPSG:4326; received a point in "
                "EPSG:%(srid)s."
            )
            % {"srid": point.srid},
            code="wrong_srid",
        )
    if point.empty:
        raise ValidationError(_("The point has no coordinates."), code="empty")
    longitude, latitude = point.x, point.y
    if not (math.isfinite(longitude) and math.isfinite(latitude)):
        raise ValidationError(
            _("The coordinates must be finite numbers."), code="not_finite"
        )
    if not -180 <= longitude <= 180:
        raise ValidationError(
            _(
                "Longitude %(value)s is out of range; expected -180 to 180 "
                "(GeoJSON order is longitude, latitude)."
            )
            % {"value": longitude},
            code="longitude_range",
        )
    if not -90 <= latitude <= 90:
        raise ValidationError(
            _(
                "Latitude %(value)s is out of range; expected -90 to 90 "
                "(GeoJSON order is longitude, latitude)."
            )
            % {"value": latitude},
            code="latitude_range",
        )
    if (longitude, latitude) == NULL_ISLAND:
        raise ValidationError(
            _(
                "The point (0, 0) is what a phone sends without a position; place "
                "the point on the map."
            ),
            code="null_island",
        )


_transforms = threading.local()


def _coord_transform(source_srid, target_srid):
    """Return a GDAL CoordTransform, built once per thread and pair of SRIDs.

    Building one initialises PROJ, which costs milliseconds per call. GDAL
    transformation objects must not be shared between threads.
    """
    cache = _transforms.__dict__.setdefault("by_srids", {})
    key = (source_srid, target_srid)
    if key not in cache:
        cache[key] = CoordTransform(
            SpatialReference(source_srid), SpatialReference(target_srid)
        )
    return cache[key]


def to_working_srid(point):
    """Return a copy of a checked EPSG:4326 point in the working CRS (WORKING_SRID)."""
    point = point.clone()
    point.srid = 4326
    point.transform(_coord_transform(4326, settings.WORKING_SRID))
    point.srid = settings.WORKING_SRID
    return point


def to_wgs84(point):
    """Return a copy of a point of the working CRS in EPSG:4326."""
    point = point.clone()
    point.transform(_coord_transform(point.srid, 4326))
    point.srid = 4326
    return point


def check_occurred_at(value, now=None):
    """Raise ValidationError for a time before EARLIEST_OCCURRED_AT or in the future.

    A time up to FUTURE_TOLERANCE after now passes, because phone clocks drift.
    """
    earliest = timezone.make_aware(EARLIEST_OCCURRED_AT)
    if value < earliest:
        raise ValidationError(
            _(
                "The time %(value)s is before %(earliest)s; check the phone's clock "
                "and the time entered."
            )
            % {
                # In UTC: Europe/Paris before 1911 used local mean time (+00:09:21),
                # which would confuse more than help.
                "value": value.astimezone(dt_timezone.utc).strftime(
                    "%Y-%m-%d %H:%M UTC"
                ),
                "earliest": earliest.strftime("%Y-%m-%d"),
            },
            code="too_early",
        )
    now = now or timezone.now()
    if value > now + FUTURE_TOLERANCE:
        local = timezone.localtime(value)
        raise ValidationError(
            _(
                "The time %(value)s is more than %(minutes)d minutes in the future; "
                "check the phone's clock and the time entered."
            )
            % {
                "value": local.strftime("%Y-%m-%d %H:%M"),
                "minutes": int(FUTURE_TOLERANCE.total_seconds() // 60),
            },
            code="future",
        )


def check_note_length(note, limit):
    """Raise ValidationError when the note is longer than `limit` characters."""
    if len(note) > limit:
        raise ValidationError(
            _("The note has %(length)d characters; the limit is %(limit)d. Shorten it.")
            % {"length": len(note), "limit": limit},
            code="max_length",
        )
