"""Pages of the registry: the people list, a person's page, edit and merge; on an event, the
roster (search-as-you-type, add, register, remove) and the attendance grid. Thin: reads go
through participants.selectors, writes through participants.services. Every htmx action is
also a plain form post that redirects."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from accounts.scope import Scope, scope_for
from core.access import require, visible_or_404
from core.listing import SEEK_PARAMS, has_filters, paginate
from core.params import int_param
from trainings.selectors import can_edit_event, edit_refusal, events_visible

from .filters import PeopleFilter
from .forms import (
    ConsentForm,
    PersonEditForm,
    RegisterPersonForm,
    RemoveFromRosterForm,
    SearchForm,
)
from .identity import hash_iin
from .offline_views import outbox_strings
from .selectors import (
    attendance_grid as grid_of,
)
from .selectors import (
    enrolments_visible,
    event_roster,
    has_events_outside,
    keep_visible,
    likely_duplicates,
    merge_plan,
    merge_refusal,
    people_list,
    people_paging,
    people_visible,
    person_enrolments,
    search_people,
    session_counts,
)
from .services import (
    enrol,
    mark_all_present,
    merge_people,
    record_attendance,
    record_consent,
    register_person,
    set_attendance,
    unenrol,
    update_person,
)

SEARCH_LIMIT = 20


# Access ------------------------------------------------------------------------------------


# Every view reaches its objects through core.access: an event or person outside the scope is
# a 404 (visible_or_404 over the scoped selector); people are personal data, so viewers are
# refused (403), and changing a roster needs an event the user may still change.
PERSON_RELATED = ("region", "district", "category", "organisation")


def _require_editable(scope: Scope, event) -> None:
    """403 with the reason unless the user may change the event's records (the one lock rule:
    trainings.selectors.edit_refusal)."""
    refusal = edit_refusal(scope, event)
    require(not refusal, refusal)


def _error_to_form(form, error: ValidationError) -> None:
    """Put a model ValidationError from a service on the form fields it concerns."""
    rename = {"iin_hash": "iin"}
    if hasattr(error, "error_dict"):
        for name, messages_ in error.message_dict.items():
            name = rename.get(name, name)
            form.add_error(name if name in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)


# People list and a person's pages ----------------------------------------------------------


@login_required
def person_list(request):
    scope = scope_for(request.user)
    require(scope.can_see_people)
    people = people_list(scope)
    filterset = PeopleFilter(request.GET or None, queryset=people, request=request)
    # The query string's pairs but the page and the pager's keys: the list's kept count and
    # edges are kept under them (participants.selectors `people_paging`).
    asked = [
        (k, v)
        for k, values in request.GET.lists()
        if k not in ("page", *SEEK_PARAMS)
        for v in values
    ]
    paging = people_paging(
        scope,
        filterset.qs,
        asked=asked,
        summarised=filterset.summarised(),
        filtered=has_filters(request),
        valid=filterset.is_valid(),
        narrow=lambda rows: PeopleFilter(request.GET, queryset=rows, request=request).qs,
    )
    page = paginate(
        request,
        filterset.qs,
        25,
        count=paging.count,
        keys=paging.keys,
        keep_edges=paging.keep_edges,
    )
    # A coordinator's list is read from the summaries: only rows the records still show.
    page.object_list = keep_visible(scope, page.object_list)
    event = None
    if event_id := int_param(request.GET.get("event")):
        event = events_visible(scope).filter(pk=event_id).first()
    return render(
        request,
        "participants/person_list.html",
        {
            "filter": filterset,
            "page": page,
            "filtered_event": event,
        },
    )


@login_required
def person_detail(request, pk: int):
    scope = scope_for(request.user)
    person = visible_or_404(
        people_visible(scope).select_related(*PERSON_RELATED, "disability_answers"), pk=pk
    )
    duplicates = []
    if scope.can_edit and not person.is_anonymised:
        duplicates = list(
            likely_duplicates(
                scope,
                full_name=person.full_name,
                birth_year=person.birth_year,
                organisation_id=person.organisation_id,
                organisation_name=person.organisation_name,
                exclude_pk=person.pk,
            )[:5]
        )
    return render(
        request,
        "participants/person_detail.html",
        {
            "person": person,
            "enrolments": person_enrolments(scope, person),
            "consents": person.consents.all()[:5],
            "duplicates": duplicates,
        },
    )


@login_required
def person_edit(request, pk: int):
    scope = scope_for(request.user)
    person = visible_or_404(people_visible(scope).select_related(*PERSON_RELATED), pk=pk)
    require(scope.can_edit)
    if person.is_anonymised:
        messages.error(request, _("This person's data was erased: the record cannot be edited."))
        return redirect(person)
    form = PersonEditForm(request.POST or None, instance=person, scope=scope)
    if request.method == "POST" and form.is_valid():
        try:
            update_person(
                person=person,
                by=request.user,
                iin=form.cleaned_data["iin"],
                scope=scope,
                disability=form.disability_answers(),
                **form.person_fields(),
            )
        except ValidationError as error:
            _error_to_form(form, error)
        else:
            messages.success(request, _("The changes are saved."))
            return redirect(person)
    return render(request, "participants/person_form.html", {"form": form, "person": person})


@login_required
def person_consent(request, pk: int):
    """Record a person's consent (or its withdrawal) with its date, text version and how."""
    scope = scope_for(request.user)
    person = visible_or_404(people_visible(scope).select_related(*PERSON_RELATED), pk=pk)
    require(scope.can_edit)
    if person.is_anonymised:
        messages.error(request, _("This person's data was erased: nothing more is recorded."))
        return redirect(person)
    form = ConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        record_consent(
            person=person,
            given=data["given"],
            given_on=data["given_on"],
            version=data["version"],
            method=data["method"],
            recorded_by=request.user,
        )
        messages.success(request, _("The consent is recorded."))
        return redirect(person)
    return render(request, "participants/person_consent.html", {"form": form, "person": person})


@login_required
def person_merge(request, pk: int):
    """Merge another record into this person (or this one into the other): pick the other
    record, see exactly what will move, confirm."""
    scope = scope_for(request.user)
    person = visible_or_404(people_visible(scope).select_related(*PERSON_RELATED), pk=pk)
    require(scope.can_edit)
    if person.is_anonymised:
        messages.error(request, _("This person's data was erased: the record cannot be merged."))
        return redirect(person)
    other_pk = int_param(request.POST.get("other") or request.GET.get("other"))
    if other_pk is None:
        form = SearchForm(request.GET or None)
        found = []
        if form.is_valid() and form.cleaned_data["q"]:
            found = list(search_people(scope, form.cleaned_data["q"]).exclude(pk=person.pk)[:20])
        duplicates = likely_duplicates(
            scope,
            full_name=person.full_name,
            birth_year=person.birth_year,
            organisation_id=person.organisation_id,
            organisation_name=person.organisation_name,
            iin_hash=person.iin_hash or "",
            exclude_pk=person.pk,
        )[:10]
        return render(
            request,
            "participants/person_merge_pick.html",
            {"person": person, "form": form, "found": found, "duplicates": duplicates},
        )
    if other_pk == person.pk:
        raise Http404
    other = visible_or_404(people_visible(scope).select_related(*PERSON_RELATED), pk=other_pk)
    if other.is_anonymised:
        messages.error(request, _("This person's data was erased: the record cannot be merged."))
        return redirect("participants:person_merge", pk=person.pk)
    keep_pk = int_param(request.POST.get("keep") or request.GET.get("keep")) or person.pk
    keep, remove = (other, person) if keep_pk == other.pk else (person, other)
    blocked = has_events_outside(scope, keep, remove)
    locked = "" if blocked else merge_refusal(scope, keep, remove)
    if request.method == "POST" and not blocked and not locked:
        try:
            summary = merge_people(
                keep=keep, remove=remove, by=request.user, request=request, scope=scope
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _(
                    "The records are merged: %(events)s event(s), %(attendance)s attendance "
                    "record(s) and %(consents)s consent(s) moved to this person."
                )
                % {
                    "events": summary["enrolments_moved"] + summary["enrolments_combined"],
                    "attendance": summary["attendance_moved"],
                    "consents": summary["consents_moved"],
                },
            )
            return redirect(keep)
    swap = (
        reverse("participants:person_merge", args=[person.pk])
        + "?"
        + urlencode({"other": other.pk, "keep": remove.pk})
    )
    return render(
        request,
        "participants/person_merge.html",
        {
            "person": person,
            "plan": merge_plan(keep, remove),
            "keep": keep,
            "remove": remove,
            "other": other,
            "swap_url": swap,
            "blocked": blocked,
            "locked": locked,
        },
    )


# Roster of an event ------------------------------------------------------------------------


@login_required
@vary_on_headers("HX-Request")  # the same URL answers htmx with a fragment, others with a page
def roster_add(request, event_pk: int):
    """Find people in the registry and put them on the roster. GET ?q= searches (htmx asks for
    the results list only); POST person=<id> adds one."""
    scope = scope_for(request.user)
    event = visible_or_404(events_visible(scope).select_related("region"), pk=event_pk)
    require(scope.can_see_people and scope.can_edit)
    _require_editable(scope, event)
    if request.method == "POST":
        person = visible_or_404(people_visible(scope), pk=int_param(request.POST.get("person")))
        try:
            enrol(person=person, event=event)
            added = True
        except ValidationError:
            added = False  # already on the roster: nothing to do
        if request.htmx and request.POST.get("via") == "new-person":
            # "Add this person" in the inline registration's duplicate warning.
            if added:
                message = _("%(name)s is on the roster.") % {"name": person}
            else:
                message = _("%(name)s was already on the roster.") % {"name": person}
            return _new_person_done(request, scope, event, message)
        if request.htmx:
            return render(
                request,
                "participants/partials/search_result.html",
                {
                    "event": event,
                    "person": person,
                    "on_roster": True,
                    "just_added": added,
                    # The roster further down the page is refreshed out of band.
                    "oob_roster": True,
                    "roster": event_roster(scope, event),
                },
            )
        if added:
            messages.success(request, _("%(name)s is on the roster.") % {"name": person})
        else:
            messages.info(request, _("%(name)s was already on the roster.") % {"name": person})
        url = reverse("participants:roster_add", args=[event.pk])
        q = request.POST.get("q", "")
        return redirect(f"{url}?{urlencode({'q': q})}" if q else url)
    form = SearchForm(request.GET or None)
    query = form.cleaned_data["q"].strip() if form.is_valid() else ""
    results = list(search_people(scope, query, event=event)[: SEARCH_LIMIT + 1]) if query else []
    context = {
        "event": event,
        "form": form,
        "query": query,
        "results": results[:SEARCH_LIMIT],
        "more": len(results) > SEARCH_LIMIT,
    }
    if request.htmx:
        return render(request, "participants/partials/search_results.html", context)
    context["roster"] = event_roster(scope, event)
    return render(request, "participants/roster_add.html", context)


def _new_person_done(request, scope: Scope, event, message: str):
    """The inline registration's end: the message in place of the form, and out of band the
    roster and an emptied search box (focused) for the next person."""
    return render(
        request,
        "participants/partials/new_person.html",
        {
            "event": event,
            "done": message,
            "roster": event_roster(scope, event),
            "form": SearchForm(),
            "query": "",
        },
    )


def _focus_first_error(form) -> bool:
    """Put autofocus on the first field in error of a form coming back inline; False when only
    errors of the whole form remain (then the alert above it takes the focus)."""
    for name in form.fields:
        if name in form.errors:
            form.fields[name].widget.attrs["autofocus"] = True
            return True
    return False


@login_required
@vary_on_headers("HX-Request")  # htmx gets the inline panel of the roster page, others a page
def roster_new(request, event_pk: int):
    """Register a person not yet in the registry (with their consent) and enrol them. People
    who are probably the same are shown first: use one of them, or create anyway. From the
    roster page htmx opens it inline (the panel #new-person), with a page as the fallback."""
    scope = scope_for(request.user)
    event = visible_or_404(events_visible(scope).select_related("region"), pk=event_pk)
    require(scope.can_see_people and scope.can_edit)
    _require_editable(scope, event)
    initial = {"region": event.region_id, "full_name": request.GET.get("q", "")[:255]}
    form = RegisterPersonForm(request.POST or None, scope=scope, initial=initial)
    duplicates = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        iin = data["iin"]
        duplicates = list(
            likely_duplicates(
                scope,
                full_name=data["full_name"],
                birth_year=data["birth_year"],
                organisation_id=data["organisation"].pk if data["organisation"] else None,
                organisation_name=data["organisation_name"],
                iin_hash=hash_iin(iin) if iin else "",
            )[:10]
        )
        if not duplicates or request.POST.get("confirm_new") == "1":
            try:
                person = register_person(
                    iin=iin or None,
                    consent_given=True,
                    consent_date=data["consent_date"],
                    consent_version=data["consent_version"],
                    consent_method=data["consent_method"],
                    created_by=request.user,
                    scope=scope,
                    disability=form.disability_answers(),
                    **form.person_fields(),
                )
                enrol(person=person, event=event)
            except ValidationError as error:
                _error_to_form(form, error)
                duplicates = []
            else:
                message = _("%(name)s is registered and on the roster.") % {"name": person}
                if request.htmx:
                    return _new_person_done(request, scope, event, message)
                messages.success(request, message)
                return redirect("participants:roster_add", event_pk=event.pk)
    context = {"event": event, "form": form, "duplicates": duplicates}
    if not request.htmx:
        # The page works offline too (ADR 0018): saved with no connection, it is queued.
        context["outbox"] = outbox_strings()
        return render(request, "participants/roster_new.html", context)
    if not form.is_bound:
        form.fields["full_name"].widget.attrs["autofocus"] = True
    elif not duplicates and form.errors:
        context["focus_alert"] = not _focus_first_error(form)
    return render(request, "participants/partials/new_person.html", context)


@login_required
def roster_remove(request, event_pk: int, pk: int):
    """Take a person off the roster, after confirmation (and an explicit tick when their
    attendance is already recorded)."""
    scope = scope_for(request.user)
    event = visible_or_404(events_visible(scope).select_related("region"), pk=event_pk)
    require(scope.can_see_people and scope.can_edit)
    _require_editable(scope, event)
    enrolment = visible_or_404(
        enrolments_visible(scope).filter(event=event).select_related("participant"), pk=pk
    )
    n_attendance = enrolment.attendances.count()
    form = RemoveFromRosterForm(
        request.POST if request.method == "POST" else None, n_attendance=n_attendance
    )
    if request.method == "POST" and form.is_valid():
        unenrol(enrolment=enrolment, by=request.user)
        messages.success(
            request, _("%(name)s is off the roster.") % {"name": enrolment.participant}
        )
        return redirect(event)
    return render(
        request,
        "participants/roster_remove.html",
        {"event": event, "enrolment": enrolment, "form": form, "n_attendance": n_attendance},
    )


# Attendance grid ---------------------------------------------------------------------------


NOTHING_SHOWN = gettext_lazy(
    "Nothing was changed: the form did not say which people and sessions it showed. "
    "Open the attendance page again and save from there."
)


def _shown_cells(request) -> tuple[set[int], set[int]]:
    """The rows and columns the grid form showed (its hidden `shown_enrolment` and
    `shown_session` fields): a missing box means "absent" only inside them."""
    return (
        {n for v in request.POST.getlist("shown_enrolment") if (n := int_param(v))},
        {n for v in request.POST.getlist("shown_session") if (n := int_param(v))},
    )


def _grid_context(scope: Scope, event, *, query: str = "", session_id: int | None = None) -> dict:
    grid = grid_of(scope, event, query=query, session_id=session_id)
    return {
        "event": event,
        "grid": grid,
        "editable": can_edit_event(scope, event),
        # One address for every cell (a reverse() per cell was a tenth of a 100-person grid).
        "toggle_url": reverse("participants:attendance_toggle", args=[event.pk]),
    }


def _back_to_grid(event, data) -> HttpResponseRedirect:
    """The grid again, showing the search and the session (on a phone) it showed before."""
    url = reverse("participants:attendance_grid", args=[event.pk])
    kept = {"q": data.get("view_q", "").strip(), "session": data.get("view_session", "")}
    kept = {k: v for k, v in kept.items() if v}
    return HttpResponseRedirect(f"{url}?{urlencode(kept)}" if kept else url)


@login_required
def attendance_grid(request, event_pk: int):
    """People x sessions. Without JavaScript a form of checkboxes saved at once; with htmx each
    tick is saved as it is made (attendance_toggle)."""
    scope = scope_for(request.user)
    event = visible_or_404(events_visible(scope).select_related("region"), pk=event_pk)
    require(scope.can_see_people and scope.can_edit)
    if request.method == "POST":
        _require_editable(scope, event)
    if request.method == "POST":
        enrolment_ids, session_ids = _shown_cells(request)
        if not (enrolment_ids and session_ids):
            messages.warning(request, NOTHING_SHOWN)
            return _back_to_grid(event, request.POST)
        pairs = set()
        for value in request.POST.getlist("p"):
            enrolment_id, _sep, session_id = value.partition("-")
            if int_param(enrolment_id) and int_param(session_id):
                pairs.add((int(enrolment_id), int(session_id)))
        added, removed = set_attendance(
            event=event,
            present=pairs,
            enrolment_ids=enrolment_ids,
            session_ids=session_ids,
            by=request.user,
        )
        messages.success(
            request,
            _("Attendance saved: %(added)s marked present, %(removed)s marked absent.")
            % {"added": added, "removed": removed},
        )
        return _back_to_grid(event, request.POST)
    context = _grid_context(
        scope,
        event,
        query=request.GET.get("q", "").strip()[:100],
        session_id=int_param(request.GET.get("session")),
    )
    context["outbox"] = outbox_strings()
    return render(request, "participants/attendance_grid.html", context)


@login_required
@require_POST
def attendance_toggle(request, event_pk: int):
    """Mark one person present or absent at one session. htmx gets the cell back (and the
    session's count, out of band); a plain post goes back to the grid."""
    scope = scope_for(request.user)
    event = visible_or_404(events_visible(scope).select_related("region"), pk=event_pk)
    require(scope.can_see_people and scope.can_edit)
    _require_editable(scope, event)
    enrolment = visible_or_404(
        enrolments_visible(scope).filter(event=event).select_related("participant"),
        pk=int_param(request.POST.get("enrolment")),
    )
    session = visible_or_404(event.sessions.all(), pk=int_param(request.POST.get("session")))
    key = f"{enrolment.pk}-{session.pk}"
    if request.POST.get("present") in ("0", "1"):
        present = request.POST["present"] == "1"
    else:
        # The grid's checkboxes: ticked ones are sent as p=<enrolment>-<session>. A box left
        # out means "absent" only when the post is the grid form showing that cell.
        enrolment_ids, session_ids = _shown_cells(request)
        if enrolment.pk not in enrolment_ids or session.pk not in session_ids:
            if request.htmx:
                return HttpResponseBadRequest(str(NOTHING_SHOWN))
            messages.warning(request, NOTHING_SHOWN)
            return _back_to_grid(event, request.POST)
        present = key in request.POST.getlist("p")
    record_attendance(
        enrolment=enrolment, session=session, present=present, by=request.user, request=request
    )
    if request.htmx:
        return render(
            request,
            "participants/partials/attendance_cell.html",
            {
                "event": event,
                "enrolment": enrolment,
                "session": session,
                "present": present,
                "count": session_counts(event).get(session.pk, 0),
                "editable": True,
                "oob": True,
                "toggle_url": reverse("participants:attendance_toggle", args=[event.pk]),
            },
        )
    return _back_to_grid(event, request.POST)


@login_required
@require_POST
def attendance_all_present(request, event_pk: int):
    """Everyone on the roster was at one session."""
    scope = scope_for(request.user)
    event = visible_or_404(events_visible(scope).select_related("region"), pk=event_pk)
    require(scope.can_see_people and scope.can_edit)
    _require_editable(scope, event)
    session = visible_or_404(event.sessions.all(), pk=int_param(request.POST.get("session")))
    added = mark_all_present(session=session, by=request.user)
    if request.htmx:
        # The whole roster comes back; the page's script filters it again by the search box.
        context = _grid_context(scope, event, session_id=session.pk)
        return render(request, "participants/partials/attendance_table.html", context)
    messages.success(
        request,
        ngettext("%(n)s more person marked present.", "%(n)s more people marked present.", added)
        % {"n": added},
    )
    return _back_to_grid(event, {**request.POST.dict(), "view_session": str(session.pk)})
