"""Writes through the REST API (/api/v1/): the same forms, services, Scope and lock rule as the
pages, the token's user named in the audit trail, and Idempotency-Key on creates."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from accounts.models import SecurityEvent, User
from api.models import IdempotencyKey
from api.services import create_token
from participants.models import Assessment, Attendance, Enrolment, Feedback
from trainings.models import Programme, RegionQuarter, Session, TrainingEvent

from .factories import (
    EnrolmentFactory,
    EventFactory,
    ParticipantFactory,
    SessionFactory,
    coordinator,
    region,
)

pytestmark = pytest.mark.django_db

LOCKED = (
    "This event is reported and locked. Programme staff can unlock it if something must change."
)


class Api:
    """A client of one user's token speaking JSON."""

    def __init__(self, user: User):
        self.user = user
        _token, secret = create_token(user=user, name="test")
        self.client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")

    def _send(self, method: str, url: str, body=None, **headers):
        data = json.dumps(body) if body is not None else None
        return getattr(self.client, method)(
            url, data=data, content_type="application/json", **headers
        )

    def post(self, url, body, **headers):
        return self._send("post", url, body, **headers)

    def patch(self, url, body):
        return self._send("patch", url, body)

    def delete(self, url):
        return self._send("delete", url)


@pytest.fixture
def coord(demo):
    return Api(coordinator("KZ-47"))


@pytest.fixture
def staff(demo):
    return Api(User.objects.get(username="undp.staff"))


@pytest.fixture
def viewer(demo):
    return Api(User.objects.get(username="viewer"))


def event_body(**overrides) -> dict:
    body = {
        "title": "Mediation basics",
        "event_type": TrainingEvent._meta.get_field("event_type").default
        or TrainingEvent.EventType.values[0],
        "programme": Programme.objects.filter(is_active=True).first().pk,
        "start_date": "2024-09-10",
        "end_date": "2024-09-11",
        "region": region("KZ-47").pk,
        "modality": TrainingEvent._meta.get_field("modality").default
        or TrainingEvent.Modality.values[0],
    }
    return {**body, **overrides}


def other_region_event() -> TrainingEvent:
    return EventFactory(region=region("KZ-43"))


def reported(event: TrainingEvent) -> TrainingEvent:
    TrainingEvent.objects.filter(pk=event.pk).update(status=TrainingEvent.Status.REPORTED)
    event.refresh_from_db()
    return event


def last_history_user(model, pk):
    return model.history.filter(id=pk).order_by("-history_date", "-history_id").first().history_user


# Events -----------------------------------------------------------------------------------
def test_coordinator_creates_changes_and_deletes_an_event_audited_under_their_name(coord):
    response = coord.post("/api/v1/events/", event_body())
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    event = TrainingEvent.objects.get(pk=pk)
    assert event.title == "Mediation basics" and event.created_by == coord.user
    assert last_history_user(TrainingEvent, pk) == coord.user

    response = coord.patch(f"/api/v1/events/{pk}/", {"title": "Mediation, part 1"})
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "Mediation, part 1"
    assert response.json()["end_date"] == "2024-09-11"  # fields not sent stay
    history = TrainingEvent.history.filter(id=pk).order_by("-history_date").first()
    assert history.title == "Mediation, part 1" and history.history_user == coord.user

    assert coord.delete(f"/api/v1/events/{pk}/").status_code == 204
    assert not TrainingEvent.objects.filter(pk=pk).exists()
    assert last_history_user(TrainingEvent, pk) == coord.user
    audit = SecurityEvent.objects.filter(detail__action="event_deleted", detail__event_id=pk)
    assert audit.get().user == coord.user


def test_a_patch_keeps_the_topics_and_partners_it_does_not_send(coord):
    from trainings.models import Topic

    topics = list(Topic.objects.filter(is_active=True).order_by("pk")[:2])
    response = coord.post("/api/v1/events/", event_body(topics=[t.pk for t in topics]))
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    response = coord.patch(f"/api/v1/events/{pk}/", {"venue": "Aktau, akimat hall"})
    assert response.status_code == 200, response.content
    assert sorted(response.json()["topics"]) == sorted(t.pk for t in topics)
    response = coord.patch(f"/api/v1/events/{pk}/", {"topics": [topics[0].pk]})
    assert response.json()["topics"] == [topics[0].pk]


def test_an_invalid_event_gets_the_event_forms_messages(coord):
    response = coord.post(
        "/api/v1/events/", event_body(title="", start_date="2024-09-12", end_date="2024-09-10")
    )
    assert response.status_code == 400
    errors = response.json()
    assert errors["title"] == ["This field is required."]
    assert errors["end_date"] == ["The end date cannot be before the start date."]
    assert not TrainingEvent.objects.filter(title="").exists()


def test_a_coordinator_cannot_create_an_event_in_another_region(coord):
    response = coord.post("/api/v1/events/", event_body(region=region("KZ-43").pk))
    assert response.status_code == 400
    assert "outside the regions you work in" in response.json()["region"][0]


@pytest.mark.parametrize("method", ["patch", "delete"])
def test_another_regions_event_is_not_found(coord, method):
    event = other_region_event()
    url = f"/api/v1/events/{event.pk}/"
    response = coord.patch(url, {"title": "x"}) if method == "patch" else coord.delete(url)
    assert response.status_code == 404
    event.refresh_from_db()
    assert event.title != "x"


def test_a_viewer_token_cannot_write(viewer):
    event = EventFactory()
    assert viewer.post("/api/v1/events/", event_body()).status_code == 403
    assert viewer.patch(f"/api/v1/events/{event.pk}/", {"title": "x"}).status_code == 403
    assert viewer.delete(f"/api/v1/events/{event.pk}/").status_code == 403
    session = SessionFactory(event=event)
    new_session = {"event": event.pk, "date": "2024-08-14"}
    assert viewer.post("/api/v1/sessions/", new_session).status_code == 403
    assert viewer.delete(f"/api/v1/sessions/{session.pk}/").status_code == 403
    for url in ("/api/v1/enrolments/", "/api/v1/attendance/", "/api/v1/assessments/"):
        assert viewer.post(url, {}).status_code == 403
    assert viewer.post("/api/v1/feedback/", {"event": event.pk}).status_code == 403
    assert TrainingEvent.objects.filter(pk=event.pk, title=event.title).exists()


def test_a_reported_event_is_refused_with_the_pages_reason(coord, staff):
    event = reported(EventFactory())
    response = coord.patch(f"/api/v1/events/{event.pk}/", {"title": "x"})
    assert response.status_code == 409
    assert response.json() == {"detail": LOCKED}
    assert coord.delete(f"/api/v1/events/{event.pk}/").json() == {"detail": LOCKED}
    # Programme staff keep write access to a reported event, as on the pages.
    response = staff.patch(f"/api/v1/events/{event.pk}/", {"title": "Corrected"})
    assert response.status_code == 200, response.content


def test_an_event_into_an_approved_quarter_is_refused_with_the_quarters_reason(coord):
    body = event_body()
    RegionQuarter.objects.create(
        programme_id=body["programme"],
        region_id=body["region"],
        quarter="2024Q3",
        status=RegionQuarter.Status.APPROVED,
    )
    response = coord.post("/api/v1/events/", body)
    assert response.status_code == 409
    assert "is approved and locked" in response.json()["detail"]


def test_a_held_event_cannot_be_deleted_the_reason_is_the_pages(staff):
    event = EventFactory(status=TrainingEvent.Status.HELD)
    response = staff.delete(f"/api/v1/events/{event.pk}/")
    assert response.status_code == 409
    assert response.json()["detail"].startswith("Only a planned event can be deleted")


# Sessions ---------------------------------------------------------------------------------
def test_sessions_are_added_changed_and_deleted_with_the_session_forms_rules(coord):
    event = EventFactory()
    response = coord.post(
        "/api/v1/sessions/", {"event": event.pk, "date": "2024-08-14", "title": "Module 1"}
    )
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    assert last_history_user(Session, pk) == coord.user

    response = coord.post(
        "/api/v1/sessions/", {"event": event.pk, "date": "2024-08-14", "title": "Module 1"}
    )
    assert response.status_code == 400
    assert response.json()["title"] == [
        "This event already has a session called “Module 1” on that day."
    ]

    response = coord.patch(f"/api/v1/sessions/{pk}/", {"date": "2024-09-30"})
    assert response.status_code == 400
    assert "date" in response.json()

    response = coord.patch(f"/api/v1/sessions/{pk}/", {"title": "Module 2"})
    assert response.status_code == 200 and response.json()["title"] == "Module 2"
    assert last_history_user(Session, pk) == coord.user

    assert coord.delete(f"/api/v1/sessions/{pk}/").status_code == 204
    assert not Session.objects.filter(pk=pk).exists()
    assert last_history_user(Session, pk) == coord.user


def test_sessions_of_other_regions_and_of_locked_events_are_refused(coord):
    other = SessionFactory(event=other_region_event())
    assert coord.patch(f"/api/v1/sessions/{other.pk}/", {"title": "x"}).status_code == 404
    assert coord.delete(f"/api/v1/sessions/{other.pk}/").status_code == 404
    response = coord.post("/api/v1/sessions/", {"event": other.event_id, "date": "2024-08-13"})
    assert response.status_code == 404
    locked = SessionFactory(event=reported(EventFactory()))
    response = coord.patch(f"/api/v1/sessions/{locked.pk}/", {"title": "x"})
    assert (response.status_code, response.json()) == (409, {"detail": LOCKED})
    response = coord.post("/api/v1/sessions/", {"event": locked.event_id, "date": "2024-08-13"})
    assert (response.status_code, response.json()) == (409, {"detail": LOCKED})


# Roster, attendance, feedback, scores -----------------------------------------------------
def test_the_roster_attendance_feedback_and_scores_of_an_event(coord):
    event = EventFactory()
    session = SessionFactory(event=event)
    person = ParticipantFactory()

    response = coord.post("/api/v1/enrolments/", {"event": event.pk, "participant": person.pk})
    assert response.status_code == 201, response.content
    enrolment_pk = response.json()["id"]
    assert last_history_user(Enrolment, enrolment_pk) == coord.user
    again = coord.post("/api/v1/enrolments/", {"event": event.pk, "participant": person.pk})
    assert again.status_code == 400
    assert again.json() == {"non_field_errors": ["This person is already on the event's roster."]}

    response = coord.post("/api/v1/attendance/", {"enrolment": enrolment_pk, "session": session.pk})
    assert response.status_code == 201, response.content
    attendance_pk = response.json()["id"]
    assert last_history_user(Attendance, attendance_pk) == coord.user
    event.refresh_from_db()
    assert event.status == TrainingEvent.Status.HELD  # as when ticked on the grid (ADR 0010)

    scores = {"enrolment": enrolment_pk, "pre_score": "45,5", "post_score": 80}
    response = coord.post("/api/v1/assessments/", scores)
    assert response.status_code == 201, response.content
    assessment = response.json()
    assert (assessment["pre_score"], assessment["post_score"]) == ("45.50", "80.00")
    assert last_history_user(Assessment, assessment["id"]) == coord.user
    response = coord.patch(f"/api/v1/assessments/{assessment['id']}/", {"post_score": 101})
    assert response.status_code == 400
    assert response.json()["post_score"] == ["Ensure this value is less than or equal to 100."]
    response = coord.patch(f"/api/v1/assessments/{assessment['id']}/", {"post_score": 90})
    assert response.json()["post_score"] == "90.00" and response.json()["pre_score"] == "45.50"

    answers = {"satisfaction": 5, "relevance": 4, "usefulness": 4, "intent_to_apply": 5}
    response = coord.post(
        "/api/v1/feedback/", {"event": event.pk, "enrolment": enrolment_pk, **answers}
    )
    assert response.status_code == 201, response.content
    feedback = Feedback.objects.get(pk=response.json()["id"])
    assert feedback.source == Feedback.Source.PAPER and feedback.enrolment_id == enrolment_pk
    assert last_history_user(Feedback, feedback.pk) == coord.user
    response = coord.post(
        "/api/v1/feedback/", {"event": event.pk, "enrolment": enrolment_pk, **answers}
    )
    assert response.status_code == 400
    assert response.json()["enrolment"][0].startswith("Feedback from")
    response = coord.post("/api/v1/feedback/", {"event": event.pk, "satisfaction": 9})
    assert response.status_code == 400
    assert response.json()["relevance"] == ["Please choose one answer."]

    assert coord.delete(f"/api/v1/assessments/{assessment['id']}/").status_code == 204
    assert not Assessment.objects.filter(enrolment_id=enrolment_pk).exists()
    assert coord.delete(f"/api/v1/attendance/{attendance_pk}/").status_code == 204
    assert not Attendance.objects.filter(pk=attendance_pk).exists()
    assert last_history_user(Attendance, attendance_pk) == coord.user
    assert coord.delete(f"/api/v1/enrolments/{enrolment_pk}/").status_code == 204
    assert not Enrolment.objects.filter(pk=enrolment_pk).exists()
    assert last_history_user(Enrolment, enrolment_pk) == coord.user
    feedback.refresh_from_db()
    assert feedback.enrolment_id is None  # kept with the event, unlinked


def test_people_and_events_of_other_regions_are_not_found_for_roster_writes(coord):
    outsider = ParticipantFactory(region=region("KZ-43"))
    mine = EventFactory()
    response = coord.post("/api/v1/enrolments/", {"event": mine.pk, "participant": outsider.pk})
    assert response.status_code == 404
    theirs = EnrolmentFactory(event=other_region_event(), participant=outsider)
    session = SessionFactory(event=theirs.event)
    assert coord.delete(f"/api/v1/enrolments/{theirs.pk}/").status_code == 404
    response = coord.post("/api/v1/attendance/", {"enrolment": theirs.pk, "session": session.pk})
    assert response.status_code == 404
    response = coord.post("/api/v1/assessments/", {"enrolment": theirs.pk, "pre_score": 10})
    assert response.status_code == 404
    answers = {"satisfaction": 5, "relevance": 4, "usefulness": 4, "intent_to_apply": 5}
    response = coord.post("/api/v1/feedback/", {"event": theirs.event_id, **answers})
    assert response.status_code == 404
    assert Enrolment.objects.filter(pk=theirs.pk).exists()
    assert not Attendance.objects.filter(enrolment=theirs).exists()


def test_roster_writes_on_a_reported_event_are_refused_with_the_pages_reason(coord):
    event = EventFactory()
    session = SessionFactory(event=event)
    enrolment = EnrolmentFactory(event=event)
    reported(event)
    person = ParticipantFactory()
    answers = {"satisfaction": 5, "relevance": 4, "usefulness": 4, "intent_to_apply": 5}
    for url, body in [
        ("/api/v1/enrolments/", {"event": event.pk, "participant": person.pk}),
        ("/api/v1/attendance/", {"enrolment": enrolment.pk, "session": session.pk}),
        ("/api/v1/assessments/", {"enrolment": enrolment.pk, "pre_score": 10}),
        ("/api/v1/feedback/", {"event": event.pk, **answers}),
    ]:
        response = coord.post(url, body)
        assert (response.status_code, response.json()) == (409, {"detail": LOCKED}), url
    response = coord.delete(f"/api/v1/enrolments/{enrolment.pk}/")
    assert (response.status_code, response.json()) == (409, {"detail": LOCKED})
    assert not Feedback.objects.filter(event=event).exists()


def test_a_body_that_is_not_an_object_or_names_no_record_is_a_field_error(coord):
    response = coord.post("/api/v1/sessions/", ["not", "an", "object"])
    assert response.status_code == 400
    response = coord.post("/api/v1/sessions/", {"event": "abc", "date": "2024-08-13"})
    assert response.json() == {"event": ["Give the id of a record (a number)."]}
    response = coord.post("/api/v1/enrolments/", {"event": 1})
    assert response.json() == {"participant": ["This field is required."]}


# Idempotency-Key -----------------------------------------------------------------------------
def test_a_create_retried_with_the_same_idempotency_key_makes_one_record(coord):
    event = EventFactory()
    body = {"event": event.pk, "date": "2024-08-14", "title": "Module 1"}
    first = coord.post("/api/v1/sessions/", body, HTTP_IDEMPOTENCY_KEY="3f1c-run-7")
    second = coord.post("/api/v1/sessions/", body, HTTP_IDEMPOTENCY_KEY="3f1c-run-7")
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    assert second["Idempotent-Replayed"] == "true"
    assert Session.objects.filter(event=event).count() == 1
    assert IdempotencyKey.objects.filter(user=coord.user, key="3f1c-run-7").count() == 1

    other = coord.post(
        "/api/v1/sessions/", {**body, "title": "Module 2"}, HTTP_IDEMPOTENCY_KEY="3f1c-run-7"
    )
    assert other.status_code == 422
    assert "used for another request" in other.json()["detail"]
    # Another user's key of the same name is theirs.
    staff = Api(User.objects.get(username="undp.staff"))
    response = staff.post(
        "/api/v1/sessions/", {**body, "title": "Module 3"}, HTTP_IDEMPOTENCY_KEY="3f1c-run-7"
    )
    assert response.status_code == 201


def test_a_refused_create_does_not_use_up_its_idempotency_key(coord):
    event = EventFactory()
    body = {"event": event.pk, "date": "2024-09-30"}
    assert coord.post("/api/v1/sessions/", body, HTTP_IDEMPOTENCY_KEY="k1").status_code == 400
    body["date"] = "2024-08-13"
    assert coord.post("/api/v1/sessions/", body, HTTP_IDEMPOTENCY_KEY="k1").status_code == 201


def test_the_schema_describes_the_writes_with_their_bodies(client, demo):
    schema = client.get("/api/schema/?format=json").json()
    events = schema["paths"]["/api/v1/events/"]["post"]
    assert events["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/EventWrite"
    )
    assert {"201", "400", "403", "404", "409"} <= set(events["responses"])
    assert "patch" in schema["paths"]["/api/v1/sessions/{id}/"]
    assert "put" not in schema["paths"]["/api/v1/sessions/{id}/"]
    assert "delete" in schema["paths"]["/api/v1/assessments/{id}/"]
    assert "delete" not in schema["paths"].get("/api/v1/feedback/{id}/", {})


@pytest.mark.django_db(transaction=True)
def test_two_copies_of_a_create_sent_at_once_with_one_key_make_one_record(demo):
    from concurrent.futures import ThreadPoolExecutor
    from threading import Barrier

    from django.db import connection

    user = coordinator("KZ-47")
    _token, secret = create_token(user=user, name="retries")
    event = EventFactory()
    body = json.dumps({"event": event.pk, "date": "2024-08-14", "title": "Module 1"})
    start = Barrier(2)

    def send():
        client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
        start.wait()
        try:
            return client.post(
                "/api/v1/sessions/",
                data=body,
                content_type="application/json",
                HTTP_IDEMPOTENCY_KEY="same-key",
            )
        finally:
            connection.close()  # each thread's own connection

    with ThreadPoolExecutor(max_workers=2) as pool:
        responses = list(pool.map(lambda _: send(), range(2)))
    assert [r.status_code for r in responses] == [201, 201]
    assert responses[0].json() == responses[1].json()
    assert Session.objects.filter(event=event).count() == 1
