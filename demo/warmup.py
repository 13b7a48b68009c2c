"""Compute the planners' map layers of the demo accounts once, so that the first
page load finds them in the layer cache.

The requests repeat what the map page sends on opening: the most recent
territory set the user may see, the default cell size, validated entries for
the provider's staff, in French (the cache key includes the language).
"""

import logging

from django.test import RequestFactory
from django.urls import resolve, reverse
from django.utils import translation
from rest_framework.test import force_authenticate

from layers.access import can_view_layers, suppresses_small_counts
from territories.models import TerritorySet

logger = logging.getLogger(__name__)

DEFAULT_CELL_SIZE = 250
LAYER_URL_NAMES = (
    "api-layers-territories",
    "api-layers-hotspots",
    "api-layers-density",
    "api-layers-coverage",
    "api-layers-gaps",
)


def default_map_params(user):
    """Query parameters the map page sends for `user` before any filter is changed."""
    params = {"cell_size": DEFAULT_CELL_SIZE}
    first_set = TerritorySet.objects.visible_to(user).order_by("-created_at").first()
    if first_set is not None:
        params["territory_set"] = first_set.pk
    if not suppresses_small_counts(user):
        params["status"] = "validated"
    return params


def warm_layer_cache(users, report=print):
    """Compute each default map layer of each user allowed on the map; return the count.

    The layer views are called directly with the user authenticated on the
    request, not through a login, so that no login lands in the audit log.
    """
    factory = RequestFactory(HTTP_HOST="127.0.0.1")
    computed = 0
    for user in users:
        if not can_view_layers(user):
            continue
        params = default_map_params(user)
        failed = []
        for url_name in LAYER_URL_NAMES:
            url = reverse(url_name)
            request = factory.get(url, params)
            force_authenticate(request, user=user)
            with translation.override("fr"):
                response = resolve(url).func(request)
            if response.status_code == 200:
                computed += 1
            else:
                # The map shows the same message on opening (e.g. an extent
                # too large for the default cell size), so this is no error.
                failed.append(url_name)
                logger.info("%s for %s: status %s", url_name, user.username, response.status_code)
        if failed:
            report(f"Map layers of {user.username} computed, except {', '.join(failed)}.")
        else:
            report(f"Map layers of {user.username} computed.")
    return computed
