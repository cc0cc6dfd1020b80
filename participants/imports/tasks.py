"""Celery tasks for big imports (thin: each calls a service)."""

from celery import shared_task

from .services import recover_stale_batches, run_batch


@shared_task(bind=True, acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def run_import_batch(self, batch_id: int) -> None:
    """Check or write one import batch; a redelivered task finds the batch moved on (or at
    work in a live worker) and does nothing. In a worker the batch's heartbeat is kept."""
    run_batch(batch_id, heartbeat=not self.request.is_eager)


@shared_task(name="imports.recover_stale_batches", acks_late=True, ignore_result=True)
def recover_stale_batches_task() -> dict[str, int]:
    """Often (beat): batches whose worker or queued message was lost are sent again or failed."""
    return recover_stale_batches()
