"""A committed write whose summaries refresh the database fails (a lost connection, a deadlock)
still gets its figures: the refresh is handed to a worker, which retries it. Before, the
failure was only logged and the dashboard kept the old figures until the next write there."""

from __future__ import annotations

import logging
import time

import pytest
from django.db import OperationalError

from participants import summaries
from participants.models import Attendance, Enrolment, EventFigures

from .test_dashboard_summaries import assert_summaries_right


def _fail_first(monkeypatch, times: int = 1) -> list[int]:
    """The next `times` refreshes of events fail as a lost connection would; returns the calls."""
    real = summaries.refresh_events
    calls: list[int] = []

    def flaky(event_ids):
        calls.append(1)
        if len(calls) <= times:
            raise OperationalError("server closed the connection unexpectedly")
        return real(event_ids)

    monkeypatch.setattr(summaries, "refresh_events", flaky)
    return calls


def _take_one_attendance_away() -> tuple[int, int]:
    """A coordinator untaps one person in Mangystau (committed at once: autocommit); returns
    the event and the attendance row taken away."""
    enrolment = (
        Enrolment.objects.filter(event__region__code="KZ-47", attendances__isnull=False)
        .exclude(event__status="planned")
        .order_by("pk")
        .first()
    )
    attendance = enrolment.attendances.order_by("pk").first()
    attendance.delete()
    return enrolment.event_id, attendance.pk


def _present(event_id: int) -> tuple[int, int]:
    stored = EventFigures.objects.get(event_id=event_id).present
    return stored, Attendance.objects.filter(session__event_id=event_id).count()


@pytest.mark.django_db(transaction=True)
def test_a_failed_refresh_is_retried_and_the_figures_follow_the_write(demo, monkeypatch, caplog):
    calls = _fail_first(monkeypatch)
    with caplog.at_level(logging.ERROR, logger="participants.summaries"):
        event_id, _ = _take_one_attendance_away()  # the write itself succeeds
    assert "handed to a worker" in caplog.text
    assert len(calls) == 2  # the refresh after the commit, then the task's (in-process here)
    stored, live = _present(event_id)
    assert stored == live
    assert_summaries_right()


@pytest.mark.django_db(transaction=True)
def test_a_refresh_that_keeps_failing_never_fails_the_committed_write(demo, monkeypatch, caplog):
    calls = _fail_first(monkeypatch, times=100)
    with caplog.at_level(logging.ERROR):
        event_id, gone = _take_one_attendance_away()
    # The write stands; the error names the repair; every retry was tried.
    assert not Attendance.objects.filter(pk=gone).exists()
    assert "rebuild_summaries" in caplog.text
    assert len(calls) == 2  # after the commit, then the task (in-process: nothing to wait for)
    stored, live = _present(event_id)
    assert stored == live + 1  # stale, as the log says
    monkeypatch.undo()
    summaries.rebuild()
    assert _present(event_id)[0] == live


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_recounts_what_the_web_process_could_not(celery_worker, demo, monkeypatch):
    """The web process's refresh fails; the task goes through Redis to a real worker (its own
    process, its own connection), which recounts the event a few seconds later."""
    _fail_first(monkeypatch, times=100)  # this process never manages: only the worker can
    event_id, _ = _take_one_attendance_away()
    assert _present(event_id)[0] == _present(event_id)[1] + 1  # stale right after the write
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        stored, live = _present(event_id)
        if stored == live:
            break
        time.sleep(0.5)
    assert stored == live, f"the worker did not recount the event (see {celery_worker.log_path})"
    monkeypatch.undo()
    assert_summaries_right()
