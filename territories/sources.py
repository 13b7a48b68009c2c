"""Open a GIS file for import: find the dataset, the layer, its encoding and its CRS.

Files are read with pyogrio and the GDAL bundled in its wheel, never with the
system GDAL that Django loads: uploaded files only ever reach pyogrio.
"""

import codecs
import logging
from dataclasses import dataclass, field
from pathlib import Path

import pyogrio
from django.conf import settings
from django.utils.translation import gettext as _
from pandas.api.types import is_object_dtype, is_string_dtype
from pyogrio.errors import DataLayerError, DataSourceError

from pyproj import CRS
from pyproj.exceptions import CRSError

from territories.archives import extract_zip
from territories.errors import (
    EncodingError,
    InvalidCrsError,
    LayerNotFoundError,
    MissingCrsError,
    TerritoryImportError,
    UnsupportedFileError,
)

logger = logging.getLogger(__name__)

FORMATS = {
    ".shp": "Shapefile",
    ".gpkg": "GeoPackage",
    ".geojson": "GeoJSON",
    ".json": "GeoJSON",
    ".fgb": "FlatGeobuf",
}
ARCHIVE_SUFFIXES = {".zip"}

# CRSs that a .prj written by hand or by an old GIS may describe without an
# EPSG code. A CRS that pyproj cannot identify is compared with these by its
# projection method, parameters, ellipsoid and unit.
KNOWN_SRIDS = [2154, *range(3942, 3951), 4326, 4171, 32630, 32631, 32632, 3857]

# GDAL decodes a DBF with this encoding when asked to, mapping each byte to
# the character of the same number, so that `str.encode("latin-1")` gives the
# raw bytes back and Python can decode them with any codec. GDAL recognises
# this name even without iconv. The GDAL 3.12 of pyogrio 0.13 leaves strings
# undecoded for names it does not recognise, such as "latin-1".
BYTE_PRESERVING_ENCODING = "ISO-8859-1"

# Margin, in degrees, around the area of use of the working CRS inside which
# coordinates are accepted.
AREA_OF_USE_MARGIN_DEG = 0.5


@dataclass
class SourceLayer:
    """The layer to import and what was found out about it before reading it."""

    path: Path
    format_name: str
    layer: str
    layers: list
    info: dict
    crs: CRS
    crs_label: str
    crs_source: str
    # Python codec that decodes the DBF strings, or None to let GDAL decode
    # them (from the .cpg or the LDID) or for formats that are UTF-8.
    encoding: str | None
    encoding_label: str
    encoding_source: str
    warnings: list = field(default_factory=list)

    @property
    def fields(self):
        return list(self.info["fields"])


def locate_dataset(path, workdir, *, layer=None, file_name=None):
    """Return the dataset file at `path`, extracting a zip archive into `workdir`.

    `path` may be a file of a supported format, a zip archive or a folder
    containing exactly one dataset. When a folder or archive contains several
    datasets, `layer` names the one to use (the file name without suffix) and
    is then consumed: the second value returned is the layer left to choose
    inside the dataset. `file_name` is the name messages give to `path`
    (by default its own name), such as the uploaded archive's name for the
    folder it was extracted to.
    """
    path = Path(path)
    if not path.exists():
        raise UnsupportedFileError(
            _("The file %(path)s does not exist.") % {"path": path}
        )
    file_name = file_name or path.name
    if path.is_file() and path.suffix.lower() in ARCHIVE_SUFFIXES:
        extract_zip(path, workdir)
        path = Path(workdir)
    if path.is_dir():
        return _find_dataset_in_folder(path, layer, file_name)
    if path.suffix.lower() not in FORMATS:
        raise UnsupportedFileError(_unsupported_message(file_name))
    return path, layer


def _dataset_candidates(folder):
    return sorted(
        p
        for p in folder.rglob("*")
        if p.is_file()
        and p.suffix.lower() in FORMATS
        and not p.name.startswith(".")
        and "__MACOSX" not in p.parts
    )


def check_folder_has_dataset(folder, file_name):
    """Raise UnsupportedFileError when `folder` contains no file of a supported format.

    `file_name` names the folder in the message, for instance the archive it
    was extracted from.
    """
    if not _dataset_candidates(Path(folder)):
        raise UnsupportedFileError(_no_dataset_message(Path(folder), file_name))


def _find_dataset_in_folder(folder, layer, file_name):
    candidates = _dataset_candidates(folder)
    if not candidates:
        raise UnsupportedFileError(_no_dataset_message(folder, file_name))
    if len(candidates) == 1:
        return candidates[0], layer
    names = [p.stem for p in candidates]
    chosen = [p for p in candidates if layer and p.stem.lower() == layer.lower()]
    if len(chosen) == 1:
        return chosen[0], None
    raise LayerNotFoundError(
        _("The archive holds several datasets (%(names)s); choose one as the layer.")
        % {"names": ", ".join(names)}
    )


# How many member names a message lists for an archive without a dataset.
LISTED_MEMBERS = 10


def _supported_formats():
    return _(
        "a zipped Shapefile (.zip with .shp, .shx, .dbf and .prj), a GeoPackage "
        "(.gpkg), a GeoJSON (.geojson or .json) or a FlatGeobuf (.fgb)"
    )


def _unsupported_message(name):
    return _("%(name)s is not a supported file: upload %(formats)s.") % {
        "name": name,
        "formats": _supported_formats(),
    }


def _no_dataset_message(folder, file_name):
    members = sorted(
        str(p.relative_to(folder))
        for p in folder.rglob("*")
        if p.is_file() and "__MACOSX" not in p.parts
    )
    if not members:
        return _("%(name)s is empty: upload %(formats)s.") % {
            "name": file_name,
            "formats": _supported_formats(),
        }
    shown = ", ".join(members[:LISTED_MEMBERS])
    if len(members) > LISTED_MEMBERS:
        shown += ", …"
    return _(
        "%(name)s contains no file of a supported format (it contains: "
        "%(members)s); upload %(formats)s."
    ) % {"name": file_name, "members": shown, "formats": _supported_formats()}


def _unreadable_message(dataset, error):
    format_name = FORMATS[dataset.suffix.lower()]
    return _(
        "%(name)s could not be read as %(format)s: check that it is a valid "
        "%(format)s file and was fully uploaded. Detail from GDAL: %(error)s"
    ) % {"name": dataset.name, "format": format_name, "error": error}


def inspect_fields(path, layer=None):
    """Return (layer names, field names) of an unzipped dataset, or empty lists.

    Used to offer choices on the preview page even when the import itself
    fails. When a folder contains several datasets and `layer` names none of
    them, the layer names are the datasets' file names.
    """
    path = Path(path)
    try:
        if path.is_dir():
            candidates = _dataset_candidates(path)
            names = [p.stem for p in candidates]
            chosen = [
                p for p in candidates if layer and p.stem.lower() == layer.lower()
            ]
            if len(candidates) > 1:
                if len(chosen) != 1:
                    return names, []
                return names, list(pyogrio.read_info(chosen[0])["fields"])
            path = candidates[0]
        layers = _spatial_layers(path)
        info = pyogrio.read_info(path, layer=layer if layer in layers else layers[0])
    except (TerritoryImportError, DataSourceError, DataLayerError, IndexError, OSError):
        return [], []
    return layers, list(info["fields"])


def open_source(dataset, *, layer=None, encoding=None, source_srid=None):
    """Inspect a dataset: choose the layer, then find its encoding and CRS."""
    format_name = FORMATS[dataset.suffix.lower()]
    layers = _spatial_layers(dataset)
    layer = _choose_layer(dataset, layers, layer)
    try:
        info = pyogrio.read_info(dataset, layer=layer)
    except (DataSourceError, DataLayerError) as exc:
        raise UnsupportedFileError(_unreadable_message(dataset, exc)) from exc

    source = SourceLayer(
        path=dataset,
        format_name=format_name,
        layer=layer,
        layers=layers,
        info=info,
        crs=None,
        crs_label="",
        crs_source="",
        encoding=None,
        encoding_label="UTF-8",
        encoding_source="format",
    )
    _set_encoding(source, encoding)
    _set_crs(source, info.get("crs"), source_srid)

    return source


def _spatial_layers(dataset):
    try:
        listed = pyogrio.list_layers(dataset)
    except DataSourceError as exc:
        raise UnsupportedFileError(_unreadable_message(dataset, exc)) from exc
    return [str(name) for name, geometry_type in listed if geometry_type is not None]


def _choose_layer(dataset, layers, layer):
    if not layers:
        raise LayerNotFoundError(
            _("%(name)s has no layer with geometries.") % {"name": dataset.name}
        )
    if layer:
        if layer in layers:
            return layer
        raise LayerNotFoundError(
            _("The layer %(layer)s is not in %(name)s; its layers are: %(layers)s.")
            % {"layer": layer, "name": dataset.name, "layers": ", ".join(layers)}
        )
    if len(layers) > 1:
        raise LayerNotFoundError(
            _("%(name)s has several layers; choose one of: %(layers)s.")
            % {"name": dataset.name, "layers": ", ".join(layers)}
        )
    return layers[0]


# --- encoding ----------------------------------------------------------------


def _set_encoding(source, encoding):
    """Decide how the attribute strings are decoded.

    Only a Shapefile's DBF has no fixed encoding: GeoJSON, GeoPackage and
    FlatGeobuf are UTF-8 by definition. For a DBF, a given encoding wins, then
    the .cpg sidecar, then the language driver id (LDID) of the DBF header,
    all three applied by GDAL. Without any of them GDAL would assume
    ISO-8859-1, which garbles UTF-8 files, so the strings are tried as strict
    UTF-8 first, then as Windows-1252, then as ISO-8859-1.
    """
    if source.format_name != "Shapefile":
        if encoding:
            source.warnings.append(
                _("The encoding %(encoding)s was ignored: %(format)s files are UTF-8.")
                % {"encoding": encoding, "format": source.format_name}
            )
        return
    if encoding:
        try:
            name = codecs.lookup(encoding).name
        except LookupError as exc:
            raise EncodingError(
                _("Unknown encoding %(encoding)s; use e.g. UTF-8, cp1252 or latin-1.")
                % {"encoding": encoding}
            ) from exc
        source.encoding, source.encoding_label, source.encoding_source = (
            name,
            name,
            "given",
        )
        return
    cpg = _sidecar(source.path, ".cpg")
    if cpg is not None:
        declared = cpg.read_text(encoding="ascii", errors="replace").strip()
        source.encoding_label, source.encoding_source = declared or "UTF-8", "cpg"
        return
    ldid = _dbf_language_driver_id(source.path)
    if ldid:
        source.encoding_label, source.encoding_source = f"LDID {ldid}", "ldid"
        return
    source.encoding = _detect_dbf_encoding(source)
    source.encoding_label, source.encoding_source = source.encoding, "detected"


def _sidecar(shp_path, suffix):
    for candidate in shp_path.parent.iterdir():
        if candidate.stem == shp_path.stem and candidate.suffix.lower() == suffix:
            return candidate
    return None


def _dbf_language_driver_id(shp_path):
    dbf = _sidecar(shp_path, ".dbf")
    if dbf is None:
        return 0
    with open(dbf, "rb") as handle:
        header = handle.read(32)
    return header[29] if len(header) == 32 else 0


def _detect_dbf_encoding(source):
    """Return "utf-8", "cp1252" or "iso8859-1", the first that decodes every string."""
    string_fields = [
        name
        for name, dtype in zip(source.info["fields"], source.info["dtypes"])
        if dtype == "object"
    ]
    if not string_fields:
        return "utf-8"
    _meta, _fids, _geometry, columns = pyogrio.raw.read(
        source.path,
        layer=source.layer,
        encoding=BYTE_PRESERVING_ENCODING,
        columns=string_fields,
        read_geometry=False,
    )
    raw = [
        value.encode("latin-1")
        for column in columns
        for value in column
        if isinstance(value, str) and not value.isascii()
    ]
    for candidate in ("utf-8", "cp1252"):
        try:
            for value in raw:
                value.decode(candidate)
        except UnicodeDecodeError:
            continue
        return candidate
    return "iso8859-1"


# --- CRS -------------------------------------------------------------------


def _set_crs(source, declared, source_srid):
    if source_srid:
        source.crs = _crs_from_srid(source_srid)
        source.crs_label, source.crs_source = f"EPSG:{source_srid}", "given"
        if declared:
            declared_srid = _identify(CRS.from_user_input(declared))[0]
            if declared_srid != int(source_srid):
                source.warnings.append(
                    _(
                        "The file declares %(declared)s; EPSG:%(srid)s was used as given."
                    )
                    % {"declared": _short_crs_name(declared), "srid": source_srid}
                )
        return
    if not declared:
        if source.format_name == "Shapefile":
            message = _(
                "The Shapefile %(name)s has no .prj file, so its CRS is unknown; "
                "give its source SRID (for Lambert-93, 2154)."
            )
        else:
            message = _(
                "%(name)s declares no CRS; give its source SRID (for Lambert-93, 2154)."
            )
        raise MissingCrsError(message % {"name": source.path.name})
    try:
        crs = CRS.from_user_input(declared)
    except CRSError as exc:
        raise InvalidCrsError(
            _("The CRS of %(name)s cannot be read (%(error)s); give its source SRID.")
            % {"name": source.path.name, "error": exc}
        ) from exc
    srid, how = _identify(crs)
    if srid is None:
        source.crs = crs
        source.crs_label, source.crs_source = crs.name, "unidentified"
        source.warnings.append(
            _(
                "The CRS %(name)s matches no EPSG code; coordinates were reprojected "
                "from its definition. Give the source SRID if it is known."
            )
            % {"name": crs.name}
        )
    else:
        source.crs = CRS.from_epsg(srid)
        source.crs_label, source.crs_source = f"EPSG:{srid}", how


def _crs_from_srid(srid):
    try:
        return CRS.from_epsg(int(srid))
    except (CRSError, ValueError, TypeError) as exc:
        raise InvalidCrsError(
            _("The source SRID %(srid)s is not a known EPSG code.") % {"srid": srid}
        ) from exc


def _short_crs_name(declared):
    try:
        return CRS.from_user_input(declared).name
    except CRSError:
        return str(declared)[:60]


def _identify(crs):
    """Return (EPSG code or None, "file" or "matched") for a CRS read from a file."""
    srid = crs.to_epsg()
    if srid is not None:
        return srid, "file"
    candidates = [settings.WORKING_SRID, *KNOWN_SRIDS]
    for candidate in dict.fromkeys(candidates):
        if _same_definition(crs, CRS.from_epsg(candidate)):
            logger.info(
                "CRS %r recognised as EPSG:%s by its parameters", crs.name, candidate
            )
            return candidate, "matched"
    return None, "unidentified"


def _same_definition(crs, reference, tolerance=1e-6):
    """Compare two CRSs by ellipsoid, unit, projection method and parameters.

    The datum name is ignored on purpose: a .prj that writes Lambert-93 with a
    datum named "unknown" on the GRS80 ellipsoid is still Lambert-93.
    """
    if crs.is_geographic != reference.is_geographic:
        return False
    if not _same_ellipsoid(crs.ellipsoid, reference.ellipsoid):
        return False
    if crs.is_geographic:
        return True
    operation, expected = crs.coordinate_operation, reference.coordinate_operation
    if operation is None or expected is None:
        return False
    if operation.method_code != expected.method_code:
        if operation.method_name.lower() != expected.method_name.lower():
            return False
    if crs.axis_info[0].unit_name != reference.axis_info[0].unit_name:
        return False
    return _same_parameters(operation.params, expected.params, tolerance)


def _same_ellipsoid(first, second):
    if first is None or second is None:
        return False
    return (
        abs(first.semi_major_metre - second.semi_major_metre) < 1e-3
        and abs(first.inverse_flattening - second.inverse_flattening) < 1e-6
    )


# EPSG parameter codes of the two standard parallels of a conic projection,
# which files list in either order.
_STANDARD_PARALLELS = {"8823", "8824"}


def _same_parameters(params, expected, tolerance):
    values = {p.code: p.value for p in params}
    reference = {p.code: p.value for p in expected}
    if set(values) != set(reference):
        return False
    parallels = sorted(v for code, v in values.items() if code in _STANDARD_PARALLELS)
    expected_parallels = sorted(
        v for code, v in reference.items() if code in _STANDARD_PARALLELS
    )
    if any(abs(a - b) > tolerance for a, b in zip(parallels, expected_parallels)):
        return False
    return all(
        abs(value - reference[code]) <= tolerance * max(1.0, abs(value))
        for code, value in values.items()
        if code not in _STANDARD_PARALLELS
    )


def decode_strings(frame, encoding):
    """Decode in place the string columns of a frame read with BYTE_PRESERVING_ENCODING."""
    for column in frame.columns:
        if column == frame.geometry.name:
            continue
        dtype = frame[column].dtype
        if not (is_object_dtype(dtype) or is_string_dtype(dtype)):
            continue
        frame[column] = [
            value.encode("latin-1").decode(encoding)
            if isinstance(value, str)
            else value
            for value in frame[column]
        ]
    return frame
