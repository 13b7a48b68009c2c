"""Rows an export may read: a user's scope, or an organisation's for the command."""

from dataclasses import dataclass

from accounts import scoping
from accounts.models import Organisation
from interventions.models import Intervention
from territories.models import Territory, TerritorySet


@dataclass(frozen=True)
class ExportScope:
    """The rows an export starts from.

    Built from a logged-in user, it delegates to the scoping querysets
    (`visible_to`, `aggregatable_by`). Built from an organisation alone (the
    `export_layer` command, run by an operator with shell access), it reads
    that organisation's rows as an analyst of it would.
    """

    user: object = None
    organisation: Organisation | None = None

    @classmethod
    def for_user(cls, user):
        return cls(user=user)

    @classmethod
    def for_organisation(cls, organisation):
        return cls(organisation=organisation)

    @property
    def role(self):
        if self.user is None:
            return scoping.ANALYST
        if scoping.sees_everything(self.user):
            # Superusers export like analysts, without the organisation limit.
            return scoping.ANALYST
        return self.user.role

    @property
    def suppresses_small_counts(self):
        """True for client viewers, whose aggregates hide small counts."""
        return self.role == scoping.CLIENT_VIEWER

    @property
    def organisation_id(self):
        if self.user is None:
            return self.organisation.pk
        return self.user.organisation_id

    def entries(self):
        """Entries that may be exported one by one."""
        if self.user is None:
            return Intervention.objects.filter(organisation=self.organisation)
        return Intervention.objects.visible_to(self.user)

    def aggregatable_entries(self):
        """Entries that may be counted in aggregated layers."""
        if self.user is None:
            return Intervention.objects.filter(organisation=self.organisation)
        return Intervention.objects.aggregatable_by(self.user)

    def territories(self):
        if self.user is None:
            return Territory.objects.filter(territory_set__organisation=self.organisation)
        return Territory.objects.visible_to(self.user)

    def territory_sets(self):
        if self.user is None:
            return TerritorySet.objects.filter(organisation=self.organisation)
        return TerritorySet.objects.visible_to(self.user)
