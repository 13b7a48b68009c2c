"""Import a GIS file as a new version of a territory set.

`import_territories` is the one entry point: the management command, the
upload pages and the demo loader all call it.
"""

import datetime
import json
import logging
import math
import tempfile
from dataclasses import dataclass, field

import numpy as np
import pyogrio
from django.conf import settings
from django.contrib.gis.geos import GEOSGeometry
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

import shapely
from pyproj import CRS

from territories import geometry
from territories.attachment import reattach_set
from territories.errors import (
    DuplicateCodeError,
    EncodingError,
    FieldNotFoundError,
    RejectedFeaturesError,
    TerritoryImportError,
    VersionConflictError,
)
from territories.field_choice import (
    CODE_FIELD_NAMES,
    NAME_FIELD_NAMES,
    NO_FIELD,
    choose_code_field,
    choose_name_field,
    present_candidates,
)
from territories.models import Territory, TerritorySet
from territories.sources import (
    BYTE_PRESERVING_ENCODING,
    decode_strings,
    locate_dataset,
    open_source,
)

logger = logging.getLogger(__name__)

CODE_MAX_LENGTH = Territory._meta.get_field("code").max_length
NAME_MAX_LENGTH = Territory._meta.get_field("name").max_length
POPULATION_MAX = 2**31 - 1
# How many rejected features an error message lists before "and N more".
LISTED_ISSUES = 5


@dataclass
class ImportReport:
    """Outcome of an import: what it found, changed and wrote.

    `repaired` and `rejected` list `geometry.FeatureIssue` objects that carry
    the feature number, a kind such as "null", "not_polygonal",
    "swapped_axes" or "repaired", and a reason in words. A feature's number
    is its id in the file when the file has feature ids (`numbering` is
    "file"), else its position counted from 1 (`numbering` is "position").
    """

    path: str
    format_name: str = ""
    layer: str = ""
    layers: list = field(default_factory=list)
    feature_count: int = 0
    crs: str = ""
    crs_source: str = ""
    encoding: str = ""
    encoding_source: str = ""
    fields: list = field(default_factory=list)
    numbering: str = "position"
    # Field used for the codes and the names, and how it was chosen: "given",
    # "guessed" or "none" (feature numbers as codes, codes as names).
    code_field: str | None = None
    code_field_source: str = "none"
    name_field: str | None = None
    name_field_source: str = "none"
    imported_count: int = 0
    repaired: list = field(default_factory=list)
    rejected: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    version: int = 1
    previous_version: TerritorySet | None = None
    territory_set: TerritorySet | None = None
    attached: int | None = None
    outside: int | None = None
    dry_run: bool = False
    # True when the user asked for no code field (NO_FIELD).
    numbers_requested_as_codes: bool = False
    # Kept features in the working CRS, for the preview map: (code, name, geom).
    features: list = field(default_factory=list, repr=False)

    @property
    def crs_source_label(self):
        """How the CRS was found, in words."""
        return {
            "file": _("declared by the file"),
            "matched": _("recognised from the file's parameters"),
            "given": _("given by the user"),
            "unidentified": _("from the file, without EPSG code"),
        }.get(self.crs_source, self.crs_source)

    @property
    def encoding_source_label(self):
        """How the encoding was found, in words."""
        return {
            "format": _("fixed by the format"),
            "cpg": _("declared by the .cpg file"),
            "ldid": _("declared in the DBF header"),
            "detected": _("detected: UTF-8 tried first, then Windows-1252"),
            "given": _("given by the user"),
        }.get(self.encoding_source, self.encoding_source)

    @property
    def numbering_label(self):
        """How features are numbered in the messages, in words."""
        if self.numbering == "file":
            return _("feature id from the file")
        return _("position in the file, counted from 1")

    @property
    def code_field_label(self):
        """Which field gives the codes and how it was chosen, in words."""
        if self.code_field_source == "none":
            if self.numbers_requested_as_codes:
                return _("none: the codes are the feature numbers")
            return _("no code field found: the codes are the feature numbers")
        return self._field_label(self.code_field, self.code_field_source)

    @property
    def name_field_label(self):
        """Which field gives the names and how it was chosen, in words."""
        if self.name_field_source == "none":
            return _("none: the names are the codes")
        return self._field_label(self.name_field, self.name_field_source)

    @staticmethod
    def _field_label(name, source):
        if source == "guessed":
            return _("%(field)s (chosen automatically)") % {"field": name}
        return name

    def rejected_by_kind(self):
        """Return {kind: count} of the rejected features."""
        counts = {}
        for issue in self.rejected:
            counts[issue.kind] = counts.get(issue.kind, 0) + 1
        return counts

    def to_geojson(self, simplify_m=0.0):
        """Return the kept features as a GeoJSON FeatureCollection in EPSG:4326.

        `simplify_m` is a Douglas-Peucker tolerance in metres of the working
        CRS, applied before reprojection with the topology preserved.
        """
        to_wgs84 = CRS.from_epsg(4326)
        geoms = np.array([geom for _code, _name, geom in self.features], dtype=object)
        if simplify_m:
            simplified = shapely.simplify(geoms, simplify_m, preserve_topology=True)
            # GEOS returns a single-part MultiPolygon as a Polygon.
            geoms = np.array(
                [geometry.as_multipolygon(geom) for geom in simplified], dtype=object
            )
        geoms = geometry.reproject(
            geoms, CRS.from_epsg(settings.WORKING_SRID), to_wgs84
        )
        return {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"code": code, "name": name},
                    "geometry": json.loads(shapely.to_geojson(geom, indent=None)),
                }
                for (code, name, _geom), geom in zip(self.features, geoms)
            ],
        }

    def summary_lines(self, details=True):
        """Describe the report in lines of text; `details` lists every feature issue."""
        lines = [
            _("%(path)s: %(format)s layer %(layer)s, %(count)d features")
            % {
                "path": self.path,
                "format": self.format_name,
                "layer": self.layer,
                "count": self.feature_count,
            },
            _("CRS %(crs)s (%(how)s), encoding %(encoding)s (%(encoding_how)s)")
            % {
                "crs": self.crs,
                "how": self.crs_source,
                "encoding": self.encoding,
                "encoding_how": self.encoding_source,
            },
            _("fields: %(fields)s") % {"fields": ", ".join(n for n, _t in self.fields)},
            _("code field: %(code)s; name field: %(name)s")
            % {"code": self.code_field_label, "name": self.name_field_label},
            _("features are numbered by %(numbering)s") % {"numbering": self.numbering_label},
        ]
        lines += [_("warning: %(text)s") % {"text": text} for text in self.warnings]
        if not details:
            return lines
        lines += [
            _("repaired feature %(fid)s: %(reason)s") % issue.as_dict()
            for issue in self.repaired
        ]
        lines += [
            _("rejected feature %(fid)s %(label)s: %(reason)s") % issue.as_dict()
            for issue in self.rejected
        ]
        return lines


def import_territories(
    path,
    *,
    organisation,
    slug,
    kind,
    name=None,
    code_field=None,
    name_field=None,
    parent_field=None,
    parent_set=None,
    population_field=None,
    population_by_code=None,
    layer=None,
    encoding=None,
    source_srid=None,
    valid_from=None,
    source="",
    is_derived=False,
    strict=False,
    dry_run=False,
    file_name=None,
):
    """Import the polygons of a GIS file as a new version of a territory set.

    Parameters
    ----------
    path : str or Path
        A zipped Shapefile (the .shp may sit in a sub-folder), a .shp with its
        sidecar files, a GeoPackage, a GeoJSON (the legacy ``crs`` member is
        honoured), a FlatGeobuf, or a folder holding one of them.
    organisation : accounts.models.Organisation
        The tenant the set belongs to.
    slug : str
        Identifies the set within the organisation. Importing under an
        existing slug creates the next version.
    kind : str
        One of ``TerritorySet.Kind`` ("commune", "district", "qpv", "iris",
        "landlord_estate", "patrol_sector"). A new version keeps the kind of
        the previous one.
    name : str, optional
        Display name of the set. Defaults to the previous version's name, or
        to the slug.
    code_field, name_field : str, optional
        Fields holding each territory's code (unique in the file) and name.
        Field names match exactly or, failing that, ignoring case. When not
        given, they are chosen among the usual field names (see
        `territories.field_choice`). ``NO_FIELD`` ("-"), or a code field
        that cannot be chosen, makes the feature numbers the codes, and the
        name defaults to the code.
    parent_field : str, optional
        Field holding the code of each territory's parent.
    parent_set : str, optional
        Slug of the organisation's set whose latest version contains the
        parents. Without it, parents are looked up in the imported file.
    population_field : str, optional
        Numeric field holding the population, rounded to an integer.
    population_by_code : mapping, optional
        Population per territory code, from another table (for instance an
        INSEE census file); it wins over `population_field`.
    layer : str, optional
        Layer of a GeoPackage, or dataset of an archive that contains several.
        Required when there is a choice.
    encoding : str, optional
        Encoding of a Shapefile's DBF. Defaults to its .cpg file, then to the
        DBF's language driver id, then to detection (strict UTF-8, then
        Windows-1252, then ISO-8859-1). Other formats are UTF-8.
    source_srid : int, optional
        EPSG code of the file's coordinates, for a file that declares none
        (a Shapefile without .prj); it overrides a declared CRS.
    valid_from : datetime.date, optional
        First day of validity. For a new version it defaults to today, and
        an open previous version is closed on the day before.
    source : str, optional
        Where the polygons come from (publisher, file, date).
    is_derived : bool, optional
        True when the polygons were computed, not published as such.
    strict : bool, optional
        Fail when any feature is rejected, instead of leaving it out.
    dry_run : bool, optional
        Read, check and repair, but write nothing.
    file_name : str, optional
        Name of the file as the user knows it, for messages: an uploaded
        archive is extracted to a folder with another name.

    Returns
    -------
    ImportReport
        Feature count, CRS and encoding with how they were found, fields,
        repaired and rejected features with their ids and reasons, the
        created TerritorySet (None for a dry run) and, once written, the
        number of interventions attached to the set and left outside it.

    Raises
    ------
    TerritoryImportError
        One subclass per failure kind (see `territories.errors`); nothing is
        written in that case.

    Notes
    -----
    Geometries are reprojected to ``settings.WORKING_SRID`` with pyproj,
    longitude (or easting) first whatever the CRS's axis order. Z and M
    values are dropped. Polygons become MultiPolygons; invalid ones are
    repaired with GEOS make_valid, keeping the polygonal parts. Null, empty
    and non-polygonal geometries, and coordinates that cannot lie in the
    declared CRS within the working CRS's area of use, are rejected by
    feature id. The whole write, including the previous version's closing
    and the re-attachment of the organisation's interventions to the new
    set, is one transaction.
    """
    _check_arguments(organisation, slug, kind)
    report = ImportReport(path=str(path), dry_run=dry_run)

    with tempfile.TemporaryDirectory(prefix="territory-import-") as workdir:
        dataset, layer = locate_dataset(
            path, workdir, layer=layer, file_name=file_name
        )
        src = open_source(
            dataset, layer=layer, encoding=encoding, source_srid=source_srid
        )
        _describe_source(report, src)
        requested = {
            "code": code_field,
            "name": name_field,
            "parent": parent_field,
            "population": population_field,
        }
        mapping = _resolve_fields(src, **requested)
        frame = _read_frame(src)
    numbers = _number_features(report, src, frame)
    _choose_fields(report, mapping, requested, frame)
    try:
        rows = _prepare_rows(report, src, frame, numbers, mapping, population_by_code)
        _check_rejections(report, rows, strict)
    except TerritoryImportError as exc:
        # The preview page shows the fields chosen even when the import fails.
        exc.report = report
        raise

    previous = _latest_version(organisation, slug)
    report.previous_version = previous
    report.version = previous.version + 1 if previous else 1
    if dry_run:
        logger.info(
            "dry run of %s for %s/%s: %d of %d features usable",
            path,
            organisation.slug,
            slug,
            len(rows),
            report.feature_count,
        )
        return report

    _write(
        report,
        rows,
        organisation=organisation,
        slug=slug,
        kind=kind,
        name=name,
        parent_set=parent_set,
        valid_from=valid_from,
        source=source,
        is_derived=is_derived,
    )
    logger.info(
        "imported %s as %s/%s v%d: %d territories, %d repaired, %d rejected, "
        "%d interventions attached, %d outside",
        path,
        organisation.slug,
        slug,
        report.version,
        report.imported_count,
        len(report.repaired),
        len(report.rejected),
        report.attached,
        report.outside,
    )

    return report


# --- checking the arguments and the file --------------------------------------


def _check_arguments(organisation, slug, kind):
    if organisation is None or getattr(organisation, "pk", None) is None:
        raise TerritoryImportError(
            _("Choose the organisation the territories belong to.")
        )
    if not slug or slugify(slug) != slug:
        raise TerritoryImportError(
            _(
                "The set slug %(slug)r is invalid; use lowercase letters, digits and hyphens."
            )
            % {"slug": slug}
        )
    if kind not in TerritorySet.Kind.values:
        raise TerritoryImportError(
            _("The kind %(kind)r is unknown; choose one of: %(kinds)s.")
            % {"kind": kind, "kinds": ", ".join(TerritorySet.Kind.values)}
        )


def _describe_source(report, src):
    report.format_name = src.format_name
    report.layer = src.layer
    report.layers = src.layers
    report.feature_count = src.info["features"]
    report.crs, report.crs_source = src.crs_label, src.crs_source
    report.encoding, report.encoding_source = src.encoding_label, src.encoding_source
    report.fields = list(zip(src.info["fields"], src.info["dtypes"]))
    report.warnings.extend(src.warnings)


def _resolve_fields(src, **requested):
    """Return {role: actual field name or None}, matching case-insensitively."""
    fields = src.fields
    resolved = {}
    for role, wanted in requested.items():
        if not wanted or wanted == NO_FIELD:
            resolved[role] = None
            continue
        if wanted in fields:
            resolved[role] = wanted
            continue
        matches = [f for f in fields if f.lower() == wanted.lower()]
        if len(matches) != 1:
            raise FieldNotFoundError(
                _(
                    "The %(role)s field %(field)r is not in the layer %(layer)s; "
                    "its fields are: %(fields)s."
                )
                % {
                    "role": role,
                    "field": wanted,
                    "layer": src.layer,
                    "fields": ", ".join(fields) or "-",
                }
            )
        resolved[role] = matches[0]
    return resolved


def _read_frame(src):
    try:
        frame = pyogrio.read_dataframe(
            src.path,
            layer=src.layer,
            encoding=BYTE_PRESERVING_ENCODING if src.encoding else None,
            fid_as_index=True,
            force_2d=True,
        )
        if src.encoding:
            decode_strings(frame, src.encoding)
        return frame
    except UnicodeDecodeError as exc:
        raise EncodingError(
            _(
                "The attributes of %(name)s cannot be decoded as %(encoding)s (%(error)s); "
                "give the right encoding."
            )
            % {"name": src.path.name, "encoding": src.encoding_label, "error": exc}
        ) from exc


def _number_features(report, src, frame):
    """Return the number of each feature as the user sees it in a GIS.

    A GeoPackage keeps a feature id column, and GDAL takes the integer "id"
    members of GeoJSON features as FIDs: those ids are the numbers. Shapefile,
    FlatGeobuf and GeoJSON without ids get FIDs from 0 in file order, which
    the numbers replace with positions counted from 1.
    """
    fids = np.asarray(frame.index, dtype=np.int64)
    positions = np.arange(len(fids), dtype=np.int64)
    has_ids = bool(src.info.get("fid_column"))
    if src.format_name == "GeoJSON":
        # NOTE: GeoJSON ids that are exactly 0, 1, 2... in file order look like
        # generated FIDs, so they are shown as positions (the id plus 1).
        has_ids = not np.array_equal(fids, positions)
    if has_ids:
        report.numbering = "file"
        return fids
    report.numbering = "position"
    return positions + 1


def _choose_fields(report, mapping, requested, frame):
    """Fill in the code and name fields that the user left to the importer."""
    columns = [name for name in frame.columns if name != frame.geometry.name]
    report.numbers_requested_as_codes = requested["code"] == NO_FIELD
    if requested["code"] is None:
        candidates = present_candidates(columns, CODE_FIELD_NAMES)
        mapping["code"], warnings = choose_code_field(_text_columns(frame, candidates))
        report.warnings.extend(warnings)
        report.code_field_source = "guessed" if mapping["code"] else "none"
    else:
        report.code_field_source = "given" if mapping["code"] else "none"
    report.code_field = mapping["code"]

    if requested["name"] is None:
        candidates = [
            name
            for name in present_candidates(columns, NAME_FIELD_NAMES)
            if name != mapping["code"]
        ]
        mapping["name"] = choose_name_field(_text_columns(frame, candidates))
        report.name_field_source = "guessed" if mapping["name"] else "none"
    else:
        report.name_field_source = "given" if mapping["name"] else "none"
    report.name_field = mapping["name"]


def _text_columns(frame, names):
    return {
        name: [_as_text(value) or None for value in frame[name]] for name in names
    }


# --- preparing the rows -------------------------------------------------------


@dataclass
class _Row:
    fid: int
    code: str
    name: str
    parent_code: str | None
    population: int | None
    properties: dict
    geom: object


def _prepare_rows(report, src, frame, fids, mapping, population_by_code):
    geoms = np.asarray(frame.geometry.array, dtype=object)
    attributes = frame.drop(columns=frame.geometry.name)
    labels = _labels(attributes, mapping)

    rejects = geometry.reject_unusable(geoms, fids)
    working_crs = CRS.from_epsg(settings.WORKING_SRID)
    rejects |= geometry.find_implausible_coordinates(
        geoms, fids, src.crs, working_crs, skip=rejects
    )
    projected = geometry.reproject(
        [None if pos in rejects else geom for pos, geom in enumerate(geoms)],
        src.crs,
        working_crs,
    )
    cleaned, repairs, more_rejects = geometry.make_polygonal(
        projected, fids, working_crs, skip=rejects
    )
    rejects |= more_rejects

    rows = []
    records = attributes.to_dict(orient="records")
    for position, record in enumerate(records):
        if position in rejects:
            continue
        row, issue = _make_row(int(fids[position]), record, cleaned[position], mapping)
        if issue is not None:
            rejects[position] = issue
            continue
        rows.append(row)

    for position, issue in rejects.items():
        issue.label = labels[position]
    report.rejected = [rejects[pos] for pos in sorted(rejects)]
    report.repaired = [repairs[pos] for pos in sorted(repairs) if pos not in rejects]
    for position, issue in repairs.items():
        issue.label = labels[position]

    _check_unique_codes(rows, mapping["code"])
    _set_populations(report, rows, population_by_code)
    _truncate_names(report, rows)
    report.features = [(row.code, row.name, row.geom) for row in rows]
    report.imported_count = len(rows)

    return rows


def _labels(attributes, mapping):
    column = mapping["name"] or mapping["code"]
    if column is None:
        return [""] * len(attributes)
    return [_as_text(value) or "" for value in attributes[column]]


def _make_row(fid, record, geom, mapping):
    code = _as_text(record.get(mapping["code"])) if mapping["code"] else str(fid)
    if not code:
        return None, geometry.FeatureIssue(
            fid,
            "missing_code",
            _("no value in the code field %(field)s") % {"field": mapping["code"]},
        )
    if len(code) > CODE_MAX_LENGTH:
        return None, geometry.FeatureIssue(
            fid,
            "code_too_long",
            _("the code %(code)s is longer than %(max)d characters")
            % {"code": code[:40] + "…", "max": CODE_MAX_LENGTH},
        )
    name = _as_text(record.get(mapping["name"])) if mapping["name"] else None
    parent = _as_text(record.get(mapping["parent"])) if mapping["parent"] else None
    population = record.get(mapping["population"]) if mapping["population"] else None
    row = _Row(
        fid=fid,
        code=code,
        name=name or code,
        parent_code=parent or None,
        population=population,
        properties=_json_safe(record),
        geom=geom,
    )
    return row, None


def _as_text(value):
    """Return a field value as a stripped string: 7 and 7.0 both give "7"."""
    if value is None:
        return None
    if isinstance(value, float):
        if math.isnan(value):
            return None
        if value.is_integer():
            return str(int(value))
    if isinstance(value, np.generic):
        return _as_text(value.item())
    return str(value).strip()


def _json_safe(record):
    safe = {}
    for key, value in record.items():
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, float) and not math.isfinite(value):
            value = None
        elif isinstance(value, (datetime.date, datetime.datetime, datetime.time)):
            value = value.isoformat()
        elif hasattr(value, "isoformat"):
            value = None if value != value else value.isoformat()
        elif isinstance(value, bytes):
            value = None
        elif value is not None and not isinstance(value, (str, int, float, bool)):
            value = str(value)
        safe[str(key)] = value
    return safe


def _check_unique_codes(rows, code_field):
    numbers_by_code = {}
    for row in rows:
        numbers_by_code.setdefault(row.code, []).append(row.fid)
    duplicates = [
        _("%(code)s (features %(numbers)s)")
        % {"code": code, "numbers": _listed(numbers)}
        for code, numbers in numbers_by_code.items()
        if len(numbers) > 1
    ]
    if duplicates:
        raise DuplicateCodeError(
            _(
                "The code field %(field)s is not unique: %(count)d codes appear on "
                "several features: %(values)s. Correct the file, or choose a code "
                "field with one value per feature, or none to number the features."
            )
            % {
                "field": code_field,
                "count": len(duplicates),
                "values": _listed(duplicates),
            }
        )


def _set_populations(report, rows, population_by_code):
    invalid = []
    for row in rows:
        value = row.population
        if population_by_code is not None:
            value = population_by_code.get(row.code)
        row.population = None
        if value is None or value == "":
            continue
        try:
            number = float(
                str(value).replace(",", ".").replace("\u00a0", "").replace(" ", "")
            )
        except ValueError:
            invalid.append(f"{row.code}={value}")
            continue
        if not math.isfinite(number) or number < 0 or number > POPULATION_MAX:
            invalid.append(f"{row.code}={value}")
            continue
        row.population = round(number)
    if invalid:
        report.warnings.append(
            _(
                "Population left empty for %(count)d features with an invalid value: %(values)s."
            )
            % {"count": len(invalid), "values": _listed(invalid)}
        )


def _truncate_names(report, rows):
    truncated = 0
    for row in rows:
        if len(row.name) > NAME_MAX_LENGTH:
            row.name = row.name[: NAME_MAX_LENGTH - 1] + "…"
            truncated += 1
    if truncated:
        report.warnings.append(
            _("%(count)d names longer than %(max)d characters were shortened.")
            % {"count": truncated, "max": NAME_MAX_LENGTH}
        )


def _check_rejections(report, rows, strict):
    if report.rejected and strict:
        raise RejectedFeaturesError(
            _("Strict import: %(count)d features were rejected: %(issues)s.")
            % {
                "count": len(report.rejected),
                "issues": _listed_issues(report.rejected),
            },
            report.rejected,
        )
    if not rows:
        raise RejectedFeaturesError(
            _("No feature of the layer %(layer)s can be imported: %(issues)s.")
            % {
                "layer": report.layer,
                "issues": _listed_issues(report.rejected)
                if report.rejected
                else _("empty layer"),
            },
            report.rejected,
        )


def _listed(values):
    shown = ", ".join(str(v) for v in values[:LISTED_ISSUES])
    if len(values) > LISTED_ISSUES:
        shown += " " + _("and %(count)d more") % {"count": len(values) - LISTED_ISSUES}
    return shown


def _listed_issues(issues):
    return _listed(
        [_("feature %(fid)s: %(reason)s") % issue.as_dict() for issue in issues]
    )


# --- writing --------------------------------------------------------------------


def _latest_version(organisation, slug, lock=False):
    queryset = TerritorySet.objects.filter(organisation=organisation, slug=slug)
    if lock:
        queryset = queryset.select_for_update()
    return queryset.order_by("-version").first()


@transaction.atomic
def _write(
    report,
    rows,
    *,
    organisation,
    slug,
    kind,
    name,
    parent_set,
    valid_from,
    source,
    is_derived,
):
    previous = _latest_version(organisation, slug, lock=True)
    valid_from = _close_previous_version(previous, kind, valid_from)
    territory_set = TerritorySet.objects.create(
        organisation=organisation,
        slug=slug,
        kind=kind,
        name=name or (previous.name if previous else slug),
        source=source,
        version=previous.version + 1 if previous else 1,
        valid_from=valid_from,
        is_derived=is_derived,
    )
    Territory.objects.bulk_create(
        [
            Territory(
                territory_set=territory_set,
                code=row.code,
                name=row.name,
                population=row.population,
                properties=row.properties,
                geom=GEOSGeometry(
                    memoryview(shapely.to_wkb(row.geom)), srid=settings.WORKING_SRID
                ),
            )
            for row in rows
        ],
        batch_size=500,
    )
    _link_parents(report, territory_set, rows, organisation, parent_set)
    report.attached = reattach_set(territory_set.pk)
    report.outside = _count_interventions(organisation) - report.attached
    report.territory_set = territory_set
    report.version = territory_set.version
    report.previous_version = previous


def _close_previous_version(previous, kind, valid_from):
    """Close an open previous version on the day before `valid_from`; return that date."""
    if previous is None:
        return valid_from
    if previous.kind != kind:
        raise VersionConflictError(
            _("The set %(slug)s holds territories of kind %(old)s, not %(new)s.")
            % {"slug": previous.slug, "old": previous.kind, "new": kind}
        )
    if valid_from is None:
        valid_from = timezone.localdate()
    if previous.valid_to is None:
        if previous.valid_from is not None and previous.valid_from >= valid_from:
            raise VersionConflictError(
                _(
                    "Version %(version)d of %(slug)s is valid from %(start)s, so a new "
                    "version cannot start on %(new)s; give a later valid-from date."
                )
                % {
                    "version": previous.version,
                    "slug": previous.slug,
                    "start": previous.valid_from.isoformat(),
                    "new": valid_from.isoformat(),
                }
            )
        previous.valid_to = valid_from - datetime.timedelta(days=1)
        previous.save(update_fields=["valid_to"])
    return valid_from


def _link_parents(report, territory_set, rows, organisation, parent_set):
    with_parent = [row for row in rows if row.parent_code]
    if not with_parent:
        return
    if parent_set:
        parents = _latest_version(organisation, parent_set)
        if parents is None:
            raise TerritoryImportError(
                _("The parent set %(slug)s does not exist in %(organisation)s.")
                % {"slug": parent_set, "organisation": organisation}
            )
    else:
        parents = territory_set
    parent_ids = dict(parents.territories.values_list("code", "id"))
    own_ids = dict(territory_set.territories.values_list("code", "id"))
    updates, unknown = [], []
    for row in with_parent:
        parent_id = parent_ids.get(row.parent_code)
        if parent_id is None:
            unknown.append(row.parent_code)
            continue
        updates.append(Territory(id=own_ids[row.code], parent_id=parent_id))
    Territory.objects.bulk_update(updates, ["parent"], batch_size=500)
    if unknown:
        report.warnings.append(
            _("%(count)d parent codes match no territory of %(set)s: %(codes)s.")
            % {
                "count": len(unknown),
                "set": parents,
                "codes": _listed(sorted(set(unknown))),
            }
        )


def _count_interventions(organisation):
    from interventions.models import Intervention

    return Intervention.objects.filter(organisation=organisation).count()
