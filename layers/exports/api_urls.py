from django.urls import path

from layers.exports import apis

urlpatterns = [
    path("layers/", apis.ExportLayersApi.as_view(), name="api-exports-layers"),
    path("jobs/", apis.ExportJobListCreateApi.as_view(), name="api-exports-jobs"),
    path(
        "jobs/<uuid:job_id>/",
        apis.ExportJobDetailApi.as_view(),
        name="api-exports-job-detail",
    ),
    path(
        "jobs/<uuid:job_id>/download/",
        apis.ExportJobDownloadApi.as_view(),
        name="api-exports-job-download",
    ),
    path("download/", apis.ExportDownloadApi.as_view(), name="api-exports-download"),
]
