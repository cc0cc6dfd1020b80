"""An event's roster: the block on the event page, removing people (with confirmation, and an
explicit tick when attendance is recorded), and the lock of reported events."""

import pytest
from django.urls import reverse

from accounts.models import User
from participants.models import Attendance, Consent, Enrolment, Feedback
from participants.services import record_attendance, record_feedback
from tests.factories import EnrolmentFactory, EventFactory, SessionFactory, region
from trainings.models import TrainingEvent

pytestmark = pytest.mark.django_db


def _login(client, username="coord.mangystau"):
    client.force_login(User.objects.get(username=username))


@pytest.fixture
def enrolment():
    event = EventFactory(region=region("KZ-47"), status=TrainingEvent.Status.HELD)
    return EnrolmentFactory(event=event, participant__full_name="Жанна Ролева")


def test_event_page_lists_the_roster_with_links_and_counts(client, enrolment):
    session = SessionFactory(event=enrolment.event)
    SessionFactory(event=enrolment.event)
    record_attendance(enrolment=enrolment, session=session)
    _login(client)
    html = client.get(enrolment.event.get_absolute_url()).content.decode()
    assert "Жанна Ролева" in html
    assert enrolment.participant.get_absolute_url() in html
    assert "1/2" in html
    assert reverse("participants:roster_add", args=[enrolment.event.pk]) in html
    assert reverse("participants:attendance_grid", args=[enrolment.event.pk]) in html
    assert reverse("participants:roster_remove", args=[enrolment.event.pk, enrolment.pk]) in html


def test_viewer_sees_the_event_but_no_names(client, enrolment):
    _login(client, "viewer")
    response = client.get(enrolment.event.get_absolute_url())
    assert response.status_code == 200
    assert "Жанна Ролева" not in response.content.decode()


def test_removing_someone_without_attendance_asks_then_removes(client, enrolment):
    _login(client)
    url = reverse("participants:roster_remove", args=[enrolment.event.pk, enrolment.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "Remove Жанна Ролева from the roster?" in page.content.decode()
    assert Enrolment.objects.filter(pk=enrolment.pk).exists()  # a GET changes nothing
    response = client.post(url)
    assert response.status_code == 302
    assert response.url == enrolment.event.get_absolute_url()
    assert not Enrolment.objects.filter(pk=enrolment.pk).exists()
    # The person stays in the registry.
    enrolment.participant.refresh_from_db()


def test_removing_someone_with_attendance_needs_an_explicit_tick(client, enrolment):
    session = SessionFactory(event=enrolment.event)
    record_attendance(enrolment=enrolment, session=session)
    feedback = record_feedback(
        event=enrolment.event,
        enrolment=enrolment,
        satisfaction=5,
        relevance=5,
        usefulness=5,
        intent_to_apply=5,
        source="paper",
    )
    _login(client)
    url = reverse("participants:roster_remove", args=[enrolment.event.pk, enrolment.pk])
    assert "attendance at 1 session is recorded" in client.get(url).content.decode()

    response = client.post(url)
    assert response.status_code == 200
    assert "tick the box to delete it as well" in response.content.decode()
    assert Enrolment.objects.filter(pk=enrolment.pk).exists()

    response = client.post(url, {"also_attendance": "on"})
    assert response.status_code == 302
    assert not Enrolment.objects.filter(pk=enrolment.pk).exists()
    assert not Attendance.objects.filter(session=session).exists()
    # The feedback still counts for the event, without the person.
    feedback.refresh_from_db()
    assert feedback.enrolment is None and Feedback.objects.filter(pk=feedback.pk).exists()


def test_other_regions_coordinator_gets_404_on_roster_pages(client, enrolment):
    _login(client, "coord.kyzylorda")
    event = enrolment.event
    urls = [
        reverse("participants:roster_add", args=[event.pk]),
        reverse("participants:roster_new", args=[event.pk]),
        reverse("participants:roster_remove", args=[event.pk, enrolment.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
    assert Enrolment.objects.filter(pk=enrolment.pk).exists()


def test_an_enrolment_of_another_event_is_404(client, enrolment):
    other = EventFactory(region=region("KZ-47"))
    _login(client)
    url = reverse("participants:roster_remove", args=[other.pk, enrolment.pk])
    assert client.get(url).status_code == 404


def test_reported_event_roster_is_locked_for_coordinators(client, enrolment):
    event = enrolment.event
    event.status = TrainingEvent.Status.REPORTED
    event.save()
    _login(client)
    add = reverse("participants:roster_add", args=[event.pk])
    remove = reverse("participants:roster_remove", args=[event.pk, enrolment.pk])
    assert client.get(add, {"q": "а"}).status_code == 403
    assert client.post(remove).status_code == 403
    html = client.get(event.get_absolute_url()).content.decode()
    assert add not in html and remove not in html
    _login(client, "undp.staff")
    assert client.post(remove).status_code == 302


def test_roster_flags_people_without_consent_and_consent_can_be_recorded(client, enrolment):
    person = enrolment.participant
    _login(client)
    html = client.get(enrolment.event.get_absolute_url()).content.decode()
    assert "No consent on file" in html

    url = reverse("participants:person_consent", args=[person.pk])
    response = client.post(url, {"given": "1", "method": "verbal", "given_on": "2099-01-01"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "The date of consent cannot be in the future." in html
    assert "This field is required." in html  # the version

    response = client.post(
        url, {"given": "1", "method": "verbal", "given_on": "2024-08-13", "version": "2024-1"}
    )
    assert response.status_code == 302
    consent = Consent.objects.get(participant=person)
    assert (consent.given, consent.method, consent.version) == (True, "verbal", "2024-1")
    assert consent.recorded_by.username == "coord.mangystau"
    html = client.get(enrolment.event.get_absolute_url()).content.decode()
    assert "No consent on file" not in html

    _login(client, "coord.kyzylorda")
    assert client.post(url, {"given": "0"}).status_code == 404
