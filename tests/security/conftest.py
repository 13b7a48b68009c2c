"""A small two-tenant world with canary strings planted in each tenant's data.

Organisation A (`organisation`) has a district set with Alpha (in the client's
perimeter) and Outside (not in it); organisation B has a sector, Beta, on the
same ground as Alpha. Each tenant has entries in each territory, with notes and
names that appear nowhere else, so a response that contains one of them shows
a leak.
"""

import math
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.gis.geos import Point
from django.test import Client

from tests.conftest import square
from tests.security.routes import (
    ROLE_LABELS,
    admin_object_ids,
    make_export_job,
    make_upload,
)

PARIS = ZoneInfo("Europe/Paris")
# From zoom 15 on, entry tiles carry one point per entry with its id.
TILE_ZOOM = 16

# Lower-left corners in Lambert-93, squares of 1 km.
ALPHA_ORIGIN = (650000, 6860000)
OUTSIDE_ORIGIN = (652000, 6860000)
SIDE_M = 1000
# Entries per territory and author: at least SMALL_COUNT_THRESHOLD, so that
# aggregates are not suppressed for the client viewer.
ENTRIES_PER_PLACE = 6


@dataclass
class World:
    users: dict
    other_users: dict
    superuser: object
    canary_mediator: object
    set_a: object
    alpha: object
    outside: object
    set_b: object
    beta: object
    entries_a_alpha: list
    entries_a_outside: list
    entries_own_mediator: list
    entries_b: list
    client_b: object
    canaries: dict = field(default_factory=dict)

    @property
    def entry(self):
        """An entry of organisation A by the canary mediator, in Alpha."""
        return self.entries_a_alpha[0]

    def all_users(self):
        """(label, user) for every role of both organisations, and the superuser."""
        labelled = [(role, user) for role, user in self.users.items()]
        labelled += [(f"other-{role}", user) for role, user in self.other_users.items()]
        labelled.append(("superuser", self.superuser))
        return labelled

    def bbox_wgs84(self):
        """Bounding box of Alpha (and Beta) as 'west,south,east,north' in EPSG:4326."""
        extent = self.alpha.geom.transform(4326, clone=True).extent
        return ",".join(f"{value:.6f}" for value in extent)

    def cell_id(self, cell_size=250):
        """Id of the hexagonal grid cell whose centre is nearest Alpha's centre.

        The lattice puts cell (i, j) at x = 1.5 size i and
        y = sqrt(3) size (j + (i mod 2) / 2), in the working CRS.
        """
        centre = self.alpha.geom.centroid
        best = None
        i0 = int(centre.x // (1.5 * cell_size))
        for i in range(i0 - 1, i0 + 3):
            x = 1.5 * cell_size * i
            j0 = int(centre.y // (math.sqrt(3) * cell_size))
            for j in range(j0 - 1, j0 + 3):
                y = math.sqrt(3) * cell_size * (j + (i % 2) / 2)
                distance = math.hypot(x - centre.x, y - centre.y)
                if best is None or distance < best[0]:
                    best = (distance, i, j)
        return f"H{cell_size:g}_{best[1]}_{best[2]}"

    def tile(self, zoom=TILE_ZOOM):
        """The web-mercator tile (z, x, y) that contains `entry` (and B's first entry)."""
        centre = self.entry.location.transform(4326, clone=True)
        lon, lat = centre.x, centre.y
        n = 2**zoom
        x = int((lon + 180.0) / 360.0 * n)
        y = int((1.0 - math.asinh(math.tan(math.radians(lat))) / math.pi) / 2.0 * n)
        return zoom, x, y


def _entry(organisation, mediator, origin, index, note, nomenclature, status="validated"):
    from interventions.models import Intervention

    x, y = origin
    return Intervention.objects.create(
        organisation=organisation,
        mediator=mediator,
        occurred_at=datetime(2024, 3, 4 + index, 10 + index % 8, 15, tzinfo=PARIS),
        location=Point(x + 100 + 120 * index, y + 500, srid=2154),
        category=nomenclature["category"]["conflits"],
        type=nomenclature["type"]["conflit-voisinage-bruit"],
        note=note,
        status=status,
    )


@pytest.fixture
def world(organisation, other_organisation, client_city, users, make_user, nomenclature):
    from django.contrib.auth import get_user_model

    from accounts.models import Client
    from territories.attachment import attach_interventions
    from territories.models import Territory, TerritorySet

    set_a = TerritorySet.objects.create(
        organisation=organisation, slug="quartiers", kind="district", name="Quartiers-Canari-A"
    )
    alpha = Territory.objects.create(
        territory_set=set_a, code="CANARI-A1", name="Quartier-Alpha-Canari",
        geom=square(*ALPHA_ORIGIN, SIDE_M),
    )
    outside = Territory.objects.create(
        territory_set=set_a, code="CANARI-A2", name="Quartier-Hors-Perimetre-Canari",
        geom=square(*OUTSIDE_ORIGIN, SIDE_M),
    )
    client_city.perimeter.add(alpha)

    set_b = TerritorySet.objects.create(
        organisation=other_organisation, slug="secteurs", kind="patrol_sector",
        name="Secteurs-Canari-B",
    )
    beta = Territory.objects.create(
        territory_set=set_b, code="CANARI-B1", name="Secteur-Beta-Canari",
        geom=square(*ALPHA_ORIGIN, SIDE_M),
    )
    client_b = Client.objects.create(
        organisation=other_organisation, name="Bailleur-Canari-B", kind=Client.Kind.BAILLEUR
    )
    client_b.perimeter.add(beta)

    canary_mediator = make_user("canari-mediateur", "mediator", organisation)
    other_users = {
        "mediator": make_user("mediateur-b", "mediator", other_organisation),
        "coordinator": make_user("coordinatrice-b", "coordinator", other_organisation),
        "analyst": make_user("analyste-b", "analyst", other_organisation),
        "client_viewer": make_user("bailleur-b", "client_viewer", other_organisation, client_b),
        "admin": make_user("admin-b", "admin", other_organisation),
    }
    superuser = get_user_model().objects.create_superuser(
        "root", "root@example.org", "correct-horse-battery-staple"
    )

    entries_a_alpha = [
        _entry(organisation, canary_mediator, ALPHA_ORIGIN, i, f"note-canari-alpha-{i}", nomenclature)
        for i in range(ENTRIES_PER_PLACE)
    ]
    entries_a_outside = [
        _entry(organisation, canary_mediator, OUTSIDE_ORIGIN, i, f"note-canari-hors-{i}", nomenclature)
        for i in range(ENTRIES_PER_PLACE)
    ]
    entries_own_mediator = [
        _entry(organisation, users["mediator"], ALPHA_ORIGIN, i, f"note-propre-{i}", nomenclature)
        for i in range(2)
    ]
    entries_b = [
        _entry(other_organisation, other_users["mediator"], ALPHA_ORIGIN, i, f"note-canari-beta-{i}", nomenclature)
        for i in range(ENTRIES_PER_PLACE)
    ]
    attach_interventions(
        [e.pk for e in entries_a_alpha + entries_a_outside + entries_own_mediator + entries_b]
    )

    world = World(
        users=users,
        other_users=other_users,
        superuser=superuser,
        canary_mediator=canary_mediator,
        set_a=set_a,
        alpha=alpha,
        outside=outside,
        set_b=set_b,
        beta=beta,
        entries_a_alpha=entries_a_alpha,
        entries_a_outside=entries_a_outside,
        entries_own_mediator=entries_own_mediator,
        entries_b=entries_b,
        client_b=client_b,
    )
    world.canaries = _canaries(world)
    return world


def _canaries(world):
    """Strings that only each group of rows contains, by group name."""

    def entry_strings(entries):
        return [str(e.pk) for e in entries] + [e.note for e in entries]

    return {
        "a_canary_mediator_entries": entry_strings(
            world.entries_a_alpha + world.entries_a_outside
        ) + ["canari-mediateur"],
        "a_own_mediator_entries": entry_strings(world.entries_own_mediator),
        "a_outside_territory": [world.outside.code, world.outside.name],
        "a_territories": [
            world.alpha.code, world.alpha.name, world.outside.code,
            world.outside.name, world.set_a.name,
        ],
        "b_everything": entry_strings(world.entries_b)
        + [world.beta.code, world.beta.name, world.set_b.name, world.client_b.name, "mediateur-b"],
    }


def forbidden_canaries(world, label):
    """Canary strings that the user labelled `label` must never receive."""
    groups = {
        "anonymous": ["a_canary_mediator_entries", "a_own_mediator_entries", "a_territories", "b_everything"],
        "mediator": ["a_canary_mediator_entries", "b_everything"],
        "coordinator": ["b_everything"],
        "analyst": ["b_everything"],
        "admin": ["b_everything"],
        "client_viewer": [
            "a_canary_mediator_entries", "a_own_mediator_entries",
            "a_outside_territory", "b_everything",
        ],
        "superuser": [],
    }
    if label.startswith("other-"):
        # Organisation B's users: nothing of organisation A.
        names = ["a_canary_mediator_entries", "a_own_mediator_entries", "a_territories"]
    else:
        names = groups[label]
    texts = [text for name in names for text in world.canaries[name]]
    if label == "other-client_viewer":
        # Organisation B's client viewer: no entry of B as a row either.
        texts += [str(e.pk) for e in world.entries_b] + [e.note for e in world.entries_b]
    return texts


def client_for(world, label):
    """A test client logged in as the user labelled `label` (see World.all_users)."""
    # A server error is reported by the access table; here it is just a status.
    client = Client(raise_request_exception=False)
    if label == "anonymous":
        return client
    if label == "superuser":
        user = world.superuser
    elif label.startswith("other-"):
        user = world.other_users[label.removeprefix("other-")]
    else:
        user = world.users[label]
    client.force_login(user)
    return client


@pytest.fixture
def walk_context(world, settings, tmp_path):
    """The world, one object per admin model, an upload, an export job, a client per role."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.EXPORT_DIR = str(tmp_path / "exports")
    return {
        "world": world,
        "admin_ids": admin_object_ids(world),
        "upload": make_upload(world),
        "job": make_export_job(world, tmp_path),
        "clients": {label: client_for(world, label) for label in ROLE_LABELS},
    }
