"""Reads for the administration pages: users and the audit trail. Admins only (the views
check `scope.can_manage`)."""

from __future__ import annotations

from datetime import date

from django.db.models import Q, QuerySet

from .audit_trail import AuditTrail, audited_models, model_choices
from .models import SecurityEvent, User

__all__ = ["AuditTrail", "audited_models", "model_choices", "security_events", "users_list"]


def users_list() -> QuerySet[User]:
    return User.objects.prefetch_related("regions").order_by("username")


def security_events(
    *,
    user_id: int | None = None,
    kind: str = "",
    model_label: str = "",
    object_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
    with_logins: bool = True,
) -> QuerySet[SecurityEvent]:
    """Logins, data requests, status changes, merges and downloads, newest first. With a
    record (`model_label` and/or `object_id`): the actions about that record; a merged-away
    person is found by the merge that removed them too. `with_logins=False` leaves out
    logins, logouts and failed logins (the audit log's "login noise")."""
    qs = SecurityEvent.objects.select_related("user")
    if not with_logins:
        qs = qs.exclude(kind__in=SecurityEvent.SESSION_KINDS)
    if user_id:
        qs = qs.filter(user_id=user_id)
    if kind:
        qs = qs.filter(kind=kind)
    if model_label or object_id:
        about = Q()
        if model_label:
            about &= Q(object_type=model_label)
        if object_id:
            about &= Q(object_id=object_id)
        if object_id and model_label in ("", "participants.participant"):
            about |= Q(kind=SecurityEvent.Kind.PERSON_MERGED, detail__removed_id=object_id)
        qs = qs.filter(about)
    if date_from:
        qs = qs.filter(at__date__gte=date_from)
    if date_to:
        qs = qs.filter(at__date__lte=date_to)
    return qs
