"""The scanner behind the kk/ru page walk finds what it is meant to find (and only that)."""

from __future__ import annotations

import pytest
from django.utils import translation

from .i18n_scan import english_on, wrong_dates


@pytest.mark.parametrize("lang", ["kk", "ru"])
def test_an_untranslated_label_is_found_and_its_translation_is_not(lang):
    with translation.override(lang):
        translated = translation.gettext("Events")
    assert translated != "Events"
    assert english_on(["Events", translated, "Aigerim Seitkali"], lang) == ["Events"]


def test_placeholders_match_any_value_and_django_strings_count():
    found = english_on(["Ensure this value has at most 10 characters (it has 12)."], "kk")
    assert found, "Django's own validation message in English is a finding on a Kazakh page"


def test_brands_and_data_are_not_findings():
    assert english_on(["Qadam", "PDF", "OP1", "Beyneu"], "ru") == []


def test_us_and_month_first_dates_are_found_day_first_is_not():
    body = "Held 11/12/2024; starts Nov. 12, 2024; Там. 13, 2024; ends 12.11.2024, 12 қараша 2024"
    assert wrong_dates(body) == ["11/12/2024", "Nov. 12, 2024", "Там. 13, 2024"]
