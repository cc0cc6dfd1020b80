"""Words for an empty choice: "All" in a filter, "Choose…" in a form, never Django's "---------"
(which a screen reader reads out dash by dash and nobody understands)."""

from __future__ import annotations

from django import forms
from django.db.models.fields import BLANK_CHOICE_DASH
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ALL = _("All")
CHOOSE = _("Choose…")
DASHES = BLANK_CHOICE_DASH[0][1]


def name_empty_choices(form: forms.BaseForm, label: str | Promise) -> None:
    """Give the empty choice of every select of `form` that still reads "---------" `label`.

    A model choice field reads `empty_label` as it renders; other choice fields (a model
    field's choices with blank=True, django-filter's) hold ("", "---------") first in their
    choices, django-filter's adding it again from `empty_label` whenever they are set."""
    for field in form.fields.values():
        if isinstance(field, forms.ModelChoiceField):
            if field.empty_label == DASHES:
                field.empty_label = label
            continue
        if not isinstance(field, forms.ChoiceField) or isinstance(field, forms.MultipleChoiceField):
            continue
        choices = list(field.choices)
        if not (choices and tuple(choices[0]) == ("", DASHES)):
            continue
        if getattr(field, "empty_label", None) == DASHES:
            field.empty_label = label
            field.choices = choices[1:]
        else:
            field.choices = [("", label), *choices[1:]]


class FilterForm(forms.Form):
    """The form of a FilterSet (its Meta.form): an empty choice is "All"."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        name_empty_choices(self, ALL)


class ChooseLabels:
    """A form mixin: an empty choice reads "Choose…"."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        name_empty_choices(self, CHOOSE)
