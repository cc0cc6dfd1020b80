from django.urls import path

from . import duplicate_views, feedback_views, multirow_views, views

app_name = "participants"
urlpatterns = [
    path("", views.person_list, name="person_list"),
    path("<int:pk>/", views.person_detail, name="person_detail"),
    path("<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("<int:pk>/merge/", views.person_merge, name="person_merge"),
    path("<int:pk>/consent/", views.person_consent, name="person_consent"),
    # Possible cross-region duplicates found by imports and registrations (staff only)
    path("duplicates/", duplicate_views.possible_duplicates, name="possible_duplicates"),
    path(
        "duplicates/<int:pk>/dismiss/",
        duplicate_views.possible_duplicate_dismiss,
        name="possible_duplicate_dismiss",
    ),
    # On an event: its roster and attendance
    path("events/<int:event_pk>/roster/add/", views.roster_add, name="roster_add"),
    path("events/<int:event_pk>/roster/new/", views.roster_new, name="roster_new"),
    path("events/<int:event_pk>/roster/many/", multirow_views.roster_many, name="roster_many"),
    path(
        "events/<int:event_pk>/roster/<int:pk>/remove/",
        views.roster_remove,
        name="roster_remove",
    ),
    path("events/<int:event_pk>/attendance/", views.attendance_grid, name="attendance_grid"),
    path(
        "events/<int:event_pk>/attendance/toggle/",
        views.attendance_toggle,
        name="attendance_toggle",
    ),
    path(
        "events/<int:event_pk>/attendance/all-present/",
        views.attendance_all_present,
        name="attendance_all_present",
    ),
    # Feedback and pre/post scores of an event (participants/feedback_views.py)
    path("events/<int:event_pk>/feedback/", feedback_views.event_feedback, name="event_feedback"),
    path(
        "events/<int:event_pk>/feedback/qr.svg",
        feedback_views.event_feedback_qr,
        name="event_feedback_qr",
    ),
    path(
        "events/<int:event_pk>/feedback/print/",
        feedback_views.event_feedback_print,
        name="event_feedback_print",
    ),
    path(
        "events/<int:event_pk>/feedback/toggle/",
        feedback_views.event_feedback_toggle,
        name="event_feedback_toggle",
    ),
    path(
        "events/<int:event_pk>/feedback/add/",
        feedback_views.event_feedback_entry,
        name="event_feedback_entry",
    ),
    path(
        "events/<int:event_pk>/feedback/kiosk/",
        feedback_views.event_feedback_kiosk,
        name="event_feedback_kiosk",
    ),
    path(
        "events/<int:event_pk>/scores/",
        feedback_views.event_scores_entry,
        name="event_scores_entry",
    ),
]
