"""Arithmetic and wording of the donor report in every format (issue 15.10): half up rounding
on decimal values (4.125 shows as 4.13, as in Excel), counts never with decimals, a fall in
the mean test score said as a fall, and a period without feedback or tests said in words."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import date
from decimal import Decimal

import pytest
from lxml import etree
from openpyxl import load_workbook

from participants.services import enrol, record_attendance, record_feedback, record_scores
from reports import numbers
from reports.builder import ReportData, build_report_data
from reports.renderers import render
from trainings.models import Programme, Session

from .factories import EventFactory, ParticipantFactory, region
from .test_report_formats import docx_text, pdf_text

pytestmark = pytest.mark.django_db

Q1_2025 = (date(2025, 1, 1), date(2025, 3, 31))
# Eight forms whose overall satisfaction averages exactly 4.125 (33 / 8), and pre-test scores
# averaging exactly 60.25: Python's round() would print 4.12 and 60.2 (binary, half to even).
SATISFACTION = [5, 5, 5, 4, 4, 4, 3, 3]
PRE = [60, 60, 60, 60, 60, 60, 61, 61]


def build(start: date, end: date, label: str) -> ReportData:
    """The demo programme's report (its results framework gives the indicators)."""
    data = build_report_data(
        start=start, end=end, region_ids=None, language="en", period_label=label
    )
    return ReportData.from_json(json.loads(json.dumps(data.to_json())))  # as a stored snapshot


@pytest.fixture
def worse_after(db) -> ReportData:
    """A 2025 Q1 training whose eight participants all scored 20 points lower after it."""
    event = EventFactory(
        programme=Programme.objects.get(code="PVE-KZ-JP"),
        region=region("KZ-47"),
        start_date=date(2025, 2, 3),
        end_date=date(2025, 2, 3),
    )
    session = Session.objects.create(event=event, date=event.start_date, title="Day 1")
    for satisfaction, pre in zip(SATISFACTION, PRE, strict=True):
        enrolment = enrol(person=ParticipantFactory(), event=event)
        record_attendance(enrolment=enrolment, session=session)  # makes the event held
        record_scores(enrolment=enrolment, pre_score=Decimal(pre), post_score=Decimal(pre - 20))
        record_feedback(
            event=event,
            enrolment=enrolment,
            satisfaction=satisfaction,
            relevance=satisfaction,
            usefulness=satisfaction,
            intent_to_apply=satisfaction,
            source="paper",
        )
    return build(*Q1_2025, "2025Q1")


# The one helper ----------------------------------------------------------------------------
def test_rounding_is_half_up_on_the_decimal_value():
    assert round(4.125, 2) == 4.12  # what the report must not do
    assert numbers.round_half_up(4.125, 2) == Decimal("4.13")
    assert numbers.rounded(4.125, 2) == 4.13
    assert numbers.rounded(2.675, 2) == 2.68  # 2.67499999... as a binary float
    assert numbers.rounded(-4.125, 2) == -4.13
    assert numbers.rounded(Decimal("60.25"), 1) == 60.3
    assert numbers.rate(1, 32, 2) == 3.13  # 3.125 %, from the numerator and denominator
    assert numbers.rate(1, 400) == 0.3
    assert numbers.rate(0, 0) is None
    assert numbers.percent_of(1, 400) == 0.3
    assert numbers.percent_of(33, Decimal("60.00")) == 55.0
    assert numbers.percent_of("<5", 60) is None


def test_counts_have_no_decimals_and_other_figures_their_places():
    assert numbers.show(158, 0) == "158"
    assert numbers.show(12345, 0) == "12\u202f345"
    assert numbers.show(12345, 0, group="\u00a0") == "12\u00a0345"
    assert numbers.show(60.0, 1) == "60.0"
    assert numbers.show(4.125, 2) == "4.13"
    assert numbers.show("<5", 1) == "<5" and numbers.show(None) == "–"
    assert numbers.figure(158.0, 0) == 158 and isinstance(numbers.figure(158.0, 0), int)
    assert numbers.figure(4.125, 2) == Decimal("4.13")
    assert numbers.figure(80, 1) == Decimal("80.0")
    assert numbers.show(numbers.figure(158, 0)) == "158"  # a cell prints with its own places
    assert numbers.show(numbers.figure(80, 1)) == "80.0"
    assert numbers.signed(-20.0, 1) == "-20.0"
    assert numbers.signed(12.25, 1) == "+12.3"
    assert numbers.signed(0.0, 1) == "0.0" and numbers.signed(-0.04, 1) == "0.0"
    assert numbers.plain(60.0) == "60" and numbers.plain(4.13) == "4.13"
    assert numbers.plain(-20.0) == "-20"


# The report --------------------------------------------------------------------------------
def test_the_report_stores_figures_rounded_half_up(worse_after):
    satisfaction = next(i for i in worse_after.feedback["items"] if i["key"] == "satisfaction")
    assert satisfaction["mean"] == 4.13
    assert worse_after.feedback["satisfied_pct"] == 75.0
    k = worse_after.knowledge
    assert (k["n"], k["pre"], k["post"], k["gain"], k["improved_pct"]) == (
        8,
        60.3,
        40.3,
        -20.0,
        0.0,
    )
    assert worse_after.summary["knowledge_gain"] == -20.0


FELL = "Their mean score fell from 60.3 to 40.3 (-20.0 points); 0.0% improved their score."


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_a_fall_reads_as_a_fall_in_the_documents(worse_after, fmt):
    content = render(worse_after, fmt).content
    text = pdf_text(content) if fmt == "pdf" else docx_text(content)
    flat = " ".join(text.split())
    assert FELL in flat
    assert "+-" not in flat and "rose from" not in flat
    assert "4.13" in flat and "4.12" not in flat
    assert "-20.0" in flat  # the key figure tile


def test_counts_in_the_documents_have_no_decimals(worse_after):
    text = docx_text(render(worse_after, "docx").content)
    rows = dict(line.split("\t", 1) for line in text.splitlines() if line.count("\t") == 1)
    assert rows["Respondents"] == "8"  # not "8.00" in a column of means
    assert rows["Overall satisfaction"] == "4.13"
    assert rows["Participants satisfied (%)"] == "75.0"
    lines = [line.split("\t") for line in text.splitlines()]
    tested = next(cells for cells in lines if cells[0] == "Total" and len(cells) == 6)
    assert tested[1:] == ["8", "60.3", "40.3", "-20.0", "0.0"]


def test_the_data_annex_has_counts_as_whole_numbers(worse_after):
    book = load_workbook(io.BytesIO(render(worse_after, "xlsx").content))
    sheet = book["Feedback"]
    cells = {row[0].value: row[1] for row in sheet.iter_rows(min_row=2)}
    assert cells["Respondents"].value == 8 and cells["Respondents"].number_format == "#,##0"
    assert cells["Overall satisfaction"].value == 4.13
    assert cells["Overall satisfaction"].number_format == "0.00"
    assert cells["Participants satisfied (%)"].number_format == "0.0"

    with zipfile.ZipFile(io.BytesIO(render(worse_after, "csv").content)) as archive:
        name = next(n for n in archive.namelist() if n.endswith("-feedback.csv"))
        lines = archive.read(name).decode("utf-8-sig").splitlines()
    # The last column names withheld cells (none here).
    assert "Respondents,8," in lines and "Overall satisfaction,4.13," in lines
    assert "Participants satisfied (%),75.0," in lines


def test_iati_values_are_plain_numbers(worse_after):
    xml = etree.fromstring(render(worse_after, "iati").content)
    values = [a.get("value") for a in xml.iter("actual", "target", "baseline") if a.get("value")]
    assert values and not any("e" in v or "," in v for v in values)
    oc2 = next(i for i in xml.iter("indicator") if i.findtext("title/narrative").startswith("OC2"))
    assert oc2.find("period/actual").get("value") == "-20"


@pytest.mark.parametrize("fmt", ["pdf", "docx"])
def test_a_period_without_feedback_or_tests_says_so(db, fmt):
    empty = build(date(2023, 1, 1), date(2023, 3, 31), "2023Q1")
    assert empty.feedback["respondents"] == 0 and empty.knowledge["n"] == 0
    content = render(empty, fmt).content
    flat = " ".join((pdf_text(content) if fmt == "pdf" else docx_text(content)).split())
    assert "No feedback form was collected at the events of this period." in flat
    assert "No participant took both the pre-test and the post-test in this period." in flat
    assert "Nobody attended a session in this period." in flat
    assert "rose from" not in flat and "from – to –" not in flat


def test_few_tests_say_their_scores_are_withheld(db):
    event = EventFactory(
        programme=Programme.objects.get(code="PVE-KZ-JP"),
        region=region("KZ-47"),
        start_date=date(2025, 2, 3),
        end_date=date(2025, 2, 3),
    )
    session = Session.objects.create(event=event, date=event.start_date, title="Day 1")
    for pre in (50, 60, 70):
        enrolment = enrol(person=ParticipantFactory(), event=event)
        record_attendance(enrolment=enrolment, session=session)
        record_scores(enrolment=enrolment, pre_score=Decimal(pre), post_score=Decimal(pre + 5))
    data = build(*Q1_2025, "2025Q1")
    flat = " ".join(docx_text(render(data, "docx").content).split())
    assert (
        "3 people took both the pre-test and the post-test (3 pairs of tests, one per person "
        "and event): with fewer than 5, their scores are not shown." in flat
    )
    assert "rose from <5" not in flat


def test_the_report_page_prints_the_key_numbers_as_the_files_do(worse_after):
    from reports.models import ReportRun
    from reports.views import summary_rows

    run = ReportRun(snapshot=worse_after.to_json(), status=ReportRun.Status.DONE)
    shown = {str(label): value for label, value in summary_rows(run)}
    assert shown["Mean knowledge gain, points"] == "-20.0"
    assert shown["Satisfied respondents, %"] == "75.0"
    assert shown["Feedback respondents"] == "8"
