from django.urls import path, re_path

from layers import apis

urlpatterns = [
    path("hotspots/", apis.HotspotsApi.as_view(), name="api-layers-hotspots"),
    path(
        "density/",
        apis.DensityApi.as_view(),
        {"fmt": "json"},
        name="api-layers-density",
    ),
    path(
        "density.png",
        apis.DensityApi.as_view(),
        {"fmt": "png"},
        name="api-layers-density-png",
    ),
    path(
        "density.tif",
        apis.DensityApi.as_view(),
        {"fmt": "tiff"},
        name="api-layers-density-tiff",
    ),
    path("coverage/", apis.CoverageApi.as_view(), name="api-layers-coverage"),
    path("gaps/", apis.GapsApi.as_view(), name="api-layers-gaps"),
    path(
        "territories/",
        apis.TerritoryOutlinesApi.as_view(),
        name="api-layers-territories",
    ),
    path(
        "territories/<int:territory_id>/",
        apis.TerritorySummaryApi.as_view(),
        name="api-layers-territory-summary",
    ),
    path(
        "cells/<str:cell_id>/",
        apis.CellSummaryApi.as_view(),
        name="api-layers-cell-summary",
    ),
    re_path(
        r"^tiles/(?P<z>\d+)/(?P<x>\d+)/(?P<y>\d+)\.(?P<ext>pvt|mvt|pbf)$",
        apis.EntryTileApi.as_view(),
        name="api-layers-tiles",
    ),
]
