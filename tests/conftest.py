"""Fixtures shared by the whole suite: tenants, one user per role, a real browser."""

import os
import shutil
from pathlib import Path

import pytest
from django.contrib.gis.geos import MultiPolygon, Polygon

# Playwright's sync API runs an event loop in the test thread; Django would
# otherwise refuse database calls made from the test body while it runs.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = Path(os.environ.get("DEMO_DATA_DIR", ROOT.parent / "shared" / "data"))
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"

ROLES = ["mediator", "coordinator", "analyst", "client_viewer", "admin"]
TEST_PASSWORD = "correct-horse-battery-staple"


def shared_data(*parts):
    """Path of a file of the open-data folder, or skip the test when it is absent."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"open data not available: {path} is missing (set DEMO_DATA_DIR)")
    return path


def square(x, y, size):
    """A MultiPolygon square in the working CRS with its lower-left corner at (x, y)."""
    from django.conf import settings

    poly = Polygon.from_bbox((x, y, x + size, y + size))
    return MultiPolygon(poly, srid=settings.WORKING_SRID)


@pytest.fixture
def organisation(db):
    from accounts.models import Organisation

    return Organisation.objects.create(name="Médiation Test", slug="mediation-test")


@pytest.fixture
def other_organisation(db):
    from accounts.models import Organisation

    return Organisation.objects.create(name="Autre Médiation", slug="autre-mediation")


@pytest.fixture
def client_city(organisation):
    from accounts.models import Client

    return Client.objects.create(
        organisation=organisation, name="Ville Test", kind=Client.Kind.COLLECTIVITE
    )


@pytest.fixture
def make_user(db):
    from accounts.models import User

    def make(username, role, organisation, client=None, **extra):
        return User.objects.create_user(
            username=username,
            password=TEST_PASSWORD,
            role=role,
            organisation=organisation,
            client=client,
            is_staff=role == "admin",
            **extra,
        )

    return make


@pytest.fixture
def users(make_user, organisation, client_city):
    """One user per role in `organisation`; the client viewer belongs to `client_city`."""
    return {
        role: make_user(
            role.replace("_", "-"),
            role,
            organisation,
            client_city if role == "client_viewer" else None,
        )
        for role in ROLES
    }


@pytest.fixture
def nomenclature(db):
    """The seeded default nomenclature, looked up by code.

    Tests that use `transactional_db` or `live_server` flush every table, seeded
    rows included, so the fixture seeds them again when they are missing.
    """
    from django.apps import apps

    from interventions.models import Category, InterventionType, Outcome, Partner, Theme
    from interventions.nomenclature import seed_default_nomenclature

    if not Category.objects.filter(organisation=None).exists():
        seed_default_nomenclature(apps)

    return {
        "category": {c.code: c for c in Category.objects.filter(organisation=None)},
        "type": {t.code: t for t in InterventionType.objects.filter(organisation=None)},
        "theme": {t.code: t for t in Theme.objects.filter(organisation=None)},
        "partner": {p.code: p for p in Partner.objects.filter(organisation=None)},
        "outcome": {o.code: o for o in Outcome.objects.filter(organisation=None)},
    }


# --- browser ---------------------------------------------------------------


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium package is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    args = [
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    if os.geteuid() == 0:
        args.append("--no-sandbox")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=args
        )
        yield chromium
        chromium.close()


@pytest.fixture
def artifacts_dir():
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def browser_login(page, live_server, username, password=TEST_PASSWORD):
    """Log in through the login page, as a person would."""
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit].primary")
    page.wait_for_load_state()
