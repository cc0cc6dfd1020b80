"""Blank templates to download: the headers of one kind of import in one language, and an
example row, as CSV or XLSX."""

from __future__ import annotations

from datetime import date

from core.tabular import csv_response, xlsx_response
from trainings.models import TrainingEvent

from .columns import BY_KEY, EXAMPLE_BIRTH_YEAR, EXAMPLE_MARKS, EXAMPLE_NAME, KINDS

# The example row: its name starts with "ҮЛГІ:", "ОБРАЗЕЦ:" or "EXAMPLE:" (columns.py), so an
# example left in a filled sheet is recognised and skipped by the import, with a note.
EXAMPLE = {
    "full_name": EXAMPLE_NAME,
    "iin": "",
    "sex": "Е",
    "birth_year": EXAMPLE_BIRTH_YEAR,
    "region": "KZ-47",
    "organisation": "Ақтау қаласының әкімдігі",
    "position": "Бас маман",
    "category": "akimat",
    "phone": "",
    "email": "",
    "consent": "1",
    "satisfaction": 5,
    "relevance": 4,
    "usefulness": 5,
    "intent_to_apply": 5,
    "most_useful": "",
    "comments": "",
    "consent_to_quote": "0",
    "pre_score": 55,
    "post_score": 80,
}


def template_columns(kind: str, lang: str, event: TrainingEvent | None = None):
    keys = KINDS.get(kind, KINDS["participants"])
    header = [BY_KEY[k].label(lang) for k in keys]
    example = [EXAMPLE[k] for k in keys]
    example[0] = f"{EXAMPLE_MARKS.get(lang, EXAMPLE_MARKS['en'])}: {EXAMPLE_NAME}"
    if kind == "attendance":
        days = (
            list(dict.fromkeys(event.sessions.order_by("date").values_list("date", flat=True)))
            if event is not None
            else [date(2024, 8, 13), date(2024, 8, 14)]
        )
        header += [d.strftime("%d.%m.%Y") for d in days]
        example += [1 for _d in days]
    return header, example


def template_response(kind: str, lang: str, fmt: str, event: TrainingEvent | None = None):
    header, example = template_columns(kind, lang, event)
    filename = f"qadam-{kind}-{lang}.{fmt}"
    if fmt == "xlsx":
        return xlsx_response(header, [example], filename, title=kind)
    return csv_response(header, [example], filename)
