"""Periods of the programme: a calendar quarter ("2024Q3"), a year ("2024") or dates of one's
own. One type for the dashboard, the report forms and runs, the command line and the results
framework (targets and narratives are stored under a period's key):

    periods.parse("2024Q3")            Period("2024Q3", 2024-07-01, 2024-09-30)
    periods.quarter(2024, 3)           the same
    periods.quarter_of(day)            the quarter containing a day
    periods.last_ended_quarter(today)  the quarter a quarterly report is due for
    periods.year(2024), periods.custom(start, end), period.previous(), period.label

Menus list periods from PERIOD_FIRST_YEAR (settings) up to now, newest first."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Literal, NamedTuple

from django.conf import settings

_QUARTER = re.compile(r"(\d{4})-?Q([1-4])")
_YEAR = re.compile(r"\d{4}")


class Period(NamedTuple):
    """A period and its key, as reports, targets and narratives name it: "2024Q3", "2024", or
    "2024-07-01..2024-08-31" for dates of one's own. A tuple (key, start, end), so
    `key, start, end = period` unpacks it; both days belong to the period."""

    key: str
    start: date
    end: date

    @property
    def kind(self) -> Literal["quarter", "year", "custom"]:
        if _QUARTER.fullmatch(self.key):
            return "quarter"
        if _YEAR.fullmatch(self.key):
            return "year"
        return "custom"

    @property
    def label(self) -> str:
        """How a page shows it: "2024 Q3", "2024", "01.07.2024 – 31.08.2024"."""
        kind = self.kind
        if kind == "quarter":
            y, q = self.key.split("Q")
            return f"{y} Q{q}"
        if kind == "year":
            return self.key
        return f"{self.start:%d.%m.%Y} – {self.end:%d.%m.%Y}"

    def previous(self) -> Period:
        """The quarter before a quarter, the year before a year."""
        kind = self.kind
        if kind == "quarter":
            return quarter_of(self.start - timedelta(days=1))
        if kind == "year":
            return year(self.start.year - 1)
        raise ValueError(f"{self.key} has no previous period")


def quarter(y: int, q: int) -> Period:
    """The calendar quarter `q` (1-4) of year `y`."""
    if q not in (1, 2, 3, 4):
        raise ValueError(f"no quarter {q}")
    start = date(y, 3 * q - 2, 1)
    next_start = date(y + 1, 1, 1) if q == 4 else date(y, 3 * q + 1, 1)
    return Period(f"{y}Q{q}", start, next_start - timedelta(days=1))


def quarter_of(day: date) -> Period:
    """The calendar quarter containing `day`."""
    return quarter(day.year, (day.month - 1) // 3 + 1)


def last_ended_quarter(today: date) -> Period:
    """The last quarter that has fully ended before `today`."""
    return quarter_of(today).previous()


def year(y: int) -> Period:
    return Period(str(y), date(y, 1, 1), date(y, 12, 31))


def custom(start: date, end: date) -> Period:
    return Period(f"{start.isoformat()}..{end.isoformat()}", start, end)


def normal_key(text: str | None) -> str:
    """'2024-q3 ' -> '2024Q3': the form periods are stored and looked up in (any other text is
    only stripped and upper-cased)."""
    return (text or "").strip().upper().replace("-Q", "Q")


def parse(text: str | None) -> Period | None:
    """'2024Q3' (also '2024-q3') -> that quarter, '2024' -> that year, anything else None
    (also a year no calendar date has, such as '0000': a link's parameter is user input)."""
    key = (text or "").strip().upper()
    match = _QUARTER.fullmatch(key)
    try:
        if match:
            return quarter(int(match[1]), int(match[2]))
        if _YEAR.fullmatch(key):
            return year(int(key))
    except ValueError:
        return None
    return None


# Menus ---------------------------------------------------------------------------------------
def first_year() -> int:
    """The first year the period menus offer (PERIOD_FIRST_YEAR)."""
    return settings.PERIOD_FIRST_YEAR


def menu_years(today: date) -> list[int]:
    """The years of the period menus: this year back to the first year, newest first."""
    return list(range(today.year, first_year() - 1, -1))


def quarter_choices(last: date) -> list[tuple[str, str]]:
    """(key, label) of every quarter from the first year up to the one containing `last`,
    newest first."""
    until = quarter_of(last)
    every = (quarter(y, q) for y in menu_years(last) for q in (4, 3, 2, 1))
    return [(p.key, p.label) for p in every if p.start <= until.start]
