from django.urls import path
from rest_framework.routers import SimpleRouter

from interventions.apis import InterventionViewSet, NomenclatureApi

router = SimpleRouter(use_regex_path=False)
router.register("interventions", InterventionViewSet, basename="api-interventions")

urlpatterns = [
    path("nomenclature/", NomenclatureApi.as_view(), name="api-nomenclature"),
    *router.urls,
]
