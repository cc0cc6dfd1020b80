from django.urls import path

from . import framework_views, quote_views, views

app_name = "reports"

urlpatterns = [
    # Report runs (reports/views.py): list, request, progress, retry, downloads.
    path("", views.run_list, name="run_list"),
    path("new/", views.run_new, name="run_new"),
    path("<int:pk>/", views.run_detail, name="run_detail"),
    path("<int:pk>/progress/", views.run_progress, name="run_progress"),
    path("<int:pk>/retry/", views.run_retry, name="run_retry"),
    path("<int:pk>/files/<str:fmt>/", views.run_download, name="run_download"),
    # Results framework and narratives (reports/framework_views.py).
    path("indicators/", framework_views.indicator_list, name="indicator_list"),
    path("indicators/new/", framework_views.indicator_create, name="indicator_create"),
    path("indicators/<int:pk>/", framework_views.indicator_detail, name="indicator_detail"),
    path("indicators/<int:pk>/edit/", framework_views.indicator_edit, name="indicator_edit"),
    path(
        "indicators/<int:pk>/comment/",
        framework_views.indicator_comment,
        name="indicator_comment",
    ),
    path("indicators/<int:pk>/delete/", framework_views.indicator_delete, name="indicator_delete"),
    path("narratives/", framework_views.narrative_list, name="narrative_list"),
    path("narratives/new/", framework_views.narrative_create, name="narrative_create"),
    path("narratives/<int:pk>/edit/", framework_views.narrative_edit, name="narrative_edit"),
    # Quotes to review before donor reports may use them (reports/quote_views.py).
    path("quotes/", quote_views.quote_review, name="quote_review"),
    path("quotes/<int:pk>/", quote_views.quote_decide, name="quote_decide"),
]
