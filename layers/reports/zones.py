"""The zone a report covers and who may ask for it.

A zone is one territory, or the whole perimeter of a client. Entries of a
zone are the entries attached to its territories (territories.Attachment).
"""

from dataclasses import dataclass, field

from django.contrib.gis.db.models import Union
from django.contrib.gis.geos import MultiPolygon
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404
from django.utils.translation import gettext as _

from accounts import scoping
from accounts.models import Client, User
from territories.models import Territory, TerritorySet

ZONE_KINDS = ("territory", "client")
# As in the role table: role admins manage users and the nomenclature, and
# read no reports.
REPORT_ROLES = {
    User.Role.COORDINATOR,
    User.Role.ANALYST,
    User.Role.CLIENT_VIEWER,
}


def can_read_reports(user):
    """True for the roles that may read trend reports (not mediators, not role admins)."""
    if scoping.is_anonymous(user) or not user.is_active:
        return False
    return user.is_superuser or user.role in REPORT_ROLES


def check_report_access(user):
    if not can_read_reports(user):
        raise PermissionDenied(_("Your role does not give access to trend reports."))


def suppresses_small_counts(user):
    """True when the user's reports must hide small counts (client viewers)."""
    return not user.is_superuser and user.role == User.Role.CLIENT_VIEWER


@dataclass
class Zone:
    """One territory or a client's perimeter, as the user may see it."""

    kind: str
    id: int
    name: str
    territories: list = field(default_factory=list)
    client: Client | None = None
    _geom: MultiPolygon | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @property
    def spec(self):
        return f"{self.kind}:{self.id}"

    @property
    def territory_ids(self):
        return tuple(territory.pk for territory in self.territories)

    @property
    def territory_sets(self):
        sets = {}
        for territory in self.territories:
            sets.setdefault(territory.territory_set_id, territory.territory_set)
        return list(sets.values())

    def geom(self):
        """Union of the zone's polygons, in the working CRS (None when empty)."""
        if not self.territories:
            return None
        if self._geom is None:
            # One ST_Union aggregate in PostGIS. Unioning the 366 estates of a
            # landlord one pair at a time in GEOS took about 20 times as long.
            union = Territory.objects.filter(pk__in=self.territory_ids).aggregate(
                union=Union("geom")
            )["union"]
            if union.geom_type == "Polygon":
                union = MultiPolygon(union, srid=union.srid)
            self._geom = union
        return self._geom


def parse_zone_spec(value):
    """Split "territory:12" or "client:3" into its kind and id."""
    if not value:
        raise ValidationError(_("zone is missing; give territory:<id> or client:<id>."))
    kind, _sep, raw_id = str(value).partition(":")
    if kind not in ZONE_KINDS or not raw_id.isdigit():
        raise ValidationError(
            _("zone=%(value)s is not valid; give territory:<id> or client:<id>.")
            % {"value": value}
        )
    return kind, int(raw_id)


def zone_resolve(user, spec):
    """Load the zone named by `spec`; raise Http404 when the user may not see it."""
    check_report_access(user)
    kind, zone_id = parse_zone_spec(spec)
    visible = Territory.objects.visible_to(user).select_related("territory_set")
    if kind == "territory":
        territory = visible.filter(pk=zone_id).first()
        if territory is None:
            raise Http404(
                _("No territory %(id)s among the ones you may see.") % {"id": zone_id}
            )
        return Zone(kind, territory.pk, territory.name, [territory])

    client = clients_visible_to(user).filter(pk=zone_id).first()
    if client is None:
        raise Http404(
            _("No client %(id)s among the ones you may see.") % {"id": zone_id}
        )
    territories = list(visible.filter(clients=client).order_by("territory_set", "code"))
    if not territories:
        raise ValidationError(
            _(
                "The perimeter of client %(name)s has no territory; add territories "
                "to it before asking for its report."
            )
            % {"name": client.name}
        )
    return Zone(kind, client.pk, client.name, territories, client=client)


def clients_visible_to(user):
    """Clients whose perimeter report the user may read."""
    if not can_read_reports(user):
        return Client.objects.none()
    if user.is_superuser:
        return Client.objects.all()
    if user.role == User.Role.CLIENT_VIEWER:
        return Client.objects.filter(
            pk=user.client_id, organisation_id=user.organisation_id
        )
    return Client.objects.filter(organisation_id=scoping.organisation_id(user))


def comparison_set_resolve(user, zone, set_id=None):
    """Return the territory set whose zones the report compares.

    Defaults to the set of the territory, or for a client to the set holding
    most of its perimeter (the smallest id on a tie).
    """
    visible = TerritorySet.objects.visible_to(user)
    if set_id is not None:
        territory_set = visible.filter(pk=set_id).first()
        if territory_set is None:
            raise Http404(
                _("No territory set %(id)s among the ones you may see.")
                % {"id": set_id}
            )
        return territory_set
    if zone.kind == "territory":
        return zone.territories[0].territory_set
    best = (
        Territory.objects.filter(pk__in=zone.territory_ids)
        .values("territory_set")
        .annotate(n=Count("id"))
        .order_by("-n", "territory_set")
        .first()
    )
    return visible.get(pk=best["territory_set"])
