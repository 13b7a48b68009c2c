from accounts import scoping


class TerritorySetQuerySet(scoping.ScopedQuerySet):
    def scope_to(self, user, org_id):
        if user.role == scoping.CLIENT_VIEWER:
            from territories.models import Territory

            # A subquery rather than a join, so that no set is listed twice and
            # later annotations count correctly.
            perimeter_sets = Territory.objects.filter(
                id__in=scoping.perimeter_ids(user)
            ).values("territory_set_id")
            return self.filter(organisation_id=org_id, pk__in=perimeter_sets)
        return self.filter(organisation_id=org_id)


class TerritoryQuerySet(scoping.ScopedQuerySet):
    def scope_to(self, user, org_id):
        if user.role == scoping.CLIENT_VIEWER:
            return self.filter(
                territory_set__organisation_id=org_id,
                id__in=scoping.perimeter_ids(user),
            )
        return self.filter(territory_set__organisation_id=org_id)
