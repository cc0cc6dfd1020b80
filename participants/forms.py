"""Forms of the registry: a person's details (with consent when registering), the search box,
roster removal, merge confirmation and an erasure request. Choices are limited to the user's
scope."""

from __future__ import annotations

from datetime import date

from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Fieldset, Layout
from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.scope import Scope
from core.choices import ChooseLabels
from regions.models import District, PartnerOrganisation, Region

from . import disability
from .identity import validate_iin
from .imports.apply import CONSENT_VERSION
from .models import Consent, DisabilityAnswers, Participant, ParticipantCategory

CONSENT_REQUIRED = _(
    "People can be registered only with their consent. Tick the box once "
    "they have agreed (signed form or verbally)."
)
DISABILITY_CONSENT_REQUIRED = _(
    "The answers to the disability questions are kept only with the person's consent to these "
    "questions. Tick the box once they have agreed, or leave the answers empty."
)
ORGANISATION_REQUIRED = _("Choose the organisation or write its name.")

PERSON_FIELDS = [
    "full_name",
    "sex",
    "birth_year",
    "region",
    "district",
    "category",
    "organisation",
    "organisation_name",
    "position",
    "phone",
    "email",
    "followup_consent",
]


class PersonForm(ChooseLabels, forms.ModelForm):
    """A person's details. Only what the reports need is required: contacts and the IIN are
    optional (least data); the IIN is checked and kept only as a keyed hash."""

    iin = forms.CharField(
        label=_("IIN (optional)"),
        required=False,
        max_length=20,
        help_text=_(
            "12 digits. Used only to recognise the same person again: stored as a keyed hash, "
            "never as the number."
        ),
    )

    class Meta:
        model = Participant
        fields = PERSON_FIELDS
        help_texts = {
            "organisation_name": _("If the organisation is not in the list, write its name."),
            "phone": _("Optional: only if the person agreed to be contacted."),
            "followup_consent": _(
                "Tick only if the person agreed to answer a few questions by e-mail or phone "
                "some months after the training. They can withdraw at any time."
            ),
        }

    def __init__(self, *args, scope: Scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope = scope
        # An existing person may live outside the user's regions (they came to an event here):
        # their current region and district stay valid choices.
        current = self.instance.region_id if self.instance.pk else None
        # (Every region: no filter at all. An empty Q would vanish from `Q() | Q(pk=current)`
        # and leave only the current region.)
        regions = districts = Q()
        if not scope.all_regions:
            regions = scope.region_q("pk") | Q(pk=current)
            districts = scope.region_q("region") | Q(region_id=current)
        self.fields["region"].queryset = Region.objects.filter(regions)
        self.fields["district"].queryset = District.objects.filter(
            districts, is_active=True
        ).select_related("region")
        self.fields["organisation"].queryset = PartnerOrganisation.objects.filter(
            scope.region_q("region", include_global=True), is_active=True
        )
        self.fields["category"].queryset = ParticipantCategory.objects.filter(is_active=True)
        self.fields["birth_year"].widget.attrs.update({"inputmode": "numeric"})
        self.fields["phone"].widget.attrs.update({"autocomplete": "off", "inputmode": "tel"})
        self.fields["iin"].widget.attrs.update({"inputmode": "numeric", "autocomplete": "off"})
        if self.instance.pk and self.instance.iin_hash:
            self.fields["iin"].help_text = _(
                "An IIN is on file (hashed). Leave empty to keep it; type a new one to replace it."
            )

    def clean_iin(self) -> str:
        value = self.cleaned_data.get("iin", "")
        return validate_iin(value) if value.strip() else ""

    def person_fields(self) -> dict:
        """The cleaned values to give register_person / update_person."""
        return {name: self.cleaned_data[name] for name in PERSON_FIELDS}


class ConsentGivenFields(forms.Form):
    """The consent a person gave when registered (required by law, recorded with its date, text
    version and how it was given): the single registration form and the multi-row entry."""

    consent_given = forms.BooleanField(
        label=_("The person agreed to the processing of their personal data"),
        required=True,
        error_messages={"required": CONSENT_REQUIRED},
    )
    consent_method = forms.ChoiceField(
        label=_("How consent was given"),
        choices=Consent.Method.choices,
        initial=Consent.Method.PAPER,
    )
    consent_date = forms.DateField(
        label=_("Date of consent"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    consent_version = forms.CharField(
        label=_("Consent text version"), max_length=20, initial=CONSENT_VERSION
    )

    def clean_consent_date(self) -> date:
        value = self.cleaned_data["consent_date"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("The date of consent cannot be in the future."))
        return value


class DisabilityQuestionsFields(forms.Form):
    """The Washington Group Short Set, optional (participants/disability.py, ADR 0024): six
    radio groups in the official wording, each with "Prefer not to say", and the person's own
    consent to these questions. Without that consent no answer is kept: a difficulty answered
    without it is refused with a message; "prefer not to say" alone needs none (nothing is
    stored). Rendered as its own fieldset (templates/participants/partials/wgss_fieldset.html)."""

    DISABILITY_FIELDS = tuple(f"wg_{d}" for d in disability.DOMAINS)

    disability_consent = forms.BooleanField(
        label=_(
            "The person agreed to answer the disability questions and to their answers being kept"
        ),
        required=False,
        help_text=_(
            "A separate consent from the one to registration: the questions are optional and "
            "the person may refuse any of them."
        ),
    )
    disability_consent_date = forms.DateField(
        label=_("Date of consent to the disability questions"),
        required=False,
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for domain, name in zip(disability.DOMAINS, self.DISABILITY_FIELDS, strict=True):
            self.fields[name] = forms.TypedChoiceField(
                label=disability.question(domain),
                choices=disability.answer_choices(),
                coerce=int,
                empty_value=None,
                required=False,
                widget=forms.RadioSelect,
            )
        # Consent last, after the questions it covers.
        for name in ("disability_consent", "disability_consent_date"):
            self.fields[name] = self.fields.pop(name)
        questions = (*self.DISABILITY_FIELDS, "disability_consent", "disability_consent_date")
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            *[name for name in self.fields if name not in questions],
            Fieldset(
                _("Disability questions (Washington Group Short Set): optional"),
                HTML(format_html('<p class="form-text">{}</p>', disability.introduction())),
                *questions,
                css_class="border rounded p-3 mb-3",
                css_id="disability-questions",
            ),
        )

    def disability_bound_fields(self) -> list:
        return [self[name] for name in self.DISABILITY_FIELDS]

    def clean(self):
        data = super().clean()
        answers = [data.get(name) for name in self.DISABILITY_FIELDS]
        real = [a for a in answers if a not in (None, disability.Answer.PREFER_NOT_TO_SAY)]
        # Unticking the consent to answers held is its withdrawal (the answers go), not an error.
        withdrawn = getattr(self, "answers_held", False)
        if real and not data.get("disability_consent") and not withdrawn:
            self.add_error("disability_consent", DISABILITY_CONSENT_REQUIRED)
        when = data.get("disability_consent_date")
        if when and when > timezone.localdate():
            self.add_error(
                "disability_consent_date", _("The date of consent cannot be in the future.")
            )
        return data

    def disability_answers(self) -> dict | None:
        """What register_person / update_person keep: {domain: code or None, "consent_date":
        date} with the person's consent, else None (nothing kept)."""
        data = self.cleaned_data
        if not data.get("disability_consent"):
            return None
        out = {
            domain: data.get(name)
            for domain, name in zip(disability.DOMAINS, self.DISABILITY_FIELDS, strict=True)
        }
        out["consent_date"] = data.get("disability_consent_date") or timezone.localdate()
        return out


# The mixin first, so its fields come after the person's (and the IIN) in the form.
class RegisterPersonForm(ConsentGivenFields, DisabilityQuestionsFields, PersonForm):
    """A new person: their details plus the consent they gave."""

    def clean(self):
        data = super().clean()
        # The organisation helps to tell namesakes apart (see likely_duplicates).
        if not data.get("organisation") and not (data.get("organisation_name") or "").strip():
            self.add_error("organisation_name", ORGANISATION_REQUIRED)
        return data


class PersonEditForm(DisabilityQuestionsFields, PersonForm):
    """A person's details and their answers to the disability questions, as held (a record
    erased keeps no answers to show)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        held = DisabilityAnswers.objects.filter(
            participant_id=self.instance.pk, kept_status=""
        ).first()
        self.answers_held = held is not None
        if held is not None:
            for domain, name in zip(disability.DOMAINS, self.DISABILITY_FIELDS, strict=True):
                self.initial.setdefault(name, getattr(held, domain))
            self.initial.setdefault("disability_consent", True)
            self.initial.setdefault("disability_consent_date", held.consent_given_on)
            self.fields["disability_consent"].help_text = _(
                "Untick to record that the person withdrew this consent: their answers are "
                "then deleted."
            )


class ConsentForm(forms.Form):
    """Consent of a person already in the registry (e.g. imported without it), or a withdrawal."""

    given = forms.TypedChoiceField(
        label=_("Consent"),
        choices=[("1", _("Given")), ("0", _("Refused or withdrawn"))],
        coerce=lambda value: value == "1",
        widget=forms.RadioSelect,
        initial="1",
    )
    method = forms.ChoiceField(
        label=_("How consent was given"), choices=Consent.Method.choices, initial="paper"
    )
    given_on = forms.DateField(
        label=_("Date of consent"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    version = forms.CharField(
        label=_("Consent text version"), max_length=20, initial=CONSENT_VERSION
    )

    def clean_given_on(self) -> date:
        value = self.cleaned_data["given_on"]
        if value > timezone.localdate():
            raise forms.ValidationError(_("The date of consent cannot be in the future."))
        return value


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search the registry"),
        required=False,
        max_length=100,
        help_text=_("Type part of the name (any word order) or of the organisation."),
    )


class RemoveFromRosterForm(forms.Form):
    """Confirmation of a roster removal; attendance already recorded needs an explicit tick."""

    also_attendance = forms.BooleanField(
        label=_("Also delete this person's attendance at this event"), required=False
    )

    def __init__(self, *args, n_attendance: int = 0, **kwargs):
        super().__init__(*args, **kwargs)
        self.n_attendance = n_attendance
        if not n_attendance:
            del self.fields["also_attendance"]

    def clean(self):
        data = super().clean()
        if self.n_attendance and not data.get("also_attendance"):
            self.add_error(
                "also_attendance",
                _("This person's attendance is recorded: tick the box to delete it as well."),
            )
        return data


class EraseForm(forms.Form):
    """An administrator erasing a person's data on their request (participants/privacy.py)."""

    reason = forms.CharField(
        label=_("Request reference or reason"),
        max_length=500,
        help_text=_("E.g. the date and number of the person's written request."),
    )
    confirm = forms.BooleanField(
        label=_("I understand that the name and contacts are removed for good"), required=True
    )
