"""Reads of feedback and test scores as aggregates: the numbers of an event's feedback page,
the event page's feedback panel and the dashboard."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db.models import Avg, Count, F, Q, QuerySet

from accounts.scope import Scope

from .models import Assessment, Feedback

LIKERT_ITEMS = ("satisfaction", "relevance", "usefulness", "intent_to_apply")


def feedback_summary(feedback: QuerySet[Feedback]) -> dict[str, Any]:
    """Count of answers (online, paper, quotable) and the mean of each 1-5 item, in one query."""
    quotable = Q(consent_to_quote=True) & ~Q(comments="")
    return feedback.aggregate(
        n=Count("pk"),
        n_online=Count("pk", filter=Q(source=Feedback.Source.ONLINE)),
        n_paper=Count("pk", filter=~Q(source=Feedback.Source.ONLINE)),
        n_quotable=Count("pk", filter=quotable),
        **{f"avg_{item}": Avg(item) for item in LIKERT_ITEMS},
    )


def satisfaction_distribution(feedback: QuerySet[Feedback]) -> list[dict[str, int]]:
    """How many answered 1, 2, 3, 4 and 5 to "overall satisfaction" (all five, zeros too)."""
    counts = dict(
        feedback.order_by()
        .values_list("satisfaction")
        .annotate(n=Count("pk"))
        .values_list("satisfaction", "n")
    )
    return [{"score": score, "n": counts.get(score, 0)} for score in range(1, 6)]


def quotes(feedback: QuerySet[Feedback], limit: int = 20) -> list[str]:
    """Comments that their authors allowed to be quoted (anonymously), newest first."""
    return list(
        feedback.filter(consent_to_quote=True)
        .exclude(comments="")
        .order_by("-submitted_at", "-pk")
        .values_list("comments", flat=True)[:limit]
    )


def knowledge_gain(assessments: QuerySet[Assessment]) -> dict[str, Any]:
    """Mean pre and post scores and mean gain (post - pre) over people with both scores."""
    both = assessments.filter(pre_score__isnull=False, post_score__isnull=False)
    return both.aggregate(
        n=Count("pk"),
        avg_pre=Avg("pre_score"),
        avg_post=Avg("post_score"),
        avg_gain=Avg(F("post_score") - F("pre_score")),
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
