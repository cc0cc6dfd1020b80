"""Issue 21 (4): signed webhooks through an outbox. A real HTTP receiver started by the test
(on 127.0.0.1, an ephemeral port) checks each delivery's signature with the endpoint's secret
exactly as docs/api.md tells receivers to; the changes go through the real services."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections import deque
from datetime import date, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from accounts.scope import scope_for
from closing.services import approve_quarter, submit_quarter
from core import periods
from participants.services import enrol, record_attendance, set_attendance
from regions.models import Region
from reports import services as report_services
from trainings.services import create_event, mark_reported
from webhooks import outbox
from webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

from .factories import EventFactory, ParticipantFactory, ProgrammeFactory, SessionFactory

pytestmark = pytest.mark.django_db
Status = WebhookDelivery.Status
ALL = [
    "event.created",
    "event.held",
    "event.reported",
    "attendance.changed",
    "quarter.submitted",
    "quarter.approved",
    "report.finished",
]


# A receiver as a partner system would write it ---------------------------------------------
def verify(secret: str, headers, body: bytes) -> bool:
    """What docs/api.md tells a receiver to do."""
    timestamp = headers["X-Qadam-Timestamp"]
    expected = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return hmac.compare_digest("sha256=" + expected.hexdigest(), headers["X-Qadam-Signature"])


class Receiver:
    """An HTTP server in a thread that records each POST, checks its signature and answers
    the next status code of `codes` (200 once they run out)."""

    def __init__(self):
        self.secret = ""
        self.codes: deque[int] = deque()
        self.received: list[dict] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - the name http.server calls
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append(
                    {
                        "path": self.path,
                        "headers": dict(self.headers),
                        "body": body,
                        "json": json.loads(body),
                        "verified": verify(receiver.secret, self.headers, body),
                    }
                )
                code = receiver.codes.popleft() if receiver.codes else 200
                self.send_response(code)
                if 300 <= code < 400:
                    self.send_header("Location", "/elsewhere")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/qadam-hook?src=test"
        self.thread = threading.Thread(
            # shutdown() waits for the loop's next poll: 0.5 s by default, at each test's end.
            target=self.server.serve_forever,
            kwargs={"poll_interval": 0.05},
            daemon=True,
        )

    @property
    def kinds(self) -> list[str]:
        return [r["headers"]["X-Qadam-Event"] for r in self.received]


@pytest.fixture
def receiver():
    r = Receiver()
    r.thread.start()
    yield r
    r.server.shutdown()
    r.server.server_close()


@pytest.fixture
def endpoint(receiver) -> WebhookEndpoint:
    e = WebhookEndpoint.objects.create(name="Partner", url=receiver.url, kinds=ALL)
    receiver.secret = e.secret
    return e


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a service as if its transaction committed (the delivery task runs in-process)."""

    def run(func, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return func(*args, **kwargs)

    return run


@pytest.fixture
def mangystau() -> Region:
    return Region.objects.get(code="KZ-47")


def event_fields(mangystau) -> dict:
    return {
        "programme": ProgrammeFactory(),
        "title": "Aktau youth workers training",
        "start_date": date(2024, 8, 13),
        "end_date": date(2024, 8, 15),
        "region": mangystau,
    }


# Emission through the real services ---------------------------------------------------------
def test_a_created_event_is_posted_signed_with_its_record(committed, receiver, endpoint, mangystau):
    event = committed(create_event, **event_fields(mangystau))

    assert len(receiver.received) == 1
    got = receiver.received[0]
    assert got["verified"]
    assert got["path"] == "/qadam-hook?src=test"
    delivery = WebhookDelivery.objects.get()
    assert got["headers"]["X-Qadam-Event"] == "event.created"
    assert got["headers"]["X-Qadam-Delivery"] == str(delivery.delivery_id)
    assert got["headers"]["Content-Type"] == "application/json"
    assert got["json"]["id"] == str(delivery.delivery_id)
    assert got["json"]["event"] == "event.created"
    data = got["json"]["data"]["event"]
    assert data["id"] == event.pk
    assert data["title"] == "Aktau youth workers training"
    assert data["status"] == "planned"
    assert data["region_code"] == "KZ-47"
    assert data["start_date"] == "2024-08-13"
    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED
    assert (delivery.attempts, delivery.response_code, delivery.error) == (1, 200, "")
    assert delivery.delivered_at is not None


def test_a_signature_made_with_another_secret_does_not_verify(committed, receiver, endpoint):
    receiver.secret = "whsec_not-the-right-one"
    committed(create_event, **event_fields(Region.objects.get(code="KZ-47")))
    assert receiver.received and not receiver.received[0]["verified"]


def test_attendance_then_held_then_reported(committed, receiver, endpoint, mangystau):
    event = EventFactory(region=mangystau)
    session = SessionFactory(event=event, date=event.start_date)
    person = ParticipantFactory(region=mangystau, full_name="Айгерим Нурланова")
    enrolment = enrol(person=person, event=event)
    coord = User.objects.get(username="coord.mangystau")

    # Presence recorded for a past day: the event is held at the same time (ADR 0010).
    committed(record_attendance, enrolment=enrolment, session=session, by=coord)
    assert receiver.kinds == ["attendance.changed", "event.held"]
    attendance = receiver.received[0]["json"]["data"]
    assert attendance["event"]["id"] == event.pk
    assert attendance["present"] == [
        {"participant": person.pk, "enrolment": enrolment.pk, "session": session.pk}
    ]
    assert attendance["absent"] == [] and attendance["counts"] == {"present": 1, "absent": 0}
    # Person ids only: no names, no contacts.
    assert "Айгерим".encode() not in receiver.received[0]["body"]
    assert "Nurlan" not in receiver.received[0]["body"].decode()
    held = receiver.received[1]["json"]["data"]["event"]
    assert held["status"] == "held"

    # Marking the same presence again changes nothing and announces nothing.
    committed(record_attendance, enrolment=enrolment, session=session, by=coord)
    assert len(receiver.received) == 2

    committed(mark_reported, event=event, by=coord)
    assert receiver.kinds[-1] == "event.reported"
    assert receiver.received[-1]["json"]["data"]["event"]["status"] == "reported"
    assert all(r["verified"] for r in receiver.received)


def test_a_grid_save_of_many_cells_is_one_delivery(committed, receiver, endpoint, mangystau):
    event = EventFactory(region=mangystau)
    sessions = [
        SessionFactory(event=event, date=event.start_date + timedelta(days=i)) for i in (0, 1)
    ]
    enrolments = [enrol(person=ParticipantFactory(), event=event) for _ in range(3)]
    cells = {(e.pk, s.pk) for e in enrolments for s in sessions}
    endpoint.kinds = ["attendance.changed"]
    endpoint.save()

    shown = {"enrolment_ids": {e.pk for e in enrolments}, "session_ids": {s.pk for s in sessions}}
    committed(set_attendance, event=event, present=cells, **shown)
    assert receiver.kinds == ["attendance.changed"]
    data = receiver.received[0]["json"]["data"]
    assert data["counts"] == {"present": 6, "absent": 0}
    assert {c["participant"] for c in data["present"]} == {e.participant_id for e in enrolments}

    # One person absent from the second day: one more delivery, one absent cell.
    gone = (enrolments[0].pk, sessions[1].pk)
    committed(set_attendance, event=event, present=cells - {gone}, **shown)
    assert len(receiver.received) == 2
    data = receiver.received[1]["json"]["data"]
    assert data["counts"] == {"present": 0, "absent": 1}
    assert data["absent"] == [
        {"participant": enrolments[0].participant_id, "enrolment": gone[0], "session": gone[1]}
    ]

    # Saving the grid unchanged sends nothing.
    committed(set_attendance, event=event, present=cells - {gone}, **shown)
    assert len(receiver.received) == 2


def test_a_quarter_submitted_and_approved(committed, receiver, endpoint, mangystau):
    event = EventFactory(region=mangystau)
    session = SessionFactory(event=event, date=event.start_date)
    coord = User.objects.get(username="coord.mangystau")
    staff = User.objects.get(username="undp.staff")
    record_attendance(enrolment=enrol(person=ParticipantFactory(), event=event), session=session)
    endpoint.kinds = ["quarter.submitted", "quarter.approved"]
    endpoint.save()
    keys = {"programme": event.programme, "region": mangystau, "period": periods.parse("2024Q3")}

    committed(submit_quarter, scope=scope_for(coord), by=coord, confirm_warnings=True, **keys)
    committed(approve_quarter, scope=scope_for(staff), by=staff, comment="Thank you", **keys)

    assert receiver.kinds == ["quarter.submitted", "quarter.approved"]
    submitted, approved = (r["json"]["data"] for r in receiver.received)
    assert submitted["region_quarter"]["quarter"] == "2024Q3"
    assert submitted["region_quarter"]["region_code"] == "KZ-47"
    assert submitted["region_quarter"]["status"] == "submitted"
    assert submitted["step"]["by"] == coord.pk
    assert approved["region_quarter"]["status"] == "approved"
    assert (approved["step"]["from_status"], approved["step"]["to_status"]) == (
        "submitted",
        "approved",
    )
    assert approved["step"]["comment"] == "Thank you"


def test_a_finished_report_run_with_its_files(committed, receiver, endpoint):
    endpoint.kinds = ["report.finished"]
    endpoint.save()
    run = committed(
        report_services.request_report,
        user=User.objects.get(username="undp.staff"),
        period_label="2024Q3",
        start=date(2024, 7, 1),
        end=date(2024, 9, 30),
        region_ids=None,
        formats=["csv"],
        language="en",
    )
    assert receiver.kinds == ["report.finished"]
    data = receiver.received[0]["json"]["data"]["report_run"]
    assert data["id"] == run.pk and data["status"] == "done"
    assert [f["format"] for f in data["files"]] == ["csv"]
    assert data["files"][0]["download_url"].endswith(f"/api/v1/report-runs/{run.pk}/files/csv/")


def test_an_imported_sheet_is_one_attendance_delivery(committed, receiver, endpoint):
    from participants.imports.services import confirm_import, start_import
    from trainings.models import TrainingEvent

    from .data.imports.samples import BEYNEU, csv_bytes

    event = TrainingEvent.objects.get(title=BEYNEU)
    endpoint.kinds = ["attendance.changed"]
    endpoint.save()
    coord = User.objects.get(username="coord.mangystau")
    batch = start_import(event=event, data=csv_bytes(), filename="sheet.csv", user=coord)
    committed(confirm_import, batch)
    assert receiver.kinds == ["attendance.changed"]
    data = receiver.received[0]["json"]["data"]
    assert data["event"]["id"] == event.pk
    assert data["counts"]["present"] == len(data["present"]) > 0
    assert all(isinstance(cell["participant"], int) for cell in data["present"])
    assert receiver.received[0]["verified"]


# The outbox ---------------------------------------------------------------------------------
def test_a_rolled_back_change_leaves_no_delivery(committed, receiver, endpoint, mangystau):
    with pytest.raises(RuntimeError), transaction.atomic():
        create_event(**event_fields(mangystau))
        assert WebhookDelivery.objects.count() == 1  # written with the change ...
        raise RuntimeError("the page failed after the event was saved")
    assert WebhookDelivery.objects.count() == 0  # ... and gone with it
    assert receiver.received == []


def test_only_active_endpoints_that_chose_the_kind_get_it(committed, receiver, endpoint, mangystau):
    endpoint.kinds = ["event.reported"]
    endpoint.save()
    WebhookEndpoint.objects.create(name="Off", url=receiver.url, kinds=ALL, is_active=False)
    committed(create_event, **event_fields(mangystau))
    assert WebhookDelivery.objects.count() == 0
    assert receiver.received == []


def test_no_endpoint_means_nothing_is_built(django_assert_num_queries, mangystau):
    """Without endpoints a change costs one small query for the outbox."""
    from core import domain_events

    event = EventFactory(region=mangystau)
    with django_assert_num_queries(1):
        domain_events.emit(domain_events.EVENT_CREATED, event)


def test_a_failing_receiver_is_retried_with_backoff_then_replayed_by_an_admin(
    committed, receiver, endpoint, mangystau, admin_client, settings
):
    settings.WEBHOOK_RETRY_BASE_SECONDS = 60
    receiver.codes.extend([500])
    start = timezone.now()
    committed(create_event, **event_fields(mangystau))

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == Status.PENDING
    assert (delivery.attempts, delivery.response_code, delivery.error) == (1, 500, "HTTP 500")
    wait = delivery.next_attempt_at - start
    assert timedelta(seconds=55) < wait < timedelta(seconds=70)  # first retry after a minute

    # The beat's task finds nothing due yet; a minute and a half later it posts again.
    assert outbox.deliver_due(now=timezone.now()) == 0
    assert len(receiver.received) == 1
    assert outbox.deliver_due(now=timezone.now() + timedelta(seconds=90)) == 1
    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED
    assert (delivery.attempts, delivery.response_code) == (2, 200)
    first, second = receiver.received
    assert first["body"] == second["body"]  # the same bytes, the same delivery id
    assert first["headers"]["X-Qadam-Delivery"] == second["headers"]["X-Qadam-Delivery"]
    assert second["verified"]
    assert list(delivery.attempt_log.values_list("response_code", "replay")) == [
        (500, False),
        (200, False),
    ]

    # A redelivered task leaves a delivered row alone.
    assert outbox.deliver(delivery.pk) is False
    assert len(receiver.received) == 2

    # The log shows it, with its codes and attempts.
    log = admin_client.get(reverse("webhooks:delivery_list"), {"status": "delivered"})
    assert log.status_code == 200
    assert str(delivery.get_absolute_url()) in log.content.decode()
    detail = admin_client.get(delivery.get_absolute_url()).content.decode()
    assert "HTTP 500" in detail and str(delivery.delivery_id) in detail

    # An admin replays it: asked to confirm first, then the same message goes out again.
    confirm = admin_client.get(reverse("webhooks:delivery_replay", args=[delivery.pk]))
    assert confirm.status_code == 200 and b'<form method="post"' in confirm.content
    assert len(receiver.received) == 2
    response = committed(admin_client.post, reverse("webhooks:delivery_replay", args=[delivery.pk]))
    assert response.status_code == 302
    assert len(receiver.received) == 3
    third = receiver.received[2]
    assert third["body"] == first["body"] and third["verified"]
    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED and delivery.replays == 1
    assert delivery.attempt_log.last().replay is True


def test_after_the_last_attempt_it_fails_and_a_replay_delivers_it(
    committed, receiver, endpoint, mangystau, settings, admin_client
):
    settings.WEBHOOK_MAX_ATTEMPTS = 3
    receiver.codes.extend([500, 503, 302])  # a redirect is not followed: it is a failure
    committed(create_event, **event_fields(mangystau))
    later = timezone.now()
    for minutes in (2, 10):
        later += timedelta(minutes=minutes)
        outbox.deliver_due(now=later)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == Status.FAILED
    assert (delivery.attempts, delivery.response_code) == (3, 302)
    assert delivery.next_attempt_at is None
    assert [r["path"] for r in receiver.received] == ["/qadam-hook?src=test"] * 3
    assert outbox.deliver_due(now=later + timedelta(days=2)) == 0  # given up

    failed = admin_client.get(reverse("webhooks:delivery_list"), {"status": "failed"})
    assert delivery.get_absolute_url() in failed.content.decode()

    committed(admin_client.post, reverse("webhooks:delivery_replay", args=[delivery.pk]))
    delivery.refresh_from_db()
    assert delivery.status == Status.DELIVERED
    assert (delivery.attempts, delivery.response_code, delivery.replays) == (1, 200, 1)
    assert WebhookAttempt.objects.filter(delivery=delivery).count() == 4


def test_a_receiver_that_is_not_there_is_recorded_as_an_error(committed, mangystau, settings):
    from .smtp import free_port

    WebhookEndpoint.objects.create(
        name="Down", url=f"http://127.0.0.1:{free_port()}/", kinds=["event.created"]
    )
    committed(create_event, **event_fields(mangystau))
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == Status.PENDING and delivery.attempts == 1
    assert delivery.response_code is None
    assert "ConnectionRefusedError" in delivery.error


# The pages ----------------------------------------------------------------------------------
def test_an_admin_registers_an_endpoint_and_reads_its_secret(admin_client):
    response = admin_client.post(
        reverse("webhooks:endpoint_create"),
        {
            "name": "OpenFn",
            "url": "https://openfn.example.org/inbox",
            "kinds": ["event.created", "report.finished"],
            "is_active": "on",
        },
    )
    endpoint = WebhookEndpoint.objects.get(name="OpenFn")
    assert response.status_code == 302 and response["Location"] == endpoint.get_absolute_url()
    assert endpoint.kinds == ["event.created", "report.finished"]
    assert endpoint.created_by.username == "admin"
    assert endpoint.secret.startswith("whsec_") and len(endpoint.secret) > 40
    page = admin_client.get(endpoint.get_absolute_url())
    assert endpoint.secret in page.content.decode()
    assert "no-store" in page["Cache-Control"] or "max-age=0" in page["Cache-Control"]
    listing = admin_client.get(reverse("webhooks:endpoint_list")).content.decode()
    assert "OpenFn" in listing and "Report finished" in listing


@pytest.mark.parametrize(
    "url", ["ftp://example.org/x", "file:///etc/passwd", "https://user:pw@example.org/"]
)
def test_only_http_and_https_addresses_without_credentials(admin_client, url):
    response = admin_client.post(
        reverse("webhooks:endpoint_create"),
        {"name": "Bad", "url": url, "kinds": ["event.created"], "is_active": "on"},
    )
    assert response.status_code == 200
    assert not WebhookEndpoint.objects.filter(name="Bad").exists()


def test_the_log_filters_by_endpoint_and_status_and_pages(admin_client, endpoint):
    other = WebhookEndpoint.objects.create(name="Other", url="https://example.org/")
    for i in range(60):
        WebhookDelivery.objects.create(
            endpoint=endpoint if i % 2 else other,
            kind="event.created",
            payload={},
            status=Status.FAILED if i % 3 == 0 else Status.DELIVERED,
        )
    url = reverse("webhooks:delivery_list")
    page = admin_client.get(url, {"endpoint": endpoint.pk, "status": "failed"})
    shown = page.context["page"]
    assert shown.paginator.count == 10  # odd i divisible by 3: 3, 9, ..., 57
    assert all(d.endpoint_id == endpoint.pk and d.status == "failed" for d in shown)
    everything = admin_client.get(url)
    assert everything.context["page"].paginator.num_pages == 2
    second = admin_client.get(url, {"page": 2})
    assert len(second.context["page"].object_list) == 10


@pytest.mark.parametrize("who", ["undp.staff", "coord.mangystau", "viewer"])
def test_only_admins_see_endpoints_the_log_or_replay(client, login_as, endpoint, who):
    delivery = WebhookDelivery.objects.create(endpoint=endpoint, kind="event.created", payload={})
    user = User.objects.filter(username=who).first() or User.objects.filter(role="viewer").first()
    login_as(user)
    for url in (
        reverse("webhooks:endpoint_list"),
        endpoint.get_absolute_url(),
        reverse("webhooks:delivery_list"),
        delivery.get_absolute_url(),
    ):
        assert client.get(url).status_code == 403
    replay = client.post(reverse("webhooks:delivery_replay", args=[delivery.pk]))
    assert replay.status_code == 403
    delivery.refresh_from_db()
    assert delivery.replays == 0


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_delivery_being_posted_is_not_posted_again_by_a_second_worker(receiver):
    """Two tasks for one row (a redelivered message, the beat and the on-commit task): the
    second skips the row the first holds locked, so the receiver gets it once."""
    endpoint = WebhookEndpoint.objects.create(name="P", url=receiver.url, kinds=ALL)
    receiver.secret = endpoint.secret
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        kind="event.created",
        payload={"data": {}},
        next_attempt_at=timezone.now(),
    )
    results = []

    def second_worker():
        try:
            results.append(outbox.deliver(delivery.pk))
        finally:
            from django.db import connection

            connection.close()

    with transaction.atomic():  # the first worker holds the row
        WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
        worker = threading.Thread(target=second_worker)
        worker.start()
        worker.join(timeout=30)
    assert results == [False] and receiver.received == []

    worker = threading.Thread(target=second_worker)
    worker.start()
    worker.join(timeout=30)
    assert results == [False, True] and len(receiver.received) == 1
