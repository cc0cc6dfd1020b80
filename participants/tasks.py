"""Celery tasks of the participants app (found by autodiscovery)."""

from .imports.tasks import run_import_batch

__all__ = ["run_import_batch"]
