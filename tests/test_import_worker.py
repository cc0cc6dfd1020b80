"""A 50,000-row sign-in sheet imports in the background through a real Celery worker, with
progress on the ImportBatch row (what the htmx progress bar shows)."""

from __future__ import annotations

import logging
import os
import time
from pathlib import Path

import pytest

from accounts.models import User
from participants.imports.services import confirm_import, start_import
from participants.models import Attendance, ImportBatch
from trainings.models import TrainingEvent

from .data.imports.samples import BEYNEU, HEADER_RU, csv_bytes

logger = logging.getLogger(__name__)
N_ROWS = 50_000


def wait_for(batch: ImportBatch, states: set[str], timeout: float = 600) -> list[int]:
    """Poll the row like the progress bar does; return the percentages seen."""
    seen = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        batch.refresh_from_db()
        seen.append(batch.percent)
        if batch.status in states:
            return seen
        time.sleep(0.5)
    raise AssertionError(f"batch still {batch.status} at {batch.percent}%")


@pytest.mark.celery
@pytest.mark.django_db(transaction=True)
def test_fifty_thousand_rows_import_through_a_real_worker(
    celery_worker, demo, client, login_as, settings
):
    # The session's worker was started before the per-test media folder existed: share its
    # storage, as web and worker share it in production.
    settings.MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", Path(__file__).parent.parent / "media"))
    event = TrainingEvent.objects.get(title=BEYNEU)
    user = User.objects.get(username="coord.mangystau")
    rows = [
        [
            f"Участник{i:05d} Импортов",
            "М" if i % 2 else "Ж",
            1960 + i % 45,
            f"ЖРО {i % 50}",
            "маман",
            "1",
            "1" if i % 3 else "0",
        ]
        for i in range(N_ROWS)
    ]
    data = csv_bytes(header=HEADER_RU, rows=rows, encoding="utf-8-sig")
    started = time.monotonic()
    batch = start_import(event=event, data=data, filename="big.csv", user=user)
    assert batch.status == ImportBatch.Status.VALIDATING  # handed to the worker
    login_as(user)
    page = client.get(f"/imports/{batch.pk}/progress/")
    assert b"<progress" in page.content and b"hx-trigger" in page.content
    wait_for(batch, {ImportBatch.Status.PREVIEW, ImportBatch.Status.INVALID})
    checked = time.monotonic()
    assert batch.status == ImportBatch.Status.PREVIEW, batch.errors[:3]
    assert batch.counts["create"] == N_ROWS
    batch = confirm_import(batch)
    seen = wait_for(
        batch, {ImportBatch.Status.DONE, ImportBatch.Status.FAILED, ImportBatch.Status.INVALID}
    )
    finished = time.monotonic()
    assert batch.status == ImportBatch.Status.DONE, batch.message
    assert any(0 < p < 100 for p in seen) or seen[-1] == 100
    assert event.enrolments.count() == N_ROWS
    assert Attendance.objects.filter(session__event=event).count() == N_ROWS + N_ROWS * 2 // 3
    logger.warning("50k import: check %.1fs, write %.1fs", checked - started, finished - checked)
    batch.file.delete(save=False)
