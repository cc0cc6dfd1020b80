"""Forms of the KoboToolbox pages: a connected form and its mapping, fixing a waiting
submission."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from participants.models import Participant
from trainings.models import TrainingEvent

from .models import EVENT_CODE, QUESTION_KEYS, VALUE_KEYS, KoboConnection

QUESTION_LABELS = {
    EVENT_CODE: _("Event code (the event's number)"),
    "iin": _("IIN"),
    "full_name": _("Full name"),
    "birth_year": _("Birth year"),
    "phone": _("Phone"),
    "satisfaction": _("Satisfaction (1-5)"),
    "relevance": _("Relevance (1-5)"),
    "usefulness": _("Usefulness (1-5)"),
    "intent_to_apply": _("Intent to apply (1-5)"),
    "most_useful": _("Most useful"),
    "comments": _("Comments"),
    "consent_to_quote": _("Consent to quote"),
    "pre_score": _("Pre-test (0-100)"),
    "post_score": _("Post-test (0-100)"),
}
PATH_HELP = _("The question's path in the form, e.g. group_name/question_name.")


def _event(number) -> TrainingEvent:
    event = TrainingEvent.objects.filter(pk=number).first() if number else None
    if event is None:
        raise forms.ValidationError(_("No event has this number."))
    return event


class ConnectionForm(forms.Form):
    """A connected form: where its submissions go and which question answers what. The
    question fields are `q_<key>`, one per thing Qadam can read."""

    name = forms.CharField(label=_("Name"), max_length=120)
    xform_id = forms.CharField(
        label=_("Kobo form id"),
        max_length=100,
        required=False,
        help_text=_("The form's id string (_xform_id_string); leave empty to accept any."),
    )
    target = forms.ChoiceField(
        label=_("Submissions go to"),
        choices=KoboConnection.Target.choices,
        widget=forms.RadioSelect,
    )
    event_number = forms.IntegerField(
        label=_("Event number"),
        required=False,
        min_value=1,
        help_text=_("For “one event”: the number in the event's address (/events/<number>/)."),
    )

    def __init__(self, *args, connection: KoboConnection | None = None, **kwargs):
        if connection is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "name": connection.name,
                "xform_id": connection.xform_id,
                "target": connection.target,
                "event_number": connection.event_id,
                **{f"q_{key}": path for key, path in connection.questions.items()},
            }
        super().__init__(*args, **kwargs)
        for key in QUESTION_KEYS:
            self.fields[f"q_{key}"] = forms.CharField(
                label=QUESTION_LABELS[key], max_length=200, required=False, help_text=PATH_HELP
            )

    def clean(self):
        data = super().clean()
        questions = {
            key: data[f"q_{key}"].strip()
            for key in QUESTION_KEYS
            if (data.get(f"q_{key}") or "").strip()
        }
        data["questions"] = questions
        if data.get("target") == KoboConnection.Target.EVENT:
            try:
                data["event"] = _event(data.get("event_number"))
            except forms.ValidationError as error:
                self.add_error("event_number", error)
        else:
            data["event"] = None
            if EVENT_CODE not in questions:
                self.add_error(f"q_{EVENT_CODE}", _("Which question holds the event's code?"))
        if not any(key in questions for key in VALUE_KEYS):
            raise forms.ValidationError(
                _("Map at least one question to a feedback item or a test score.")
            )
        if "iin" not in questions and "full_name" not in questions:
            raise forms.ValidationError(
                _("Map the IIN question, or the full name (with the birth year) question.")
            )
        return data

    def connection_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "xform_id": data.get("xform_id", ""),
            "target": data["target"],
            "event": data["event"],
            "questions": data["questions"],
        }


class FixForm(forms.Form):
    """Choose the event and/or the person of a waiting submission."""

    event_number = forms.IntegerField(
        label=_("Event number"),
        required=False,
        min_value=1,
        help_text=_("Leave empty to use the form's event (or its event code)."),
    )
    person_number = forms.IntegerField(
        label=_("Person number"),
        required=False,
        min_value=1,
        help_text=_(
            "The number in the person's address (/people/<number>/), for a submission "
            "about one person."
        ),
    )

    def clean_event_number(self):
        number = self.cleaned_data.get("event_number")
        return _event(number) if number else None

    def clean_person_number(self):
        number = self.cleaned_data.get("person_number")
        if not number:
            return None
        person = Participant.objects.filter(pk=number).first()
        if person is None:
            raise forms.ValidationError(_("No person has this number."))
        return person
