"""Visibility rules of each role. Every queryset that leaves a view goes through them.

The rules, one place for all models:

- active superusers see everything;
- admins, coordinators and analysts see every row of their organisation;
- mediators see the rows of their organisation and, for entries, only their own;
- client viewers see the territories of their client's perimeter, the sets
  those territories belong to, and entries only in aggregate (never as rows),
  limited to the entries attached to the perimeter;
- users and clients: organisation-wide roles see their organisation's users
  (superusers excepted), other roles only themselves; client viewers see their
  own client;
- audit events: role admins see their organisation's, other roles none;
- anonymous users, inactive users and users without an organisation see nothing.

The querysets applying them: `visible_to` in accounts/querysets.py,
territories/querysets.py and interventions/querysets.py, and
`Intervention.objects.aggregatable_by` for aggregates.
"""

from django.db.models import QuerySet

# Role values, as stored in User.role (kept as strings: accounts.models imports
# this module through its querysets).
MEDIATOR = "mediator"
COORDINATOR = "coordinator"
ANALYST = "analyst"
CLIENT_VIEWER = "client_viewer"
ADMIN = "admin"

ORGANISATION_WIDE_ROLES = {ADMIN, COORDINATOR, ANALYST}


def is_anonymous(user):
    """Return True for no user, anonymous users and deactivated accounts."""
    return user is None or not user.is_authenticated or not user.is_active


def sees_everything(user):
    return not is_anonymous(user) and user.is_superuser


def organisation_id(user):
    """Return the user's organisation id, or None when the user may see no tenant data."""
    if is_anonymous(user):
        return None
    return user.organisation_id


def perimeter_ids(user):
    """Return the ids of a client viewer's perimeter (empty for other roles)."""
    if is_anonymous(user) or user.role != CLIENT_VIEWER or user.client_id is None:
        return []
    return list(user.client.perimeter.values_list("id", flat=True))


class ScopedQuerySet(QuerySet):
    """A queryset whose `visible_to(user)` applies the rules above.

    Anonymous and inactive users, and users without an organisation, see
    nothing; superusers see everything. For everyone else the subclass's
    `scope_to(user, org_id)` returns the rows of the user's role in that
    organisation.
    """

    def visible_to(self, user):
        if is_anonymous(user):
            return self.none()
        if sees_everything(user):
            return self
        org_id = organisation_id(user)
        if org_id is None:
            return self.none()
        return self.scope_to(user, org_id)

    def scope_to(self, user, org_id):
        raise NotImplementedError("ScopedQuerySet subclasses define scope_to()")
