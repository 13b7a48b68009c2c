from django.contrib import admin
from leaflet.admin import LeafletGeoAdmin

from accounts.admin_scoping import NomenclatureScopedAdmin, OrganisationScopedAdmin
from interventions.models import (
    Category,
    Intervention,
    InterventionType,
    Outcome,
    Partner,
    Theme,
)


ORGANISATION_FILTER = ("organisation", admin.RelatedOnlyFieldListFilter)


class NomenclatureAdmin(NomenclatureScopedAdmin):
    list_display = ["label", "code", "organisation", "position", "is_active"]
    list_filter = ["is_active", ORGANISATION_FILTER]
    list_editable = ["position", "is_active"]
    search_fields = ["label", "code"]


class InterventionTypeAdmin(NomenclatureAdmin):
    list_display = ["label", "code", "category", "organisation", "position", "is_active"]
    list_filter = ["category", "is_active", ORGANISATION_FILTER]


admin.site.register(Category, NomenclatureAdmin)
admin.site.register(InterventionType, InterventionTypeAdmin)
admin.site.register(Theme, NomenclatureAdmin)
admin.site.register(Partner, NomenclatureAdmin)
admin.site.register(Outcome, NomenclatureAdmin)


@admin.register(Intervention)
class InterventionAdmin(OrganisationScopedAdmin, LeafletGeoAdmin):
    list_display = ["occurred_at", "category", "type", "mediator", "status", "organisation"]
    list_filter = ["status", "category", ORGANISATION_FILTER, "is_demo"]
    date_hierarchy = "occurred_at"
    readonly_fields = ["id", "created_at", "updated_at"]
    raw_id_fields = ["mediator", "reviewed_by"]
    filter_horizontal = ["themes", "partners"]
