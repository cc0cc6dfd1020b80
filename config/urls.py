from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from accounts.two_factor import verify as two_factor_verify
from participants.offline_views import service_worker, web_manifest
from reports.public_views import iati_activity_file

from .health import healthz

# MEDIA_ROOT is never served as such, not even with DEBUG: report files and uploaded sheets
# leave only through views that check the user's access (reports:run_download,
# imports:batch_file) and record the download.
urlpatterns = [
    path("", include("dashboard.urls")),  # the home page (route name "home")
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("login/code/", two_factor_verify, name="two_factor_verify"),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz/", healthz, name="healthz"),
    # Working offline (ADR 0018): the service worker must be served from the root to control
    # every page; the outbox sends its queued changes to offline/sync/.
    path("sw.js", service_worker, name="service_worker"),
    path("manifest.webmanifest", web_manifest, name="web_manifest"),
    path("offline/", include("participants.offline_urls")),
    path("events/", include("trainings.urls")),
    path("people/", include("participants.urls")),
    path("imports/", include("participants.import_urls")),
    path("exports/", include("participants.export_urls")),  # "My exports" (background jobs)
    path("reports/", include("reports.urls")),
    path("close/", include("closing.urls")),
    path("manage/webhooks/", include("webhooks.urls")),  # endpoints, delivery log (admins)
    path("manage/", include("manage.urls")),
    path("f/", include("participants.feedback_urls")),  # public feedback links
    # Follow-up surveys: staff's rounds, the call list, the public personal links (/fu/...).
    path("", include("followup.urls")),
    # The programme's IATI file for the IATI Registry: public, aggregate results only.
    path("iati/<str:code>.xml", iati_activity_file, name="iati_activity"),
    path("privacy/", include("participants.privacy_urls")),  # a person's data requests (admins)
    # Qadam's own administration: users/, audit/ (admins only).
    path("", include("accounts.urls")),
    path("api/", include("api.urls")),  # the REST API, its schema, docs and tokens page
    path("kobo/", include("kobo.urls")),  # KoboToolbox intake, connected forms, queue
    path("admin/", admin.site.urls),
]
