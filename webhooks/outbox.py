"""Webhooks through an outbox (docs/decisions/0020).

1. Recording: `record_domain_event` receives core.domain_events inside the transaction of the
   change and writes one WebhookDelivery per active endpoint that chose the kind, with the
   payload as the record is then. A rolled-back change leaves no row; after the commit each
   row is handed to the Celery task `webhooks.deliver` (core.taskqueue.send: a broker that is
   down only leaves the row waiting).
2. Delivering: `deliver` locks the row (select_for_update(skip_locked)), so a redelivered or
   concurrent task never posts it twice at once, posts the signed body, and records the
   attempt: 2xx is delivered; anything else is tried again after 1, 5, 25, ... minutes
   (WEBHOOK_RETRY_BASE_SECONDS x 5^n, at most a day) until WEBHOOK_MAX_ATTEMPTS, then failed.
   `deliver_due` (beat, every minute) posts the rows whose next attempt has come.
3. Replaying: an admin sends any delivery again (`replay`): same payload, same delivery id,
   a fresh round of attempts, each attempt marked as a replay in its log."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
import uuid
from datetime import datetime, timedelta
from http.client import HTTPConnection, HTTPException, HTTPSConnection
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from core import taskqueue

from . import payloads, tasks
from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)
Status = WebhookDelivery.Status
ALLOWED_SCHEMES = ("http", "https")
USER_AGENT = "Qadam-Webhooks/1"
MAX_BACKOFF = timedelta(days=1)


# Recording ----------------------------------------------------------------------------------
def record_domain_event(sender, *, kind: str, instance: Any, details: dict, **kwargs) -> int:
    """core.domain_events receiver: an outbox row per active endpoint that chose `kind`, in
    the caller's transaction; nothing is built when no endpoint wants it. How many rows."""
    endpoints = [e for e in WebhookEndpoint.objects.filter(is_active=True) if e.wants(kind)]
    if not endpoints:
        return 0
    now = timezone.now()
    data = payloads.build(kind, instance, details)
    rows = []
    for endpoint in endpoints:
        delivery_id = uuid.uuid4()
        rows.append(
            WebhookDelivery.objects.create(
                endpoint=endpoint,
                kind=kind,
                delivery_id=delivery_id,
                payload={
                    "id": str(delivery_id),
                    "event": kind,
                    "occurred_at": now.isoformat(),
                    "data": data,
                },
                next_attempt_at=now,
                created_at=now,
            )
        )
    ids = [row.pk for row in rows]
    transaction.on_commit(lambda: [dispatch(pk) for pk in ids])
    return len(rows)


def dispatch(delivery_pk: int) -> bool:
    """Hand one delivery to a worker; if the broker is down the beat's `deliver_due` posts it."""
    return taskqueue.send(
        tasks.deliver, args=[delivery_pk], task_id=f"webhook-{delivery_pk}-{uuid.uuid4().hex[:8]}"
    )


# Signing ------------------------------------------------------------------------------------
def body_of(delivery: WebhookDelivery) -> bytes:
    """The exact bytes posted: the payload as compact JSON, keys sorted (the same bytes on
    every attempt and replay)."""
    return json.dumps(
        delivery.payload, cls=DjangoJSONEncoder, sort_keys=True, separators=(",", ":")
    ).encode()


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=` and the hex HMAC-SHA256, keyed with the endpoint's secret, of
    `<timestamp>.<body>` (the X-Qadam-Timestamp header, a dot, the raw body)."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def headers_for(delivery: WebhookDelivery, body: bytes, *, now: datetime) -> dict[str, str]:
    timestamp = str(int(now.timestamp()))
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Qadam-Event": delivery.kind,
        "X-Qadam-Delivery": str(delivery.delivery_id),
        "X-Qadam-Timestamp": timestamp,
        "X-Qadam-Signature": signature(delivery.endpoint.secret, timestamp, body),
    }


# Posting ------------------------------------------------------------------------------------
def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST and return the status code. Redirects are not followed (a 3xx is a failure) and
    only http(s) is spoken; raises OSError/HTTPException when no answer comes."""
    parts = urlsplit(url)
    if parts.scheme not in ALLOWED_SCHEMES or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {url}")
    conn_class = HTTPSConnection if parts.scheme == "https" else HTTPConnection
    conn = conn_class(parts.hostname, parts.port, timeout=settings.WEBHOOK_TIMEOUT)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    try:
        conn.request("POST", path, body=body, headers=headers)
        response = conn.getresponse()
        response.read(64 * 1024)  # the receiver's answer is not kept; read a little politely
        return response.status
    finally:
        conn.close()


def backoff(attempts: int) -> timedelta:
    """The wait after the `attempts`-th failed try: base, 5x base, 25x base, ... (a day at
    most). With the default base of a minute: 1, 5, 25, 125 minutes, ..."""
    base = settings.WEBHOOK_RETRY_BASE_SECONDS
    return min(timedelta(seconds=base * 5 ** max(0, attempts - 1)), MAX_BACKOFF)


def _locked_due(delivery_pk: int, now: datetime) -> WebhookDelivery | None:
    return (
        WebhookDelivery.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("endpoint")
        .filter(pk=delivery_pk, status=Status.PENDING, next_attempt_at__lte=now)
        .first()
    )


def deliver(delivery_pk: int, *, now: datetime | None = None) -> bool:
    """Post one delivery whose attempt is due. Idempotent: one delivered, failed, not yet due
    or being posted by another worker is left alone. The receiver's answer or the network
    error is recorded on the row and in its attempt log, never raised. True when delivered."""
    now = now or timezone.now()
    with transaction.atomic():
        delivery = _locked_due(delivery_pk, now)
        if delivery is None:
            return False
        endpoint = delivery.endpoint
        replay = delivery.replays > 0
        if not endpoint.is_active:
            delivery.status = Status.FAILED
            delivery.error = "The endpoint is switched off."
            delivery.next_attempt_at = None
            delivery.save(update_fields=["status", "error", "next_attempt_at"])
            return False
        body = body_of(delivery)
        started = time.monotonic()
        code, error = None, ""
        try:
            code = _post(endpoint.url, body, headers_for(delivery, body, now=timezone.now()))
        except (OSError, HTTPException, ValueError) as exc:  # refused, timeout, TLS, bad URL
            error = f"{type(exc).__name__}: {exc}"[:1000]
        duration = int((time.monotonic() - started) * 1000)
        if code is not None and not 200 <= code < 300:
            error = f"HTTP {code}"
        WebhookAttempt.objects.create(
            delivery=delivery,
            at=timezone.now(),
            response_code=code,
            error=error,
            duration_ms=duration,
            replay=replay,
        )
        delivery.attempts += 1
        delivery.response_code = code
        delivery.error = error
        if not error:
            delivery.status = Status.DELIVERED
            delivery.delivered_at = timezone.now()
            delivery.next_attempt_at = None
        elif delivery.attempts >= settings.WEBHOOK_MAX_ATTEMPTS:
            delivery.status = Status.FAILED
            delivery.next_attempt_at = None
        else:
            delivery.next_attempt_at = now + backoff(delivery.attempts)
        delivery.save()
    if error:
        logger.warning(
            "webhook %s to endpoint %s: attempt %s failed: %s",
            delivery.delivery_id,
            endpoint.pk,
            delivery.attempts,
            error,
        )
    return not error


def deliver_due(*, now: datetime | None = None) -> int:
    """Every minute (beat): post the waiting deliveries whose next attempt has come (a retry,
    or one whose task was never sent). How many were delivered."""
    now = now or timezone.now()
    due = WebhookDelivery.objects.filter(status=Status.PENDING, next_attempt_at__lte=now)
    ids = list(due.order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:500])
    return sum(deliver(pk, now=now) for pk in ids)


# Replaying ----------------------------------------------------------------------------------
def replay(*, delivery: WebhookDelivery, by=None) -> WebhookDelivery:
    """Send a delivery again, delivered or failed (or waiting: now instead of later): the
    same payload under the same delivery id, with a fresh round of WEBHOOK_MAX_ATTEMPTS
    tries; the earlier attempts stay in its log. Posted by a worker after the commit."""
    with transaction.atomic():
        locked = WebhookDelivery.objects.select_for_update().get(pk=delivery.pk)
        locked.status = Status.PENDING
        locked.attempts = 0
        locked.replays += 1
        locked.next_attempt_at = timezone.now()
        locked.save(update_fields=["status", "attempts", "replays", "next_attempt_at"])
        logger.info("webhook %s replayed by %s", locked.delivery_id, getattr(by, "pk", None))
        transaction.on_commit(lambda: dispatch(locked.pk))
    return locked
