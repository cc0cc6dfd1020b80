"""Reading an uploaded file into rows: XLSX through openpyxl's streaming sheet parser, CSV
through the csv module, with every refusal a `FileRejected` carrying a message a coordinator
understands.

Nothing a file says about itself is trusted: not its name (the kind is read from its first
bytes), not the sheet size stored in an XLSX (some writers store "A1" or a stale range), and
not its row count: every row element read is counted, and the rows after the last one holding
a value are never parsed (a small file can unpack to a million empty rows)."""

from __future__ import annotations

import codecs
import csv
import io
import logging
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from core.text import clean_text

from .columns import header_key, header_score

logger = logging.getLogger(__name__)

CFB_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # OLE compound file: .xls or encrypted .xlsx
ZIP_SIGNATURE = b"PK\x03\x04"


class FileRejected(Exception):
    """The file cannot be read at all; the message says why and what to do."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


Rename = Callable[[list[Any]], list[Any]]


@dataclass
class Table:
    """The rows of a file: `rows` are (spreadsheet row number, cells) after the header rows."""

    header: list[Any]
    rows: list[tuple[int, list[Any]]]
    header_row: int
    # (row, column index, whether the file holds a saved value for the formula)
    formulas: list[tuple[int, int, bool]] = field(default_factory=list)
    kind: str = "csv"
    # How the file was read, for the preview: encoding and separator of a CSV, the sheet read
    # and the visible sheets holding data of a workbook, every row read (blank ones too).
    info: dict[str, Any] = field(default_factory=dict)
    # Sentences about the reading itself (e.g. empty rows at the end that were not read).
    notes: list[str] = field(default_factory=list)


def limits() -> tuple[int, int]:
    return (
        settings.IMPORT_MAX_BYTES,
        settings.IMPORT_MAX_ROWS,
    )


def read_table(
    data: bytes, filename: str = "", sheet: str = "", rename: Rename | None = None
) -> Table:
    """Detect the kind of file from its first bytes (never from its name) and read it; of a
    workbook, the visible sheet named `sheet`, else the first visible sheet holding data.
    `rename`: how header cells become Qadam's column keys for a file of other columns (a
    connected Kobo form's export, participants/imports/sources.py), used to find the header
    row too."""
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
        return _read_xlsx(data, sheet, rename)
    return _read_csv(data, rename)


def work_size(data: bytes) -> int:
    """How much a check of this file has to read: its size, or for a workbook the size it
    unpacks to (from the zip directory, nothing inflated). Decides whether the file is checked
    during the request or by a worker: a 100 KB workbook may hold 50 MB of rows."""
    if not data.startswith(ZIP_SIGNATURE):
        return len(data)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return max(len(data), sum(info.file_size for info in archive.infolist()))
    except (zipfile.BadZipFile, ValueError, OSError):
        return len(data)  # refused quickly by the check itself


# XLSX -----------------------------------------------------------------------------------------
# More columns than any sign-in sheet has: a value further right is refused, not dropped.
MAX_COLUMNS = 256
# A run of this many empty rows in a CSV is the end of the data if nothing follows it.
EMPTY_RUN = 1000


def _rows_budget(max_rows: int) -> int:
    """Rows that may be read up to the last one with a value, blank ones included (blank rows
    between the data are normal; a hundred thousand of them are not)."""
    return 2 * max_rows + 100


def _too_many_empty_rows(read: int) -> str:
    return _(
        "The sheet holds %(n)s rows up to its last value, far more than its data: most of them "
        "are empty or only formatted. Select the empty rows below the data, delete them (right "
        "click, Delete) and save, or save the sheet as CSV, then upload it again."
    ) % {"n": f"{read:,}"}


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


# A row element, or an element that holds a value (<v>), an inline string (<is>) or a formula
# (<f>), with or without a namespace prefix (some writers use <x:row>).
_SHEET_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|v|is|f)[\s/>]")


def _scan_sheet(source) -> tuple[int, int]:
    """Stream a sheet's XML once, without parsing it: (rows in it, position of the last row
    holding a value, counted in row elements). A few hundred MB a second; memory stays flat."""
    rows = last = 0
    carry = b""
    while True:
        chunk = source.read(1 << 20)
        data = carry + chunk
        # Tags are short: a match starting in the last 16 bytes is looked at with the next chunk.
        cut = len(data) if not chunk else max(0, len(data) - 16)
        for match in _SHEET_TAG.finditer(data):
            if match.start() >= cut:
                break  # looked at again, whole, with the next chunk
            if match.group(1) == b"row":
                rows += 1
            else:
                last = rows
        carry = data[cut:]
        if not chunk:
            return rows, last


@dataclass
class _Sheet:
    title: str
    path: str
    visible: bool
    strings: list = field(default_factory=list)  # the workbook's shared strings
    rows: int = 0
    last: int = 0


def _sheets(workbook) -> list[_Sheet]:
    sheets = []
    for sheet in workbook.worksheets:
        found = _Sheet(
            sheet.title,
            sheet._worksheet_path,
            sheet.sheet_state == "visible",
            sheet._shared_strings,
        )
        with workbook._archive.open(found.path) as source:
            found.rows, found.last = _scan_sheet(source)
        sheets.append(found)
    return sheets


def _sheet_rows(workbook, sheet: _Sheet, data_only: bool):
    """(row number, values) of every row element up to the last one holding a value, whatever
    dimension the sheet claims; row numbers as Excel shows them."""
    from openpyxl.worksheet._reader import WorkSheetParser

    with workbook._archive.open(sheet.path) as source:
        parser = WorkSheetParser(
            source,
            sheet.strings,
            data_only=data_only,
            epoch=workbook.epoch,
            date_formats=workbook._date_formats,
            timedelta_formats=workbook._timedelta_formats,
        )
        for read, (number, cells) in enumerate(parser.parse(), start=1):
            if read > sheet.last:
                break  # only empty rows follow: not parsed at all
            width = max((c["column"] for c in cells if c["value"] is not None), default=0)
            if width > MAX_COLUMNS:
                raise FileRejected(
                    _(
                        "Row %(row)s has a value in column %(col)s: a sheet to import has at most "
                        "%(max)s columns. Remove what is far to the right and upload it again."
                    )
                    % {"row": number, "col": width, "max": MAX_COLUMNS}
                )
            values: list[Any] = [None] * width
            types: list[Any] = [None] * width
            for c in cells:
                if c["column"] <= width:
                    values[c["column"] - 1] = c["value"]
                    types[c["column"] - 1] = c["data_type"]
            yield number, values, types


def _open_workbook(data: bytes):
    from openpyxl import load_workbook

    # read_only: the sheets themselves are not loaded here, only the workbook's parts (names,
    # states, styles, shared strings); the sheets are streamed by _sheet_rows.
    return load_workbook(io.BytesIO(data), read_only=True, data_only=False)


def _pick_sheet(sheets: list[_Sheet], wanted: str) -> tuple[_Sheet, list[str], list[str]]:
    """The sheet to read, the visible sheets holding data (for the preview's picker) and notes.
    Hidden sheets (lists behind drop-downs) are never read."""
    with_data = [s for s in sheets if s.visible and s.last]
    if not with_data:
        if any(s.last for s in sheets):
            raise FileRejected(
                _(
                    "Every sheet holding data in this workbook is hidden. Show the sheet with "
                    "the list (right click a sheet tab, Unhide) and upload it again."
                )
            )
        raise FileRejected(_("The file is empty."))
    names = [s.title for s in with_data]
    chosen = next((s for s in with_data if s.title == wanted), with_data[0])
    notes = []
    if wanted and chosen.title != wanted:
        notes.append(
            _("The sheet “%(wanted)s” is not in this file; “%(sheet)s” was read.")
            % {"wanted": wanted, "sheet": chosen.title}
        )
    return chosen, names, notes


def _read_xlsx(data: bytes, wanted: str = "", rename: Rename | None = None) -> Table:
    _check_zip(data)
    _max_bytes, max_rows = limits()
    raw: list[tuple[int, list[Any]]] = []
    formulas: list = []
    try:
        workbook = _open_workbook(data)
        try:
            sheets = _sheets(workbook)
            sheet, names, notes = _pick_sheet(sheets, wanted)
            if sheet.last > _rows_budget(max_rows):
                raise FileRejected(_too_many_empty_rows(sheet.last))
            for number, values, types in _sheet_rows(workbook, sheet, data_only=False):
                formulas.extend((number, col) for col, kind in enumerate(types) if kind == "f")
                values = [_plain_value(v) for v in values]
                if any(v is not None for v in values):
                    raw.append((number, values))
                    if len(raw) > max_rows + 10:
                        raise FileRejected(_too_many_rows(max_rows))
            if formulas:
                # Take the values Excel saved with the file; formulas are never evaluated here.
                wanted_rows = {n for n, _c in formulas}
                cached = {
                    n: [_plain_value(v) for v in values]
                    for n, values, _types in _sheet_rows(workbook, sheet, data_only=True)
                    if n in wanted_rows
                }
                raw = [
                    (n, cached.get(n, values) if n in wanted_rows else values) for n, values in raw
                ]
                by_row = dict(raw)
                formulas = [
                    (n, c, c < len(by_row.get(n, [])) and by_row[n][c] is not None)
                    for n, c in formulas
                ]
        finally:
            workbook.close()
    except FileRejected:
        raise
    except Exception as exc:  # openpyxl and the XML parser raise many kinds on malformed files
        logger.info("unreadable xlsx upload: %r", exc)
        raise FileRejected(
            _("The Excel file could not be read (it may be damaged). Save it again and retry.")
        ) from exc
    table = _table(raw, formulas, kind="xlsx", rename=rename)
    table.info.update(
        sheet=sheet.title, sheets=names, rows_read=sheet.last, rows_in_file=sheet.rows
    )
    unread = sheet.rows - sheet.last
    if unread >= EMPTY_RUN:
        notes.append(
            _("The %(n)s empty rows after the last row of data were not read.")
            % {"n": f"{unread:,}"}
        )
    table.notes.extend(notes)
    return table


# CSV ------------------------------------------------------------------------------------------
def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), UTF-16 (by BOM, or by its zero bytes), else Windows-1251."""
    return _decode(data)[0]


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(codecs.BOM_UTF8):
        return data[3:].decode("utf-8", errors="replace"), "UTF-8"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace"), "UTF-16"
    sample = data[:4000]
    if sample.count(b"\x00") > len(sample) // 4:
        little = sample[1::2].count(0) > sample[0::2].count(0)
        return data.decode("utf-16-le" if little else "utf-16-be", errors="replace"), "UTF-16"
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        return data.decode("cp1251", errors="replace"), "Windows-1251"


def _looks_binary(text: str) -> bool:
    sample = text[:4000]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n")
    return "\x00" in sample or controls > max(2, len(sample) // 100) or "\ufffd" * 3 in sample


_WEB_PAGE = re.compile(r"<(!doctype\s+html|html|head|body|table|meta|style)[\s>]", re.IGNORECASE)


def _refuse_markup(text: str) -> None:
    """A web page or an Excel 2003 XML file named .xls (portals export lists that way): say
    what it is and how to get a real spreadsheet, instead of listing its tags as columns."""
    start = text[:2000].lstrip("\ufeff \t\r\n")
    if not start.startswith("<"):
        return
    if "urn:schemas-microsoft-com:office:spreadsheet" in text[:4000]:
        raise FileRejected(
            _(
                "This file is an “XML Spreadsheet 2003”, not an Excel workbook. Open it in "
                "Excel, choose File > Save As > Excel Workbook (.xlsx) and upload that file."
            )
        )
    if _WEB_PAGE.search(start):
        raise FileRejected(
            _(
                "This file is a web page (HTML), even if its name ends in .xls: portals often "
                "save lists that way. Open it in Excel (or LibreOffice), choose File > Save As "
                "> Excel Workbook (.xlsx), or CSV UTF-8, and upload that file."
            )
        )


DELIMITERS = (";", ",", "\t")


def guess_delimiter(text: str) -> str:
    """The separator that gives the file the shape of a table: the most known column names in
    a header row, then the same number of columns on most of the first rows. A comma inside a
    header ("Место работы, должность") does not win over the semicolons between columns."""
    lines = text[:65536].splitlines()[:40]
    if len(text) > 65536 and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut in the middle
    sample = "\n".join(lines)
    best, best_score = ",", None
    for delimiter in DELIMITERS:
        try:
            rows = list(csv.reader(io.StringIO(sample), delimiter=delimiter))
        except csv.Error:
            continue
        rows = [r for r in rows if any(cell.strip() for cell in r)]
        if not rows:
            continue
        known = max(sum(1 for cell in row if header_key(cell)) for row in rows[:10])
        widths = [len(r) for r in rows]
        common = max(set(widths), key=widths.count)
        consistent = widths.count(common) / len(widths) if common > 1 else 0
        score = (known, round(consistent, 1), common)
        if best_score is None or score > best_score:
            best, best_score = delimiter, score
    return best


def _read_csv(data: bytes, rename: Rename | None = None) -> Table:
    text, encoding = _decode(data)
    _refuse_markup(text)
    if _looks_binary(text):
        raise FileRejected(
            _("This is not a spreadsheet. Upload an Excel file (.xlsx) or a CSV file.")
        )
    text = text.replace("\x00", "")  # a stray NUL later in the file: PostgreSQL refuses them
    # Separators and line ends at the very end are empty rows: never read them.
    trimmed = text.rstrip(" \t\r\n;,")
    trailing = max(0, text[len(trimmed) :].count("\n") - 1)  # the first ends the last row
    text = trimmed
    _max_bytes, max_rows = limits()
    delimiter = guess_delimiter(text)
    raw: list[tuple[int, list[Any]]] = []
    number = 0
    try:
        reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        for number, row in enumerate(reader, start=1):
            values = [_plain_value(v) for v in row]
            if any(v is not None for v in values):
                raw.append((number, values))
                if len(raw) > max_rows + 10:
                    raise FileRejected(_too_many_rows(max_rows))
            elif number > _rows_budget(max_rows):
                raise FileRejected(_too_many_empty_rows(number))
    except csv.Error as exc:
        raise FileRejected(
            _("The CSV file could not be read near line %(line)s: %(error)s")
            % {"line": len(raw) + 1, "error": exc}
        ) from exc
    table = _table(raw, [], kind="csv", rename=rename)
    table.info.update(
        encoding=encoding,
        delimiter="tab" if delimiter == "\t" else delimiter,
        rows_read=number,
        rows_in_file=number + trailing,
    )
    if trailing >= EMPTY_RUN:
        table.notes.append(
            _("The %(n)s empty rows after the last row of data were not read.")
            % {"n": f"{trailing:,}"}
        )
    return table


# Header detection -----------------------------------------------------------------------------
def _too_many_rows(max_rows: int) -> str:
    return _("The file has more than %(n)s rows, the limit for one import. Split it in parts.") % {
        "n": f"{max_rows:,}"
    }


def _table(
    raw: list[tuple[int, list[Any]]], formulas, kind: str, rename: Rename | None = None
) -> Table:
    """Find the header among the first ten rows (the row, or two rows merged, whose cells name
    the most known columns: a title merged over several columns or rows leaves the other
    cells blank), and drop columns that are blank everywhere."""
    if not raw:
        raise FileRejected(_("The file is empty."))
    candidates = raw[:10]
    if rename is not None:
        candidates = [(number, rename(list(cells))) for number, cells in candidates]

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
        if rename is not None:  # an export's header is one row; its data may hold dates
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
