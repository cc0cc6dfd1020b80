"""Exports neutralise spreadsheet formulas and keep every row."""

import io

from openpyxl import load_workbook

from core.tabular import csv_lines, safe_cell, write_xlsx

DANGEROUS = ['=HYPERLINK("http://x")', "+1+2", "-2+3", "@SUM(A1)", "\tx", "\rx"]


def test_cells_that_would_run_as_formulas_become_text():
    for value in DANGEROUS:
        assert safe_cell(value) == "'" + value
    assert safe_cell("Нұрланов Асқар") == "Нұрланов Асқар"
    assert safe_cell(-5) == -5  # numbers stay numbers


def test_csv_export_neutralises_formulas_and_starts_with_a_bom():
    text = "".join(csv_lines(["name", "note"], [("Әсел", v) for v in DANGEROUS]))
    assert text.startswith("\ufeff")
    assert "'=HYPERLINK" in text and "\n=HYPERLINK" not in text
    assert text.count("Әсел") == len(DANGEROUS)


def test_xlsx_export_neutralises_formulas_and_freezes_the_header():
    buffer = io.BytesIO()
    write_xlsx([("People", ["name", "note"], [("Әсел", v) for v in DANGEROUS])], buffer)
    buffer.seek(0)
    sheet = load_workbook(buffer)["People"]
    values = [row[1] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert values == ["'" + v for v in DANGEROUS]
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)
    assert sheet.freeze_panes == "A2"
