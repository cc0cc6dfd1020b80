"""Feedback pages. Public: the form behind an event's feedback link (/f/<token>/), filled in
on phones without an account. For coordinators: the feedback summary of an event, its QR code
and printable poster, opening/closing the link, typing in paper feedback and pre/post scores."""

from __future__ import annotations

import io
import logging
import secrets
import uuid
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language, gettext, ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.scope import Scope, scope_for
from core import cache as safe_cache
from core.access import require, visible_or_404
from core.client import client_ip
from trainings.models import TrainingEvent
from trainings.selectors import can_edit_event, edit_refusal, events_visible

from .aggregates import (
    LIKERT,
    event_figures,
    feedback_summary,
    knowledge_gain,
    satisfaction_distribution,
)
from .feedback_forms import (
    FeedbackClosingForm,
    KioskFeedbackForm,
    PaperFeedbackForm,
    PublicFeedbackForm,
    ScoresFormSet,
    started_token,
)
from .feedback_selectors import quotes
from .feedback_services import (
    already_answered,
    answer_already_sent,
    feedback_answer_limit,
    feedback_is_open,
    save_scores,
    set_feedback_closing,
    set_feedback_open,
    submit_public_feedback,
)
from .models import Assessment, Feedback
from .offline import apply_changes
from .offline_views import outbox_strings
from .services import record_feedback

logger = logging.getLogger(__name__)

DEVICE_COOKIE = "qadam_feedback_device"
DEVICE_COOKIE_AGE = 60 * 60 * 24 * 365
LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}


# Helpers ------------------------------------------------------------------------------------
def public_feedback_url(request, event: TrainingEvent) -> str:
    return request.build_absolute_uri(reverse("feedback:form", args=[event.feedback_token]))


def _address(request) -> str:
    return client_ip(request) or "unknown"


def _address_limited(request) -> bool:
    """More than FEEDBACK_ADDRESS_LIMIT posts from one address in FEEDBACK_RATE_WINDOW
    seconds: abuse protection only, far above a camp sharing one Wi-Fi router (the real limits
    are per form shown and per event). Raises CacheUnavailable."""
    key = f"qadam:feedback-address:{_address(request)}"
    count = safe_cache.count_hits(key, window=settings.FEEDBACK_RATE_WINDOW)
    return count > settings.FEEDBACK_ADDRESS_LIMIT


def _event_limited(event: TrainingEvent) -> bool:
    """More answers to the event's link in FEEDBACK_RATE_WINDOW seconds than it takes
    (`feedback_answer_limit`): a flood to one link, which leaves other events' links working.
    Counts answers about to be stored only. Raises CacheUnavailable."""
    key = f"qadam:feedback-event:{event.pk}"
    count = safe_cache.count_hits(key, window=settings.FEEDBACK_RATE_WINDOW)
    return count > feedback_answer_limit(event)


def _refused_with_answers(request, context: dict, message: str, *, status: int, retry_after: int):
    """The form again with the answers as sent and why they were not stored (nothing typed is
    lost), with a fresh one-time token, so "Send" works once the reason has passed."""
    form = PublicFeedbackForm(request.POST, event=context["event"])
    form.is_valid()  # show the answers as sent, with any error of their own
    form.add_error(None, message)
    form.data = form.data.copy()
    form.data["started"] = started_token(event=context["event"])
    response = render(request, "feedback/form.html", {**context, "form": form}, status=status)
    response["Retry-After"] = str(retry_after)
    return response


def _cannot_count_now(request, context: dict):
    """The rate limiter's counter (the cache) is down: fail safe. Nothing is stored, so the
    public form cannot be flooded meanwhile, and the person sees why, with their answers still
    in the form to send again in a minute (503 with Retry-After)."""
    logger.warning("feedback not accepted from %s: rate limiter unavailable", _address(request))
    message = gettext(
        "We cannot accept answers for a moment because of a technical problem. Your "
        "answers are still in the form below: please press Send again in a minute."
    )
    return _refused_with_answers(request, context, message, status=503, retry_after=60)


def _too_many(request, context: dict):
    message = gettext(
        "This form is receiving too many answers right now. Your answers are still in the "
        "form below: please wait a few minutes and press Send again."
    )
    return _refused_with_answers(
        request, context, message, status=429, retry_after=settings.FEEDBACK_RATE_WINDOW
    )


def _with_device_cookie(request, response, token: str, is_new: bool):
    if is_new:
        response.set_cookie(
            DEVICE_COOKIE,
            token,
            max_age=DEVICE_COOKIE_AGE,
            path="/f/",
            httponly=True,
            samesite="Lax",
            secure=request.is_secure(),
        )
    return response


def _already_received(request, context: dict, device: str, is_new: bool):
    response = render(request, "feedback/thanks.html", {**context, "already": True})
    return _with_device_cookie(request, response, device, is_new)


def _language_redirect(request):
    """Language links (?lang=kk) work without an account or JavaScript: remember the choice in
    Django's language cookie and come back to the clean URL."""
    response = redirect(request.path)
    lang = request.GET.get("lang")
    if lang in LANGUAGE_CODES:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            lang,
            max_age=DEVICE_COOKIE_AGE,
            samesite="Lax",
            secure=settings.LANGUAGE_COOKIE_SECURE,
        )
    return response


# Public pages -------------------------------------------------------------------------------
@never_cache
def feedback_form(request, token: str):
    """The feedback form of one event: one answer per device, closed when the link is."""
    event = get_object_or_404(TrainingEvent.objects.select_related("region"), feedback_token=token)
    if "lang" in request.GET:
        return _language_redirect(request)
    context = {"event": event}
    if not feedback_is_open(event):
        return render(request, "feedback/closed.html", context)

    device = request.COOKIES.get(DEVICE_COOKIE, "")
    is_new = not device
    if is_new:
        device = secrets.token_urlsafe(24)
    if already_answered(event, device):
        if request.method == "POST":  # sent twice: nothing more to store
            return redirect("feedback:form", token=token)
        return render(request, "feedback/thanks.html", {**context, "already": True})

    if request.method == "POST":
        try:
            limited = _address_limited(request)
        except safe_cache.CacheUnavailable:
            return _cannot_count_now(request, context)
        if limited:
            logger.warning("feedback address limit hit from %s", _address(request))
            return _too_many(request, context)
        form = PublicFeedbackForm(request.POST, event=event)
        if form.is_valid():
            if form.is_spam:
                logger.info("feedback honeypot filled for event %s; not stored", event.pk)
                return redirect("feedback:thanks", token=token)
            if answer_already_sent(event, device_token=device, form_token=form.form_nonce):
                # This form (its one-time token) was sent already: a replay stores nothing
                # and does not count against the event's limit.
                logger.info("feedback form token reused for event %s; not stored", event.pk)
                return _already_received(request, context, device, is_new)
            try:
                limited = _event_limited(event)
            except safe_cache.CacheUnavailable:
                return _cannot_count_now(request, context)
            if limited:
                logger.warning("feedback event limit hit for event %s", event.pk)
                return _too_many(request, context)
            stored = submit_public_feedback(
                event=event,
                device_token=device,
                form_token=form.form_nonce,
                language=(get_language() or "")[:5],
                **form.answers(),
            )
            if not stored:  # the same form sent twice at the same moment: the other one won
                return _already_received(request, context, device, is_new)
            response = redirect("feedback:thanks", token=token)
            return _with_device_cookie(request, response, device, is_new)
        form.data = form.data.copy()
        # A fresh one-time token (and clock) for the second try.
        form.data["started"] = started_token(event=event)
    else:
        form = PublicFeedbackForm(initial={"started": started_token(event=event)}, event=event)
    response = render(request, "feedback/form.html", {**context, "form": form})
    return _with_device_cookie(request, response, device, is_new)


@never_cache
def feedback_thanks(request, token: str):
    event = get_object_or_404(TrainingEvent, feedback_token=token)
    if "lang" in request.GET:
        return _language_redirect(request)
    return render(request, "feedback/thanks.html", {"event": event, "already": False})


# Coordinators' pages ------------------------------------------------------------------------
@login_required
def event_feedback(request, event_pk: int):
    """What participants said about an event: counts, averages and quotable comments."""
    scope = scope_for(request.user)
    event = visible_or_404(events_visible(scope).select_related("region"), pk=event_pk)
    require(scope.can_see_people)  # people's answers: viewers are refused
    answers = Feedback.objects.filter(event=event)
    summary = feedback_summary(answers)
    context = {
        "event": event,
        "scope": scope,
        "can_edit": can_edit_event(scope, event),
        "is_open": feedback_is_open(event),
        "closing_form": FeedbackClosingForm(initial={"closes_on": event.feedback_closes_on}),
        "public_url": public_feedback_url(request, event),
        "summary": summary,
        "likert": [{"label": item.label, "mean": summary[f"avg_{item.key}"]} for item in LIKERT],
        "distribution": satisfaction_distribution(answers),
        "quotes": quotes(answers),
        "scores": knowledge_gain(Assessment.objects.filter(enrolment__event=event)),
    }
    return render(request, "feedback/summary.html", context)


@login_required
def event_feedback_qr(request, event_pk: int):
    """The feedback link as a QR code (SVG made on the server)."""
    scope = scope_for(request.user)
    event = visible_or_404(events_visible(scope).select_related("region"), pk=event_pk)
    require(scope.can_see_people)  # people's answers: viewers are refused
    buffer = io.BytesIO()
    segno.make(public_feedback_url(request, event), error="m").save(
        buffer, kind="svg", scale=10, border=2, title=gettext("Feedback form: %s") % event.title
    )
    response = HttpResponse(buffer.getvalue(), content_type="image/svg+xml")
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="feedback-{event.pk}.svg"'
    return response


@login_required
def event_feedback_print(request, event_pk: int):
    """A poster to print: the QR code and the link, for the room where the event is held."""
    scope = scope_for(request.user)
    event = visible_or_404(events_visible(scope).select_related("region"), pk=event_pk)
    require(scope.can_see_people)  # people's answers: viewers are refused
    if "lang" in request.GET:
        return _language_redirect(request)
    return render(
        request,
        "feedback/print.html",
        {"event": event, "public_url": public_feedback_url(request, event)},
    )


def feedback_panel(
    request, scope: Scope, event: TrainingEvent, figures: dict[str, Any]
) -> dict[str, Any]:
    """The feedback panel: the event's summary numbers (`figures`: `event_figures(event)`)
    and what the user may do with its public link."""
    people = bool(scope and scope.can_see_people)
    return {
        "summary": figures["feedback"],
        "scores": figures["scores"],
        "is_open": feedback_is_open(event),
        "can_see_link": people,
        "can_edit": people and can_edit_event(scope, event),
        "public_url": public_feedback_url(request, event) if (people and request) else "",
    }


@login_required
@require_POST
def event_feedback_toggle(request, event_pk: int):
    """Open or close the public link, or set the date after which it closes (htmx swaps the
    event page's feedback panel)."""
    scope = scope_for(request.user)
    event = visible_or_404(events_visible(scope).select_related("region"), pk=event_pk)
    require(scope.can_see_people)  # people's answers: viewers are refused
    refusal = edit_refusal(scope, event)
    require(not refusal, refusal)
    if "closes_on" in request.POST:
        form = FeedbackClosingForm(request.POST)
        if form.is_valid():
            set_feedback_closing(event=event, closes_on=form.cleaned_data["closes_on"])
            messages.success(request, gettext("The closing date is saved."))
        else:
            messages.error(request, " ".join(form.errors["closes_on"]))
    elif request.POST.get("open") not in ("0", "1"):
        # An empty or forged post says nothing: it must not close the link.
        messages.error(
            request, gettext("Nothing was changed: open or close the link from the event page.")
        )
    else:
        is_open = request.POST.get("open") == "1"
        set_feedback_open(event=event, is_open=is_open)
        if request.htmx:
            panel = feedback_panel(request, scope, event, event_figures(event))
            return render(
                request,
                "participants/partials/event_feedback.html",
                {"event": event, "scope": scope, "feedback_panel": panel},
            )
        messages.success(
            request,
            gettext("The feedback link is open.")
            if is_open
            else gettext("The feedback link is closed."),
        )
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse("participants:event_feedback", args=[event.pk])
    # A URL, never a view name: redirect("1") would try to reverse "1" and fail with a 500.
    return HttpResponseRedirect(target)


@login_required
def event_feedback_entry(request, event_pk: int):
    """Type in one paper feedback form (then the next one)."""
    scope = scope_for(request.user)
    event = visible_or_404(events_visible(scope).select_related("region"), pk=event_pk)
    require(scope.can_see_people)  # people's answers: viewers are refused
    refusal = edit_refusal(scope, event)
    require(not refusal, refusal)
    form = PaperFeedbackForm(request.POST or None, event=event)
    if request.method == "POST" and form.is_valid():
        try:
            record_feedback(event=event, source=Feedback.Source.PAPER, **form.answers())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, gettext("Feedback saved. You can type in the next form."))
            return redirect("participants:event_feedback_entry", event_pk=event.pk)
    n_recorded = Feedback.objects.filter(event=event).count()
    return render(
        request,
        "feedback/paper_entry.html",
        {
            "event": event,
            "scope": scope,
            "form": form,
            "n_recorded": n_recorded,
            "outbox": outbox_strings(),
        },
    )


def kiosk_outbox_strings() -> dict[str, str]:
    """The outbox texts of the kiosk: answers rather than changes, and short (the participants
    see the page; the coordinator reads the count and any refusal)."""

    def pending(n: int) -> str:
        return ngettext("%(n)s answer not sent yet", "%(n)s answers not sent yet", n) % {
            "n": "__n__"
        }

    return {
        **outbox_strings(),
        "pending_one": pending(1),
        "pending_few": pending(2),
        "pending_many": pending(5),
        "pending_other": pending(2),
        "all_sent": gettext("All answers are sent."),
        "offline": gettext("No connection: answers are kept on this device and sent later."),
        "queued_form": "",
        "kiosk_answer": gettext("Kiosk answer"),
    }


@never_cache  # nobody's answers in the browser's back/forward cache
@login_required
def event_feedback_kiosk(request, event_pk: int):
    """The event's feedback form in kiosk mode: participants answer one after another on the
    coordinator's device, with or without a connection. With JavaScript each answer goes to
    the outbox (kind kiosk_feedback) and the form is emptied for the next person; without it
    the form posts here and goes through the same sync path, its hidden key making a double
    post count once."""
    scope = scope_for(request.user)
    event = visible_or_404(events_visible(scope).select_related("region"), pk=event_pk)
    require(scope.can_see_people)  # people's answers: viewers are refused
    refusal = edit_refusal(scope, event)
    require(not refusal, refusal)
    form = KioskFeedbackForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        change = {
            "key": request.POST.get("key", ""),
            "kind": "kiosk_feedback",
            "event": event.pk,
            "answers": {name: request.POST.get(name, "") for name in form.fields},
            "language": (get_language() or "")[:5],
        }
        result = apply_changes(user=request.user, scope=scope, changes=[change], request=request)
        if result[0]["status"] == "applied":
            kiosk_url = reverse("participants:event_feedback_kiosk", args=[event.pk])
            return redirect(f"{kiosk_url}?sent=1")
        form.add_error(None, result[0]["message"])
    return render(
        request,
        "feedback/kiosk.html",
        {
            "event": event,
            "form": form,
            "key": uuid.uuid4().hex,
            "sent": request.method == "GET" and "sent" in request.GET,
            "outbox": kiosk_outbox_strings(),
        },
    )


@login_required
def event_scores_entry(request, event_pk: int):
    """Pre/post test scores of everyone on the roster, in one grid."""
    scope = scope_for(request.user)
    event = visible_or_404(events_visible(scope).select_related("region"), pk=event_pk)
    require(scope.can_see_people)  # people's answers: viewers are refused
    refusal = edit_refusal(scope, event)
    require(not refusal, refusal)
    enrolments = list(
        event.enrolments.select_related("participant", "assessment").order_by(
            "participant__full_name", "pk"
        )
    )
    roster = {e.pk: e for e in enrolments}
    initial = []
    for e in enrolments:
        assessment = getattr(e, "assessment", None)
        initial.append(
            {
                "enrolment": e.pk,
                "pre_score": assessment.pre_score if assessment else None,
                "post_score": assessment.post_score if assessment else None,
            }
        )
    formset = ScoresFormSet(request.POST or None, initial=initial, roster=roster, prefix="scores")
    if request.method == "POST" and formset.is_valid():
        try:
            saved, removed = save_scores(formset.rows())
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                gettext("Scores saved: %(saved)s updated, %(removed)s removed.")
                % {"saved": saved, "removed": removed},
            )
            return redirect("participants:event_scores_entry", event_pk=event.pk)
    rows = [(form, roster.get(initial[i]["enrolment"])) for i, form in enumerate(formset.forms)]
    return render(
        request,
        "feedback/scores_entry.html",
        {
            "event": event,
            "scope": scope,
            "formset": formset,
            "rows": rows,
            "outbox": outbox_strings(),
        },
    )
