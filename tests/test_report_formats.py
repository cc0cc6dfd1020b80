"""Every report format, rendered from one ReportData: no names, contacts or IDs of people in
any of them, small cells shown as "<5", the IATI XML valid against the official 2.03 XSD, and
`build_report` writing each format."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import zipfile
from datetime import date
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from docx import Document
from lxml import etree
from openpyxl import load_workbook

from accounts.models import User
from participants.models import Participant
from participants.services import register_person
from reports.builder import ReportData, build_report_data
from reports.renderers import FORMATS, render
from trainings.models import TrainingEvent

from .factories import attend_with_feedback
from .services import unavailable

pytestmark = pytest.mark.django_db
XSD = Path(__file__).parent.parent / "reports" / "data" / "iati-2.03" / "iati-activities-schema.xsd"
VALID_IIN = "900101300017"
PHONE = "+7 701 555 12 34"
EMAIL = "aigul.secretova@example.kz"
NAME = "Секретова Айгүл"


@pytest.fixture
def report(demo) -> ReportData:
    """The Q3 2024 report after a person with every kind of contact and ID attended and left
    a consented quote full of contacts; the data goes through JSON as a stored snapshot."""
    event = TrainingEvent.objects.get(
        title__startswith="Emotional intelligence for police officers (Kyzylorda)"
    )
    person = register_person(
        full_name=NAME,
        sex="F",
        birth_year=1991,
        region=event.region,
        category=event.enrolments.first().participant.category,
        phone=PHONE,
        email=EMAIL,
        iin=VALID_IIN,
        position="Chief inspector",
    )
    attend_with_feedback(
        person,
        event,
        comments=f"I am {NAME}, call {PHONE}, mail {EMAIL}, IIN {VALID_IIN}. Very useful.",
        consent_to_quote=True,
        # Approved as written: the report still removes the name, contacts and ID.
        approved_by=User.objects.get(username="undp.staff"),
    )
    data = build_report_data(
        start=date(2024, 7, 1),
        end=date(2024, 9, 30),
        region_ids=None,
        language="en",
        period_label="2024Q3",
    )
    return ReportData.from_json(json.loads(json.dumps(data.to_json())))


def pdf_text(content: bytes) -> str:
    if not shutil.which("pdftotext"):
        unavailable("needs pdftotext (poppler-utils) to read the PDF's text")
    done = subprocess.run(
        ["pdftotext", "-layout", "-", "-"], input=content, capture_output=True, check=True
    )
    return done.stdout.decode()


def docx_text(content: bytes) -> str:
    doc = Document(io.BytesIO(content))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.append("\t".join(cell.text for cell in row.cells))
    parts.append(doc.core_properties.title or "")
    return "\n".join(parts)


def xlsx_sheets(content: bytes) -> dict[str, list[tuple]]:
    book = load_workbook(io.BytesIO(content))
    return {sheet.title: list(sheet.iter_rows(values_only=True)) for sheet in book.worksheets}


def csv_files(content: bytes) -> dict[str, str]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        return {name: archive.read(name).decode("utf-8-sig") for name in archive.namelist()}


def text_of(fmt: str, content: bytes) -> str:
    if fmt == "pdf":
        return pdf_text(content)
    if fmt == "docx":
        return docx_text(content)
    if fmt == "xlsx":
        return "\n".join(
            "\t".join("" if v is None else str(v) for v in row)
            for rows in xlsx_sheets(content).values()
            for row in rows
        )
    if fmt == "csv":
        return "\n".join(csv_files(content).values())
    return content.decode("utf-8")


@pytest.mark.parametrize("fmt", FORMATS)
def test_no_names_contacts_or_ids_in_any_format(report, fmt):
    rendered = render(report, fmt)
    text = text_of(fmt, rendered.content)
    assert report.programme["name"][:40] in text.replace("\n", " ") or fmt == "pdf"
    secrets = [NAME, "Секретова", PHONE, "555 12 34", EMAIL, VALID_IIN, "Chief inspector"]
    people = Participant.objects.values_list("full_name", "phone", "email", "iin_hash")
    for full_name, phone, email, iin_hash in people:
        secrets += [full_name] + [v for v in (phone, email, iin_hash) if v]
    found = [s for s in secrets if s and s in text]
    assert not found, f"{fmt} shows personal data: {found[:5]}"
    if fmt in ("pdf", "docx", "xlsx", "csv"):
        assert "Very useful." in text  # the quote, without the contacts


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_small_cells_are_shown_as_less_than_five(report, fmt):
    small = [r for r in report.people["category_by_sex"] if "<5" in (r["F"], r["M"])]
    assert small, "the demo data has a category with fewer than 5 women or men"
    text = text_of(fmt, render(report, fmt).content)
    assert "<5" in text


def test_xlsx_and_csv_cells_are_never_between_one_and_four(report):
    """In the data annex every count of people is 0, 5 or more, or withheld: an empty cell
    named in the last column, in the XLSX (tests/test_report_xlsx.py) and in the CSV."""
    count_headers = {"People", "Women", "Men", "Respondents"}
    sheets = xlsx_sheets(render(report, "xlsx").content)
    checked = withheld = 0
    for title, rows in sheets.items():
        if title == "About" or not rows:
            continue
        header = rows[0]
        for row in rows[1:]:
            first = str(row[0])
            if first == "Total":
                continue  # totals stay exact
            for name, value in zip(header, row, strict=False):
                if name in count_headers:
                    checked += 1
                    withheld += value is None
                    assert value is None or (isinstance(value, int) and not 1 <= value <= 4), (
                        title,
                        row,
                    )
    assert checked > 20 and withheld
    files = csv_files(render(report, "csv").content)
    cross = next(v for k, v in files.items() if k.endswith("-people_category_by_sex.csv"))
    cross = cross.splitlines()
    assert cross[0] == "Category,Women,Men,Total,Withheld (fewer than 5)"
    assert any(",," in line and line.rsplit(",", 1)[1] for line in cross[1:])
    assert "<5" not in "".join(cross)
    assert "README.txt" in files and any(k.endswith("-summary.csv") for k in files)


def test_xlsx_has_frozen_headers_number_formats_and_rules_sheet(report):
    book = load_workbook(io.BytesIO(render(report, "xlsx").content))
    names = book.sheetnames
    rules = next(n for n in names if n.startswith("Annex"))
    indicators = book["Indicators"]
    assert indicators.freeze_panes == "A2"
    assert indicators["E2"].number_format == "0.0"
    explained = [row[0] for row in book[rules].iter_rows(min_row=2, values_only=True)]
    assert explained == [i["code"] for i in report.indicators]


def test_iati_xml_validates_against_the_official_schema(report):
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    xml = etree.fromstring(render(report, "iati").content)
    schema.assertValid(xml)
    indicators = xml.findall(".//result/indicator")
    assert len(indicators) == len(report.indicators)
    op1 = next(i for i in indicators if i.findtext("title/narrative").startswith("OP1"))
    period = op1.find("period")
    assert period.find("period-start").get("iso-date") == "2024-07-01"
    assert float(period.find("target").get("value")) == 60
    assert op1.find("baseline") is not None
    actuals = period.findall("actual")
    total = next(a for a in actuals if a.find("dimension") is None)
    assert (
        int(total.get("value"))
        == next(i for i in report.indicators if i["code"] == "OP1")["actual"]
    )
    # Breakdowns of people have no 1-4 (events, sessions and partners are never withheld).
    people = {i["code"] for i in report.indicators if i["unit"] == "people"}
    checked = 0
    for indicator in indicators:
        if indicator.findtext("title/narrative").split()[0].strip(":.") not in people:
            continue
        checked += 1
        for actual in indicator.iter("actual"):
            value = actual.get("value")
            if actual.find("dimension") is not None and value is not None and "." not in value:
                assert not (1 <= int(value) <= 4)
    assert checked == len(people) > 0
    # A withheld ("<5") breakdown row is left out (IATI rule 8.10.1), and the indicator says so.
    assert not [a for a in xml.iter("actual") if a.get("value") is None]
    withheld = [
        i
        for i in xml.iter("indicator")
        if "withheld" in " ".join(n.text for n in i.iterfind("description/narrative"))
    ]
    assert withheld


def test_pdf_is_a_real_pdf_with_the_report_sections(report):
    rendered = render(report, "pdf")
    assert rendered.content.startswith(b"%PDF")
    assert rendered.content_type == "application/pdf"
    text = pdf_text(rendered.content)
    for heading in ("Results framework", "People reached", "Events held", "Annex"):
        assert heading in text
    assert "Government of Japan" in text


def test_kazakh_report_keeps_cyrillic_text(report):
    data = ReportData.from_json(report.to_json() | {"language": "kk"})
    text = pdf_text(render(data, "pdf").content)
    assert "Бұрын мұндай жағдайда" in text.replace("\n", " ") or "Кәсіпкерлік" in text


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_period_without_activity_renders_in_every_format(demo, fmt):
    data = build_report_data(
        start=date(2023, 1, 1),
        end=date(2023, 3, 31),
        region_ids=None,
        language="kk",
        period_label="2023Q1",
    )
    assert data.people["total"] == 0 and data.events == []
    assert render(data, fmt).content


def test_unknown_format_is_refused(report):
    with pytest.raises(ValueError):
        render(report, "odt")


@pytest.mark.parametrize("fmt", FORMATS)
def test_build_report_command_writes_each_format(demo, tmp_path, fmt):
    out = tmp_path / f"report.{fmt}"
    call_command(
        "build_report",
        period="2024Q3",
        fmt=fmt,
        output=str(out),
        region=["KZ-47"],
        stdout=io.StringIO(),
    )
    content = out.read_bytes()
    magic = {"pdf": b"%PDF", "docx": b"PK", "xlsx": b"PK", "csv": b"PK", "iati": b"<?xml"}
    assert content.startswith(magic[fmt])


def test_build_report_command_periods_and_errors(demo, tmp_path):
    out = tmp_path / "a.zip"
    call_command(
        "build_report",
        "--period",
        "2024",
        "--format",
        "csv",
        "--output",
        str(out),
        stdout=io.StringIO(),
    )
    assert "2024-" not in csv_files(out.read_bytes())["README.txt"].split("\n")[1][:9]
    call_command(
        "build_report",
        "--from",
        "2024-08-01",
        "--to",
        "2024-08-31",
        "--format",
        "iati",
        "--output",
        str(tmp_path / "a.xml"),
        "--language",
        "ru",
        stdout=io.StringIO(),
    )
    assert b"2024-08-31" in (tmp_path / "a.xml").read_bytes()
    with pytest.raises(CommandError):
        call_command("build_report", "--period", "2024Q5", "--format", "pdf", "--output", str(out))
    with pytest.raises(CommandError):
        call_command(
            "build_report",
            "--period",
            "2024Q3",
            "--format",
            "pdf",
            "--output",
            str(out),
            "--region",
            "KZ-99",
        )
