"""Event and session pages. Thin: parse input, call a selector or a service, render.

Scoping: every object is looked up through trainings.selectors (outside the user's regions is a
404); editing needs `scope.can_edit` (else 403) and an event that is not locked for the user
(a reported event is locked for coordinators: they are sent back to its page with a message)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from accounts.scope import Scope, scope_for
from core.access import require, visible_or_404
from core.listing import has_filters, paginate, read_sort, sort_headers

from . import services
from .event_page import event_blocks
from .file_views import files_block
from .filters import EventFilter
from .forms import EventForm, SessionForm, apply_errors
from .models import TrainingEvent
from .selectors import (
    DEFAULT_EVENT_SORT,
    EVENT_SORTS,
    can_edit_event,
    event_list_rows,
    event_lock_reason,
    event_summary,
    events_visible,
    quarter_lock_reason,
    sessions_visible,
    sessions_with_counts,
    with_people_counts,
)

PAGE_SIZE = 25
SORT_COLUMNS = [
    ("title", gettext_lazy("Title")),
    ("date", gettext_lazy("Dates")),
    ("region", gettext_lazy("Where")),
    ("status", gettext_lazy("Status")),
    ("people", gettext_lazy("People")),
]
# The "Sort by" choices of the list (a select in the filter form, so it works by keyboard and
# on a phone where the table scrolls sideways).
SORT_OPTIONS = [
    ("-date", gettext_lazy("Newest first")),
    ("date", gettext_lazy("Oldest first")),
    ("title", gettext_lazy("Title A–Z")),
    ("-title", gettext_lazy("Title Z–A")),
    ("region", gettext_lazy("Region")),
    ("status", gettext_lazy("Status")),
    ("-people", gettext_lazy("Most people")),
    ("people", gettext_lazy("Fewest people")),
]
FORM_ERRORS = gettext_lazy("Please correct the errors below.")


# Helpers ----------------------------------------------------------------------------------
EVENT_RELATED = ("region", "district", "programme", "activity_line")


def _locked_redirect(request: HttpRequest, scope: Scope, event: TrainingEvent):
    """A redirect to the event's page with the reason when the event is locked for the user
    (the one lock rule: reported, or in an approved region-quarter)."""
    reason = event_lock_reason(scope, event)
    if reason:
        messages.error(request, reason)
        return redirect(event)
    return None


def _into_approved_quarter(scope: Scope, fields: dict) -> str:
    """Why the event, with these fields, may not be saved by this user ("" when it may): an
    event created in, or moved into, an approved region-quarter would change approved figures
    (the quarter's lock: trainings.selectors.quarter_lock_reason)."""
    programme, region, end = fields.get("programme"), fields.get("region"), fields.get("end_date")
    return quarter_lock_reason(
        scope,
        programme_id=getattr(programme, "pk", None),
        region_id=getattr(region, "pk", None),
        day=end,
    )


# Events -----------------------------------------------------------------------------------
@login_required
def event_list(request):
    scope = scope_for(request.user)
    filters = EventFilter(request.GET or None, queryset=events_visible(scope), request=request)
    sort = read_sort(request, EVENT_SORTS, DEFAULT_EVENT_SORT)
    events = event_list_rows(filters.qs, sort)
    page = paginate(request, events, PAGE_SIZE)
    page.object_list = with_people_counts(page.object_list)
    return render(
        request,
        "trainings/event_list.html",
        {
            "page": page,
            "filters": filters,
            # The headers say the order (aria-sort); the "Sort by" select changes it.
            "columns": sort_headers(SORT_COLUMNS, sort),
            "sort": sort,
            "sort_options": SORT_OPTIONS,
            "filtered": has_filters(request),
            "more_filters": has_filters(request, ("page", "sort", "q"))
            or bool(filters.form.errors),
        },
    )


@login_required
def event_detail(request, pk: int):
    scope = scope_for(request.user)
    event = visible_or_404(events_visible(scope).select_related(*EVENT_RELATED), pk=pk)
    summary = event_summary(event)
    return render(
        request,
        "trainings/event_detail.html",
        {
            # The roster and the feedback panel (participants, trainings/event_page.py).
            **event_blocks(request, scope, event, summary),
            **files_block(scope, event),
            "event": event,
            "summary": summary,
            "sessions": summary.sessions,
            "n_enrolled": summary.n_enrolled,
            "can_edit": can_edit_event(scope, event),
            "locked": event.status == TrainingEvent.Status.REPORTED,
            "lock_reason": event_lock_reason(scope, event),
            "can_unlock": scope.can_unlock and event.status == TrainingEvent.Status.REPORTED,
            "Status": TrainingEvent.Status,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def event_create(request):
    scope = scope_for(request.user)
    require(scope.can_edit)
    initial = {}
    if scope.region_ids is not None and len(scope.region_ids) == 1:
        initial["region"] = next(iter(scope.region_ids))
    form = EventForm(request.POST or None, scope=scope, initial=initial)
    if request.method == "POST":
        if form.is_valid() and (refusal := _into_approved_quarter(scope, form.event_fields())):
            form.add_error(None, refusal)
        elif form.is_valid():
            try:
                event = services.create_event(created_by=request.user, **form.event_fields())
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Event “%(title)s” created.") % {"title": event})
                return redirect(event)
        messages.error(request, FORM_ERRORS)
    return render(request, "trainings/event_form.html", {"form": form, "creating": True})


@login_required
@require_http_methods(["GET", "POST"])
def event_edit(request, pk: int):
    scope = scope_for(request.user)
    event = visible_or_404(events_visible(scope).select_related(*EVENT_RELATED), pk=pk)
    require(scope.can_edit)
    if locked := _locked_redirect(request, scope, event):
        return locked
    form = EventForm(request.POST or None, instance=event, scope=scope)
    if request.method == "POST":
        if form.is_valid() and (refusal := _into_approved_quarter(scope, form.event_fields())):
            form.add_error(None, refusal)
        elif form.is_valid():
            try:
                services.update_event(event=event, **form.event_fields())
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Event “%(title)s” saved.") % {"title": event})
                return redirect(event)
        messages.error(request, FORM_ERRORS)
    # The title in the page header stays the saved one while the form shows what was typed.
    saved = events_visible(scope).only("title").get(pk=event.pk)
    return render(
        request,
        "trainings/event_form.html",
        {"form": form, "event": event, "saved_title": saved.title},
    )


@login_required
@require_http_methods(["GET", "POST"])
def event_delete(request, pk: int):
    scope = scope_for(request.user)
    event = visible_or_404(events_visible(scope).select_related(*EVENT_RELATED), pk=pk)
    require(scope.can_edit)
    if locked := _locked_redirect(request, scope, event):
        return locked
    if request.method == "POST":
        try:
            services.delete_event(event=event, by=request.user, request=request)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect(event)
        messages.success(request, _("Event “%(title)s” deleted.") % {"title": event})
        return redirect("trainings:event_list")
    return render(
        request,
        "trainings/event_delete.html",
        {"event": event, "problem": services.event_delete_problem(event)},
    )


def _change_status(request, pk: int, change, done: str, *, unlock: bool = False):
    scope = scope_for(request.user)
    event = visible_or_404(events_visible(scope).select_related(*EVENT_RELATED), pk=pk)
    require(scope.can_edit)
    if unlock:
        require(scope.can_unlock)
    elif locked := _locked_redirect(request, scope, event):
        return locked
    extra = {"reason": request.POST.get("reason", "")} if unlock else {}
    try:
        change(event=event, by=request.user, request=request, **extra)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    return redirect(event)


@login_required
@require_POST
def event_mark_held(request, pk: int):
    return _change_status(request, pk, services.mark_held, _("The event is now marked as held."))


@login_required
@require_http_methods(["GET", "POST"])
def event_mark_reported(request, pk: int):
    """Marking an event reported locks it for coordinators: the page says what it locks and
    asks for confirmation (GET), the confirmation does it (POST)."""
    if request.method == "POST":
        return _change_status(
            request,
            pk,
            services.mark_reported,
            _("The event is marked as reported and locked for coordinators."),
        )
    scope = scope_for(request.user)
    event = visible_or_404(events_visible(scope).select_related(*EVENT_RELATED), pk=pk)
    require(scope.can_edit)
    if locked := _locked_redirect(request, scope, event):
        return locked
    summary = event_summary(event)
    return render(
        request,
        "trainings/event_report_confirm.html",
        {
            "event": event,
            "summary": summary,
            "n_attendance": sum(s.n_present for s in summary.sessions),
            "n_feedback": summary.feedback.get("n", 0),
            "n_scores": summary.scores.get("n", 0),
            "problem": ""
            if event.status == TrainingEvent.Status.HELD
            else _("Only a held event can be marked as reported."),
        },
    )


@login_required
@require_POST
def event_unlock(request, pk: int):
    return _change_status(
        request,
        pk,
        services.unlock_event,
        _("The event is unlocked (back to held): coordinators can correct it again."),
        unlock=True,
    )


# Sessions ---------------------------------------------------------------------------------
def _session_page(request, event: TrainingEvent, form: SessionForm) -> HttpResponse:
    return render(
        request,
        "trainings/event_sessions.html",
        {"event": event, "form": form, "sessions": sessions_with_counts(event)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def event_sessions(request, pk: int):
    """The sessions of an event, with a form to add one."""
    scope = scope_for(request.user)
    event = visible_or_404(events_visible(scope).select_related(*EVENT_RELATED), pk=pk)
    require(scope.can_edit)
    if locked := _locked_redirect(request, scope, event):
        return locked
    form = SessionForm(request.POST or None, event=event)
    if request.method == "POST":
        if form.is_valid():
            try:
                session = services.add_session(event=event, **form.session_fields())
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Session %(session)s added.") % {"session": session})
                return redirect("trainings:event_sessions", pk=event.pk)
        messages.error(request, FORM_ERRORS)
    return _session_page(request, event, form)


@login_required
@require_POST
def sessions_per_day(request, pk: int):
    """One click: a session for each day of the event that has none yet."""
    scope = scope_for(request.user)
    event = visible_or_404(events_visible(scope).select_related(*EVENT_RELATED), pk=pk)
    require(scope.can_edit)
    if locked := _locked_redirect(request, scope, event):
        return locked
    created = services.add_sessions_per_day(event=event)
    if created:
        messages.success(
            request,
            _("%(n)s sessions added, one per day.") % {"n": len(created)},
        )
    else:
        messages.info(request, _("Every day of the event already has a session."))
    return redirect("trainings:event_sessions", pk=event.pk)


SESSION_RELATED = ("event", "event__region")


@login_required
@require_http_methods(["GET", "POST"])
def session_edit(request, pk: int):
    scope = scope_for(request.user)
    session = visible_or_404(sessions_visible(scope).select_related(*SESSION_RELATED), pk=pk)
    require(scope.can_edit)
    event = session.event
    if locked := _locked_redirect(request, scope, event):
        return locked
    form = SessionForm(request.POST or None, instance=session, event=event)
    if request.method == "POST":
        if form.is_valid():
            try:
                services.update_session(
                    session=session, by=request.user, request=request, **form.session_fields()
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("Session saved."))
                return redirect("trainings:event_sessions", pk=event.pk)
        messages.error(request, FORM_ERRORS)
    return render(
        request, "trainings/session_form.html", {"event": event, "session": session, "form": form}
    )


@login_required
@require_http_methods(["GET", "POST"])
def session_delete(request, pk: int):
    scope = scope_for(request.user)
    session = visible_or_404(sessions_visible(scope).select_related(*SESSION_RELATED), pk=pk)
    require(scope.can_edit)
    event = session.event
    if locked := _locked_redirect(request, scope, event):
        return locked
    if request.method == "POST":
        services.delete_session(session=session)
        messages.success(request, _("Session %(session)s deleted.") % {"session": session})
        return redirect(reverse("trainings:event_sessions", kwargs={"pk": event.pk}))
    n_present = session.attendances.count()
    return render(
        request,
        "trainings/session_delete.html",
        {"event": event, "session": session, "n_present": n_present},
    )
