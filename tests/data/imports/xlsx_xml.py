"""XLSX files written at the XML level, the way other programs write them (not openpyxl):
a stored dimension of "A1" (WPS Office, some libraries and web exports), a stale one, hidden
sheets, inline strings without cell references, an `x:` namespace prefix, numbers in General
cells, rows of nothing but formatting. Used by tests/test_import_real_files.py."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


@dataclass
class Sheet:
    name: str
    rows: Sequence[Sequence[Any]] = ()
    state: str = "visible"  # visible | hidden | veryHidden
    dimension: str | None = "auto"  # "auto": the true range; None: no <dimension>; else as is
    # Rows of nothing but formatting after the data, or `(count, then)`: more rows of data
    # after that many formatted empty rows.
    empty_rows_after: int = 0
    rows_after_empty: Sequence[Sequence[Any]] = field(default_factory=list)
    prefix: str = ""  # "x:" as some .NET writers do
    cell_refs: bool = True  # False: <c> without r="A1" (some web exports)


def _cell(value: Any, ref: str, strings: list[str] | None, p: str) -> str:
    attr = f' r="{ref}"' if ref else ""
    if value is None:
        return ""
    if isinstance(value, bool):
        return f'<{p}c{attr} t="b"><{p}v>{int(value)}</{p}v></{p}c>'
    if isinstance(value, int | float):
        return f"<{p}c{attr}><{p}v>{value}</{p}v></{p}c>"
    text = escape(str(value))
    if strings is not None:
        strings.append(str(value))
        return f'<{p}c{attr} t="s"><{p}v>{len(strings) - 1}</{p}v></{p}c>'
    return f'<{p}c{attr} t="inlineStr"><{p}is><{p}t>{text}</{p}t></{p}is></{p}c>'


def _sheet_xml(sheet: Sheet, strings: list[str] | None) -> Iterable[bytes]:
    p = sheet.prefix
    ns = f'xmlns{":" + p[:-1] if p else ""}="{MAIN}"'
    width = max([len(r) for r in [*sheet.rows, *sheet.rows_after_empty]] or [1])
    total = len(sheet.rows)
    if sheet.dimension == "auto":
        dimension = f'<{p}dimension ref="A1:{get_column_letter(width)}{max(total, 1)}"/>'
    elif sheet.dimension:
        dimension = f'<{p}dimension ref="{sheet.dimension}"/>'
    else:
        dimension = ""
    yield f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n<{p}worksheet {ns}>'.encode()
    yield f"{dimension}<{p}sheetData>".encode()

    def row_xml(number: int, values: Sequence[Any]) -> str:
        if sheet.cell_refs:
            cells = "".join(
                _cell(v, f"{get_column_letter(i + 1)}{number}", strings, p)
                for i, v in enumerate(values)
            )
        else:  # cells without references: blanks must be written to keep the columns
            cells = "".join(_cell(v, "", strings, p) or f"<{p}c/>" for v in values)
        return f'<{p}row r="{number}">{cells}</{p}row>'

    number = 0
    for values in sheet.rows:
        number += 1
        yield row_xml(number, values).encode()
    empty_cells = "".join(
        f'<{p}c r="{get_column_letter(i + 1)}{{n}}" s="1"/>' for i in range(width)
    )
    chunk = []
    for _i in range(sheet.empty_rows_after):
        number += 1
        chunk.append(
            f'<{p}row r="{number}" spans="1:{width}" s="1" customFormat="1">'
            + empty_cells.replace("{n}", str(number))
            + f"</{p}row>"
        )
        if len(chunk) >= 5000:
            yield "".join(chunk).encode()
            chunk = []
    if chunk:
        yield "".join(chunk).encode()
    for values in sheet.rows_after_empty:
        number += 1
        yield row_xml(number, values).encode()
    yield f"</{p}sheetData></{p}worksheet>".encode()


STYLES = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="{MAIN}"><numFmts count="0"/>
<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>
<fills count="1"><fill><patternFill patternType="none"/></fill></fills>
<borders count="1"><border/></borders>
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>
<cellXfs count="3"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>
<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0" applyBorder="1"/>
<xf numFmtId="14" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>
</styleSheet>"""


def workbook(*sheets: Sheet, shared_strings: bool = True) -> bytes:
    """An .xlsx with these sheets, written part by part as a zip of XML."""
    strings: list[str] | None = [] if shared_strings else None
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/'
            'vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, len(sheets) + 1)
        )
        archive.writestr(
            "[Content_Types].xml",
            '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.'
            'org/package/2006/content-types"><Default Extension="rels" ContentType="application/'
            'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" '
            'ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType='
            '"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.styles+xml"/><Override PartName="/xl/sharedStrings.xml"'
            ' ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.'
            f'sharedStrings+xml"/>{overrides}</Types>',
        )
        archive.writestr(
            "_rels/.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            'openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="'
            f'{REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        )
        entries = "".join(
            f'<sheet name="{escape(s.name)}" sheetId="{i}" r:id="rId{i}"'
            + (f' state="{s.state}"' if s.state != "visible" else "")
            + "/>"
            for i, s in enumerate(sheets, start=1)
        )
        archive.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="{MAIN}" xmlns:r="{REL}">'
            f"<sheets>{entries}</sheets></workbook>",
        )
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="{REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
            for i in range(1, len(sheets) + 1)
        )
        n = len(sheets)
        rels += f'<Relationship Id="rId{n + 1}" Type="{REL}/styles" Target="styles.xml"/>'
        rels += (
            f'<Relationship Id="rId{n + 2}" Type="{REL}/sharedStrings" Target="sharedStrings.xml"/>'
        )
        archive.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.'
            f'openxmlformats.org/package/2006/relationships">{rels}</Relationships>',
        )
        archive.writestr("xl/styles.xml", STYLES)
        for i, sheet in enumerate(sheets, start=1):
            with archive.open(f"xl/worksheets/sheet{i}.xml", "w") as target:
                for part in _sheet_xml(sheet, strings):
                    target.write(part)
        items = "".join(f"<si><t>{escape(s)}</t></si>" for s in strings or [])
        archive.writestr(
            "xl/sharedStrings.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{MAIN}" '
            f'count="{len(strings or [])}" uniqueCount="{len(strings or [])}">{items}</sst>',
        )
    return out.getvalue()
