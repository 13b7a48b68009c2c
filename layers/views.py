"""The planners' map page."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _

from layers.access import can_view_entries, can_view_layers, suppresses_small_counts
from layers.apis import hotspot_legend
from layers.forms import LayerFilterForm


def _url_template(name, placeholder_kwargs, replacements):
    url = reverse(name, kwargs=placeholder_kwargs)
    for old, new in replacements:
        url = url.replace(old, new)
    return url


def _map_config(request):
    from territories.models import TerritorySet

    user = request.user
    first_set = TerritorySet.objects.visible_to(user).order_by("-created_at").first()
    return {
        "basemap": {
            "url": settings.BASEMAP_TILE_URL,
            "attribution": settings.BASEMAP_ATTRIBUTION,
        },
        "center": list(settings.LEAFLET_CONFIG.get("DEFAULT_CENTER", (46.6, 2.4))),
        "zoom": settings.LEAFLET_CONFIG.get("DEFAULT_ZOOM", 12),
        "defaultTerritorySet": first_set.pk if first_set else None,
        "showEntries": can_view_entries(user),
        "suppressSmallCounts": suppresses_small_counts(user),
        "urls": {
            "hotspots": reverse("api-layers-hotspots"),
            "density": reverse("api-layers-density"),
            "coverage": reverse("api-layers-coverage"),
            "gaps": reverse("api-layers-gaps"),
            "territories": reverse("api-layers-territories"),
            "cell": _url_template(
                "api-layers-cell-summary", {"cell_id": "CELL"}, [("CELL", "{id}")]
            ),
            "territory": _url_template(
                "api-layers-territory-summary",
                {"territory_id": 999999},
                [("999999", "{id}")],
            ),
            "tiles": _url_template(
                "api-layers-tiles",
                {"z": 1, "x": 2, "y": 3, "ext": "mvt"},
                [("/1/2/3.", "/{z}/{x}/{y}.")],
            ),
        },
        "hotspotLegend": hotspot_legend(),
        "labels": {
            "hotspots": _("Hot spots (Gi*)"),
            "density": _("Density"),
            "coverage": _("Coverage"),
            "gaps": _("Gaps"),
            "territories": _("Territories"),
            "entries": _("Entries"),
            "basemap": _("Base map"),
            "entriesCount": _("entries"),
            "zScore": _("z-score"),
            "confidence": _("class"),
            "topCategories": _("Top categories"),
            "densityUnits": _("entries per km²"),
            "bandwidth": _("bandwidth"),
            "presenceHours": _("presence hours"),
            "presenceDays": _("presence days"),
            "demand": _("demand (entries other than active presence)"),
            "coverageRatio": _("presence hours per demand entry"),
            "noDemand": _("no demand"),
            "notShown": _("not shown (small counts)"),
            "gap": _("gap: high demand, little presence"),
            "missingHours": _("missing presence hours"),
            "noGap": _("no gap"),
            "loading": _("Loading…"),
            "failed": _("The layer could not be loaded:"),
            "island": _("no neighbouring cell, not tested"),
            "cluster": _("entries in this area"),
        },
    }


@login_required
def map_page(request):
    if not can_view_layers(request.user):
        raise PermissionDenied(_("The map is for coordinators, analysts and clients."))
    config = _map_config(request)
    initial = {"territory_set": config["defaultTerritorySet"] or ""}
    form = LayerFilterForm(request.GET or None, initial=initial, user=request.user)
    context = {
        "form": form,
        "map_config": config,
        "small_count_threshold": settings.SMALL_COUNT_THRESHOLD,
    }
    return render(request, "layers/map.html", context)
