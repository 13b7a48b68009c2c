"""Run one export: check the request, read the layer in chunks, write the file."""

import logging
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

from django.conf import settings
from django.utils.translation import gettext as _

from accounts.audit import record_event
from layers.exports.catalogue import LAYERS, SRIDS
from layers.exports.errors import (
    ExportError,
    ExportPermissionError,
    InvalidOptionError,
    UnknownLayerError,
    UnsupportedFormatError,
    UnsupportedSridError,
)
from layers.exports.writers import WRITERS

logger = logging.getLogger(__name__)

# Rows handed to a writer at a time: one pyogrio append per chunk.
WRITE_CHUNK_SIZE = 20_000

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


@dataclass(frozen=True)
class ExportOptions:
    """Options besides the filters: CSV byte-order mark, grid and kernel sizes (metres)."""

    bom: bool = False
    cell_size: float = 250.0
    bandwidth: float | None = None
    pixel_size: float | None = None

    @classmethod
    def from_query(cls, params):
        """Build options from a QueryDict or dict; raise InvalidOptionError on bad values."""
        return cls(
            bom=_parse_bool("bom", params.get("bom")),
            cell_size=_parse_cell_size(params.get("cell_size")),
            bandwidth=_parse_metres("bandwidth", params.get("bandwidth")),
            pixel_size=_parse_metres("pixel_size", params.get("pixel_size")),
        )

    def as_dict(self):
        return asdict(self)


def _parse_bool(name, value):
    if value is None or isinstance(value, bool):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise InvalidOptionError(
        _("%(name)s=%(value)s is not valid; use true or false.")
        % {"name": name, "value": value}
    )


def _parse_cell_size(value):
    """Parse the hexagon edge in metres, within the bounds the map accepts (250 by default)."""
    from layers.apis import MAX_API_CELL_SIZE, MIN_API_CELL_SIZE

    number = _parse_metres("cell_size", value)
    if number is None:
        return 250.0
    if not MIN_API_CELL_SIZE <= number <= MAX_API_CELL_SIZE:
        raise InvalidOptionError(
            _(
                "%(name)s=%(value)s is not valid; give a number from %(minimum)s to "
                "%(maximum)s."
            )
            % {
                "name": "cell_size",
                "value": value,
                "minimum": MIN_API_CELL_SIZE,
                "maximum": MAX_API_CELL_SIZE,
            }
        )
    return number


def _parse_metres(name, value):
    if value in (None, ""):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if not math.isfinite(number) or number <= 0:
        raise InvalidOptionError(
            _("%(name)s=%(value)s is not valid; give a positive number of metres.")
            % {"name": name, "value": value}
        )
    return number


@dataclass
class ExportResult:
    path: Path
    layer: str
    format: str
    srid: int
    feature_count: int
    messages: list = field(default_factory=list)


def check_export(scope, layer, export_format, srid):
    """Return the layer spec, or raise an ExportError naming the rejected value."""
    spec = LAYERS.get(layer)
    if spec is None:
        raise UnknownLayerError(
            _("layer=%(layer)s is not an exported layer; use one of: %(layers)s.")
            % {"layer": layer, "layers": ", ".join(LAYERS)}
        )
    if not spec.allows(scope):
        if layer == "entries":
            message = _(
                "Your role may not export individual entries: only coordinators, "
                "analysts and administrators can; export an aggregated layer instead."
            )
        else:
            message = _("Your role may not export the layer %(layer)s.") % {"layer": layer}
        raise ExportPermissionError(message)
    if export_format not in spec.formats:
        raise UnsupportedFormatError(
            _("format=%(format)s is not offered for the layer %(layer)s; use one of: %(formats)s.")
            % {"format": export_format, "layer": layer, "formats": ", ".join(spec.formats)}
        )
    if srid not in SRIDS:
        raise UnsupportedSridError(_srid_message(srid))
    return spec


def _srid_message(value):
    return _("srid=%(srid)s is not offered; use one of the EPSG codes %(srids)s.") % {
        "srid": value,
        "srids": ", ".join(map(str, SRIDS)),
    }


def parse_srid(value):
    """Parse an SRID given as 2154 or EPSG:2154 and return it as an int."""
    text = str(value).strip().upper().removeprefix("EPSG:")
    try:
        srid = int(text)
    except ValueError:
        raise UnsupportedSridError(_srid_message(value)) from None
    if srid not in SRIDS:
        raise UnsupportedSridError(_srid_message(value))
    return srid


def check_filters_visible(scope, filters):
    """Raise ExportError when the filters name a set or territories the scope cannot see."""
    if filters.territory_set and not scope.territory_sets().filter(
        pk=filters.territory_set
    ).exists():
        raise ExportError(
            _(
                "territory_set=%(id)s is not a territory set you can see; choose one "
                "from the list of territory sets."
            )
            % {"id": filters.territory_set}
        )
    if filters.territories:
        visible = set(
            scope.territories()
            .filter(id__in=filters.territories)
            .values_list("id", flat=True)
        )
        unknown = [str(pk) for pk in filters.territories if pk not in visible]
        if unknown:
            raise ExportError(
                _("territory=%(ids)s is not a territory you can see; check the territory ids.")
                % {"ids": ",".join(unknown)}
            )


def audit_details(layer, export_format, srid, filters, options, **extra):
    return {
        "layer": layer,
        "format": export_format,
        "srid": srid,
        "filters": filters.as_dict(),
        "options": options.as_dict(),
        **extra,
    }


def record_export(
    scope, layer, export_format, srid, filters, options, *, request=None, **extra
):
    """Write the audit event of an export (user None for the command)."""
    details = audit_details(layer, export_format, srid, filters, options, **extra)
    if scope.user is None:
        details["organisation"] = scope.organisation.slug
        return record_event(
            None,
            "export",
            target=f"{layer}.{export_format}",
            details=details,
            request=request,
            organisation_id=scope.organisation.pk,
        )
    return record_event(
        scope.user,
        "export",
        target=f"{layer}.{export_format}",
        details=details,
        request=request,
    )


def run_export(
    *,
    scope,
    layer,
    export_format,
    srid,
    filters,
    options,
    directory,
    progress=None,
):
    """Write one layer to a file in `directory` and return an ExportResult.

    Parameters
    ----------
    scope : ExportScope
        Whose rows are read (a user's, or an organisation's for the command).
    layer, export_format : str
        Keys of `catalogue.LAYERS` and of its formats.
    srid : int
        EPSG code of the output, one of `catalogue.SRIDS`; GeoJSON is always
        written in EPSG:4326 (RFC 7946).
    filters : LayerFilters
        The map's filters, applied to the scope's entries.
    options : ExportOptions
    directory : Path
        Existing folder that receives the file.
    progress : callable, optional
        Called as ``progress(written, total)`` after each chunk.

    Notes
    -----
    Rows are read through a server-side cursor and written by chunks of
    ``WRITE_CHUNK_SIZE``, so memory does not grow with the number of rows.
    An export without any matching row is a valid file with the layer's
    schema (GeoJSON, which has no schema, is an empty FeatureCollection).
    """
    spec = check_export(scope, layer, export_format, srid)
    check_filters_visible(scope, filters)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)

    if spec.is_raster:
        from layers.exports.raster import export_density

        path, count, messages = export_density(
            scope, filters, options, srid=srid, directory=directory
        )
        if progress:
            progress(count, count)
        return ExportResult(path, layer, export_format, srid, count, messages)

    source = spec.build(scope, filters, options)
    writer = WRITERS[export_format](directory, spec.schema, srid, bom=options.bom)
    total = source.count()
    if progress:
        progress(0, total)
    writer.begin(source.text_widths() if writer.needs_text_widths else None)
    written = _write_rows(source, writer, total, progress)
    path = writer.finish()

    logger.info(
        "export %s.%s EPSG:%s: %s features written to %s",
        layer,
        export_format,
        writer.srid,
        written,
        path,
    )
    return ExportResult(path, layer, export_format, writer.srid, written, list(source.messages))


def _write_rows(source, writer, total, progress):
    written = 0
    chunk = []
    for row in source.rows(srid=writer.srid, with_lonlat=writer.needs_lonlat):
        chunk.append(row)
        if len(chunk) >= WRITE_CHUNK_SIZE:
            writer.write(chunk)
            written += len(chunk)
            chunk = []
            if progress:
                progress(written, max(total, written))
    writer.write(chunk)
    written += len(chunk)
    if progress:
        progress(written, max(total, written))
    return written


def export_directory():
    """Return the folder of the export files (settings.EXPORT_DIR).

    NOTE: the files of export jobs stay there until someone deletes them;
    nothing removes old exports yet.
    """
    return Path(settings.EXPORT_DIR)
