from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework.routers import SimpleRouter

from . import mirror_views, token_views, views, write_views

app_name = "api"

router = SimpleRouter()
router.register("programmes", views.ProgrammeViewSet, basename="programme")
router.register("regions", views.RegionViewSet, basename="region")
router.register("districts", views.DistrictViewSet, basename="district")
router.register("partners", views.PartnerViewSet, basename="partner")
router.register("categories", views.CategoryViewSet, basename="category")
router.register("events", write_views.EventWriteViewSet, basename="event")
router.register("deleted-events", views.DeletedEventViewSet, basename="deletedevent")
router.register("deleted", mirror_views.TombstoneViewSet, basename="deleted")
router.register("sessions", write_views.SessionWriteViewSet, basename="session")
router.register("enrolments", write_views.EnrolmentWriteViewSet, basename="enrolment")
router.register("attendance", write_views.AttendanceWriteViewSet, basename="attendance")
router.register("feedback", write_views.FeedbackWriteViewSet, basename="feedback")
router.register("assessments", write_views.AssessmentWriteViewSet, basename="assessment")
router.register("participants", views.ParticipantViewSet, basename="participant")
router.register("indicators", views.IndicatorViewSet, basename="indicator")
router.register("report-runs", views.ReportRunViewSet, basename="reportrun")

urlpatterns = [
    path("v1/", include(router.urls)),
    path(
        "v1/report-runs/<int:pk>/files/<str:fmt>/",
        views.ReportFileView.as_view(),
        name="report_file",
    ),
    # The OpenAPI 3 schema and its Swagger UI, served from our own static files (sidecar).
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view loads its start-up script from a URL, not inline (CSP: script-src 'self').
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api:schema", template_name="api/swagger_ui.html"
        ),
        name="docs",
    ),
    # The signed-in user's own tokens (a page of the site, session login).
    path("tokens/", token_views.token_list, name="tokens"),
    path("tokens/<int:pk>/revoke/", token_views.token_revoke, name="token_revoke"),
]
