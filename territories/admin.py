from django.contrib import admin
from leaflet.admin import LeafletGeoAdmin

from territories.models import Territory, TerritorySet


@admin.register(TerritorySet)
class TerritorySetAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "kind", "version", "valid_from", "valid_to", "organisation"]
    list_filter = ["kind", "organisation"]
    search_fields = ["name", "slug"]


@admin.register(Territory)
class TerritoryAdmin(LeafletGeoAdmin):
    list_display = ["code", "name", "territory_set", "population"]
    list_filter = ["territory_set__kind", "territory_set"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]
