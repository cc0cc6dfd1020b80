"""Kazakh pages write dates as Kazakhstan does: day before month (12.11.2024), the month in
Kazakh when a date is written out, never the US order Django falls back to without a Kazakh
format module (issue 19)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.urls import reverse
from django.utils import formats, translation

from trainings.models import TrainingEvent

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_short_dates_are_day_first(language):
    with translation.override(language):
        assert formats.date_format(date(2024, 11, 12), "SHORT_DATE_FORMAT") == "12.11.2024"
        assert formats.date_format(date(2024, 7, 1), "SHORT_DATE_FORMAT") == "01.07.2024"
        assert formats.get_format("DATE_INPUT_FORMATS")[0] == "%d.%m.%Y"


def test_a_kazakh_date_written_out_has_the_kazakh_month_and_year_mark():
    with translation.override("kk"):
        written = formats.date_format(date(2024, 11, 12))
    assert written.startswith("12 ") and written.endswith("2024 ж.")
    assert "November" not in written and "Nov" not in written


def test_the_event_page_in_kazakh_shows_day_first_dates(demo, client, login_as):
    login_as("coord.mangystau")
    event = TrainingEvent.objects.get(start_date=date(2024, 8, 13))
    html = client.get(
        reverse("trainings:event_detail", args=[event.pk]), HTTP_ACCEPT_LANGUAGE="kk"
    ).content.decode()
    assert "13.08.2024" in html or "13 Тамыз 2024 ж." in html
    assert not re.search(r"\b08/13/2024\b", html)
    assert "Тамыз. 13" not in html and "Там. 13" not in html
