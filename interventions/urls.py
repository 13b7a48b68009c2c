from django.urls import path

from interventions import views

app_name = "interventions"

urlpatterns = [
    path("saisie/", views.capture, name="capture"),
    path("saisie/sw.js", views.service_worker, name="service_worker"),
    path("mes-saisies/", views.mine, name="mine"),
    path("mes-saisies/<uuid:entry_id>/", views.edit, name="edit"),
    path("validation/", views.review, name="review"),
    path("validation/<uuid:entry_id>/valider/", views.validate, name="validate"),
    path("validation/<uuid:entry_id>/refuser/", views.reject, name="reject"),
]
