"""Forms of the feedback pages: the public form participants fill in on their phones, paper
feedback typed in by a coordinator, and the grid of pre/post test scores."""

from __future__ import annotations

import secrets
import time

from django import forms
from django.conf import settings
from django.core import signing
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from .aggregates import LIKERT_ITEMS
from .models import Enrolment, Feedback

_STARTED_SALT = "qadam.feedback.started"
FORM_TOKEN_MAX_AGE = 60 * 60 * 24  # a form shown yesterday may still be sent

SATISFACTION_CHOICES = [
    (1, _("Very dissatisfied")),
    (2, _("Dissatisfied")),
    (3, _("Neutral")),
    (4, _("Satisfied")),
    (5, _("Very satisfied")),
]
AGREE_CHOICES = [
    (1, _("Strongly disagree")),
    (2, _("Disagree")),
    (3, _("Neither agree nor disagree")),
    (4, _("Agree")),
    (5, _("Strongly agree")),
]


def started_token(at: float | None = None, *, event=None) -> str:
    """The signed one-time token of a form shown (a hidden field): when it was shown (for the
    minimum fill time), for which event, and a random nonce. The form is accepted only for
    that event and only once per nonce (Feedback.form_token_hash), so one token cannot be
    replayed to stuff an event's feedback."""
    payload = {"t": time.time() if at is None else at, "n": secrets.token_urlsafe(16)}
    if event is not None:
        payload["e"] = event.pk
    return signing.dumps(payload, salt=_STARTED_SALT)


def _likert(label, choices) -> forms.TypedChoiceField:
    return forms.TypedChoiceField(
        label=label,
        # Lazy: the answers are shown in the participant's language, not the one active when
        # the module was imported.
        choices=[(str(value), format_lazy("{} – {}", value, text)) for value, text in choices],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": _("Please choose one answer.")},
    )


class _LikertFields(forms.Form):
    satisfaction = _likert(
        _("Overall, how satisfied are you with the training?"), SATISFACTION_CHOICES
    )
    relevance = _likert(_("The training was relevant to my work."), AGREE_CHOICES)
    usefulness = _likert(_("What I learned is useful to me."), AGREE_CHOICES)
    intent_to_apply = _likert(_("I intend to apply what I learned."), AGREE_CHOICES)
    most_useful = forms.CharField(
        label=_("What was most useful?"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    comments = forms.CharField(
        label=_("Comments and suggestions"),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    consent_to_quote = forms.BooleanField(
        label=_("My comments may be quoted in reports, without my name."), required=False
    )

    ANSWER_FIELDS = (
        *LIKERT_ITEMS,
        "most_useful",
        "comments",
        "consent_to_quote",
    )

    def answers(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.ANSWER_FIELDS}


class PublicFeedbackForm(_LikertFields):
    """The anonymous form behind an event's feedback link. Two traps for bots: a field people
    never see (`website`) and a minimum time between showing the form and sending it."""

    website = forms.CharField(
        label=_("Leave this field empty"),
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "tabindex": "-1"}),
    )
    started = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, event=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event
        self.form_nonce = ""

    def clean(self):
        cleaned = super().clean()
        self.is_spam = bool(cleaned.get("website"))
        try:
            token = signing.loads(
                cleaned.get("started") or "", salt=_STARTED_SALT, max_age=FORM_TOKEN_MAX_AGE
            )
            shown_at, nonce = float(token["t"]), str(token["n"])
            # A token shown for another event (or forged, or expired) is refused.
            if self.event is not None and token.get("e") != self.event.pk:
                raise KeyError("e")
        except (signing.BadSignature, AttributeError, KeyError, TypeError, ValueError):
            raise forms.ValidationError(
                _("This form has expired. Please answer the questions again and send it."),
                code="expired",
            ) from None
        self.form_nonce = nonce
        if time.time() - shown_at < settings.FEEDBACK_MIN_FILL_SECONDS:
            raise forms.ValidationError(
                _("That was very quick. Please check your answers and send the form again."),
                code="too_fast",
            )
        return cleaned


class KioskFeedbackForm(_LikertFields):
    """The public form's questions, answered one person after another on a coordinator's
    device (the feedback kiosk). No bot traps: the coordinator is signed in and each answer
    comes through their outbox with its own idempotency key. Nothing is offered back by the
    browser's autofill to the next person."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["autocomplete"] = "off"


class PaperFeedbackForm(_LikertFields):
    """One paper feedback form typed in by a coordinator, optionally linked to a person on the
    roster (only people whose feedback is not recorded yet)."""

    enrolment = forms.ModelChoiceField(
        label=_("Participant (optional)"),
        queryset=Enrolment.objects.none(),
        required=False,
        empty_label=_("Anonymous form"),
        help_text=_("Choose a person only if their name is on the form."),
    )
    ANSWER_FIELDS = ("enrolment", *_LikertFields.ANSWER_FIELDS)

    def __init__(self, *args, event, **kwargs):
        super().__init__(*args, **kwargs)
        self.event = event
        self.fields["enrolment"].queryset = (
            Enrolment.objects.filter(event=event)
            .select_related("participant")
            .order_by("participant__full_name", "pk")
        )
        self.fields["enrolment"].label_from_instance = lambda e: e.participant.full_name
        self.order_fields(["enrolment"])

    def clean_enrolment(self):
        enrolment = self.cleaned_data.get("enrolment")
        if enrolment and Feedback.objects.filter(enrolment=enrolment).exists():
            raise forms.ValidationError(
                _("Feedback from %(name)s is already recorded for this event.")
                % {"name": enrolment.participant.full_name}
            )
        return enrolment


class ScoreField(forms.DecimalField):
    """A test score 0-100; accepts a decimal comma (45,5) as typed in Kazakhstan."""

    def __init__(self, **kwargs):
        super().__init__(
            min_value=0,
            max_value=100,
            max_digits=5,
            decimal_places=2,
            required=False,
            widget=forms.TextInput(attrs={"inputmode": "decimal", "size": 5}),
            **kwargs,
        )

    def to_python(self, value):
        if isinstance(value, str):
            value = value.strip().replace(",", ".")
        return super().to_python(value)


class ScoreRowForm(forms.Form):
    """One row of the scores grid: a person on the roster and their two scores."""

    enrolment = forms.IntegerField(widget=forms.HiddenInput)
    pre_score = ScoreField(label=_("Score before"))
    post_score = ScoreField(label=_("Score after"))


class BaseScoresFormSet(forms.BaseFormSet):
    def __init__(self, *args, roster: dict[int, Enrolment], **kwargs):
        self.roster = roster
        super().__init__(*args, **kwargs)

    def clean(self):
        super().clean()
        for form in self.forms:
            pk = form.cleaned_data.get("enrolment") if hasattr(form, "cleaned_data") else None
            if pk is not None and pk not in self.roster:
                raise forms.ValidationError(_("The roster has changed: reload the page."))

    def rows(self):
        """(enrolment, pre, post) of the rows that were changed."""
        return [
            (
                self.roster[form.cleaned_data["enrolment"]],
                form.cleaned_data.get("pre_score"),
                form.cleaned_data.get("post_score"),
            )
            for form in self.forms
            if form.has_changed()
        ]


ScoresFormSet = forms.formset_factory(
    ScoreRowForm, formset=BaseScoresFormSet, extra=0, max_num=2000, validate_max=True
)


class FeedbackClosingForm(forms.Form):
    """The date after which an event's feedback link closes by itself (empty: stays open)."""

    closes_on = forms.DateField(
        label=_("Close the link after"),
        required=False,
        widget=forms.DateInput(
            attrs={
                "type": "date",
                "class": "form-control form-control-sm",
                "aria-describedby": "closes-on-help",
            },
            format="%Y-%m-%d",
        ),
        help_text=_("Leave empty to keep the link open until you close it."),
    )
