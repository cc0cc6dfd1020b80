"""Celery tasks of the participants app (found by autodiscovery)."""

from .imports.tasks import recover_stale_batches_task, run_import_batch

__all__ = ["recover_stale_batches_task", "run_import_batch"]
