from django.urls import path

from . import offline_views

app_name = "offline"

urlpatterns = [
    path("pages/", offline_views.offline_pages, name="pages"),
    path("sync/", offline_views.offline_sync, name="sync"),
]
