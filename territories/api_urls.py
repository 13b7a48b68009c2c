from django.urls import path

from territories.apis import TerritoryListApi, TerritorySetListApi

urlpatterns = [
    path(
        "territory-sets/", TerritorySetListApi.as_view(), name="api-territory-sets-list"
    ),
    path("territories/", TerritoryListApi.as_view(), name="api-territories-list"),
]
