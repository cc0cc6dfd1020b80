"""Forms of the results framework (indicators and their targets) and of the narratives."""

from __future__ import annotations

from datetime import date

from django import forms
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils.translation import gettext_lazy as _

from core import periods
from core.choices import CHOOSE, ChooseLabels
from core.names import ORIGINAL_NAME_HELP, localised_fields, localised_value
from participants.models import ParticipantCategory
from regions.models import PartnerOrganisation, Region
from trainings.models import ActivityLine, Programme, TrainingEvent

from .indicators import DISAGGREGATIONS, RULES
from .models import Indicator, IndicatorTarget, Narrative

# Rules that count people, so they can be limited to categories of people.
PEOPLE_RULES = {
    "people_trained",
    "neet_reached",
    "attendance_rate",
    "knowledge_gain_mean",
    "knowledge_improved_pct",
}


class IndicatorForm(ChooseLabels, forms.ModelForm):
    """An indicator, the catalogue rule that computes it, and the rule's filters (kept in
    `rule_params`) as plain fields rather than JSON."""

    rule = forms.ChoiceField(
        label=_("Computed by"),
        help_text=_("How the actual value is computed from the registry (see the annex)."),
    )
    disaggregations = forms.MultipleChoiceField(
        label=_("Disaggregated by"),
        required=False,
        choices=list(DISAGGREGATIONS.items()),
        widget=forms.CheckboxSelectMultiple,
    )
    categories = forms.MultipleChoiceField(
        label=_("Only these participant categories"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    category_group = forms.ChoiceField(label=_("Only this category group"), required=False)
    event_types = forms.MultipleChoiceField(
        label=_("Only these event types"),
        required=False,
        choices=TrainingEvent.Type.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    activity_lines = forms.MultipleChoiceField(
        label=_("Only these activity lines"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Lines of work of the indicator's programme; leave empty for all."),
    )
    regions = forms.MultipleChoiceField(
        label=_("Only events in these regions"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty for every region of the report."),
    )
    partner_types = forms.MultipleChoiceField(
        label=_("Only these kinds of partner"),
        required=False,
        choices=PartnerOrganisation.Type.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    PARAM_FIELDS = (
        "categories",
        "category_group",
        "event_types",
        "activity_lines",
        "regions",
        "partner_types",
    )

    class Meta:
        model = Indicator
        fields = [
            "programme",
            "code",
            "name",
            "name_kk",
            "name_ru",
            "level",
            "unit",
            "baseline",
            "lop_target",
            "rule",
            "method",
            "higher_is_better",
            "completion",
            "completion_percent",
            "disaggregations",
            "description",
            "order",
        ]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {"name": ORIGINAL_NAME_HELP}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = Programme.objects.filter(is_active=True)
        self.fields["programme"].empty_label = None
        self.fields["rule"].choices = [("", CHOOSE)] + [
            (code, f"{rule.label} ({code})") for code, rule in RULES.items()
        ]
        cats = list(ParticipantCategory.objects.filter(is_active=True).order_by("order", "code"))
        self.fields["categories"].choices = [(c.code, c.name) for c in cats]
        groups = sorted({c.group for c in cats if c.group})
        self.fields["category_group"].choices = [("", _("any"))] + [(g, g) for g in groups]
        self.fields["method"].required = False
        self.fields["completion"].required = False
        self.fields["completion_percent"].required = False
        lines = (
            ActivityLine.objects.filter(programme__is_active=True)
            .order_by("programme__code", "code")
            .values("code", *localised_fields("name"), "programme__code")
            .distinct()
        )
        self.fields["activity_lines"].choices = [
            (
                line["code"],
                f"{line['code']} {localised_value(line, 'name')} ({line['programme__code']})",
            )
            for line in lines
        ]
        self.fields["regions"].choices = [
            (r.code, f"{r.name} ({r.code})") for r in Region.objects.order_by("code")
        ]
        params = (self.instance.rule_params or {}) if self.instance.pk else {}
        for name in self.PARAM_FIELDS:
            if name in params and not self.is_bound:
                self.initial[name] = params[name]

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip().upper()

    def clean(self):
        data = super().clean()
        rule_code = data.get("rule")
        rule = RULES.get(rule_code)
        if not rule:
            return data
        unit = data.get("unit")
        if unit and unit != rule.unit:
            self.add_error(
                "unit",
                _("“%(rule)s” gives a value in %(unit)s: choose that unit.")
                % {"rule": rule.label, "unit": Indicator.Unit(rule.unit).label},
            )
        if rule.level and data.get("level") and data["level"] != rule.level:
            self.add_error(
                "level",
                _("“%(rule)s” gives an indicator of level %(level)s: choose that level.")
                % {"rule": rule.label, "level": Indicator.Level(rule.level).label},
            )
        data["completion"] = data.get("completion") or Indicator.Completion.REACHED
        if data.get("completion_percent") in (None, ""):
            data["completion_percent"] = 80
        method = data.get("method")
        if not method:
            data["method"] = rule.method
        elif method != rule.method:
            self.add_error(
                "method",
                _("“%(rule)s” is computed as a %(method)s: choose that method.")
                % {"rule": rule.label, "method": Indicator.Method(rule.method).label.lower()},
            )
        if data.get("completion") == Indicator.Completion.COMPLETED and not rule.counts_people:
            self.add_error(
                "completion",
                _("“%(rule)s” does not count people: only people can complete an event.")
                % {"rule": rule.label},
            )
        lines = data.get("activity_lines") or []
        programme = data.get("programme")
        if lines and programme:
            known = set(
                ActivityLine.objects.filter(programme=programme).values_list("code", flat=True)
            )
            foreign = [code for code in lines if code not in known]
            if foreign:
                self.add_error(
                    "activity_lines",
                    _("Not an activity line of %(programme)s: %(codes)s.")
                    % {"programme": programme, "codes": ", ".join(foreign)},
                )
        offered = set(rule.offers)
        wrong = [d for d in data.get("disaggregations", []) if d not in offered]
        if wrong:
            self.add_error(
                "disaggregations",
                _("“%(rule)s” cannot be broken down by %(what)s. It offers: %(offers)s.")
                % {
                    "rule": rule.label,
                    "what": ", ".join(str(DISAGGREGATIONS[d]) for d in wrong),
                    "offers": ", ".join(str(DISAGGREGATIONS[d]) for d in rule.offers),
                },
            )
        person_filters = [n for n in ("categories", "category_group") if data.get(n)]
        if (
            person_filters
            and rule_code not in PEOPLE_RULES
            and not rule.filters_people
            and rule_code not in ("feedback_satisfied_pct",)
        ):
            self.add_error(
                person_filters[0],
                _("“%(rule)s” does not count people: it cannot be limited to categories.")
                % {"rule": rule.label},
            )
        if data.get("partner_types") and rule_code != "partners_engaged":
            self.add_error("partner_types", _("Kinds of partner only apply to “partners engaged”."))
        return data

    def save(self, commit=True):
        indicator = super().save(commit=False)
        params = {}
        for name in self.PARAM_FIELDS:
            value = self.cleaned_data.get(name)
            if value:
                params[name] = value
        indicator.rule_params = params
        indicator.disaggregations = list(self.cleaned_data.get("disaggregations") or [])
        if commit:
            indicator.save()
        return indicator


def _dates(label: str) -> tuple[date, date] | None:
    """The first and last day of a quarter's or a year's key, else None."""
    period = periods.parse(label)
    return (period.start, period.end) if period else None


class TargetForm(ChooseLabels, forms.ModelForm):
    """A target for a quarter (2024Q3) or a year (2024); the dates follow from the label."""

    class Meta:
        model = IndicatorTarget
        fields = ["period", "period_start", "period_end", "value"]
        widgets = {
            "period_start": forms.DateInput(attrs={"type": "date"}),
            "period_end": forms.DateInput(attrs={"type": "date"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period_start"].required = False
        self.fields["period_end"].required = False
        self.fields["period"].help_text = _("2024Q3 for a quarter, 2024 for a year")

    def clean(self):
        data = super().clean()
        label = periods.normal_key(data.get("period", ""))
        if not label:
            return data
        data["period"] = label
        dates = _dates(label)
        start, end = data.get("period_start"), data.get("period_end")
        if dates:
            if (start and start != dates[0]) or (end and end != dates[1]):
                self.add_error(
                    "period_start",
                    _("%(label)s runs from %(start)s to %(end)s: leave the dates empty or match.")
                    % {"label": label, "start": dates[0], "end": dates[1]},
                )
            data["period_start"], data["period_end"] = dates
        elif not (start and end):
            self.add_error(
                "period",
                _("Write a quarter (2024Q3) or a year (2024), or give both dates."),
            )
        elif end < start:
            self.add_error("period_end", _("The period cannot end before it starts."))
        return data


class BaseTargetFormSet(BaseInlineFormSet):
    """Targets of one indicator; Django's unique check refuses two targets for one period."""


TargetFormSet = inlineformset_factory(
    Indicator,
    IndicatorTarget,
    form=TargetForm,
    formset=BaseTargetFormSet,
    extra=2,
    can_delete=True,
)


class NarrativeForm(forms.ModelForm):
    """What staff write for a period and scope (the whole programme or one region)."""

    class Meta:
        model = Narrative
        fields = [
            "programme",
            "period_label",
            "period_start",
            "period_end",
            "region",
            "highlights",
            "challenges",
            "lessons",
            "next_steps",
        ]
        widgets = {
            "period_start": forms.DateInput(attrs={"type": "date"}),
            "period_end": forms.DateInput(attrs={"type": "date"}),
            "highlights": forms.Textarea(attrs={"rows": 5}),
            "challenges": forms.Textarea(attrs={"rows": 4}),
            "lessons": forms.Textarea(attrs={"rows": 4}),
            "next_steps": forms.Textarea(attrs={"rows": 4}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["programme"].queryset = Programme.objects.filter(is_active=True)
        self.fields["programme"].required = True
        self.fields["programme"].empty_label = None
        self.fields["period_start"].required = False
        self.fields["period_end"].required = False
        self.fields["period_label"].help_text = _(
            "2024Q3 for a quarter, 2024 for a year; the dates then fill themselves in."
        )
        self.fields["region"].empty_label = _("All regions (the whole programme)")

    def clean(self):
        data = super().clean()
        label = periods.normal_key(data.get("period_label", ""))
        if label:
            data["period_label"] = label
            self.instance.period_label = label
            dates = _dates(label)
            if dates:
                data["period_start"], data["period_end"] = dates
                self.instance.period_start, self.instance.period_end = dates
            elif not (data.get("period_start") and data.get("period_end")):
                self.add_error(
                    "period_label",
                    _("Write a quarter (2024Q3) or a year (2024), or give both dates."),
                )
        if not any(data.get(f) for f in ("highlights", "challenges", "lessons", "next_steps")):
            raise forms.ValidationError(_("Write at least one of the four sections."))
        programme, region = data.get("programme"), data.get("region")
        if label and programme:
            twin = Narrative.objects.filter(
                programme=programme, period_label=label, region=region
            ).exclude(pk=self.instance.pk)
            if twin.exists():
                raise forms.ValidationError(
                    _("There is already a narrative for %(period)s and %(scope)s: edit it.")
                    % {"period": label, "scope": region or _("all regions")}
                )
        return data


class IndicatorCommentForm(forms.Form):
    """The explanation of an indicator's figure for one period; empty removes it."""

    period_label = forms.CharField(
        label=_("Period"), max_length=30, help_text=_("2024Q3 for a quarter, 2024 for a year.")
    )
    text = forms.CharField(
        label=_("Explanation of variance"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Why the figure is above or below its target. Leave empty to remove it."),
    )

    def clean_period_label(self) -> str:
        label = periods.normal_key(self.cleaned_data["period_label"])
        if not label or not periods.parse(label):
            raise forms.ValidationError(_("Write a quarter (2024Q3) or a year (2024)."))
        return label


class QuoteReviewForm(forms.Form):
    """Approve a consented comment for donor reports (with the text as it may be quoted, edited
    if need be) or reject it. Each row of "Quotes to review" has its own form."""

    DECISIONS = (("approve", _("Approve")), ("reject", _("Reject")))

    quote_text_reviewed = forms.CharField(
        label=_("Text to quote"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Names of people in the registry are replaced by [name] again in reports."),
    )
    decision = forms.ChoiceField(choices=DECISIONS)
