"""Forms of the management pages (admins): regions, districts, partners and the programme's
reference lists. Rendered with crispy-forms; models validate themselves (`full_clean`)."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.text import slugify
from django.utils.translation import gettext_lazy as _

from core.choices import ChooseLabels
from core.names import ORIGINAL_NAME_HELP
from participants.models import ParticipantCategory
from regions.models import District, PartnerOrganisation, Region
from trainings.models import ActivityLine, Facilitator, Programme, Topic


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs):
        kwargs.setdefault("format", "%Y-%m-%d")
        super().__init__(**kwargs)


class ActiveChoicesForm(ChooseLabels, forms.ModelForm):
    """Pickers offer active items only, plus the one already chosen (so an edit keeps it)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            qs = getattr(field, "queryset", None)
            if qs is None or not hasattr(qs.model, "is_active"):
                continue
            current = getattr(self.instance, f"{name}_id", None)
            field.queryset = qs.filter(Q(is_active=True) | Q(pk=current))


class RegionForm(ChooseLabels, forms.ModelForm):
    class Meta:
        model = Region
        fields = ["name_kk", "name_ru", "name_en", "kato", "kind"]


class DistrictForm(ActiveChoicesForm):
    class Meta:
        model = District
        fields = ["region", "kind", "name_kk", "name_ru", "name_en"]


class DistrictMergeForm(ChooseLabels, forms.Form):
    target = forms.ModelChoiceField(
        queryset=District.objects.none(),
        label=_("Merge into"),
        help_text=_("Its events and people move there; this district is then removed."),
    )

    def __init__(self, *args, source: District, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].queryset = (
            District.objects.filter(region_id=source.region_id, is_active=True)
            .exclude(pk=source.pk)
            .order_by("name_en")
        )


class PartnerForm(ActiveChoicesForm):
    class Meta:
        model = PartnerOrganisation
        fields = [
            "name",
            "name_kk",
            "name_ru",
            "short_name",
            "short_name_kk",
            "short_name_ru",
            "type",
            "region",
            "address",
            "contact_person",
            "contact_role",
            "mou_start",
            "mou_end",
            "iati_identifier",
            "notes",
        ]
        widgets = {
            "mou_start": DateInput(),
            "mou_end": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {"name": ORIGINAL_NAME_HELP, "short_name": ORIGINAL_NAME_HELP}


class ProgrammeForm(ActiveChoicesForm):
    class Meta:
        model = Programme
        fields = [
            "name",
            "name_kk",
            "name_ru",
            "code",
            "donor",
            "budget_code",
            "sdg_target",
            "outcome",
            "start_date",
            "end_date",
        ]
        widgets = {
            "start_date": DateInput(),
            "end_date": DateInput(),
            "outcome": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {"name": ORIGINAL_NAME_HELP}


class ActivityLineForm(ActiveChoicesForm):
    class Meta:
        model = ActivityLine
        fields = ["programme", "code", "name", "name_kk", "name_ru"]
        help_texts = {"name": ORIGINAL_NAME_HELP}


class CategoryForm(ChooseLabels, forms.ModelForm):
    class Meta:
        model = ParticipantCategory
        fields = ["name_kk", "name_ru", "name_en", "code", "group", "order"]
        help_texts = {"code": _("Left empty, it is made from the English name.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].required = False

    def clean_code(self):
        return self.cleaned_data.get("code") or ""

    def clean(self):
        data = super().clean()
        if not data.get("code") and data.get("name_en"):
            data["code"] = slugify(data["name_en"])[:40]
            self.instance.code = data["code"]
        return data


class TopicForm(ChooseLabels, forms.ModelForm):
    class Meta:
        model = Topic
        fields = ["name", "name_kk", "name_ru"]
        help_texts = {"name": ORIGINAL_NAME_HELP}


class FacilitatorForm(ActiveChoicesForm):
    class Meta:
        model = Facilitator
        fields = ["name", "expertise", "organisation"]
