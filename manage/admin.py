"""The admin of the regions app's models (regions, districts, partners). It lives here, above
accounts, because it is scoped through accounts' `ScopedAdmin`, and regions sits below accounts."""

from django.contrib import admin

from accounts.admin import ScopedAdmin
from regions.models import District, PartnerOrganisation, Region
from regions.selectors import districts_visible, partners_visible, regions_visible


@admin.register(Region)
class RegionAdmin(ScopedAdmin):
    list_display = ("code", "name_en", "name_ru", "name_kk", "kind", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name_en", "name_ru", "name_kk")

    def scoped_queryset(self, scope):
        return regions_visible(scope)


@admin.register(District)
class DistrictAdmin(ScopedAdmin):
    list_display = ("name_en", "name_ru", "name_kk", "region", "kind", "is_active")
    list_filter = ("region", "kind", "is_active")
    list_select_related = ("region",)
    search_fields = ("name_en", "name_ru", "name_kk")
    autocomplete_fields = ("region",)

    def scoped_queryset(self, scope):
        return districts_visible(scope)


@admin.register(PartnerOrganisation)
class PartnerOrganisationAdmin(ScopedAdmin):
    list_display = ("name", "name_kk", "name_ru", "short_name", "type", "region", "is_active")
    list_filter = ("type", "region", "is_active")
    list_select_related = ("region",)
    search_fields = (
        "name",
        "name_kk",
        "name_ru",
        "short_name",
        "short_name_kk",
        "short_name_ru",
        "contact_person",
    )
    autocomplete_fields = ("region",)

    def scoped_queryset(self, scope):
        return partners_visible(scope)
