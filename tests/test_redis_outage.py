"""Redis goes away (stopped, or restarted without its data) while people use the site: pages
and committed writes never fail because of the cache, the public form refuses safely with a
clear message, and work that needs the broker waits, says so, and is sent when Redis is back.

Each test starts a redis-server of its own (tests/redis_server.py) and stops or restarts it;
the machine's Redis is not touched. Transactional: the dashboard cache is skipped inside a
transaction, and the cache bump runs after a real commit."""

from __future__ import annotations

import time
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from config.celery import app as celery_app
from core import cache as safe_cache
from core import taskqueue
from core.dataversion import VERSION_KEY
from participants.feedback_forms import started_token
from participants.feedback_services import set_feedback_open
from participants.imports import services as imports
from participants.models import Feedback, ImportBatch, Participant
from reports import services as reports
from reports.models import ReportRun
from trainings.models import TrainingEvent

from .data.imports.samples import BEYNEU, HEADER_RU, csv_bytes
from .worker import WorkerProcess

pytestmark = pytest.mark.django_db(transaction=True)
ROLES = ("admin", "undp.staff", "coord.mangystau", "viewer")


@pytest.fixture
def worker_queue():
    """Tasks of this test go to a queue of its own (its worker's)."""
    old = celery_app.conf.task_default_queue
    queue = f"qadam-outage-{time.monotonic_ns()}"
    celery_app.conf.task_default_queue = queue
    yield queue
    celery_app.conf.task_default_queue = old


def user(name: str) -> User:
    return User.objects.get(username=name)


def wait_until(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        time.sleep(0.3)
    raise AssertionError(f"not within {timeout}s: {what}")


def feedback_answers(event: TrainingEvent) -> dict[str, str]:
    return {
        "satisfaction": "5",
        "relevance": "4",
        "usefulness": "4",
        "intent_to_apply": "5",
        "most_useful": "Жағдайлық ойындар",
        "comments": "Өте пайдалы болды",
        "consent_to_quote": "on",
        "website": "",
        "started": started_token(time.time() - 60, event=event),
    }


def test_while_redis_is_down_dashboards_open_edits_are_saved_and_the_public_form_refuses_safely(
    own_redis, client, login_as
):
    """One morning in the life of the site, with Redis crashing in the middle (one story, so
    the demo data is loaded once for these three checks)."""
    for name in ROLES:
        login_as(name)
        assert client.get("/").status_code == 200, name  # figures now cached in our Redis
    assert own_redis.client(db=1).keys("*dashboard*")  # the cache's database
    person = Participant.objects.filter(region__code="KZ-47").order_by("pk").first()
    person_form = {
        "full_name": "Жаңа Есім",
        "sex": person.sex,
        "birth_year": str(person.birth_year),
        "region": person.region_id,
        "category": person.category_id,
        "organisation_name": person.organisation_name or "ЦМИ",
    }
    event = TrainingEvent.objects.get(
        title__startswith="Emotional intelligence", region__code="KZ-47"
    )
    set_feedback_open(event=event, is_open=True)
    feedback_url = reverse("feedback:form", args=[event.feedback_token])
    answers = feedback_answers(event)
    feedback_before = Feedback.objects.filter(event=event).count()

    own_redis.stop()

    # The dashboard, for every role, computed from the database.
    for name in ROLES:
        login_as(name)
        started = time.monotonic()
        response = client.get("/")
        assert response.status_code == 200, name
        assert time.monotonic() - started < 10, name  # no hanging on the dead cache
        assert "events recorded in all" in response.content.decode(), name  # the figures

    # A person edit: committed, and the cache bump after the commit does not raise.
    login_as("coord.mangystau")
    edit_url = reverse("participants:person_edit", args=[person.pk])
    response = client.post(edit_url, person_form)
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.full_name == "Жаңа Есім"

    # The public form: refused safely (the rate limiter cannot count), answers kept.
    response = client.post(feedback_url, answers)
    html = response.content.decode()
    assert response.status_code == 503 and response["Retry-After"] == "60"
    assert "We cannot accept answers for a moment" in html
    assert "Өте пайдалы болды" in html and "Жағдайлық ойындар" in html  # nothing typed is lost
    assert Feedback.objects.filter(event=event).count() == feedback_before

    own_redis.start()  # back, empty
    safe_cache.forget_failures()  # (or wait CACHE_RETRY_AFTER seconds)

    # The next change bumps the version again, so cached figures are not served stale...
    response = client.post(edit_url, {**person_form, "full_name": "Екінші Есім"})
    assert response.status_code == 302
    assert own_redis.client(db=1).get(f":1:{VERSION_KEY}") is not None
    # ...and "Send" again on the phone, a minute later, stores the answers.
    response = client.post(feedback_url, answers)
    assert response.status_code == 302
    assert Feedback.objects.filter(event=event).count() == feedback_before + 1


@pytest.mark.celery
def test_a_big_import_while_redis_is_down_waits_says_so_and_is_checked_when_it_is_back(
    own_redis, worker_queue, client, login_as, settings
):
    settings.IMPORT_SYNC_MAX_BYTES = 100  # every file goes to the workers
    event = TrainingEvent.objects.get(title=BEYNEU)
    login_as("coord.mangystau")
    own_redis.stop()
    upload = SimpleUploadedFile("sheet.csv", csv_bytes(header=HEADER_RU), "text/csv")
    response = client.post(reverse("imports:upload", args=[event.pk]), {"file": upload})
    assert response.status_code == 302  # not a 500
    batch = ImportBatch.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert "The background service does not answer right now" in page
    assert batch.status == ImportBatch.Status.VALIDATING and batch.task_id == ""
    assert imports.recover_stale_batches()["resent"] == 0  # still down: nothing to do yet

    own_redis.start()  # back, empty
    worker = WorkerProcess(queue=worker_queue).start()
    try:
        ImportBatch.objects.filter(pk=batch.pk).update(
            created_at=timezone.now() - timedelta(seconds=30)
        )
        assert imports.recover_stale_batches()["resent"] == 1  # what beat runs
        wait_until(
            lambda: ImportBatch.objects.get(pk=batch.pk).status == ImportBatch.Status.PREVIEW,
            120,
            "the batch checked",
        )
        batch.refresh_from_db()
        assert batch.message == "" and batch.attempts == 1
        assert "The background service" not in client.get(response["Location"]).content.decode()
    finally:
        worker.stop()
        if batch.file:
            batch.file.delete(save=False)


@pytest.mark.celery
def test_a_queued_report_lost_with_redis_data_is_sent_again_and_built(
    own_redis, worker_queue, client, login_as, settings
):
    run = reports.request_report(
        user=user("undp.staff"),
        period_label="2024Q3",
        start=date(2024, 7, 1),
        end=date(2024, 9, 30),
        region_ids=None,
        formats=["csv"],
        language="en",
    )
    assert run.status == ReportRun.Status.QUEUED and run.task_id
    assert run.task_id in taskqueue.waiting_task_ids()  # waiting in our Redis for a worker

    settings.TASK_STALE_AFTER = 1
    time.sleep(1.2)
    # Waiting its turn in the broker is not "lost": left alone.
    assert reports.recover_stale_runs() == {"requeued": 0, "failed": 0, "resent": 0}

    own_redis.client().flushall()  # Redis loses its data
    assert run.task_id not in taskqueue.waiting_task_ids()
    time.sleep(1.2)
    run.refresh_from_db()
    assert reports.can_retry(run)  # a person can send it again: the button is there
    login_as("undp.staff")
    assert "Send the request again" in client.get(run.get_absolute_url()).content.decode()
    health = client.get("/healthz/").json()
    assert health["stuck"]["report_runs"] == 1 and health["work"] == "stuck"

    assert reports.recover_stale_runs()["resent"] == 1  # what beat runs
    run.refresh_from_db()
    assert run.status == ReportRun.Status.QUEUED and run.task_id in taskqueue.waiting_task_ids()
    settings.TASK_STALE_AFTER = 45
    worker = WorkerProcess(queue=worker_queue).start()
    try:
        wait_until(
            lambda: (
                ReportRun.objects.get(pk=run.pk).status
                in (ReportRun.Status.DONE, ReportRun.Status.FAILED)
            ),
            120,
            "the report built",
        )
        run.refresh_from_db()
        assert run.status == ReportRun.Status.DONE, run.error
        assert run.attempts == 1 and run.files.count() == 1
        assert client.get("/healthz/").json()["stuck"] == {"report_runs": 0, "imports": 0}
    finally:
        worker.stop()
        for report_file in run.files.all():
            report_file.file.delete(save=False)
