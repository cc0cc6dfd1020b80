"""Forms of the follow-up surveys: the answers (built from a round's questions, shown on
the public page and on the coordinator's phone entry) and the staff's rounds and sets."""

from __future__ import annotations

import json

from django import forms
from django.utils.translation import gettext_lazy as _

from core.choices import ChooseLabels

from .models import QuestionSet, Round
from .questions import TEXT_ANSWER_MAX, localised, validate_questions, yes_no_label


class AnswersForm(forms.Form):
    """One field per question; none is required, but an empty form is not an answer."""

    def __init__(self, *args, questions: list[dict], **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = questions
        for question in questions:
            label = localised(question["text"])
            if question["kind"] == "text":
                field = forms.CharField(
                    label=label,
                    required=False,
                    max_length=TEXT_ANSWER_MAX,
                    widget=forms.Textarea(attrs={"rows": 3}),
                )
            else:
                if question["kind"] == "yes_no":
                    choices = [(v, yes_no_label(v)) for v in ("yes", "no")]
                else:
                    choices = [(c["value"], localised(c["text"])) for c in question["choices"]]
                field = forms.ChoiceField(
                    label=label, required=False, choices=choices, widget=forms.RadioSelect
                )
            self.fields[question["key"]] = field

    def clean(self):
        data = super().clean()
        if not any(data.get(q["key"]) for q in self.questions):
            raise forms.ValidationError(_("Please answer at least one question."))
        return data


class QuestionSetForm(forms.ModelForm):
    questions = forms.CharField(
        label=_("Questions (JSON)"),
        widget=forms.Textarea(attrs={"rows": 20, "spellcheck": "false"}),
        help_text=_(
            'A list of questions: {"key": "applied", "kind": "yes_no" | "choice" | "text", '
            '"text": {"en": ..., "ru": ..., "kk": ...}}; a choice also has "choices": '
            '[{"value": "often", "text": {"en": ..., "ru": ..., "kk": ...}}].'
        ),
    )

    class Meta:
        model = QuestionSet
        fields = ["name", "questions", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["questions"] = json.dumps(
                self.instance.questions or [], ensure_ascii=False, indent=2
            )

    def clean_questions(self):
        try:
            questions = json.loads(self.cleaned_data["questions"])
        except ValueError as error:
            raise forms.ValidationError(
                _("This is not valid JSON: %(error)s") % {"error": error}
            ) from error
        validate_questions(questions)
        return questions


class RoundForm(ChooseLabels, forms.ModelForm):
    class Meta:
        model = Round
        fields = ["event_type", "activity_line", "months", "question_set", "is_active"]
        help_texts = {
            "months": _("Counted from the event's last session."),
            "activity_line": _("Optional: only events of this activity line."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["question_set"].queryset = QuestionSet.objects.filter(is_active=True)
