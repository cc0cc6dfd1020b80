"""Celery tasks of the follow-up surveys (thin: each calls followup/services.py)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="followup.send_invitation", acks_late=True, ignore_result=True)
def send_invitation(invitation_id: int) -> bool:
    """Send one invitation's link (after the round's commit)."""
    from .services import send_now

    return send_now(invitation_id)


@shared_task(name="followup.run_daily", acks_late=True, ignore_result=True)
def run_daily() -> dict:
    """Daily (beat): open the rounds that fell due and send the reminders."""
    from .services import run_daily as run

    return run()


@shared_task(name="followup.send_pending", acks_late=True, ignore_result=True)
def send_pending() -> int:
    """Every 10 minutes (beat): links that could not be sent at once."""
    from .services import send_pending as run

    return run()
