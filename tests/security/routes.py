"""Every URL pattern of the project, read from the resolver, and how to request it.

`project_routes()` walks `get_resolver()` recursively, so a pattern added
anywhere in the project shows up here without any change to the tests.
`build_url()` fills a route's parameters with real objects of the test world.
"""

import json
import re
from dataclasses import dataclass

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLResolver, get_resolver, reverse

ROLE_LABELS = [
    "anonymous",
    "mediator",
    "coordinator",
    "analyst",
    "client_viewer",
    "admin",
    "superuser",
]

_ROUTE_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>\w+)>")
_REGEX_PARAMETER = re.compile(r"\(\?P<(?P<name>\w+)>")


@dataclass(frozen=True)
class Route:
    route: str  # the patterns joined, e.g. "api/interventions/<uuid:pk>/"
    name: str | None  # with its namespaces, e.g. "admin:accounts_user_change"
    callback: object

    @property
    def parameters(self):
        names = [m["name"] for m in _ROUTE_PARAMETER.finditer(self.route)]
        names += [m["name"] for m in _REGEX_PARAMETER.finditer(self.route)]
        return names

    @property
    def is_api(self):
        return self.route.startswith("api/") or "/api/" in self.route

    def __str__(self):
        return self.route


def project_routes():
    """All the project's URL patterns, in resolver order."""
    return list(_walk(get_resolver(), "", None))


def _walk(resolver, prefix, namespace):
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern, route, inner)
            continue
        name = pattern.name
        if name and namespace:
            name = f"{namespace}:{name}"
        yield Route(route=route, name=name, callback=pattern.callback)


class MissingParameterError(LookupError):
    pass


def build_url(route, values):
    """The URL of `route` with its parameters taken from the dict `values`."""
    missing = [name for name in route.parameters if name not in values]
    if missing:
        raise MissingParameterError(
            f"no value for the parameter(s) {missing} of the route {route.route!r}; "
            "give them in the expectation's `params`."
        )
    kwargs = {name: values[name] for name in route.parameters}
    if route.name:
        return reverse(route.name, kwargs=kwargs)
    if _REGEX_PARAMETER.search(route.route) or "^" in route.route:
        raise MissingParameterError(
            f"the unnamed regex route {route.route!r} cannot be built; "
            "give its URL in the expectation's `url`."
        )
    path = _ROUTE_PARAMETER.sub(lambda m: str(kwargs[m["name"]]), route.route)
    return "/" + path


# --- parameters ------------------------------------------------------------


def admin_object_ids(world):
    """An object of organisation A (or a shared one) for each admin model."""
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog
    from django.contrib.auth.models import Group
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from accounts.audit import record_event
    from accounts.models import AuditEvent
    from interventions.models import Category, InterventionType, Outcome, Partner, Theme

    axes_fields = {
        "username": "mediator",
        "ip_address": "127.0.0.1",
        "user_agent": "test",
        "http_accept": "*/*",
        "path_info": "/login/",
        "attempt_time": timezone.now(),
    }
    event = record_event(world.users["coordinator"], AuditEvent.Action.EXPORT, target="walk")
    return {
        "accounts/organisation": world.users["admin"].organisation_id,
        "accounts/client": world.users["client_viewer"].client_id,
        "accounts/user": world.users["mediator"].pk,
        "accounts/auditevent": event.pk,
        "interventions/category": Category.objects.filter(organisation=None).first().pk,
        "interventions/interventiontype": InterventionType.objects.filter(organisation=None).first().pk,
        "interventions/theme": Theme.objects.filter(organisation=None).first().pk,
        "interventions/partner": Partner.objects.filter(organisation=None).first().pk,
        "interventions/outcome": Outcome.objects.filter(organisation=None).first().pk,
        "interventions/intervention": world.entry.pk,
        "territories/territoryset": world.set_a.pk,
        "territories/territory": world.alpha.pk,
        "auth/group": Group.objects.create(name="walk").pk,
        "authtoken/tokenproxy": Token.objects.create(user=world.users["mediator"]).user_id,
        "axes/accessattempt": AccessAttempt.objects.create(
            get_data="", post_data="", failures_since_start=1, **axes_fields
        ).pk,
        "axes/accesslog": AccessLog.objects.create(**axes_fields).pk,
        "axes/accessfailurelog": AccessFailureLog.objects.create(**axes_fields).pk,
    }


def make_upload(world):
    """An import upload of the analyst, stored as the import page would."""
    from territories.uploads import create_upload

    geojson = json.dumps(
        {
            "type": "FeatureCollection",
            "features": [
                {
                    "type": "Feature",
                    "properties": {"code": "Z1", "nom": "Zone"},
                    "geometry": {
                        "type": "Polygon",
                        "coordinates": [[[2.35, 48.85], [2.36, 48.85], [2.36, 48.86], [2.35, 48.85]]],
                    },
                }
            ],
        }
    ).encode()
    uploaded = SimpleUploadedFile("zones.geojson", geojson, content_type="application/geo+json")
    return create_upload(uploaded, user=world.users["analyst"], options={})


def make_export_job(world, folder):
    """A finished export job of the coordinator, its file holding one canary note."""
    from layers.exports.models import ExportJob

    path = folder / "entries.csv"
    path.write_text(f"id,note\n{world.entry.pk},{world.entry.note}\n", encoding="utf-8")
    return ExportJob.objects.create(
        organisation=world.users["coordinator"].organisation,
        user=world.users["coordinator"],
        layer="entries",
        format="csv",
        srid=4326,
        status=ExportJob.Status.DONE,
        file_path=str(path),
        file_size=path.stat().st_size,
    )


def default_params(context, route):
    """Values for the parameters most routes use, from organisation A's objects.

    `context` is the `walk_context` fixture: the world and the objects made for
    the walk (admin objects, an import upload, an export job).
    """
    world, admin_ids = context["world"], context["admin_ids"]
    z, x, y = world.tile()
    values = {
        "entry_id": world.entry.pk,
        "intervention_id": world.entry.pk,
        "territory_id": world.alpha.pk,
        "territory_set_id": world.set_a.pk,
        "set_id": world.set_a.pk,
        "upload_id": context["upload"].id,
        "job_id": context["job"].pk,
        "z": z,
        "x": x,
        "y": y,
        "ext": "mvt",
        "cell_id": world.cell_id(),
        "id": world.users["mediator"].pk,
        "content_type_id": 1,
        "object_id": 1,
    }
    if "interventions" in route.route:
        values["pk"] = world.entry.pk
    elif "territory-sets" in route.route:
        values["pk"] = world.set_a.pk
    elif "territories" in route.route:
        values["pk"] = world.alpha.pk
    if route.route.startswith("admin/"):
        parts = route.route.split("/")
        model = f"{parts[1]}/{parts[2]}" if len(parts) > 2 else ""
        if model in admin_ids:
            values["object_id"] = admin_ids[model]
    return values
