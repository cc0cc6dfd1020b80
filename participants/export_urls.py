from django.urls import path

from . import export_views

app_name = "exports"
urlpatterns = [
    path("", export_views.export_list, name="list"),
    path("<int:pk>/progress/", export_views.export_progress, name="progress"),
    path("<int:pk>/download/", export_views.export_download, name="download"),
    path("<int:pk>/retry/", export_views.export_retry, name="retry"),
    path("<int:pk>/delete/", export_views.export_delete, name="delete"),
]
