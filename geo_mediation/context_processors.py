from django.conf import settings
from django.utils.functional import SimpleLazyObject

from geo_mediation.navigation import menu_for
from interventions.models import Intervention


def _has_demo_entries(request):
    """Return whether the user's organisation has entries of the demonstration data set.

    The value is computed at most once per request, and only when a template reads it.
    """
    if not hasattr(request, "_has_demo_entries"):
        user = getattr(request, "user", None)
        organisation_id = getattr(user, "organisation_id", None)
        request._has_demo_entries = bool(
            user is not None
            and user.is_authenticated
            and organisation_id is not None
            and Intervention.objects.filter(
                organisation_id=organisation_id, is_demo=True
            ).exists()
        )
    return request._has_demo_entries


def site(request):
    """Add the values every page template uses: the menu, the CSP nonce, the base map,
    and whether the organisation's data includes the demonstration data set."""
    return {
        "nav_items": SimpleLazyObject(lambda: menu_for(request.user)),
        # django-leaflet's map template reads `csp_nonce`.
        "csp_nonce": getattr(request, "csp_nonce", ""),
        "BASEMAP_TILE_URL": settings.BASEMAP_TILE_URL,
        "BASEMAP_ATTRIBUTION": settings.BASEMAP_ATTRIBUTION,
        "has_demo_data": SimpleLazyObject(lambda: _has_demo_entries(request)),
    }
