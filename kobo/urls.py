from django.urls import path

from . import views

app_name = "kobo"
urlpatterns = [
    path("intake/<str:slug>/", views.intake, name="intake"),
    path("", views.connection_list, name="connections"),
    path("new/", views.connection_new, name="connection_new"),
    path("<int:pk>/", views.connection_detail, name="connection"),
    path("<int:pk>/secret/", views.connection_secret, name="connection_secret"),
    path("waiting/", views.waiting_list, name="waiting"),
    path("submission/<int:pk>/", views.submission_detail, name="submission"),
    path("submission/<int:pk>/apply/", views.submission_apply, name="submission_apply"),
    path("submission/<int:pk>/discard/", views.submission_discard, name="submission_discard"),
]
