"""List filters (django-filter) of the management pages; free-text search is `?q=`."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from participants.models import ParticipantCategory
from regions.models import District, PartnerOrganisation, Region
from trainings.models import ActivityLine, Facilitator, Programme, Topic

STATUS_CHOICES = [("active", _("Active")), ("inactive", _("Deactivated"))]


class StatusFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        label=_("Status"), choices=STATUS_CHOICES, method="filter_status", empty_label=_("All")
    )

    def filter_status(self, queryset, name, value):
        return queryset.filter(is_active=(value == "active")) if value else queryset


class DistrictFilter(StatusFilterSet):
    region = django_filters.ModelChoiceFilter(
        queryset=Region.objects.order_by("code"), label=_("Region"), empty_label=_("All")
    )
    kind = django_filters.ChoiceFilter(
        choices=District.Kind.choices, label=_("Kind"), empty_label=_("All")
    )

    class Meta:
        model = District
        fields = ["region", "kind", "status"]


class PartnerFilter(StatusFilterSet):
    type = django_filters.ChoiceFilter(
        choices=PartnerOrganisation.Type.choices, label=_("Type"), empty_label=_("All")
    )
    region = django_filters.ModelChoiceFilter(
        queryset=Region.objects.order_by("code"), label=_("Region"), empty_label=_("All")
    )

    class Meta:
        model = PartnerOrganisation
        fields = ["type", "region", "status"]


class ProgrammeFilter(StatusFilterSet):
    class Meta:
        model = Programme
        fields = ["status"]


class ActivityLineFilter(StatusFilterSet):
    programme = django_filters.ModelChoiceFilter(
        queryset=Programme.objects.all(), label=_("Programme"), empty_label=_("All")
    )

    class Meta:
        model = ActivityLine
        fields = ["programme", "status"]


class CategoryFilter(StatusFilterSet):
    class Meta:
        model = ParticipantCategory
        fields = ["status"]


class TopicFilter(StatusFilterSet):
    class Meta:
        model = Topic
        fields = ["status"]


class FacilitatorFilter(StatusFilterSet):
    organisation = django_filters.ModelChoiceFilter(
        queryset=PartnerOrganisation.objects.filter(facilitators__isnull=False).distinct(),
        label=_("Organisation"),
        empty_label=_("All"),
    )

    class Meta:
        model = Facilitator
        fields = ["organisation", "status"]
