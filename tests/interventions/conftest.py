"""Fixtures of the capture tests: Features as a phone sends them, API clients."""

import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

# Notre-Dame de Paris: longitude 2.3499, latitude 48.8530, which is
# (652296.97, 6861636.36) in Lambert-93 (cs2cs EPSG:4326 -> EPSG:2154, PROJ 9.1).
NOTRE_DAME = (2.3499, 48.8530)
NOTRE_DAME_L93 = (652296.97, 6861636.36)
# Place Bellecour in Lyon, far from any territory planted in these tests.
BELLECOUR = (4.8320, 45.7578)


@pytest.fixture
def make_feature():
    """Build the Feature a phone sends; keyword arguments replace properties."""

    def make(entry_id=None, coordinates=NOTRE_DAME, **properties):
        values = {
            "occurred_at": (timezone.now() - timedelta(hours=1)).isoformat(),
            "duration_minutes": 15,
            "location_method": "gps",
            "location_accuracy_m": 12.5,
            "category": "conflits",
            "type": "conflit-voisinage-bruit",
            "themes": ["tranquillite"],
            "partners": ["bailleur"],
            "outcome": "apaise",
            "people_count": 2,
            "intensity": 2,
            "note": "Musique forte signalée au 3e étage, échange calme.",
            "status": "submitted",
        }
        values.update(properties)
        return {
            "type": "Feature",
            "id": str(entry_id or uuid.uuid4()),
            "geometry": {"type": "Point", "coordinates": list(coordinates)},
            "properties": values,
        }

    return make


@pytest.fixture
def api_as():
    """An API client logged in as the given user."""

    def login(user):
        client = APIClient()
        client.force_login(user)
        return client

    return login
