"""Recording security events: logins, logouts, failed logins (from Django's auth signals) and
actions on personal data. Model changes themselves are recorded by django-simple-history."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models import Model
from django.dispatch import receiver
from django.http import HttpRequest

from core.client import client_ip
from core.listing import SEEK_PARAMS

from .models import SecurityEvent

logger = logging.getLogger(__name__)


def record_event(
    kind: str,
    *,
    user=None,
    username: str = "",
    request: HttpRequest | None = None,
    object_repr: str = "",
    detail: dict[str, Any] | None = None,
    obj: Model | None = None,
) -> SecurityEvent:
    """Store one security event. `user` is who did it (None for a failed login); `obj` the
    record it was about (an event, a person, a report run), for the per-record audit page."""
    if user is not None and not username:
        username = user.get_username()
    return SecurityEvent.objects.create(
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=obj.pk if obj is not None else None,
        kind=kind,
        user=user if user is not None and user.pk else None,
        username=username[:150],
        ip_address=client_ip(request),
        object_repr=object_repr[:255],
        detail=detail or {},
    )


@receiver(user_logged_in, dispatch_uid="qadam_audit_login")
def _on_login(sender, request, user, **kwargs):
    record_event(SecurityEvent.Kind.LOGIN, user=user, request=request)


@receiver(user_logged_out, dispatch_uid="qadam_audit_logout")
def _on_logout(sender, request, user, **kwargs):
    if user is not None:
        record_event(SecurityEvent.Kind.LOGOUT, user=user, request=request)


@receiver(user_login_failed, dispatch_uid="qadam_audit_login_failed")
def _on_login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get("username", ""))
    logger.warning("failed login for %r from %s", username, client_ip(request))
    record_event(SecurityEvent.Kind.LOGIN_FAILED, username=username, request=request)


def record_download(
    request: HttpRequest,
    what: str,
    *,
    fmt: str = "",
    obj: Model | None = None,
    object_repr: str = "",
    **detail: Any,
) -> SecurityEvent:
    """A report file or an export holding personal data was handed out: who, when, which file
    (`what`, e.g. "report" or "participants"), its format and the filters it was built with.
    A free-text search is noted but not copied: it may be a person's name, and an erasure must
    leave no name behind."""
    filters = {
        k: v for k, v in request.GET.items() if k not in ("page", "export", "q", *SEEK_PARAMS)
    }
    if request.GET.get("q"):
        filters["q"] = "…"
    return record_event(
        SecurityEvent.Kind.REPORT_DOWNLOADED,
        user=request.user,
        request=request,
        obj=obj,
        object_repr=object_repr or what,
        detail={"what": what, "format": fmt, **({"filters": filters} if filters else {}), **detail},
    )
