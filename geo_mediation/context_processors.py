from django.conf import settings
from django.utils.functional import SimpleLazyObject

from geo_mediation.navigation import menu_for


def site(request):
    """Add the values every page template uses: the menu, the CSP nonce, the base map."""
    return {
        "nav_items": SimpleLazyObject(lambda: menu_for(request.user)),
        # django-leaflet's map template reads `csp_nonce`.
        "csp_nonce": getattr(request, "csp_nonce", ""),
        "BASEMAP_TILE_URL": settings.BASEMAP_TILE_URL,
        "BASEMAP_ATTRIBUTION": settings.BASEMAP_ATTRIBUTION,
    }
