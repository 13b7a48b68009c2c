"""Planted data for the export tests: known places, times and French texts."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.gis.geos import Point

from tests.conftest import square

PARIS = ZoneInfo("Europe/Paris")
# Notre-Dame de Paris, longitude 2.3499 and latitude 48.8530, in Lambert-93, from
# `echo 48.8530 2.3499 | cs2cs -f %.2f EPSG:4326 EPSG:2154` (PROJ 9.1).
NOTRE_DAME_LONLAT = (2.3499, 48.8530)
NOTRE_DAME_L93 = (652296.97, 6861636.36)
# Shortly after midnight in Paris (summer time, UTC+2): 22:15 UTC the day before.
AFTER_MIDNIGHT = datetime(2024, 7, 1, 0, 15, tzinfo=PARIS)
FRENCH_NOTE = "Cœur de l'Île – sœur âgée aidée à l'accueil, problème réglé"
# 140 characters of 2 bytes each and 140 of 1 byte: 280 characters, 420 bytes.
LONG_NOTE = "é" * 140 + "a" * 140
TEN_DIGITS = 2_123_456_789


@pytest.fixture(autouse=True)
def export_dir(settings, tmp_path):
    settings.EXPORT_DIR = str(tmp_path / "exports")
    return tmp_path / "exports"


@pytest.fixture
def districts(organisation):
    """Two districts of 1 km² side by side; the western one contains Notre-Dame."""
    from territories.models import Territory, TerritorySet

    tset = TerritorySet.objects.create(
        organisation=organisation, slug="quartiers", kind="district", name="Quartiers"
    )
    west = Territory.objects.create(
        territory_set=tset,
        code="75104-ND",
        name="Cœur de l'Île – Notre-Dame",
        population=TEN_DIGITS,
        geom=square(651800, 6861200, 1000),
    )
    east = Territory.objects.create(
        territory_set=tset,
        code="75104-SL",
        name="Saint-Louis",
        population=None,
        geom=square(652800, 6861200, 1000),
    )
    return tset, west, east


@pytest.fixture
def make_entry(organisation, users, nomenclature):
    from interventions.models import Intervention
    from territories.attachment import attach_interventions

    def make(x, y, *, occurred_at=AFTER_MIDNIGHT, category="conflits", note="", **extra):
        categories = {
            "conflits": "conflit-voisinage-bruit",
            "veille-technique": "signalement-eclairage",
            "presence-active": "tournee-pied",
        }
        entry = Intervention.objects.create(
            organisation=organisation,
            mediator=users["mediator"],
            occurred_at=occurred_at,
            location=Point(x, y, srid=2154),
            category=nomenclature["category"][category],
            type=nomenclature["type"][categories[category]],
            status=extra.pop("status", "validated"),
            note=note,
            **extra,
        )
        attach_interventions([entry.pk])
        return entry

    return make


@pytest.fixture
def notre_dame_entry(make_entry, nomenclature, districts):
    entry = make_entry(
        *NOTRE_DAME_L93,
        note=FRENCH_NOTE,
        outcome=nomenclature["outcome"]["resolu"],
        people_count=3,
        intensity=2,
        duration_minutes=45,
        location_accuracy_m=12.5,
        location_method="gps",
    )
    entry.themes.add(nomenclature["theme"]["tranquillite"], nomenclature["theme"]["jeunesse"])
    entry.partners.add(nomenclature["partner"]["bailleur"])
    return entry
