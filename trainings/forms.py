"""Forms of the event and session pages (crispy forms, Bootstrap 5). They validate input and
limit choices to the user's regions; saving goes through trainings.services."""

from __future__ import annotations

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Field, Fieldset, Layout, Row
from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.scope import Scope
from core import uploads
from core.choices import CHOOSE, ChooseLabels
from core.names import localised_order
from regions.selectors import (
    active_districts,
    active_partners,
    districts_visible,
    partners_visible,
    regions_visible,
)

from .models import (
    ActivityLine,
    EventFile,
    Facilitator,
    Programme,
    Session,
    Topic,
    TrainingEvent,
)

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")
# Several of a list: checkboxes in a box that scrolls when the list is long (a Ctrl-click
# <select multiple> is unknown to most users and unusable on a phone).
CHOICES = forms.CheckboxSelectMultiple


class DistrictChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.region.name}: {obj.name}"


def _districts_by_region(districts) -> list:
    """District choices grouped by region (one <optgroup> each): easier to scan than 200 rows."""
    groups: dict[str, list] = {}
    for district in districts:
        groups.setdefault(district.region.name, []).append((district.pk, district.name))
    return [("", CHOOSE), *groups.items()]


def _pair(first: str, second: str, size: str = "sm") -> Row:
    """Two fields side by side from the `size` breakpoint up, stacked on a phone."""
    return Row(Column(first, css_class=f"col-{size}-6"), Column(second, css_class=f"col-{size}-6"))


def _choice_boxes(first: str, second: str) -> Row:
    """Two lists of checkboxes side by side from md up, each scrolling in its own box."""
    return Row(
        *(
            Column(Field(name, wrapper_class="choice-box"), css_class="col-md-6")
            for name in (first, second)
        )
    )


def _active_or_current(queryset, current_ids):
    """Active choices, plus those already chosen (so editing an old event keeps them)."""
    return queryset.filter(Q(is_active=True) | Q(pk__in=list(current_ids)))


def apply_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """Show a service's ValidationError on the form: on its fields when it names them."""
    if hasattr(error, "error_dict"):
        for name, messages in error.message_dict.items():
            form.add_error(name if name in form.fields else None, messages)
    else:
        form.add_error(None, error.messages)


class EventForm(ChooseLabels, forms.ModelForm):
    """Create or edit a training event within the user's regions."""

    class Meta:
        model = TrainingEvent
        fields = [
            "title",
            "event_type",
            "programme",
            "activity_line",
            "start_date",
            "end_date",
            "region",
            "district",
            "venue",
            "modality",
            "planned_participants",
            "description",
            "topics",
            "facilitators",
            "host_partners",
            "implementing_partners",
        ]
        widgets = {
            "start_date": DATE,
            "end_date": DATE,
            "description": forms.Textarea(attrs={"rows": 3}),
            "topics": CHOICES,
            "facilitators": CHOICES,
            "host_partners": CHOICES,
            "implementing_partners": CHOICES,
        }
        field_classes = {"district": DistrictChoiceField}

    def __init__(self, *args, scope: Scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope = scope
        event = self.instance
        editing = event.pk is not None
        f = self.fields
        f["region"].queryset = regions_visible(scope).filter(
            Q(is_active=True) | Q(pk=event.region_id or 0)
        )
        f["region"].error_messages["invalid_choice"] = _(
            "This region is outside the regions you work in: choose one of yours."
        )
        # Active districts and partners only (regions.selectors.active_*), plus the event's
        # current ones so editing an event whose district was since merged or closed keeps it.
        f["district"].queryset = (
            districts_visible(scope)
            .filter(Q(pk__in=active_districts().values("pk")) | Q(pk=event.district_id or 0))
            .order_by("region__code", "name_en")
        )
        f["district"].choices = _districts_by_region(f["district"].queryset)
        f["district"].error_messages["invalid_choice"] = _(
            "This district or city is outside the regions you work in."
        )
        f["programme"].queryset = Programme.objects.filter(
            Q(is_active=True) | Q(pk=event.programme_id or 0)
        )
        f["activity_line"].queryset = ActivityLine.objects.filter(
            Q(is_active=True) | Q(pk=event.activity_line_id or 0)
        ).select_related("programme")
        if not editing and not self.is_bound:
            programmes = list(f["programme"].queryset[:2])
            if len(programmes) == 1:  # the usual case: one programme, chosen already
                self.initial.setdefault("programme", programmes[0].pk)

        def current(name: str):
            return getattr(event, name).values_list("pk", flat=True) if editing else []

        # Topics and partners in the order of the names the reader sees (core.names).
        f["topics"].queryset = _active_or_current(Topic.objects, current("topics")).order_by(
            localised_order()
        )
        f["facilitators"].queryset = _active_or_current(
            Facilitator.objects, current("facilitators")
        )
        for name in ("host_partners", "implementing_partners"):
            f[name].queryset = (
                partners_visible(scope)
                .filter(
                    Q(pk__in=active_partners(scope).values("pk")) | Q(pk__in=list(current(name)))
                )
                .order_by(localised_order(), "pk")
            )
        f["district"].help_text = _("Must be in the event's region.")

        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(
                _("What"),
                "title",
                _pair("event_type", "modality"),
                _pair("programme", "activity_line"),
                "description",
            ),
            Fieldset(
                _("When and where"),
                _pair("start_date", "end_date"),
                _pair("region", "district"),
                Row(
                    Column("venue", css_class="col-sm-8"),
                    Column("planned_participants", css_class="col-sm-4"),
                ),
            ),
            Fieldset(
                _("Who and what about"),
                _choice_boxes("topics", "facilitators"),
                _choice_boxes("host_partners", "implementing_partners"),
            ),
        )

    def clean(self):
        data = super().clean()
        region = data.get("region")
        if region is not None and not self.scope.covers_region(region.pk):
            self.add_error(
                "region", _("This region is outside the regions you work in: choose one of yours.")
            )
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", _("The end date cannot be before the start date."))
        district = data.get("district")
        if district is not None and region is not None and district.region_id != region.pk:
            self.add_error(
                "district",
                _("%(district)s is not in %(region)s.") % {"district": district, "region": region},
            )
        return data

    def _post_clean(self):
        # The model's clean() repeats the date and district checks: skip what the form already
        # reported so each message shows once.
        if self.has_error("end_date") or self.has_error("district"):
            return
        super()._post_clean()

    def event_fields(self) -> dict:
        """The cleaned data as keyword arguments of services.create_event/update_event."""
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class SessionForm(ChooseLabels, forms.ModelForm):
    """A day or module of an event: its date must fall within the event's dates."""

    class Meta:
        model = Session
        fields = ["date", "title", "start_time", "end_time"]
        widgets = {"date": DATE, "start_time": TIME, "end_time": TIME}

    def __init__(self, *args, event: TrainingEvent, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.event = event
        self.fields["date"].widget.attrs.update(
            min=f"{event.start_date:%Y-%m-%d}", max=f"{event.end_date:%Y-%m-%d}"
        )
        self.fields["title"].help_text = _(
            "Leave empty to name it by its day of the event, in each reader's language; or "
            'name it, e.g. "Module 2: criminal profiling".'
        )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            _pair("date", "title", "sm"),
            Row(Column("start_time", css_class="col-6"), Column("end_time", css_class="col-6")),
        )

    def clean(self):
        data = super().clean()
        day, title = data.get("date"), data.get("title", "")
        if day is not None:
            same = Session.objects.filter(event=self.instance.event, date=day, title=title)
            if self.instance.pk:
                same = same.exclude(pk=self.instance.pk)
            if same.exists() and not title:
                self.add_error(
                    "title",
                    _("This event already has an untitled session on that day: give this a name."),
                )
            elif same.exists():
                self.add_error(
                    "title",
                    _("This event already has a session called “%(title)s” on that day.")
                    % {"title": title},
                )
        return data

    def session_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


# Files of an event ------------------------------------------------------------------------
CONSENT_HELP = _(
    "Needed before a photo of people goes into the donor report: tick it only when everyone "
    "recognisable agreed (personal data law: consent is recorded)."
)


class EventFileForm(forms.Form):
    """Upload one file to an event; what it really is and its size are checked by
    trainings.services.add_event_file."""

    kind = forms.ChoiceField(label=_("What it is"), choices=EventFile.Kind.choices)
    file = forms.FileField(label=_("File"))
    caption = forms.CharField(label=_("Caption (optional)"), max_length=300, required=False)
    people_consent = forms.BooleanField(
        label=EventFile._meta.get_field("people_consent").verbose_name,
        required=False,
        help_text=CONSENT_HELP,
    )
    in_report = forms.BooleanField(label=_("Show this photo in the donor report"), required=False)

    def __init__(self, *args, max_size: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["file"].help_text = _(
            "Photos: JPEG, PNG or WebP. Sign-in sheets: a scan or a PDF. Agendas and other "
            "documents: also Word or Excel. Up to %(size)s. Photos are stored without their "
            "location and camera data."
        ) % {"size": max_size}
        self.fields["file"].widget.attrs["accept"] = (
            "image/jpeg,image/png,image/webp,application/pdf,.docx,.xlsx"
        )

    def clean_file(self):
        # Refused before the file is read into memory; its content is checked by the service.
        upload = self.cleaned_data["file"]
        try:
            uploads.check_size(upload.size, settings.EVENT_FILE_MAX_BYTES)
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from error
        return upload


class EventFileEditForm(forms.ModelForm):
    class Meta:
        model = EventFile
        fields = ["caption", "people_consent", "in_report"]
        labels = {"in_report": _("Show this photo in the donor report")}
        help_texts = {"people_consent": CONSENT_HELP}
