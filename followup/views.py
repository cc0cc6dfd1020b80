"""Follow-up pages. Public (no account, kk/ru/en, phone-sized): the personal link's answer
page and "do not ask me again". Coordinators: the call list and typing in answers taken by
phone. Programme staff: rounds and question sets."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache

from accounts.scope import scope_for
from core.access import require, visible_or_404
from core.listing import paginate

from . import services
from .forms import AnswersForm, QuestionSetForm, RoundForm
from .models import QuestionSet, Round
from .selectors import call_list

LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365
CALLS_PER_PAGE = 50


def _language_redirect(request):
    """?lang=kk works without an account or JavaScript: remembered in Django's language
    cookie, back to the clean URL (as on the feedback form)."""
    response = redirect(request.path)
    lang = request.GET.get("lang")
    if lang in LANGUAGE_CODES:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            lang,
            max_age=LANGUAGE_COOKIE_AGE,
            samesite="Lax",
            secure=settings.LANGUAGE_COOKIE_SECURE,
        )
    return response


def _public(request, template: str, context: dict, status: int = 200):
    response = render(request, f"followup/{template}", context, status=status)
    # The link is a secret: never passed on to another site. (Not "no-referrer": browsers
    # then send "Origin: null" with the form, which the CSRF check refuses.)
    response["Referrer-Policy"] = "same-origin"
    return response


# Public pages -------------------------------------------------------------------------------
@never_cache
def answer(request, token: str):
    """The questions of one person's round; answers once, until the link expires."""
    if "lang" in request.GET:
        return _language_redirect(request)
    invitation = services.invitation_for_token(token)
    if invitation is None:
        return _public(request, "unknown.html", {}, status=404)
    context = {"invitation": invitation, "event": invitation.event}
    if invitation.answered_at is not None:
        return _public(request, "answered.html", {**context, "already": True})
    if invitation.refused_at is not None or not invitation.participant.followup_consent:
        return _public(request, "refused.html", context)
    if invitation.is_expired():
        return _public(request, "expired.html", context, status=410)
    form = AnswersForm(
        request.POST if request.method == "POST" else None, questions=invitation.questions()
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.record_answers(invitation=invitation, answers=form.cleaned_data)
        except services.AlreadyAnswered:
            return _public(request, "answered.html", {**context, "already": True})
        except services.LinkExpired:
            return _public(request, "expired.html", context, status=410)
        return _public(request, "answered.html", context)
    return _public(request, "answer.html", {**context, "form": form, "token": token})


@never_cache
def refuse(request, token: str):
    """ "Do not ask me again": one button (a GET only shows it, so a mail scanner opening the
    link withdraws nothing)."""
    if "lang" in request.GET:
        return _language_redirect(request)
    invitation = services.invitation_for_token(token)
    if invitation is None:
        return _public(request, "unknown.html", {}, status=404)
    context = {"invitation": invitation, "event": invitation.event, "token": token}
    if request.method == "POST":
        services.refuse_contact(invitation=invitation)
        return _public(request, "refused.html", context)
    if not invitation.participant.followup_consent:
        return _public(request, "refused.html", context)
    return _public(request, "refuse.html", context)


# The coordinator's call list ----------------------------------------------------------------
@login_required
def calls(request):
    scope = scope_for(request.user)
    require(scope.can_see_contacts and scope.can_edit)
    # Paged like every list (issue 23): a round sent to a large region's events lists
    # thousands of people to call, and the page must not grow with them.
    page = paginate(request, call_list(scope), CALLS_PER_PAGE)
    return render(request, "followup/calls.html", {"calls": page.object_list, "page": page})


@login_required
def call_entry(request, pk: int):
    """Answers taken by phone, typed in by the coordinator (or the person refuses)."""
    scope = scope_for(request.user)
    require(scope.can_see_contacts and scope.can_edit)
    invitation = visible_or_404(call_list(scope), pk=pk)
    if request.method == "POST" and "refuse" in request.POST:
        services.refuse_contact(invitation=invitation, by=request.user)
        messages.success(
            request, _("%(name)s will not be contacted again.") % {"name": invitation.participant}
        )
        return redirect("followup:calls")
    form = AnswersForm(
        request.POST if request.method == "POST" else None, questions=invitation.questions()
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.record_answers(
                invitation=invitation, answers=form.cleaned_data, by=request.user
            )
        except (services.AlreadyAnswered, services.LinkExpired):
            messages.error(request, _("These answers were already recorded or the round is over."))
        else:
            messages.success(
                request, _("The answers of %(name)s are saved.") % {"name": invitation.participant}
            )
        return redirect("followup:calls")
    return render(request, "followup/call_entry.html", {"invitation": invitation, "form": form})


# Staff: rounds and question sets --------------------------------------------------------------
def _staff(request):
    require(scope_for(request.user).can_edit_framework)


@login_required
def rounds(request):
    _staff(request)
    return render(
        request,
        "followup/rounds.html",
        {
            "rounds": Round.objects.select_related("activity_line", "question_set"),
            "question_sets": QuestionSet.objects.all(),
        },
    )


def _edit(request, form_class, instance, title: str):
    form = form_class(request.POST or None, instance=instance)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Saved."))
        return redirect("followup:rounds")
    return render(request, "followup/edit.html", {"form": form, "title": title})


@login_required
def round_create(request):
    _staff(request)
    return _edit(request, RoundForm, None, _("New follow-up round"))


@login_required
def round_edit(request, pk: int):
    _staff(request)
    return _edit(
        request, RoundForm, visible_or_404(Round.objects.all(), pk=pk), _("Follow-up round")
    )


@login_required
def question_set_create(request):
    _staff(request)
    return _edit(request, QuestionSetForm, None, _("New question set"))


@login_required
def question_set_edit(request, pk: int):
    _staff(request)
    instance = visible_or_404(QuestionSet.objects.all(), pk=pk)
    return _edit(request, QuestionSetForm, instance, _("Question set"))
