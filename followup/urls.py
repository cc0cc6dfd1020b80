from django.urls import path

from . import views

app_name = "followup"

urlpatterns = [
    path("followup/calls/", views.calls, name="calls"),
    path("followup/calls/<int:pk>/", views.call_entry, name="call_entry"),
    path("followup/rounds/", views.rounds, name="rounds"),
    path("followup/rounds/new/", views.round_create, name="round_create"),
    path("followup/rounds/<int:pk>/", views.round_edit, name="round_edit"),
    path("followup/question-sets/new/", views.question_set_create, name="question_set_create"),
    path("followup/question-sets/<int:pk>/", views.question_set_edit, name="question_set_edit"),
    # The personal links (public, no account).
    path("fu/<str:token>/", views.answer, name="answer"),
    path("fu/<str:token>/stop/", views.refuse, name="refuse"),
]
