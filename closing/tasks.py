"""Celery tasks of the quarterly close's mail (thin: each calls closing/notifications.py)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="closing.send_notification", acks_late=True, ignore_result=True)
def send_notification(notification_id: int) -> bool:
    """Send one notification at once (after the step's commit)."""
    from .notifications import send_now

    return send_now(notification_id)


@shared_task(name="closing.send_pending_notifications", acks_late=True, ignore_result=True)
def send_pending_notifications() -> int:
    """Every 10 minutes (beat): notifications that could not be sent at once."""
    from .notifications import send_pending

    return send_pending()


@shared_task(name="closing.send_weekly_digest", acks_late=True, ignore_result=True)
def send_weekly_digest() -> int:
    """Monday morning (beat): one mail per user with the week's steps."""
    from .notifications import send_digests

    return send_digests()


@shared_task(name="closing.send_quarter_reminders", acks_late=True, ignore_result=True)
def send_quarter_reminders() -> int:
    """Daily (beat): remind regions that have not submitted, before and after quarter end."""
    from .notifications import send_reminders

    return send_reminders()
