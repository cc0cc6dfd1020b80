"""Reads for the administration pages: users and the audit trail. Admins only (the views
check `scope.can_manage`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.apps import apps
from django.db.models import Model, Q, QuerySet

from .models import SecurityEvent, User


def users_list() -> QuerySet[User]:
    return User.objects.prefetch_related("regions").order_by("username")


def audited_models() -> list[type[Model]]:
    """Every model with a django-simple-history trail, in a stable order."""
    found = [
        m for m in apps.get_models() if getattr(m._meta, "simple_history_manager_attribute", None)
    ]
    return sorted(found, key=lambda m: m._meta.label_lower)


def model_choices() -> list[tuple[str, str]]:
    return [(m._meta.label_lower, str(m._meta.verbose_name).capitalize()) for m in audited_models()]


@dataclass
class AuditEntry:
    when: datetime
    who: str
    action: str
    model_label: str
    model_name: str
    object_id: Any
    changes: list[str]


def _filtered(model, *, user_id=None, object_id=None, date_from=None, date_to=None):
    qs = model.history.all()
    if user_id:
        qs = qs.filter(history_user_id=user_id)
    if object_id:
        qs = qs.filter(id=object_id)
    if date_from:
        qs = qs.filter(history_date__date__gte=date_from)
    if date_to:
        qs = qs.filter(history_date__date__lte=date_to)
    return qs


class AuditTrail:
    """History records across every audited model, newest first, paginated by merging the
    first `offset + limit` rows of each model's history (indexed on history_date)."""

    def __init__(
        self,
        *,
        model_label: str = "",
        user_id: int | None = None,
        object_id: int | None = None,
        date_from: date | None = None,
        date_to: date | None = None,
    ):
        models = audited_models()
        if model_label:
            models = [m for m in models if m._meta.label_lower == model_label]
        self.querysets = [
            (
                m,
                _filtered(
                    m, user_id=user_id, object_id=object_id, date_from=date_from, date_to=date_to
                ),
            )
            for m in models
        ]

    def count(self) -> int:
        return sum(qs.count() for _, qs in self.querysets)

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key: slice) -> list[AuditEntry]:
        start, stop = key.start or 0, key.stop
        rows = []
        for model, qs in self.querysets:
            for h in qs.select_related("history_user").order_by("-history_date", "-history_id")[
                :stop
            ]:
                rows.append((model, h))
        rows.sort(key=lambda pair: (pair[1].history_date, pair[1].history_id), reverse=True)
        rows = rows[start:stop]
        previous = self._previous_records(rows)
        return [self._entry(model, h, previous.get((model, h.history_id))) for model, h in rows]

    @staticmethod
    def _previous_records(rows) -> dict:
        """The record before each changed one, one query per model on the page (not per row)."""
        wanted: dict[type[Model], list] = {}
        for model, h in rows:
            if h.history_type == "~":
                wanted.setdefault(model, []).append(h)
        found = {}
        for model, records in wanted.items():
            ids = {h.id for h in records}
            latest = max(h.history_date for h in records)
            chain: dict[Any, list] = {}
            for older in model.history.filter(id__in=ids, history_date__lte=latest).order_by(
                "history_date", "history_id"
            ):
                chain.setdefault(older.id, []).append(older)
            for h in records:
                before = [o for o in chain.get(h.id, []) if o.history_id != h.history_id]
                before = [
                    o
                    for o in before
                    if (o.history_date, o.history_id) < (h.history_date, h.history_id)
                ]
                if before:
                    found[(model, h.history_id)] = before[-1]
        return found

    @staticmethod
    def _entry(model, h, prev) -> AuditEntry:
        changes: list[str] = []
        if prev is not None:
            changes = sorted(h.diff_against(prev).changed_fields)
        return AuditEntry(
            when=h.history_date,
            who=h.history_user.get_username() if h.history_user else "",
            action=h.get_history_type_display(),
            model_label=model._meta.label_lower,
            model_name=str(model._meta.verbose_name),
            object_id=h.id,
            changes=changes,
        )


def security_events(
    *,
    user_id: int | None = None,
    kind: str = "",
    model_label: str = "",
    object_id: int | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> QuerySet[SecurityEvent]:
    """Logins, data requests, status changes, merges and downloads, newest first. With a
    record (`model_label` and/or `object_id`): the actions about that record; a merged-away
    person is found by the merge that removed them too."""
    qs = SecurityEvent.objects.select_related("user")
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
