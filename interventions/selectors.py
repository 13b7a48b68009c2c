"""Read paths of the capture: nomenclature, a mediator's entries, the review queue."""

from django.conf import settings
from django.contrib.gis.db.models import Extent
from django.contrib.gis.geos import Polygon
from django.db.models import Q

from interventions.models import (
    Category,
    Intervention,
    InterventionType,
    Outcome,
    Partner,
    Theme,
)
from territories.models import Territory, TerritorySet

# Nomenclature tables, by the name the API and the form give them.
NOMENCLATURE_MODELS = {
    "category": Category,
    "type": InterventionType,
    "theme": Theme,
    "partner": Partner,
    "outcome": Outcome,
}


def nomenclature_items(model, organisation_id):
    """Active rows of one nomenclature table offered to an organisation's form.

    These are the default rows (no organisation) and the organisation's own rows.
    """
    return model.objects.filter(
        Q(organisation__isnull=True) | Q(organisation_id=organisation_id),
        is_active=True,
    )


def _unique_by_code(rows):
    """Keep one row per code, the organisation's own row over the default one."""
    chosen = {}
    for row in rows:
        if row.code not in chosen or row.organisation_id is not None:
            chosen[row.code] = row
    return sorted(chosen.values(), key=lambda row: (row.position, row.label))


def _items(model, organisation_id):
    rows = _unique_by_code(nomenclature_items(model, organisation_id))
    return [{"code": row.code, "label": row.label} for row in rows]


def nomenclature_for(organisation_id):
    """Return the form's nomenclature as JSON-ready codes and labels.

    Types are grouped under their category.
    """
    types = _unique_by_code(
        nomenclature_items(InterventionType, organisation_id).select_related("category")
    )
    categories = []
    for category in _unique_by_code(nomenclature_items(Category, organisation_id)):
        categories.append(
            {
                "code": category.code,
                "label": category.label,
                "types": [
                    {"code": kind.code, "label": kind.label}
                    for kind in types
                    if kind.category.code == category.code
                ],
            }
        )

    return {
        "categories": categories,
        "themes": _items(Theme, organisation_id),
        "partners": _items(Partner, organisation_id),
        "outcomes": _items(Outcome, organisation_id),
    }


def current_territory_sets(user, today):
    """Territory sets the user sees whose validity period contains `today`."""
    return (
        TerritorySet.objects.visible_to(user)
        .filter(Q(valid_from__isnull=True) | Q(valid_from__lte=today))
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        .order_by("kind", "name", "-version")
    )


def territory_extent_wgs84(user, territory_sets):
    """Bounding box (west, south, east, north) in EPSG:4326 of the sets' territories.

    Returns None when the sets have no territory.
    """
    extent = (
        Territory.objects.visible_to(user)
        .filter(territory_set__in=territory_sets)
        .aggregate(extent=Extent("geom"))["extent"]
    )
    if extent is None:
        return None
    box = Polygon.from_bbox(extent)
    box.srid = settings.WORKING_SRID
    return box.transform(4326, clone=True).extent


def entries_with_details(queryset):
    return queryset.select_related(
        "category", "type", "outcome", "mediator", "reviewed_by"
    ).prefetch_related("themes", "partners")


def own_entries(user):
    """Return the user's own entries, newest first."""
    return entries_with_details(
        Intervention.objects.visible_to(user).filter(mediator=user)
    ).order_by("-occurred_at", "-created_at")


def review_queue(user):
    """Return the submitted entries the user may review, oldest first."""
    return entries_with_details(
        Intervention.objects.visible_to(user).filter(
            status=Intervention.Status.SUBMITTED
        )
    ).order_by("occurred_at", "created_at")
