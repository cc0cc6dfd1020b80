"""CSV: a zip holding one CSV file per table of the report (UTF-8 with BOM, so Excel opens
Kazakh and Russian text), numbered in reading order, plus a README naming each file.

A cell withheld by disclosure control ("<5" or "x" in the PDF) is left empty, never text in a
number column, so sums and pivots still work; the last column of a table with figures,
"Withheld (fewer than 5)", names the row's withheld cells, so an empty cell is never read as
a zero. The README says so."""

from __future__ import annotations

import io
import zipfile

from django.utils.translation import gettext as _

from core.tabular import csv_lines

from ..builder import ReportData
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


def withheld_readme() -> str:
    return _(
        "A number withheld by disclosure control (“<5” or “x” in the PDF) is an empty cell "
        "here, never text in a number column; the last column of a file, “%(column)s”, names "
        "the row's withheld cells (“(x)” after those withheld so that a “<5” cannot be worked "
        "out). An empty cell in a row that names it is withheld, not zero."
    ) % {"column": withheld_header()}


def table_lines(header: list[str], rows: list[list]) -> tuple[list[str], list[list]]:
    """The header and rows as written: withheld cells empty, the withheld column last."""
    out = []
    for row in rows:
        withheld = withheld_columns(row)
        values = ["" if c in withheld else v for c, v in enumerate(row)]
        out.append([*values, withheld_mark(header, row) or ""])
    return [*header, withheld_header()], out


def render(data: ReportData) -> bytes:
    buffer = io.BytesIO()
    tables = report_tables(data)
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        readme = [
            data.programme["name"],
            _("Period: %(period)s") % {"period": period_text(data)},
            _("Regions: %(regions)s") % {"regions": data.scope["label"]},
            "",
            *methodology_of(data),
            disclosure_note(),
            withheld_readme(),
            "",
        ]
        if any(table.key == "iptt" for table in tables):
            readme += [*iptt_legend(), ""]
        for number, table in enumerate(tables, start=1):
            name = f"{number:02d}-{table.key}.csv"
            readme.append(f"{name}: {table.title}")
            header, rows = table.header, table.rows
            if has_figures(table):
                header, rows = table_lines(header, rows)
            text = "".join(csv_lines(header, rows))
            archive.writestr(name, text.encode("utf-8"))
        archive.writestr("README.txt", ("\n".join(readme) + "\n").encode("utf-8"))
    return buffer.getvalue()
