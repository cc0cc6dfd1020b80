"""Selects write their options through one filter (core/templatetags/select_options.py) instead
of a template per option: the HTML must be Django's own, escaping included, for every kind of
select the forms use (plain, grouped, multiple, selected, model choices)."""

from __future__ import annotations

import re

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates

from regions.models import Region
from trainings.filters import EventFilter
from trainings.models import TrainingEvent

STOCK = DjangoTemplates()  # Django's own widget templates, not the project's


def _same(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


class Tricky(forms.Form):
    plain = forms.ChoiceField(choices=[("", "All"), ("a", "Alpha"), ('q"<', 'Quote " & <b>')])
    grouped = forms.ChoiceField(
        choices=[
            ("", "Choose…"),
            ("Әліпби", [("1", "Бір"), ("2", "Екі")]),
            ("Other", [("x&y", "X & Y")]),
        ]
    )
    many = forms.MultipleChoiceField(choices=[("1", "One"), ("2", "Two"), ("3", "Three")])
    styled = forms.ChoiceField(
        choices=[("1", "One")],
        widget=forms.Select(attrs={"class": "form-select", "required": True}),
    )


@pytest.mark.parametrize(
    "data",
    [None, {"plain": 'q"<', "grouped": "2", "many": ["1", "3"], "styled": "1"}, {"grouped": "x&y"}],
)
def test_a_select_writes_djangos_own_html(data):
    form = Tricky(data)
    for name in form.fields:
        field = form[name]
        theirs = field.field.widget.render(
            field.html_name, field.value(), attrs=field.build_widget_attrs({}), renderer=STOCK
        )
        ours = field.field.widget.render(
            field.html_name, field.value(), attrs=field.build_widget_attrs({})
        )
        assert _same(ours) == _same(theirs), name
        assert "<option" in ours


@pytest.mark.django_db
def test_the_event_filters_model_selects_write_djangos_own_html(rf, django_user_model):
    request = rf.get("/events/", {"region": "KZ-47", "programme": ""})
    request.user = django_user_model.objects.get(username="undp.staff")
    form = EventFilter(request.GET, queryset=TrainingEvent.objects.all(), request=request).form
    form.is_valid()
    for name in ("region", "district", "type", "status", "programme"):
        field = form[name]
        widget = field.field.widget
        value, attrs = field.value(), field.build_widget_attrs({})
        ours = widget.render(field.html_name, value, attrs=attrs)
        theirs = widget.render(field.html_name, value, attrs=attrs, renderer=STOCK)
        assert _same(ours) == _same(theirs), name
    region = form["region"].field.widget.render("region", "KZ-47")
    mangystau = Region.objects.get(code="KZ-47")
    assert re.search(
        rf'<option value="KZ-47" selected>{re.escape(str(mangystau))}</option>', region
    )
