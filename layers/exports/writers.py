"""Writers of the vector formats: zipped Shapefile, GeoPackage, GeoJSON, CSV.

Each writer receives rows in chunks (see `sources`) and appends them to a file
on disk, so memory use stays at one chunk whatever the size of the export.
Shapefile and GeoPackage go through pyogrio (GDAL) in append mode; GeoJSON and
CSV are plain text written line by line.
"""

import csv
import datetime as dt
import json
import math
import struct
import zipfile
from pathlib import Path

import numpy as np
from django.utils.translation import gettext as _

import pyogrio.raw
import shapely
from pyproj import CRS

from layers.exports.errors import FieldTooLongError
from layers.exports.fields import (
    BOOLEAN,
    DATE,
    DATETIME,
    DBF_MAX_TEXT_BYTES,
    INTEGER,
    INTEGER64,
    ISO_DATETIME_LENGTH,
    REAL,
    TEXT,
    field_dictionary_rows,
    split_utf8,
)

# GDAL's value for "UTC" in its time zone flag (RFC 56: 100 plus quarter hours).
GDAL_TZ_UTC = 100
# A text of at most this many characters fits in 254 UTF-8 bytes.
_SAFE_TEXT_CHARACTERS = DBF_MAX_TEXT_BYTES // 4


def iso_datetime(value):
    """Local date and time with its UTC offset, to the second: 2024-07-01T00:15:00+02:00."""
    from django.utils import timezone

    return timezone.localtime(value).isoformat(timespec="seconds")


def _decimals(srid):
    """Decimals of coordinates in text output: 1e-7 degree (about 1 cm) or 1 mm."""
    return 7 if CRS.from_epsg(srid).is_geographic else 3


class VectorWriter:
    """Base of the writers: `begin`, then `write` for each chunk, then `finish`."""

    extension = ""
    media_type = "application/octet-stream"
    # Whether rows must carry WGS84 longitude and latitude.
    needs_lonlat = False
    # Whether `begin` needs the widths of text fields (Shapefile only).
    needs_text_widths = False
    # An SRID the format imposes (GeoJSON: RFC 7946 is WGS84 only).
    fixed_srid = None

    def __init__(self, directory, schema, srid, *, bom=False):
        self.directory = Path(directory)
        self.schema = schema
        self.srid = self.fixed_srid or srid
        self.bom = bom
        self.path = self.directory / f"{schema.name}-epsg{self.srid}{self.extension}"

    def begin(self, text_widths=None):
        raise NotImplementedError

    def write(self, rows):
        raise NotImplementedError

    def finish(self):
        return self.path


# --- pyogrio arrays -----------------------------------------------------------


def _column(field, values, *, for_shapefile):
    """(array, mask or None) of one field for pyogrio.raw.write."""
    missing = np.fromiter((value is None for value in values), dtype=bool, count=len(values))
    kind = field.kind
    if kind == DATETIME and for_shapefile:
        texts = [None if value is None else iso_datetime(value) for value in values]
        return np.array(texts, dtype=object), None
    if kind == TEXT:
        return np.array(values, dtype=object), None
    if kind in (INTEGER, INTEGER64):
        dtype = np.int32 if kind == INTEGER else np.int64
        array = np.array([0 if value is None else value for value in values], dtype=dtype)
        return array, missing if missing.any() else None
    if kind == REAL:
        array = np.array(
            [math.nan if value is None else value for value in values], dtype=np.float64
        )
        return array, None
    if kind == BOOLEAN:
        array = np.array([bool(value) for value in values], dtype=bool)
        return array, missing if missing.any() else None
    if kind == DATE:
        array = np.array(
            [np.datetime64("NaT") if value is None else value for value in values],
            dtype="datetime64[D]",
        )
        return array, missing if missing.any() else None
    if kind == DATETIME:
        # GeoPackage stores UTC ("Z"); the naive UTC value goes with flag 100.
        array = np.array(
            [
                np.datetime64("NaT")
                if value is None
                else np.datetime64(value.astimezone(dt.timezone.utc).replace(tzinfo=None), "ms")
                for value in values
            ],
            dtype="datetime64[ms]",
        )
        return array, missing if missing.any() else None
    raise ValueError(f"field {field.name} has kind {kind!r}, which no writer handles")


class _OgrWriter(VectorWriter):
    driver = ""
    for_shapefile = False
    dataset_options = None
    layer_options = None

    def _arrays(self, rows):
        """Field names, arrays, masks and time zone flags of a chunk."""
        names, arrays, masks, tz_offsets = [], [], [], {}
        for index, field in enumerate(self.schema.fields):
            values = [row[0][index] for row in rows]
            array, mask = _column(field, values, for_shapefile=self.for_shapefile)
            name = self._field_names(field)
            if len(name) > 1:
                parts = self._split_parts(field, values, rows)
                for part_name, part_values in zip(name, parts):
                    names.append(part_name)
                    arrays.append(np.array(part_values, dtype=object))
                    masks.append(None)
                continue
            if self.for_shapefile and field.kind == TEXT:
                self._check_text(field, values, rows)
            names.append(name[0])
            arrays.append(array)
            masks.append(mask)
            if field.kind == DATETIME and not self.for_shapefile:
                tz_offsets[name[0]] = np.full(len(values), GDAL_TZ_UTC, dtype=np.int32)
        return names, arrays, masks, tz_offsets

    def _field_names(self, field):
        return [field.name]

    def _split_parts(self, field, values, rows):
        raise NotImplementedError

    def _check_text(self, field, values, rows):
        pass

    def _write(self, rows, *, append):
        names, arrays, masks, tz_offsets = self._arrays(rows)
        geometry = np.array([row[1] for row in rows], dtype=object)
        pyogrio.raw.write(
            str(self._ogr_path),
            geometry,
            arrays,
            names,
            field_mask=masks,
            layer=self.schema.name,
            driver=self.driver,
            geometry_type=self.schema.geometry_type,
            crs=f"EPSG:{self.srid}",
            encoding="UTF-8" if self.for_shapefile else None,
            append=append,
            dataset_options=None if append else self.dataset_options,
            layer_options=None if append else self.layer_options,
            gdal_tz_offsets=tz_offsets or None,
        )

    @property
    def _ogr_path(self):
        return self.path

    def begin(self, text_widths=None):
        # An empty first write creates the layer with its full schema, so an
        # export without any row is still a valid file with every field.
        self._write([], append=False)

    def write(self, rows):
        if rows:
            self._write(rows, append=True)


class GeoPackageWriter(_OgrWriter):
    """GeoPackage with full field names; datetimes stored as UTC DateTime fields."""

    extension = ".gpkg"
    media_type = "application/geopackage+sqlite3"
    driver = "GPKG"
    # Version 1.3 rather than GDAL's default 1.4, which GDAL before 3.7 (and
    # the QGIS builds on it) opens with a warning.
    dataset_options = {"VERSION": "1.3"}


class ShapefileWriter(_OgrWriter):
    """Zipped Shapefile (.shp .shx .dbf .prj .cpg) with a field dictionary (fields.csv).

    Field names are the fixed short names of the schema. Text widths are set
    from the largest value measured before writing, so that the DBF is no
    wider than needed (GDAL's default of 80 bytes per text field would make a
    million-row DBF several times larger). Texts over 254 bytes are split
    into the field's parts or rejected with `FieldTooLongError`. Datetimes
    are written as ISO 8601 text with the UTC offset, next to the separate
    local date and local time fields of the schema.
    """

    extension = ".shp.zip"
    media_type = "application/zip"
    driver = "ESRI Shapefile"
    for_shapefile = True
    needs_text_widths = True
    sidecar_suffixes = (".shp", ".shx", ".dbf", ".prj", ".cpg")

    def __init__(self, directory, schema, srid, *, bom=False):
        super().__init__(directory, schema, srid, bom=bom)
        self.folder = self.directory / f"{schema.name}-shapefile"
        self.folder.mkdir(parents=True, exist_ok=True)

    @property
    def _ogr_path(self):
        return self.folder / f"{self.schema.name}.shp"

    def _field_names(self, field):
        return field.shapefile_names()

    def begin(self, text_widths=None):
        widths = self._dbf_widths(text_widths or {})
        super().begin()
        set_dbf_text_widths(self._ogr_path.with_suffix(".dbf"), widths)

    def _dbf_widths(self, text_widths):
        """Width in bytes of each text column of the DBF, by short name."""
        widths = {}
        for field in self.schema.fields:
            if field.kind == DATETIME:
                widths[field.short_name] = ISO_DATETIME_LENGTH
                continue
            if field.kind != TEXT:
                continue
            largest = text_widths.get(field.name, 0)
            names = field.shapefile_names()
            if len(names) == 1:
                if largest > DBF_MAX_TEXT_BYTES:
                    raise FieldTooLongError(
                        _too_long_message(field.name, largest)
                    )
                widths[names[0]] = max(1, largest)
                continue
            # A part contains at least 251 bytes, since a cut never splits a character.
            used_parts = -(-largest // (DBF_MAX_TEXT_BYTES - 3)) if largest else 1
            for index, name in enumerate(names, start=1):
                if largest <= DBF_MAX_TEXT_BYTES:
                    widths[name] = max(1, largest) if index == 1 else 1
                else:
                    widths[name] = DBF_MAX_TEXT_BYTES if index <= used_parts else 1
        return widths

    def _split_parts(self, field, values, rows):
        count = field.parts
        columns = [[] for _ in range(count)]
        for value, row in zip(values, rows):
            if value is None:
                pieces = [None] * count
            elif len(value) <= _SAFE_TEXT_CHARACTERS:
                pieces = [value] + [""] * (count - 1)
            else:
                pieces = split_utf8(value)
                if len(pieces) > count:
                    raise FieldTooLongError(
                        _too_long_message(field.name, len(value.encode("utf-8")), row[0][0])
                    )
                pieces += [""] * (count - len(pieces))
            for column, piece in zip(columns, pieces):
                column.append(piece)
        return columns

    def _check_text(self, field, values, rows):
        for value, row in zip(values, rows):
            if value is None or len(value) <= _SAFE_TEXT_CHARACTERS:
                continue
            size = len(value.encode("utf-8"))
            if size > DBF_MAX_TEXT_BYTES:
                raise FieldTooLongError(_too_long_message(field.name, size, row[0][0]))

    def finish(self):
        dictionary = self.folder / "fields.csv"
        with dictionary.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(["nom_court", "nom_complet", "type", "signification"])
            writer.writerows(field_dictionary_rows(self.schema))
        members = [self._ogr_path.with_suffix(suffix) for suffix in self.sidecar_suffixes]
        with zipfile.ZipFile(self.path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for member in [*members, dictionary]:
                archive.write(member, arcname=member.name)
        for member in [*members, dictionary]:
            member.unlink()
        self.folder.rmdir()
        return self.path


def _too_long_message(field_name, size, feature=None):
    values = {
        "field": field_name,
        "size": size,
        "limit": DBF_MAX_TEXT_BYTES,
        "feature": feature,
    }
    if feature is None:
        message = _(
            "The field %(field)s has values of %(size)d bytes, more than a Shapefile "
            "field holds (%(limit)d bytes); export this layer as GeoPackage, GeoJSON or "
            "CSV instead."
        )
    else:
        message = _(
            "The field %(field)s of feature %(feature)s is %(size)d bytes long, more than "
            "its Shapefile fields hold; export this layer as GeoPackage, GeoJSON or CSV "
            "instead."
        )
    return message % values


def set_dbf_text_widths(dbf_path, widths):
    """Set the width of character fields in the header of an empty DBF file.

    pyogrio cannot pass field widths to GDAL, and GDAL creates text fields 80
    bytes wide. A DBF without records can be resized by rewriting its header
    alone. Each 32-byte field descriptor stores the field length at offset
    16, and the header stores the record length (1 deletion byte plus the
    field lengths) at offset 10. GDAL then appends records with these widths.
    """
    with open(dbf_path, "r+b") as handle:
        header = bytearray(handle.read(32))
        (records,) = struct.unpack_from("<I", header, 4)
        (header_length,) = struct.unpack_from("<H", header, 8)
        if records:
            raise ValueError(
                f"{dbf_path} already has {records} records; widths can only be set on "
                "an empty file."
            )
        descriptors = bytearray(handle.read(header_length - 32))
        record_length = 1
        offset = 0
        while offset + 32 <= len(descriptors) and descriptors[offset] != 0x0D:
            name = bytes(descriptors[offset : offset + 11]).split(b"\x00")[0].decode("ascii")
            field_type = chr(descriptors[offset + 11])
            if field_type == "C" and name in widths:
                descriptors[offset + 16] = widths[name]
                descriptors[offset + 17] = 0
            record_length += descriptors[offset + 16]
            offset += 32
        struct.pack_into("<H", header, 10, record_length)
        handle.seek(0)
        handle.write(header)
        handle.write(descriptors)


# --- text formats -------------------------------------------------------------


def _json_value(field, value):
    if value is None:
        return None
    if field.kind == DATETIME:
        return iso_datetime(value)
    if field.kind == DATE:
        return value.isoformat()
    if field.kind == REAL:
        return None if math.isnan(value) else value
    return value


def _geometries(rows):
    return shapely.from_wkb([row[1] for row in rows])


class GeoJSONWriter(VectorWriter):
    """RFC 7946 GeoJSON: WGS84 longitude then latitude, exterior rings counterclockwise.

    Coordinates have 7 decimals (about 1 cm). GeoJSON has no schema: an empty
    export is a FeatureCollection without features.
    """

    extension = ".geojson"
    media_type = "application/geo+json"
    fixed_srid = 4326

    def begin(self, text_widths=None):
        self.handle = self.path.open("w", encoding="utf-8")
        self.handle.write('{"type": "FeatureCollection", "features": [\n')
        self.first = True

    def write(self, rows):
        if not rows:
            return
        geometries = _geometries(rows)
        geometries = shapely.orient_polygons(geometries, exterior_cw=False)
        geometries = shapely.transform(geometries, lambda xy: np.round(xy, 7))
        texts = shapely.to_geojson(geometries)
        fields = self.schema.fields
        for row, geometry in zip(rows, texts):
            properties = {
                field.name: _json_value(field, value) for field, value in zip(fields, row[0])
            }
            feature = (
                '{"type": "Feature", "properties": '
                + json.dumps(properties, ensure_ascii=False)
                + ', "geometry": '
                + geometry
                + "}"
            )
            self.handle.write(feature if self.first else ",\n" + feature)
            self.first = False

    def finish(self):
        self.handle.write("\n]}\n")
        self.handle.close()
        return self.path


def _csv_value(field, value):
    if value is None:
        return ""
    if field.kind == DATETIME:
        return iso_datetime(value)
    if field.kind == DATE:
        return value.isoformat()
    if field.kind == BOOLEAN:
        return "true" if value else "false"
    if field.kind == REAL:
        return "" if math.isnan(value) else repr(value)
    return value


class CSVWriter(VectorWriter):
    """UTF-8 CSV, comma-separated, one row per feature.

    The columns are the full field names, then ``longitude`` and ``latitude``
    (WGS84 degrees: the point itself, or a point inside a polygon), then
    ``wkt_epsg_<srid>``: the geometry as WKT in the chosen CRS, whose EPSG code
    the column name carries. `bom` starts the file with a byte-order mark, so
    that Excel reads it as UTF-8.
    """

    extension = ".csv"
    media_type = "text/csv; charset=utf-8"
    needs_lonlat = True

    def begin(self, text_widths=None):
        self.handle = self.path.open(
            "w", encoding="utf-8-sig" if self.bom else "utf-8", newline=""
        )
        self.writer = csv.writer(self.handle)
        self.decimals = _decimals(self.srid)
        self.writer.writerow(
            [*self.schema.field_names, "longitude", "latitude", f"wkt_epsg_{self.srid}"]
        )

    def write(self, rows):
        if not rows:
            return
        wkts = shapely.to_wkt(_geometries(rows), rounding_precision=self.decimals, trim=True)
        fields = self.schema.fields
        for row, wkt in zip(rows, wkts):
            values = [_csv_value(field, value) for field, value in zip(fields, row[0])]
            self.writer.writerow([*values, row[2], row[3], wkt])

    def finish(self):
        self.handle.close()
        return self.path


WRITERS = {
    "shp": ShapefileWriter,
    "gpkg": GeoPackageWriter,
    "geojson": GeoJSONWriter,
    "csv": CSVWriter,
}
