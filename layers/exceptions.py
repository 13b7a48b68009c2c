"""Errors raised by the layer functions.

Views turn every `LayerError` into a 400 response carrying its message, so
each message names the argument, the value received and what to do.
"""


class LayerError(ValueError):
    """A layer cannot be computed from the arguments given."""


class InvalidParameterError(LayerError):
    """An argument (cell size, bandwidth, pixel size, neighbourhood) is out of range."""


class GridTooLargeError(LayerError):
    """The grid or raster would have more cells than the limit allows."""


class UnknownTerritoryError(LayerError):
    """A territory or territory set id is unknown or not visible to the user."""
