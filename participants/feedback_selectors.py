"""Reads of feedback comments: the quotable ones of an event's feedback page and those awaiting
review for donor reports. The numbers (averages, counts, test scores) are in
participants/aggregates.py."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import QuerySet

from accounts.scope import Scope

from .models import Feedback


def quotes(feedback: QuerySet[Feedback], limit: int = 20) -> list[str]:
    """Comments that their authors allowed to be quoted (anonymously), newest first."""
    return list(
        feedback.filter(consent_to_quote=True)
        .exclude(comments="")
        .order_by("-submitted_at", "-pk")
        .values_list("comments", flat=True)[:limit]
    )


def quotes_for_review(
    scope: Scope,
    *,
    status: str | None = Feedback.QuoteStatus.PENDING,
    start: date | None = None,
    end: date | None = None,
    region_ids: list[int] | None = None,
) -> QuerySet[Feedback]:
    """Consented, non-empty comments of the scope's events (any status when `status` is None),
    of events starting in [start, end] (as reports count them) and of the given regions."""
    if not scope.can_see_people:
        return Feedback.objects.none()
    qs = Feedback.objects.filter(scope.region_q("event__region"), consent_to_quote=True).exclude(
        comments=""
    )
    if status:
        qs = qs.filter(quote_status=status)
    if start and end:
        qs = qs.filter(event__start_date__range=(start, end))
    if region_ids is not None:
        qs = qs.filter(event__region_id__in=region_ids)
    return qs


def quotes_awaiting_review(scope: Scope, **filters: Any) -> int:
    """How many consented comments (of the scope, period, regions) no one has reviewed yet:
    they are not in donor reports until programme staff approve them."""
    return quotes_for_review(scope, status=Feedback.QuoteStatus.PENDING, **filters).count()
