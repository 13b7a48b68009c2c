from django.urls import path

from layers.exports import views

app_name = "exports"

urlpatterns = [
    path("", views.export_index, name="index"),
    path("jobs/<uuid:job_id>/download/", views.export_download, name="download"),
]
