"""Pages of the quarterly close: the completeness of a programme's quarter (a row per region)
and one region-quarter (its checklist, thread and the workflow's buttons). Thin: the checklist
is closing/completeness.py, the steps closing/services.py."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.scope import scope_for
from core import periods
from core.access import visible_or_404
from regions.selectors import regions_visible
from trainings.models import Programme, RegionQuarter

from . import services
from .completeness import quarter_checklists, region_checklist
from .forms import (
    CommentForm,
    QuarterPickForm,
    RegionNarrativeForm,
    ReviewForm,
    SubmitForm,
    UnlockForm,
)


def _default_pick() -> dict:
    programme = Programme.objects.filter(is_active=True).order_by("code").first()
    return {
        "programme": programme.pk if programme else None,
        # The quarter a report is due for is the one to close.
        "quarter": periods.last_ended_quarter(timezone.localdate()).key,
    }


@login_required
def quarter_overview(request):
    """One row per region of the user's scope: status and what is still missing."""
    scope = scope_for(request.user)
    form = QuarterPickForm(request.GET if "programme" in request.GET else _default_pick())
    checklists, programme, period = [], None, None
    if form.is_valid():
        programme = form.cleaned_data["programme"]
        period = periods.parse(form.cleaned_data["quarter"])
        checklists = quarter_checklists(scope, programme=programme, period=period)
    return render(
        request,
        "closing/overview.html",
        {"form": form, "checklists": checklists, "programme": programme, "period": period},
    )


ACTIONS = ("submit", "approve", "return", "unlock", "comment")


def _keys(request, programme: int, quarter: str, region: int) -> dict:
    """The scope, programme, region and quarter a region-quarter URL names (404 when it names
    a region outside the user's scope or not a quarter)."""
    scope = scope_for(request.user)
    period = periods.parse(quarter)
    if period is None or period.kind != "quarter" or period.key != quarter:
        raise Http404
    programme_obj = get_object_or_404(Programme, pk=programme)
    region_obj = visible_or_404(regions_visible(scope), pk=region)
    return {"scope": scope, "programme": programme_obj, "region": region_obj, "period": period}


@login_required
@require_http_methods(["GET", "POST"])
def region_quarter(request, programme: int, quarter: str, region: int):
    keys = _keys(request, programme, quarter, region)
    scope, programme_obj, region_obj, period = keys.values()
    action = request.POST.get("action", "")
    forms = {
        "submit": SubmitForm(request.POST if action == "submit" else None),
        "review": ReviewForm(request.POST if action in ("approve", "return") else None),
        "unlock": UnlockForm(request.POST if action == "unlock" else None),
        "comment": CommentForm(request.POST if action == "comment" else None),
    }
    if request.method == "POST":
        if action not in ACTIONS:
            messages.error(request, _("Nothing was changed: choose a step from the page."))
            return redirect(request.path)
        done = _act(request, action, forms, keys)
        if done:
            messages.success(request, done)
            return redirect(request.path)
    checklist = region_checklist(scope, programme=programme_obj, region=region_obj, period=period)
    rq = checklist.region_quarter
    status = rq.status if rq else RegionQuarter.Status.OPEN
    thread = list(rq.transitions.select_related("by")) if rq else []
    mine = scope.can_edit and scope.covers_region(region_obj.pk)
    narrative = services.region_narrative(programme=programme_obj, region=region_obj, period=period)
    return render(
        request,
        "closing/region_quarter.html",
        {
            **keys,
            "title": f"{region_obj} · {period.label}",
            "checklist": checklist,
            "status": status,
            "Status": RegionQuarter.Status,
            "thread": thread,
            "forms": forms,
            "can_submit": mine and status in services.SUBMITTABLE,
            "can_review": scope.can_unlock and status == RegionQuarter.Status.SUBMITTED,
            "can_unlock": scope.can_unlock and status == RegionQuarter.Status.APPROVED,
            "can_comment": mine,
            "narrative": narrative if narrative.pk else None,
            "can_write_narrative": not services.narrative_refusal(
                scope, region=region_obj, status=status
            ),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def region_narrative(request, programme: int, quarter: str, region: int):
    """The region's narrative for the quarter (achievements, challenges, lessons, next steps),
    written by its coordinator until the quarter is approved."""
    keys = _keys(request, programme, quarter, region)
    narrative = services.region_narrative(
        programme=keys["programme"], region=keys["region"], period=keys["period"]
    )
    rq = RegionQuarter.objects.filter(
        programme=keys["programme"], region=keys["region"], quarter=keys["period"].key
    ).first()
    refusal = services.narrative_refusal(
        keys["scope"], region=keys["region"], status=rq.status if rq else RegionQuarter.Status.OPEN
    )
    back = reverse(
        "closing:region_quarter", args=[keys["programme"].pk, keys["period"].key, keys["region"].pk]
    )
    if refusal:
        messages.error(request, refusal)
        return redirect(back)
    form = RegionNarrativeForm(request.POST or None, instance=narrative)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.save_region_narrative(**keys, by=request.user, form=form)
            except PermissionDenied as error:
                messages.error(request, str(error) or _("Nothing was changed."))
                return redirect(back)
            messages.success(request, _("The region's narrative is saved."))
            return redirect(back + "#narrative")
        messages.error(request, _("Please correct the errors below."))
    return render(
        request,
        "closing/region_narrative.html",
        {
            **keys,
            "form": form,
            "back": back,
            "title": f"{keys['region']} · {keys['period'].label}",
        },
    )


def _act(request, action: str, forms: dict, keys: dict) -> str:
    """Run one step of the workflow; the success message, or "" with the errors on the form."""
    common = {**keys, "by": request.user}
    form = forms["review" if action in ("approve", "return") else action]
    if not form.is_valid():
        messages.error(request, _("Please correct the errors below."))
        return ""
    data = form.cleaned_data
    try:
        if action == "submit":
            services.submit_quarter(
                **common,
                comment=data["comment"],
                confirm_warnings=data["confirm_warnings"],
                request=request,
            )
            return _("The quarter is submitted: programme staff will review it.")
        if action == "approve":
            services.approve_quarter(**common, comment=data["comment"], request=request)
            return _("The quarter is approved and locked for coordinators.")
        if action == "return":
            services.return_quarter(**common, comment=data["comment"], request=request)
            return _("The quarter is returned to the region with your comment.")
        if action == "unlock":
            services.unlock_quarter(**common, reason=data["reason"], request=request)
            return _("The quarter is unlocked (open again): its events can be corrected.")
        services.comment_on_quarter(**common, comment=data["comment"])
        return _("Comment added.")
    except ValidationError as error:
        messages.error(request, " ".join([_("Nothing was changed."), *error.messages]))
        return ""
