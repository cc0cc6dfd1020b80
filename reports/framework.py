"""The results framework and the narratives: who may edit them, reads scoped to the user, and
the writes (in transactions, kept in the models' history)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Count, QuerySet

from accounts.scope import Scope

from .models import Indicator, Narrative


def indicators_visible(scope: Scope) -> QuerySet[Indicator]:
    """Indicators are programme-level, not personal data: every signed-in role reads them."""
    return Indicator.objects.select_related("programme").annotate(n_targets=Count("targets"))


def narratives_visible(scope: Scope) -> QuerySet[Narrative]:
    """Programme-wide narratives and those of the user's regions."""
    qs = Narrative.objects.select_related("programme", "region", "updated_by")
    return qs.filter(scope.region_q("region", include_global=True))


@transaction.atomic
def save_indicator(*, form, targets) -> Indicator:
    """Save an indicator form and its targets formset together."""
    indicator = form.save()
    targets.instance = indicator
    targets.save()
    return indicator


@transaction.atomic
def delete_indicator(*, indicator: Indicator) -> None:
    indicator.delete()


@transaction.atomic
def save_narrative(*, form, user) -> Narrative:
    narrative = form.save(commit=False)
    narrative.updated_by = user
    narrative.save()
    return narrative
