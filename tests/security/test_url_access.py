"""Every URL pattern of the project, requested by every role, against a table.

The patterns come from the URL resolver, so a new endpoint without a line in
EXPECTATIONS (or a rule in `admin_expectation`) fails
`test_every_route_has_expectation`. To add one, write its route as printed by
that failure, the statuses per role (the helpers `page`, `api` and `everyone`
cover most cases) and, when the route has parameters that DEFAULT_PARAMS does
not fill, a `params` function.

Statuses are for a GET request. Tokens: LOGIN is a redirect to the login page,
ADMIN_LOGIN a redirect to the admin's login page, API_DENIED is 401 or 403.
"""

import json
import os
from dataclasses import dataclass
from typing import Callable

import pytest

from tests.security.routes import (
    ROLE_LABELS,
    MissingParameterError,
    build_url,
    default_params,
    project_routes,
)

pytestmark = pytest.mark.django_db

LOGIN = "login"
ADMIN_LOGIN = "admin-login"
API_DENIED = "api-denied"
# Roles of organisation A that are not superusers.
ROLES = [label for label in ROLE_LABELS if label not in ("anonymous", "superuser")]


@dataclass
class Expect:
    statuses: dict
    params: Callable | None = None  # world -> {parameter: value}
    url: Callable | None = None  # world -> URL, for routes that cannot be reversed
    query: Callable | None = None  # world -> query string
    # Statuses for a POST with an empty form, for routes that change data.
    # Roles allowed to post get a form error or a redirect, never a change.
    post: dict | None = None
    note: str = ""  # why a status differs from the role rules, for the reader
    # A known difference between the statuses above (the intended rule) and
    # what the route does now: the test is marked xfail with this reason, and
    # fails once the route follows the rule, so that the entry gets cleaned.
    deviation: str = ""
    deviating_roles: tuple = ("admin",)  # the only roles the deviation may concern


def everyone(status):
    return {label: status for label in ROLE_LABELS}


def page(*roles, ok=200, others=403):
    """A page: anonymous users go to the login page, `roles` get `ok`, the rest 403."""
    statuses = {label: (ok if label in roles else others) for label in ROLES}
    return {"anonymous": LOGIN, **statuses, "superuser": ok}


def api(*roles, ok=200, others=403):
    statuses = {label: (ok if label in roles else others) for label in ROLES}
    return {"anonymous": API_DENIED, **statuses, "superuser": ok}


def changed(statuses, **changes):
    return {**statuses, **changes}


ENTRY = ("mediator", "coordinator", "analyst", "admin")
CAPTURE = ("mediator", "coordinator")
REVIEW = ("coordinator",)
LAYERS = ("coordinator", "analyst", "client_viewer", "admin")
REPORTS = ("coordinator", "analyst", "client_viewer")
EXPORTS = ("coordinator", "analyst", "client_viewer")
TERRITORIES = ("coordinator", "analyst", "admin")
IMPORT = ("analyst", "admin")


# The coordinator's export job: other users allowed to export get 404.
JOB_OF_COORDINATOR = dict(analyst=404, client_viewer=404, superuser=404)


def report_query(world):
    return f"zone=territory:{world.alpha.pk}&start=2024-03-01&end=2024-03-31"


def export_query(world):
    return f"layer=zone_statistics&format=csv&territory_set={world.set_a.pk}"




def own_entry(world):
    """An entry of the mediator `users['mediator']`, submitted, so still editable."""
    return {"entry_id": world.entries_own_mediator[0].pk}


EXPECTATIONS = {
    # --- project ---------------------------------------------------------
    "healthz": Expect(everyone(200)),
    "i18n/setlang/": Expect(everyone(302), note="GET redirects back without changing anything"),
    "api/schema/": Expect(everyone(200)),
    "api/docs/": Expect(everyone(200)),
    "": Expect(page(*ROLES)),
    "login/": Expect(everyone(200)),
    "logout/": Expect(everyone(405), note="log out by POST only"),
    # --- accounts --------------------------------------------------------
    "audit/": Expect(page("admin")),
    "api/token/": Expect(everyone(405), note="POST with credentials only"),
    # --- interventions ---------------------------------------------------
    "api/nomenclature/": Expect(api(*ENTRY)),
    "api/interventions/": Expect(api(*ENTRY)),
    # The canary mediator's entry: the other mediator gets 404.
    "api/interventions/<uuid:pk>/": Expect(changed(api(*ENTRY), mediator=404)),
    "saisie/": Expect(page(*CAPTURE)),
    "saisie/sw.js": Expect(everyone(200), note="service worker script, no data"),
    "mes-saisies/": Expect(page(*CAPTURE)),
    # An entry of users["mediator"]: anyone else allowed on the page gets 404.
    "mes-saisies/<uuid:entry_id>/": Expect(
        changed(page(*CAPTURE), coordinator=404, superuser=404), params=own_entry
    ),
    "validation/": Expect(page(*REVIEW)),
    # POST only; the entry is already validated, so the reviewer is sent back
    # to the queue with a message and nothing changes.
    "validation/<uuid:entry_id>/valider/": Expect(
        everyone(405), post=page(*REVIEW, ok=302)
    ),
    # An empty rejection comment is a form error: the queue comes back with 400.
    "validation/<uuid:entry_id>/refuser/": Expect(
        everyone(405), post=page(*REVIEW, ok=400)
    ),
    # --- territories -----------------------------------------------------
    # Every role: the capture page draws the territories, scoped by visible_to.
    "api/territory-sets/": Expect(api(*ROLES)),
    "api/territories/": Expect(api(*ROLES)),
    "territories/": Expect(page(*TERRITORIES)),
    "territories/import/": Expect(page(*IMPORT)),
    # The upload belongs to the analyst: others allowed to import get 404.
    "territories/import/<uuid:upload_id>/": Expect(
        changed(page(*IMPORT), admin=404, superuser=404)
    ),
    "territories/import/<uuid:upload_id>/cancel/": Expect(
        everyone(405),
        post=changed(page(*IMPORT, ok=302), admin=404, superuser=404),
    ),
    "territories/import/<uuid:upload_id>/confirm/": Expect(
        everyone(405),
        post=changed(page(*IMPORT, ok=302), admin=404, superuser=404),
    ),
    # --- layers ----------------------------------------------------------
    "map/": Expect(page(*LAYERS)),
    "api/layers/hotspots/": Expect(api(*LAYERS)),
    "api/layers/density/": Expect(api(*LAYERS)),
    "api/layers/density.png": Expect(api(*LAYERS)),
    "api/layers/density.tif": Expect(api(*LAYERS)),
    "api/layers/coverage/": Expect(api(*LAYERS)),
    "api/layers/gaps/": Expect(api(*LAYERS)),
    "api/layers/territories/": Expect(api(*LAYERS)),
    "api/layers/territories/<int:territory_id>/": Expect(api(*LAYERS)),
    "api/layers/cells/<str:cell_id>/": Expect(api(*LAYERS)),
    # Individual entries as points: coordinators and analysts only.
    r"api/layers/^tiles/(?P<z>\d+)/(?P<x>\d+)/(?P<y>\d+)\.(?P<ext>pvt|mvt|pbf)$": Expect(
        changed(api("coordinator", "analyst"), superuser=403),
        note="layers.apis.can_view_entries does not let superusers in",
    ),
    # --- reports ---------------------------------------------------------
    "reports/": Expect(page(*REPORTS)),
    "reports/zone/": Expect(page(*REPORTS), query=report_query),
    "reports/zone.pdf": Expect(page(*REPORTS), query=report_query),
    "reports/zone.csv": Expect(page(*REPORTS), query=report_query),
    "reports/zone.xlsx": Expect(page(*REPORTS), query=report_query),
    "api/reports/zones/": Expect(api(*REPORTS)),
    "api/reports/zone/": Expect(api(*REPORTS), query=report_query),
    # --- exports ---------------------------------------------------------
    "exports/": Expect(page(*EXPORTS)),
    "exports/jobs/<uuid:job_id>/download/": Expect(
        changed(page(*EXPORTS), **JOB_OF_COORDINATOR)
    ),
    "api/exports/layers/": Expect(api(*EXPORTS)),
    "api/exports/jobs/": Expect(api(*EXPORTS)),
    "api/exports/jobs/<uuid:job_id>/": Expect(
        changed(api(*EXPORTS), **JOB_OF_COORDINATOR)
    ),
    "api/exports/jobs/<uuid:job_id>/download/": Expect(
        changed(api(*EXPORTS), **JOB_OF_COORDINATOR)
    ),
    "api/exports/download/": Expect(
        api(*EXPORTS), query=export_query
    ),
}


# --- the Django admin ----------------------------------------------------

ALL_ACTIONS = {"view", "add", "change", "delete"}
# What a staff account with the admin role may do, per model, in its own
# organisation; "none" models are for superusers only.
ROLE_ADMIN_POLICY = {
    "accounts/organisation": {"view", "change"},
    "accounts/client": ALL_ACTIONS,
    "accounts/user": ALL_ACTIONS,
    "accounts/auditevent": {"view"},
    "interventions/category": ALL_ACTIONS,
    "interventions/interventiontype": ALL_ACTIONS,
    "interventions/theme": ALL_ACTIONS,
    "interventions/partner": ALL_ACTIONS,
    "interventions/outcome": ALL_ACTIONS,
    "interventions/intervention": {"view"},
    "territories/territoryset": {"view"},
    "territories/territory": {"view"},
    "auth/group": set(),
    "authtoken/tokenproxy": set(),
    "axes/accessattempt": set(),
    "axes/accesslog": set(),
    "axes/accessfailurelog": set(),
}
# Actions that no user, superusers included, may take in the admin.
NOBODY = {
    "accounts/auditevent": {"add", "change", "delete"},
    "axes/accessattempt": {"add"},
    "axes/accesslog": {"add"},
    "axes/accessfailurelog": {"add"},
}
# The object shown on change pages is a default nomenclature row, which role
# admins may view but not change.
DEFAULT_ROWS = {"interventions/category", "interventions/interventiontype", "interventions/theme",
                "interventions/partner", "interventions/outcome"}

NOT_ADMIN = ("anonymous", "mediator", "coordinator", "analyst", "client_viewer")


def _admin_statuses(role_admin, superuser):
    return {**{label: ADMIN_LOGIN for label in NOT_ADMIN}, "admin": role_admin, "superuser": superuser}


ADMIN_SITE_EXPECTATIONS = {
    "admin/": Expect(_admin_statuses(200, 200)),
    "admin/login/": Expect(
        {**everyone(200), "admin": 302, "superuser": 302},
        note="the login form, or a redirect to the index for those already in",
    ),
    "admin/logout/": Expect(
        {**{label: 302 for label in NOT_ADMIN}, "admin": 405, "superuser": 405}
    ),
    "admin/password_change/": Expect(_admin_statuses(200, 200)),
    "admin/password_change/done/": Expect(_admin_statuses(200, 200)),
    "admin/autocomplete/": Expect(_admin_statuses(403, 403), note="403 without its parameters"),
    "admin/jsi18n/": Expect(_admin_statuses(200, 200)),
    "admin/r/<path:content_type_id>/<path:object_id>/": Expect(
        _admin_statuses(404, 404), note="no model has get_absolute_url"
    ),
    "admin/^(?P<app_label>auth|authtoken|axes|accounts|territories|interventions)/$": Expect(
        _admin_statuses(200, 200), params=lambda world: {"app_label": "accounts"}
    ),
    "admin/(?P<url>.*)$": Expect(
        _admin_statuses(404, 404), url=lambda world: "/admin/no-such-page/"
    ),
    "admin/accounts/user/<id>/password/": Expect(
        _admin_statuses(200, 200), params=lambda world: {"id": world.users["mediator"].pk}
    ),
}

_ADMIN_MODEL_ROUTE = {
    "": "changelist",
    "add/": "add",
    "<path:object_id>/history/": "history",
    "<path:object_id>/delete/": "delete",
    "<path:object_id>/change/": "change",
    "<path:object_id>/": "redirect",
}


def admin_expectation(route):
    """The expectation for a route of the admin site, or None when it has none."""
    if route in ADMIN_SITE_EXPECTATIONS:
        return ADMIN_SITE_EXPECTATIONS[route]
    parts = route.split("/", 3)
    if len(parts) < 4 or parts[0] != "admin":
        return None
    model, tail = f"{parts[1]}/{parts[2]}", parts[3]
    if model not in ROLE_ADMIN_POLICY or tail not in _ADMIN_MODEL_ROUTE:
        return None
    view = _ADMIN_MODEL_ROUTE[tail]
    if view == "redirect":
        return Expect(_admin_statuses(302, 302))
    action = {"changelist": "view", "history": "view"}.get(view, view)
    role_actions = ROLE_ADMIN_POLICY[model] - NOBODY.get(model, set())
    if model in DEFAULT_ROWS and view in ("delete",):
        role_actions = role_actions - {"delete"}
    superuser_ok = action not in NOBODY.get(model, set())
    if view == "change":
        # View-only access still opens the change page, read-only.
        role_ok = bool(role_actions & {"view", "change"})
        superuser_ok = True
    else:
        role_ok = action in role_actions
    return Expect(_admin_statuses(200 if role_ok else 403, 200 if superuser_ok else 403))


def expectation_for(route):
    if route.route.startswith("admin/"):
        return admin_expectation(route.route)
    return EXPECTATIONS.get(route.route)


# --- requests --------------------------------------------------------------


def outcome_matches(expected, response):
    status = response.status_code
    location = response.get("Location", "")
    if expected == LOGIN:
        return status == 302 and location.startswith("/login/")
    if expected == ADMIN_LOGIN:
        return status == 302 and location.startswith("/admin/login/")
    if expected == API_DENIED:
        return status in (401, 403)
    return status == expected


def describe(response):
    location = response.get("Location")
    return f"{response.status_code}" + (f" -> {location}" if location else "")


ROUTES = project_routes()


def test_every_route_has_expectation():
    missing = [route.route for route in ROUTES if expectation_for(route) is None]
    assert missing == [], (
        "routes without an expectation in tests/security/test_url_access.py: "
        + ", ".join(repr(m) for m in missing)
    )


def test_every_expectation_covers_every_role():
    incomplete = []
    for route in ROUTES:
        expect = expectation_for(route)
        if expect is not None and set(expect.statuses) != set(ROLE_LABELS):
            incomplete.append((route.route, sorted(set(ROLE_LABELS) ^ set(expect.statuses))))
    assert incomplete == []


def request_route(context, route, expect, label):
    world = context["world"]
    if expect.url is not None:
        url = expect.url(world)
    else:
        values = default_params(context, route)
        if expect.params is not None:
            values.update(expect.params(world))
        url = build_url(route, values)
    if expect.query is not None:
        url = f"{url}?{expect.query(world)}"
    return url, context["clients"][label].get(url)


def _mismatch_role(mismatch):
    """The role label of a mismatch line, "admin: expected ..." or "POST admin: ..."."""
    return mismatch.removeprefix("POST ").split(":", 1)[0]


def _post_route(context, url, expect):
    mismatches, observed = [], {}
    for label in ROLE_LABELS:
        response = context["clients"][label].post(url, {})
        observed[label] = describe(response)
        if not outcome_matches(expect.post[label], response):
            mismatches.append(
                f"POST {label}: expected {expect.post[label]}, got {describe(response)}"
            )
    return mismatches, observed


def _check_route(context, route):
    """Request `route` as every role; return (URL, mismatches, observed statuses)."""
    expect = expectation_for(route)
    if expect is None and os.environ.get("SECURITY_WALK_RECORD"):
        # Record what the route does, to help write its line of the table.
        expect = Expect(everyone(None))
    if expect is None:
        pytest.fail(f"no expectation for {route.route!r} (see test_every_route_has_expectation)")
    mismatches, observed = [], {}
    for label in ROLE_LABELS:
        try:
            url, response = request_route(context, route, expect, label)
        except MissingParameterError as error:
            pytest.fail(str(error))
        observed[label] = describe(response)
        if not outcome_matches(expect.statuses[label], response):
            mismatches.append(
                f"{label}: expected {expect.statuses[label]}, got {describe(response)}"
            )
    if expect.post is not None:
        post_mismatches, observed["POST"] = _post_route(context, url, expect)
        mismatches += post_mismatches
    if os.environ.get("SECURITY_WALK_RECORD"):
        with open(os.environ["SECURITY_WALK_RECORD"], "a", encoding="utf-8") as record:
            line = {"route": route.route, "url": url, "observed": observed}
            record.write(json.dumps(line) + "\n")
    return url, expect, mismatches


def route_groups(routes):
    """The routes, with the pages of one admin model grouped under its prefix.

    Grouping keeps the walk short: the world is built once per group.
    """
    groups = {}
    for route in routes:
        parts = route.route.split("/")
        model = f"{parts[1]}/{parts[2]}" if len(parts) > 3 else ""
        if parts[0] == "admin" and model in ROLE_ADMIN_POLICY:
            key = f"admin/{model}/"
        else:
            key = route.route or "/"
        groups.setdefault(key, []).append(route)
    return groups


GROUPS = route_groups(ROUTES)


@pytest.mark.parametrize("group", list(GROUPS))
def test_route_statuses_per_role(group, walk_context):
    failures, deviations = [], []
    for route in GROUPS[group]:
        url, expect, mismatches = _check_route(walk_context, route)
        if not expect.deviation:
            failures += [f"{url}: {m}" for m in mismatches]
            continue
        if not mismatches:
            failures.append(f"{route.route!r} now follows the table: remove its deviation")
            continue
        for mismatch in mismatches:
            if _mismatch_role(mismatch) in expect.deviating_roles:
                deviations.append(f"{url}: {mismatch}")
            else:
                failures.append(f"{url}: {mismatch}")
        deviations.append(expect.deviation)
    assert failures == []
    if deviations:
        pytest.xfail("; ".join(dict.fromkeys(deviations)))
