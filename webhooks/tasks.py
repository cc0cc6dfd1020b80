"""Celery tasks of the webhooks (thin: each calls webhooks/outbox.py)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="webhooks.deliver", acks_late=True, ignore_result=True)
def deliver(delivery_pk: int) -> bool:
    """Post one delivery (after the commit of the change, or of a replay)."""
    from .outbox import deliver as post

    return post(delivery_pk)


@shared_task(name="webhooks.deliver_due", acks_late=True, ignore_result=True)
def deliver_due() -> int:
    """Every minute (beat): retries whose time has come, and rows never handed to a worker."""
    from .outbox import deliver_due as post_due

    return post_due()
