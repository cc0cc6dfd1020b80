"""CSV: a zip holding one CSV file per table of the report (UTF-8 with BOM, so Excel opens
Kazakh and Russian text), numbered in reading order, plus a README naming each file."""

from __future__ import annotations

import io
import zipfile

from django.utils.translation import gettext as _

from core.tabular import csv_lines

from ..builder import ReportData
from .tables import disclosure_note, iptt_legend, methodology_of, period_text, report_tables


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
            "",
        ]
        if any(table.key == "iptt" for table in tables):
            readme += [*iptt_legend(), ""]
        for number, table in enumerate(tables, start=1):
            name = f"{number:02d}-{table.key}.csv"
            readme.append(f"{name}: {table.title}")
            text = "".join(csv_lines(table.header, table.rows))
            archive.writestr(name, text.encode("utf-8"))
        archive.writestr("README.txt", ("\n".join(readme) + "\n").encode("utf-8"))
    return buffer.getvalue()
