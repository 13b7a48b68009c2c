"""Demo organisations, clients and one account per role, for `manage.py load_demo`."""

import secrets

from django.contrib.auth.models import Permission
from django.db import transaction

from accounts.models import Client, Organisation, User

DEMO_ORGANISATION = {"slug": "mediation-paris-demo", "name": "Médiation Paris (démo)"}
SECOND_ORGANISATION = {"slug": "mediation-occitanie-demo", "name": "Médiation Occitanie (démo)"}

DEMO_CLIENTS = [
    ("Ville de Paris", Client.Kind.COLLECTIVITE),
    ("Paris Habitat", Client.Kind.BAILLEUR),
    ("RIVP", Client.Kind.BAILLEUR),
]

# (username, role, client name or None, organisation slug)
DEMO_ACCOUNTS = [
    ("mediateur", User.Role.MEDIATOR, None, DEMO_ORGANISATION["slug"]),
    ("coordinatrice", User.Role.COORDINATOR, None, DEMO_ORGANISATION["slug"]),
    ("analyste", User.Role.ANALYST, None, DEMO_ORGANISATION["slug"]),
    ("ville", User.Role.CLIENT_VIEWER, "Ville de Paris", DEMO_ORGANISATION["slug"]),
    ("bailleur-ph", User.Role.CLIENT_VIEWER, "Paris Habitat", DEMO_ORGANISATION["slug"]),
    ("bailleur-rivp", User.Role.CLIENT_VIEWER, "RIVP", DEMO_ORGANISATION["slug"]),
    ("admin", User.Role.ADMIN, None, DEMO_ORGANISATION["slug"]),
    ("coordination-occitanie", User.Role.COORDINATOR, None, SECOND_ORGANISATION["slug"]),
]

# Apps whose models the admin role manages through the Django admin.
ADMIN_ROLE_APPS = ["accounts", "interventions", "territories"]


@transaction.atomic
def create_demo_accounts():
    """Create the demo organisations, clients and accounts that do not exist yet.

    Returns a list of (username, role, password) for the accounts created by
    this call; accounts that already existed keep their password and are not
    listed.
    """
    organisations = {}
    for spec in (DEMO_ORGANISATION, SECOND_ORGANISATION):
        organisations[spec["slug"]], _ = Organisation.objects.get_or_create(
            slug=spec["slug"], defaults={"name": spec["name"]}
        )
    paris = organisations[DEMO_ORGANISATION["slug"]]
    clients = {}
    for name, kind in DEMO_CLIENTS:
        clients[name], _ = Client.objects.get_or_create(
            organisation=paris, name=name, defaults={"kind": kind}
        )

    created = []
    for username, role, client_name, org_slug in DEMO_ACCOUNTS:
        if User.objects.filter(username=username).exists():
            continue
        password = secrets.token_urlsafe(9)
        user = User.objects.create_user(
            username=username,
            password=password,
            role=role,
            organisation=organisations[org_slug],
            client=clients.get(client_name),
            is_staff=role == User.Role.ADMIN,
        )
        if role == User.Role.ADMIN:
            user.user_permissions.set(
                Permission.objects.filter(content_type__app_label__in=ADMIN_ROLE_APPS)
            )
        created.append((username, role, password))
    return created
