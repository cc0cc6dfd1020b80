"""Quotes to review: programme staff read the comments participants allowed to be quoted, with
the automatic redaction a report would apply, and approve (possibly edited) or reject each one.
Only approved quotes reach a donor report (reports/disclosure.py)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.scope import Scope, scope_for
from core import periods
from core.access import require, visible_or_404
from core.listing import paginate
from participants.feedback_selectors import quotes_for_review
from participants.feedback_services import review_quote
from participants.models import Feedback
from regions.models import Region
from regions.selectors import regions_visible

from . import disclosure
from .forms import QuoteReviewForm

PER_PAGE = 20
STATUSES = {"pending", "approved", "rejected", "all"}


def _filtered(request, scope: Scope):
    """The queue as the filters in the query string ask (status, period, region)."""
    status = request.GET.get("status", "pending")
    status = status if status in STATUSES else "pending"
    period = request.GET.get("period", "").strip()
    chosen = periods.parse(period) if period else None
    region = request.GET.get("region", "")
    region_obj = Region.objects.filter(code=region).first() if region else None
    quotes = quotes_for_review(
        scope,
        status=None if status == "all" else status,
        start=chosen.start if chosen else None,
        end=chosen.end if chosen else None,
        region_ids=[region_obj.pk] if region_obj else None,
    )
    filters = {
        "status": status,
        "period": period,
        "period_invalid": bool(period) and chosen is None,
        "region": region,
    }
    return quotes, filters


def _page(request, scope: Scope, *, bound: tuple[int, QuoteReviewForm] | None = None):
    quotes, filters = _filtered(request, scope)
    quotes = quotes.select_related(
        "event", "event__region", "quote_reviewed_by", "enrolment__participant"
    ).order_by("-submitted_at", "-pk")
    page = paginate(request, quotes, PER_PAGE)
    feedback = list(page.object_list)
    # What a report would print, names of the registry looked up once for the whole page.
    redacted = disclosure.protect_quote_texts(
        [f.comments for f in feedback],
        [f.enrolment.participant.full_name if f.enrolment_id else "" for f in feedback],
    )
    rows = []
    for f, auto in zip(feedback, redacted, strict=True):
        if bound and bound[0] == f.pk:
            form = bound[1]
        else:
            text = f.quote_text_reviewed if f.quote_status == "approved" else auto
            form = QuoteReviewForm(initial={"quote_text_reviewed": text}, auto_id=f"q{f.pk}-%s")
        rows.append({"feedback": f, "redacted": auto, "form": form})
    regions = regions_visible(scope).order_by("code")
    return render(
        request,
        "reports/quote_review.html",
        {
            "page": page,
            "rows": rows,
            "regions": regions,
            "statuses": [("pending", _("Awaiting review")), *_decided_statuses()],
            **filters,
        },
    )


def _decided_statuses():
    return [
        ("approved", Feedback.QuoteStatus.APPROVED.label),
        ("rejected", Feedback.QuoteStatus.REJECTED.label),
        ("all", _("Any")),
    ]


@login_required
def quote_review(request):
    """The queue of consented comments to review, 20 a page, filtered by period and region."""
    scope = scope_for(request.user)
    require(scope.can_edit_framework)  # programme staff and administrators review quotes
    return _page(request, scope)


@login_required
@require_POST
def quote_decide(request, pk: int):
    """Approve (with the text as it may be quoted) or reject one comment, then back to the
    queue with the same filters. A refused text stays in its box with the reason."""
    scope = scope_for(request.user)
    require(scope.can_edit_framework)
    feedback = visible_or_404(quotes_for_review(scope, status=None), pk=pk)
    form = QuoteReviewForm(request.POST, auto_id=f"q{pk}-%s")
    if form.is_valid():
        approve = form.cleaned_data["decision"] == "approve"
        try:
            review_quote(
                feedback=feedback,
                by=request.user,
                approve=approve,
                text=form.cleaned_data["quote_text_reviewed"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Quote approved: donor reports may now use it, as shown.")
                if approve
                else _("Quote rejected: it will not appear in donor reports."),
            )
            query = request.GET.urlencode()
            return redirect(reverse("reports:quote_review") + (f"?{query}" if query else ""))
    messages.error(request, _("The quote was not saved: see the message next to it."))
    return _page(request, scope, bound=(pk, form))
