"""The indicator performance tracking table (IPTT) in every format, from a report written by
hand (tests/report_samples.py): the XLSX opens on it with numbers as numbers, the CSV zip
holds it first, the PDF and the DOCX print it with its legend, and a snapshot without one
(before schema 2) renders without it. Also each indicator's method, direction and counting
rules in the indicator tables, the annex and the IATI file."""

from __future__ import annotations

import io

import pytest
from docx import Document
from lxml import etree
from openpyxl import load_workbook

from reports.builder import ReportData
from reports.renderers import FORMATS, render

from .report_samples import METHODOLOGY, schema2_json, schema2_report
from .test_report_formats import XSD, csv_files, docx_text, pdf_text

WITHHELD = "Withheld (fewer than 5)"


@pytest.fixture
def report():
    return schema2_report()


@pytest.fixture
def old_snapshot():
    """The same report as stored before schema 2: no IPTT, no counting rules, none of the
    indicators' new keys."""
    data = schema2_json()
    for key in ("iptt", "methodology"):
        data.pop(key)
    data["version"] = 1
    new_keys = ("method", "method_label", "higher_is_better", "completion_label", "reached")
    for indicator in data["indicators"]:
        for key in (*new_keys, "ytd", "lop"):
            indicator.pop(key)
    for entry in data["annex"]:
        for key in ("method_label", "direction_label", "completion_text"):
            entry.pop(key)
    for key in ("people_tested", "tests", "feedback_forms"):
        data["summary"].pop(key)
    data["knowledge"].pop("people")
    return ReportData.from_json(data)


# XLSX and CSV --------------------------------------------------------------------------------
def test_the_xlsx_opens_on_the_iptt_with_numbers_as_numbers(report):
    book = load_workbook(io.BytesIO(render(report, "xlsx").content))
    assert book.sheetnames[:3] == ["IPTT", "About", "Key figures"]
    sheet = book.worksheets[0]
    assert sheet.freeze_panes == "C2"
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:8] == (
        "Code",
        "Indicator",
        "Disaggregation",
        "Unit",
        "Method",
        "Direction",
        "Baseline",
        "Life-of-programme target",
    )
    assert header[8:11] == ("Q1 2024: target", "Q1 2024: actual", "Q1 2024: % achieved")
    assert header[17:] == (
        "2024 to date: target",
        "2024 to date: actual",
        "2024 to date: % achieved",
        "Cumulative actual",
        "Cumulative: % of life-of-programme target",
        WITHHELD,
    )
    op1 = rows[1]
    assert op1[:2] == ("OP1", "Youth workers and officials trained in preventing radicalisation")
    assert op1[4] == "Unique count (completed at least 80% of sessions)"
    assert op1[6:11] == (0, 300, 60, 57, 95)
    assert all(isinstance(v, int | float) for v in op1[6:22])
    assert op1[20:22] == (210, 70)
    percent = sheet.cell(row=2, column=11)
    assert percent.number_format == "0.0"
    assert sheet.cell(row=2, column=10).number_format == "#,##0"
    # The groups follow their indicator; a withheld cell is empty, shaded and named.
    women = rows[2]
    assert women[:3] == ("OP1", None, "Women (sex)")
    assert women[9] == 12 and women[12] is None and women[-1] == "Q2 2024: actual"
    assert sheet.cell(row=3, column=13).comment is not None
    assert sheet.cell(row=3, column=3).alignment.indent == 1
    by_code = {row[0]: row for row in rows[1:] if row[1]}
    assert by_code["OP2"][7] is None  # no life-of-programme target
    assert by_code["OC1"][8] is None and by_code["OC1"][9] == 72.5  # no target in Q1
    assert by_code["OC4"][5] == "Lower is better"
    about = [row[0] for row in book["About"].iter_rows(values_only=True)]
    assert all(paragraph in about for paragraph in METHODOLOGY)
    assert any(str(text).startswith("% achieved:") for text in about)


def test_the_xlsx_indicators_sheet_has_method_reached_year_and_programme_figures(report):
    book = load_workbook(io.BytesIO(render(report, "xlsx").content))
    rows = list(book["Indicators"].iter_rows(values_only=True))
    header = rows[0]
    assert header[9:17] == (
        "Method",
        "People reached",
        "Year to date: target",
        "Year to date: actual",
        "Year to date: % of target",
        "Life of programme: target",
        "Life of programme: actual",
        "Life of programme: % of target",
    )
    op1 = next(row for row in rows if row[0] == "OP1")
    assert op1[8] == "On track" and op1[10] == 95
    assert op1[11:17] == (180, 163, 90.6, 300, 210, 70)
    annex = list(book["Annex"].iter_rows(values_only=True))
    assert annex[0][6:9] == ("Method", "Direction", "Completion")
    oc4 = next(row for row in annex if row[0] == "OC4")
    assert oc4[6:8] == ("Mean", "Lower is better")


def test_the_csv_zip_holds_the_iptt_first(report):
    files = csv_files(render(report, "csv").content)
    assert "01-iptt.csv" in files and "02-summary.csv" in files
    lines = files["01-iptt.csv"].splitlines()
    assert lines[0].startswith("Code,Indicator,Disaggregation,Unit,Method,Direction,Baseline")
    # The last column names the row's withheld cells, left empty (never "<5" in a number).
    assert lines[1].endswith(",0,300,60,57,95.0,60,41,68.3,60,72,120.0,180,163,90.6,210,70.0,")
    assert lines[2] == "OP1,,Women (sex),,,,,,,12,,,,,,30,,,44,,80,,Q2 2024: actual"
    assert METHODOLOGY[0] in files["README.txt"]
    assert "01-iptt.csv: Indicator performance tracking table" in files["README.txt"]


# PDF and DOCX --------------------------------------------------------------------------------
def test_the_pdf_has_an_iptt_page_with_its_figures_and_legend(report):
    text = pdf_text(render(report, "pdf").content)
    pages = text.split("\f")
    page = next(p for p in pages if "Indicator performance tracking table" in p)
    flat = " ".join(page.split())
    assert "Q1 2024" in flat and "2024 to date" in flat
    assert "57 95.0%" in flat or "57 95.0" in flat
    assert "70.0" in flat and "210" in flat
    assert "Women (sex)" in flat and "<5" in flat
    assert "lower is better" in flat.lower()
    assert "% achieved" in flat


def test_the_docx_has_the_iptt_table_in_a_landscape_section(report):
    content = render(report, "docx").content
    doc = Document(io.BytesIO(content))
    text = docx_text(content)
    assert "Indicator performance tracking table" in text
    table = next(
        t for t in doc.tables if any(c.text == "Programme target" for c in t.rows[0].cells)
    )
    cells = [[c.text for c in row.cells] for row in table.rows]
    assert cells[1][4:7] == ["Target", "Actual", "% achieved"]
    op1 = next(row for row in cells if row[0] == "OP1")
    assert op1[2:7] == ["0", "300", "60", "57", "95.0"]
    assert op1[-2:] == ["210", "70.0"]
    assert any(row[1] == "Women (sex)" and "<5" in row for row in cells)
    assert any(s.orientation == 1 for s in doc.sections)  # WD_ORIENT.LANDSCAPE


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_the_documents_show_methods_reach_and_counting_rules(report, fmt):
    content = render(report, fmt).content
    flat = " ".join((pdf_text(content) if fmt == "pdf" else docx_text(content)).split())
    assert "Unique count" in flat and "reached 95, completed 72" in flat
    assert "Lower is better" in flat
    assert "A person counts once they attended at least 80% of the sessions." in flat
    for paragraph in METHODOLOGY:
        assert paragraph in flat
    assert "2,963" not in flat  # numbers use the report's spaces
    assert (
        "2 963 people took both the pre-test and the post-test (3 665 pairs of tests, one per "
        "person and event)" in flat.replace("\u202f", " ").replace("\u00a0", " ")
    )
    assert (
        "4 141 feedback forms were received (one per participant and event); 82.3% rated the "
        "training 4 or 5 out of 5." in flat.replace("\u202f", " ").replace("\u00a0", " ")
    )


# IATI ----------------------------------------------------------------------------------------
def test_iati_indicators_carry_direction_aggregation_and_method(report):
    xml = etree.fromstring(render(report, "iati").content)
    etree.XMLSchema(etree.parse(str(XSD))).assertValid(xml)
    indicators = {i.findtext("title/narrative").split()[0]: i for i in xml.iter("indicator")}
    assert set(indicators) == {"OP1", "OP2", "OC1", "OC4"}
    assert [indicators[c].get("measure") for c in ("OP1", "OP2", "OC1", "OC4")] == [
        "1",
        "1",
        "2",
        "2",
    ]
    assert indicators["OC4"].get("ascending") == "0"
    assert indicators["OP1"].get("ascending") == "1"
    assert indicators["OP2"].get("aggregation-status") == "1"
    assert {indicators[c].get("aggregation-status") for c in ("OP1", "OC1", "OC4")} == {"0"}
    description = indicators["OP1"].findtext("description/narrative")
    assert "Unique count" in description and "80% of the sessions" in description


# Older snapshots -----------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", FORMATS)
def test_a_snapshot_without_an_iptt_renders_without_it(old_snapshot, fmt):
    content = render(old_snapshot, fmt).content
    assert content
    if fmt == "xlsx":
        assert load_workbook(io.BytesIO(content)).sheetnames[0] == "About"
    elif fmt == "csv":
        assert "01-summary.csv" in csv_files(content)
    elif fmt == "pdf":
        assert "Indicator performance tracking table" not in pdf_text(content)
    elif fmt == "docx":
        assert "Indicator performance tracking table" not in docx_text(content)
    elif fmt == "iati":
        xml = etree.fromstring(content)
        etree.XMLSchema(etree.parse(str(XSD))).assertValid(xml)
        assert {i.get("ascending") for i in xml.iter("indicator")} == {"1"}
