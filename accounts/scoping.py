"""What each role may see. Every queryset that leaves a view goes through these.

The rules, one place for all models:

- superusers see everything;
- admins, coordinators and analysts see every row of their organisation;
- mediators see the rows of their organisation and, for entries, only their own;
- client viewers see the territories of their client's perimeter, the sets
  those territories belong to, and entries only in aggregate (never as rows),
  limited to the entries attached to the perimeter;
- a user without an organisation, or anonymous, sees nothing.
"""

from accounts.models import User

ORGANISATION_WIDE_ROLES = {User.Role.ADMIN, User.Role.COORDINATOR, User.Role.ANALYST}


def is_anonymous(user):
    return user is None or not user.is_authenticated


def organisation_id(user):
    """The user's organisation id, or None when the user may see no tenant data."""
    if is_anonymous(user) or not user.is_active:
        return None
    return user.organisation_id


def perimeter_ids(user):
    """Ids of the territories a client viewer's client covers (empty for other roles)."""
    if is_anonymous(user) or user.role != User.Role.CLIENT_VIEWER or user.client_id is None:
        return []
    return list(user.client.perimeter.values_list("id", flat=True))
