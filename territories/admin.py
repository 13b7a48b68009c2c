from django.contrib import admin
from leaflet.admin import LeafletGeoAdmin

from accounts.admin_scoping import OrganisationScopedAdmin
from territories.models import Territory, TerritorySet


@admin.register(TerritorySet)
class TerritorySetAdmin(OrganisationScopedAdmin):
    list_display = ["name", "slug", "kind", "version", "valid_from", "valid_to", "organisation"]
    list_filter = ["kind", ("organisation", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["name", "slug"]


@admin.register(Territory)
class TerritoryAdmin(OrganisationScopedAdmin, LeafletGeoAdmin):
    list_display = ["code", "name", "territory_set", "population"]
    list_filter = [
        "territory_set__kind", ("territory_set", admin.RelatedOnlyFieldListFilter)
    ]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]
