from django.urls import path

from accounts import apis, views

app_name = "accounts"

urlpatterns = [
    path("audit/", views.audit_log, name="audit"),
    path("api/token/", apis.TokenApi.as_view(), name="api-token"),
]
