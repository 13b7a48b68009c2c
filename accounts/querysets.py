"""`visible_to(user)` for the accounts models; the rules are in accounts/scoping.py."""

from django.contrib.auth.models import UserManager
from django.db import models

from accounts import scoping


class OrganisationQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Superusers see every organisation, everyone else their own."""
        if scoping.is_anonymous(user):
            return self.none()
        if scoping.sees_everything(user):
            return self
        org_id = scoping.organisation_id(user)
        if org_id is None:
            return self.none()
        return self.filter(pk=org_id)


class ClientQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Provider staff see their organisation's clients, a client viewer its own."""
        if scoping.is_anonymous(user):
            return self.none()
        if scoping.sees_everything(user):
            return self
        org_id = scoping.organisation_id(user)
        if org_id is None:
            return self.none()
        if user.role == scoping.CLIENT_VIEWER:
            return self.filter(organisation_id=org_id, pk=user.client_id)
        return self.filter(organisation_id=org_id)


class UserQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Organisation-wide roles see their organisation's users, others themselves.

        Superusers are listed for superusers only, so that an organisation's
        administrator can neither change nor see them.
        """
        if scoping.is_anonymous(user):
            return self.none()
        if scoping.sees_everything(user):
            return self
        org_id = scoping.organisation_id(user)
        if org_id is None:
            return self.none()
        if user.role in scoping.ORGANISATION_WIDE_ROLES:
            return self.filter(organisation_id=org_id, is_superuser=False)
        return self.filter(pk=user.pk)


class ScopedUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


class AuditEventQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Superusers see every event, role admins their organisation's, others none."""
        if scoping.is_anonymous(user):
            return self.none()
        if scoping.sees_everything(user):
            return self
        org_id = scoping.organisation_id(user)
        if org_id is None or user.role != scoping.ADMIN:
            return self.none()
        return self.filter(organisation_id=org_id)
