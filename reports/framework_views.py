"""Pages of the results framework (indicators with their rules and targets) and of the
narratives. Every signed-in user reads them; programme staff and admins edit them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from accounts.scope import scope_for
from core.access import capability_required, visible_or_404
from core.listing import paginate, read_sort, search, search_term
from core.names import localised_fields, localised_order
from core.params import int_param
from regions.selectors import regions_visible
from trainings.models import Programme

from . import framework
from .builder import describe_params
from .forms import IndicatorCommentForm, IndicatorForm, NarrativeForm, TargetFormSet
from .indicators import DISAGGREGATIONS, RULES
from .models import Indicator, Narrative

PER_PAGE = 25
INDICATOR_SORTS = {
    "order": ("order", "code"),
    "code": ("code",),
    "name": ("name",),
    "level": ("level", "order"),
}


# Signed in (else the login page) and programme staff or admin (else 403).
editors_only = capability_required("can_edit_framework", scope_of=scope_for)


# Indicators -----------------------------------------------------------------------------------
@login_required
def indicator_list(request):
    scope = scope_for(request.user)
    indicators = framework.indicators_visible(scope)
    programmes = list(Programme.objects.order_by("code"))
    programme_id = request.GET.get("programme", "")
    if int_param(programme_id):
        indicators = indicators.filter(programme_id=int_param(programme_id))
    q = search_term(request)
    indicators = search(indicators, q, ("code", *localised_fields("name")))
    sort = read_sort(request, INDICATOR_SORTS, "order", reversible=False)
    # By name: the name in the reader's language (core.names).
    order = (localised_order("name"),) if sort == "name" else INDICATOR_SORTS[sort]
    indicators = indicators.order_by("programme__code", *order)
    page = paginate(request, indicators, PER_PAGE)
    for indicator in page.object_list:
        rule = RULES.get(indicator.rule)
        indicator.rule_label = rule.label if rule else ""
    return render(
        request,
        "reports/indicator_list.html",
        {
            "page": page,
            "indicators": page.object_list,
            "programmes": programmes,
            "programme_id": programme_id,
            "q": q,
            "sort": sort,
            "can_edit": scope.can_edit_framework,
        },
    )


@login_required
def indicator_detail(request, pk: int, comment_form: IndicatorCommentForm | None = None):
    scope = scope_for(request.user)
    indicator = get_object_or_404(framework.indicators_visible(scope), pk=pk)
    rule = RULES.get(indicator.rule)
    if comment_form is None and scope.can_edit_framework:
        # ?period=2024Q3 (a link from the report build page) opens that period's comment.
        period = request.GET.get("period", "")
        current = indicator.comments.filter(period_label=period).first()
        comment_form = IndicatorCommentForm(
            initial={"period_label": period, "text": current.text if current else ""}
        )
    return render(
        request,
        "reports/indicator_detail.html",
        {
            "indicator": indicator,
            "rule": rule,
            "targets": indicator.targets.order_by("period_start"),
            "disaggregations": [DISAGGREGATIONS.get(d, d) for d in indicator.disaggregations],
            "params": describe_params(indicator.rule_params or {}),
            "can_edit": scope.can_edit_framework,
            "comments": indicator.comments.select_related("updated_by"),
            "comment_form": comment_form,
            "next": _safe_next(request),
        },
    )


def _safe_next(request) -> str:
    """Where to go back to after saving (the report build page), if it is this site's."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    ok = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if ok else ""


@editors_only
@require_POST
def indicator_comment(request, pk: int):
    """Save (or, empty, remove) the explanation of variance of an indicator for a period."""
    indicator = visible_or_404(framework.indicators_visible(scope_for(request.user)), pk=pk)
    form = IndicatorCommentForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please correct the errors below."))
        return indicator_detail(request, pk, comment_form=form)
    saved = framework.save_indicator_comment(
        indicator=indicator,
        period_label=form.cleaned_data["period_label"],
        text=form.cleaned_data["text"],
        user=request.user,
    )
    period = form.cleaned_data["period_label"]
    if saved:
        messages.success(request, _("Comment for %(period)s saved.") % {"period": period})
    else:
        messages.success(request, _("Comment for %(period)s removed.") % {"period": period})
    return redirect(_safe_next(request) or reverse("reports:indicator_detail", args=[pk]))


def _indicator_form(request, indicator: Indicator | None):
    form = IndicatorForm(request.POST or None, instance=indicator)
    targets = TargetFormSet(
        request.POST or None, instance=indicator or Indicator(), prefix="targets"
    )
    if request.method == "POST":
        if form.is_valid() and targets.is_valid():
            saved = framework.save_indicator(form=form, targets=targets)
            messages.success(request, _("Indicator %(code)s saved.") % {"code": saved.code})
            return redirect("reports:indicator_detail", pk=saved.pk)
        messages.error(request, _("Please correct the errors below."))
    return render(
        request,
        "reports/indicator_form.html",
        {
            "form": form,
            "targets": targets,
            "indicator": indicator,
            "rules": RULES.values(),
        },
    )


@editors_only
@require_http_methods(["GET", "POST"])
def indicator_create(request):
    return _indicator_form(request, None)


@editors_only
@require_http_methods(["GET", "POST"])
def indicator_edit(request, pk: int):
    indicators = framework.indicators_visible(scope_for(request.user))
    return _indicator_form(request, visible_or_404(indicators, pk=pk))


@editors_only
@require_http_methods(["GET", "POST"])
def indicator_delete(request, pk: int):
    indicator = visible_or_404(framework.indicators_visible(scope_for(request.user)), pk=pk)
    if request.method == "POST":
        code = indicator.code
        framework.delete_indicator(indicator=indicator)
        messages.success(request, _("Indicator %(code)s deleted.") % {"code": code})
        return redirect("reports:indicator_list")
    return render(request, "reports/indicator_confirm_delete.html", {"indicator": indicator})


# Narratives -----------------------------------------------------------------------------------
@login_required
def narrative_list(request):
    scope = scope_for(request.user)
    narratives = framework.narratives_visible(scope)
    period = request.GET.get("period", "").strip()
    if period:
        narratives = narratives.filter(period_label__iexact=period)
    region = request.GET.get("region", "")
    if region == "all":
        narratives = narratives.filter(region__isnull=True)
    elif region:
        narratives = narratives.filter(region__code=region)
    narratives = narratives.order_by("-period_start", "region__code")
    page = paginate(request, narratives, PER_PAGE)
    regions = regions_visible(scope).order_by("code")
    return render(
        request,
        "reports/narrative_list.html",
        {
            "page": page,
            "narratives": page.object_list,
            "period": period,
            "region": region,
            "regions": regions,
            "can_edit": scope.can_edit_framework,
        },
    )


def _narrative_form(request, narrative: Narrative | None):
    initial = {}
    if narrative is None:
        initial = {k: request.GET[k] for k in ("period_label",) if request.GET.get(k)}
    form = NarrativeForm(request.POST or None, instance=narrative, initial=initial)
    if request.method == "POST":
        if form.is_valid():
            saved = framework.save_narrative(form=form, user=request.user)
            messages.success(
                request, _("Narrative for %(period)s saved.") % {"period": saved.period_label}
            )
            return redirect(reverse("reports:narrative_list") + f"?period={saved.period_label}")
        messages.error(request, _("Please correct the errors below."))
    return render(request, "reports/narrative_form.html", {"form": form, "narrative": narrative})


@editors_only
@require_http_methods(["GET", "POST"])
def narrative_create(request):
    return _narrative_form(request, None)


@editors_only
@require_http_methods(["GET", "POST"])
def narrative_edit(request, pk: int):
    narrative = visible_or_404(framework.narratives_visible(scope_for(request.user)), pk=pk)
    return _narrative_form(request, narrative)
