"""Celery tasks of the trainings app (found by autodiscovery; thin: each calls a service)."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="trainings.hold_attended_events", acks_late=True, ignore_result=True)
def hold_attended_events() -> int:
    """Daily (beat): planned events people attended on a day that has come are held
    (docs/decisions/0010)."""
    return services.hold_attended_events()
