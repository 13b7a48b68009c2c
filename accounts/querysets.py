"""`visible_to(user)` for the accounts models; the rules are in accounts/scoping.py."""

from django.contrib.auth.models import UserManager

from accounts import scoping


class OrganisationQuerySet(scoping.ScopedQuerySet):
    def scope_to(self, user, org_id):
        """Superusers see every organisation, everyone else their own."""
        return self.filter(pk=org_id)


class ClientQuerySet(scoping.ScopedQuerySet):
    def scope_to(self, user, org_id):
        """Provider staff see their organisation's clients, a client viewer its own."""
        if user.role == scoping.CLIENT_VIEWER:
            return self.filter(organisation_id=org_id, pk=user.client_id)
        return self.filter(organisation_id=org_id)


class UserQuerySet(scoping.ScopedQuerySet):
    def scope_to(self, user, org_id):
        """Organisation-wide roles see their organisation's users, others themselves.

        Superusers are listed for superusers only, so that an organisation's
        administrator can neither change nor see them.
        """
        if user.role in scoping.ORGANISATION_WIDE_ROLES:
            return self.filter(organisation_id=org_id, is_superuser=False)
        return self.filter(pk=user.pk)


class ScopedUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


class AuditEventQuerySet(scoping.ScopedQuerySet):
    def scope_to(self, user, org_id):
        """Superusers see every event, role admins their organisation's, others none."""
        if user.role != scoping.ADMIN:
            return self.none()
        return self.filter(organisation_id=org_id)
