"""Sessions (days or modules) of an event: add, edit, delete, one per day in one click; POST
actions need CSRF; other regions are 404, viewers 403, reported events locked."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.test import Client
from django.urls import reverse

from participants.models import Attendance
from trainings.models import Session, TrainingEvent

from .factories import EnrolmentFactory, EventFactory, region

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def event():
    """A three-day planned event in Mangystau without sessions."""
    return EventFactory(
        region=region("KZ-47"),
        start_date=dt.date(2025, 4, 7),
        end_date=dt.date(2025, 4, 9),
        status=TrainingEvent.Status.PLANNED,
    )


def sessions_url(event) -> str:
    return reverse("trainings:event_sessions", args=[event.pk])


def test_one_session_per_day_in_one_click(client, login_as, event):
    login_as("coord.mangystau")
    page = text(client.get(sessions_url(event)))
    assert "One session per day (3 days)" in page
    response = client.post(reverse("trainings:sessions_per_day", args=[event.pk]), follow=True)
    assert response.redirect_chain[-1][0] == sessions_url(event)
    assert "3 sessions added, one per day." in text(response)
    # Stored untitled, named "Day N" in each reader's language (test_reference_names.py).
    assert [(s.date, s.title, s.display_title) for s in event.sessions.all()] == [
        (dt.date(2025, 4, 7), "", "Day 1"),
        (dt.date(2025, 4, 8), "", "Day 2"),
        (dt.date(2025, 4, 9), "", "Day 3"),
    ]
    again = client.post(reverse("trainings:sessions_per_day", args=[event.pk]), follow=True)
    assert "Every day of the event already has a session." in text(again)
    assert event.sessions.count() == 3


def test_add_a_session_within_the_event_dates(client, login_as, event):
    login_as("coord.mangystau")
    data = {"date": "2025-04-08", "title": "Module 2: profiling", "start_time": "10:00"}
    response = client.post(sessions_url(event), data, follow=True)
    assert "added" in text(response)
    session = event.sessions.get()
    assert session.title == "Module 2: profiling" and session.start_time == dt.time(10, 0)


def test_session_outside_the_event_is_refused_and_input_kept(client, login_as, event):
    login_as("coord.mangystau")
    response = client.post(sessions_url(event), {"date": "2025-04-12", "title": "Extra day"})
    assert response.status_code == 200
    page = text(response)
    assert "The session must fall within the event's dates (2025-04-07 to 2025-04-09)." in page
    assert 'value="Extra day"' in page
    assert not event.sessions.exists()


def test_same_day_and_title_twice_is_refused(client, login_as, event):
    Session.objects.create(event=event, date=event.start_date, title="Day 1")
    login_as("coord.mangystau")
    response = client.post(sessions_url(event), {"date": "2025-04-07", "title": "Day 1"})
    assert response.status_code == 200
    assert "This event already has a session called “Day 1” on that day." in text(response)
    assert event.sessions.count() == 1


def test_edit_a_session_with_validation(client, login_as, event):
    session = Session.objects.create(event=event, date=event.start_date, title="Day 1")
    login_as("coord.mangystau")
    url = reverse("trainings:session_edit", args=[session.pk])
    assert client.get(url).status_code == 200
    bad = client.post(
        url, {"date": "2025-04-07", "title": "Day 1", "start_time": "12:00", "end_time": "11:00"}
    )
    assert "The session must end after it starts." in text(bad)
    response = client.post(
        url, {"date": "2025-04-08", "title": "Opening", "start_time": "09:00", "end_time": "13:00"}
    )
    assert response.status_code == 302
    session.refresh_from_db()
    assert (session.date, session.title, session.end_time) == (
        dt.date(2025, 4, 8),
        "Opening",
        dt.time(13, 0),
    )


def test_delete_a_session_after_confirmation(client, login_as, event):
    session = Session.objects.create(event=event, date=event.start_date, title="Day 1")
    Attendance.objects.create(enrolment=EnrolmentFactory(event=event), session=session)
    login_as("coord.mangystau")
    url = reverse("trainings:session_delete", args=[session.pk])
    confirm = text(client.get(url))
    assert "The attendance of 1 person recorded at this session will be deleted" in confirm
    response = client.post(url, follow=True)
    assert "deleted" in text(response)
    assert not Session.objects.filter(pk=session.pk).exists()


def test_session_actions_are_post_with_csrf(event, login_as):
    client = login_as("coord.mangystau", client=Client(enforce_csrf_checks=True))
    per_day = reverse("trainings:sessions_per_day", args=[event.pk])
    assert client.get(per_day).status_code == 405
    assert client.post(per_day).status_code == 403  # no CSRF token
    assert not event.sessions.exists()
    page = client.get(sessions_url(event)).content.decode()
    assert 'name="csrfmiddlewaretoken"' in page


def test_other_region_gets_404_and_viewer_403(client, login_as, event):
    session = Session.objects.create(event=event, date=event.start_date, title="Day 1")
    login_as("coord.kyzylorda")
    for url in (
        sessions_url(event),
        reverse("trainings:session_edit", args=[session.pk]),
        reverse("trainings:session_delete", args=[session.pk]),
    ):
        assert client.get(url).status_code == 404
        assert client.post(url, {"date": "2025-04-08", "title": "x"}).status_code == 404
    assert client.post(reverse("trainings:sessions_per_day", args=[event.pk])).status_code == 404
    login_as("viewer")
    assert client.get(sessions_url(event)).status_code == 403
    assert client.post(reverse("trainings:sessions_per_day", args=[event.pk])).status_code == 403
    assert client.post(reverse("trainings:session_delete", args=[session.pk])).status_code == 403
    assert Session.objects.filter(pk=session.pk, title="Day 1").exists()
    assert event.sessions.count() == 1


def test_reported_event_sessions_are_locked_for_coordinators_not_staff(client, login_as, event):
    session = Session.objects.create(event=event, date=event.start_date, title="Day 1")
    event.status = TrainingEvent.Status.REPORTED
    event.save()
    login_as("coord.mangystau")
    for url in (
        reverse("trainings:session_edit", args=[session.pk]),
        reverse("trainings:session_delete", args=[session.pk]),
    ):
        response = client.post(url, {"date": "2025-04-08", "title": "Changed"})
        assert response.status_code == 302 and response.url == event.get_absolute_url()
    assert Session.objects.get(pk=session.pk).title == "Day 1"
    login_as("undp.staff")
    response = client.post(
        reverse("trainings:session_edit", args=[session.pk]),
        {"date": "2025-04-08", "title": "Corrected"},
    )
    assert response.status_code == 302
    assert Session.objects.get(pk=session.pk).title == "Corrected"
