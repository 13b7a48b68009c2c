"""Charts of a zone report as SVG, drawn with matplotlib.

Charts plot only published figures: a hidden count leaves a gap, so a chart
never shows what its table hides.
"""

import base64
import io
import math

from django.utils.translation import gettext as _
from matplotlib.collections import PatchCollection
from matplotlib.figure import Figure
from matplotlib.patches import Polygon as PolygonPatch

ACCENT = "#0b6e4f"
MUTED = "#8a96a0"
HOT = "#c0392b"
COLD = "#2c6fbb"


def _svg(figure):
    buffer = io.BytesIO()
    figure.savefig(buffer, format="svg", bbox_inches="tight")
    return buffer.getvalue().decode("utf-8")


def data_uri(svg_text):
    """Encode the SVG as a data: URI for an <img> (the CSP allows data: images)."""
    encoded = base64.b64encode(svg_text.encode("utf-8")).decode("ascii")
    return f"data:image/svg+xml;base64,{encoded}"


def series_chart(labels, values, verdict=None, *, title=""):
    """Line chart of a count series; None values are drawn as gaps.

    When `verdict` is conclusive and carries a slope, the Sen line is drawn.
    """
    figure = Figure(figsize=(8, 3.2))
    axes = figure.add_subplot()
    positions = list(range(len(values)))
    plotted = [math.nan if value is None else value for value in values]
    axes.plot(
        positions, plotted, marker="o", color=ACCENT, linewidth=2, label=_("entries")
    )
    if verdict is not None and verdict.is_conclusive and verdict.slope is not None:
        line = [verdict.intercept + verdict.slope * position for position in positions]
        axes.plot(
            positions, line, linestyle="--", color=MUTED, label=_("Sen's slope line")
        )
        axes.legend(loc="upper left", frameon=False)
    step = max(1, len(labels) // 12)
    axes.set_xticks(positions[::step])
    axes.set_xticklabels(labels[::step], rotation=45, ha="right")
    axes.set_ylim(bottom=0)
    axes.set_ylabel(_("entries"))
    axes.spines[["top", "right"]].set_visible(False)
    if title:
        axes.set_title(title, loc="left")
    return _svg(figure)


def comparison_bars(labels, current, previous, *, title=""):
    """Horizontal bars of the period against the previous period; None is not drawn."""
    figure = Figure(figsize=(8, 0.4 * max(len(labels), 3) + 1))
    axes = figure.add_subplot()
    positions = list(range(len(labels)))
    height = 0.4
    axes.barh(
        [p - height / 2 for p in positions],
        [0 if value is None else value for value in current],
        height,
        color=ACCENT,
        label=_("period"),
    )
    axes.barh(
        [p + height / 2 for p in positions],
        [0 if value is None else value for value in previous],
        height,
        color=MUTED,
        label=_("previous period"),
    )
    axes.set_yticks(positions)
    axes.set_yticklabels(labels)
    axes.invert_yaxis()
    axes.legend(loc="lower right", frameon=False)
    axes.spines[["top", "right"]].set_visible(False)
    if title:
        axes.set_title(title, loc="left")
    return _svg(figure)


def zone_map(zone_geom, cells):
    """Static map of the zone outline and its listed cells, in the working CRS.

    For the PDF, which cannot run Leaflet. `cells` are dicts with a GEOS
    ``geom`` and a ``gi_bin``.
    """
    figure = Figure(figsize=(6, 6))
    axes = figure.add_subplot()
    if zone_geom is not None:
        for polygon in zone_geom:
            for ring in polygon:
                xs, ys = zip(*ring.coords)
                axes.plot(xs, ys, color=ACCENT, linewidth=2)
    patches, colours = [], []
    for cell in cells:
        for polygon in _polygons(cell["geom"]):
            patches.append(PolygonPatch(polygon.exterior_ring.coords, closed=True))
            colours.append(_cell_colour(cell["gi_bin"]))
    if patches:
        axes.add_collection(
            PatchCollection(patches, facecolor=colours, edgecolor="#333333", alpha=0.6)
        )
    axes.set_aspect("equal")
    axes.set_axis_off()
    axes.autoscale_view()
    return _svg(figure)


def _cell_colour(gi_bin):
    if gi_bin > 0:
        return HOT
    if gi_bin < 0:
        return COLD
    return MUTED


def _polygons(geom):
    if geom.geom_type == "Polygon":
        return [geom]
    return list(geom)
