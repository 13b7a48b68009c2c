"""Time the hot spot layer against a plain geopandas + esda pipeline.

For each size, the script plants entries in a scratch database: 70 % uniform
over a square of --side-km, 30 % in 25 Gaussian clusters of 150 m. It then
builds the Gi* layer two ways on the same entries and the same hexagon
lattice (250 m by default):

- ours: `hex_grid_counts` (binning and counting in PostGIS), then
  `hotspot_statistics` (lattice neighbours, esda G_Local, FDR classes);
- plain: load every point into geopandas, build the hexagons with shapely,
  spatial join and count, libpysal Queen weights from the polygons, esda
  G_Local and esda.fdr.

Each step runs twice: once for the time, once under tracemalloc for the peak
of Python allocations (numpy included). Memory used inside PostgreSQL is not
counted. The scratch database is created on the server of DATABASE_URL and
dropped at the end.

    .venv/bin/python benchmarks/hotspots.py                      # 100k and 1M
    .venv/bin/python benchmarks/hotspots.py --sizes 100000       # quicker
"""

import argparse
import gc
import math
import os
import sys
import time
import tracemalloc
import uuid
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scratch_db import create_database as _create_database  # noqa: E402
from scratch_db import drop_database as _drop_database  # noqa: E402
from scratch_db import with_database as _with_database  # noqa: E402

# Lower-left corner of the study square, in Lambert-93 (south of Paris).
ORIGIN_X, ORIGIN_Y = 640000.0, 6840000.0
CLUSTERS = 25
CLUSTER_SD_M = 150.0
UNIFORM_SHARE = 0.7
ALPHA_FDR = 0.10


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[100_000, 1_000_000], help="entries"
    )
    parser.add_argument("--cell-size", type=float, default=250, help="hexagon edge, m")
    parser.add_argument(
        "--side-km", type=float, default=30, help="study square side, km"
    )
    parser.add_argument("--permutations", type=int, default=999)
    parser.add_argument("--seed", type=int, default=12345)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo_mediation.settings.base")
    from geo_mediation.env import database_url

    server_url = database_url()
    scratch = f"geo_bench_hotspots_{os.getpid()}"
    _create_database(server_url, scratch)
    try:
        os.environ["DATABASE_URL"] = _with_database(server_url, scratch)
        run(args)
    finally:
        _drop_database(server_url, scratch)


def run(args):
    import django

    django.setup()
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrations: {time.perf_counter() - started:.1f} s")

    for size in args.sizes:
        organisation = _plant(size, args.side_km * 1000, args.seed)
        ours = _run_ours(organisation, args)
        plain = _run_plain(organisation, args)
        _print_table(size, args, ours, plain)
        _compare(ours["result"], plain["result"])
        _delete(organisation)


# --- planting -------------------------------------------------------------


def _plant(size, side, seed):
    import numpy as np
    from django.db import connection, transaction

    from accounts.models import Organisation, User
    from interventions.models import Category, InterventionType

    started = time.perf_counter()
    suffix = uuid.uuid4().hex[:8]
    rng = np.random.default_rng(seed)
    centres_x = (ORIGIN_X + rng.uniform(0.1, 0.9, CLUSTERS) * side).tolist()
    centres_y = (ORIGIN_Y + rng.uniform(0.1, 0.9, CLUSTERS) * side).tolist()
    uniform = round(size * UNIFORM_SHARE)
    with transaction.atomic():
        organisation = Organisation.objects.create(
            name=f"Benchmark {suffix}", slug=f"benchmark-{suffix}"
        )
        mediator = User.objects.create(
            username=f"benchmark-{suffix}", role="mediator", organisation=organisation
        )
        category = Category.objects.get(organisation=None, code="conflits")
        kind = InterventionType.objects.filter(category=category).order_by("pk").first()
        common = [organisation.pk, mediator.pk, category.pk, kind.pk]
        with connection.cursor() as cursor:
            cursor.execute("SELECT setseed(%s)", [(seed % 1000) / 1000])
            cursor.execute(
                _INSERT.format(
                    location="ST_MakePoint(%s + random() * %s, %s + random() * %s)",
                    source="generate_series(1, %s) AS n",
                ),
                common + [ORIGIN_X, side, ORIGIN_Y, side, uniform],
            )
            cursor.execute(
                _INSERT.format(
                    location=(
                        "ST_MakePoint("
                        "c.x + %s * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()),"
                        "c.y + %s * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random()))"
                    ),
                    source=(
                        "generate_series(1, %s) AS n JOIN "
                        "unnest(%s::float8[], %s::float8[]) WITH ORDINALITY AS c (x, y, k) "
                        "ON c.k = 1 + n %% " + str(CLUSTERS)
                    ),
                ),
                common
                + [CLUSTER_SD_M, CLUSTER_SD_M, size - uniform, centres_x, centres_y],
            )
            cursor.execute("ANALYZE interventions_intervention")
    print(f"\nplanted {size:,} entries in {time.perf_counter() - started:.1f} s")

    return organisation


_INSERT = """
INSERT INTO interventions_intervention (
    id, organisation_id, mediator_id, category_id, type_id, occurred_at,
    duration_minutes, location, location_method, people_count, intensity, note,
    status, review_comment, outside_territories, is_demo, created_at, updated_at
)
SELECT gen_random_uuid(), %s, %s, %s, %s, now() - random() * interval '365 days',
       0, ST_SetSRID({location}, 2154), 'map_tap', 1, 1, '', 'validated', '',
       FALSE, FALSE, now(), now()
FROM {source}
"""


def _delete(organisation):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM interventions_intervention WHERE organisation_id = %s",
            [organisation.pk],
        )
    organisation.users.all().delete()
    organisation.delete()


# --- measuring ------------------------------------------------------------


def _measure(step, *args):
    """Run `step` twice: (seconds, peak MiB of Python allocations, result)."""
    gc.collect()
    started = time.perf_counter()
    result = step(*args)
    elapsed = time.perf_counter() - started
    del result
    gc.collect()
    tracemalloc.start()
    result = step(*args)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, peak / 2**20, result


# --- our pipeline -------------------------------------------------------


def _run_ours(organisation, args):
    from interventions.models import Intervention
    from layers.grid import hex_grid_counts
    from layers.hotspots import hotspot_statistics

    entries = Intervention.objects.filter(organisation=organisation)
    steps = {}
    steps["grid counts (PostGIS)"] = _measure(
        lambda: hex_grid_counts(entries, cell_size=args.cell_size)
    )
    cells = steps["grid counts (PostGIS)"][2]
    steps["weights + Gi* + FDR"] = _measure(
        lambda: hotspot_statistics(
            cells, permutations=args.permutations, seed=args.seed, alpha_fdr=ALPHA_FDR
        )
    )
    result = steps["weights + Gi* + FDR"][2].cells
    return {"steps": steps, "result": result}


# --- plain geopandas + esda pipeline --------------------------------------


def _load_points(organisation):
    import geopandas as gpd
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT ST_AsBinary(location) FROM interventions_intervention "
            "WHERE organisation_id = %s AND status = 'validated'",
            [organisation.pk],
        )
        wkb = [bytes(row[0]) for row in cursor.fetchall()]
    return gpd.GeoDataFrame(geometry=gpd.GeoSeries.from_wkb(wkb, crs="EPSG:2154"))


def _hex_grid(points, size):
    """Hexagons of the ST_HexagonGrid lattice that intersect the points' bbox."""
    import geopandas as gpd
    import numpy as np
    import shapely

    xmin, ymin, xmax, ymax = points.total_bounds
    height = math.sqrt(3.0) * size
    columns = np.arange(
        math.floor(xmin / (1.5 * size)) - 1, math.ceil(xmax / (1.5 * size)) + 2
    )
    rows = np.arange(math.floor(ymin / height) - 2, math.ceil(ymax / height) + 2)
    i, j = (grid.ravel() for grid in np.meshgrid(columns, rows, indexing="ij"))
    # Vertex offsets in half units, so that neighbours compute bit-identical
    # shared vertices: Queen contiguity matches coordinates exactly.
    dx = np.array([-1.0, -0.5, 0.5, 1.0, 0.5, -0.5, -1.0])
    dy = np.array([0.0, -0.5, -0.5, 0.0, 0.5, 0.5, 0.0])
    ring = np.stack(
        [
            size * (1.5 * i[:, None] + dx),
            height * (j[:, None] + np.mod(i, 2)[:, None] / 2.0 + dy),
        ],
        axis=-1,
    )
    polygons = shapely.polygons(ring)
    keep = shapely.intersects(polygons, shapely.box(xmin, ymin, xmax, ymax))
    ids = [f"H{size:g}_{a}_{b}" for a, b in zip(i[keep], j[keep])]
    return gpd.GeoDataFrame({"cell_id": ids}, geometry=polygons[keep], crs="EPSG:2154")


def _count(points, grid):
    import geopandas as gpd

    joined = gpd.sjoin(points, grid, predicate="within", how="inner")
    counts = joined.groupby("index_right").size()
    grid = grid.copy()
    grid["count"] = counts.reindex(range(len(grid)), fill_value=0).to_numpy()
    return grid


def _queen(grid):
    from libpysal.weights import Queen

    return Queen.from_dataframe(grid, use_index=False, silence_warnings=True)


def _gi_star(grid, weights, args):
    import warnings

    import numpy as np
    from esda import fdr
    from esda.getisord import G_Local

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        gi = G_Local(
            grid["count"].to_numpy(dtype=float),
            weights,
            transform="B",
            star=True,
            permutations=args.permutations,
            seed=args.seed,
            n_jobs=1,
            keep_simulations=False,
        )
    p = 2 * gi.p_norm
    thresholds = [fdr(p, alpha) for alpha in (0.10, 0.05, 0.01)]
    bins = np.zeros(len(p), dtype=int)
    for level, threshold in zip((1, 2, 3), thresholds):
        bins[p <= threshold] = level * np.sign(gi.Zs[p <= threshold])
    result = grid.copy()
    result["gi_z"] = gi.Zs
    result["gi_bin"] = bins
    return result


def _run_plain(organisation, args):
    steps = {}
    steps["load points"] = _measure(_load_points, organisation)
    points = steps["load points"][2]
    steps["hexagons (shapely)"] = _measure(_hex_grid, points, args.cell_size)
    grid = steps["hexagons (shapely)"][2]
    steps["spatial join + count"] = _measure(_count, points, grid)
    counted = steps["spatial join + count"][2]
    steps["Queen weights"] = _measure(_queen, counted)
    weights = steps["Queen weights"][2]
    steps["Gi* + FDR"] = _measure(_gi_star, counted, weights, args)
    return {"steps": steps, "result": steps["Gi* + FDR"][2]}


# --- report ---------------------------------------------------------------


def _print_table(size, args, ours, plain):
    print(
        f"{size:,} entries, {args.cell_size:g} m cells over {args.side_km:g} km, "
        f"{args.permutations} permutations"
    )
    print(f"{'pipeline':<7} {'step':<24} {'time (s)':>9} {'peak (MiB)':>11}")
    totals = {}
    for name, pipeline in (("ours", ours), ("plain", plain)):
        total_time = 0.0
        peak = 0.0
        for step, (elapsed, memory, _) in pipeline["steps"].items():
            print(f"{name:<7} {step:<24} {elapsed:>9.2f} {memory:>11.1f}")
            total_time += elapsed
            peak = max(peak, memory)
        print(f"{name:<7} {'total (max peak)':<24} {total_time:>9.2f} {peak:>11.1f}")
        totals[name] = (total_time, peak)
    print(
        f"ratio plain / ours: time {totals['plain'][0] / totals['ours'][0]:.1f}x, "
        f"peak memory {totals['plain'][1] / max(totals['ours'][1], 1e-9):.1f}x"
    )


def _compare(ours, plain):
    import numpy as np

    merged = ours[["cell_id", "count", "gi_z", "gi_bin"]].merge(
        plain[["cell_id", "count", "gi_z", "gi_bin"]],
        on="cell_id",
        suffixes=("", "_plain"),
    )
    same_grid = len(merged) == len(ours) == len(plain)
    print(
        f"cells: ours {len(ours):,}, plain {len(plain):,}, shared {len(merged):,}; "
        f"counts equal: {bool((merged['count'] == merged['count_plain']).all())}"
    )
    if same_grid:
        diff = np.abs(merged["gi_z"] - merged["gi_z_plain"]).max()
        print(
            f"max |z ours - z plain| = {diff:.2e}; hot cells at 99 %: "
            f"ours {(ours['gi_bin'] == 3).sum()}, plain {(plain['gi_bin'] == 3).sum()}"
        )


# --- scratch database -----------------------------------------------------


if __name__ == "__main__":
    main()
