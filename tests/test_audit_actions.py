"""Actions the model history does not show are recorded with who, when and what: event status
changes, merges of two records of a person, downloads of report files and of exports holding
people's names; administrators find them on the audit page of the record and of the user."""

from __future__ import annotations

import html
from datetime import date

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import SecurityEvent, User
from participants.models import Attendance
from participants.services import merge_people
from regions.models import Region
from reports.models import ReportFile, ReportRun
from trainings.models import Session, TrainingEvent

from .factories import EnrolmentFactory, EventFactory, ParticipantFactory, PartnerFactory, region

pytestmark = pytest.mark.django_db


def user(name: str) -> User:
    return User.objects.get(username=name)


def audit_page(login_as, **params) -> str:
    response = login_as("admin").get(reverse("accounts:audit_log"), params)
    assert response.status_code == 200
    return html.unescape(response.content.decode())


def held_event() -> TrainingEvent:
    event = EventFactory(region=region("KZ-47"), status=TrainingEvent.Status.PLANNED)
    session = Session.objects.create(event=event, date=event.start_date, title="Day 1")
    Attendance.objects.create(enrolment=EnrolmentFactory(event=event), session=session)
    return event


def test_status_changes_are_recorded_and_shown_on_the_event_and_user_pages(client, login_as):
    event = held_event()
    login_as("coord.mangystau")
    started = timezone.now()
    client.post(reverse("trainings:event_mark_held", args=[event.pk]))
    client.post(reverse("trainings:event_mark_reported", args=[event.pk]))
    login_as("undp.staff")
    client.post(reverse("trainings:event_unlock", args=[event.pk]), {"reason": "sheet missing"})

    recorded = SecurityEvent.objects.filter(
        object_type="trainings.trainingevent", object_id=event.pk
    )
    assert [(e.kind, e.username, e.detail["action"], e.detail["new"]) for e in recorded] == [
        ("event_status", "undp.staff", "event_unlocked", "held"),
        ("event_status", "coord.mangystau", "event_reported", "reported"),
        ("event_status", "coord.mangystau", "event_held", "held"),
    ]
    assert all(e.at >= started and e.user is not None for e in recorded)
    assert recorded[0].detail["reason"] == "sheet missing"

    page = audit_page(login_as, model="trainings.trainingevent", object_id=event.pk)
    assert "Other recorded actions" in page
    assert page.count("Event status changed") == 3
    line = f"action: event_unlocked; event_id: {event.pk}; new: held; old: reported; reason: sheet"
    assert line in page
    coordinator = user("coord.mangystau")
    page = audit_page(login_as, user=coordinator.pk)
    assert "action: event_reported" in page and "event_unlocked" not in page
    security = client.get(reverse("accounts:security_log"), {"kind": "event_status"})
    assert html.unescape(security.content.decode()).count("Event status changed") >= 3


def test_a_merge_is_recorded_and_shown_on_both_records_pages(login_as):
    keep = ParticipantFactory(full_name="Асель Омарова", birth_year=1995)
    remove = ParticipantFactory(full_name="Омарова Асель", birth_year=1995, iin_hash=None)
    EnrolmentFactory(participant=remove)
    admin = user("admin")
    started = timezone.now()
    merge_people(keep=keep, remove=remove, by=admin)

    merged = SecurityEvent.objects.get(kind=SecurityEvent.Kind.PERSON_MERGED)
    assert merged.user == admin and merged.username == "admin" and merged.at >= started
    assert (merged.object_type, merged.object_id) == ("participants.participant", keep.pk)
    assert merged.detail["removed_id"] == remove.pk and merged.detail["enrolments_moved"] == 1
    assert merged.get_kind_display() == "Two records of a person merged"
    assert "Омарова" not in merged.object_repr  # the audit names records by id only

    for pk in (keep.pk, remove.pk):
        page = audit_page(login_as, model="participants.participant", object_id=pk)
        assert "Two records of a person merged" in page, pk
    assert "Two records of a person merged" in audit_page(login_as, user=admin.pk)


@pytest.fixture
def done_run() -> ReportRun:
    run = ReportRun.objects.create(
        requested_by=user("coord.mangystau"),
        period_label="2024Q3",
        period_start=date(2024, 7, 1),
        period_end=date(2024, 9, 30),
        formats=["csv"],
        status=ReportRun.Status.DONE,
    )
    run.regions.set([Region.objects.get(code="KZ-47")])
    stored = ReportFile(run=run, format="csv")
    stored.file.save(f"run{run.pk}-report-tables.zip", ContentFile(b"PK-not-really"), save=True)
    return run


def test_every_report_file_download_is_recorded(client, login_as, done_run):
    url = reverse("reports:run_download", args=[done_run.pk, "csv"])
    started = timezone.now()
    for name in ("viewer", "coord.mangystau", "viewer"):
        login_as(name)
        response = client.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == b"PK-not-really"
    downloads = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.REPORT_DOWNLOADED)
    assert [e.username for e in downloads] == ["viewer", "coord.mangystau", "viewer"]
    assert all(e.at >= started and e.user == user(e.username) for e in downloads)
    latest = downloads.first()
    assert (latest.object_type, latest.object_id) == ("reports.reportrun", done_run.pk)
    assert latest.detail == {"what": "report", "format": "csv", "file": "report-tables.zip"}
    assert latest.ip_address == "127.0.0.1"

    # A refused download (another region's coordinator) is not a download.
    login_as("coord.kyzylorda")
    assert client.get(url).status_code == 404
    assert downloads.count() == 3

    page = audit_page(login_as, model="reports.reportrun", object_id=done_run.pk)
    assert page.count("Report or export downloaded") == 3
    page = audit_page(login_as, user=user("viewer").pk)
    assert page.count("Report or export downloaded") == 2


def test_exports_with_names_are_recorded_without_the_search_text(client, login_as):
    event = held_event()
    login_as("coord.mangystau")
    people = reverse("imports:export_participants", args=["csv"])
    assert client.get(people, {"q": "Омарова", "sex": "F"}).status_code == 200
    attendance = reverse("imports:export_attendance", args=["xlsx"])
    assert client.get(attendance, {"event": event.pk}).status_code == 200
    assert client.get(reverse("imports:export_attendance", args=["csv"])).status_code == 200
    events = reverse("imports:export_events", args=["csv"])
    assert client.get(events).status_code == 200  # no names in it: not recorded

    partner = PartnerFactory()
    login_as("admin")
    partner_url = reverse("manage:partner_detail", args=[partner.pk])
    assert client.get(partner_url, {"export": "csv", "list": "people"}).status_code == 200

    downloads = list(
        SecurityEvent.objects.filter(kind=SecurityEvent.Kind.REPORT_DOWNLOADED).order_by("pk")
    )
    assert [(e.username, e.detail["what"], e.detail["format"]) for e in downloads] == [
        ("coord.mangystau", "participants", "csv"),
        ("coord.mangystau", "attendance", "xlsx"),
        ("coord.mangystau", "attendance", "csv"),
        ("admin", "partner_people", "csv"),
    ]
    assert downloads[0].detail["filters"] == {"q": "…", "sex": "F"}
    assert "Омарова" not in str(downloads[0].detail)
    assert (downloads[1].object_type, downloads[1].object_id) == (
        "trainings.trainingevent",
        event.pk,
    )
    assert (downloads[3].object_type, downloads[3].object_id) == (
        "regions.partnerorganisation",
        partner.pk,
    )
