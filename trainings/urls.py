from django.urls import path

from . import file_views, views

app_name = "trainings"
urlpatterns = [
    path("", views.event_list, name="event_list"),
    path("new/", views.event_create, name="event_create"),
    path("<int:pk>/", views.event_detail, name="event_detail"),
    path("<int:pk>/edit/", views.event_edit, name="event_edit"),
    path("<int:pk>/delete/", views.event_delete, name="event_delete"),
    path("<int:pk>/held/", views.event_mark_held, name="event_mark_held"),
    path("<int:pk>/reported/", views.event_mark_reported, name="event_mark_reported"),
    path("<int:pk>/unlock/", views.event_unlock, name="event_unlock"),
    path("<int:pk>/sessions/", views.event_sessions, name="event_sessions"),
    path("<int:pk>/sessions/per-day/", views.sessions_per_day, name="sessions_per_day"),
    path("<int:pk>/files/", file_views.event_files, name="event_files"),
    path("files/<int:pk>/", file_views.event_file_download, name="event_file_download"),
    path("files/<int:pk>/thumbnail/", file_views.event_file_thumbnail, name="event_file_thumbnail"),
    path("files/<int:pk>/edit/", file_views.event_file_edit, name="event_file_edit"),
    path("files/<int:pk>/delete/", file_views.event_file_delete, name="event_file_delete"),
    path("sessions/<int:pk>/edit/", views.session_edit, name="session_edit"),
    path("sessions/<int:pk>/delete/", views.session_delete, name="session_delete"),
]
