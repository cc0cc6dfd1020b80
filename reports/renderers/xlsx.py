"""XLSX data annex: one sheet per table of the report, bold frozen headers, number formats,
column widths, and a sheet explaining how each indicator is computed."""

from __future__ import annotations

import io
import re
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ..builder import ReportData
from ..tabular import safe_cell
from .tables import disclosure_note, period_text, report_tables

DATE_FORMAT = "DD.MM.YYYY"
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
STATUS_FILLS = {"green": "C6EFCE", "amber": "FFEB9C", "red": "FFC7CE"}
WIDE = 60


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


def sheet_title(title: str, taken: set[str]) -> str:
    """A valid, unique sheet name (31 characters, none of []:*?/\\)."""
    base = re.sub(r"[\[\]:*?/\\]", " ", title).strip()[:31] or "Sheet"
    name, n = base, 2
    while name.lower() in taken:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    taken.add(name.lower())
    return name


def render(data: ReportData) -> bytes:
    workbook = Workbook()
    about = workbook.active
    about.title = _("About")[:31]
    taken = {about.title.lower()}
    about.append([data.programme["name"]])
    about["A1"].font = Font(bold=True, size=14)
    about.append([_("Donor"), data.programme["donor"]])
    about.append([_("Period"), period_text(data)])
    about.append([_("Regions"), data.scope["label"]])
    about.append([_("Generated"), data.generated_at])
    about.append([])
    about.append([disclosure_note()])
    about.column_dimensions["A"].width = 30
    about.column_dimensions["B"].width = 60
    statuses = [i["status"] for i in data.indicators]
    for table in report_tables(data):
        sheet = workbook.create_sheet(sheet_title(table.title, taken))
        sheet.append([safe_cell(h) for h in table.header])
        for cell in sheet[1]:
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = HEADER_FILL
            cell.alignment = Alignment(wrap_text=True, vertical="top")
        sheet.freeze_panes = "A2"
        widths = [min(max(len(str(h)), 8), WIDE) for h in table.header]
        for r, row in enumerate(table.rows, start=2):
            values = [safe_cell(v) if isinstance(v, str) else v for v in row]
            sheet.append(values)
            for c, value in enumerate(values):
                cell = sheet.cell(row=r, column=c + 1)
                fmt = number_format(value)
                if fmt:
                    cell.number_format = fmt
                if isinstance(value, str) and len(value) > WIDE:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
                widths[c] = min(max(widths[c], len(str(value or "")) + 2), WIDE)
            if table.key == "indicators" and r - 2 < len(statuses):
                colour = STATUS_FILLS.get(statuses[r - 2])
                if colour:
                    sheet.cell(row=r, column=len(row)).fill = PatternFill("solid", fgColor=colour)
        for c, width in enumerate(widths, start=1):
            sheet.column_dimensions[get_column_letter(c)].width = width
        if table.rows:
            sheet.auto_filter.ref = sheet.dimensions
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
