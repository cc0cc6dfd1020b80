"""An event cannot stay planned once people attended it (docs/decisions/0010): presence
recorded at a session dated today or earlier, from the attendance grid, by "all present", by a
spreadsheet import or by moving a session, makes a planned event held, audited like any status
change; a planned event whose attended sessions are all still to come stays planned until
their day (then the daily sweep holds it)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import SecurityEvent, User
from participants.imports.services import confirm_import, start_import
from participants.models import Attendance
from participants.services import mark_all_present, record_attendance
from trainings.models import Session, TrainingEvent
from trainings.services import hold_attended_events, update_session

from .data.imports.samples import BEYNEU, csv_bytes
from .factories import EnrolmentFactory, EventFactory, region

pytestmark = pytest.mark.django_db


def planned_event(start: dt.date, days: int = 2) -> TrainingEvent:
    event = EventFactory(
        region=region("KZ-47"),
        status=TrainingEvent.Status.PLANNED,
        start_date=start,
        end_date=start + dt.timedelta(days=days - 1),
    )
    for i in range(days):
        Session.objects.create(event=event, date=start + dt.timedelta(days=i), title=f"Day {i + 1}")
    return event


def status_changes(event: TrainingEvent) -> list[tuple[str, str, str]]:
    return list(
        SecurityEvent.objects.filter(detail__event_id=event.pk)
        .order_by("at", "pk")
        .values_list("username", "detail__action", "detail__new")
    )


def test_attendance_at_a_past_session_makes_the_planned_event_held(client, login_as):
    event = planned_event(dt.date(2024, 8, 13))
    enrolment = EnrolmentFactory(event=event)
    session = event.sessions.first()
    login_as("coord.mangystau")

    response = client.post(
        reverse("participants:attendance_toggle", args=[event.pk]),
        {"enrolment": enrolment.pk, "session": session.pk, "present": "1"},
    )

    assert response.status_code == 302
    event.refresh_from_db()
    assert event.status == TrainingEvent.Status.HELD
    assert status_changes(event) == [("coord.mangystau", "event_held_by_attendance", "held")]
    assert event.history.first().history_user.username == "coord.mangystau"
    # Marking more people present changes nothing more.
    record_attendance(enrolment=EnrolmentFactory(event=event), session=session)
    assert len(status_changes(event)) == 1


def test_the_attendance_form_and_all_present_hold_the_event_too(client, login_as):
    grid_event = planned_event(dt.date(2024, 8, 13))
    enrolment = EnrolmentFactory(event=grid_event)
    session = grid_event.sessions.first()
    login_as("coord.mangystau")
    client.post(
        reverse("participants:attendance_grid", args=[grid_event.pk]),
        {
            "shown_enrolment": [enrolment.pk],
            "shown_session": [session.pk],
            "p": [f"{enrolment.pk}-{session.pk}"],
        },
    )
    grid_event.refresh_from_db()
    assert grid_event.status == TrainingEvent.Status.HELD

    all_present = planned_event(dt.date(2024, 9, 2))
    EnrolmentFactory.create_batch(3, event=all_present)
    coordinator = User.objects.get(username="coord.mangystau")
    mark_all_present(session=all_present.sessions.last(), by=coordinator)
    all_present.refresh_from_db()
    assert all_present.status == TrainingEvent.Status.HELD
    assert status_changes(all_present) == [("coord.mangystau", "event_held_by_attendance", "held")]


def test_a_planned_event_whose_sessions_are_all_to_come_stays_planned():
    today = timezone.localdate()
    event = planned_event(today + dt.timedelta(days=10))
    enrolment = EnrolmentFactory(event=event)
    # Presence ticked ahead (a list of who is expected): nobody has attended yet.
    for session in event.sessions.all():
        record_attendance(enrolment=enrolment, session=session)
    event.refresh_from_db()
    assert event.status == TrainingEvent.Status.PLANNED
    assert status_changes(event) == []

    # Nothing moves before the first session's day; on that day the daily sweep holds it.
    assert hold_attended_events(today=today) == 0
    assert hold_attended_events(today=event.start_date) == 1
    event.refresh_from_db()
    assert event.status == TrainingEvent.Status.HELD
    assert status_changes(event) == [("", "event_held_by_attendance", "held")]


def test_moving_an_attended_session_to_a_past_day_holds_the_event():
    today = timezone.localdate()
    event = planned_event(today + dt.timedelta(days=3), days=1)
    session = event.sessions.get()
    record_attendance(enrolment=EnrolmentFactory(event=event), session=session)
    event.start_date = today - dt.timedelta(days=1)
    event.save()
    update_session(session=session, date=event.start_date)
    event.refresh_from_db()
    assert event.status == TrainingEvent.Status.HELD


def test_a_planned_event_without_attendance_or_only_absences_stays_planned():
    event = planned_event(dt.date(2024, 8, 13))
    enrolment = EnrolmentFactory(event=event)
    record_attendance(enrolment=enrolment, session=event.sessions.first(), present=False)
    event.refresh_from_db()
    assert event.status == TrainingEvent.Status.PLANNED
    assert hold_attended_events() == 0


def test_importing_attendance_holds_the_planned_event():
    event = TrainingEvent.objects.get(title=BEYNEU)  # demo: planned, 12-13.11.2024
    assert event.status == TrainingEvent.Status.PLANNED
    coordinator = User.objects.get(username="coord.mangystau")
    batch = confirm_import(
        start_import(event=event, data=csv_bytes(), filename="sheet.csv", user=coordinator)
    )
    assert batch.status == batch.Status.DONE, batch.message
    assert Attendance.objects.filter(session__event=event).exists()
    event.refresh_from_db()
    assert event.status == TrainingEvent.Status.HELD
    assert status_changes(event) == [("coord.mangystau", "event_held_by_attendance", "held")]


def test_the_command_holds_attended_planned_events_written_before_the_rule():
    event = planned_event(dt.date(2024, 8, 13))
    # A row written before this rule (or by a bulk path): attendance at a planned event.
    Attendance.objects.create(
        enrolment=EnrolmentFactory(event=event), session=event.sessions.first()
    )
    out = io.StringIO()
    call_command("hold_attended_events", stdout=out)
    assert out.getvalue().startswith("1 ")
    event.refresh_from_db()
    assert event.status == TrainingEvent.Status.HELD


def test_no_demo_event_is_planned_with_attendance():
    assert not TrainingEvent.objects.filter(
        status=TrainingEvent.Status.PLANNED, sessions__attendances__isnull=False
    ).exists()
    assert TrainingEvent.objects.filter(status=TrainingEvent.Status.HELD).count() == 5


def test_the_daily_sweep_is_scheduled(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert "trainings.hold_attended_events" in tasks
    from config.celery import app

    app.loader.import_default_modules()
    assert "trainings.hold_attended_events" in app.tasks
