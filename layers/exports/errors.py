"""Errors raised while preparing or writing an export.

Views turn `ExportPermissionError` into 403 and every other `ExportError` into
400 with its message; the management command turns them into `CommandError`.
"""


class ExportError(ValueError):
    """An export cannot be made from the arguments given."""


class UnknownLayerError(ExportError):
    """The layer name is not one of the exported layers."""


class UnsupportedFormatError(ExportError):
    """The format is unknown or not offered for the layer."""


class UnsupportedSridError(ExportError):
    """The SRID is not one of the offered coordinate reference systems."""


class MissingParameterError(ExportError):
    """The layer needs a parameter the request did not give (a territory set)."""


class InvalidOptionError(ExportError):
    """An export option (cell size, bandwidth, BOM flag) is not valid."""


class FieldTooLongError(ExportError):
    """A text value does not fit in a Shapefile field, even split into its parts."""


class ExportPermissionError(ExportError):
    """The user's role may not export this layer."""
