"""Periods (core/periods.py): one type for the dashboard, the report forms, the command line
and the results framework."""

from __future__ import annotations

from datetime import date

import pytest

from core import periods
from core.periods import Period


def test_quarters_and_years_parse_from_their_keys():
    assert periods.parse("2024Q3") == Period("2024Q3", date(2024, 7, 1), date(2024, 9, 30))
    assert periods.parse(" 2024-q4 ") == periods.quarter(2024, 4)
    assert periods.quarter(2024, 4).end == date(2024, 12, 31)
    assert periods.parse("2024") == Period("2024", date(2024, 1, 1), date(2024, 12, 31))
    for text in ("", None, "2024Q5", "24Q1", "2024-07-01..2024-08-31", "Q3", "0000", "0000Q1"):
        assert periods.parse(text) is None
    with pytest.raises(ValueError):
        periods.quarter(2024, 0)


def test_a_period_knows_its_kind_label_and_predecessor():
    q1 = periods.quarter_of(date(2025, 2, 14))
    assert (q1.key, q1.kind, q1.label) == ("2025Q1", "quarter", "2025 Q1")
    assert q1.previous().key == "2024Q4"
    assert periods.last_ended_quarter(date(2024, 10, 1)).key == "2024Q3"
    assert periods.year(2024).previous() == periods.year(2023)
    custom = periods.custom(date(2024, 7, 1), date(2024, 8, 31))
    assert (custom.key, custom.kind) == ("2024-07-01..2024-08-31", "custom")
    assert custom.label == "01.07.2024 – 31.08.2024"
    key, start, end = custom  # a tuple, as report runs store it
    assert (start, end) == (date(2024, 7, 1), date(2024, 8, 31))


def test_menus_run_from_the_first_year_to_now(settings):
    settings.PERIOD_FIRST_YEAR = 2023
    assert periods.menu_years(date(2025, 5, 1)) == [2025, 2024, 2023]
    choices = periods.quarter_choices(date(2025, 5, 1))
    assert choices[:3] == [("2025Q2", "2025 Q2"), ("2025Q1", "2025 Q1"), ("2024Q4", "2024 Q4")]
    assert choices[-1] == ("2023Q1", "2023 Q1") and len(choices) == 10
