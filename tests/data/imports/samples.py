"""Builders of messy import files (the sign-in sheets partners really send), used by the
tests and by `python -m tests.data.imports.samples DIR` to write examples to look at."""

from __future__ import annotations

import csv
import io
import sys
from datetime import date
from pathlib import Path

from openpyxl import Workbook

BEYNEU = "Follow-up workshop for theologians and YRC staff (Beyneu)"  # demo: 12-13.11.2024

HEADER_RU = ["ФИО", "Пол", "Год рождения", "Организация", "Должность", "12.11.2024", "13.11.2024"]
ROWS = [
    ["Әбілқасымова Гүлнұр", "Ж", 1990, "Бейнеу аудандық әкімдігі", "маман", "1", "1"],
    ["Серікбаев Нұржан", "М", 1985, "ЖРО Бейнеу", "директор", "+", "-"],
    ["Қуанышев Ерғали", "Е", 1979, "Мешіт", "имам", "1", "0"],
    ["Оңғарова Әсел", "Ә", 2001, "ЖРО Бейнеу", "психолог", "1", ""],
]


# Windows-1251 has no Kazakh letters: such files carry their Russian look-alikes.
TO_CP1251 = str.maketrans("әғқңөұүһіӘҒҚҢӨҰҮҺІ", "агкноуухиАГКНОУУХИ")
SEX_CP1251 = {"Е": "М", "Ә": "Ж"}


def csv_bytes(header=HEADER_RU, rows=ROWS, encoding="utf-8", delimiter=";") -> bytes:
    if encoding == "cp1251":
        rows = [[SEX_CP1251.get(v, v) if isinstance(v, str) else v for v in r] for r in rows]
        rows = [[v.translate(TO_CP1251) if isinstance(v, str) else v for v in r] for r in rows]
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
    text = buffer.getvalue()
    if encoding == "utf-8-sig":
        return text.encode("utf-8-sig")
    if encoding == "utf-16":
        return text.encode("utf-16")  # with BOM
    return text.encode(encoding)


def xlsx_bytes(header=HEADER_RU, rows=ROWS, merged_title=False, blank_lead=False) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    if blank_lead:
        sheet.append([])
        sheet.append([None, None])
    if merged_title:
        # A two-row header: "Attendance" merged over the date columns, "ФИО" merged vertically.
        top = [h if not _is_date(h) else None for h in header]
        first_date = next(i for i, h in enumerate(header) if _is_date(h))
        top[first_date] = "Посещаемость"
        sheet.append(top)
        sheet.append([None if not _is_date(h) else h for h in header])
        row_no = sheet.max_row
        for col in range(1, len(header) + 1):
            if not _is_date(header[col - 1]):
                sheet.merge_cells(
                    start_row=row_no - 1, end_row=row_no, start_column=col, end_column=col
                )
        sheet.merge_cells(
            start_row=row_no - 1,
            end_row=row_no - 1,
            start_column=first_date + 1,
            end_column=len(header),
        )
    else:
        sheet.append(header)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _is_date(value) -> bool:
    return isinstance(value, date) or (isinstance(value, str) and value.count(".") == 2)


def main(target: str) -> None:
    out = Path(target)
    out.mkdir(parents=True, exist_ok=True)
    (out / "signin-cp1251.csv").write_bytes(csv_bytes(encoding="cp1251"))
    (out / "signin-utf16.csv").write_bytes(csv_bytes(encoding="utf-16", delimiter=","))
    (out / "signin-merged.xlsx").write_bytes(xlsx_bytes(merged_title=True))


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/data/imports/out")
