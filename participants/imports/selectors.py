"""Reads of import batches, limited to a Scope (a batch holds names: personal data)."""

from django.db.models import QuerySet

from accounts.scope import Scope
from participants.models import ImportBatch
from trainings.selectors import events_visible


def batches_visible(scope: Scope) -> QuerySet[ImportBatch]:
    """Imports for events the user sees; none for scopes without access to people."""
    if not scope.can_see_people:
        return ImportBatch.objects.none()
    return ImportBatch.objects.filter(event__in=events_visible(scope))
