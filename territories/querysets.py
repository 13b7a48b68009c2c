from django.contrib.gis.db import models

from accounts import scoping


class TerritorySetQuerySet(models.QuerySet):
    def visible_to(self, user):
        if scoping.is_anonymous(user):
            return self.none()
        if user.is_superuser:
            return self
        org_id = scoping.organisation_id(user)
        if org_id is None:
            return self.none()
        if user.role == user.Role.CLIENT_VIEWER:
            return self.filter(
                organisation_id=org_id, territories__in=scoping.perimeter_ids(user)
            ).distinct()
        return self.filter(organisation_id=org_id)


class TerritoryQuerySet(models.QuerySet):
    def visible_to(self, user):
        if scoping.is_anonymous(user):
            return self.none()
        if user.is_superuser:
            return self
        org_id = scoping.organisation_id(user)
        if org_id is None:
            return self.none()
        if user.role == user.Role.CLIENT_VIEWER:
            return self.filter(
                territory_set__organisation_id=org_id, id__in=scoping.perimeter_ids(user)
            )
        return self.filter(territory_set__organisation_id=org_id)
