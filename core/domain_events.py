"""Domain events: a change other systems may want to hear of, announced where it happens.

A service sends `emit(kind, instance, **details)` inside its own transaction, at the point the
change is made. Lower layers know nothing of who listens; a feature app subscribes to
`domain_event` (webhooks/ writes an outbox row per subscribed endpoint, docs/decisions/0020),
so what listeners write commits or rolls back with the change itself.

Receivers are called with `send`, not `send_robust`: a listener that cannot record the change
fails the change, rather than the change committing unannounced."""

from __future__ import annotations

from typing import Any

from django.dispatch import Signal

EVENT_CREATED = "event.created"
EVENT_HELD = "event.held"
EVENT_REPORTED = "event.reported"
ATTENDANCE_CHANGED = "attendance.changed"
QUARTER_SUBMITTED = "quarter.submitted"
QUARTER_APPROVED = "quarter.approved"
REPORT_FINISHED = "report.finished"

KINDS = (
    EVENT_CREATED,
    EVENT_HELD,
    EVENT_REPORTED,
    ATTENDANCE_CHANGED,
    QUARTER_SUBMITTED,
    QUARTER_APPROVED,
    REPORT_FINISHED,
)

# Receivers get: kind (one of KINDS), instance (the record the change is about) and details
# (a dict the kind defines: attendance.changed names the cells that changed).
domain_event = Signal()


def emit(kind: str, instance: Any, **details: Any) -> None:
    """Announce `kind` about `instance`; call it inside the transaction of the change."""
    if kind not in KINDS:
        raise ValueError(f"unknown domain event kind {kind!r}")
    domain_event.send(sender=type(instance), kind=kind, instance=instance, details=details)
