"""The events held in a donor report: the PDF and DOCX sum them up per region and activity line
(so they do not grow with the number of events, issue 23), the full list is in the data annex
(the XLSX sheet "Event list", the CSV file of events). The summary is checked against the rows
themselves, counted in Python here, not through the report's queries."""

from __future__ import annotations

import io
import json
import zipfile
from collections import defaultdict
from datetime import date

import pytest
from docx import Document
from openpyxl import load_workbook

from participants.models import Attendance
from participants.services import enrol, record_attendance
from reports.builder import ReportData, build_report_data, resolve_programme
from reports.disclosure import protect_count
from reports.renderers import render
from trainings.models import Session, TrainingEvent

from .factories import EventFactory, ParticipantFactory, SessionFactory
from .test_report_formats import pdf_text

pytestmark = pytest.mark.django_db
Q3 = (date(2024, 7, 1), date(2024, 9, 30))


@pytest.fixture
def data(demo) -> ReportData:
    """The demo's 2024Q3 report after a second held event in the region and activity line of
    one of its events (two sessions; three of the first event's people again, six new ones,
    two of them men), so one row of the summary sums up two events and counts people once."""
    first = (
        TrainingEvent.objects.filter(
            status__in=("held", "reported"),
            end_date__range=Q3,
            activity_line__isnull=False,
            programme=resolve_programme(),
        )
        .order_by("start_date")
        .first()
    )
    second = EventFactory(
        programme=first.programme,
        title="Second event of the same line",
        region=first.region,
        district=first.district,
        activity_line=first.activity_line,
        event_type="workshop",
        status="held",
        start_date=date(2024, 9, 10),
        end_date=date(2024, 9, 11),
    )
    sessions = [SessionFactory(event=second, date=d) for d in (second.start_date, second.end_date)]
    again = [e.participant for e in first.enrolments.order_by("pk")[:3]]
    new = [ParticipantFactory(sex="M" if i < 2 else "F") for i in range(6)]
    for person in again + new:
        enrolment = enrol(person=person, event=second)
        for session in sessions:
            record_attendance(enrolment=enrolment, session=session)
    built = build_report_data(
        start=Q3[0], end=Q3[1], region_ids=None, language="en", period_label="2024Q3"
    )
    # As a stored snapshot: through JSON.
    return ReportData.from_json(json.loads(json.dumps(built.to_json())))


def expected_summary() -> dict[tuple[str, str], dict]:
    """Counted the slow way: every counted event, session and attendance row in Python."""
    programme = resolve_programme()
    events = [
        e
        for e in TrainingEvent.objects.select_related("region", "activity_line")
        if e.status in ("held", "reported")
        and Q3[0] <= e.end_date <= Q3[1]
        and e.programme_id == programme.pk
    ]
    ids = {e.pk: e for e in events}
    out: dict[tuple[str, str], dict] = defaultdict(
        lambda: {"events": 0, "sessions": 0, "people": set(), "women": set(), "days": []}
    )

    def key(e):
        return (e.region.code, e.activity_line.code if e.activity_line_id else "")

    for e in events:
        out[key(e)]["events"] += 1
        out[key(e)]["days"] += [e.start_date, e.end_date]
    for s in Session.objects.all():
        if s.event_id in ids:
            out[key(ids[s.event_id])]["sessions"] += 1
    for a in Attendance.objects.select_related("session", "enrolment__participant"):
        if a.session.event_id in ids:
            row = out[key(ids[a.session.event_id])]
            row["people"].add(a.enrolment.participant_id)
            if a.enrolment.participant.sex == "F":
                row["women"].add(a.enrolment.participant_id)
    return out


def test_the_summary_counts_events_sessions_and_unique_people_per_region_and_line(data):
    expected = expected_summary()
    got = {(r["region_code"], r["activity_code"]): r for r in data.event_summary}
    assert set(got) == set(expected)
    for key, want in expected.items():
        row = got[key]
        assert row["events"] == want["events"]
        assert row["sessions"] == want["sessions"]
        assert row["people"] == protect_count(len(want["people"]))
        assert row["women"] == protect_count(len(want["women"]))
        assert (row["first"], row["last"]) == (
            min(want["days"]).isoformat(),
            max(want["days"]).isoformat(),
        )
    assert sum(r["events"] for r in data.event_summary) == data.summary["events"]
    assert sum(r["sessions"] for r in data.event_summary) == data.summary["sessions"]
    # The row of two events: the three people at both are counted once.
    shared = next(r for r in data.event_summary if r["events"] == 2)
    at_its_events = [
        e["people"]
        for e in data.events
        if (e["region_code"], e["activity"]) == (shared["region_code"], shared["activity"])
    ]
    assert shared["people"] == sum(at_its_events) - 3
    assert {t["key"] for t in shared["types"]} >= {"workshop"}


def test_pdf_and_docx_show_the_summary_not_the_list(data):
    titles = [e["title"] for e in data.events]
    assert len(titles) == data.summary["events"] > len(data.event_summary)
    text = pdf_text(render(data, "pdf").content).replace("\n", " ")
    docx = Document(io.BytesIO(render(data, "docx").content))
    words = "\n".join(p.text for p in docx.paragraphs)
    cells = [[c.text for c in row.cells] for t in docx.tables for row in t.rows]
    for title in titles:
        assert title not in text
        assert title not in words and not any(title in c for row in cells for c in row)
    for row in data.event_summary:
        assert row["activity"] in text
    # The DOCX's table: one row per region and activity line, under its header.
    header = ["Region", "Activity line", "Event types", "Events", "Sessions"]
    table = next(
        rows
        for t in docx.tables
        if (rows := [[c.text for c in r.cells] for r in t.rows])[0][:5] == header
    )
    assert len(table) == 1 + len(data.event_summary)
    assert [(r[0], r[1], r[3], r[4]) for r in table[1:]] == [
        (s["region"], s["activity"], str(s["events"]), str(s["sessions"]))
        for s in data.event_summary
    ]
    assert "Event list" in text and "Event list" in words


def test_the_full_list_of_events_is_in_the_xlsx_and_csv_annex(data):
    book = load_workbook(io.BytesIO(render(data, "xlsx").content))
    assert book.sheetnames[-1] == "Event list"
    rows = list(book["Event list"].iter_rows(values_only=True))
    assert rows[0][:3] == ("Event", "Type", "Activity")
    assert sorted(r[0] for r in rows[1:]) == sorted(e["title"] for e in data.events)
    assert "Second event of the same line" in [r[0] for r in rows[1:]]
    summary = list(book["Events"].iter_rows(values_only=True))
    assert len(summary) == 1 + len(data.event_summary)
    archive = zipfile.ZipFile(io.BytesIO(render(data, "csv").content))
    names = archive.namelist()
    listed = next(n for n in names if n.endswith("-events.csv"))
    assert any(n.endswith("-events_summary.csv") for n in names)
    text = archive.read(listed).decode("utf-8-sig")
    assert all(e["title"] in text for e in data.events)


def test_a_snapshot_from_before_the_summary_still_lists_its_events(data):
    old = ReportData.from_json({k: v for k, v in data.to_json().items() if k != "event_summary"})
    assert old.event_summary is None
    text = pdf_text(render(old, "pdf").content).replace("\n", " ")
    assert "Second event of the same line" in text
    docx = Document(io.BytesIO(render(old, "docx").content))
    cells = {c.text for t in docx.tables for row in t.rows for c in row.cells}
    assert "Second event of the same line" in cells
