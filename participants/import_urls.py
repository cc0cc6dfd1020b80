from django.urls import path

from . import exports, import_views

app_name = "imports"
urlpatterns = [
    path("", import_views.import_home, name="home"),
    path("template/", import_views.template_download, name="template"),
    path("event/<int:pk>/upload/", import_views.upload, name="upload"),
    path("<int:pk>/", import_views.batch_detail, name="batch_detail"),
    path("<int:pk>/progress/", import_views.batch_progress, name="batch_progress"),
    path("<int:pk>/file/", import_views.batch_file, name="batch_file"),
    path("<int:pk>/confirm/", import_views.batch_confirm, name="batch_confirm"),
    path("<int:pk>/sheet/", import_views.batch_sheet, name="batch_sheet"),
    path("export/events.<str:fmt>", exports.export_events, name="export_events"),
    path("export/participants.<str:fmt>", exports.export_participants, name="export_participants"),
    path("export/attendance.<str:fmt>", exports.export_attendance, name="export_attendance"),
]
