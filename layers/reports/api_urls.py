from django.urls import path

from layers.reports import apis

urlpatterns = [
    path("zones/", apis.ReportZonesApi.as_view(), name="api-reports-zones"),
    path("zone/", apis.ZoneReportApi.as_view(), name="api-reports-zone"),
]
