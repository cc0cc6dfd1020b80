"""Kazakh as written in Kazakhstan: day before month, dd.mm.yyyy, the 24-hour clock, the month
written out in Kazakh ("13 тамыз 2024 ж."), as Russian has it (Django ships no Kazakh formats,
which left Kazakh pages with US month-first dates)."""

DATE_FORMAT = "j F Y ж."
SHORT_DATE_FORMAT = "d.m.Y"
DATETIME_FORMAT = "j F Y ж. H:i"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
TIME_FORMAT = "H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y ж."
FIRST_DAY_OF_WEEK = 1  # Monday
DATE_INPUT_FORMATS = ["%d.%m.%Y", "%Y-%m-%d", "%d/%m/%Y", "%d.%m.%y"]
DATETIME_INPUT_FORMATS = [
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M",
]
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "\xa0"  # a no-break space, as in Russian
NUMBER_GROUPING = 3
