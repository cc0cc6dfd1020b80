"""Export jobs: a list export requested from a page is written to a file by a Celery worker
(in-process when there is no broker), then downloaded by its owner from "My exports".

Like report runs (reports/services.py) and imports, the ExportJob row is the record and the
task only carries it: progress (rows written of the total), a heartbeat, attempts and the
outcome live on the row; `recover_and_clean` (beat) sends again a job whose worker or message
was lost, fails it after TASK_MAX_ATTEMPTS, and deletes jobs and files past their expiry.

Memory stays flat however many rows there are: rows are read with `.iterator()`, CSV goes line
by line to a temporary file, XLSX through openpyxl's write-only mode (core/tabular.py), and the
file is copied to storage in chunks.

The rows are those the requester's Scope saw when they asked (stored on the job); a download
checks that the owner's current Scope still covers it (else 404), and is audited."""

from __future__ import annotations

import io
import logging
import tempfile
from collections.abc import Callable, Iterable, Iterator
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files import File
from django.db import InterfaceError, OperationalError, transaction
from django.http import Http404, QueryDict
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.scope import CONTACT_ROLES, Scope
from core import taskqueue
from core.listing import SEEK_PARAMS
from core.tabular import csv_lines, write_xlsx

from .exports import Export, build_export, file_name
from .models import ExportJob

logger = logging.getLogger(__name__)
Status = ExportJob.Status
PEOPLE_KINDS = (ExportJob.Kind.PARTICIPANTS, ExportJob.Kind.ATTENDANCE)
TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (OperationalError, InterfaceError)
UNSENT_GRACE = timedelta(seconds=10)
UNAVAILABLE = gettext_lazy(
    "The background service does not answer right now. Your export is kept and will start "
    "automatically when the service is back."
)


class JobSuperseded(Exception):
    """The job was deleted, or another attempt took it over: stop quietly."""


# The requester's Scope, stored -----------------------------------------------------------------
def scope_to_json(scope: Scope) -> dict[str, Any]:
    return {
        "regions": None if scope.region_ids is None else sorted(scope.region_ids),
        "role": str(scope.role),
        "can_see_people": scope.can_see_people,
        "can_edit": scope.can_edit,
        "can_build_reports": scope.can_build_reports,
        "can_manage": scope.can_manage,
    }


def job_scope(job: ExportJob) -> Scope:
    """The Scope the rows are read with: the requester's when they asked."""
    data = job.scope
    return Scope.for_regions(
        data.get("regions"),
        role=data.get("role", "viewer"),
        can_see_people=bool(data.get("can_see_people")),
        can_edit=bool(data.get("can_edit")),
        can_build_reports=bool(data.get("can_build_reports")),
        can_manage=bool(data.get("can_manage")),
        user_id=job.user_id,
    )


def still_covered(job: ExportJob, current: Scope) -> bool:
    """Whether the owner's Scope today still covers what the job holds: the regions it was
    read from, people (for the people exports) and contacts (when they were included)."""
    regions = job.scope.get("regions")
    if current.region_ids is not None and (
        regions is None or not set(regions) <= current.region_ids
    ):
        return False
    if job.kind in PEOPLE_KINDS and not current.can_see_people:
        return False
    contacts = job.scope.get("can_see_people") and job.scope.get("role") in CONTACT_ROLES
    people = job.kind == ExportJob.Kind.PARTICIPANTS
    return not (people and contacts and not current.can_see_contacts)


def jobs_of(user) -> Any:
    """The user's own export jobs (nobody else's: not even an admin's view of them)."""
    if user is None or not user.is_authenticated:
        return ExportJob.objects.none()
    return ExportJob.objects.filter(user=user)


def params_of(job: ExportJob) -> QueryDict:
    params = QueryDict(mutable=True)
    for key, values in (job.params or {}).items():
        params.setlist(key, [str(v) for v in values])
    return params


# Requesting ----------------------------------------------------------------------------------
def request_export(
    *, user: User, kind: str, fmt: str, params: QueryDict, scope: Scope, language: str
) -> ExportJob:
    """Record an export job and hand it to a worker once the transaction commits. The caller
    has checked the request (build_export raised for a viewer or an event out of scope)."""
    with transaction.atomic():
        job = ExportJob.objects.create(
            user=user,
            kind=kind,
            format=fmt,
            params={k: v for k, v in params.lists() if k not in ("page", "export", *SEEK_PARAMS)},
            scope=scope_to_json(scope),
            language=language,
        )
        transaction.on_commit(lambda: dispatch(job.pk))
    job.refresh_from_db()
    return job


def dispatch(job_id: int) -> bool:
    """Send a queued job to the workers; False (the reason on the row) if the broker is down."""
    from celery import uuid

    from .tasks import run_export_job

    task_id = uuid()
    queued = ExportJob.objects.filter(pk=job_id, status=Status.QUEUED)
    if not queued.update(task_id=task_id, heartbeat_at=timezone.now()):
        return False
    if taskqueue.send(run_export_job, args=[job_id], task_id=task_id):
        return True
    ExportJob.objects.filter(pk=job_id, status=Status.QUEUED, task_id=task_id).update(
        task_id="", error=str(UNAVAILABLE)
    )
    return False


def can_retry(job: ExportJob) -> bool:
    return job.status == Status.FAILED or (job.status == Status.QUEUED and not job.task_id)


def retry_job(job: ExportJob) -> ExportJob:
    """Send a failed (or never sent) job again, from the start."""
    with transaction.atomic():
        locked = ExportJob.objects.select_for_update().get(pk=job.pk)
        if not can_retry(locked):
            return locked
        if locked.file:
            locked.file.delete(save=False)
        locked.status = Status.QUEUED
        locked.attempts = 0
        locked.error = ""
        locked.rows_done = 0
        locked.rows_total = None
        locked.finished_at = None
        locked.expires_at = None
        locked.notified_at = None
        locked.save()
        transaction.on_commit(lambda: dispatch(locked.pk))
    locked.refresh_from_db()
    return locked


def delete_job(job: ExportJob) -> None:
    """Delete a job and its file; a worker still writing it stops at its next progress write."""
    with transaction.atomic():
        locked = ExportJob.objects.select_for_update().filter(pk=job.pk).first()
        if locked is None:
            return
        if locked.file:
            locked.file.delete(save=False)
        locked.delete()


# Writing -------------------------------------------------------------------------------------
def _claim(job_id: int) -> tuple[ExportJob | None, int]:
    now = timezone.now()
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status in (Status.DONE, Status.FAILED):
            return None, 0
        stale = now - timedelta(seconds=settings.TASK_STALE_AFTER)
        if job.status == Status.RUNNING and (job.heartbeat_at or now) > stale:
            return None, 0
        if job.attempts >= settings.TASK_MAX_ATTEMPTS:
            reason = _("The export stopped %(n)s times; it was not finished.")
            _fail(job, reason % {"n": job.attempts})
            return None, 0
        job.status = Status.RUNNING
        job.attempts += 1
        job.started_at = now
        job.heartbeat_at = now
        job.rows_done = 0
        job.error = ""
        job.save()
        return job, job.attempts


def _fail(job: ExportJob, reason: str) -> None:
    job.status = Status.FAILED
    job.error = reason[:2000]
    job.finished_at = timezone.now()
    job.expires_at = job.finished_at + timedelta(days=settings.EXPORT_KEEP_DAYS)
    job.save()


def _alive(job_id: int, attempt: int):
    return ExportJob.objects.filter(pk=job_id, status=Status.RUNNING, attempts=attempt)


def _counted(rows: Iterable[Any], every: int, progress: Callable[[int], None]) -> Iterator[Any]:
    done = 0
    for row in rows:
        yield row
        done += 1
        if done % every == 0:
            progress(done)
    progress(done)


def write_file(export: Export, fmt: str, target, progress: Callable[[int], None]) -> None:
    """Write `export` to the binary file `target` row by row (memory stays flat)."""
    rows = _counted(export.rows, max(1, settings.EXPORT_PROGRESS_ROWS), progress)
    if fmt == "csv":
        text = io.TextIOWrapper(target, encoding="utf-8", newline="", write_through=True)
        for line in csv_lines(export.header, rows):
            text.write(line)
        text.flush()
        text.detach()  # leave `target` open
    else:
        write_xlsx([(export.name, export.header, rows)], target)


class _Requester:
    """What the list's FilterSet asks of a request: the user (whose Scope is the stored one)."""

    def __init__(self, job: ExportJob, scope: Scope):
        user = job.user
        user._qadam_scope = scope
        self.user = user


def run_export(job_id: int, *, heartbeat: bool = False) -> ExportJob | None:
    """Write a queued job's file. Idempotent: a done or failed job, or one another worker is
    writing, is left alone. Transient database errors propagate (the task retries them); any
    other error fails the job with the reason."""
    job, attempt = _claim(job_id)
    if job is None:
        return ExportJob.objects.filter(pk=job_id).first()

    def progress(done: int) -> None:
        now = timezone.now()
        if not _alive(job_id, attempt).update(rows_done=done, heartbeat_at=now):
            raise JobSuperseded

    def beat() -> bool:
        return bool(_alive(job_id, attempt).update(heartbeat_at=timezone.now()))

    try:
        every = settings.TASK_HEARTBEAT_SECONDS if heartbeat else 0
        with translation.override(job.language), taskqueue.Heartbeat(beat, every=every):
            _write(job, attempt, progress)
    except JobSuperseded:
        logger.info("export job %s attempt %s superseded or deleted", job_id, attempt)
    except TRANSIENT_ERRORS:
        logger.warning("export job %s: transient database error, will retry", job_id)
        retrying = _("A temporary error: retrying.")
        _alive(job_id, attempt).update(status=Status.QUEUED, error=retrying)
        raise
    except Exception as exc:  # noqa: BLE001 - any bug or bad data: the job fails with the reason
        if isinstance(exc, PermissionDenied | Http404):
            reason = _("The export is not allowed: its event or its data are out of your reach.")
        else:
            logger.exception("export job %s failed", job_id)
            reason = _("The export could not be written: %(error)s") % {"error": exc}
        with transaction.atomic():
            current = ExportJob.objects.select_for_update().filter(pk=job_id).first()
            if current and current.status == Status.RUNNING and current.attempts == attempt:
                _fail(current, reason)
    return ExportJob.objects.filter(pk=job_id).first()


def _write(job: ExportJob, attempt: int, progress: Callable[[int], None]) -> None:
    scope = job_scope(job)
    export = build_export(job.kind, params_of(job), scope, _Requester(job, scope), job.language)
    total = export.count()
    if not _alive(job.pk, attempt).update(rows_total=total, heartbeat_at=timezone.now()):
        raise JobSuperseded
    name = file_name(export.name, job.format, timezone.localdate(job.created_at))
    with tempfile.TemporaryFile() as spool:
        write_file(export, job.format, spool, progress)
        size = spool.tell()
        spool.seek(0)
        if job.file:
            job.file.delete(save=False)  # an earlier, interrupted attempt's
        job.file.save(name, File(spool, name=name), save=False)
    with transaction.atomic():
        current = ExportJob.objects.select_for_update().filter(pk=job.pk).first()
        if current is None or current.status != Status.RUNNING or current.attempts != attempt:
            job.file.delete(save=False)
            raise JobSuperseded
        current.file = job.file.name
        current.filename = name
        current.size = size
        current.rows_total = total
        current.status = Status.DONE
        current.error = ""
        current.finished_at = timezone.now()
        current.heartbeat_at = current.finished_at
        current.expires_at = current.finished_at + timedelta(days=settings.EXPORT_KEEP_DAYS)
        current.save()


def fail_job(job_id: int, reason: str) -> None:
    with transaction.atomic():
        job = ExportJob.objects.select_for_update().filter(pk=job_id).first()
        if job is not None and job.is_active:
            _fail(job, reason)


# Telling the owner ---------------------------------------------------------------------------
def pending_notices(user) -> tuple[list[ExportJob], int, bool]:
    """Jobs of `user` that ended and were not announced yet (marked announced now), how many
    are ready and not downloaded, and whether any is still at work. Three small queries."""
    mine = jobs_of(user)
    ended = list(
        mine.filter(status__in=[Status.DONE, Status.FAILED], notified_at__isnull=True).order_by(
            "pk"
        )
    )
    if ended:
        mine.filter(pk__in=[j.pk for j in ended]).update(notified_at=timezone.now())
    ready = mine.filter(status=Status.DONE, downloaded_at__isnull=True).count()
    active = mine.filter(status__in=[Status.QUEUED, Status.RUNNING]).exists()
    return ended, ready, active


# Recovery and expiry -------------------------------------------------------------------------
def recover_and_clean(*, now=None) -> dict[str, int]:
    """Jobs whose worker was lost (running, no sign of life for TASK_STALE_AFTER) are sent again
    while attempts remain, else failed; queued jobs the broker never got, or lost, are sent
    again; jobs past `expires_at` are deleted with their files."""
    now = now or timezone.now()
    limit = now - timedelta(seconds=settings.TASK_STALE_AFTER)
    counts = {"requeued": 0, "failed": 0, "resent": 0, "expired": 0}
    for job_id in list(
        ExportJob.objects.filter(status=Status.RUNNING, heartbeat_at__lt=limit).values_list(
            "pk", flat=True
        )
    ):
        with transaction.atomic():
            job = ExportJob.objects.select_for_update().get(pk=job_id)
            if job.status != Status.RUNNING or (job.heartbeat_at and job.heartbeat_at >= limit):
                continue
            if job.attempts >= settings.TASK_MAX_ATTEMPTS:
                _fail(
                    job,
                    _("The export stopped (its worker was lost) %(n)s times; it was not finished.")
                    % {"n": job.attempts},
                )
                counts["failed"] += 1
                continue
            job.status = Status.QUEUED
            job.rows_done = 0
            job.save()
            transaction.on_commit(lambda pk=job.pk: dispatch(pk))
            counts["requeued"] += 1
    queued = ExportJob.objects.filter(status=Status.QUEUED)
    for job_id in list(
        queued.filter(task_id="", created_at__lt=now - UNSENT_GRACE).values_list("pk", flat=True)
    ):
        counts["resent"] += dispatch(job_id)
    sent_long_ago = list(
        queued.exclude(task_id="").filter(heartbeat_at__lt=limit).values_list("pk", "task_id")
    )
    in_broker = taskqueue.waiting_task_ids() if sent_long_ago else None
    if in_broker is not None:
        for job_id, task_id in sent_long_ago:
            if task_id not in in_broker:
                counts["resent"] += dispatch(job_id)
    for job in ExportJob.objects.filter(expires_at__lt=now).exclude(
        status__in=[Status.QUEUED, Status.RUNNING]
    ):
        if job.file:
            job.file.delete(save=False)
        job.delete()
        counts["expired"] += 1
    if any(counts.values()):
        logger.info("export jobs: %s", counts)
    return counts
