"""Changes made offline and sent later from the browser's outbox (static/js/outbox.js).

Each change carries an idempotency key made by the browser. It is applied through the same
service and the same checks as the online tap (participants.services.record_attendance, the
Scope, trainings.selectors.edit_refusal, full_clean), and its result is stored with the key
(SyncedChange), so a change sent twice (a lost answer, a second tab) is applied once and
answered the same both times. See docs/decisions/0018-offline-outbox-exactly-once.md."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.scope import Scope
from trainings.models import Session
from trainings.selectors import edit_refusal

from .models import SyncedChange
from .selectors import enrolments_visible
from .services import record_attendance

MAX_CHANGES = 200  # per request; the outbox sends its queue in batches of this size
KINDS = ("attendance",)


def _int(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    return int(value) if isinstance(value, str) and value.isdigit() else None


def _result(key, status, message="") -> dict[str, str]:
    return {"key": key, "status": status, "message": str(message)}


def apply_changes(*, user, scope: Scope, changes: list[Any], request=None) -> list[dict[str, str]]:
    """Apply the changes in the order given; return one result per change:
    {"key", "status": "applied" | "refused", "message"}."""
    keys = [c["key"] for c in changes if isinstance(c, dict) and isinstance(c.get("key"), str)]
    done = {s.key: s for s in SyncedChange.objects.filter(user=user, key__in=keys)}
    # Everything the changes point at, read once (and only what the Scope lets the user see).
    enrolment_ids = {_int(c.get("enrolment")) for c in changes if isinstance(c, dict)}
    session_ids = {_int(c.get("session")) for c in changes if isinstance(c, dict)}
    enrolments = {
        e.pk: e
        for e in enrolments_visible(scope)
        .filter(pk__in=enrolment_ids - {None})
        .select_related("event__region", "participant")
    }
    sessions = {s.pk: s for s in Session.objects.filter(pk__in=session_ids - {None})}
    refusals: dict[int, str] = {}  # event id -> edit_refusal

    results = []
    for change in changes:
        if not isinstance(change, dict) or not _valid_key(change.get("key")):
            results.append(_result(None, "refused", _("This change could not be read.")))
            continue
        key = change["key"]
        if key in done:
            results.append(_result(key, done[key].status, done[key].message))
            continue
        outcome = _apply_one(change, scope, enrolments, sessions, refusals, user, request)
        results.append(outcome)
        done[key] = SyncedChange(status=outcome["status"], message=outcome["message"])
    return results


def _valid_key(key) -> bool:
    return isinstance(key, str) and 0 < len(key) <= 64


def _apply_one(change, scope, enrolments, sessions, refusals, user, request) -> dict[str, str]:
    key = change["key"]
    kind = change.get("kind")
    status, message = SyncedChange.Status.APPLIED, ""
    enrolment = enrolments.get(_int(change.get("enrolment")))
    session = sessions.get(_int(change.get("session")))
    present = change.get("present")
    try:
        with transaction.atomic():
            if kind not in KINDS or not isinstance(present, bool):
                status, message = SyncedChange.Status.REFUSED, _("This change could not be read.")
            elif enrolment is None or session is None or session.event_id != enrolment.event_id:
                # What the Scope hides is refused like a missing record: its existence does not
                # leak (the online toggle answers 404).
                status = SyncedChange.Status.REFUSED
                message = _("This person or session is not on an event you can change.")
            else:
                event = enrolment.event
                if event.pk not in refusals:
                    refusals[event.pk] = str(edit_refusal(scope, event))
                if refusals[event.pk]:
                    status, message = SyncedChange.Status.REFUSED, refusals[event.pk]
                else:
                    session.event = event  # the services read the event through the session
                    try:
                        with transaction.atomic():
                            record_attendance(
                                enrolment=enrolment,
                                session=session,
                                present=present,
                                by=user,
                                request=request,
                            )
                    except ValidationError as error:
                        status = SyncedChange.Status.REFUSED
                        message = " ".join(error.messages)
            SyncedChange.objects.create(
                user=user, key=key, kind=str(kind)[:20], status=status, message=message
            )
    except IntegrityError:
        # The same key arrived at the same moment from another tab: that one was applied.
        stored = SyncedChange.objects.get(user=user, key=key)
        return _result(key, stored.status, stored.message)
    return _result(key, status, message)
