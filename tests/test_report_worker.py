"""Donor reports through Redis and real Celery workers: request -> progress -> done ->
download; a worker killed mid-report; Redis down when the report is requested."""

from __future__ import annotations

import hashlib
import os
import time
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest

from accounts.models import User
from config.celery import app as celery_app
from reports import services
from reports.models import ReportRun

from .worker import WorkerProcess

pytestmark = [pytest.mark.celery, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parent.parent
CLOSED_PORT = "redis://127.0.0.1:1/0"
DONE_OR_FAILED = {ReportRun.Status.DONE, ReportRun.Status.FAILED}


def wait_for(run: ReportRun, states: set[str], timeout: float = 240) -> list[int]:
    """Poll the row as the progress fragment does; return the percentages seen."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run.refresh_from_db()
        seen.append(run.percent)
        if run.status in states:
            return seen
        time.sleep(0.3)
    raise AssertionError(f"run still {run.status} at {run.stage} {run.percent}%")


def _forget_broker_connections() -> None:
    # Only forget: kombu keeps one pool per broker address, so the old one is found again.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextmanager
def broker_at(url: str):
    """The web app's broker address, for a while (as when Redis goes away)."""
    old = celery_app.conf.broker_url
    _forget_broker_connections()
    celery_app.conf.broker_url = url
    try:
        yield
    finally:
        _forget_broker_connections()
        celery_app.conf.broker_url = old


@pytest.fixture
def shared_media(settings):
    """The session's worker was started before the per-test media folder existed: share its
    storage, as web and worker share it in production."""
    settings.MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", ROOT / "media"))


def staff() -> User:
    return User.objects.get(username="undp.staff")


def test_report_requested_from_the_page_is_built_by_a_worker_and_downloaded(
    celery_worker, demo, shared_media, client, login_as
):
    login_as(staff())
    response = client.post(
        "/reports/new/",
        {
            "period_kind": "quarter",
            "quarter": "2024Q3",
            "scope": "all",
            "formats": services.available_formats(),
            "language": "en",
        },
    )
    run = ReportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/reports/{run.pk}/"
    assert run.task_id  # handed to the broker
    page = client.get(f"/reports/{run.pk}/").content.decode()
    assert "hx-get" in page or "Finished" in page

    percents, fragments = [], 0
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        fragment = client.get(f"/reports/{run.pk}/progress/").content.decode()
        fragments += 1
        run.refresh_from_db()
        percents.append(run.percent)
        if "hx-get" not in fragment:  # polling stops when the run is over
            break
        time.sleep(0.3)
    run.refresh_from_db()
    assert run.status == ReportRun.Status.DONE, run.error
    assert percents == sorted(percents) and percents[-1] == 100
    assert run.attempts == 1 and run.snapshot and len(run.inputs_hash) == 64

    for report_file in run.files.all():
        response = client.get(f"/reports/{run.pk}/files/{report_file.format}/")
        assert response.status_code == 200, report_file.format
        content = b"".join(response.streaming_content)
        assert hashlib.sha256(content).hexdigest() == report_file.sha256
        report_file.file.delete(save=False)
    assert sorted(run.files.values_list("format", flat=True)) == sorted(run.formats)


def test_a_worker_killed_mid_report_leaves_a_run_that_is_built_again(demo, settings, monkeypatch):
    monkeypatch.setenv("REPORT_STAGE_DELAY", "2")  # slow stages: time to kill the worker
    worker = WorkerProcess().start()
    old_queue = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = worker.queue
    second = None
    try:
        run = services.request_report(
            user=staff(),
            period_label="2024Q3",
            start=date(2024, 7, 1),
            end=date(2024, 9, 30),
            region_ids=None,
            formats=["xlsx", "csv"],
            language="ru",
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            run.refresh_from_db()
            if run.status == ReportRun.Status.RUNNING and run.percent > 0:
                break
            time.sleep(0.2)
        assert run.status == ReportRun.Status.RUNNING, run.status
        worker.stop(kill=True)  # SIGKILL mid-build: no chance to clean up

        run.refresh_from_db()
        assert run.status == ReportRun.Status.RUNNING and run.attempts == 1
        settings.TASK_STALE_AFTER = 1
        time.sleep(1.5)
        assert services.recover_stale_runs()["requeued"] == 1
        run.refresh_from_db()
        assert run.status == ReportRun.Status.QUEUED
        assert "being built again" in run.error

        monkeypatch.delenv("REPORT_STAGE_DELAY")
        second = WorkerProcess(queue=worker.queue).start()
        wait_for(run, DONE_OR_FAILED)
        assert run.status == ReportRun.Status.DONE, run.error
        assert run.attempts == 2 and run.error == ""
        assert sorted(run.files.values_list("format", flat=True)) == ["csv", "xlsx"]
    finally:
        celery_app.conf.task_default_queue = old_queue
        worker.stop(kill=True)
        if second:
            second.stop()


def test_redis_down_the_page_says_so_keeps_the_request_and_it_can_be_sent_again(
    celery_worker, demo, shared_media, client, login_as
):
    login_as(staff())
    with broker_at(CLOSED_PORT):
        started = time.monotonic()
        response = client.post(
            "/reports/new/",
            {
                "period_kind": "quarter",
                "quarter": "2024Q3",
                "scope": "all",
                "formats": ["csv"],
                "language": "kk",
            },
            follow=True,
        )
        assert time.monotonic() - started < 30  # the user is not kept waiting for long
        text = response.content.decode()
        assert response.status_code == 200
        assert "Reports are unavailable right now" in text
        assert "Send the request again" in text
        run = ReportRun.objects.get()
        assert run.status == ReportRun.Status.QUEUED and run.task_id == ""
        # Sending again while Redis is still down says so again, and keeps the one request.
        response = client.post(f"/reports/{run.pk}/retry/", follow=True)
        assert "Reports are unavailable right now" in response.content.decode()

    response = client.post(f"/reports/{run.pk}/retry/", follow=True)
    assert "being built again" in response.content.decode()
    wait_for(run, DONE_OR_FAILED)
    assert run.status == ReportRun.Status.DONE, run.error
    assert ReportRun.objects.count() == 1
    report_file = run.files.get()
    assert client.get(f"/reports/{run.pk}/files/csv/").status_code == 200
    report_file.file.delete(save=False)
