"""Fixtures of the demo tests: a local HTTP server and one loaded demo per module."""

import errno
import functools
import io
import threading
import time
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.core.management import call_command
from django.test import override_settings

from tests.conftest import SHARED_DATA

# Ports reserved for these tests; the first free one is used.
SERVER_PORTS = range(8170, 8180)


class _QuietHandler(SimpleHTTPRequestHandler):
    requests = None

    def log_message(self, format, *args):
        pass

    def do_GET(self):
        self.requests.append(self.path)
        super().do_GET()


def _bind(directory, requests):
    handler = functools.partial(
        type("Handler", (_QuietHandler,), {"requests": requests}),
        directory=str(directory),
    )
    for port in SERVER_PORTS:
        try:
            return ThreadingHTTPServer(("127.0.0.1", port), handler)
        except OSError as error:
            if error.errno != errno.EADDRINUSE:
                raise
    pytest.skip(f"no free port in {SERVER_PORTS.start}-{SERVER_PORTS.stop - 1}")


@pytest.fixture
def http_server():
    """Return a function that serves a folder on 127.0.0.1.

    The function returns the base URL and the list of paths requested so far.
    """
    servers = []

    def serve(directory):
        requests = []
        server = _bind(directory, requests)
        thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        thread.start()
        servers.append((server, thread))
        host, port = server.server_address
        return f"http://{host}:{port}", requests

    yield serve
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def _ensure_nomenclature():
    """Seed the default nomenclature again if a flushing test removed it."""
    import importlib

    from django.apps import apps

    from interventions.models import Category

    if not Category.objects.filter(organisation=None).exists():
        migration = importlib.import_module(
            "interventions.migrations.0002_default_nomenclature"
        )
        migration.seed(apps, None)


def _delete_demo_rows():
    from django.db import connection

    from accounts.demo import DEMO_ORGANISATION, SECOND_ORGANISATION
    from accounts.models import Client, Organisation, User
    from interventions.models import Intervention
    from territories.models import Attachment, TerritorySet

    slugs = [DEMO_ORGANISATION["slug"], SECOND_ORGANISATION["slug"]]
    organisations = Organisation.objects.filter(slug__in=slugs)
    organisation_ids = list(organisations.values_list("id", flat=True))
    # Plain SQL for the entries and their links: with post_delete receivers
    # connected, the ORM would fetch and delete the 10,000 entries one by one.
    tables = [
        Attachment._meta.db_table,
        Intervention.themes.through._meta.db_table,
        Intervention.partners.through._meta.db_table,
    ]
    entries = Intervention._meta.db_table
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(
                f"DELETE FROM {table} WHERE intervention_id IN "
                f"(SELECT id FROM {entries} WHERE organisation_id = ANY(%s))",
                [organisation_ids],
            )
        cursor.execute(
            f"DELETE FROM {entries} WHERE organisation_id = ANY(%s)", [organisation_ids]
        )
    TerritorySet.objects.filter(organisation__in=organisations).delete()
    User.objects.filter(organisation__in=organisations).delete()
    Client.objects.filter(organisation__in=organisations).delete()
    organisations.delete()


def demo_snapshot():
    """Counts of every kind of row the loader writes, to compare two runs."""
    from accounts.models import Client, User
    from interventions.models import Intervention
    from territories.models import Attachment, Territory, TerritorySet

    through = Client.perimeter.through
    return {
        "users": User.objects.count(),
        "clients": Client.objects.count(),
        "sets": TerritorySet.objects.count(),
        "territories": Territory.objects.count(),
        "perimeter_links": through.objects.count(),
        "entries": Intervention.objects.count(),
        "theme_links": Intervention.themes.through.objects.count(),
        "partner_links": Intervention.partners.through.objects.count(),
        "attachments": Attachment.objects.count(),
    }


def _run_command(var_dir):
    out = io.StringIO()
    started = time.monotonic()
    call_command(
        "load_demo",
        data_dir=str(SHARED_DATA),
        download_dir=str(var_dir / "demo-data"),
        stdout=out,
    )
    return {
        "output": out.getvalue(),
        "seconds": time.monotonic() - started,
        "counts": demo_snapshot(),
    }


@pytest.fixture(scope="module")
def loaded_demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """Run `load_demo` twice on the open-data folder and keep the data for the module.

    Returns, for each run, the command output, its duration and the row
    counts after it. The rows are deleted when the module's tests are done.
    """
    if not SHARED_DATA.is_dir():
        pytest.skip(
            f"open data not available: {SHARED_DATA} is missing (set DEMO_DATA_DIR)"
        )
    var_dir = tmp_path_factory.mktemp("var")
    runs = []
    with django_db_blocker.unblock(), override_settings(VAR_DIR=var_dir):
        _ensure_nomenclature()
        try:
            for _run in range(2):
                runs.append(_run_command(var_dir))
        except BaseException:
            _delete_demo_rows()
            raise

    yield {"runs": runs, "var_dir": var_dir}

    with django_db_blocker.unblock():
        _delete_demo_rows()
