from django.contrib.gis.db import models

from accounts import scoping


class TerritorySetQuerySet(models.QuerySet):
    def visible_to(self, user):
        if scoping.is_anonymous(user):
            return self.none()
        if scoping.sees_everything(user):
            return self
        org_id = scoping.organisation_id(user)
        if org_id is None:
            return self.none()
        if user.role == scoping.CLIENT_VIEWER:
            from territories.models import Territory

            # A subquery rather than a join, so that no set is listed twice and
            # later annotations count correctly.
            perimeter_sets = Territory.objects.filter(
                id__in=scoping.perimeter_ids(user)
            ).values("territory_set_id")
            return self.filter(organisation_id=org_id, pk__in=perimeter_sets)
        return self.filter(organisation_id=org_id)


class TerritoryQuerySet(models.QuerySet):
    def visible_to(self, user):
        if scoping.is_anonymous(user):
            return self.none()
        if scoping.sees_everything(user):
            return self
        org_id = scoping.organisation_id(user)
        if org_id is None:
            return self.none()
        if user.role == scoping.CLIENT_VIEWER:
            return self.filter(
                territory_set__organisation_id=org_id, id__in=scoping.perimeter_ids(user)
            )
        return self.filter(territory_set__organisation_id=org_id)
