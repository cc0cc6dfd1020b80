"""Issue 17 (1, 2, 3): a region's quarter is submitted by its coordinator, returned with a
comment or approved by programme staff, locked once approved and unlocked with a reason; the
completeness checklist says what is missing, blocking items block and warnings ask for
confirmation. The whole cycle, through the pages as each person would do it."""

from __future__ import annotations

import html
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import SecurityEvent, User
from accounts.scope import scope_for
from closing.completeness import quarter_checklists
from closing.services import approve_quarter, return_quarter, submit_quarter, unlock_quarter
from core import periods
from participants.imports.services import start_import
from participants.models import Attendance, Enrolment, ImportBatch
from participants.services import (
    enrol,
    record_attendance,
    record_consent,
    record_feedback,
    record_scores,
)
from regions.models import Region
from trainings.models import RegionQuarter, TrainingEvent

from .data.imports.samples import csv_bytes
from .factories import EventFactory, ParticipantFactory, SessionFactory

pytestmark = pytest.mark.django_db

Q3 = periods.parse("2024Q3")


def text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def coord() -> User:
    return User.objects.get(username="coord.mangystau")


@pytest.fixture
def staff() -> User:
    return User.objects.get(username="undp.staff")


@pytest.fixture
def mangystau() -> Region:
    return Region.objects.get(code="KZ-47")


@pytest.fixture
def event(mangystau) -> TrainingEvent:
    """A training of a programme of its own in Mangystau, 13-15 August 2024 (2024 Q3), not
    yet recorded: still planned after its dates, with one session and nobody on it."""
    event = EventFactory(region=mangystau, title="Aktau youth workers training")
    SessionFactory(event=event, date=event.start_date, title="Day 1")
    return event


def page_url(event) -> str:
    return reverse("closing:region_quarter", args=[event.programme_id, "2024Q3", event.region_id])


def test_the_whole_cycle(client, login_as, event, coord, staff, mangystau):
    url = page_url(event)
    login_as(coord)

    # 1. Planned after its dates: blocks. The page shows it, linked to the attendance page.
    page = text(client.get(url))
    assert "still planned" in page
    assert reverse("participants:attendance_grid", args=[event.pk]) in page
    assert "Submit for approval" not in page
    response = client.post(url, {"action": "submit", "confirm_warnings": "on"})
    assert "Fix these first" in text(response)
    assert not RegionQuarter.objects.filter(programme=event.programme).exists() or (
        RegionQuarter.objects.get(programme=event.programme).status == RegionQuarter.Status.OPEN
    )

    # 2. Attendance recorded (the event becomes held): only warnings are left.
    person = ParticipantFactory(region=mangystau)
    enrolment = enrol(person=person, event=event)
    record_attendance(enrolment=enrolment, session=event.sessions.get(), by=coord)
    event.refresh_from_db()
    assert event.status == TrainingEvent.Status.HELD
    page = text(client.get(url))
    for warning in ("no consent on file", "has no feedback", "no post-test", "narrative"):
        assert warning in page, warning
    assert "Submit for approval" in page

    # Warnings ask for confirmation; confirmed, the quarter is submitted.
    response = client.post(url, {"action": "submit"})
    assert "confirm that you submit" in text(response)
    response = client.post(
        url,
        {"action": "submit", "comment": "Feedback forms follow", "confirm_warnings": "on"},
        follow=True,
    )
    assert "is submitted" in text(response)
    rq = RegionQuarter.objects.get(programme=event.programme, region=mangystau, quarter="2024Q3")
    assert rq.status == RegionQuarter.Status.SUBMITTED
    assert can_change(coord, event)  # submitted is not locked yet

    # 3. Staff return it with a comment (a comment is required).
    login_as(staff)
    page = text(client.get(url))
    assert "Approve and lock" in page and "Feedback forms follow" in page
    response = client.post(url, {"action": "return", "comment": "  "})
    assert "Say what must be fixed" in text(response)
    client.post(url, {"action": "return", "comment": "Please add the feedback and post-tests."})
    rq.refresh_from_db()
    assert rq.status == RegionQuarter.Status.RETURNED

    # 4. The coordinator reads the comment, fixes it and resubmits.
    login_as(coord)
    page = text(client.get(url))
    assert "Please add the feedback and post-tests." in page
    record_consent(person=person, given=True, given_on=date(2024, 8, 13), version="1")
    record_feedback(
        event=event,
        enrolment=enrolment,
        source="paper",
        **dict.fromkeys(("satisfaction", "relevance", "usefulness", "intent_to_apply"), 5),
    )
    record_scores(enrolment=enrolment, pre_score=40, post_score=80)
    page = text(client.get(url))
    assert "no consent on file" not in page and "has no feedback" not in page
    client.post(url, {"action": "submit", "confirm_warnings": "on"})  # the narrative is missing
    rq.refresh_from_db()
    assert rq.status == RegionQuarter.Status.SUBMITTED

    # 5. Staff approve: the quarter's events lock for the coordinator.
    login_as(staff)
    response = client.post(url, {"action": "approve", "comment": "Thank you"}, follow=True)
    assert "approved and locked" in text(response)
    rq.refresh_from_db()
    assert rq.status == RegionQuarter.Status.APPROVED

    # 6. Every way in refuses the coordinator, and says why.
    login_as(coord)
    assert not can_change(coord, event)
    session = event.sessions.get()
    response = client.post(
        reverse("participants:attendance_toggle", args=[event.pk]),
        {"enrolment": enrolment.pk, "session": session.pk, "present": "0"},
    )
    assert response.status_code == 403 and "approved and locked" in text(response)
    assert Attendance.objects.filter(enrolment=enrolment).exists()
    response = client.get(reverse("trainings:event_edit", args=[event.pk]), follow=True)
    assert "approved and locked" in text(response)
    n = (Enrolment.objects.count(), ImportBatch.objects.count())
    with pytest.raises(ValidationError, match="approved and locked"):
        start_import(event=event, data=csv_bytes(), filename="s.csv", user=coord)
    assert (Enrolment.objects.count(), ImportBatch.objects.count()) == n
    page = text(client.get(url))
    assert "Submit for approval" not in page and "Unlock the quarter" not in page
    assert client.post(url, {"action": "unlock", "reason": "mine"}).status_code == 403

    # 7. Staff unlock it with a reason (required); it is open again, the coordinator edits.
    login_as(staff)
    response = client.post(url, {"action": "unlock", "reason": ""})
    assert "required" in text(response).lower()
    client.post(url, {"action": "unlock", "reason": "Two attendance sheets were found"})
    rq.refresh_from_db()
    assert rq.status == RegionQuarter.Status.OPEN
    login_as(coord)
    assert can_change(coord, event)
    response = client.post(
        reverse("participants:attendance_toggle", args=[event.pk]),
        {"enrolment": enrolment.pk, "session": session.pk, "present": "1"},
    )
    assert response.status_code == 302

    # 8. Submitted and approved again.
    submit_quarter(
        scope=scope_for(coord),
        programme=event.programme,
        region=mangystau,
        period=Q3,
        by=coord,
        confirm_warnings=True,
    )
    approve_quarter(
        scope=scope_for(staff), programme=event.programme, region=mangystau, period=Q3, by=staff
    )

    # The thread keeps every step, who and why; the audit log and the history too.
    steps = list(rq.transitions.values_list("from_status", "to_status", "by__username"))
    assert steps == [
        ("open", "submitted", "coord.mangystau"),
        ("submitted", "returned", "undp.staff"),
        ("returned", "submitted", "coord.mangystau"),
        ("submitted", "approved", "undp.staff"),
        ("approved", "open", "undp.staff"),
        ("open", "submitted", "coord.mangystau"),
        ("submitted", "approved", "undp.staff"),
    ]
    unlock = rq.transitions.get(to_status="open")
    assert unlock.comment == "Two attendance sheets were found"
    audit = SecurityEvent.objects.filter(
        kind=SecurityEvent.Kind.QUARTER_STATUS, object_id=rq.pk
    ).order_by("pk")
    assert [a.detail["action"] for a in audit] == [
        "quarter_submitted",
        "quarter_returned",
        "quarter_submitted",
        "quarter_approved",
        "quarter_unlocked",
        "quarter_submitted",
        "quarter_approved",
    ]
    assert audit[4].detail["comment"] == "Two attendance sheets were found"
    assert rq.history.first().history_user == staff
    page = text(client.get(url))
    assert "Two attendance sheets were found" in page


def can_change(user, event) -> bool:
    from trainings.selectors import can_edit_event

    return can_edit_event(scope_for(user), TrainingEvent.objects.get(pk=event.pk))


def test_only_staff_approve_return_or_unlock(event, coord, mangystau):
    keys = {"programme": event.programme, "region": mangystau, "period": Q3, "by": coord}
    from django.core.exceptions import PermissionDenied

    for step in (approve_quarter, unlock_quarter, return_quarter):
        extra = {"reason": "x"} if step is unlock_quarter else {}
        if step is return_quarter:
            extra = {"comment": "x"}
        with pytest.raises(PermissionDenied):
            step(scope=scope_for(coord), **keys, **extra)


def test_a_coordinator_cannot_submit_another_regions_quarter(client, login_as, event):
    login_as("coord.kyzylorda")
    assert client.get(page_url(event)).status_code == 404


def test_the_completeness_page_has_a_row_per_region_of_the_scope(
    client, login_as, event, django_assert_max_num_queries
):
    kyzylorda = Region.objects.get(code="KZ-43")
    EventFactory(programme=event.programme, region=kyzylorda, title="Kyzylorda camp")
    overview = reverse("closing:overview")
    query = {"programme": event.programme_id, "quarter": "2024Q3"}

    login_as("undp.staff")
    with django_assert_max_num_queries(20):
        response = client.get(overview, query)
    rows = response.context["checklists"]
    assert [row.region.code for row in rows] == ["KZ-43", "KZ-47"]
    page = text(response)
    assert page_url(event) in page and "still planned" in page

    login_as("coord.mangystau")
    rows = client.get(overview, query).context["checklists"]
    assert [row.region.code for row in rows] == ["KZ-47"]


def test_a_camp_expects_feedback_but_no_post_test(event, staff):
    TrainingEvent.objects.filter(pk=event.pk).update(
        event_type=TrainingEvent.Type.CAMP, status=TrainingEvent.Status.HELD
    )
    (row,) = quarter_checklists(scope_for(staff), programme=event.programme, period=Q3)
    texts = " ".join(item.text for item in row.items)
    assert "has no feedback" in texts and "post-test" not in texts
