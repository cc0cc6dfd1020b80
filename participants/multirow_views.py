"""“Add several people” to an event's roster: the multi-row entry (participants/multirow_forms.py).
A plain form whose buttons say what to do: more rows, put a pasted list in the grid, or check
and save. Nothing is written until every row is valid and every possible duplicate decided;
then one transaction through participants.services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.scope import scope_for
from core.access import require, visible_or_404
from trainings.selectors import edit_refusal, events_visible

from .multirow_forms import (
    MAX_ROWS,
    MORE_ROWS,
    NEW,
    ROW_FIELDS,
    SAME_ROW,
    START_ROWS,
    GridCommonForm,
    RowFormSet,
    categories_lookup,
    category_choices,
    rows_from_paste,
)
from .selectors import likely_duplicates_of_rows
from .services import register_and_enrol_many

PREFIX = "rows"


@login_required
def roster_many(request, event_pk: int):
    """A grid of people to register and put on the roster at once (GET: empty rows)."""
    scope = scope_for(request.user)
    event = visible_or_404(events_visible(scope).select_related("region"), pk=event_pk)
    require(scope.can_see_people and scope.can_edit)
    refusal = edit_refusal(scope, event)
    require(not refusal, refusal)
    categories = category_choices()
    kwargs = {"form_kwargs": {"categories": categories}, "prefix": PREFIX}
    if request.method != "POST":
        formset = RowFormSet(initial=[{} for _row in range(START_ROWS)], **kwargs)
        common = GridCommonForm(categories=categories)
        return _render(request, event, formset, common)
    posted = RowFormSet(request.POST, **kwargs)
    common = GridCommonForm(request.POST, categories=categories)
    action = request.POST.get("action", "save")
    if action in ("more", "paste"):
        rows = [_values(form) for form in posted.forms]
        if action == "paste":
            rows = _with_pasted(request, rows)
        else:
            rows += [{} for _row in range(MORE_ROWS)]
        if len(rows) > MAX_ROWS:
            messages.warning(
                request,
                _(
                    "The grid holds at most %(n)s rows: save these first, or use a spreadsheet "
                    "import for a longer list."
                )
                % {"n": MAX_ROWS},
            )
            rows = rows[:MAX_ROWS]
        return _render(request, event, RowFormSet(initial=rows, **kwargs), common, bound=True)
    return _check_and_save(request, scope, event, posted, common)


def _values(form) -> dict[str, Any]:
    """A row as typed (even if not valid), to show again in a grid that is not checked yet."""
    return {name: form.raw(name) for name in (*ROW_FIELDS, "decision", "unplaced")}


def _with_pasted(request, rows: list[dict]) -> list[dict]:
    """The rows typed so far, then one row per line of the pasted list, then a few empty rows."""
    pasted = rows_from_paste(
        request.POST.get("paste", "")[:100_000], categories_lookup=categories_lookup()
    )
    kept = [row for row in rows if any(row.get(name) for name in (*ROW_FIELDS, "unplaced"))]
    if pasted.rows:
        messages.info(
            request,
            ngettext(
                "%(n)s line of the list was put in the grid: check it and save.",
                "%(n)s lines of the list were put in the grid: check them and save.",
                len(pasted.rows),
            )
            % {"n": len(pasted.rows)},
        )
    else:
        messages.warning(request, _("The list was empty: paste the lines, then press the button."))
    if pasted.iin_dropped:
        messages.info(
            request,
            _(
                "The IIN column was left out: the grid takes only the essential details. "
                "Add an IIN on the person's page if it is needed."
            ),
        )
    return kept + pasted.rows + [{} for _row in range(3)]


def _check_and_save(request, scope, event, formset, common):
    formset.is_valid()  # lengths and choices of every row
    common_ok = common.is_valid()
    filled = formset.filled()
    formset.mark_repeats()
    found = likely_duplicates_of_rows(scope, [form.key() for form in filled], event=event)
    default_category = common.cleaned_data.get("default_category", "") if common_ok else ""
    rows = []
    for form, matches in zip(filled, found, strict=True):
        form.matches = matches
        if not hasattr(form, "cleaned_data"):
            continue
        decision = form.cleaned_data.get("decision", "")
        if decision not in form.decision_choices():
            if form.needs_decision:
                form.add_error(
                    None,
                    _(
                        "This may be somebody already registered: choose the existing person, "
                        "or “register as a new person”."
                    ),
                )
                continue
            decision = NEW
        if decision.startswith(SAME_ROW):
            continue  # the same person as a row above: listed once
        if decision != NEW:
            rows.append({"person": next(p for p in matches if str(p.pk) == decision)})
            continue
        fields = form.check_new_person(region_id=event.region_id, default_category=default_category)
        rows.append({"fields": fields})
    if not filled:
        formset._non_form_errors = formset.error_class(
            [_("Nobody to add: type at least one name, or paste a list.")]
        )
    ok = common_ok and filled and not formset.non_form_errors()
    ok = ok and not any(form.errors for form in formset.forms)
    if ok:
        data = common.cleaned_data
        try:
            counts = register_and_enrol_many(
                event=event,
                rows=rows,
                scope=scope,
                consent_date=data["consent_date"],
                consent_version=data["consent_version"],
                consent_method=data["consent_method"],
                by=request.user,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _summary(counts))
            return redirect(event)
    for form in formset.forms:
        form.flag_errors()
    return _render(request, event, formset, common, bound=True)


def _summary(counts: dict[str, int]) -> str:
    added, known, already = counts["added"], counts["known"], counts["already"]
    text = ngettext(
        "%(n)s person added to the event.", "%(n)s people added to the event.", added
    ) % {"n": added}
    if known:
        text += " " + ngettext(
            "%(n)s of them was already registered.",
            "%(n)s of them were already registered.",
            known,
        ) % {"n": known}
    if already:
        text += " " + ngettext(
            "%(n)s person was already on the roster.",
            "%(n)s people were already on the roster.",
            already,
        ) % {"n": already}
    return text


def _render(request, event, formset, common, *, bound: bool = False):
    decisions = [form for form in formset.forms if form.needs_decision]
    return render(
        request,
        "participants/roster_many.html",
        {
            "event": event,
            "formset": formset,
            "common": common,
            "errors": formset.error_summary() if bound and formset.is_bound else [],
            "decisions": decisions,
            "more_rows": MORE_ROWS,
        },
    )
