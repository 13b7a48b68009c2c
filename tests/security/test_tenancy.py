"""Cross-tenant and cross-client requests return no data.

The scoping querysets are checked directly first. Then every user of both
organisations requests every GET route of the project. The route's parameters
name organisation A's objects, and so do the filters added to the query string
(territory, territory set, bounding box). No response may contain a canary
string that the user must not see (see tests/security/conftest.py).
"""

import io
import zipfile

import pytest

from tests.security.conftest import client_for, forbidden_canaries
from tests.security.routes import (
    MissingParameterError,
    build_url,
    default_params,
    project_routes,
)

pytestmark = pytest.mark.django_db


# --- querysets ------------------------------------------------------------


def ids(queryset):
    return {obj.pk for obj in queryset}


def test_entries_visible_to_each_role(world):
    from interventions.models import Intervention

    a_all = {e.pk for e in world.entries_a_alpha + world.entries_a_outside + world.entries_own_mediator}
    own = {e.pk for e in world.entries_own_mediator}
    b_all = {e.pk for e in world.entries_b}
    visible = {label: ids(Intervention.objects.visible_to(user)) for label, user in world.all_users()}
    assert visible["mediator"] == own
    assert visible["coordinator"] == a_all
    assert visible["analyst"] == a_all
    assert visible["admin"] == a_all
    assert visible["client_viewer"] == set()
    assert visible["other-coordinator"] == b_all
    assert visible["other-client_viewer"] == set()
    assert visible["superuser"] == a_all | b_all


def test_entries_aggregatable_by_client_viewer_perimeter_only(world):
    from interventions.models import Intervention

    alpha = {e.pk for e in world.entries_a_alpha + world.entries_own_mediator}
    aggregatable = ids(Intervention.objects.aggregatable_by(world.users["client_viewer"]))
    # Alpha's entries of organisation A; not Outside's, not B's on the same ground.
    assert aggregatable == alpha
    other = ids(Intervention.objects.aggregatable_by(world.other_users["client_viewer"]))
    assert other == {e.pk for e in world.entries_b}


def test_territories_visible_to_each_role(world):
    from territories.models import Territory, TerritorySet

    assert ids(Territory.objects.visible_to(world.users["coordinator"])) == {
        world.alpha.pk, world.outside.pk
    }
    assert ids(Territory.objects.visible_to(world.users["client_viewer"])) == {world.alpha.pk}
    assert ids(Territory.objects.visible_to(world.other_users["analyst"])) == {world.beta.pk}
    assert ids(TerritorySet.objects.visible_to(world.users["client_viewer"])) == {world.set_a.pk}
    assert ids(TerritorySet.objects.visible_to(world.other_users["client_viewer"])) == {
        world.set_b.pk
    }


def test_perimeter_territory_of_other_organisation_ignored(world):
    """A client whose perimeter names another tenant's territory gets nothing from it."""
    from interventions.models import Intervention
    from territories.models import Territory

    world.users["client_viewer"].client.perimeter.add(world.beta)
    viewer = world.users["client_viewer"]
    assert ids(Territory.objects.visible_to(viewer)) == {world.alpha.pk}
    aggregatable = ids(Intervention.objects.aggregatable_by(viewer))
    assert not aggregatable & {e.pk for e in world.entries_b}


def test_inactive_user_sees_nothing(world):
    from interventions.models import Intervention
    from territories.models import Territory

    coordinator = world.users["coordinator"]
    coordinator.is_active = False
    coordinator.save()
    assert not Intervention.objects.visible_to(coordinator).exists()
    assert not Intervention.objects.aggregatable_by(coordinator).exists()
    assert not Territory.objects.visible_to(coordinator).exists()


def test_user_without_organisation_sees_nothing(world, make_user):
    from interventions.models import Intervention
    from territories.models import TerritorySet

    stray = make_user("sans-organisation", "coordinator", None)
    assert not Intervention.objects.visible_to(stray).exists()
    assert not TerritorySet.objects.visible_to(stray).exists()


def test_accounts_visible_to_each_role(world):
    from accounts.models import AuditEvent, Client, Organisation, User
    from accounts.audit import record_event

    record_event(world.users["coordinator"], AuditEvent.Action.EXPORT, target="a")
    record_event(world.other_users["coordinator"], AuditEvent.Action.EXPORT, target="b")
    admin, other_admin = world.users["admin"], world.other_users["admin"]
    assert ids(Organisation.objects.visible_to(admin)) == {admin.organisation_id}
    assert ids(Client.objects.visible_to(world.users["client_viewer"])) == {
        world.users["client_viewer"].client_id
    }
    assert ids(Client.objects.visible_to(other_admin)) == {world.client_b.pk}
    org_a_users = ids(User.objects.visible_to(admin))
    assert world.users["mediator"].pk in org_a_users
    assert world.other_users["mediator"].pk not in org_a_users
    assert world.superuser.pk not in org_a_users
    assert ids(User.objects.visible_to(world.users["mediator"])) == {world.users["mediator"].pk}
    assert [e.target for e in AuditEvent.objects.visible_to(admin)] == ["a"]
    assert not AuditEvent.objects.visible_to(world.users["coordinator"]).exists()


# --- every route, every user -------------------------------------------------

ROUTES = [route for route in project_routes() if not route.route.startswith("admin/")]
# Admin pages that list or show rows: enough to see a leak through the admin.
ADMIN_LISTS = [
    route for route in project_routes()
    if route.route.startswith("admin/") and route.name and route.name.endswith(("_changelist", "_change"))
]
USER_LABELS = [
    "anonymous", "mediator", "coordinator", "analyst", "client_viewer", "admin",
    "other-mediator", "other-coordinator", "other-analyst", "other-client_viewer", "other-admin",
]


def filter_queries(world):
    """Query strings naming organisation A's objects in the usual filter parameters."""
    bbox = world.bbox_wgs84()
    return [
        "",
        f"territory={world.alpha.pk}&territory_set={world.set_a.pk}&bbox={bbox}",
        f"territory={world.outside.pk}&territory_set={world.set_a.pk}&in_bbox={bbox}",
        f"territory_id={world.outside.pk}&set={world.set_a.pk}&status=submitted",
    ]


def report_queries(world):
    period = "start=2024-03-01&end=2024-03-31"
    return [
        f"zone=territory:{world.alpha.pk}&{period}",
        f"zone=territory:{world.outside.pk}&{period}&set={world.set_a.pk}",
        f"zone=client:{world.users['client_viewer'].client_id}&{period}",
    ]


def export_queries(world):
    """One file per kind of layer: points, zone table, grid; filters naming A's rows."""
    filters = f"territory_set={world.set_a.pk}&territory={world.outside.pk}"
    return [
        "layer=entries&format=geojson",
        "layer=territories&format=geojson",
        f"layer=zone_statistics&format=csv&territory_set={world.set_a.pk}",
        f"layer=zone_statistics&format=csv&{filters}",
        f"layer=hotspots&format=geojson&{filters}",
    ]


# Extra query strings for routes that return data only with their own parameters.
ROUTE_QUERIES = {
    "reports/zone/": report_queries,
    "reports/zone.csv": report_queries,
    "reports/zone.xlsx": report_queries,
    "api/reports/zone/": report_queries,
    "api/exports/download/": export_queries,
}


def response_texts(response):
    """The body as text, with the members of a zip archive added."""
    if getattr(response, "streaming", False):
        body = b"".join(response.streaming_content)
    else:
        body = response.content
    texts = [body.decode("utf-8", errors="replace")]
    if body[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(body)) as archive:
            for name in archive.namelist():
                texts.append(archive.read(name).decode("utf-8", errors="replace"))
    # NOTE: PDF streams are compressed, so a PDF report is not searched here;
    # the reports' own tests check their content.
    return texts


def leaks(world, label, url, response):
    """The forbidden canary strings found in the response, the URL's own excepted."""
    texts = response_texts(response)
    return sorted(
        {
            canary
            for canary in forbidden_canaries(world, label)
            if canary not in url and any(canary in text for text in texts)
        }
    )


def route_url(walk_context, route, query):
    values = default_params(walk_context, route)
    url = build_url(route, values)
    return f"{url}?{query}" if query else url


@pytest.mark.parametrize("label", USER_LABELS)
def test_routes_leak_nothing(label, walk_context):
    """One user, every route and filter: no canary string the user must not see."""
    world = walk_context["world"]
    client = client_for(world, label)
    found = []
    for route in ROUTES:
        extra = ROUTE_QUERIES.get(route.route, lambda world: [])(world)
        for query in filter_queries(world) + extra:
            try:
                url = route_url(walk_context, route, query)
            except MissingParameterError:
                continue
            response = client.get(url)
            leaked = leaks(world, label, url, response)
            if leaked:
                found.append(f"GET {url} -> {response.status_code}: {leaked}")
    assert found == [], f"{label} received: " + "\n".join(found)


@pytest.mark.parametrize("route", ADMIN_LISTS, ids=[r.route for r in ADMIN_LISTS])
def test_admin_page_leaks_nothing(route, walk_context):
    world = walk_context["world"]
    url = route_url(walk_context, route, "")
    found = []
    for label in ("admin", "other-admin"):
        response = client_for(world, label).get(url)
        leaked = leaks(world, label, url, response)
        if leaked:
            found.append(f"{label} GET {url} -> {response.status_code}: {leaked}")
    assert found == []


OBJECT_ROUTES = [route for route in ROUTES if route.parameters]
# Parameters that name one stored object. Routes without them (tiles, grid
# cells) may return 200 to any allowed role, as long as they leak nothing.
OBJECT_PARAMETERS = {"entry_id", "pk", "territory_id", "upload_id", "intervention_id", "job_id"}


def test_objects_of_other_tenant_not_found(walk_context):
    """Organisation B's users get no 2xx on a route naming organisation A's object."""
    world = walk_context["world"]
    clients = {label: client_for(world, label) for label in USER_LABELS if label.startswith("other-")}
    answered = []
    for route in OBJECT_ROUTES:
        if not OBJECT_PARAMETERS & set(route.parameters):
            continue
        try:
            url = route_url(walk_context, route, "")
        except MissingParameterError:
            continue
        for label, client in clients.items():
            response = client.get(url)
            if 200 <= response.status_code < 300:
                answered.append(f"{label} GET {url} -> {response.status_code}")
    assert answered == []


# --- targeted attempts, with positive controls --------------------------------


def body_text(response):
    return "\n".join(response_texts(response))


def tile_url(world):
    z, x, y = world.tile()
    return f"/api/layers/tiles/{z}/{x}/{y}.mvt"


def test_canaries_reach_their_owner(world):
    """The owner's responses do contain the canaries, so their absence elsewhere means something."""
    coordinator = client_for(world, "coordinator")
    entry = str(world.entry.pk)
    assert entry in body_text(coordinator.get("/api/interventions/?page_size=100"))
    assert entry in body_text(coordinator.get(tile_url(world)))
    export = coordinator.get("/api/exports/download/?layer=entries&format=geojson")
    assert world.entry.note in body_text(export)
    assert world.outside.name in body_text(coordinator.get("/api/territories/"))


def test_entry_of_other_tenant_not_found_by_uuid(world):
    other = client_for(world, "other-coordinator")
    assert other.get(f"/api/interventions/{world.entry.pk}/").status_code == 404
    response = other.put(
        f"/api/interventions/{world.entry.pk}/", {}, content_type="application/json"
    )
    assert response.status_code in (400, 403, 404, 409)
    world.entry.refresh_from_db()
    assert world.entry.note == "note-canari-alpha-0"


def test_tile_of_same_ground_shows_own_tenant_only(world):
    """Alpha and Beta cover the same ground: B's coordinator gets B's entries only."""
    text = body_text(client_for(world, "other-coordinator").get(tile_url(world)))
    assert str(world.entries_b[0].pk) in text
    assert str(world.entry.pk) not in text


def test_layer_filter_naming_other_tenant_territory(world):
    other = client_for(world, "other-coordinator")
    for path in ("/api/layers/hotspots/", "/api/layers/coverage/", "/api/layers/territories/"):
        response = other.get(path, {"territory": world.alpha.pk})
        text = body_text(response)
        assert world.alpha.code not in text, path
        # Either an error naming the value or an empty layer.
        assert response.status_code in (200, 400, 404), path


def test_territory_summary_of_other_tenant_not_found(world):
    other = client_for(world, "other-coordinator")
    assert other.get(f"/api/layers/territories/{world.alpha.pk}/").status_code == 404
    viewer = client_for(world, "client_viewer")
    assert viewer.get(f"/api/layers/territories/{world.outside.pk}/").status_code == 404


def test_report_of_zone_outside_perimeter_refused(world):
    viewer = client_for(world, "client_viewer")
    period = "start=2024-03-01&end=2024-03-31"
    response = viewer.get(f"/api/reports/zone/?zone=territory:{world.outside.pk}&{period}")
    assert response.status_code in (400, 404)
    other = client_for(world, "other-coordinator")
    response = other.get(f"/api/reports/zone/?zone=territory:{world.alpha.pk}&{period}")
    assert response.status_code in (400, 404)
    client_a = world.users["client_viewer"].client_id
    response = other.get(f"/api/reports/zone/?zone=client:{client_a}&{period}")
    assert response.status_code in (400, 404)


def test_export_of_other_tenant_rows_empty(world):
    other = client_for(world, "other-coordinator")
    text = body_text(other.get("/api/exports/download/?layer=entries&format=geojson"))
    assert str(world.entries_b[0].pk) in text
    assert str(world.entry.pk) not in text
    response = other.get(
        f"/api/exports/download/?layer=zone_statistics&format=csv&territory_set={world.set_a.pk}"
    )
    assert response.status_code in (400, 404)


def test_export_job_of_other_user_not_found(walk_context):
    world, job = walk_context["world"], walk_context["job"]
    for label in ("analyst", "other-coordinator", "client_viewer"):
        client = client_for(world, label)
        assert client.get(f"/api/exports/jobs/{job.pk}/").status_code == 404, label
        assert client.get(f"/api/exports/jobs/{job.pk}/download/").status_code == 404, label
    owner = client_for(world, "coordinator")
    assert world.entry.note in body_text(owner.get(f"/api/exports/jobs/{job.pk}/download/"))


def test_entries_bbox_of_other_tenant_empty(world):
    other = client_for(world, "other-coordinator")
    response = other.get("/api/interventions/", {"bbox": world.bbox_wgs84(), "in_bbox": world.bbox_wgs84()})
    assert response.status_code == 200
    text = body_text(response)
    assert str(world.entry.pk) not in text
    assert str(world.entries_b[0].pk) in text
