"""The report request form: period (a quarter, a year or a custom range), scope (all regions or
chosen ones), formats and language. The service checks the request again against the scope."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.scope import Scope
from core import periods
from regions.models import Region
from regions.selectors import regions_visible

from . import services

FORMAT_LABELS = {
    "pdf": _("PDF, to send to the donor"),
    "docx": _("Word (.docx), to edit"),
    "xlsx": _("Excel data annex (.xlsx)"),
    "csv": _("CSV tables"),
    "iati": _("IATI 2.03 activity XML"),
}


def format_label(fmt: str):
    return FORMAT_LABELS.get(fmt, fmt.upper())


class ReportRequestForm(forms.Form):
    period_kind = forms.ChoiceField(
        label=_("Period"),
        choices=[
            ("quarter", _("A quarter")),
            ("year", _("A year")),
            ("custom", _("Dates of my choice")),
        ],
        initial="quarter",
        widget=forms.RadioSelect,
    )
    quarter = forms.ChoiceField(label=_("Quarter"), required=False)
    year = forms.TypedChoiceField(label=_("Year"), coerce=int, required=False)
    start = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    scope = forms.ChoiceField(
        label=_("Regions"),
        choices=[("all", _("All regions")), ("chosen", _("Only the regions chosen below"))],
        initial="all",
        widget=forms.RadioSelect,
    )
    regions = forms.ModelMultipleChoiceField(
        label=_("Chosen regions"),
        queryset=Region.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    formats = forms.MultipleChoiceField(label=_("Formats"), widget=forms.CheckboxSelectMultiple)
    language = forms.ChoiceField(label=_("Language of the report"))

    def __init__(self, *args, scope: Scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope = scope
        today = timezone.localdate()
        # Every quarter up to the current one; the last ended one (and its year) by default.
        last_ended = periods.last_ended_quarter(today)
        self.fields["quarter"].choices = periods.quarter_choices(today)
        self.fields["quarter"].initial = last_ended.key
        self.fields["year"].choices = [(y, str(y)) for y in periods.menu_years(today)]
        self.fields["year"].initial = last_ended.start.year
        regions = regions_visible(scope).order_by("code")
        if not scope.all_regions:
            self.fields["scope"].choices = [
                ("all", _("All my regions")),
                ("chosen", _("Only the regions chosen below")),
            ]
        self.fields["regions"].queryset = regions
        self.fields["regions"].label_from_instance = lambda region: region.name
        formats = services.available_formats()
        self.fields["formats"].choices = [(f, format_label(f)) for f in formats]
        self.fields["formats"].initial = formats
        self.fields["language"].choices = [(code, name) for code, name in settings.LANGUAGES]
        self.fields["language"].initial = (get_language() or "en")[:2]

    def clean(self):
        data = super().clean()
        kind = data.get("period_kind")
        period = None
        if kind == "quarter":
            value = data.get("quarter")
            if not value:
                self.add_error("quarter", _("Choose a quarter."))
            else:
                period = periods.parse(value)
        elif kind == "year":
            if not data.get("year"):
                self.add_error("year", _("Choose a year."))
            else:
                period = periods.year(data["year"])
        elif kind == "custom":
            start, end = data.get("start"), data.get("end")
            if not start:
                self.add_error("start", _("Enter the first day of the period."))
            if not end:
                self.add_error("end", _("Enter the last day of the period."))
            if start and end:
                if end < start:
                    self.add_error("end", _("The period cannot end before it starts."))
                else:
                    period = periods.custom(start, end)
        if data.get("scope") == "chosen" and not data.get("regions"):
            self.add_error("regions", _("Choose at least one region, or all regions."))
        data["period"] = period
        return data

    def region_ids(self) -> list[int] | None:
        if self.cleaned_data.get("scope") != "chosen":
            return None
        return [region.pk for region in self.cleaned_data["regions"]]
