"""Load the sync API of the capture with many phones sending entries at once.

Starts the service under gunicorn on 127.0.0.1 with the production settings and
a scratch database (created on the server of DATABASE_URL, dropped at the end),
then runs CLIENTS concurrent clients for DURATION seconds. Each client is a
mediator with its own API token. It posts new entries (a GeoJSON Feature with a
fresh UUID) and, for RETRY_SHARE of its requests, sends again an entry it has
already sent, as a phone does after a lost response. Prints the request rate, the
median and 99th-percentile latency, the responses by status, and the rows stored
against the distinct UUIDs sent: the two must be equal, or the script exits 1.

    .venv/bin/python benchmarks/capture.py                 # 50 clients, 20 s
    .venv/bin/python benchmarks/capture.py --duration 60 --workers 4

The clients run as threads of this process, so on a small machine they share
its processors with gunicorn and the database: the figures are those of the
whole machine, not of the server alone.
"""

import argparse
import http.client
import json
import os
import random
import secrets
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path


ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from scratch_db import create_database as _create_database  # noqa: E402
from scratch_db import drop_database as _drop_database  # noqa: E402
from scratch_db import with_database as _with_database  # noqa: E402

# Entries fall in a 4 km square over central Paris, in EPSG:4326.
WEST, SOUTH, EAST, NORTH = 2.32, 48.84, 2.37, 48.87
# Territories planted for the attachment: a grid of 500 m squares in Lambert-93
# covering most of that area, so that most entries are attached to one.
GRID_X, GRID_Y, CELL_M, CELLS = 649000, 6859000, 500, 12
REQUEST_TIMEOUT_S = 30
TYPES = [
    ("conflits", "conflit-voisinage-bruit"),
    ("veille-technique", "signalement-eclairage"),
    ("presence-active", "tournee-pied"),
    ("orientation", "orientation-ccas"),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients")
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of load")
    parser.add_argument(
        "--retry-share",
        type=float,
        default=0.1,
        help="share of requests that resend an entry already sent (0 to 1)",
    )
    parser.add_argument("--port", type=int, default=8120, help="port on 127.0.0.1")
    parser.add_argument(
        "--workers",
        type=int,
        default=2 * (os.cpu_count() or 1) + 1,
        help="gunicorn worker processes (default: 2 x processors + 1)",
    )
    args = parser.parse_args()
    if not 0 <= args.retry_share <= 1:
        parser.error(f"--retry-share must be between 0 and 1, not {args.retry_share}")

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "geo_mediation.settings.base")
    from geo_mediation.env import database_url

    server_url = database_url()
    scratch = f"geo_bench_capture_{os.getpid()}"
    _create_database(server_url, scratch)
    try:
        scratch_url = _with_database(server_url, scratch)
        env = _server_environment(scratch_url)
        _prepare(env, args.clients)
        run(args, env)
    finally:
        _drop_database(server_url, scratch)


def run(args, env):
    tokens = _tokens(env)
    server = _start_gunicorn(args, env)
    try:
        _wait_until_up(args.port)
        results, sent_ids, elapsed = _load(args, tokens)
    finally:
        server.terminate()
        server.wait(timeout=30)
    stored = _count_rows(env)
    _report(args, results, sent_ids, elapsed, stored)
    if stored != len(sent_ids):
        sys.exit(1)


# --- database and server -------------------------------------------------------


def _server_environment(scratch_url):
    env = dict(os.environ)
    env.update(
        DATABASE_URL=scratch_url,
        DJANGO_SETTINGS_MODULE="geo_mediation.settings.production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_SSL_REDIRECT="0",
        SECURE_HSTS_SECONDS="0",
        LOG_LEVEL="WARNING",
        # Measure the capture path, not the per-user rate limit of 1200/minute:
        # the throttle still runs, with its cache reads and writes.
        API_THROTTLE_USER="1000000/minute",
    )
    return env


def _manage(env, *arguments, stdin=None):
    completed = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *arguments],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        sys.stderr.write(completed.stdout + completed.stderr)
        raise SystemExit(f"manage.py {' '.join(arguments)} failed")
    return completed.stdout


_SEED = """
from django.contrib.gis.geos import MultiPolygon, Polygon
from rest_framework.authtoken.models import Token
from accounts.models import Organisation, User
from territories.models import Territory, TerritorySet
organisation = Organisation.objects.create(name="Bench", slug="bench")
territory_set = TerritorySet.objects.create(
    organisation=organisation, slug="grid", kind="district", name="Grid"
)
Territory.objects.bulk_create(
    Territory(
        territory_set=territory_set,
        code="C%02d%02d" % (row, column),
        name="Cell %d %d" % (row, column),
        geom=MultiPolygon(
            Polygon.from_bbox((
                {x} + column * {cell}, {y} + row * {cell},
                {x} + (column + 1) * {cell}, {y} + (row + 1) * {cell},
            )),
            srid=2154,
        ),
    )
    for row in range({cells}) for column in range({cells})
)
for index in range({clients}):
    user = User.objects.create_user(
        username="bench-%d" % index, role="mediator", organisation=organisation
    )
    Token.objects.create(user=user)
"""


def _prepare(env, clients):
    started = time.perf_counter()
    _manage(env, "migrate", "--noinput", "-v", "0")
    _manage(env, "createcachetable")
    seed = _SEED.format(x=GRID_X, y=GRID_Y, cell=CELL_M, cells=CELLS, clients=clients)
    _manage(env, "shell", "-c", seed)
    print(f"migrations and seed: {time.perf_counter() - started:.1f} s")


def _tokens(env):
    output = _manage(
        env,
        "shell",
        "-c",
        "from rest_framework.authtoken.models import Token\n"
        "print('\\n'.join(Token.objects.order_by('user__username')"
        ".values_list('key', flat=True)))",
    )
    return [line.strip() for line in output.splitlines() if len(line.strip()) == 40]


def _count_rows(env):
    output = _manage(
        env,
        "shell",
        "-c",
        "from interventions.models import Intervention\n"
        "print('rows', Intervention.objects.count())",
    )
    return int(output.split("rows")[-1].strip())


def wsgi_application():
    """Return the service's WSGI application with every URL module imported.

    Django imports the URL modules on the first request, and the layers modules
    pull in PySAL and SciPy, which takes seconds. Gunicorn calls this once in
    its master (--preload), so the workers fork with those imports done and the
    figures measure requests, not start-up.
    """
    from django.urls import get_resolver

    from geo_mediation.wsgi import application

    get_resolver().url_patterns  # noqa: B018 (the property imports the URL modules)
    return application


def _start_gunicorn(args, env):
    command = [
        str(Path(sys.executable).with_name("gunicorn")),
        "--pythonpath",
        f"{ROOT},{ROOT / 'benchmarks'}",
        "--preload",
        "capture:wsgi_application()",
        "--bind",
        f"127.0.0.1:{args.port}",
        "--workers",
        str(args.workers),
        "--log-level",
        "warning",
        "--timeout",
        "60",
    ]
    print(f"gunicorn: {args.workers} workers on 127.0.0.1:{args.port}")
    return subprocess.Popen(command, env=env, cwd=ROOT)


def _wait_until_up(port, timeout_s=180):
    deadline = time.monotonic() + timeout_s
    last = "no response"
    while time.monotonic() < deadline:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", "/healthz")
            status = connection.getresponse().status
            if status == 200:
                return
            last = f"HTTP {status}"
        except OSError as error:
            last = repr(error)
        time.sleep(0.3)
    raise SystemExit(
        f"gunicorn did not return 200 on /healthz, port {port}, within {timeout_s} s "
        f"(last result: {last}); check its output above"
    )


# --- load ----------------------------------------------------------------------


def _feature(rng):
    category, kind = rng.choice(TYPES)
    occurred_at = datetime.now(timezone.utc) - timedelta(minutes=rng.randint(1, 600))
    return {
        "type": "Feature",
        "id": str(uuid.uuid4()),
        "geometry": {
            "type": "Point",
            "coordinates": [
                round(rng.uniform(WEST, EAST), 7),
                round(rng.uniform(SOUTH, NORTH), 7),
            ],
        },
        "properties": {
            "occurred_at": occurred_at.isoformat(),
            "duration_minutes": rng.choice([5, 10, 15, 30]),
            "location_method": "gps",
            "location_accuracy_m": round(rng.uniform(3, 40), 1),
            "category": category,
            "type": kind,
            "themes": ["tranquillite"],
            "partners": [],
            "outcome": "apaise",
            "people_count": rng.randint(1, 6),
            "intensity": rng.randint(1, 3),
            "note": "",
        },
    }


def _post(port, token, body):
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=REQUEST_TIMEOUT_S
    )
    try:
        connection.request(
            "POST",
            "/api/interventions/",
            body=body,
            headers={
                "Content-Type": "application/json",
                "Authorization": f"Token {token}",
            },
        )
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def _client(port, token, seed, deadline, retry_share, results, sent_ids, lock):
    rng = random.Random(seed)
    acknowledged = []
    while time.monotonic() < deadline:
        retry = acknowledged and rng.random() < retry_share
        body = rng.choice(acknowledged) if retry else json.dumps(_feature(rng))
        entry_id = json.loads(body)["id"]
        started = time.perf_counter()
        try:
            status = _post(port, token, body)
        except OSError as error:
            status = f"error {type(error).__name__}"
        latency = time.perf_counter() - started
        with lock:
            results.append(("retry" if retry else "new", status, latency))
            # An entry counts as sent once a request carried it, whatever the
            # response, because a timed-out request may still have stored it.
            sent_ids.add(entry_id)
        if status in (200, 201) and not retry:
            acknowledged.append(body)


def _load(args, tokens):
    results, sent_ids, lock = [], set(), threading.Lock()
    started = time.monotonic()
    deadline = started + args.duration
    threads = [
        threading.Thread(
            target=_client,
            args=(
                args.port,
                tokens[index % len(tokens)],
                index,
                deadline,
                args.retry_share,
                results,
                sent_ids,
                lock,
            ),
        )
        for index in range(args.clients)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results, sent_ids, time.monotonic() - started


def _report(args, results, sent_ids, elapsed, stored):
    latencies_ms = sorted(latency * 1000 for _, _, latency in results)
    statuses = Counter((kind, status) for kind, status, _ in results)
    percentiles = (
        statistics.quantiles(latencies_ms, n=100) if len(latencies_ms) > 1 else [0] * 99
    )
    print()
    print(
        f"clients: {args.clients}, duration: {elapsed:.1f} s, workers: {args.workers}"
    )
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(f"machine: {os.cpu_count()} processors, load average {load} at the end")
    print(f"requests: {len(results)} ({len(results) / elapsed:.1f} per second)")
    print(
        f"latency: median {statistics.median(latencies_ms):.1f} ms, "
        f"p99 {percentiles[98]:.1f} ms"
    )
    for (kind, status), count in sorted(statuses.items(), key=str):
        print(f"  {kind:5} -> {status}: {count}")
    verdict = "OK" if stored == len(sent_ids) else "MISMATCH"
    print(f"rows stored: {stored}, distinct UUIDs sent: {len(sent_ids)} -> {verdict}")


if __name__ == "__main__":
    main()
