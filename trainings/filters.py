"""Filters of the event list (django-filter). The list page and its CSV/XLSX exports
(participants.exports) use this same FilterSet, so an export holds what the list shows.

Query parameters: q (title or venue), region (ISO code, e.g. KZ-47), district (id), from, to
(the period the event overlaps), type, status, programme (id)."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.scope import scope_for
from core.choices import FilterForm
from regions.selectors import districts_visible, regions_visible

from .models import Programme, TrainingEvent

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


def _scope(request):
    return scope_for(getattr(request, "user", None))


def _regions(request):
    return regions_visible(_scope(request)).filter(is_active=True).order_by("code")


def _districts(request):
    # Only what an option shows (its name): up to 200 districts are read for every list page.
    return (
        districts_visible(_scope(request))
        .select_related(None)
        .only("pk", "name_kk", "name_ru", "name_en")
        .order_by("region__code", "name_en")
    )


class EventFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    region = django_filters.ModelChoiceFilter(
        queryset=_regions, to_field_name="code", label=_("Region"), empty_label=_("All regions")
    )
    district = django_filters.ModelChoiceFilter(
        queryset=_districts, label=_("District or city"), empty_label=_("All districts")
    )
    date_from = django_filters.DateFilter(
        field_name="end_date", lookup_expr="gte", label=_("From"), widget=DATE_INPUT
    )
    date_to = django_filters.DateFilter(
        field_name="start_date", lookup_expr="lte", label=_("To"), widget=DATE_INPUT
    )
    type = django_filters.ChoiceFilter(
        field_name="event_type",
        choices=TrainingEvent.Type.choices,
        label=_("Type"),
        empty_label=_("All types"),
    )
    status = django_filters.ChoiceFilter(
        choices=TrainingEvent.Status.choices, label=_("Status"), empty_label=_("All statuses")
    )
    programme = django_filters.ModelChoiceFilter(
        queryset=Programme.objects.all(), label=_("Programme"), empty_label=_("All programmes")
    )

    class Meta:
        model = TrainingEvent
        form = FilterForm
        fields: list[str] = []

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(venue__icontains=value))


# "from" and "to" are Python keywords: rename the two date filters to the query parameters the
# links and exports use (?from=2024-08-01&to=2024-08-31).
for _old, _new in (("date_from", "from"), ("date_to", "to")):
    EventFilter.base_filters[_new] = EventFilter.base_filters.pop(_old)
EventFilter.base_filters = {
    key: EventFilter.base_filters[key]
    for key in ("q", "region", "district", "from", "to", "type", "status", "programme")
}
