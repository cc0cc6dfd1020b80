from django.urls import path

from . import views

app_name = "closing"

urlpatterns = [
    path("", views.quarter_overview, name="overview"),
    path(
        "<int:programme>/<str:quarter>/<int:region>/",
        views.region_quarter,
        name="region_quarter",
    ),
    path(
        "<int:programme>/<str:quarter>/<int:region>/narrative/",
        views.region_narrative,
        name="region_narrative",
    ),
]
