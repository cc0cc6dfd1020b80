"""The region-quarter workflow (docs/decisions/0012): a coordinator submits their region's
quarter, programme staff approve it or return it with a comment, staff unlock an approved one
with a reason. Each step runs in a transaction on the locked row, is kept in the thread
(RegionQuarterTransition), in the model history (simple-history) and in the security log."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.audit import record_event
from accounts.models import SecurityEvent
from accounts.scope import Scope
from core import domain_events
from core.periods import Period
from regions.models import Region
from reports.models import Narrative
from trainings.models import Programme, RegionQuarter, RegionQuarterTransition

from . import notifications
from .completeness import region_checklist

Status = RegionQuarter.Status
COMMENT_MAX = 2000
SUBMITTABLE = (Status.OPEN, Status.RETURNED)
DOMAIN_EVENT_OF_ACTION = {
    "quarter_submitted": domain_events.QUARTER_SUBMITTED,
    "quarter_approved": domain_events.QUARTER_APPROVED,
}


def _clean_comment(comment: str, *, required: str = "") -> str:
    comment = (comment or "").strip()
    if required and not comment:
        raise ValidationError(required, code="comment_required")
    if len(comment) > COMMENT_MAX:
        raise ValidationError(
            _("Keep the comment to %(max)d characters.") % {"max": COMMENT_MAX},
            code="comment_too_long",
        )
    return comment


def _locked_row(*, programme: Programme, region: Region, period: Period) -> RegionQuarter:
    """The region-quarter row, created open if nobody has acted on it yet, locked for this
    transaction so two steps cannot interleave."""
    RegionQuarter.objects.get_or_create(programme=programme, region=region, quarter=period.key)
    return (
        RegionQuarter.objects.select_for_update()
        .select_related("programme", "region")
        .get(programme=programme, region=region, quarter=period.key)
    )


def _move(
    rq: RegionQuarter, to: str, action: str, *, by, request=None, comment: str = "", **detail: Any
) -> RegionQuarter:
    old = rq.status
    rq.status = to
    if by is not None and getattr(by, "pk", None):
        rq._history_user = by  # simple-history: who, also outside a request
    rq.full_clean()
    rq.save()
    step = RegionQuarterTransition.objects.create(
        region_quarter=rq, by=by, from_status=old, to_status=to, comment=comment
    )
    notifications.queue_for_step(rq, step, action)
    if action in DOMAIN_EVENT_OF_ACTION:  # other systems hear of it (docs/decisions/0020)
        domain_events.emit(DOMAIN_EVENT_OF_ACTION[action], rq, step=step)
    record_event(
        SecurityEvent.Kind.QUARTER_STATUS,
        user=by,
        request=request,
        obj=rq,
        object_repr=f"{rq._meta.label_lower}:{rq.pk} {rq}",
        detail={
            "action": action,
            "programme_id": rq.programme_id,
            "region_id": rq.region_id,
            "quarter": rq.quarter,
            "old": old,
            "new": to,
            **({"comment": comment} if comment else {}),
            **detail,
        },
    )
    return rq


@transaction.atomic
def submit_quarter(
    *,
    scope: Scope,
    programme: Programme,
    region: Region,
    period: Period,
    by,
    comment: str = "",
    confirm_warnings: bool = False,
    request=None,
) -> RegionQuarter:
    """open or returned -> submitted, by someone who edits the region (its coordinator, or
    staff on their behalf). Blocking items of the checklist refuse it; warnings need
    `confirm_warnings` (the submitter has seen them and submits anyway)."""
    if not (scope.can_edit and scope.covers_region(region.pk)):
        raise PermissionDenied
    rq = _locked_row(programme=programme, region=region, period=period)
    if rq.status not in SUBMITTABLE:
        raise ValidationError(
            _("This quarter is %(status)s: only an open or returned quarter can be submitted.")
            % {"status": rq.get_status_display().lower()},
            code="wrong_status",
        )
    checklist = region_checklist(scope, programme=programme, region=region, period=period)
    if checklist.blocking:
        raise ValidationError(
            [_("Fix these first:")] + [item.text for item in checklist.blocking],
            code="blocking",
        )
    if checklist.warnings and not confirm_warnings:
        raise ValidationError(
            _("Some things are still missing: confirm that you submit the quarter anyway."),
            code="confirm_warnings",
        )
    comment = _clean_comment(comment)
    warnings = [item.text for item in checklist.warnings]
    return _move(
        rq,
        Status.SUBMITTED,
        "quarter_submitted",
        by=by,
        request=request,
        comment=comment,
        warnings=warnings,
    )


def _require_staff(scope: Scope) -> None:
    if not scope.can_unlock:  # programme staff and admins
        raise PermissionDenied


@transaction.atomic
def approve_quarter(
    *,
    scope: Scope,
    programme: Programme,
    region: Region,
    period: Period,
    by,
    comment: str = "",
    request=None,
) -> RegionQuarter:
    """submitted -> approved, by programme staff: the quarter's events lock for coordinators
    (trainings.selectors.event_lock_reason) and reports over it are final."""
    _require_staff(scope)
    rq = _locked_row(programme=programme, region=region, period=period)
    if rq.status != Status.SUBMITTED:
        raise ValidationError(_("Only a submitted quarter can be approved."), code="wrong_status")
    return _move(
        rq,
        Status.APPROVED,
        "quarter_approved",
        by=by,
        request=request,
        comment=_clean_comment(comment),
    )


@transaction.atomic
def return_quarter(
    *,
    scope: Scope,
    programme: Programme,
    region: Region,
    period: Period,
    by,
    comment: str,
    request=None,
) -> RegionQuarter:
    """submitted -> returned, by programme staff, with a comment saying what to fix; the
    region works on it again and resubmits."""
    _require_staff(scope)
    comment = _clean_comment(
        comment, required=_("Say what must be fixed: the comment goes to the region.")
    )
    rq = _locked_row(programme=programme, region=region, period=period)
    if rq.status != Status.SUBMITTED:
        raise ValidationError(_("Only a submitted quarter can be returned."), code="wrong_status")
    return _move(rq, Status.RETURNED, "quarter_returned", by=by, request=request, comment=comment)


@transaction.atomic
def unlock_quarter(
    *,
    scope: Scope,
    programme: Programme,
    region: Region,
    period: Period,
    by,
    reason: str,
    request=None,
) -> RegionQuarter:
    """approved -> open, by programme staff, with a reason (required, kept in the thread and
    the audit log): its events can be changed again, and reports over it are drafts until it
    is approved again."""
    _require_staff(scope)
    reason = _clean_comment(
        reason, required=_("Say why the quarter is unlocked: the reason is kept in the audit log.")
    )
    rq = _locked_row(programme=programme, region=region, period=period)
    if rq.status != Status.APPROVED:
        raise ValidationError(_("Only an approved quarter can be unlocked."), code="wrong_status")
    return _move(rq, Status.OPEN, "quarter_unlocked", by=by, request=request, comment=reason)


@transaction.atomic
def comment_on_quarter(
    *, scope: Scope, programme: Programme, region: Region, period: Period, by, comment: str
) -> RegionQuarterTransition:
    """A comment in the thread that does not change the status (a question, an answer)."""
    if not (scope.can_edit and scope.covers_region(region.pk)):
        raise PermissionDenied
    comment = _clean_comment(comment, required=_("Write a comment first."))
    rq = _locked_row(programme=programme, region=region, period=period)
    return RegionQuarterTransition.objects.create(
        region_quarter=rq, by=by, from_status=rq.status, to_status=rq.status, comment=comment
    )


def narrative_refusal(scope: Scope, *, region: Region, status: str) -> str:
    """Why this user may not write the region's narrative for a quarter in `status` ("" when
    they may): it needs edit rights over the region, and an approved quarter locks it for
    coordinators like its events (programme staff keep write access)."""
    if not (scope.can_edit and scope.covers_region(region.pk)):
        return _("You may not write this region's narrative.")
    if status == Status.APPROVED and not scope.can_unlock:
        return _(
            "This quarter is approved: its narrative is locked. Programme staff can unlock "
            "the quarter if something must change."
        )
    return ""


def region_narrative(*, programme: Programme, region: Region, period: Period) -> Narrative:
    """The region's narrative for the quarter, or a new unsaved one for it."""
    return Narrative.objects.filter(
        programme=programme, region=region, period_label=period.key
    ).first() or Narrative(
        programme=programme,
        region=region,
        period_label=period.key,
        period_start=period.start,
        period_end=period.end,
    )


@transaction.atomic
def save_region_narrative(
    *, scope: Scope, programme: Programme, region: Region, period: Period, by, form
) -> Narrative:
    """Save a region's narrative for the quarter (a valid RegionNarrativeForm), if
    `narrative_refusal` allows it; the region-quarter row is locked meanwhile so an approval
    cannot slip in between the check and the write."""
    rq = (
        RegionQuarter.objects.select_for_update()
        .filter(programme=programme, region=region, quarter=period.key)
        .first()
    )
    refusal = narrative_refusal(scope, region=region, status=rq.status if rq else Status.OPEN)
    if refusal:
        raise PermissionDenied(refusal)
    narrative = form.save(commit=False)
    narrative.updated_by = by
    narrative.full_clean()
    narrative.save()
    return narrative
