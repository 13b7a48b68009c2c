"""The demo computes the default map layers so the first page load is served from cache."""

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.gis.geos import Point
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AuditEvent
from demo.warmup import default_map_params, warm_layer_cache
from tests.conftest import square

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries(organisation, users, nomenclature):
    from interventions.models import Intervention
    from territories.attachment import reattach_organisation
    from territories.models import Territory, TerritorySet

    tset = TerritorySet.objects.create(
        organisation=organisation, slug="quartiers", kind="district", name="Quartiers"
    )
    Territory.objects.create(
        territory_set=tset, code="Q1", name="Quartier", geom=square(650000, 6860000, 3000)
    )
    rng = random.Random(7)
    start = datetime(2024, 3, 1, 10, tzinfo=ZoneInfo("Europe/Paris"))
    Intervention.objects.bulk_create(
        Intervention(
            organisation=organisation,
            mediator=users["mediator"],
            occurred_at=start + timedelta(hours=index),
            location=Point(650000 + rng.uniform(0, 3000), 6860000 + rng.uniform(0, 3000), srid=2154),
            category=nomenclature["category"]["conflits"],
            type=nomenclature["type"]["conflit-voisinage-bruit"],
            status="validated",
        )
        for index in range(200)
    )
    reattach_organisation(organisation.pk)
    return tset


def _get_hotspots(client, user):
    client.force_login(user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(
            reverse("api-layers-hotspots"),
            default_map_params(user),
            HTTP_ACCEPT_LANGUAGE="fr",
        )
    assert response.status_code == 200
    return response.json(), len(queries)


def test_default_params_match_map_page(users, entries):
    assert default_map_params(users["coordinator"]) == {
        "cell_size": 250,
        "territory_set": entries.pk,
        "status": "validated",
    }


def test_warmed_layer_served_from_cache(client, users, entries):
    coordinator = users["coordinator"]
    cache.clear()
    cold_body, cold_queries = _get_hotspots(client, coordinator)
    cache.clear()
    logins_before = AuditEvent.objects.filter(action="login").count()
    assert warm_layer_cache([coordinator], report=lambda line: None) == 5
    assert AuditEvent.objects.filter(action="login").count() == logins_before
    warm_body, warm_queries = _get_hotspots(client, coordinator)
    assert warm_body == cold_body
    assert warm_queries < cold_queries


def test_warmup_skips_roles_without_map(users, entries):
    assert warm_layer_cache([users["mediator"]], report=lambda line: None) == 0
