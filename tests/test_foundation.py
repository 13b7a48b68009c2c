"""The base service: models in the working CRS, seeded nomenclature, admin, health check."""

import json
import os
import subprocess
import sys
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.contrib.gis.geos import Point
from django.db import connection

from tests.conftest import ROOT, square

pytestmark = pytest.mark.django_db

PARIS = ZoneInfo("Europe/Paris")
# Notre-Dame de Paris, longitude 2.3499 and latitude 48.8530, in Lambert-93, from
# `echo 48.8530 2.3499 | cs2cs -f %.2f EPSG:4326 EPSG:2154` (PROJ 9.1).
NOTRE_DAME_L93 = (652296.97, 6861636.36)


def test_working_srid_defaults_to_lambert93():
    assert settings.WORKING_SRID == 2154


def test_geometry_columns_use_working_srid():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT f_table_name, srid FROM geometry_columns "
            "WHERE f_table_name IN ('territories_territory', 'interventions_intervention')"
        )
        srids = dict(cursor.fetchall())
    assert srids == {"territories_territory": 2154, "interventions_intervention": 2154}


def test_intervention_point_round_trip(users, organisation, nomenclature):
    from interventions.models import Intervention

    entry = Intervention.objects.create(
        organisation=organisation,
        mediator=users["mediator"],
        occurred_at=datetime(2024, 3, 31, 2, 30, tzinfo=PARIS),
        location=Point(*NOTRE_DAME_L93, srid=2154),
        category=nomenclature["category"]["conflits"],
        type=nomenclature["type"]["conflit-voisinage-bruit"],
    )
    entry.themes.add(nomenclature["theme"]["tranquillite"])
    stored = Intervention.objects.get(pk=entry.pk)
    assert stored.location.srid == 2154
    assert stored.location.x == pytest.approx(652296.97)
    assert stored.location.y == pytest.approx(6861636.36)
    wgs84 = stored.location.transform(4326, clone=True)
    assert wgs84.x == pytest.approx(2.3499, abs=1e-4)
    assert wgs84.y == pytest.approx(48.8530, abs=1e-4)
    assert [t.code for t in stored.themes.all()] == ["tranquillite"]


def test_point_given_in_wgs84_is_stored_in_lambert93(users, organisation, nomenclature):
    from interventions.models import Intervention

    entry = Intervention.objects.create(
        organisation=organisation,
        mediator=users["mediator"],
        occurred_at=datetime(2024, 5, 2, 10, 0, tzinfo=PARIS),
        location=Point(2.3499, 48.8530, srid=4326),
        category=nomenclature["category"]["veille-technique"],
        type=nomenclature["type"]["signalement-eclairage"],
    )
    stored = Intervention.objects.get(pk=entry.pk)
    assert stored.location.srid == 2154
    assert stored.location.x == pytest.approx(NOTRE_DAME_L93[0], abs=0.01)
    assert stored.location.y == pytest.approx(NOTRE_DAME_L93[1], abs=0.01)


def test_territory_area_in_square_metres(organisation):
    from django.contrib.gis.db.models.functions import Area

    from territories.models import Territory, TerritorySet

    tset = TerritorySet.objects.create(
        organisation=organisation, slug="quartiers", kind="district", name="Quartiers"
    )
    Territory.objects.create(
        territory_set=tset, code="Q1", name="Quartier des Épinettes", geom=square(650000, 6860000, 500)
    )
    stored = Territory.objects.annotate(area=Area("geom")).get(code="Q1")
    assert stored.area.sq_m == pytest.approx(250000.0)
    assert stored.name == "Quartier des Épinettes"


def test_invalid_territory_geometry_rejected_by_database(organisation):
    from django.contrib.gis.geos import GEOSGeometry
    from django.db import IntegrityError

    from territories.models import Territory, TerritorySet

    tset = TerritorySet.objects.create(
        organisation=organisation, slug="s", kind="district", name="S"
    )
    bow_tie = GEOSGeometry(
        "MULTIPOLYGON(((0 0, 10 10, 10 0, 0 10, 0 0)))", srid=settings.WORKING_SRID
    )
    with pytest.raises(IntegrityError):
        Territory.objects.create(territory_set=tset, code="B", name="Bow tie", geom=bow_tie)


def test_default_nomenclature_seeded(nomenclature):
    categories = nomenclature["category"]
    assert len(categories) == 10
    assert categories["presence-active"].label == "Présence active de proximité"
    assert categories["veille-sociale"].label == "Veille sociale"
    assert nomenclature["type"]["orientation-ccas"].category.code == "orientation"
    assert nomenclature["type"]["occupation-hall"].label == "Occupation de hall"
    assert set(nomenclature["partner"]) == {
        "bailleur",
        "police-municipale",
        "ccas",
        "services-sociaux",
        "france-services",
        "associations",
        "services-techniques",
    }
    assert [o.label for o in nomenclature["outcome"].values()] == [
        "Résolu",
        "Apaisé",
        "Orienté vers un partenaire",
        "Suivi nécessaire",
        "Non résolu",
    ]
    for category in categories.values():
        assert category.types.count() >= 3, category.code


def test_healthz_reports_versions(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"].startswith("PostgreSQL ")
    assert body["postgis"][0].isdigit()


def test_healthz_503_when_database_down():
    """Run the view in a fresh process whose DATABASE_URL points at a closed port."""
    script = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/healthz');"
        "print(json.dumps([r.status_code, r.json()]))"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "geo_mediation.settings.test",
        # Port 9 (discard) has no PostgreSQL on loopback.
        "DATABASE_URL": "postgis://nobody@127.0.0.1:9/none?connect_timeout=2",
        "ALLOWED_HOSTS": "testserver",
    }
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    status, body = json.loads(done.stdout.strip().splitlines()[-1])
    assert status == 503
    assert body["status"] == "unavailable"


def test_request_id_echoed(client):
    response = client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")
    assert response["X-Request-ID"] == "abc-123"
    generated = client.get("/healthz")["X-Request-ID"]
    assert len(generated) == 32


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@example.org", "x" * 12)


def test_admin_change_pages_render_map_widgets(client, superuser, users, organisation, nomenclature):
    from interventions.models import Intervention
    from territories.models import Territory, TerritorySet

    tset = TerritorySet.objects.create(
        organisation=organisation, slug="q", kind="district", name="Q"
    )
    territory = Territory.objects.create(
        territory_set=tset, code="Q1", name="Q1", geom=square(650000, 6860000, 500)
    )
    entry = Intervention.objects.create(
        organisation=organisation,
        mediator=users["mediator"],
        occurred_at=datetime(2024, 5, 2, 10, 0, tzinfo=PARIS),
        location=Point(*NOTRE_DAME_L93, srid=2154),
        category=nomenclature["category"]["conflits"],
        type=nomenclature["type"]["conflit-voisinage-bruit"],
    )
    client.force_login(superuser)
    for url in (
        f"/admin/territories/territory/{territory.pk}/change/",
        f"/admin/interventions/intervention/{entry.pk}/change/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert "leaflet/leaflet" in html, url
        assert "L.Map.djangoMap" in html or "djangoMap" in html, url
    for model in (
        "accounts/organisation", "accounts/client", "accounts/user",
        "territories/territoryset", "interventions/category",
        "interventions/interventiontype", "interventions/theme",
        "interventions/partner", "interventions/outcome",
    ):
        assert client.get(f"/admin/{model}/").status_code == 200, model
        assert client.get(f"/admin/{model}/add/").status_code == 200, model


def test_interface_french_by_default_english_available(client, users):
    client.force_login(users["coordinator"])
    french = client.get("/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Se déconnecter" in french
    english = client.get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Log out" in english


def test_production_settings_refuse_default_secret():
    env = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    env["DJANGO_SETTINGS_MODULE"] = "geo_mediation.settings.production"
    env["ALLOWED_HOSTS"] = "example.org"
    done = subprocess.run(
        [sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode != 0
    assert "SECRET_KEY" in done.stderr
