"""The results framework and the narratives: who may edit them, reads scoped to the user, and
the writes (in transactions, kept in the models' history)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, QuerySet
from django.urls import reverse
from django.utils.translation import gettext as _

from accounts.scope import Scope
from core.periods import Period
from regions.models import Region
from trainings.models import Programme, RegionQuarter, TrainingEvent

from .builder import indicator_statuses
from .models import Indicator, IndicatorComment, Narrative

# Report colours of an indicator that needs an explanation of variance.
OFF_TRACK = ("red", "amber")


@dataclass(frozen=True)
class MissingText:
    """A text a report of the period would lack, and the page that writes it ("" when the
    user cannot write it)."""

    text: str
    url: str = ""


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


@transaction.atomic
def save_indicator_comment(
    *, indicator: Indicator, period_label: str, text: str, user
) -> IndicatorComment | None:
    """Write (or, with an empty text, remove) the explanation of an indicator's figure for a
    period. Returns the comment, None when removed."""
    text = (text or "").strip()
    comment = IndicatorComment.objects.filter(indicator=indicator, period_label=period_label)
    if not text:
        for old in comment:
            old.delete()
        return None
    comment = comment.first() or IndicatorComment(indicator=indicator, period_label=period_label)
    comment.text = text
    comment.updated_by = user
    comment.full_clean()
    comment.save()
    return comment


def missing_texts(
    scope: Scope, *, programme: Programme | None, period: Period
) -> list[MissingText]:
    """What a report of `period` over the scope's regions would go out without: the
    programme-level narrative (a report of every region), the narrative of each region with
    events of the programme ending in the period, and the explanation of variance of each
    off-track indicator (red or amber, computed as the report does)."""
    if programme is None:
        return []
    staff = scope.can_edit_framework
    out = []
    narratives = Narrative.objects.filter(programme=programme, period_label=period.key)
    if scope.all_regions and not narratives.filter(region__isnull=True).exists():
        out.append(
            MissingText(
                _("The programme-level narrative for %(period)s is not written.")
                % {"period": period.key},
                reverse("reports:narrative_create") + f"?period_label={period.key}"
                if staff
                else "",
            )
        )
    active = set(
        TrainingEvent.objects.filter(
            scope.region_q("region"),
            programme=programme,
            end_date__range=(period.start, period.end),
        ).values_list("region_id", flat=True)
    )
    written = set(narratives.filter(region__isnull=False).values_list("region_id", flat=True))
    for region in Region.objects.filter(pk__in=active - written).order_by("code"):
        if period.kind == "quarter":
            quarter = RegionQuarter(programme=programme, region=region, quarter=period.key)
            url = quarter.get_absolute_url() + "#narrative"
        else:
            url = reverse("reports:narrative_create") + f"?period_label={period.key}"
        out.append(
            MissingText(
                _("The narrative of %(region)s for %(period)s is not written.")
                % {"region": region.name, "period": period.key},
                url if staff or period.kind == "quarter" else "",
            )
        )
    explained = set(
        IndicatorComment.objects.filter(
            indicator__programme=programme, period_label=period.key
        ).values_list("indicator_id", flat=True)
    )
    counted = Scope.for_regions(None if scope.all_regions else scope.region_ids)
    for row in indicator_statuses(programme, counted, period.start, period.end, period.key):
        indicator = row["indicator"]
        if row["status"] in OFF_TRACK and indicator.pk not in explained:
            url = reverse("reports:indicator_detail", args=[indicator.pk])
            out.append(
                MissingText(
                    _("%(code)s is off track in %(period)s and has no explanation of variance.")
                    % {"code": indicator.code, "period": period.key},
                    f"{url}?period={period.key}&next={reverse('reports:run_new')}#comments"
                    if staff
                    else "",
                )
            )
    return out
