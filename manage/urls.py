"""/manage/: admins manage regions, districts, partners and the programme's reference data."""

from django.urls import path

from . import logo_views, views

app_name = "manage"
urlpatterns = [
    path("", views.index, name="index"),
    path("regions/", views.region_list, name="region_list"),
    path("regions/<int:pk>/", views.region_edit, name="region_edit"),
    path("districts/<int:pk>/merge/", views.district_merge, name="district_merge"),
    path("partners/<int:pk>/", views.partner_detail, name="partner_detail"),
    path("report-logos/", logo_views.report_logos, name="report_logos"),
    path("report-logos/<int:pk>/image/", logo_views.report_logo_image, name="report_logo_image"),
    path("report-logos/<int:pk>/remove/", logo_views.report_logo_remove, name="report_logo_remove"),
]
for resource in views.RESOURCES:
    urlpatterns += resource.urlpatterns()
