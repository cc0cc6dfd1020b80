"""Tabular exports shared by every list and report: CSV and XLSX, streamed so memory stays flat
however many rows there are, with spreadsheet formula injection neutralised."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import FileResponse, StreamingHttpResponse
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from core.text import strip_controls

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """A text that a spreadsheet would run as a formula (starting with =, +, -, @, tab or CR)
    gets a leading apostrophe so it is shown as text; control characters, which the XLSX
    format cannot hold, and bidi overrides are removed first (core/text.py). Other values
    pass unchanged."""
    if isinstance(value, str):
        value = strip_controls(value)
        if value.startswith(FORMULA_PREFIXES):
            return "'" + value
    return value


def _plain(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.isoformat(timespec="minutes")
    if isinstance(value, date | Decimal | int | float):
        return value
    return safe_cell(str(value))


class _Echo:
    """A file-like object whose write returns the line, for csv.writer in a generator."""

    def write(self, value: str) -> str:
        return value


def csv_lines(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> Iterable[str]:
    """CSV text line by line (UTF-8 with BOM so Excel opens Cyrillic and Kazakh correctly)."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        yield writer.writerow([_plain(v) for v in row])


def csv_response(header: Sequence[str], rows: Iterable[Sequence[Any]], filename: str):
    """Stream rows as a CSV download; `rows` should be a lazy iterator (e.g. .iterator())."""
    response = StreamingHttpResponse(
        csv_lines(header, rows), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def write_xlsx(
    sheets: Iterable[tuple[str, Sequence[str], Iterable[Sequence[Any]]]],
    target,
    number_formats: dict[str, str] | None = None,
) -> None:
    """Write (title, header, rows) sheets to `target` (a path or binary file) with openpyxl's
    write-only mode: rows go to disk as they come, memory stays flat. Headers are bold and
    frozen. `number_formats` maps a header to an Excel number format."""
    workbook = Workbook(write_only=True)
    formats = number_formats or {}
    for title, header, rows in sheets:
        sheet = workbook.create_sheet(title=title[:31])
        sheet.freeze_panes = "A2"
        head = []
        for name in header:
            cell = WriteOnlyCell(sheet, value=safe_cell(str(name)))
            cell.font = Font(bold=True)
            head.append(cell)
        sheet.append(head)
        cell_formats = [formats.get(str(h)) for h in header]
        for row in rows:
            out = []
            for value, fmt in zip(row, cell_formats, strict=False):
                cell = WriteOnlyCell(sheet, value=_plain(value))
                if fmt:
                    cell.number_format = fmt
                out.append(cell)
            sheet.append(out)
    workbook.save(target)


def xlsx_response(
    header: Sequence[str], rows: Iterable[Sequence[Any]], filename: str, title: str = "Data"
) -> FileResponse:
    """An XLSX download of one sheet, built in a temporary file (not in memory) and streamed."""
    spool = tempfile.TemporaryFile()  # noqa: SIM115 - FileResponse closes it
    write_xlsx([(title, header, rows)], spool)
    spool.seek(0)
    return FileResponse(
        spool,
        as_attachment=True,
        filename=filename,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
