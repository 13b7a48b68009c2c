"""Failures of a territory import, one class per kind.

Every message names the value at fault and what to do, so that the management
command, the upload page and the demo loader can show it as it is.
"""


class TerritoryImportError(Exception):
    """Base class: the import was rejected and nothing was written."""


class UnsupportedFileError(TerritoryImportError):
    """The file is not a zipped Shapefile, GeoPackage, GeoJSON or FlatGeobuf."""


class UnsafeArchiveError(TerritoryImportError):
    """The archive has a dangerous member or expands beyond the limits."""


class LayerNotFoundError(TerritoryImportError):
    """The layer is missing, or the file has several layers and none was chosen."""


class FieldNotFoundError(TerritoryImportError):
    """A field name given for the code, name, parent or population is not in the layer."""


class MissingCrsError(TerritoryImportError):
    """The file declares no CRS and no source SRID was given."""


class InvalidCrsError(TerritoryImportError):
    """The declared or given CRS is unknown or cannot be reprojected."""


class EncodingError(TerritoryImportError):
    """The attribute table cannot be decoded with the given or detected encoding."""


class DuplicateCodeError(TerritoryImportError):
    """The code field has the same value on several features."""


class RejectedFeaturesError(TerritoryImportError):
    """Features were rejected and the import is strict, or no feature is usable."""

    def __init__(self, message, rejected):
        super().__init__(message)
        self.rejected = rejected


class VersionConflictError(TerritoryImportError):
    """The new version does not fit after the previous one (kind or dates)."""
