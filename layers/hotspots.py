"""Hot and cold spots of entries: Getis-Ord Gi* on the hexagonal grid counts.

The statistic comes from esda: ``G_Local`` with ``star=True`` and binary
libpysal weights, the form of Ord and Getis (1995) that ArcGIS's Hot Spot
Analysis also uses. This module chooses the neighbourhood, guards against data
too thin to test, and turns p-values into confidence classes after a
Benjamini-Hochberg false discovery rate correction.
"""

import math
import warnings
from dataclasses import dataclass, field

import numpy as np
from django.utils.translation import gettext as _
from esda.getisord import G_Local
from libpysal.graph import Graph
from scipy import stats

import geopandas as gpd

from layers.exceptions import InvalidParameterError
from layers.grid import DEFAULT_CELL_SIZE, hex_grid_counts, lattice_neighbours

CONTIGUITY = "contiguity"
DEFAULT_PERMUTATIONS = 999
DEFAULT_SEED = 20240601
DEFAULT_ALPHA_FDR = 0.10
# Confidence classes as in ArcGIS's Gi_Bin: |bin| 3, 2, 1 for 99, 95, 90 %.
CONFIDENCE_LEVELS = ((3, 0.01), (2, 0.05), (1, 0.10))
# Below these the map would show noise. ArcGIS's Hot Spot Analysis requires
# at least 30 features, and a pattern needs several cells with entries.
MIN_TESTED_CELLS = 30
MIN_CELLS_WITH_ENTRIES = 5

INFERENCES = ("normal", "permutation")


@dataclass
class HotspotResult:
    """Gi* hot spot layer and how it was computed.

    Attributes
    ----------
    cells : GeoDataFrame
        One row per grid cell in the working CRS, with the columns
        ``cell_id``, ``i``, ``j``, ``count``, ``gi_z`` (z-score), ``gi_p``
        (two-sided p-value used for the class), ``gi_bin`` (-3..3),
        ``neighbours`` (number of neighbouring cells, self excluded),
        ``is_island`` and ``geometry``. ``gi_p_norm`` and ``gi_p_sim`` are
        the two-sided p-values from the normal approximation and from the
        permutations. No column contains NaN.
    message : str or None
        Why no cell was tested (translated sentence), or None when the
        statistic was computed.
    """

    cells: gpd.GeoDataFrame
    message: str | None
    cell_size: float
    neighbourhood: object
    permutations: int
    seed: int
    alpha_fdr: float | None
    inference: str
    fdr_thresholds: dict = field(default_factory=dict)

    @property
    def is_tested(self):
        return self.message is None


def hotspot_layer(
    interventions_qs,
    *,
    cell_size=DEFAULT_CELL_SIZE,
    extent=None,
    neighbourhood=CONTIGUITY,
    permutations=DEFAULT_PERMUTATIONS,
    seed=DEFAULT_SEED,
    alpha_fdr=DEFAULT_ALPHA_FDR,
    inference="normal",
):
    """Compute Getis-Ord Gi* hot and cold spots of entry counts per hexagon.

    Parameters
    ----------
    interventions_qs : QuerySet of Intervention
        Entries, already scoped to the user and filtered.
    cell_size : float, default 250
        Hexagon edge length in metres (see `hex_grid_counts`).
    extent : Territory queryset, GEOS geometry or None
        Area of the grid (see `hex_grid_counts`); None uses the bounding box
        of the entries.
    neighbourhood : "contiguity" or float, default "contiguity"
        "contiguity": the six hexagons sharing an edge with the cell (queen
        and rook contiguity coincide on hexagons). A number: every cell whose
        centre lies within that many metres of the cell's centre (binary
        distance band). The distance must be at least ``sqrt(3) * cell_size``,
        the distance between the centres of adjacent cells.
    permutations : int, default 999
        Conditional permutations for the pseudo p-values ``gi_p_sim``; 0 skips
        them (then `inference` must be "normal").
    seed : int, default 20240601
        Seed of the permutations, so that a layer computed twice is identical.
    alpha_fdr : float or None, default 0.10
        False discovery rate of the weakest class. Each class (99, 95, 90 %)
        whose level 1 - confidence is at most `alpha_fdr` gets its own
        Benjamini-Hochberg threshold (``esda.fdr``) over the tested cells.
        None classes raw p-values without correction.
    inference : {"normal", "permutation"}, default "normal"
        Which p-value drives the classes: the two-sided normal approximation
        of the z-score (as ArcGIS does), or the permutation p-value.

    Returns
    -------
    HotspotResult
        ``cells`` in the working CRS, and ``message`` when the data are too
        thin: fewer than 30 cells with a neighbour, fewer than 5 cells with
        entries among them, or the same count in every cell. In that case
        every cell has ``gi_z`` 0, ``gi_p`` 1 and ``gi_bin`` 0.

    Notes
    -----
    Weights are binary and the cell itself is included (``star=True``), so
    the statistic compares the sum over the cell and its neighbours with the
    grid's mean. Cells without any neighbour (islands, for instance a cell
    of a territory far from the others) are not tested: they are left out of
    the weights and get ``gi_z`` 0, ``gi_p`` 1, ``gi_bin`` 0 and
    ``is_island`` True. With the normal approximation the smallest reachable
    p-value has no floor; with permutations it is ``2 / (permutations + 1)``,
    which can be too coarse to reach 99 % after the correction on a large
    grid.
    """
    _check_arguments(neighbourhood, permutations, alpha_fdr, inference, cell_size)
    cells = hex_grid_counts(interventions_qs, cell_size=cell_size, extent=extent)

    result = hotspot_statistics(
        cells,
        neighbourhood=neighbourhood,
        permutations=permutations,
        seed=seed,
        alpha_fdr=alpha_fdr,
        inference=inference,
    )

    return result


def hotspot_statistics(
    cells,
    *,
    neighbourhood=CONTIGUITY,
    permutations=DEFAULT_PERMUTATIONS,
    seed=DEFAULT_SEED,
    alpha_fdr=DEFAULT_ALPHA_FDR,
    inference="normal",
):
    """Add Gi* columns to a grid from `hex_grid_counts`; see `hotspot_layer`."""
    cell_size = cells.attrs.get("cell_size", DEFAULT_CELL_SIZE)
    _check_arguments(neighbourhood, permutations, alpha_fdr, inference, cell_size)
    cells = _with_empty_statistics(cells)
    graph_arrays = _neighbour_arrays(cells, neighbourhood)
    cells["neighbours"] = np.bincount(graph_arrays[0], minlength=len(cells))
    cells["is_island"] = cells["neighbours"] == 0
    tested = ~cells["is_island"].to_numpy()
    settings_used = {
        "cell_size": cell_size,
        "neighbourhood": neighbourhood,
        "permutations": permutations,
        "seed": seed,
        "alpha_fdr": alpha_fdr,
        "inference": inference,
    }

    message = _too_little_data(cells["count"].to_numpy()[tested])
    if message:
        return HotspotResult(cells=cells, message=message, **settings_used)

    z, p_norm, p_sim = _run_gi_star(
        cells["count"].to_numpy()[tested], graph_arrays, tested, permutations, seed
    )
    p_used = p_norm if inference == "normal" else p_sim
    bins, thresholds = _confidence_bins(z, p_used, alpha_fdr)

    _assign(cells, tested, "gi_z", z)
    _assign(cells, tested, "gi_p", p_used)
    _assign(cells, tested, "gi_p_norm", p_norm)
    _assign(cells, tested, "gi_p_sim", p_sim)
    _assign(cells, tested, "gi_bin", bins)

    return HotspotResult(
        cells=cells, message=None, fdr_thresholds=thresholds, **settings_used
    )


def _check_arguments(neighbourhood, permutations, alpha_fdr, inference, cell_size):
    if neighbourhood != CONTIGUITY:
        try:
            distance = float(neighbourhood)
        except (TypeError, ValueError):
            distance = math.nan
        minimum = math.sqrt(3.0) * float(cell_size)
        if not math.isfinite(distance) or distance < minimum:
            raise InvalidParameterError(
                _(
                    'neighbourhood=%(value)s is not valid; use "contiguity" or a distance '
                    "in metres of at least %(minimum).0f (the distance between the centres "
                    "of adjacent cells)."
                )
                % {"value": neighbourhood, "minimum": minimum}
            )
    if not isinstance(permutations, int) or not 0 <= permutations <= 99_999:
        raise InvalidParameterError(
            _("permutations=%(value)s is not valid; give an integer from 0 to 99999.")
            % {"value": permutations}
        )
    if alpha_fdr is not None and not 0 < float(alpha_fdr) < 1:
        raise InvalidParameterError(
            _(
                "alpha_fdr=%(value)s is not valid; give a rate between 0 and 1, such as "
                "0.10, or None for no correction."
            )
            % {"value": alpha_fdr}
        )
    if inference not in INFERENCES:
        raise InvalidParameterError(
            _("inference=%(value)s is not valid; use one of: %(allowed)s.")
            % {"value": inference, "allowed": ", ".join(INFERENCES)}
        )
    if inference == "permutation" and permutations == 0:
        raise InvalidParameterError(
            _(
                "inference=permutation needs permutations; give permutations of 99 or more."
            )
        )


def _with_empty_statistics(cells):
    cells = cells.copy()
    cells["gi_z"] = 0.0
    cells["gi_p"] = 1.0
    cells["gi_p_norm"] = 1.0
    cells["gi_p_sim"] = 1.0
    cells["gi_bin"] = np.zeros(len(cells), dtype=np.int64)
    return cells


def _neighbour_arrays(cells, neighbourhood):
    """(focal, neighbour) positions of the grid's cells, self excluded."""
    if len(cells) == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    if neighbourhood == CONTIGUITY:
        return lattice_neighbours(cells["i"].to_numpy(), cells["j"].to_numpy())
    from scipy.spatial import cKDTree

    centres = np.column_stack(
        [cells.geometry.centroid.x.to_numpy(), cells.geometry.centroid.y.to_numpy()]
    )
    pairs = cKDTree(centres).query_pairs(float(neighbourhood), output_type="ndarray")
    focal = np.concatenate([pairs[:, 0], pairs[:, 1]])
    neighbour = np.concatenate([pairs[:, 1], pairs[:, 0]])
    return focal.astype(np.int64), neighbour.astype(np.int64)


def _too_little_data(counts):
    if len(counts) < MIN_TESTED_CELLS:
        return _(
            "Too little data for a hot spot analysis: the grid has %(cells)d cells with "
            "neighbours and at least %(minimum)d are needed. Widen the area or choose "
            "smaller cells."
        ) % {"cells": len(counts), "minimum": MIN_TESTED_CELLS}
    with_entries = int(np.count_nonzero(counts))
    if with_entries < MIN_CELLS_WITH_ENTRIES:
        return _(
            "Too little data for a hot spot analysis: only %(cells)d cells contain "
            "entries and at least %(minimum)d are needed. Widen the period or the "
            "filters."
        ) % {"cells": with_entries, "minimum": MIN_CELLS_WITH_ENTRIES}
    if np.all(counts == counts[0]):
        return _(
            "Too little data for a hot spot analysis: every cell has the same count "
            "(%(count)d), so no cell stands out."
        ) % {"count": int(counts[0])}
    return None


def _build_graph(graph_arrays, tested):
    """Binary libpysal Graph over the tested cells (positions renumbered)."""
    focal, neighbour = graph_arrays
    new_position = np.cumsum(tested) - 1
    focal = new_position[focal]
    neighbour = new_position[neighbour]
    order = np.lexsort((neighbour, focal))
    return Graph.from_arrays(
        focal[order], neighbour[order], np.ones(len(order), dtype=float)
    )


def _run_gi_star(counts, graph_arrays, tested, permutations, seed):
    graph = _build_graph(graph_arrays, tested)
    with warnings.catch_warnings():
        # esda warns that its default permutation alternative will change; the
        # folded pseudo p-value it returns today is doubled below.
        warnings.simplefilter("ignore", DeprecationWarning)
        gi = G_Local(
            counts.astype(float),
            graph,
            transform="B",
            permutations=permutations,
            star=True,
            keep_simulations=False,
            n_jobs=1,
            seed=seed,
        )
    z = np.asarray(gi.Zs, dtype=float)
    p_norm = np.minimum(1.0, 2.0 * stats.norm.sf(np.abs(z)))
    if permutations:
        p_sim = np.minimum(1.0, 2.0 * np.asarray(gi.p_sim, dtype=float))
    else:
        p_sim = np.ones_like(z)

    return z, p_norm, p_sim


def _confidence_bins(z, p, alpha_fdr):
    """Gi_Bin classes -3..3 and the p-value threshold used for each level."""
    from esda import fdr

    bins = np.zeros(len(z), dtype=np.int64)
    thresholds = {}
    for level, alpha in sorted(CONFIDENCE_LEVELS, key=lambda item: item[0]):
        if alpha_fdr is None:
            threshold = alpha
        elif alpha <= float(alpha_fdr) + 1e-12:
            # esda.fdr returns alpha / n when Benjamini-Hochberg rejects nothing.
            threshold = float(fdr(p, alpha))
        else:
            continue
        thresholds[alpha] = threshold
        significant = p <= threshold
        bins[significant] = level * np.sign(z[significant]).astype(np.int64)
    return bins, thresholds


def _assign(cells, tested, column, values):
    column_values = cells[column].to_numpy().copy()
    column_values[tested] = values
    cells[column] = column_values
