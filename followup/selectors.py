"""Reads of the follow-up surveys, scoped to the user."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts.scope import Scope
from trainings.selectors import events_visible

from .models import Invitation


def call_list(scope: Scope) -> QuerySet[Invitation]:
    """People to call: invited without an e-mail address, not answered, still consenting,
    link not expired, in events of the user's regions; oldest due first."""
    if not (scope.can_see_contacts and scope.can_edit):
        return Invitation.objects.none()
    return (
        Invitation.objects.filter(
            channel=Invitation.Channel.CALL,
            answered_at__isnull=True,
            refused_at__isnull=True,
            expires_at__gt=timezone.now(),
            participant__followup_consent=True,
            event__in=events_visible(scope),
        )
        .select_related("participant", "event", "round__question_set")
        .order_by("due_on", "event__title", "participant__full_name", "pk")
    )


# Outcome figures, for the results framework (issue 22, item 3) ------------------------------
# NEET youth "in employment, education or training": every status but "none".
IN_EET = ("employed", "studying", "internship", "own_business")
STATUSES = (*IN_EET, "none")


@dataclass(frozen=True)
class RoundOutcome:
    """What one round found, over the events given: people asked, who answered, the share of
    those answering "applied" who said yes, and the shares of the NEET statuses."""

    round_id: int
    months: int
    invited: int
    respondents: int
    applied_answered: int
    applied_yes: int
    status_counts: dict[str, int]

    @staticmethod
    def _share(part: int, whole: int) -> float | None:
        return part / whole if whole else None

    @property
    def response_rate(self) -> float | None:
        return self._share(self.respondents, self.invited)

    @property
    def applied_share(self) -> float | None:
        return self._share(self.applied_yes, self.applied_answered)

    @property
    def status_shares(self) -> dict[str, float | None]:
        total = sum(self.status_counts.values())
        return {status: self._share(n, total) for status, n in self.status_counts.items()}

    @property
    def in_eet_share(self) -> float | None:
        total = sum(self.status_counts.values())
        return self._share(sum(self.status_counts[s] for s in IN_EET), total)


def round_outcomes(*, events: QuerySet | None = None) -> list[RoundOutcome]:
    """Per round (of the `events` given, every event by default): invited, respondents,
    response rate, who applied the skills (of those who answered that question) and the NEET
    statuses, counted in the database from the stored answer values (never the wording)."""
    invitations = Invitation.objects.all()
    if events is not None:
        invitations = invitations.filter(event__in=events)
    answered = Q(answered_at__isnull=False)
    counts = {
        "invited": Count("pk"),
        "respondents": Count("pk", filter=answered),
        "applied_answered": Count("pk", filter=answered & Q(answers__has_key="applied")),
        "applied_yes": Count("pk", filter=answered & Q(answers__applied="yes")),
    }
    for status in STATUSES:
        counts[f"status_{status}"] = Count("pk", filter=answered & Q(answers__status=status))
    rows = (
        invitations.values("round_id", "round__months")
        .annotate(**counts)
        .order_by("round__months", "round_id")
    )
    return [
        RoundOutcome(
            round_id=row["round_id"],
            months=row["round__months"],
            invited=row["invited"],
            respondents=row["respondents"],
            applied_answered=row["applied_answered"],
            applied_yes=row["applied_yes"],
            status_counts={s: row[f"status_{s}"] for s in STATUSES},
        )
        for row in rows
    ]
