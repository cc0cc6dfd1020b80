"""Issue 17 (5): a report built while a region-quarter it covers is not approved is a draft,
marked in every format and in its file names; once every region-quarter is approved it is
final and names who approved each region and when. Old snapshots load as before."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime

import pytest
from django.utils import timezone
from docx import Document
from openpyxl import load_workbook

from accounts.models import User
from accounts.scope import scope_for
from closing.services import approve_quarter, submit_quarter
from core import periods
from reports.builder import ReportData, build_report_data, inputs_hash
from reports.renderers import render
from trainings.models import Programme, RegionQuarterTransition, TrainingEvent

from .test_report_formats import pdf_text

pytestmark = pytest.mark.django_db
Q3 = periods.parse("2024Q3")
DRAFT = "DRAFT - includes data not yet approved"


def _build(programme) -> ReportData:
    data = build_report_data(
        start=Q3.start,
        end=Q3.end,
        region_ids=None,
        language="en",
        period_label="2024Q3",
        programme=programme,
    )
    return ReportData.from_json(json.loads(json.dumps(data.to_json())))


def _approve_all(programme) -> None:
    staff = User.objects.get(username="undp.staff")
    regions = set(
        TrainingEvent.objects.filter(
            programme=programme, end_date__range=(Q3.start, Q3.end)
        ).values_list("region", flat=True)
    )
    from regions.models import Region

    for region in Region.objects.filter(pk__in=regions):
        keys = {"programme": programme, "region": region, "period": Q3, "by": staff}
        submit_quarter(scope=scope_for(staff), confirm_warnings=True, **keys)
        approve_quarter(scope=scope_for(staff), **keys)


def _docx_header(content: bytes) -> str:
    doc = Document(io.BytesIO(content))
    return " ".join(p.text for p in doc.sections[0].header.paragraphs)


def test_a_partly_approved_quarter_gives_a_draft_in_every_format():
    programme = Programme.objects.filter(is_active=True).order_by("code").first()
    data = _build(programme)
    assert data.approval["final"] is False and data.is_draft
    for fmt in ("pdf", "docx", "xlsx", "csv", "iati"):
        assert "-draft" in render(data, fmt).filename
    assert pdf_text(render(data, "pdf").content).count(DRAFT) >= 2  # every page
    assert DRAFT in _docx_header(render(data, "docx").content)
    book = load_workbook(io.BytesIO(render(data, "xlsx").content))
    about = [c.value for row in book["About"].iter_rows() for c in row]
    assert DRAFT in about
    assert all(
        sheet.oddHeader.center.text == DRAFT for sheet in book.worksheets if sheet.title != "About"
    )


def test_a_fully_approved_quarter_gives_a_final_report_naming_its_approvals():
    programme = Programme.objects.filter(is_active=True).order_by("code").first()
    before = inputs_hash(
        start=Q3.start, end=Q3.end, region_ids=None, language="en", programme=programme
    )
    _approve_all(programme)
    after = inputs_hash(
        start=Q3.start, end=Q3.end, region_ids=None, language="en", programme=programme
    )
    assert before != after  # the draft is not reused for the final report
    data = _build(programme)
    assert data.approval["final"] is True and not data.is_draft
    assert {a["region"] for a in data.approval["approvals"]}
    assert all(a["at"] == timezone.localdate().isoformat() for a in data.approval["approvals"])
    assert "-draft" not in render(data, "pdf").filename
    text = pdf_text(render(data, "pdf").content)
    assert DRAFT not in text and "approved by" in text
    assert "approved by" in _docx_header(render(data, "docx").content)


def test_an_approval_late_in_the_evening_is_dated_by_the_programme_s_own_day():
    # 20:30 UTC is already the next day in Almaty: the report names the day people saw.
    programme = Programme.objects.filter(is_active=True).order_by("code").first()
    _approve_all(programme)
    RegionQuarterTransition.objects.filter(region_quarter__programme=programme).update(
        at=datetime(2024, 10, 7, 20, 30, tzinfo=UTC)
    )
    data = _build(programme)
    assert data.approval["approvals"]
    assert {a["at"] for a in data.approval["approvals"]} == {"2024-10-08"}


def test_an_old_snapshot_without_approval_loads_and_is_not_marked():
    programme = Programme.objects.filter(is_active=True).order_by("code").first()
    old = _build(programme).to_json()
    del old["approval"]
    data = ReportData.from_json(old)
    assert data.approval == {} and not data.is_draft
    assert "-draft" not in render(data, "xlsx").filename
