"""Celery tasks of the participants app (found by autodiscovery)."""

import logging

from celery import shared_task
from django.db import DatabaseError
from django.utils.translation import gettext as _

from . import export_jobs, summaries
from .imports.tasks import recover_stale_batches_task, run_import_batch

__all__ = [
    "recover_and_clean_exports",
    "recover_stale_batches_task",
    "refresh_summaries",
    "run_export_job",
    "run_import_batch",
]

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    name="exports.run_export_job",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=3,
    ignore_result=True,  # the outcome is on the ExportJob row
)
def run_export_job(self, job_id: int) -> str | None:
    """Write one export job's file. Idempotent: a redelivered task finds the job done (or being
    written by a live worker) and leaves it alone; transient database errors are retried."""
    try:
        job = export_jobs.run_export(job_id, heartbeat=not self.request.is_eager)
    except export_jobs.TRANSIENT_ERRORS as exc:
        if self.request.retries >= self.max_retries:
            export_jobs.fail_job(
                job_id, _("The database could not be reached while writing the export.")
            )
            return None
        raise self.retry(exc=exc, countdown=min(60, 5 * 2**self.request.retries)) from exc
    return job.status if job else None


@shared_task(
    bind=True,
    name="summaries.refresh",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=6,  # after 10, 20, 40, 80, 160 and 320 s: about ten minutes in all
    ignore_result=True,
)
def refresh_summaries(self, **work: list[int]) -> None:
    """Recount the summaries a committed write touched, when the refresh right after its
    commit failed (participants.summaries `refresh_or_hand_over`). Recounting is idempotent:
    a redelivered or repeated task counts the same records again."""
    try:
        summaries.refresh(**work)
    except DatabaseError as exc:
        if self.request.is_eager:  # no worker to wait for: the caller logs it
            raise
        if self.request.retries >= self.max_retries:
            logger.error(
                "summaries: refresh failed %s times; `manage.py rebuild_summaries` repairs them",
                self.request.retries + 1,
            )
            raise
        countdown = summaries.RETRY_FIRST_SECONDS * 2 ** (self.request.retries + 1)
        raise self.retry(exc=exc, countdown=countdown) from exc


@shared_task(name="exports.recover_and_clean", acks_late=True, ignore_result=True)
def recover_and_clean_exports() -> dict[str, int]:
    """Often (beat): jobs whose worker or message was lost are sent again or failed; expired
    jobs are deleted with their files."""
    return export_jobs.recover_and_clean()
