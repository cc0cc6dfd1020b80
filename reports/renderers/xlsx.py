"""XLSX data annex: the indicator performance tracking table (IPTT) first, then an About
sheet, one sheet per table of the report, bold frozen headers, number formats, column widths,
and a sheet explaining how each indicator is computed.

Numbers are numbers: every count and figure is a numeric cell. A cell withheld by disclosure
control ("<5" or "x" in the other formats) is left empty, shaded, with a comment, and the sheet's
last column, "Withheld (fewer than 5)", names the withheld columns of the row, so the mark
survives a copy of the values; the About sheet explains it. Sheet names are short, whole
words; the About sheet lists each with its full title."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from core.tabular import safe_cell

from ..builder import ReportData
from ..disclosure import COMPLEMENT
from .status import approval_lines, draft_banner
from .tables import (
    disclosure_note,
    has_figures,
    iptt_legend,
    methodology_of,
    period_text,
    report_tables,
    withheld_columns,
    withheld_header,
    withheld_mark,
)

DATE_FORMAT = "DD.MM.YYYY"
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
STATUS_FILLS = {"green": "C6EFCE", "amber": "FFEB9C", "red": "FFC7CE"}
WITHHELD_FILL = PatternFill("solid", fgColor="D9D9D9")
WIDE = 60
STATUS_COLUMN = 8  # of the indicators table (tables.report_tables)
IPTT_GROUP = 2  # the IPTT's "Disaggregation" column: filled on a group's row only
MAX_SHEET_NAME = 31


def number_format(value) -> str | None:
    """The cell format a figure carries (reports/numbers.py): a count without decimals, a
    rate, a mean or points with its places, a date as a date."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return "#,##0"
    if isinstance(value, Decimal):
        places = max(0, -int(value.as_tuple().exponent))
        return "0." + "0" * places if places else "0"
    if isinstance(value, date):
        return DATE_FORMAT
    return None


def _whole_words(text: str, limit: int) -> str:
    """`text` cut to `limit` characters at the end of a word (a single longer word is cut)."""
    if len(text) <= limit:
        return text
    cut = text[: limit + 1].rsplit(" ", 1)[0].rstrip(" ,;-–(")
    return cut if cut and len(cut) <= limit else text[:limit]


def sheet_title(title: str, taken: set[str]) -> str:
    """A valid, unique sheet name: at most 31 characters, none of []:*?/\\, cut only between
    words, "Name (2)" for a second sheet of the same name."""
    base = " ".join(re.sub(r"[\[\]:*?/\\]", " ", title).split()).strip("'") or "Sheet"
    name, n = _whole_words(base, MAX_SHEET_NAME), 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = _whole_words(base, MAX_SHEET_NAME - len(suffix)) + suffix, n + 1
    taken.add(name.lower())
    return name


def withheld_note() -> str:
    return _(
        "In this file, where the other formats show “<5” or “x”, the cell is empty and "
        "shaded grey (a number withheld to protect privacy: fewer than 5 people, or a rate or "
        "mean of fewer than 5, or a count withheld so that such a small one cannot be worked "
        "out); the last column of a sheet, “%(column)s”, names the withheld cells of its row, "
        "“(x)” after those of the second kind."
    ) % {"column": withheld_header()}


def render(data: ReportData) -> bytes:
    workbook = Workbook()
    about = workbook.active
    about.title = sheet_title(_("About"), set())
    taken = {about.title.lower()}
    tables = report_tables(data)
    names = [sheet_title(table.sheet or table.title, taken) for table in tables]
    about.append([data.programme["name"]])
    about["A1"].font = Font(bold=True, size=14)
    about.append([_("Donor"), data.programme["donor"]])
    about.append([_("Period"), period_text(data)])
    about.append([_("Regions"), data.scope["label"]])
    about.append([_("Generated"), data.generated_at])
    for line in [draft_banner(data), *approval_lines(data)]:
        if line:
            about.append([line])
            about.cell(row=about.max_row, column=1).font = Font(bold=True)
    about.append([])
    methodology = methodology_of(data)
    if methodology:
        about.append([_("How this report counts")])
        about.cell(row=about.max_row, column=1).font = Font(bold=True)
        for paragraph in methodology:
            about.append([safe_cell(paragraph)])
        about.append([])
    about.append([disclosure_note()])
    about.append([withheld_note()])
    if any(table.key == "iptt" for table in tables):
        about.append([])
        for line in iptt_legend():
            about.append([safe_cell(line)])
    about.append([])
    about.append([_("Sheet"), _("Contents")])
    about.cell(row=about.max_row, column=1).font = Font(bold=True)
    about.cell(row=about.max_row, column=2).font = Font(bold=True)
    for name, table in zip(names, tables, strict=True):
        about.append([name, safe_cell(table.title)])
    about.column_dimensions["A"].width = 30
    about.column_dimensions["B"].width = 60
    statuses = [i["status"] for i in data.indicators]
    status_column = STATUS_COLUMN + 1
    comments = {
        True: _("Withheld so that a group of fewer than 5 cannot be worked out from the totals."),
        False: _("Fewer than 5: withheld to protect privacy."),
    }
    for name, table in zip(names, tables, strict=True):
        # The IPTT is what a donor opens the file for: it comes before the About sheet.
        sheet = workbook.create_sheet(name, 0 if table.key == "iptt" else None)
        if draft_banner(data):  # printed at the top of every page of every sheet
            sheet.oddHeader.center.text = draft_banner(data)
        marked = has_figures(table)
        header = [*table.header, withheld_header()] if marked else list(table.header)
        sheet.append([safe_cell(h) for h in header])
        for cell in sheet[1]:
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        # The IPTT keeps its codes and indicator names in view while its periods scroll.
        sheet.freeze_panes = "C2" if table.key == "iptt" else "A2"
        widths = [min(max(len(str(h)), 8), WIDE) for h in header]
        for r, row in enumerate(table.rows, start=2):
            withheld = withheld_columns(row)
            values = [
                None if c in withheld else (safe_cell(v) if isinstance(v, str) else v)
                for c, v in enumerate(row)
            ]
            if marked:
                values.append(withheld_mark(table.header, row))
            sheet.append(values)
            for c, value in enumerate(values):
                cell = sheet.cell(row=r, column=c + 1)
                fmt = number_format(value)
                if fmt:
                    cell.number_format = fmt
                if c in withheld:
                    cell.fill = WITHHELD_FILL
                    cell.comment = Comment(comments[row[c] == COMPLEMENT], "Qadam")
                if isinstance(value, str) and len(value) > WIDE:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
                widths[c] = min(max(widths[c], len(str(value or "")) + 2), WIDE)
            if table.key == "indicators" and r - 2 < len(statuses):
                colour = STATUS_FILLS.get(statuses[r - 2])
                if colour:
                    sheet.cell(row=r, column=status_column).fill = PatternFill(
                        "solid", fgColor=colour
                    )
            if table.key == "iptt":
                if row[IPTT_GROUP]:  # a group's row, under its indicator's
                    sheet.cell(row=r, column=IPTT_GROUP + 1).alignment = Alignment(indent=1)
                else:
                    for cell in sheet[r]:
                        cell.font = Font(bold=True)
        for c, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(c)].width = width
        if table.rows:
            sheet.auto_filter.ref = sheet.dimensions
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
