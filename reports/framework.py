"""The results framework and the narratives: who may edit them, reads scoped to the user, and
the writes (in transactions, kept in the models' history)."""

from __future__ import annotations

import re
from datetime import date

from django.db import transaction
from django.db.models import Count, QuerySet

from accounts.scope import Scope

from .models import Indicator, Narrative


def period_dates(label: str) -> tuple[date, date] | None:
    """The dates of a period label: '2024Q3' -> 1 Jul - 30 Sep 2024, '2024' -> the year."""
    text = (label or "").strip().upper()
    match = re.fullmatch(r"(\d{4})-?Q([1-4])", text)
    if match:
        year, quarter = int(match[1]), int(match[2])
        start = date(year, 3 * quarter - 2, 1)
        end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
        return start, date.fromordinal(end.toordinal() - 1)
    if re.fullmatch(r"\d{4}", text):
        return date(int(text), 1, 1), date(int(text), 12, 31)
    return None


def normal_period_label(label: str) -> str:
    """'2024-q3' -> '2024Q3' (the form the reports use to find targets and narratives)."""
    text = (label or "").strip().upper().replace("-Q", "Q")
    return text


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
