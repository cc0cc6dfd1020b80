"""The import's steps as services: upload (store the file, check it), confirm (write it), each
run in-process for small files and by a Celery task for big ones. Progress and outcome live on
the ImportBatch row so a page reload or another worker sees them."""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.scope import NOBODY, Scope, scope_for
from core import taskqueue
from participants.models import ImportBatch
from trainings.models import TrainingEvent
from trainings.selectors import edit_refusal

from .apply import EventNotEditable, apply_plan
from .parse import FileRejected, read_table, work_size
from .sources import SourceGone, rename_header
from .validate import Plan, build_plan

logger = logging.getLogger(__name__)
Status = ImportBatch.Status
# Big files are background work like report runs (docs/reports-pipeline.md): the batch row is
# the record and the task only carries it. With the broker down the batch says so and waits; a
# worker at work touches `heartbeat_at`; `recover_stale_batches` (beat) sends again a batch
# whose message or worker was lost, up to TASK_MAX_ATTEMPTS times, then fails it with a reason.
AT_WORK = (Status.VALIDATING, Status.IMPORTING)
QUEUE_UNAVAILABLE = gettext_lazy(
    "The background service does not answer right now. Your file is kept and its turn will "
    "come automatically when the service is back: you can leave this page and come back later."
)
WORKER_LOST = gettext_lazy("The worker handling this file stopped; it is being done again.")
# A batch recorded but not yet handed to the broker (the request is finishing) is left alone
# for this long before the recovery sends it.
UNSENT_GRACE = timedelta(seconds=10)


def sync_limit() -> int:
    """Files up to this many bytes (a workbook: unpacked) are checked and imported during the
    request; anything bigger goes to a worker."""
    return settings.IMPORT_SYNC_MAX_BYTES


def _stored_work_size(batch: ImportBatch) -> int:
    try:
        with batch.file.open("rb") as handle:
            return work_size(handle.read())
    except OSError:
        return batch.file.size


def import_refusal(scope: Scope, event: TrainingEvent) -> str:
    """Why this user may not import into `event`, or "" when they may: the one lock rule
    (`trainings.selectors.edit_refusal`: rights, reported events, approved region-quarters),
    asked at upload, at confirm and again when the rows are written."""
    refusal = edit_refusal(scope, event)
    if refusal:
        return _("Nothing was imported. %(why)s") % {"why": refusal}
    return ""


def _importer_scope(batch: ImportBatch) -> Scope:
    """The scope of the person who uploaded the batch: the import sees and changes only what
    they may (a batch whose uploader is gone may do nothing)."""
    return scope_for(batch.created_by) if batch.created_by_id else NOBODY


def start_import(
    *, event: TrainingEvent, data: bytes, filename: str, user, columns: str = ""
) -> ImportBatch:
    """Store an upload and check it (now if small, in the background if big). Nothing of the
    file's content is written to the registry here. Raises ValidationError when the user may
    not import into the event (reported and locked, or not theirs): then nothing is stored.
    `columns`: how the header is read ("" = Qadam's names; a registered column source such as
    a connected KoboToolbox form's export, participants/imports/sources.py)."""
    refusal = import_refusal(scope_for(user), event)
    if refusal:
        raise ValidationError(refusal, code="event_locked")
    batch = ImportBatch(
        event=event,
        original_name=(filename or "upload")[:255],
        sha256=hashlib.sha256(data).hexdigest(),
        created_by=user,
        status=Status.VALIDATING,
        columns=columns,
    )
    safe_name = f"{batch.sha256[:16]}.upload"
    batch.file.save(safe_name, ContentFile(data), save=False)
    batch.save()
    _dispatch(batch, work_size(data))
    batch.refresh_from_db()
    return batch


def choose_sheet(batch: ImportBatch, *, sheet: str, user) -> ImportBatch:
    """Check a previewed workbook again on another of its visible sheets holding data (the
    preview offers them). Nothing is written; raises ValidationError for a sheet the file does
    not offer or an event the user may not change."""
    refusal = import_refusal(scope_for(user), batch.event)
    if refusal:
        raise ValidationError(refusal, code="event_locked")
    if sheet not in (batch.file_info or {}).get("sheets", []):
        raise ValidationError(_("This file has no such sheet."), code="no_sheet")
    updated = ImportBatch.objects.filter(
        pk=batch.pk, status__in=(Status.PREVIEW, Status.INVALID)
    ).update(
        sheet=sheet,
        status=Status.VALIDATING,
        percent=0,
        started_at=None,
        attempts=0,
        task_id="",
        message="",
    )
    batch.refresh_from_db()
    if updated:
        _dispatch(batch, _stored_work_size(batch))
        batch.refresh_from_db()
    return batch


def confirm_import(batch: ImportBatch, *, user=None) -> ImportBatch:
    """Write a previewed batch (again now if small, else in the background). With the `user`
    confirming, raises ValidationError when they may not change the event (any more); the
    uploader's right is checked again when the rows are written."""
    if user is not None:
        refusal = import_refusal(scope_for(user), batch.event)
        if refusal:
            raise ValidationError(refusal, code="event_locked")
    updated = ImportBatch.objects.filter(pk=batch.pk, status=Status.PREVIEW).update(
        # A new step of background work: waiting for a worker again, with its own attempts.
        status=Status.IMPORTING,
        percent=0,
        started_at=None,
        attempts=0,
        task_id="",
    )
    batch.refresh_from_db()
    if updated:
        _dispatch(batch, _stored_work_size(batch))
        batch.refresh_from_db()
    return batch


def _dispatch(batch: ImportBatch, size: int) -> None:
    if size <= sync_limit():
        run_batch(batch.pk)
        return
    transaction.on_commit(lambda: send_batch(batch.pk))


def stale_after() -> timedelta:
    """A batch at work with no sign of life for this long has lost its worker."""
    return timedelta(seconds=settings.TASK_STALE_AFTER)


def send_batch(batch_id: int, *, note: str = "") -> bool:
    """Hand a batch that is waiting for a worker to the broker. False if the broker does not
    answer: the batch keeps its state, says so, and the recovery sends it when it is back."""
    from celery import uuid

    from .tasks import run_import_batch

    task_id = uuid()
    waiting = ImportBatch.objects.filter(pk=batch_id, status__in=AT_WORK, started_at__isnull=True)
    if not waiting.update(task_id=task_id, heartbeat_at=timezone.now()):
        return False  # taken by a worker, or finished, meanwhile
    sent = taskqueue.send(run_import_batch, args=[batch_id], task_id=task_id)
    ImportBatch.objects.filter(pk=batch_id, task_id=task_id, started_at__isnull=True).update(
        task_id=task_id if sent else "", message=note if sent else str(QUEUE_UNAVAILABLE)
    )
    return sent


def _progress(batch_id: int, low: int, high: int):
    last = {"value": -1}

    def report(fraction: float) -> None:
        value = int(low + (high - low) * fraction)
        if value != last["value"]:
            last["value"] = value
            ImportBatch.objects.filter(pk=batch_id).update(
                percent=value, heartbeat_at=timezone.now()
            )

    return report


def _check(batch: ImportBatch, scope: Scope, progress) -> Plan | None:
    """Parse and check the stored file; record the outcome on the batch."""
    try:
        with batch.file.open("rb") as handle:
            data = handle.read()
        rename = (lambda cells: rename_header(batch.columns, cells)) if batch.columns else None
        table = read_table(data, batch.original_name, sheet=batch.sheet, rename=rename)
    except SourceGone:
        message = _("The form this file was uploaded for is no longer connected.")
        batch.errors = [{"row": None, "column": "", "message": message}]
        batch.counts = {"errors": 1}
        batch.file_info = {}
        return None
    except FileRejected as rejected:
        batch.errors = [{"row": None, "column": "", "message": rejected.message}]
        batch.counts = {"errors": 1}
        batch.file_info = {}
        return None
    progress(0.1)
    plan = build_plan(table, batch.event, scope, progress=lambda f: progress(0.1 + 0.9 * f))
    batch.total_rows = len(table.rows)
    batch.counts = plan.counts()
    batch.errors = plan.errors
    batch.warnings = table.notes + plan.warnings
    batch.preview = plan.preview()
    batch.file_info = {**table.info, "kind": table.kind, "header_row": table.header_row}
    return plan


def _fresh_event(batch: ImportBatch) -> TrainingEvent:
    return TrainingEvent.objects.get(pk=batch.event_id)


def _claim(batch_id: int) -> ImportBatch | None:
    """Take a batch for this attempt, or None when there is nothing to do: finished, or at
    work with a fresh heartbeat (another worker has it). Out of attempts: failed."""
    now = timezone.now()
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().filter(pk=batch_id).first()
        if batch is None or batch.status not in AT_WORK:
            return None
        if batch.started_at and batch.heartbeat_at and batch.heartbeat_at > now - stale_after():
            return None
        if batch.attempts >= settings.TASK_MAX_ATTEMPTS:
            _fail_lost(batch)
            return None
        batch.attempts += 1
        batch.started_at = now
        batch.heartbeat_at = now
        batch.message = ""
        batch.save(update_fields=["attempts", "started_at", "heartbeat_at", "message"])
    return ImportBatch.objects.select_related("event", "created_by").get(pk=batch_id)


def _fail_lost(batch: ImportBatch) -> None:
    batch.status = Status.FAILED
    batch.percent = 100
    batch.finished_at = timezone.now()
    batch.message = _(
        "The import stopped %(n)s times because the background worker was lost, and was not "
        "finished. Upload the file again."
    ) % {"n": batch.attempts}
    batch.save(update_fields=["status", "percent", "finished_at", "message"])


def run_batch(batch_id: int, *, heartbeat: bool = False) -> None:
    """Do the next step of a batch: check it (VALIDATING) or write it (IMPORTING). A batch in
    any other state, or at work in a live worker, is left alone, so a redelivered task does
    nothing twice. `heartbeat`: touch the row every TASK_HEARTBEAT_SECONDS meanwhile (in a
    worker, so a lost one is noticed even during a long write)."""
    batch = _claim(batch_id)
    if batch is None:
        return
    attempt = batch.attempts

    def beat() -> bool:
        alive = ImportBatch.objects.filter(pk=batch_id, status__in=AT_WORK, attempts=attempt)
        return bool(alive.update(heartbeat_at=timezone.now()))

    every = settings.TASK_HEARTBEAT_SECONDS if heartbeat else 0
    with taskqueue.Heartbeat(beat, every=every):
        _run_step(batch_id, batch)


def _run_step(batch_id: int, batch: ImportBatch) -> None:
    """Check or write a claimed batch; the outcome is recorded on it."""
    # Checked and written as the uploader: in a worker there is no request, and the batch
    # must not see or change more than the person who uploaded it may.
    scope = _importer_scope(batch)
    try:
        refusal = ""
        if batch.status in (Status.VALIDATING, Status.IMPORTING):
            refusal = import_refusal(scope, batch.event)
        if refusal:  # e.g. the event was reported between the upload and the confirmation
            batch.status = Status.INVALID
            batch.message = refusal
            batch.percent = 100
            batch.finished_at = timezone.now()
            batch.save()
        elif batch.status == Status.VALIDATING:
            plan = _check(batch, scope, _progress(batch.pk, 0, 100))
            batch.status = Status.PREVIEW if plan is not None and plan.ok else Status.INVALID
            batch.percent = 100
            batch.save()
        elif batch.status == Status.IMPORTING:
            plan = _check(batch, scope, _progress(batch.pk, 0, 60))
            if plan is None or not plan.ok:
                batch.status = Status.INVALID  # the registry changed since the preview
                batch.message = _("The file no longer passes the checks; see the errors.")
            else:
                ImportBatch.objects.filter(pk=batch.pk).update(percent=60)
                try:
                    written = apply_plan(
                        plan, batch.event, batch.created_by, scope=scope, batch=batch
                    )
                except EventNotEditable:  # locked while the file was being checked
                    batch.status = Status.INVALID
                    batch.message = import_refusal(scope, _fresh_event(batch)) or _(
                        "You may not change this event's data: nothing was imported."
                    )
                else:
                    batch.counts = {**batch.counts, **written}
                    batch.status = Status.DONE
                    batch.message = ""
                    # Least data: once written, the registry holds the people; the uploaded
                    # sheet and the preview (names) would be copies that erasure could not reach.
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


# Recovery ------------------------------------------------------------------------------------
def recover_stale_batches(*, now=None) -> dict[str, int]:
    """Batches stuck in "Checking the file" or "Importing": those whose worker was lost (no
    heartbeat for TASK_STALE_AFTER) are sent again while attempts remain, else failed with the
    reason; those waiting for a worker whose message the broker no longer holds (never sent,
    or lost with Redis's data) are sent again. None stays at work forever."""
    now = now or timezone.now()
    limit = now - stale_after()
    counts = {"requeued": 0, "failed": 0, "resent": 0}
    lost = ImportBatch.objects.filter(
        status__in=AT_WORK, started_at__isnull=False, heartbeat_at__lt=limit
    )
    for batch_id in list(lost.values_list("pk", flat=True)):
        with transaction.atomic():
            batch = ImportBatch.objects.select_for_update().get(pk=batch_id)
            if batch.status not in AT_WORK or not batch.started_at or batch.heartbeat_at >= limit:
                continue
            if batch.attempts >= settings.TASK_MAX_ATTEMPTS:
                _fail_lost(batch)
                counts["failed"] += 1
                continue
            batch.started_at = None
            batch.save(update_fields=["started_at"])
            transaction.on_commit(lambda pk=batch_id: send_batch(pk, note=str(WORKER_LOST)))
            counts["requeued"] += 1

    waiting = ImportBatch.objects.filter(status__in=AT_WORK, started_at__isnull=True)
    unsent = waiting.filter(task_id="", created_at__lt=now - UNSENT_GRACE)
    for batch_id in list(unsent.values_list("pk", flat=True)):
        counts["resent"] += send_batch(batch_id)
    sent_long_ago = list(
        waiting.exclude(task_id="").filter(heartbeat_at__lt=limit).values_list("pk", "task_id")
    )
    in_broker = taskqueue.waiting_task_ids() if sent_long_ago else None
    if in_broker is not None:
        for batch_id, task_id in sent_long_ago:
            if task_id not in in_broker:  # Redis lost it (restarted without its data)
                counts["resent"] += send_batch(batch_id)
    if any(counts.values()):
        logger.warning("stale import batches: %s", counts)
    return counts


def stuck_batches(*, now=None) -> int:
    """Batches at work with no sign of life for twice TASK_STALE_AFTER: the recovery has not
    moved them (no beat, no worker, or the broker is down). /healthz/ reports them."""
    now = now or timezone.now()
    last_sign = Coalesce("heartbeat_at", "created_at")
    return (
        ImportBatch.objects.filter(status__in=AT_WORK)
        .alias(last_sign=last_sign)
        .filter(last_sign__lt=now - 2 * stale_after())
        .count()
    )
