"""Pages of the capture: the phone page and its service worker, own entries, review."""

import hashlib
import json
import logging
from functools import lru_cache

from django.conf import settings
from django.contrib import messages
from django.contrib.staticfiles import finders
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import get_template, render_to_string
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from accounts import permissions
from interventions import selectors, services, validation
from interventions.forms import REJECTION_COMMENT_MAX_LENGTH, EntryForm, RejectionForm
from interventions.models import NOTE_MAX_LENGTH, Intervention
from territories.models import Territory

logger = logging.getLogger(__name__)

# Static files the capture page loads, precached by the service worker so that the
# page opens with no network after one visit. tests/interventions checks that the
# page loads nothing from /static/ outside this list.
CAPTURE_STATIC_FILES = [
    "css/site.css",
    "leaflet/leaflet.css",
    "leaflet/leaflet.extras.css",
    "leaflet/leaflet.js",
    "leaflet/leaflet.extras.js",
    "leaflet/draw/leaflet.draw.i18n.js",
    "leaflet/images/marker-icon.png",
    "leaflet/images/marker-icon-2x.png",
    "leaflet/images/marker-shadow.png",
    "leaflet/images/layers.png",
    "leaflet/images/layers-2x.png",
    "interventions/capture.css",
    "interventions/outbox.js",
    "interventions/capture.js",
]

SERVICE_WORKER_TEMPLATE = "interventions/service_worker.js"

# Used when the territories app has no named route for its polygons.
TERRITORIES_API_FALLBACK = "/api/territories/"

ENTRIES_PER_PAGE = 30


def _territories_api_url():
    try:
        return reverse("api-territories-list")
    except NoReverseMatch:
        return TERRITORIES_API_FALLBACK


def _capture_messages():
    """Texts the page's JavaScript shows, translated here so they work offline."""
    return {
        "menu": _("Menu"),
        "online": _("Online"),
        "offline": _("Offline: entries wait on the phone"),
        "offlineReady": _("Available offline"),
        "stateWaiting": _("waiting"),
        # The request is on its way; "received" means the server stored the entry.
        "stateSent": _("sending"),
        "stateReceived": _("received"),
        "stateRefused": _("refused"),
        "outsideTerritories": _("outside your territories"),
        "sessionExpired": _(
            "Session expired: log in again, the entries stay on the phone."
        ),
        "serverBusy": _("The server did not answer; the phone will try again."),
        "geoInsecure": _(
            "Your position is not available on this connection (HTTPS needed): tap "
            "the map to place the point."
        ),
        "geoUnsupported": _(
            "This browser does not give your position: tap the map to place the point."
        ),
        "geoDenied": _(
            "Position access refused: allow location for this site in the browser "
            "settings, or tap the map to place the point."
        ),
        "geoUnavailable": _("Position not found: tap the map to place the point."),
        "geoTimeout": _("Position not found in time: try again or tap the map."),
        "geoLocating": _("Looking for your position…"),
        "pointNone": _("Tap the map to place the point, or use “My position”."),
        "pointGps": _(
            "Point from GPS, accurate to %(accuracy)s m. Drag it to correct it."
        ),
        "pointTap": _("Point placed on the map. Drag it to correct it."),
        "needPoint": _("Place the point on the map first."),
        "needCategory": _("Choose a category."),
        "needType": _("Choose a type."),
        "timeInFuture": _("The time is in the future; check it."),
        "timeInvalid": _("Enter the time of the intervention."),
        "noteTooLong": _("The note is too long."),
        "saved": _("Entry saved on the phone; it will be sent as soon as possible."),
        "savedReceived": _("Entry received by the server."),
        "outboxEmpty": _("No entry on this phone."),
        "correct": _("Correct"),
        "discard": _("Delete"),
        "discardConfirm": _(
            "Delete this entry from the phone? It was not stored by the server."
        ),
        "chooseType": _("Choose a type"),
        "chooseCategoryFirst": _("Choose a category first"),
        "characters": _("%(count)s / %(limit)s characters"),
        "editing": _("Correcting a refused entry"),
        "newEntry": _("New entry"),
        "refusedWith": _("refused: %(reason)s"),
        "fieldError": _("%(field)s: %(message)s"),
        "fieldLabels": {
            "id": _("identifier"),
            "location": _("location"),
            "occurred_at": _("time"),
            "duration_minutes": _("duration"),
            "location_accuracy_m": _("accuracy"),
            "location_method": _("location method"),
            "category": _("category"),
            "type": _("type"),
            "themes": _("themes"),
            "partners": _("partners"),
            "outcome": _("outcome"),
            "people_count": _("number of people"),
            "intensity": _("intensity"),
            "note": _("note"),
            "status": _("status"),
        },
    }


def _territory_counts(user, territory_sets):
    """Number of territories the user sees in each set, by set id."""
    rows = (
        Territory.objects.visible_to(user)
        .filter(territory_set__in=territory_sets)
        .values("territory_set")
        .annotate(count=Count("pk"))
    )
    return {row["territory_set"]: row["count"] for row in rows}


def _capture_config(request):
    user = request.user
    today = timezone.localdate()
    territory_sets = list(selectors.current_territory_sets(user, today))
    territory_counts = _territory_counts(user, territory_sets)
    leaflet = settings.LEAFLET_CONFIG
    return {
        "username": user.get_username(),
        "apiUrl": reverse("api-interventions-list"),
        "pageUrl": reverse("interventions:capture"),
        "serviceWorkerUrl": reverse("interventions:service_worker"),
        "loginUrl": f"{reverse('login')}?next={reverse('interventions:capture')}",
        "territoriesUrl": _territories_api_url(),
        "territorySets": [
            {
                "id": tset.pk,
                "name": str(tset),
                "kind": tset.kind,
                "count": territory_counts.get(tset.pk, 0),
            }
            for tset in territory_sets
        ],
        "extent": selectors.territory_extent_wgs84(user, territory_sets),
        "center": list(leaflet["DEFAULT_CENTER"]),
        "zoom": leaflet["DEFAULT_ZOOM"],
        "maxZoom": leaflet["MAX_ZOOM"],
        "tileUrl": settings.BASEMAP_TILE_URL,
        "tileAttribution": settings.BASEMAP_ATTRIBUTION,
        "csrfCookieName": settings.CSRF_COOKIE_NAME,
        "noteMaxLength": NOTE_MAX_LENGTH,
        "futureToleranceMinutes": int(
            validation.FUTURE_TOLERANCE.total_seconds() // 60
        ),
    }


@never_cache
@permissions.role_required(*permissions.CAPTURE_ROLES)
def capture(request):
    """Render the phone page: map, shared form and outbox of unacknowledged entries."""
    organisation_id = request.user.organisation_id
    return render(
        request,
        "interventions/capture.html",
        {
            "nomenclature": selectors.nomenclature_for(organisation_id),
            "capture_config": _capture_config(request),
            "capture_messages": _capture_messages(),
            "note_max_length": NOTE_MAX_LENGTH,
            "intensities": [(1, _("low")), (2, _("medium")), (3, _("high"))],
        },
    )


@lru_cache(maxsize=1)
def _assets_version():
    """Hash of the service worker template and the precached files' contents.

    A new deployment with changed files gets a new cache name, so phones drop the
    old copies. The value is computed once per process.
    """
    digest = hashlib.sha256()
    template = get_template(SERVICE_WORKER_TEMPLATE)
    digest.update(template.template.source.encode())
    for path in CAPTURE_STATIC_FILES:
        found = finders.find(path)
        if found is None:
            logger.error("capture asset %s not found by the static finders", path)
            continue
        with open(found, "rb") as handle:
            digest.update(handle.read())
    return digest.hexdigest()[:16]


@require_GET
def service_worker(request):
    """Serve the service worker from the page's folder, so its scope covers the page."""
    page_url = reverse("interventions:capture")
    worker_config = {
        "cacheName": f"capture-{_assets_version()}",
        "pageUrl": page_url,
        "staticUrl": settings.STATIC_URL,
        "precache": [static(path) for path in CAPTURE_STATIC_FILES],
        "dataUrls": [_territories_api_url(), reverse("api-nomenclature")],
    }
    script = render_to_string(
        SERVICE_WORKER_TEMPLATE, {"worker_config_json": json.dumps(worker_config)}
    )
    response = HttpResponse(
        script, content_type="application/javascript; charset=utf-8"
    )
    response["Cache-Control"] = "no-cache"
    response["Service-Worker-Allowed"] = page_url
    return response


@permissions.role_required(*permissions.CAPTURE_ROLES)
def mine(request):
    """List the user's own entries with their status and the reviewer's comment."""
    entries = selectors.own_entries(request.user)
    status = request.GET.get("status", "")
    if status in Intervention.Status.values:
        entries = entries.filter(status=status)
    page = Paginator(entries, ENTRIES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "interventions/mine.html",
        {"page": page, "statuses": Intervention.Status.choices, "status": status},
    )


def _own_entry(request, entry_id):
    entry = selectors.own_entries(request.user).filter(pk=entry_id).first()
    if entry is None:
        raise Http404(_("No entry of yours has this identifier."))
    return entry


@permissions.role_required(*permissions.CAPTURE_ROLES)
def edit(request, entry_id):
    """Correct an own entry until a coordinator validates it."""
    entry = _own_entry(request, entry_id)
    if not entry.is_editable:
        status = 409 if request.method == "POST" else 200
        return render(
            request, "interventions/edit.html", {"entry": entry}, status=status
        )

    nonce = str(getattr(request, "csp_nonce", ""))
    form = EntryForm(request.POST or None, instance=entry, csp_nonce=nonce)
    if request.method == "POST" and form.is_valid():
        fields = form.submission_fields()
        try:
            services.intervention_update(entry=entry, fields=fields)
        except services.EntryLocked:
            messages.error(
                request, _("This entry was validated meanwhile; it was not changed.")
            )
        else:
            messages.success(request, _("Entry corrected."))
        return redirect("interventions:mine")
    return render(request, "interventions/edit.html", {"entry": entry, "form": form})


@permissions.role_required(*permissions.REVIEW_ROLES)
def review(request):
    """Submitted entries of the organisation, oldest first, to validate or reject."""
    return _render_review(request, RejectionForm())


def _render_review(request, rejection_form, rejected_id=None, status=200):
    """Render the review queue, keeping the comment of an invalid rejection.

    `rejected_id` is the entry whose rejection form is bound to `rejection_form`.
    """
    page = Paginator(selectors.review_queue(request.user), ENTRIES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "interventions/review.html",
        {
            "page": page,
            "rejection_form": rejection_form,
            "rejected_id": rejected_id,
            "comment_max_length": REJECTION_COMMENT_MAX_LENGTH,
        },
        status=status,
    )


@require_POST
@permissions.role_required(*permissions.REVIEW_ROLES)
def validate(request, entry_id):
    try:
        services.intervention_validate(
            reviewer=request.user, entry_id=entry_id, request=request
        )
    except Intervention.DoesNotExist:
        raise Http404(_("No entry of your organisation has this identifier.")) from None
    except services.ReviewNotAllowed:
        messages.error(request, _("This entry is no longer waiting for review."))
    else:
        messages.success(request, _("Entry validated."))
    return redirect("interventions:review")


@require_POST
@permissions.role_required(*permissions.REVIEW_ROLES)
def reject(request, entry_id):
    form = RejectionForm(request.POST)
    if not form.is_valid():
        # Rendered again rather than redirected, so that the comment typed is kept.
        for error in form.errors["comment"]:
            messages.error(request, error)
        return _render_review(request, form, rejected_id=entry_id, status=400)
    try:
        services.intervention_reject(
            reviewer=request.user,
            entry_id=entry_id,
            comment=form.cleaned_data["comment"],
            request=request,
        )
    except Intervention.DoesNotExist:
        raise Http404(_("No entry of your organisation has this identifier.")) from None
    except services.ReviewNotAllowed:
        messages.error(request, _("This entry is no longer waiting for review."))
    else:
        messages.success(request, _("Entry rejected; the mediator sees your comment."))
    return redirect("interventions:review")
