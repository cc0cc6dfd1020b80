"""One invisible character must not break a donor report, nor show a name reversed.

A vertical tab in an anonymous public feedback comment (Word's line break, pasted along) or an
escape character in an event title made the DOCX and XLSX writers refuse the whole report,
so the all-format report, the scheduled quarterly one included, failed on every retry. A
right-to-left override (U+202E) in a name makes it read backwards on every page and file.

Text is now cleaned on every way in (core/text_middleware.py for every form, the public form
and the admin; the import's cell reader; a pre_save guard for any other save) and every
renderer cleans what it is given anyway, so rows stored before the fix still render."""

from __future__ import annotations

import io
import json
import time
import zipfile
from datetime import date, datetime

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from docx import Document
from openpyxl import Workbook, load_workbook
from openpyxl.utils.exceptions import IllegalCharacterError

from accounts.models import User
from core.tabular import csv_lines, write_xlsx
from core.text import clean_data, clean_text
from participants.feedback_forms import started_token
from participants.imports.services import confirm_import, start_import
from participants.models import Feedback, Participant
from reports import services
from reports.builder import ReportData, build_report_data
from reports.models import ReportRun
from reports.renderers import FORMATS, render
from trainings.models import Topic, TrainingEvent

from .data.imports.samples import BEYNEU, HEADER_RU, ROWS, csv_bytes
from .test_report_formats import pdf_text

pytestmark = pytest.mark.django_db

VT_COMMENT = "Very useful training,\x0bthank you to the trainers"
ESC_TITLE = "Emotional intelligence\x1b[31m for police officers (Kyzylorda)"
RLO_NAME = "Ali \u202eveyeboK"  # shows as "Ali Kobeyev" reversed: the stored text differs


@pytest.fixture
def event(demo) -> TrainingEvent:
    return TrainingEvent.objects.get(
        title__startswith="Emotional intelligence for police officers (Kyzylorda)"
    )


def store_bypassing_every_guard(event: TrainingEvent) -> Feedback:
    """An approved, consented public comment holding a vertical tab and an event title holding
    an escape, written as rows stored before the fix would be (QuerySet.update sends no
    pre_save, so the guard does not see it)."""
    feedback = Feedback.objects.create(
        event=event,
        satisfaction=5,
        relevance=5,
        usefulness=5,
        intent_to_apply=5,
        source=Feedback.Source.ONLINE,
        consent_to_quote=True,
    )
    Feedback.objects.filter(pk=feedback.pk).update(
        comments=VT_COMMENT,
        quote_text_reviewed=VT_COMMENT,
        quote_status=Feedback.QuoteStatus.APPROVED,
        submitted_at=timezone.make_aware(datetime(2024, 7, 1, 9)),
    )
    TrainingEvent.objects.filter(pk=event.pk).update(title=ESC_TITLE)
    assert Feedback.objects.get(pk=feedback.pk).comments == VT_COMMENT
    assert TrainingEvent.objects.get(pk=event.pk).title == ESC_TITLE
    return feedback


def report_data() -> ReportData:
    data = build_report_data(
        start=date(2024, 7, 1),
        end=date(2024, 9, 30),
        region_ids=None,
        language="en",
        period_label="2024Q3",
    )
    return ReportData.from_json(json.loads(json.dumps(data.to_json())))


def file_text(fmt: str, content: bytes) -> str:
    """The text a reader of the file sees."""
    if fmt == "pdf":
        return pdf_text(content)
    if fmt == "docx":
        doc = Document(io.BytesIO(content))
        cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
        return "\n".join([p.text for p in doc.paragraphs] + cells)
    if fmt == "xlsx":
        book = load_workbook(io.BytesIO(content))
        return "\n".join(
            str(v) for s in book.worksheets for row in s.iter_rows(values_only=True) for v in row
        )
    if fmt == "csv":
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            return "\n".join(archive.read(n).decode("utf-8") for n in archive.namelist())
    return content.decode("utf-8")


# The function -------------------------------------------------------------------------------
def test_cleaning_removes_controls_and_bidi_overrides_and_keeps_every_letter():
    kept = "Нұрланов Асқар – Рахмет! Ілияс Ғалым Ңң Өө Ұұ Үү Һһ Іі, Smith & O'Brien 😊\tok\nnext"
    assert clean_text(kept) is kept
    assert clean_text("a\x00b\x1b[31mc\x7fd\x9be") == "ab[31mcde"
    assert clean_text("line\x0bbreak\x0cpage\x85nel") == "line\nbreak\npage\nnel"
    assert clean_text("win\r\nmac\rend") == "win\nmac\nend"
    assert clean_text(RLO_NAME) == "Ali veyeboK"
    for control in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c":
        assert clean_text(f"a{control}b") == "ab", repr(control)
    assert clean_text("a\u200db\u200cc") == "a\u200db\u200cc"  # joiners stay (scripts, emoji)
    assert clean_text("a\ufffeb\uffff") == "ab"
    assert clean_data({"k\x0b": ["v\x1b", 3, None, ("t\x00",)]}) == {"k\n": ["v", 3, None, ("t",)]}


# Reports ------------------------------------------------------------------------------------
def test_a_stored_vertical_tab_and_escape_no_longer_break_any_report_format(event):
    from reports.renderers import docx as docx_renderer

    store_bypassing_every_guard(event)
    data = report_data()
    quotes = [q["text"] for q in data.quotes]
    assert VT_COMMENT in quotes, quotes  # the snapshot holds the raw text as stored
    # The fault as reported: the DOCX and XLSX writers refuse the raw text.
    with pytest.raises(ValueError):
        docx_renderer.render(data)
    with pytest.raises(IllegalCharacterError):  # what the XLSX writer was given before
        Workbook().active.append([VT_COMMENT])

    for fmt in FORMATS:
        content = render(data, fmt).content
        text = file_text(fmt, content)
        assert "\x0b" not in text and "\x1b" not in text, fmt
        if fmt in ("docx", "xlsx", "csv"):
            assert "thank you to the trainers" in text, fmt
        if fmt in ("xlsx", "csv"):  # the list of events is in the data annex only (issue 23)
            assert "Emotional intelligence[31m for police officers" in text, fmt


def test_the_quarterly_report_in_every_format_is_built_despite_stored_control_characters(
    event, django_capture_on_commit_callbacks
):
    store_bypassing_every_guard(event)
    with django_capture_on_commit_callbacks(execute=True):
        run = services.draft_quarterly_report(today=date(2024, 10, 2))
    run.refresh_from_db()
    assert run.status == ReportRun.Status.DONE, run.error
    assert sorted(f.format for f in run.files.all()) == sorted(services.available_formats())
    for report_file in run.files.all():
        with report_file.file.open("rb") as handle:
            text = file_text(report_file.format, handle.read())
        assert "\x0b" not in text and "\x1b" not in text, report_file.format
    # The files are rendered from a cleaned copy of the snapshot: the snapshot itself keeps
    # the text as stored.
    assert VT_COMMENT in [quote["text"] for quote in run.snapshot["quotes"]]


def test_people_exports_hold_stored_control_characters_without_failing(client, login_as, demo):
    """A person saved before the fix with an escape and an override in the name: the CSV and
    XLSX exports of the list still download, with the name cleaned."""
    person = Participant.objects.filter(region__code="KZ-47").order_by("pk").first()
    Participant.objects.filter(pk=person.pk).update(full_name="Esc\x1baped \u202eName\x0b")
    login_as("undp.staff")
    for fmt in ("xlsx", "csv"):
        response = client.get(reverse("imports:export_participants", kwargs={"fmt": fmt}))
        assert response.status_code == 200
        body = b"".join(response.streaming_content)
        text = file_text(fmt, body) if fmt == "xlsx" else body.decode("utf-8")
        assert "Escaped Name" in text, fmt
        assert "\x1b" not in text and "\u202e" not in text and "\x0b" not in text, fmt


def test_the_spreadsheet_writers_drop_controls_but_still_neutralise_formulas():
    rows = [("a\x0b=cmd|' /C calc'!A0",), ("\x1b\u202eok",)]
    buffer = io.BytesIO()
    write_xlsx([("S", ["h"], rows)], buffer)
    buffer.seek(0)
    values = [r[0] for r in load_workbook(buffer)["S"].iter_rows(min_row=2, values_only=True)]
    assert values == ["a\n=cmd|' /C calc'!A0", "ok"]
    assert "'=1+1" in "".join(csv_lines(["h"], [("\x00=1+1",)]))


# Every way in -------------------------------------------------------------------------------
def test_a_public_feedback_comment_is_stored_without_control_characters(client, event):
    cache.clear()  # the form's rate limiter
    url = reverse("feedback:form", args=[event.feedback_token])
    client.get(url)
    answers = {
        "satisfaction": "5",
        "relevance": "4",
        "usefulness": "4",
        "intent_to_apply": "5",
        "most_useful": "Role\u202eplays",
        "comments": VT_COMMENT + "\x00\x1b",
        "consent_to_quote": "on",
        "website": "",
        "started": started_token(time.time() - 60, event=event),
    }
    response = client.post(url, answers)
    cache.clear()
    assert response.status_code == 302
    stored = Feedback.objects.filter(event=event).order_by("-pk").first()
    assert stored.comments == "Very useful training,\nthank you to the trainers"
    assert stored.most_useful == "Roleplays"


def test_a_paper_feedback_form_typed_by_a_coordinator_is_stored_clean(client, login_as, demo):
    event = (
        TrainingEvent.objects.filter(region__code="KZ-47", enrolments__isnull=False)
        .exclude(status=TrainingEvent.Status.REPORTED)
        .order_by("pk")
        .first()
    )
    login_as("coord.mangystau")
    url = reverse("participants:event_feedback_entry", kwargs={"event_pk": event.pk})
    before = set(Feedback.objects.filter(event=event).values_list("pk", flat=True))
    response = client.post(
        url,
        {
            "enrolment": "",
            "satisfaction": "4",
            "relevance": "4",
            "usefulness": "4",
            "intent_to_apply": "4",
            "comments": "Paper\x0bform\x1b",
            "consent_to_quote": "",
        },
    )
    assert response.status_code in (200, 302)
    added = Feedback.objects.filter(event=event).exclude(pk__in=before)
    assert [f.comments for f in added] == ["Paper\nform"]


def test_a_name_with_a_right_to_left_override_is_stored_and_shown_without_it(
    client, login_as, demo
):
    person = Participant.objects.filter(region__code="KZ-47").order_by("pk").first()
    login_as("coord.mangystau")
    form = {
        "full_name": RLO_NAME,
        "sex": person.sex,
        "birth_year": str(person.birth_year),
        "region": person.region_id,
        "category": person.category_id,
        "organisation_name": "ЦМИ\u2067",
    }
    response = client.post(reverse("participants:person_edit", args=[person.pk]), form)
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.full_name == "Ali veyeboK"
    assert person.organisation_name == "ЦМИ"
    for url in (
        person.get_absolute_url(),
        reverse("participants:person_list") + "?q=veyeboK",
        reverse("participants:person_list") + "?q=%E2%80%AEveyeboK",
    ):
        html = client.get(url).content.decode()
        assert "Ali veyeboK" in html, url
        assert "\u202e" not in html and "\u2067" not in html, url


def test_the_django_admin_stores_text_without_control_characters(client, login_as, demo):
    login_as("admin")
    response = client.post(
        reverse("admin:trainings_topic_add"),
        {"name": "Media\x0bliteracy\x1b \u202edrowkrow", "is_active": "on", "_save": "Save"},
    )
    assert response.status_code == 302
    assert Topic.objects.filter(name="Media\nliteracy drowkrow").exists()


def test_a_save_outside_any_request_is_cleaned_by_the_model_guard(demo):
    """Services called by management commands, tasks or the shell: the pre_save guard."""
    topic = Topic.objects.create(name="Shell\x1b entry \u202e")
    topic.refresh_from_db()
    assert topic.name == "Shell entry "
    assert topic.history.first().name == "Shell entry "


def test_an_import_cell_with_a_vertical_tab_is_cleaned(demo):
    event = TrainingEvent.objects.get(title=BEYNEU)
    coord = User.objects.get(username="coord.mangystau")
    rows = [list(r) for r in ROWS]
    rows[0][0] = "Әбілқасымова\x0b Гүлнұр\u202e"
    rows[1][3] = "ЖРО\x1b Бейнеу"
    batch = start_import(
        event=event, data=csv_bytes(header=HEADER_RU, rows=rows), filename="s.csv", user=coord
    )
    assert batch.status == batch.Status.PREVIEW, batch.errors
    assert "\x0b" not in json.dumps(batch.preview, ensure_ascii=False)
    batch = confirm_import(batch)
    assert batch.status == batch.Status.DONE, batch.message
    names = set(event.enrolments.values_list("participant__full_name", flat=True))
    assert "Әбілқасымова\n Гүлнұр" in names or "Әбілқасымова Гүлнұр" in names
    assert not Participant.objects.filter(full_name__contains="\x0b").exists()
    assert not Participant.objects.filter(full_name__contains="\u202e").exists()
    assert not Participant.objects.filter(organisation_name__contains="\x1b").exists()


def test_a_password_is_checked_exactly_as_typed(client, demo):
    """The middleware leaves password fields alone: a password holding a character it removes
    elsewhere still works, and a wrong one that differs only by it does not."""
    user = User.objects.get(username="undp.staff")
    user.set_password("pass\u200fword-\x1b-2024!")
    user.save()
    url = reverse("login")
    wrong = client.post(url, {"username": "undp.staff", "password": "password--2024!"})
    assert wrong.status_code == 200 and "_auth_user_id" not in client.session
    right = client.post(url, {"username": "undp.staff", "password": "pass\u200fword-\x1b-2024!"})
    assert right.status_code == 302 and "_auth_user_id" in client.session
