"""Time the re-attachment of many interventions to a territory set.

Generates POINTS interventions and a set of POLYGONS territories: squares of
200 m with 64 vertices each, on a grid over Paris in Lambert-93, with about
10 % of the points outside the grid. Then times `reattach_set`, which every
territory import runs, and prints the plan of its INSERT with the GiST index
it uses, the time and the rows attached.

By default the data goes to a scratch database created on the server of the
configured database and dropped at the end. With --use-database-url it goes
to the database of DATABASE_URL, under a new organisation deleted at the end.

    .venv/bin/python benchmarks/attach.py                  # 1,000,000 x 2,000
    .venv/bin/python benchmarks/attach.py --points 100000  # quicker look
"""

import argparse
import os
import sys
import time
import uuid
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scratch_db import create_database as _create_database  # noqa: E402
from scratch_db import drop_database as _drop_database  # noqa: E402
from scratch_db import with_database as _with_database  # noqa: E402

# Lambert-93 origin of the grid and side of each square, in metres.
GRID_X, GRID_Y = 643000, 6857000
CELL_M = 200
# Vertices along each side of a square: real outlines are not 4-point boxes.
SEGMENT_M = CELL_M / 16


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--points",
        type=int,
        default=1_000_000,
        help="number of interventions to generate",
    )
    parser.add_argument(
        "--polygons", type=int, default=2_000, help="number of territories to generate"
    )
    parser.add_argument(
        "--use-database-url",
        action="store_true",
        help="write into the DATABASE_URL database instead of a scratch one",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="with --use-database-url, keep the generated rows for inspection",
    )
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo_mediation.settings.base")
    from geo_mediation.env import database_url

    if args.use_database_url:
        run(args, cleanup=None if args.keep else _delete_organisation)
        return
    server_url = database_url()
    scratch = f"geo_bench_attach_{os.getpid()}"
    _create_database(server_url, scratch)
    try:
        os.environ["DATABASE_URL"] = _with_database(server_url, scratch)
        run(args, migrate=True)
    finally:
        _drop_database(server_url, scratch)


def run(args, migrate=False, cleanup=None):
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if migrate:
        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        call_command("createcachetable", verbosity=0)
        print(f"migrations: {time.perf_counter() - started:.1f} s")

    organisation, territory_set = _generate(args.points, args.polygons)
    try:
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE interventions_intervention")
            cursor.execute("ANALYZE territories_territory")
        _print_plan(territory_set.pk)

        from territories.attachment import reattach_set

        started = time.perf_counter()
        attached = reattach_set(territory_set.pk)
        elapsed = time.perf_counter() - started
        print(
            f"reattach_set: {args.points:,} points x {args.polygons:,} polygons "
            f"in {elapsed:.2f} s, {attached:,} rows attached, "
            f"{args.points - attached:,} outside"
        )
    finally:
        if cleanup is not None:
            cleanup(organisation)


def _generate(points, polygons):
    from django.db import connection, transaction

    from accounts.models import Organisation, User
    from interventions.models import Intervention
    from territories.models import TerritorySet

    started = time.perf_counter()
    suffix = uuid.uuid4().hex[:8]
    columns = max(1, round(polygons**0.5))
    rows = -(-polygons // columns)
    with transaction.atomic():
        organisation = Organisation.objects.create(
            name=f"Benchmark {suffix}", slug=f"benchmark-{suffix}"
        )
        mediator = User.objects.create(
            username=f"benchmark-{suffix}", role="mediator", organisation=organisation
        )
        territory_set = TerritorySet.objects.create(
            organisation=organisation, slug="grid", kind="district", name="Grid"
        )
        with connection.cursor() as cursor:
            cursor.execute(
                """
                INSERT INTO territories_territory
                    (territory_set_id, code, name, properties, geom)
                SELECT %(set)s, lpad(n::text, 5, '0'), 'cell ' || n, '{}'::jsonb,
                       ST_Multi(ST_Segmentize(ST_MakeEnvelope(
                           %(x)s + (n %% %(columns)s) * %(cell)s,
                           %(y)s + (n / %(columns)s) * %(cell)s,
                           %(x)s + (n %% %(columns)s + 1) * %(cell)s,
                           %(y)s + (n / %(columns)s + 1) * %(cell)s,
                           %(srid)s), %(segment)s))
                FROM generate_series(0, %(count)s - 1) AS n
                """,
                {
                    "set": territory_set.pk,
                    "x": GRID_X,
                    "y": GRID_Y,
                    "columns": columns,
                    "cell": CELL_M,
                    "segment": SEGMENT_M,
                    "count": polygons,
                    "srid": Intervention._meta.get_field("location").srid,
                },
            )
            _insert_points(
                cursor, Intervention, organisation, mediator, points, columns, rows
            )
    print(
        f"generated {polygons:,} polygons and {points:,} points in "
        f"{time.perf_counter() - started:.1f} s"
    )

    return organisation, territory_set


def _insert_points(cursor, model, organisation, mediator, points, columns, rows):
    """Insert points spread over the grid plus a margin of 2.5 % of its size on each side."""
    from django.db import connection

    from interventions.models import Category, InterventionType

    prototype = model(
        organisation=organisation,
        mediator=mediator,
        category=Category.objects.order_by("pk").first(),
        type=InterventionType.objects.order_by("pk").first(),
    )
    width, height = columns * CELL_M, rows * CELL_M
    margin_x, margin_y = 0.025 * width, 0.025 * height
    names, values, params = [], [], []
    for field in model._meta.concrete_fields:
        names.append(connection.ops.quote_name(field.column))
        if field.name == "id":
            values.append("gen_random_uuid()")
        elif field.name == "location":
            values.append(
                "ST_SetSRID(ST_MakePoint(%s + random() * %s, %s + random() * %s), %s)"
            )
            params += [
                GRID_X - margin_x,
                width + 2 * margin_x,
                GRID_Y - margin_y,
                height + 2 * margin_y,
                field.srid,
            ]
        elif field.name in ("occurred_at", "created_at", "updated_at"):
            values.append("now() - random() * interval '365 days'")
        else:
            values.append("%s")
            params.append(
                field.get_db_prep_save(getattr(prototype, field.attname), connection)
            )
    cursor.execute(
        f"INSERT INTO {model._meta.db_table} ({', '.join(names)}) "
        f"SELECT {', '.join(values)} FROM generate_series(1, %s)",
        params + [points],
    )


def _print_plan(set_id):
    from django.db import connection

    from territories import attachment

    query = attachment._INSERT_BY_TERRITORIES.format(where="s.id = %s")
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + query, [set_id])
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE indexdef ILIKE '%%USING gist%%' "
            "AND tablename IN ('territories_territory', 'interventions_intervention')"
        )
        gist_indexes = [row[0] for row in cursor.fetchall()]
    print(plan)
    used = [name for name in gist_indexes if name in plan]
    print(f"GiST index used: {', '.join(used) if used else 'NONE'}")


def _delete_organisation(organisation):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM territories_attachment a USING interventions_intervention i "
            "WHERE a.intervention_id = i.id AND i.organisation_id = %s",
            [organisation.pk],
        )
        cursor.execute(
            "DELETE FROM interventions_intervention WHERE organisation_id = %s",
            [organisation.pk],
        )
    organisation.users.all().delete()
    organisation.delete()


if __name__ == "__main__":
    main()
