"""Issue 17 (6): the quarterly close's mail, received by a real SMTP server started by the test
(tests/smtp.py). Programme staff hear that a region submitted, its coordinators that their
quarter was returned or approved: at once for those who turned the weekly digest off, in
Monday's digest (one mail each) for the others; coordinators of regions that have not
submitted are reminded a week before the quarter ends and three days after."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse

from accounts.models import Role, User
from accounts.scope import scope_for
from closing import notifications
from closing.models import Notification
from closing.services import approve_quarter, return_quarter, submit_quarter
from core import periods
from participants.services import enrol, record_attendance
from regions.models import Region
from trainings.models import RegionQuarter

from .factories import EventFactory, ParticipantFactory, SessionFactory
from .smtp import free_port

pytestmark = pytest.mark.django_db

Q3 = periods.parse("2024Q3")


@pytest.fixture
def mangystau() -> Region:
    return Region.objects.get(code="KZ-47")


@pytest.fixture
def people(mangystau) -> dict[str, User]:
    """Who has an e-mail address: two programme staff, an admin, Mangystau's coordinator,
    another region's coordinator and a viewer (nobody else, so recipients can be counted)."""
    User.objects.update(email="")
    coord = User.objects.get(username="coord.mangystau")
    staff = User.objects.get(username="undp.staff")
    out = {
        "coord": coord,
        "staff": staff,
        "staff2": User.objects.create(username="staff.two", role=Role.STAFF),
        "admin": User.objects.filter(role=Role.ADMIN).first(),
        "other_coord": User.objects.filter(role=Role.COORDINATOR)
        .exclude(regions=mangystau)
        .first(),
        "viewer": User.objects.filter(role=Role.VIEWER).first(),
    }
    for name, user in out.items():
        user.email = f"{name}@example.kz"
        user.save()
    return out


def address(people, *names) -> set[str]:
    return {people[n].email for n in names}


@pytest.fixture
def event(mangystau, people):
    """A held event of a programme of its own in Mangystau ending in 2024 Q3 (submittable)."""
    event = EventFactory(region=mangystau, title="Aktau youth workers training")
    session = SessionFactory(event=event, date=event.start_date, title="Day 1")
    enrolment = enrol(person=ParticipantFactory(region=mangystau), event=event)
    record_attendance(enrolment=enrolment, session=session, by=people["coord"])
    return event


def keys(event) -> dict:
    return {"programme": event.programme, "region": event.region, "period": Q3}


def no_digest(*users: User) -> None:
    User.objects.filter(pk__in=[u.pk for u in users]).update(email_digest=False)


def test_submit_return_and_approve_mail_the_right_people_at_once(
    smtp_server, people, event, django_capture_on_commit_callbacks
):
    no_digest(*people.values())
    coord, staff = people["coord"], people["staff"]
    with django_capture_on_commit_callbacks(execute=True):
        submit_quarter(
            scope=scope_for(coord),
            **keys(event),
            by=coord,
            comment="All done",
            confirm_warnings=True,
        )
    # Every programme staff member and admin, not the viewer nor coordinators.
    assert {r for m in smtp_server.messages for r in m.rcpt_tos} == address(
        people, "staff", "staff2", "admin"
    )
    mail = smtp_server.to(staff.email)[0]
    assert "submitted 2024Q3" in mail.subject and event.region.name in mail.subject
    assert "All done" in mail.body
    assert (
        reverse("closing:region_quarter", args=[event.programme_id, "2024Q3", event.region_id])
        in mail.body
    )

    smtp_server.clear()
    with django_capture_on_commit_callbacks(execute=True):
        return_quarter(scope=scope_for(staff), **keys(event), by=staff, comment="Add post-tests")
    assert [m.rcpt_tos for m in smtp_server.messages] == [[coord.email]]
    assert "returned" in smtp_server.messages[0].subject
    assert "Add post-tests" in smtp_server.messages[0].body

    smtp_server.clear()
    with django_capture_on_commit_callbacks(execute=True):
        submit_quarter(scope=scope_for(coord), **keys(event), by=coord, confirm_warnings=True)
        approve_quarter(scope=scope_for(staff), **keys(event), by=staff)
    approved = [m for m in smtp_server.messages if "approved" in m.subject]
    assert [m.rcpt_tos for m in approved] == [[coord.email]]
    # The one who acts is not told of their own step.
    assert not smtp_server.to(coord.email)[0:1] or all(
        "submitted" not in m.subject for m in smtp_server.to(coord.email)
    )
    assert Notification.objects.filter(sent_at__isnull=True).count() == 0


def test_the_weekly_digest_collects_the_steps_into_one_mail_per_user(
    smtp_server, people, event, django_capture_on_commit_callbacks
):
    coord, staff = people["coord"], people["staff"]
    no_digest(people["staff2"])  # turned the digest off: a mail per step
    with django_capture_on_commit_callbacks(execute=True):
        submit_quarter(scope=scope_for(coord), **keys(event), by=coord, confirm_warnings=True)
        return_quarter(scope=scope_for(staff), **keys(event), by=staff, comment="Fix the roster")
        submit_quarter(scope=scope_for(coord), **keys(event), by=coord, confirm_warnings=True)
        approve_quarter(scope=scope_for(staff), **keys(event), by=staff)
    # Only the one without the digest heard at once, of both submissions.
    assert [m.rcpt_tos for m in smtp_server.messages] == [[people["staff2"].email]] * 2

    smtp_server.clear()
    assert notifications.send_digests() == 3
    assert sorted(r for m in smtp_server.messages for r in m.rcpt_tos) == sorted(
        address(people, "coord", "staff", "admin")
    )
    to_coord = smtp_server.to(coord.email)
    assert len(to_coord) == 1 and "2 updates this week" in to_coord[0].subject
    assert "returned" in to_coord[0].body and "Fix the roster" in to_coord[0].body
    assert "approved" in to_coord[0].body
    # staff took the return and the approval themselves: told only of the two submissions.
    to_staff = smtp_server.to(staff.email)[0]
    assert to_staff.body.count("submitted the quarter 2024Q3") == 2
    assert reverse("accounts:mail_preferences") in to_staff.body

    smtp_server.clear()
    assert notifications.send_digests() == 0  # sent once
    assert smtp_server.messages == []


def test_reminders_before_and_after_quarter_end_go_to_regions_not_submitted(
    smtp_server, people, event, settings
):
    other_region = people["other_coord"].regions.first()
    submitted = EventFactory(region=other_region, programme=event.programme)
    RegionQuarter.objects.create(
        programme=event.programme,
        region=other_region,
        quarter="2024Q3",
        status=RegionQuarter.Status.SUBMITTED,
    )
    assert submitted.end_date <= Q3.end

    def ours():  # the demo's own programme has regions to remind too
        return [m for m in smtp_server.messages if f"({event.programme.code})" in m.subject]

    # Eight days before the end: nothing yet; seven: Mangystau's coordinator only.
    notifications.send_reminders(today=Q3.end - timedelta(days=8))
    assert ours() == []
    notifications.send_reminders(today=Q3.end - timedelta(days=7))
    assert [m.rcpt_tos for m in ours()] == [[people["coord"].email]]
    assert "ends soon" in ours()[0].subject and "30.09.2024" in ours()[0].body

    # The next day's run sends it again to nobody.
    smtp_server.clear()
    notifications.send_reminders(today=Q3.end - timedelta(days=6))
    assert ours() == []

    # Three days after the end, the reminder that the quarter is still not submitted.
    notifications.send_reminders(today=Q3.end + timedelta(days=3))
    after = ours()
    assert [m.rcpt_tos for m in after] == [[people["coord"].email]]
    assert "not submitted yet" in after[0].subject


def test_a_mail_server_that_is_down_does_not_stop_the_step_and_the_mail_follows(
    people, event, settings, django_capture_on_commit_callbacks, smtp_server
):
    no_digest(*people.values())
    coord, staff = people["coord"], people["staff"]
    working_port = settings.EMAIL_PORT
    settings.EMAIL_PORT = free_port()  # nobody listens there
    with django_capture_on_commit_callbacks(execute=True):
        rq = submit_quarter(scope=scope_for(coord), **keys(event), by=coord, confirm_warnings=True)
    assert rq.status == RegionQuarter.Status.SUBMITTED
    failed = Notification.objects.filter(sent_at__isnull=True)
    assert failed.count() == 3 and all(n.attempts == 1 and n.error for n in failed)

    settings.EMAIL_PORT = working_port
    assert notifications.send_pending() == 3
    assert smtp_server.to(staff.email)


def test_users_turn_the_digest_off_themselves(client, login_as, people):
    coord = people["coord"]
    assert coord.email_digest  # the default
    login_as(coord)
    url = reverse("accounts:mail_preferences")
    assert "weekly digest" in client.get(url).content.decode().lower()
    client.post(url, {})
    coord.refresh_from_db()
    assert coord.email_digest is False
