"""Celery tasks of the report pipeline (thin: each calls a service in reports/services.py)."""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils.translation import gettext as _

from . import services

logger = logging.getLogger(__name__)


@shared_task(
    bind=True,
    name="reports.build_report_run",
    acks_late=True,
    reject_on_worker_lost=True,
    max_retries=3,
    ignore_result=True,  # the outcome is on the ReportRun row; nothing waits for a result
)
def build_report_run(self, run_id: int) -> str | None:
    """Build one report run. Idempotent: a redelivered task finds the run done (or being built
    by a live worker) and leaves it alone. Transient database errors are retried with backoff;
    after the last retry the run is failed with the reason."""
    try:
        run = services.run_report(run_id, heartbeat=not self.request.is_eager)
    except services.TRANSIENT_ERRORS as exc:
        if self.request.retries >= self.max_retries:
            services.fail_run(
                run_id, _("The database could not be reached while building the report.")
            )
            return None
        raise self.retry(exc=exc, countdown=min(60, 5 * 2**self.request.retries)) from exc
    return run.status if run else None


@shared_task(name="reports.recover_stale_runs", acks_late=True, ignore_result=True)
def recover_stale_runs() -> dict[str, int]:
    """Every TASK_RECOVERY_SECONDS (beat): runs whose worker or queued message was lost are
    sent again or failed."""
    return services.recover_stale_runs()


@shared_task(name="reports.draft_quarterly_report", acks_late=True, ignore_result=True)
def draft_quarterly_report() -> int | None:
    """Daily (beat): once a quarter has ended, draft its report and e-mail staff. Running it
    again the same quarter does nothing."""
    run = services.draft_quarterly_report()
    return run.pk if run else None
