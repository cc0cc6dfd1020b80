"""Filters of the people list (django-filter). The participant export uses this FilterSet too
(participants.exports), so an export holds exactly the people listed."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.scope import scope_for
from core.choices import FilterForm
from core.params import MAX_ID
from regions.models import Region

from .models import AGE_BANDS, Enrolment, Participant, ParticipantCategory, Sex
from .selectors import search_terms

AGE_BAND_CHOICES = [(label, label) for _low, _high, label in AGE_BANDS] + [
    ("unknown", _("unknown"))
]


def _regions(request):
    if request is None:
        return Region.objects.none()
    return Region.objects.filter(scope_for(request.user).region_q("pk"))


class PeopleFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label=_("Name or organisation"), method="filter_q", max_length=100
    )
    region = django_filters.ModelChoiceFilter(
        label=_("Region"), queryset=_regions, to_field_name="code"
    )
    category = django_filters.ModelChoiceFilter(
        label=_("Category"),
        queryset=ParticipantCategory.objects.filter(is_active=True),
        to_field_name="code",
    )
    sex = django_filters.ChoiceFilter(label=_("Sex"), choices=Sex.choices)
    age_band = django_filters.ChoiceFilter(
        label=_("Age band"), choices=AGE_BAND_CHOICES, method="filter_age_band"
    )
    # An event id (links from event pages): a select of thousands of events would not help.
    event = django_filters.NumberFilter(
        label=_("Event"),
        method="filter_event",
        widget=forms.HiddenInput,
        min_value=1,
        max_value=MAX_ID,  # a larger number is no id: an error, not a query that fails
    )
    sort = django_filters.OrderingFilter(
        label=_("Sort by"),
        empty_label=_("Default order"),
        fields=(
            ("full_name", "name"),
            ("birth_year", "birth_year"),
            ("region__code", "region"),
            ("created_at", "created"),
        ),
        field_labels={
            "name": _("Name"),
            "birth_year": _("Birth year"),
            "region": _("Region"),
            "created": _("Date added"),
        },
    )

    class Meta:
        model = Participant
        form = FilterForm
        fields = ["q", "region", "category", "sex", "age_band", "event"]

    def summarised(self) -> dict | None:
        """The search and filters given when they are only those the summaries' "seen" rows
        carry (a copy of each person's searched columns, sex and category: participants.
        selectors `listed_from_seen`), as {"q": "" or the search, "sex": "" or a sex,
        "category_id": None or an id}; None when any other is given or the form is not
        valid. An empty value is no filter (the form sends every field)."""
        if not self.is_bound:
            return {"q": "", "sex": "", "category_id": None}
        if not self.is_valid():
            return None
        data = self.form.cleaned_data
        carried = ("q", "sex", "category", "sort")
        if any(value for name, value in data.items() if name not in carried):
            return None
        category = data.get("category")
        return {
            "q": data.get("q") or "",
            "sex": data.get("sex") or "",
            "category_id": category.pk if category else None,
        }

    def filter_q(self, queryset, name, value):
        for term in search_terms(value):
            queryset = queryset.filter(term)
        return queryset

    def filter_age_band(self, queryset, name, value):
        if value == "unknown":
            return queryset.filter(birth_year__isnull=True)
        year = timezone.localdate().year
        for low, high, label in AGE_BANDS:
            if label == value:
                return queryset.filter(birth_year__gte=year - high, birth_year__lte=year - low)
        return queryset

    def filter_event(self, queryset, name, value):
        return queryset.filter(
            Exists(Enrolment.objects.filter(participant=OuterRef("pk"), event_id=value))
        )
