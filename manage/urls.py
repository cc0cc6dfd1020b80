"""/manage/: admins manage regions, districts, partners and the programme's reference data."""

from django.urls import path

from . import views

app_name = "manage"
urlpatterns = [
    path("", views.index, name="index"),
    path("regions/", views.region_list, name="region_list"),
    path("regions/<int:pk>/", views.region_edit, name="region_edit"),
    path("districts/<int:pk>/merge/", views.district_merge, name="district_merge"),
    path("partners/<int:pk>/", views.partner_detail, name="partner_detail"),
]
for resource in views.RESOURCES:
    urlpatterns += resource.urlpatterns()
