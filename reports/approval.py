"""Is a report over approved data? A report is final when every region-quarter it covers is
approved (docs/decisions/0012): the regions of its scope with events of its programme ending
in its period, times the quarters the period touches. Otherwise it is a draft, and says so on
every page and in its file names."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone

from accounts.scope import Scope
from core import periods
from trainings.models import Programme, RegionQuarter, RegionQuarterTransition, TrainingEvent


def covered_region_quarters(
    programme: Programme | None, scope: Scope, start: date, end: date
) -> set[tuple[int, str]]:
    """(region id, quarter key) of every region-quarter with events of the programme in the
    report (by the date an event ends, as the report counts it)."""
    if programme is None:
        return set()
    ends = (
        TrainingEvent.objects.filter(
            scope.region_q("region"), programme=programme, end_date__range=(start, end)
        )
        .values_list("region_id", "end_date")
        .distinct()
    )
    return {(region_id, periods.quarter_of(day).key) for region_id, day in ends}


def report_approval(
    programme: Programme | None, scope: Scope, start: date, end: date
) -> dict[str, Any]:
    """{"final": bool, "approvals": [{"region", "quarter", "by", "at"}], "pending": [...]}:
    final when every covered region-quarter is approved; each approval names who approved it
    and when (the last approving step of its thread)."""
    covered = covered_region_quarters(programme, scope, start, end)
    approved = (
        {
            (rq.region_id, rq.quarter): rq
            for rq in RegionQuarter.objects.filter(
                programme=programme, status=RegionQuarter.Status.APPROVED
            ).select_related("region")
        }
        if covered
        else {}
    )
    approvals, pending = [], []
    for region_id, quarter in sorted(covered, key=lambda k: (k[1], k[0])):
        rq = approved.get((region_id, quarter))
        if rq is None:
            pending.append({"region_id": region_id, "quarter": quarter})
            continue
        step = (
            RegionQuarterTransition.objects.filter(
                region_quarter=rq, to_status=RegionQuarter.Status.APPROVED
            )
            .select_related("by")
            .order_by("-at", "-pk")
            .first()
        )
        by = step.by if step else None
        approvals.append(
            {
                "region": rq.region.name,
                "quarter": periods.parse(quarter).label,
                "by": (by.get_full_name() or by.get_username()) if by else "",
                "at": timezone.localdate(step.at).isoformat() if step else "",
            }
        )
    return {"final": not pending, "approvals": approvals, "pending": pending}


def approval_fingerprint(programme_id: int | None, scope: Scope) -> list:
    """What of the close a report depends on, for its inputs hash: approving or unlocking a
    quarter makes a draft final or a final a draft, so the same data must build again."""
    return list(
        RegionQuarter.objects.filter(scope.region_q("region"), programme_id=programme_id)
        .order_by("pk")
        .values_list("pk", "status", "updated_at")
    )
