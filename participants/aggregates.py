"""The aggregates of what people did at events, each defined once: people reached, the feedback
summary (the 1-5 "Likert" items) and the knowledge gain of pre/post tests.

Used by the dashboard (dashboard/figures.py), the event page and its feedback page (through
participants/event_page.py), the regions overview (manage/selectors.py) and the report rules
and builder (reports/indicators.py, reports/builder.py), so a number means the same wherever it
is shown. Aggregates only, no personal data: every scope may read them, viewers included.

The dicts follow one naming convention: `n` is what the figure is counted over (answers; people
with both test scores), `n_<what>` a count among them, `avg_<what>` a mean.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import (
    Aggregate,
    Avg,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
)
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from accounts.scope import Scope

from .models import Assessment, Attendance, Enrolment, Feedback, Participant


# People reached -------------------------------------------------------------------------------
# A person is reached when they attended at least one session dated within the period, at an
# event of the scope; they count once however many sessions and events they came to.
def attendance_in(
    scope: Scope, start: date | None = None, end: date | None = None, *narrowing: Q
) -> QuerySet[Attendance]:
    """Attendance at sessions dated within [start, end] (open where None), at events of the
    scope, narrowed by further filters (a report rule's event types, categories...)."""
    qs = Attendance.objects.filter(scope.region_q("session__event__region"), *narrowing)
    if start and end:
        return qs.filter(session__date__range=(start, end))
    if start:
        return qs.filter(session__date__gte=start)
    if end:
        return qs.filter(session__date__lte=end)
    return qs


def people_reached_qs(
    scope: Scope, start: date | None = None, end: date | None = None, *narrowing: Q
) -> QuerySet[Participant]:
    """The people reached, each once: a semi-join of the people to the attendance of
    `attendance_in` (group or count it as needed)."""
    attended = attendance_in(scope, start, end, *narrowing).values("enrolment__participant_id")
    return Participant.objects.filter(pk__in=attended)


def people_reached(scope: Scope, start: date | None = None, end: date | None = None) -> int:
    """How many people were reached in the scope and period."""
    return people_reached_qs(scope, start, end).count()


def people_reached_by_place(place: str) -> dict[int, int]:
    """People ever reached at the events of each region (`place="region"`) or district
    ("district"): region/district id -> people. A person who came to events in two places
    counts in both. People with an enrolment that has an attendance (an attendance's session is
    always of its enrolment's event): 425,000 enrolments semi-joined to the attendance, not a
    million attendance rows joined to enrolments (0.34 s, not 0.9 s)."""
    reached = Enrolment.objects.filter(Exists(Attendance.objects.filter(enrolment=OuterRef("pk"))))
    if place != "region":
        reached = reached.filter(**{f"event__{place}__isnull": False})
    rows = reached.order_by().values_list(f"event__{place}")
    return dict(rows.annotate(n=Count("participant", distinct=True)))


# Feedback --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LikertItem:
    """One 1-5 question of the feedback form (a field of Feedback)."""

    key: str
    label: Promise  # short: the dashboard's chart, the feedback page
    report_label: Promise  # in full: donor reports


LIKERT = (
    LikertItem("satisfaction", _("Satisfaction"), _("Overall satisfaction")),
    LikertItem("relevance", _("Relevance to work"), _("Relevance to my work")),
    LikertItem("usefulness", _("Usefulness"), _("Usefulness")),
    LikertItem("intent_to_apply", _("Intent to apply"), _("I intend to apply what I learned")),
)
LIKERT_ITEMS = tuple(item.key for item in LIKERT)

SATISFIED_FROM = 4  # "satisfied": an overall satisfaction of 4 or 5 (of 5)
QUOTABLE = Q(consent_to_quote=True) & ~Q(comments="")


# One form per person and event: a merged person's second form is kept, not counted again.
COUNTED = Q(is_duplicate=False)
# Answers typed by the participants themselves: the public link and the kiosk.
ONLINE_SOURCES = (Feedback.Source.ONLINE, Feedback.Source.KIOSK)


def feedback_measures() -> dict[str, Aggregate]:
    """The measures of feedback answers, for `.aggregate()` or a GROUP BY's `.annotate()`:
    over the counted forms (COUNTED) only."""
    return {
        "n": Count("pk", filter=COUNTED),
        "n_online": Count("pk", filter=COUNTED & Q(source__in=ONLINE_SOURCES)),
        "n_paper": Count("pk", filter=COUNTED & ~Q(source__in=ONLINE_SOURCES)),
        "n_quotable": Count("pk", filter=COUNTED & QUOTABLE),
        "n_satisfied": Count("pk", filter=COUNTED & Q(satisfaction__gte=SATISFIED_FROM)),
        **{f"avg_{item}": Avg(item, filter=COUNTED) for item in LIKERT_ITEMS},
    }


def feedback_summary(feedback: QuerySet[Feedback]) -> dict[str, Any]:
    """Count of answers (online, paper, quotable, satisfied) and the mean of each 1-5 item, in
    one query."""
    return feedback.aggregate(**feedback_measures())


def satisfaction_distribution(feedback: QuerySet[Feedback]) -> list[dict[str, int]]:
    """How many answered 1, 2, 3, 4 and 5 to "overall satisfaction" (all five, zeros too)."""
    counts = dict(
        feedback.filter(COUNTED)
        .order_by()
        .values_list("satisfaction")
        .annotate(n=Count("pk"))
        .values_list("satisfaction", "n")
    )
    return [{"score": score, "n": counts.get(score, 0)} for score in range(1, 6)]


# Knowledge gain --------------------------------------------------------------------------------
# Means are over people with both a pre and a post score (a paired comparison).
BOTH_SCORES = Q(pre_score__isnull=False, post_score__isnull=False)
IMPROVED = Q(post_score__gt=F("pre_score"))
GAIN = ExpressionWrapper(
    F("post_score") - F("pre_score"), output_field=DecimalField(max_digits=6, decimal_places=2)
)


def knowledge_measures() -> dict[str, Aggregate]:
    """The measures of pre/post tests, for `.aggregate()` or a GROUP BY's `.annotate()`."""
    return {
        "n": Count("pk", filter=BOTH_SCORES),
        "n_pre": Count("pk", filter=Q(pre_score__isnull=False)),
        "n_post": Count("pk", filter=Q(post_score__isnull=False)),
        "n_improved": Count("pk", filter=IMPROVED),
        "avg_pre": Avg("pre_score", filter=BOTH_SCORES),
        "avg_post": Avg("post_score", filter=BOTH_SCORES),
        "avg_gain": Avg(GAIN, filter=BOTH_SCORES),
    }


def knowledge_gain(assessments: QuerySet[Assessment]) -> dict[str, Any]:
    """Mean pre and post scores and mean gain (post - pre) over people with both scores, and
    how many have each score, in one query."""
    return assessments.aggregate(**knowledge_measures())


def event_figures(event) -> dict[str, dict[str, Any]]:
    """The feedback summary and the test scores of one event (two queries)."""
    return {
        "feedback": feedback_summary(event.feedback.all()),
        "scores": knowledge_gain(Assessment.objects.filter(enrolment__event=event)),
    }
