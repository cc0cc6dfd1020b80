"""Reads of the follow-up surveys, scoped to the user."""

from __future__ import annotations

from django.db.models import QuerySet
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
