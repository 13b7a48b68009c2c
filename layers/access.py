"""Layer permissions by role, and the entries and extent of a layer request."""

from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from accounts import scoping
from accounts.models import User
from layers.exceptions import UnknownTerritoryError
from layers.filters import DEFAULT_STATUSES, LayerFilters

LAYER_ROLES = {
    User.Role.COORDINATOR,
    User.Role.ANALYST,
    User.Role.ADMIN,
    User.Role.CLIENT_VIEWER,
}
ENTRY_ROLES = {User.Role.COORDINATOR, User.Role.ANALYST}


def can_view_layers(user):
    if scoping.is_anonymous(user) or not user.is_active:
        return False
    return user.is_superuser or user.role in LAYER_ROLES


def can_view_entries(user):
    """Coordinators and analysts see entries one by one on the map (as tiles)."""
    if scoping.is_anonymous(user) or not user.is_active:
        return False
    return user.role in ENTRY_ROLES


def suppresses_small_counts(user):
    return not user.is_superuser and user.role == User.Role.CLIENT_VIEWER


def suppressed(value, threshold=None):
    """`value`, or "< N" when it is a count under N, zero included.

    Zero is hidden too, as in reports and exports, so that which cells are
    shown exactly reveals nothing about the hidden ones.
    """
    threshold = settings.SMALL_COUNT_THRESHOLD if threshold is None else threshold
    if value is None:
        return None
    if value < threshold:
        return f"< {threshold}"
    return value


@dataclass(frozen=True)
class LayerRequest:
    """Filters, scoped entries and extent of one layer request.

    `extent` is a Territory queryset: the filtered territories, the chosen
    set, or a client viewer's perimeter. It is None when the layer covers the
    bounding box of the entries.
    """

    user: object
    filters: LayerFilters
    entries: object
    extent: object

    @property
    def suppress_small_counts(self):
        return suppresses_small_counts(self.user)


def layer_request(user, params):
    """Build a LayerRequest from query parameters; raise ValidationError on bad values."""
    from interventions.models import Intervention

    filters = LayerFilters.from_query(params)
    if suppresses_small_counts(user) and tuple(filters.statuses) != DEFAULT_STATUSES:
        raise ValidationError(
            _(
                "status=%(status)s is not available to client viewers; they see validated "
                "entries only, so remove the status filter."
            )
            % {"status": ",".join(filters.statuses)}
        )
    entries = filters.apply(Intervention.objects.aggregatable_by(user))
    extent = _extent_for(user, filters)
    return LayerRequest(user=user, filters=filters, entries=entries, extent=extent)


def _extent_for(user, filters):
    from territories.models import Territory, TerritorySet

    territories = Territory.objects.visible_to(user)
    if filters.territories:
        found = set(
            territories.filter(pk__in=filters.territories).values_list("pk", flat=True)
        )
        missing = [pk for pk in filters.territories if pk not in found]
        if missing:
            raise UnknownTerritoryError(
                _(
                    "territory=%(value)s is not a territory you can see; choose territories "
                    "from the list."
                )
                % {"value": missing[0]}
            )
        return territories.filter(pk__in=filters.territories)
    if filters.territory_set:
        if (
            not TerritorySet.objects.visible_to(user)
            .filter(pk=filters.territory_set)
            .exists()
        ):
            raise UnknownTerritoryError(
                _(
                    "territory_set=%(value)s is not a territory set you can see; choose a set "
                    "from the list."
                )
                % {"value": filters.territory_set}
            )
        return territories.filter(territory_set_id=filters.territory_set)
    if suppresses_small_counts(user):
        return territories
    return None
