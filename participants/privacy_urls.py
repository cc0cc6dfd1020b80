"""A person's data requests under /privacy/ (administrators only): see privacy_views.py."""

from django.urls import path

from . import privacy_views as views

app_name = "privacy"
urlpatterns = [
    path("people/<int:pk>/export/", views.person_export, name="person_export"),
    path("people/<int:pk>/erase/", views.person_erase, name="person_erase"),
    path("retention/", views.retention, name="retention"),
]
