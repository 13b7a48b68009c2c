"""Fixtures of the acceptance walk: the demo data in the test database, browsers.

The walk loads the whole demo (`manage.py load_demo`) into the test database
once, inside its single test function: live-server tests run on a
transactional database that is flushed after each test, so the data would not
survive into a second test.
"""

import io
import re
from dataclasses import dataclass

import pytest
from django.core.management import call_command

from tests.conftest import SHARED_DATA, TEST_PASSWORD, shared_data

DEMO_ORGANISATION = "mediation-paris-demo"
# Demo accounts the walk logs in with. The fixture replaces their random
# passwords with the suite's known one.
DEMO_USERNAMES = (
    "mediateur",
    "coordinatrice",
    "analyste",
    "bailleur-ph",
    "bailleur-rivp",
)
LANDLORD_SETS = {"Paris Habitat": "estates-paris-habitat", "RIVP": "estates-rivp"}

LOOPBACK = re.compile(r"^https?://(localhost|127\.0\.0\.1|\[::1\])(:\d+)?/")
TIMEOUT_MS = 30_000

PHONE = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}


@dataclass
class DemoData:
    """Rows of the loaded demo that the walk checks against."""

    organisation: object
    paris_habitat: object
    rivp: object
    paris_habitat_set: object
    rivp_set: object
    arrondissements_set: object


def _check_datasets_present():
    """Skip unless every dataset of the demo manifest is in the open-data folder.

    `load_demo` downloads a missing dataset; the test suite must not.
    """
    from demo.datasets import read_manifest

    shared_data()
    for dataset in read_manifest().values():
        for name in dataset.files:
            shared_data(dataset.folder, name)


@pytest.fixture
def demo(transactional_db, nomenclature, settings, tmp_path):
    """Run `load_demo` on the open-data folder and set known demo passwords."""
    from accounts.models import Client, Organisation, User
    from territories.models import TerritorySet

    _check_datasets_present()
    settings.VAR_DIR = tmp_path / "var"
    settings.EXPORT_DIR = str(tmp_path / "var" / "exports")
    call_command(
        "load_demo",
        data_dir=str(SHARED_DATA),
        download_dir=str(tmp_path / "downloads"),
        stdout=io.StringIO(),
    )

    for user in User.objects.filter(username__in=DEMO_USERNAMES):
        user.set_password(TEST_PASSWORD)
        user.save(update_fields=["password"])

    organisation = Organisation.objects.get(slug=DEMO_ORGANISATION)
    sets = TerritorySet.objects.filter(organisation=organisation)
    clients = Client.objects.filter(organisation=organisation)
    return DemoData(
        organisation=organisation,
        paris_habitat=clients.get(name="Paris Habitat"),
        rivp=clients.get(name="RIVP"),
        paris_habitat_set=sets.get(slug=LANDLORD_SETS["Paris Habitat"]),
        rivp_set=sets.get(slug=LANDLORD_SETS["RIVP"]),
        arrondissements_set=sets.get(slug="paris-arrondissements"),
    )


@pytest.fixture
def new_context(browser):
    """Open browser contexts that reach no host but the live server.

    Base-map tiles and any other outside request are aborted at once, so the
    pages never wait on the network.
    """
    contexts = []

    def open_context(device, **options):
        context = browser.new_context(
            **device, locale="fr-FR", timezone_id="Europe/Paris", **options
        )
        context.set_default_timeout(TIMEOUT_MS)
        context.route(lambda url: not LOOPBACK.match(url), lambda route: route.abort())
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()
