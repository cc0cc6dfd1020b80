"""Celery task for big imports (thin: calls the service)."""

from celery import shared_task

from .services import run_batch


@shared_task(acks_late=True, reject_on_worker_lost=True)
def run_import_batch(batch_id: int) -> None:
    """Check or write one import batch; a redelivered task finds the batch moved on."""
    run_batch(batch_id)
