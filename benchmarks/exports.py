"""Time and measure the memory of entry exports against ogr2ogr on the same rows.

Creates a scratch database on the server of the configured database and plants
COUNT validated entries: points spread over Paris in Lambert-93, a note with
accents on one entry in three, a theme on one in two. Then exports them to a
zipped Shapefile and to a GeoPackage twice. The first run goes through
`export_layer`'s code path (`layers.exports.services.run_export`) in a child
Python process, the second through `ogr2ogr` from gdal-bin, reading the same
rows with an equivalent SQL query.
Each run is a separate child process; its peak resident memory comes from
`os.wait4`. Prints seconds, peak memory and output size side by side, and
the ratios. The scratch database is dropped at the end.

    .venv/bin/python benchmarks/exports.py                  # 1,000,000 entries
    .venv/bin/python benchmarks/exports.py --count 100000   # quicker look
"""

import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scratch_db import create_database as _create_database  # noqa: E402
from scratch_db import drop_database as _drop_database  # noqa: E402
from scratch_db import with_database as _with_database  # noqa: E402

# Lower-left corner and side of the square the points are spread over, in metres.
ORIGIN_X, ORIGIN_Y, SIDE_M = 643000, 6857000, 20000

_PLANT_ENTRIES = """
INSERT INTO interventions_intervention (
    id, organisation_id, mediator_id, occurred_at, duration_minutes, location,
    location_accuracy_m, location_method, category_id, type_id, outcome_id,
    people_count, intensity, note, status, review_comment, outside_territories,
    is_demo, created_at, updated_at
)
SELECT gen_random_uuid(), %(organisation)s, %(mediator)s,
       timestamptz '2024-01-01 00:00+01' + g * interval '29 seconds',
       g %% 120,
       ST_SetSRID(ST_MakePoint(%(x)s + (g * 7919) %% %(side)s,
                               %(y)s + (g * 104729) %% %(side)s), 2154),
       5 + g %% 30, 'gps',
       (%(categories)s::bigint[])[1 + g %% %(pairs)s],
       (%(types)s::bigint[])[1 + g %% %(pairs)s],
       CASE WHEN g %% 4 = 0 THEN NULL ELSE (%(outcomes)s::bigint[])[1 + g %% 5] END,
       1 + g %% 6, 1 + g %% 3,
       CASE WHEN g %% 3 = 0
            THEN 'Entrée n°' || g || ' – sœur âgée aidée, hall d''immeuble réparé'
            ELSE '' END,
       'validated', '', FALSE, FALSE, now(), now()
FROM generate_series(1::bigint, %(count)s::bigint) AS g
"""

_PLANT_THEMES = """
INSERT INTO interventions_intervention_themes (intervention_id, theme_id)
SELECT id, %(theme)s FROM interventions_intervention
WHERE organisation_id = %(organisation)s AND extract(second FROM occurred_at)::int %% 2 = 0
"""

# The columns of the entries layer, as ogr2ogr reads them. Built here, never
# from user input.
_OGR_SQL = """
SELECT i.id::text AS id,
       to_char(i.occurred_at AT TIME ZONE 'Europe/Paris', 'YYYY-MM-DD"T"HH24:MI:SS')
           AS occur_iso,
       (i.occurred_at AT TIME ZONE 'Europe/Paris')::date AS occur_date,
       to_char(i.occurred_at AT TIME ZONE 'Europe/Paris', 'HH24:MI:SS') AS occur_time,
       i.duration_minutes AS duration,
       c.code AS cat_code, c.label AS cat_label, t.code AS type_code, t.label AS type_label,
       (SELECT string_agg(th.code, ', ' ORDER BY th.code)
          FROM interventions_intervention_themes AS it
          JOIN interventions_theme AS th ON th.id = it.theme_id
         WHERE it.intervention_id = i.id) AS themes,
       (SELECT string_agg(p.code, ', ' ORDER BY p.code)
          FROM interventions_intervention_partners AS ip
          JOIN interventions_partner AS p ON p.id = ip.partner_id
         WHERE ip.intervention_id = i.id) AS partners,
       o.code AS outc_code, o.label AS outc_label,
       i.people_count AS people, i.intensity, i.note AS note_1, i.status,
       u.username AS mediator, i.location_method AS loc_method,
       i.location_accuracy_m AS loc_acc_m, i.outside_territories AS outside, i.is_demo,
       i.location
FROM interventions_intervention AS i
JOIN interventions_category AS c ON c.id = i.category_id
JOIN interventions_interventiontype AS t ON t.id = i.type_id
LEFT JOIN interventions_outcome AS o ON o.id = i.outcome_id
JOIN accounts_user AS u ON u.id = i.mediator_id
WHERE i.status = 'validated'
ORDER BY i.occurred_at, i.id
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1_000_000, help="entries to plant")
    parser.add_argument(
        "--formats", default="shp,gpkg", help="formats to compare, comma-separated"
    )
    parser.add_argument("--child-export", help=argparse.SUPPRESS)
    parser.add_argument("--child-output", help=argparse.SUPPRESS)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo_mediation.settings.base")
    if args.child_export:
        _child_export(args.child_export, Path(args.child_output))
        return

    from geo_mediation.env import database_url

    server_url = database_url()
    scratch = f"geo_bench_exports_{os.getpid()}"
    # Drop the scratch database on `kill` too, not only on Ctrl-C.
    signal.signal(signal.SIGTERM, lambda _signal, _frame: sys.exit(143))
    _create_database(server_url, scratch)
    try:
        os.environ["DATABASE_URL"] = _with_database(server_url, scratch)
        _run(args, os.environ["DATABASE_URL"])
    finally:
        _drop_database(server_url, scratch)


def _run(args, url):
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    print(f"migrations: {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    _plant(args.count)
    print(f"planted {args.count:,} entries: {time.perf_counter() - started:.1f} s")
    connection.close()

    results = []
    with tempfile.TemporaryDirectory(prefix="bench-exports-") as folder:
        for export_format in args.formats.split(","):
            ours = _measure_ours(export_format, Path(folder) / f"ours-{export_format}")
            ogr = _measure_ogr2ogr(
                export_format, Path(folder) / f"ogr-{export_format}", url
            )
            results.append((export_format, ours, ogr))
    _print_table(args.count, results)


def _plant(count):
    from django.db import connection

    from accounts.models import Organisation, User
    from interventions.models import InterventionType, Outcome, Theme

    organisation = Organisation.objects.create(name="Banc d'essai", slug="banc-essai")
    mediator = User.objects.create_user(
        "bench-mediator", role="mediator", organisation=organisation
    )
    pairs = list(
        InterventionType.objects.filter(organisation=None)
        .order_by("id")
        .values_list("category_id", "id")
    )
    outcomes = list(Outcome.objects.order_by("id").values_list("id", flat=True))
    with connection.cursor() as cursor:
        cursor.execute(
            _PLANT_ENTRIES,
            {
                "organisation": organisation.pk,
                "mediator": mediator.pk,
                "x": ORIGIN_X,
                "y": ORIGIN_Y,
                "side": SIDE_M,
                "categories": [category for category, _type in pairs],
                "types": [kind for _category, kind in pairs],
                "pairs": len(pairs),
                "outcomes": outcomes,
                "count": count,
            },
        )
        cursor.execute(
            _PLANT_THEMES,
            {
                "theme": Theme.objects.order_by("id").first().pk,
                "organisation": organisation.pk,
            },
        )
        cursor.execute("ANALYZE")


def _child_export(export_format, output):
    """Run in a child process: export every entry of the bench organisation."""
    import django

    django.setup()
    from accounts.models import Organisation
    from layers.exports.scope import ExportScope
    from layers.exports.services import ExportOptions, run_export
    from layers.filters import LayerFilters

    baseline_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    result = run_export(
        scope=ExportScope.for_organisation(Organisation.objects.get(slug="banc-essai")),
        layer="entries",
        export_format=export_format,
        srid=2154,
        filters=LayerFilters(),
        options=ExportOptions(),
        directory=output,
    )
    print(
        json.dumps(
            {
                "features": result.feature_count,
                "export_seconds": time.perf_counter() - started,
                "baseline_kb": baseline_kb,
                "path": str(result.path),
            }
        )
    )


def _wait(command, env=None):
    """Run a child; return (seconds, peak RSS in MiB, stdout)."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, env=env, text=True)
    output = process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"{command[0]} failed with exit code {process.returncode}")
    return seconds, usage.ru_maxrss / 1024, output


def _measure_ours(export_format, folder):
    command = [
        sys.executable,
        __file__,
        "--child-export",
        export_format,
        "--child-output",
        str(folder),
    ]
    seconds, peak_mib, output = _wait(command, env=os.environ.copy())
    report = json.loads(output.strip().splitlines()[-1])
    return {
        "seconds": seconds,
        "export_seconds": report["export_seconds"],
        "peak_mib": peak_mib,
        "baseline_mib": report["baseline_kb"] / 1024,
        "size_mib": Path(report["path"]).stat().st_size / 2**20,
        "features": report["features"],
    }


def _measure_ogr2ogr(export_format, folder, url):
    folder.mkdir(parents=True)
    parts = urlsplit(url)
    connection = (
        f"PG:host={parts.hostname} port={parts.port or 5432} user={parts.username} "
        f"dbname={parts.path.lstrip('/')}"
    )
    if export_format == "shp":
        target = folder / "entries.shp"
        command = ["ogr2ogr", "-f", "ESRI Shapefile", "-lco", "ENCODING=UTF-8"]
    else:
        target = folder / "entries.gpkg"
        command = ["ogr2ogr", "-f", "GPKG"]
    command += [str(target), connection, "-sql", _OGR_SQL, "-nln", "entries"]
    env = os.environ.copy()
    if parts.password:
        env["PGPASSWORD"] = parts.password
    seconds, peak_mib, _output = _wait(command, env=env)
    if export_format == "shp":
        archive = shutil.make_archive(
            str(folder.parent / f"{folder.name}"), "zip", folder
        )
        size = Path(archive).stat().st_size
    else:
        size = target.stat().st_size
    return {"seconds": seconds, "peak_mib": peak_mib, "size_mib": size / 2**20}


def _print_table(count, results):
    print()
    print(
        f"{count:,} entries, EPSG:2154; peak = maximum resident memory of the child process"
    )
    header = (
        f"{'format':<7} {'tool':<13} {'seconds':>8} {'peak MiB':>9} {'file MiB':>9} "
        f"{'time ratio':>10} {'memory ratio':>12}"
    )
    print(header)
    print("-" * len(header))
    for export_format, ours, ogr in results:
        print(
            f"{export_format:<7} {'run_export':<13} {ours['seconds']:>8.1f} "
            f"{ours['peak_mib']:>9.0f} {ours['size_mib']:>9.1f} "
            f"{ours['seconds'] / ogr['seconds']:>10.2f} "
            f"{ours['peak_mib'] / ogr['peak_mib']:>12.2f}"
        )
        print(
            f"{'':<7} {'ogr2ogr':<13} {ogr['seconds']:>8.1f} {ogr['peak_mib']:>9.0f} "
            f"{ogr['size_mib']:>9.1f}"
        )
        print(
            f"{'':<7} run_export: {ours['features']:,} features, "
            f"{ours['export_seconds']:.1f} s inside the export, "
            f"{ours['baseline_mib']:.0f} MiB after imports and django.setup()"
        )
    print(
        "Shapefile sizes are of the zip; ogr2ogr's shapefile has one note field and "
        "no field dictionary."
    )


if __name__ == "__main__":
    main()
