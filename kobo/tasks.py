"""Celery task of the KoboToolbox intake (thin: calls kobo/services.py)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="kobo.apply_submission", acks_late=True, ignore_result=True)
def apply_kobo_submission(submission_id: int) -> None:
    """Apply one inbox row (sent after the request that stored it commits)."""
    from .services import apply_submission

    apply_submission(submission_id)


@shared_task(name="kobo.send_received", acks_late=True, ignore_result=True)
def send_received() -> int:
    """Beat: submissions still "received" a while after they came in are sent again."""
    from .services import send_received as send

    return send()
