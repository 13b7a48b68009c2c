from django.urls import path

from layers.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.report_index, name="index"),
    path("zone/", views.report_detail, name="detail"),
    path("zone.pdf", views.report_download, {"file_format": "pdf"}, name="pdf"),
    path("zone.csv", views.report_download, {"file_format": "csv"}, name="csv"),
    path("zone.xlsx", views.report_download, {"file_format": "xlsx"}, name="xlsx"),
]
