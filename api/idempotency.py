"""`Idempotency-Key` on the API's creates: the first answer is kept with the key (per user),
and the same request sent again with the same key gets that answer, not a second record.
The key is stored in the transaction of the write itself, so two copies of a request arriving
at once make one record: the second waits for the first, then replays its answer."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.response import Response

from .models import IdempotencyKey

HEADER = "Idempotency-Key"
MAX_LENGTH = 255


class KeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "idempotency_key_reused"


def _fingerprint(request) -> str:
    body = json.dumps(request.data, sort_keys=True, default=str)
    return hashlib.sha256(body.encode()).hexdigest()


def _replay(stored: IdempotencyKey, request) -> Response:
    if (stored.method, stored.path, stored.body_hash) != (
        request.method,
        request.path,
        _fingerprint(request),
    ):
        raise KeyReused(
            _(
                "This Idempotency-Key was used for another request: send a new key with each "
                "new record."
            )
        )
    response = Response(stored.response, status=stored.status_code)
    response["Idempotent-Replayed"] = "true"
    return response


def replay_or_run(request, write: Callable[[], Response]) -> Response:
    """Run `write` (a create) once per user and `Idempotency-Key`; without the header, just
    run it. Only successful answers are kept: a refused request may be corrected and sent
    again with the same key."""
    key = request.headers.get(HEADER, "").strip()
    if not key:
        return write()
    if len(key) > MAX_LENGTH or not key.isprintable():
        raise exceptions.ValidationError(
            {HEADER: [_("Send a key of up to %(max)d printable characters.") % {"max": MAX_LENGTH}]}
        )
    stored = IdempotencyKey.objects.filter(user=request.user, key=key).first()
    if stored is not None:
        return _replay(stored, request)
    try:
        with transaction.atomic():
            # The key is claimed before the write: a copy of this request arriving meanwhile
            # waits on the key's unique index until this transaction ends, then replays our
            # answer (or, if ours was refused and rolled back, runs its own write).
            claimed = IdempotencyKey.objects.create(
                user=request.user,
                key=key,
                method=request.method,
                path=request.path[:500],
                body_hash=_fingerprint(request),
                status_code=0,
                response={},
            )
            response = write()
            if 200 <= response.status_code < 300:
                claimed.status_code = response.status_code
                claimed.response = json.loads(json.dumps(response.data, default=str))
                claimed.save(update_fields=["status_code", "response"])
            else:
                transaction.set_rollback(True)  # a refused request does not use up its key
    except IntegrityError:
        # The same key stored meanwhile by a copy of this request: its record stands, ours is
        # rolled back; answer what it answered.
        stored = IdempotencyKey.objects.filter(user=request.user, key=key).first()
        if stored is None:
            raise
        return _replay(stored, request)
    return response
