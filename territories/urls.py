from django.urls import path

from territories import views

app_name = "territories"

urlpatterns = [
    path("", views.territory_set_index, name="index"),
    path("import/", views.import_upload, name="import"),
    path("import/<uuid:upload_id>/", views.import_preview, name="import-preview"),
    path(
        "import/<uuid:upload_id>/confirm/", views.import_confirm, name="import-confirm"
    ),
    path("import/<uuid:upload_id>/cancel/", views.import_cancel, name="import-cancel"),
]
