"""Issue 17 (3): one rule locks a reported event and every event of an approved region-quarter
for coordinators, and every write path asks it: the pages and their htmx fragments, the
spreadsheet import (upload, confirm, the write itself), merges, new or moved events and the
public feedback form. A refused write changes nothing and says why."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from accounts.models import User
from accounts.scope import scope_for
from core import periods
from participants.imports.apply import EventNotEditable, apply_plan
from participants.imports.parse import read_table
from participants.imports.services import confirm_import, start_import
from participants.imports.validate import build_plan
from participants.models import Attendance, Enrolment, Feedback, ImportBatch, Participant
from trainings.models import RegionQuarter, Session, TrainingEvent
from trainings.selectors import can_edit_event, edit_refusal

from .data.imports.samples import BEYNEU, csv_bytes
from .factories import EnrolmentFactory, ParticipantFactory

pytestmark = pytest.mark.django_db

QUARTER_LOCKED = "approved and locked"
REPORTED_LOCKED = "reported and locked"


def text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def beyneu() -> TrainingEvent:
    return TrainingEvent.objects.select_related("region").get(title=BEYNEU)


@pytest.fixture
def held() -> TrainingEvent:
    """A held Mangystau event of the demo with people, sessions and attendance."""
    return (
        TrainingEvent.objects.filter(
            region__code="KZ-47",
            status=TrainingEvent.Status.HELD,
            enrolments__attendances__isnull=False,
        )
        .select_related("region")
        .order_by("pk")
        .first()
    )


@pytest.fixture
def coord() -> User:
    return User.objects.get(username="coord.mangystau")


def approve_quarter_of(event: TrainingEvent) -> RegionQuarter:
    return RegionQuarter.objects.create(
        programme=event.programme,
        region=event.region,
        quarter=periods.quarter_of(event.end_date).key,
        status=RegionQuarter.Status.APPROVED,
    )


def snapshot() -> tuple:
    return (
        Participant.objects.count(),
        Enrolment.objects.count(),
        Attendance.objects.count(),
        Feedback.objects.count(),
        Session.objects.count(),
        ImportBatch.objects.count(),
        TrainingEvent.objects.count(),
    )


def test_an_approved_quarter_locks_its_events_for_coordinators_only(beyneu, coord):
    assert can_edit_event(scope_for(coord), beyneu)
    approve_quarter_of(beyneu)
    beyneu = TrainingEvent.objects.get(pk=beyneu.pk)
    assert QUARTER_LOCKED in edit_refusal(scope_for(coord), beyneu)
    assert "2024 Q4" in edit_refusal(scope_for(coord), beyneu)
    assert can_edit_event(scope_for(User.objects.get(username="undp.staff")), beyneu)


def test_another_quarter_or_programme_stays_open(beyneu, coord):
    RegionQuarter.objects.create(
        programme=beyneu.programme,
        region=beyneu.region,
        quarter="2024Q3",
        status=RegionQuarter.Status.APPROVED,
    )
    RegionQuarter.objects.create(
        programme=beyneu.programme,
        region=beyneu.region,
        quarter="2024Q4",
        status=RegionQuarter.Status.SUBMITTED,
    )
    assert can_edit_event(scope_for(coord), beyneu)


@pytest.mark.parametrize("lock", ["quarter", "reported"])
def test_a_spreadsheet_import_into_a_locked_event_changes_nothing_and_says_why(
    client, login_as, beyneu, coord, lock
):
    previewed = start_import(event=beyneu, data=csv_bytes(), filename="s.csv", user=coord)
    assert previewed.status == ImportBatch.Status.PREVIEW
    plan = build_plan(read_table(csv_bytes(), "s.csv"), beyneu, scope_for(coord))
    if lock == "quarter":
        approve_quarter_of(beyneu)
        why = QUARTER_LOCKED
    else:
        TrainingEvent.objects.filter(pk=beyneu.pk).update(status=TrainingEvent.Status.REPORTED)
        why = REPORTED_LOCKED
    beyneu = TrainingEvent.objects.get(pk=beyneu.pk)
    before = snapshot()

    login_as(coord)
    page = client.get(reverse("imports:upload", args=[beyneu.pk]), follow=True)
    assert why in text(page) and "Nothing was imported" in text(page)
    with pytest.raises(Exception, match=why):
        start_import(event=beyneu, data=csv_bytes(), filename="s.csv", user=coord)
    confirm = client.post(reverse("imports:batch_confirm", args=[previewed.pk]), follow=True)
    assert why in text(confirm)
    # The worker path, and the write itself on the locked row.
    assert why in confirm_import(previewed).message
    with pytest.raises(EventNotEditable):
        apply_plan(plan, beyneu, coord, scope=scope_for(coord))
    assert snapshot() == before


def _write_paths(event: TrainingEvent, enrolment: Enrolment, session: Session):
    """Every page that changes an event's records, as (method, url, data)."""
    e = event.pk
    return [
        ("post", reverse("trainings:event_edit", args=[e]), {"title": "Changed"}),
        ("post", reverse("trainings:event_delete", args=[e]), {}),
        ("post", reverse("trainings:event_mark_reported", args=[e]), {}),
        ("post", reverse("trainings:event_sessions", args=[e]), {"date": "2024-11-12"}),
        ("post", reverse("trainings:sessions_per_day", args=[e]), {}),
        ("post", reverse("trainings:session_edit", args=[session.pk]), {"title": "X"}),
        ("post", reverse("trainings:session_delete", args=[session.pk]), {}),
        ("post", reverse("participants:roster_add", args=[e]), {"person": enrolment.pk}),
        ("post", reverse("participants:roster_new", args=[e]), {"full_name": "New Person"}),
        (
            "post",
            reverse("participants:roster_remove", args=[e, enrolment.pk]),
            {},
        ),
        (
            "post",
            reverse("participants:attendance_toggle", args=[e]),
            {"enrolment": enrolment.pk, "session": session.pk},
        ),
        (
            "post",
            reverse("participants:attendance_all_present", args=[e]),
            {"session": session.pk},
        ),
        ("post", reverse("participants:attendance_grid", args=[e]), {}),
        ("post", reverse("participants:event_feedback_toggle", args=[e]), {"open": "0"}),
        ("post", reverse("participants:event_feedback_entry", args=[e]), {"satisfaction": "5"}),
        ("post", reverse("participants:event_scores_entry", args=[e]), {}),
    ]


def test_every_write_path_refuses_the_coordinator_with_the_reason(client, login_as, held, coord):
    enrolment = held.enrolments.select_related("participant").first()
    session = held.sessions.first()
    title, feedback_open = held.title, held.feedback_open
    approve_quarter_of(held)
    before = snapshot()
    login_as(coord)
    for method, url, data in _write_paths(held, enrolment, session):
        response = getattr(client, method)(url, data, follow=True)
        assert response.status_code in (200, 403), url
        assert QUARTER_LOCKED in text(response), url
    held.refresh_from_db()
    assert (held.title, held.feedback_open) == (title, feedback_open)
    assert snapshot() == before

    # The public feedback form is closed too: the quarter's figures are final.
    form = client.get(reverse("feedback:form", args=[held.feedback_token]))
    assert "feedback/closed.html" in [t.name for t in form.templates]


def test_a_merge_that_would_move_records_of_a_locked_event_is_refused(
    client, login_as, held, coord
):
    kept = ParticipantFactory(region=held.region, full_name="Kept Record")
    removed = held.enrolments.first().participant
    approve_quarter_of(held)
    login_as(coord)
    url = reverse("participants:person_merge", args=[kept.pk])
    preview = client.get(url, {"other": removed.pk, "keep": kept.pk})
    assert QUARTER_LOCKED in text(preview)
    client.post(url, {"other": removed.pk, "keep": kept.pk})
    assert Participant.objects.filter(pk=removed.pk).exists()


def test_a_coordinator_cannot_create_or_move_an_event_into_an_approved_quarter(
    client, login_as, beyneu, coord
):
    other = TrainingEvent.objects.filter(region=beyneu.region).exclude(
        end_date__range=(
            periods.quarter_of(beyneu.end_date).start,
            periods.quarter_of(beyneu.end_date).end,
        )
    )
    other = other.filter(programme=beyneu.programme, status=TrainingEvent.Status.HELD).first()
    assert other is not None
    approve_quarter_of(beyneu)
    login_as(coord)
    edit = client.get(reverse("trainings:event_edit", args=[other.pk]))
    form = edit.context["form"]
    data = {
        name: form.initial.get(name) for name in form.fields if form.initial.get(name) is not None
    }
    for name in ("topics", "facilitators", "host_partners", "implementing_partners"):
        data[name] = [getattr(x, "pk", x) for x in data.get(name, [])]
    for name in ("programme", "region", "district", "activity_line"):
        if name in data:
            data[name] = getattr(data[name], "pk", data[name])
    data.update(start_date=beyneu.start_date, end_date=beyneu.end_date)
    response = client.post(reverse("trainings:event_edit", args=[other.pk]), data)
    assert QUARTER_LOCKED in text(response)
    other.refresh_from_db()
    assert other.end_date != beyneu.end_date


def test_staff_keep_write_access_to_an_approved_quarter(beyneu):
    approve_quarter_of(beyneu)
    staff = User.objects.get(username="undp.staff")
    enrolment = EnrolmentFactory(event=beyneu)
    batch = start_import(event=beyneu, data=csv_bytes(), filename="s.csv", user=staff)
    assert confirm_import(batch, user=staff).status == ImportBatch.Status.DONE
    assert enrolment.pk


def test_a_refused_change_says_the_reason_once_and_offers_no_import(login_as, beyneu, coord):
    """A coordinator's change to an event of an approved quarter comes back to the event page
    with the lock's reason said once (not as a message and again in a box), and the page offers
    no spreadsheet import (it would be refused)."""
    approve_quarter_of(beyneu)
    reason = edit_refusal(scope_for(coord), TrainingEvent.objects.get(pk=beyneu.pk))
    client = login_as(coord)
    page = text(client.post(reverse("trainings:event_mark_held", args=[beyneu.pk]), follow=True))
    assert page.count(str(reason)) == 1, page.count(str(reason))
    assert reverse("imports:upload", args=[beyneu.pk]) not in page
    # Staff may still change it: the import is offered to them.
    staff = text(login_as("undp.staff").get(beyneu.get_absolute_url()))
    assert reverse("imports:upload", args=[beyneu.pk]) in staff
