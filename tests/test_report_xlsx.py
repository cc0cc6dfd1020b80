"""The XLSX data annex holds numbers as numbers (issue 15.12): every count and figure is a
numeric cell, a cell withheld by disclosure control is empty, shaded and commented with its
row marked in a "Withheld (fewer than 5)" column (never the text "<5" in a number column),
and sheet names are short whole words, listed on the About sheet with their full titles."""

from __future__ import annotations

import io
from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from reports.disclosure import COMPLEMENT, SUPPRESSED, is_withheld
from reports.renderers import render
from reports.renderers.tables import iptt_of
from reports.renderers.xlsx import sheet_title

from .test_report_formats import report  # noqa: F401 - the Q3 2024 report fixture

pytestmark = pytest.mark.django_db

WITHHELD = "Withheld (fewer than 5)"
SHEETS = [
    "About",
    "Key figures",
    "Indicators",
    "Indicators by group",
    "People by sex",
    "People by age",
    "People by region",
    "People by category",
    "People by disability",
    "Category and sex",
    "Events",
    "Feedback",
    "Satisfaction answers",
    "Knowledge gain",
    "Quotes",
    "Narrative",
    "Annex",
    "Event list",
]


@pytest.fixture
def book(report):  # noqa: F811
    return load_workbook(io.BytesIO(render(report, "xlsx").content))


def test_sheet_names_are_short_whole_words_listed_with_their_titles(book, report):  # noqa: F811
    # The IPTT comes first once the report has one (tests/test_report_iptt.py).
    iptt = ["IPTT"] if iptt_of(report) else []
    assert book.sheetnames == iptt + SHEETS
    about = list(book["About"].iter_rows(values_only=True))
    tables = iptt + SHEETS[1:]
    listed = {row[0]: row[1] for row in about if row and row[0] in tables}
    assert listed["People by region"] == "People reached by region of residence"
    assert listed["Annex"] == "Annex: how each indicator is computed"
    assert set(listed) == set(tables)


def test_a_long_or_repeated_sheet_name_is_cut_between_words():
    taken: set[str] = set()
    long = "Knowledge gain (pre/post tests, 0-100) by activity line"
    name = sheet_title(long, taken)
    assert len(name) <= 31 and name == "Knowledge gain (pre post tests"
    assert all(word in long.replace("/", " ").replace(",", "").split() for word in name.split())
    again = sheet_title(long, taken)
    assert again == "Knowledge gain (pre post (2)" and len(again) <= 31
    assert sheet_title("Участники по категориям и полу: охваченные люди", set()) == (
        "Участники по категориям и полу"
    )
    assert sheet_title("A" * 40, set()) == "A" * 31  # one word longer than a name: cut


def test_every_figure_is_a_number_and_no_cell_says_less_than_five(book):
    numeric_columns = 0
    for sheet in book.worksheets:
        if sheet.title == "About":
            continue
        rows = list(sheet.iter_rows(values_only=True))
        header, body = rows[0], rows[1:]
        for c, name in enumerate(header):
            column = [row[c] for row in body]
            assert SUPPRESSED not in column, (sheet.title, name)
            if name == WITHHELD:
                continue
            if any(isinstance(v, int | float) for v in column):
                numeric_columns += 1
                kinds = {type(v) for v in column if v is not None}
                assert kinds <= {int, float, datetime, date}, (sheet.title, name, kinds)
    assert numeric_columns > 20


def test_withheld_cells_are_empty_shaded_commented_and_marked(book, report):  # noqa: F811
    assert any(SUPPRESSED in (r["F"], r["M"]) for r in report.people["category_by_sex"]), (
        "the demo data has a category with fewer than 5 women or men"
    )
    # Rows with a "<5", and rows with an "x" withheld so that a "<5" cannot be worked out.
    small = [r for r in report.people["category_by_sex"] if any(map(is_withheld, r.values()))]
    sheet = book["Category and sex"]
    header = [c.value for c in sheet[1]]
    assert header == ["Category", "Women", "Men", "Total", WITHHELD]
    rows = {row[0].value: row for row in sheet.iter_rows(min_row=2)}
    marked = 0
    for expected in report.people["category_by_sex"]:
        cells = rows[expected["label"]]
        withheld = []
        for column, key in ((1, "F"), (2, "M"), (3, "total")):
            cell = cells[column]
            if is_withheld(expected[key]):
                x = expected[key] == COMPLEMENT
                withheld.append(f"{header[column]} (x)" if x else header[column])
                assert cell.value is None
                assert cell.comment is not None and "ewer than 5" in cell.comment.text
                assert cell.fill.fgColor.rgb.endswith("D9D9D9")
            else:
                assert cell.value == expected[key] and isinstance(cell.value, int)
                assert cell.number_format == "#,##0" and cell.comment is None
        assert cells[4].value == ("; ".join(withheld) or None)
        marked += bool(withheld)
    assert marked == len(small)
    note = " ".join(str(v) for row in book["About"].iter_rows(values_only=True) for v in row if v)
    assert "the cell is empty and shaded grey (a number withheld to protect privacy" in note


def test_counts_are_whole_numbers_and_rates_keep_their_places(book, report):  # noqa: F811
    sheet = book["Key figures"]
    values = {row[0].value: row[1] for row in sheet.iter_rows(min_row=2)}
    people = values["People reached (unique)"]
    assert people.value == report.summary["people"] and isinstance(people.value, int)
    assert people.number_format == "#,##0"
    satisfied = values["Participants satisfied (%)"]
    assert satisfied.value == report.summary["satisfied_pct"]
    assert satisfied.number_format == "0.0"
    indicators = {row[0].value: row for row in book["Indicators"].iter_rows(min_row=2)}
    op1 = indicators["OP1"]  # people: target and actual are counts
    assert op1[5].value == 60 and op1[5].number_format == "#,##0"
    assert isinstance(op1[6].value, int)
    assert indicators["OC1"][6].number_format == "0.0"
