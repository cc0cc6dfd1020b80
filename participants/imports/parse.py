"""Reading an uploaded file into rows: XLSX through openpyxl (read-only), CSV through the csv
module, with every refusal a `FileRejected` carrying a message a coordinator understands."""

from __future__ import annotations

import codecs
import csv
import io
import logging
import zipfile
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from core.text import clean_text

from .columns import header_score

logger = logging.getLogger(__name__)

CFB_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE compound file: .xls or encrypted .xlsx
ZIP_SIGNATURE = b"PK\x03\x04"


class FileRejected(Exception):
    """The file cannot be read at all; the message says why and what to do."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass
class Table:
    """The rows of a file: `rows` are (spreadsheet row number, cells) after the header rows."""

    header: list[Any]
    rows: list[tuple[int, list[Any]]]
    header_row: int
    # (row, column index, whether the file holds a saved value for the formula)
    formulas: list[tuple[int, int, bool]] = field(default_factory=list)
    kind: str = "csv"


def limits() -> tuple[int, int]:
    return (
        settings.IMPORT_MAX_BYTES,
        settings.IMPORT_MAX_ROWS,
    )


def read_table(data: bytes, filename: str = "") -> Table:
    """Detect the kind of file from its first bytes (never from its name) and read it."""
    max_bytes, _max_rows = limits()
    if not data or not data.strip():
        raise FileRejected(_("The file is empty."))
    if len(data) > max_bytes:
        raise FileRejected(
            _("The file is too large (%(size)s MB); the limit is %(limit)s MB. Split it in parts.")
            % {"size": round(len(data) / 1048576, 1), "limit": round(max_bytes / 1048576, 1)}
        )
    if data.startswith(CFB_SIGNATURE):
        raise FileRejected(
            _(
                "This file is password-protected or in the old Excel 97-2003 (.xls) format. "
                "Open it in Excel, remove the password and save it as .xlsx or CSV."
            )
        )
    if data.startswith(ZIP_SIGNATURE):
        return _read_xlsx(data)
    return _read_csv(data)


# XLSX -----------------------------------------------------------------------------------------
def _check_zip(data: bytes) -> None:
    """Refuse zip bombs before openpyxl inflates anything: the central directory tells the
    uncompressed size of every member."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile as exc:
        raise FileRejected(_("The file is damaged: it cannot be opened as an Excel file.")) from exc
    with archive:
        infos = archive.infolist()
        names = {info.filename for info in infos}
        if "xl/workbook.xml" not in names:
            raise FileRejected(
                _("This is not an Excel workbook (.xlsx). Upload an .xlsx or a CSV file.")
            )
        total = sum(info.file_size for info in infos)
        limit = settings.IMPORT_MAX_UNZIPPED_BYTES
        ratio = total / max(1, sum(info.compress_size for info in infos))
        if total > limit or ratio > 200 or len(infos) > 1000:
            raise FileRejected(
                _(
                    "This file unpacks to far more data than a sign-in sheet holds (%(mb)s MB); "
                    "it was refused for safety. Save the sheet again as a normal .xlsx or CSV."
                )
                % {"mb": round(total / 1048576)}
            )


def _plain_value(value: Any) -> Any:
    if isinstance(value, str):
        # Rows are stored with bulk_create (no pre_save guard): control characters and bidi
        # overrides go here, as every cell is read (core/text.py).
        value = clean_text(value).strip()
        return value or None
    return value


def _xlsx_rows(data: bytes, data_only: bool):
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=data_only)
    try:
        sheet = workbook.worksheets[0] if workbook.worksheets else None
        if sheet is None:
            return
        for number, row in enumerate(sheet.iter_rows(), start=1):
            yield number, [(cell.value, getattr(cell, "data_type", None)) for cell in row]
    finally:
        workbook.close()


def _read_xlsx(data: bytes) -> Table:
    _check_zip(data)
    _max_bytes, max_rows = limits()
    raw: list[tuple[int, list[Any]]] = []
    formulas: list = []
    try:
        for number, cells in _xlsx_rows(data, data_only=False):
            values = []
            for col, (value, data_type) in enumerate(cells):
                if data_type == "f":
                    formulas.append((number, col))
                values.append(_plain_value(value))
            if any(v is not None for v in values):
                raw.append((number, values))
                if len(raw) > max_rows + 10:
                    raise FileRejected(_too_many_rows(max_rows))
        if formulas:
            # Take the values Excel saved with the file; formulas are never evaluated here.
            wanted = {n for n, _c in formulas}
            cached = {
                n: [_plain_value(v) for v, _t in cells]
                for n, cells in _xlsx_rows(data, data_only=True)
                if n in wanted
            }
            raw = [(n, cached.get(n, values) if n in wanted else values) for n, values in raw]
            by_row = dict(raw)
            formulas = [
                (n, c, c < len(by_row.get(n, [])) and by_row[n][c] is not None) for n, c in formulas
            ]
    except FileRejected:
        raise
    except Exception as exc:  # openpyxl raises many kinds on malformed files
        logger.info("unreadable xlsx upload: %r", exc)
        raise FileRejected(
            _("The Excel file could not be read (it may be damaged). Save it again and retry.")
        ) from exc
    return _table(raw, formulas, kind="xlsx")


# CSV ------------------------------------------------------------------------------------------
def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 (by BOM, or by its zero bytes), else Windows-1251."""
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    sample = data[:4000]
    if sample.count(b"\x00") > len(sample) // 4:
        little = sample[1::2].count(0) > sample[0::2].count(0)
        return data.decode("utf-16-le" if little else "utf-16-be", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1251", errors="replace")


def _looks_binary(text: str) -> bool:
    sample = text[:4000]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n")
    return "\x00" in sample or controls > max(2, len(sample) // 100) or "\ufffd" * 3 in sample


def _delimiter(text: str) -> str:
    sample = "\n".join(text.splitlines()[:20])
    try:
        return csv.Sniffer().sniff(sample, delimiters=";,\t").delimiter
    except csv.Error:
        first = sample.split("\n", 1)[0]
        counts = {d: first.count(d) for d in ";,\t"}
        return max(counts, key=counts.get) if any(counts.values()) else ","


def _read_csv(data: bytes) -> Table:
    text = decode_text(data)
    if _looks_binary(text):
        raise FileRejected(
            _("This is not a spreadsheet. Upload an Excel file (.xlsx) or a CSV file.")
        )
    text = text.replace("\x00", "")  # a stray NUL later in the file: PostgreSQL refuses them
    _max_bytes, max_rows = limits()
    delimiter = _delimiter(text)
    raw: list[tuple[int, list[Any]]] = []
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        for number, row in enumerate(reader, start=1):
            values = [_plain_value(v) for v in row]
            if any(v is not None for v in values):
                raw.append((number, values))
                if len(raw) > max_rows + 10:
                    raise FileRejected(_too_many_rows(max_rows))
    except csv.Error as exc:
        raise FileRejected(
            _("The CSV file could not be read near line %(line)s: %(error)s")
            % {"line": len(raw) + 1, "error": exc}
        ) from exc
    return _table(raw, [], kind="csv")


# Header detection -----------------------------------------------------------------------------
def _too_many_rows(max_rows: int) -> str:
    return _("The file has more than %(n)s rows, the limit for one import. Split it in parts.") % {
        "n": f"{max_rows:,}"
    }


def _table(raw: list[tuple[int, list[Any]]], formulas, kind: str) -> Table:
    """Find the header among the first ten rows (the row, or two rows merged, whose cells name
    the most known columns: a title merged over several columns or rows leaves the other
    cells blank), and drop columns that are blank everywhere."""
    if not raw:
        raise FileRejected(_("The file is empty."))
    candidates = raw[:10]

    def merged(i: int) -> list[Any]:
        """Row i with its blank cells filled from the row below (a two-row header)."""
        cells = list(candidates[i][1])
        below = candidates[i + 1][1] if i + 1 < len(candidates) else []
        cells += [None] * max(0, len(below) - len(cells))
        out = []
        for j, top in enumerate(cells):
            low = below[j] if j < len(below) else None
            # The sub-header wins when it names a column or a date ("Attendance" over dates).
            out.append(low if low is not None and (top is None or header_score([low])) else top)
        return out

    def two_row_score(i: int) -> int:
        """The score of rows i and i+1 as one header; -1 unless they are next to each other
        and the upper row adds to the lower one (a title line above a header does not)."""
        if i + 1 >= len(candidates) or candidates[i + 1][0] != candidates[i][0] + 1:
            return -1
        double = header_score(merged(i))
        return double if double > header_score(candidates[i + 1][1]) else -1

    scores = []
    for i in range(len(candidates)):
        single = header_score(candidates[i][1])
        double = two_row_score(i)
        scores.append((max(single, double), -i, double > single))
    best = max(range(len(candidates)), key=lambda i: scores[i][:2])
    two_rows = scores[best][2]
    header_number = candidates[best][0]
    header = merged(best) if two_rows else list(candidates[best][1])
    rows = list(raw[best + (2 if two_rows else 1) :])
    _max_bytes, max_rows = limits()
    if len(rows) > max_rows:
        raise FileRejected(_too_many_rows(max_rows))
    if not rows:
        raise FileRejected(_("The file has a header but no rows of data."))
    width = max([len(header)] + [len(v) for _n, v in rows])
    used = [
        i
        for i in range(width)
        if (i < len(header) and header[i] is not None)
        or any(i < len(v) and v[i] is not None for _n, v in rows)
    ]
    header = [header[i] if i < len(header) else None for i in used]
    rows = [(n, [v[i] if i < len(v) else None for i in used]) for n, v in rows]
    index = {old: new for new, old in enumerate(used)}
    formula_cells = [
        (n, index[c], has_value) for n, c, has_value in formulas if c in index and n > header_number
    ]
    return Table(header, rows, header_number, formula_cells, kind)
