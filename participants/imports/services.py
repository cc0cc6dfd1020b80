"""The import's steps as services: upload (store the file, check it), confirm (write it), each
run in-process for small files and by a Celery task for big ones. Progress and outcome live on
the ImportBatch row so a page reload or another worker sees them."""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scope import scope_for
from participants.models import ImportBatch
from trainings.models import TrainingEvent

from .apply import apply_plan
from .parse import FileRejected, read_table
from .validate import Plan, build_plan

logger = logging.getLogger(__name__)
Status = ImportBatch.Status


def sync_limit() -> int:
    """Files up to this many bytes are checked and imported during the request."""
    return getattr(settings, "IMPORT_SYNC_MAX_BYTES", 256 * 1024)


def start_import(*, event: TrainingEvent, data: bytes, filename: str, user) -> ImportBatch:
    """Store an upload and check it (now if small, in the background if big). Nothing of the
    file's content is written to the registry here."""
    batch = ImportBatch(
        event=event,
        original_name=(filename or "upload")[:255],
        sha256=hashlib.sha256(data).hexdigest(),
        created_by=user,
        status=Status.VALIDATING,
    )
    safe_name = f"{batch.sha256[:16]}.upload"
    batch.file.save(safe_name, ContentFile(data), save=False)
    batch.save()
    _dispatch(batch, len(data))
    batch.refresh_from_db()
    return batch


def confirm_import(batch: ImportBatch) -> ImportBatch:
    """Write a previewed batch (again now if small, else in the background)."""
    updated = ImportBatch.objects.filter(pk=batch.pk, status=Status.PREVIEW).update(
        status=Status.IMPORTING, percent=0
    )
    batch.refresh_from_db()
    if updated:
        _dispatch(batch, batch.file.size)
        batch.refresh_from_db()
    return batch


def _dispatch(batch: ImportBatch, size: int) -> None:
    if size <= sync_limit():
        run_batch(batch.pk)
        return
    from .tasks import run_import_batch

    transaction.on_commit(lambda: run_import_batch.delay(batch.pk))


def _progress(batch_id: int, low: int, high: int):
    last = {"value": -1}

    def report(fraction: float) -> None:
        value = int(low + (high - low) * fraction)
        if value != last["value"]:
            last["value"] = value
            ImportBatch.objects.filter(pk=batch_id).update(percent=value)

    return report


def _check(batch: ImportBatch, progress) -> Plan | None:
    """Parse and check the stored file; record the outcome on the batch."""
    try:
        with batch.file.open("rb") as handle:
            data = handle.read()
        table = read_table(data, batch.original_name)
    except FileRejected as rejected:
        batch.errors = [{"row": None, "column": "", "message": rejected.message}]
        batch.counts = {"errors": 1}
        return None
    progress(0.1)
    scope = scope_for(batch.created_by) if batch.created_by else None
    from accounts.scope import Scope

    plan = build_plan(
        table, batch.event, scope or Scope(None), progress=lambda f: progress(0.1 + 0.9 * f)
    )
    batch.total_rows = len(table.rows)
    batch.counts = plan.counts()
    batch.errors = plan.errors
    batch.warnings = plan.warnings
    batch.preview = plan.preview()
    return plan


def run_batch(batch_id: int) -> None:
    """Do the next step of a batch: check it (VALIDATING) or write it (IMPORTING). A batch in
    any other state is left alone, so a redelivered task does nothing twice."""
    batch = ImportBatch.objects.select_related("event", "created_by").get(pk=batch_id)
    try:
        if batch.status == Status.VALIDATING:
            plan = _check(batch, _progress(batch.pk, 0, 100))
            batch.status = Status.PREVIEW if plan is not None and plan.ok else Status.INVALID
            batch.percent = 100
            batch.save()
        elif batch.status == Status.IMPORTING:
            plan = _check(batch, _progress(batch.pk, 0, 60))
            if plan is None or not plan.ok:
                batch.status = Status.INVALID  # the registry changed since the preview
                batch.message = _("The file no longer passes the checks; see the errors.")
            else:
                ImportBatch.objects.filter(pk=batch.pk).update(percent=60)
                written = apply_plan(plan, batch.event, batch.created_by)
                batch.counts = {**batch.counts, **written}
                batch.status = Status.DONE
                batch.message = ""
                # Least data: once written, the registry holds the people; the uploaded sheet
                # and the preview (names) would be copies that erasure could not reach.
                batch.preview = []
            batch.percent = 100
            batch.finished_at = timezone.now()
            batch.save()
            if batch.status == Status.DONE and batch.file:
                batch.file.delete(save=False)  # the row keeps the name for the record
    except Exception:
        logger.exception("import batch %s failed", batch_id)
        ImportBatch.objects.filter(pk=batch_id).update(
            status=Status.FAILED,
            percent=100,
            message=_(
                "The import failed unexpectedly; nothing was written. The team has been notified."
            ),
            finished_at=timezone.now(),
        )
