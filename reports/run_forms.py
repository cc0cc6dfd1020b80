"""The report request form: period (a quarter, a year or a custom range), scope (all regions or
chosen ones), formats and language. The service checks the request again against the scope."""

from __future__ import annotations

from datetime import date

from django import forms
from django.conf import settings
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from accounts.scope import Scope
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
FIRST_YEAR = 2023


def format_label(fmt: str):
    return FORMAT_LABELS.get(fmt, fmt.upper())


def quarter_choices(today: date) -> list[tuple[str, str]]:
    """Every quarter from FIRST_YEAR up to the current one, newest first."""
    current = (today.month - 1) // 3 + 1
    choices = []
    for year in range(today.year, FIRST_YEAR - 1, -1):
        for quarter in range(4, 0, -1):
            if year == today.year and quarter > current:
                continue
            choices.append((f"{year}Q{quarter}", f"{year} Q{quarter}"))
    return choices


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
        self.fields["quarter"].choices = quarter_choices(today)
        self.fields["quarter"].initial = services.previous_quarter(today)[0]
        years = list(range(today.year, FIRST_YEAR - 1, -1))
        self.fields["year"].choices = [(y, str(y)) for y in years]
        self.fields["year"].initial = today.year - 1 if today.month < 4 else today.year
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
                year, quarter = value.split("Q")
                period = services.quarter_period(int(year), int(quarter))
        elif kind == "year":
            if not data.get("year"):
                self.add_error("year", _("Choose a year."))
            else:
                period = services.year_period(data["year"])
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
                    period = services.custom_period(start, end)
        if data.get("scope") == "chosen" and not data.get("regions"):
            self.add_error("regions", _("Choose at least one region, or all regions."))
        data["period"] = period
        return data

    def region_ids(self) -> list[int] | None:
        if self.cleaned_data.get("scope") != "chosen":
            return None
        return [region.pk for region in self.cleaned_data["regions"]]
