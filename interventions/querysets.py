from django.db.models import Exists, OuterRef

from accounts import scoping


class InterventionQuerySet(scoping.ScopedQuerySet):
    def scope_to(self, user, org_id):
        """Entries the user may see one by one: never any for client viewers."""
        if user.role in scoping.ORGANISATION_WIDE_ROLES:
            return self.filter(organisation_id=org_id)
        if user.role == scoping.MEDIATOR:
            return self.filter(organisation_id=org_id, mediator=user)
        return self.none()

    def aggregatable_by(self, user):
        """Entries the user may see in aggregate (layers, reports, exports of counts).

        For client viewers: the entries of the client's organisation attached to a
        territory of the client's perimeter. Callers must still suppress small counts.
        """
        if scoping.is_anonymous(user):
            return self.none()
        if not scoping.sees_everything(user) and user.role == scoping.CLIENT_VIEWER:
            from territories.models import Attachment

            org_id = scoping.organisation_id(user)
            if org_id is None:
                return self.none()
            in_perimeter = Attachment.objects.filter(
                intervention=OuterRef("pk"),
                territory_id__in=scoping.perimeter_ids(user),
            )
            return self.filter(organisation_id=org_id).filter(Exists(in_perimeter))
        return self.visible_to(user)
