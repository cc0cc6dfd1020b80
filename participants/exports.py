"""Exports of the event, participant and attendance lists as CSV or XLSX, streamed.

Rows come from the scoped selectors with `values_list(...).iterator(chunk_size=2000)`, so a
200,000-row export never holds its rows in memory. Viewers get no people exports (403); phone
and email are included only for roles that may see contacts. The participant export uses the
import template's headers, so a roster can be exported, fixed and uploaded again. Exports
holding people's names are audited (accounts.audit.record_download); the event list is not."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from accounts.audit import record_download
from accounts.scope import scope_for
from core.access import require, visible_or_404
from core.params import int_param
from core.tabular import csv_response, xlsx_response
from trainings.filters import EventFilter
from trainings.selectors import events_visible

from .filters import PeopleFilter
from .imports.columns import BY_KEY
from .selectors import attendance_visible, enrolments_visible, people_visible

CHUNK = 2000


def _lang() -> str:
    lang = (get_language() or "en")[:2]
    return lang if lang in ("kk", "ru", "en") else "en"


def _respond(fmt: str, header, rows, name: str):
    stamp = date.today().isoformat()
    if fmt == "csv":
        return csv_response(header, rows, f"qadam-{name}-{stamp}.csv")
    if fmt == "xlsx":
        return xlsx_response(header, rows, f"qadam-{name}-{stamp}.xlsx", title=name)
    raise Http404


def _filtered(request, qs: QuerySet, filterset_class) -> QuerySet:
    """The list page's own FilterSet, so an export holds exactly what the list shows."""
    filterset = filterset_class(request.GET, queryset=qs, request=request)
    return filterset.qs if filterset.is_valid() else qs.none()


@login_required
def export_events(request, fmt: str):
    scope = scope_for(request.user)
    lang = _lang()
    qs = _filtered(request, events_visible(scope), EventFilter)
    qs = qs.order_by("-start_date", "pk")
    header = [
        _("ID"),
        _("Title"),
        _("Type"),
        _("Start"),
        _("End"),
        _("Region"),
        _("District"),
        _("Venue"),
        _("Modality"),
        _("Status"),
        _("Programme"),
        _("Planned participants"),
    ]
    rows = qs.values_list(
        "pk",
        "title",
        "event_type",
        "start_date",
        "end_date",
        f"region__name_{lang}",
        f"district__name_{lang}",
        "venue",
        "modality",
        "status",
        "programme__code",
        "planned_participants",
    ).iterator(chunk_size=CHUNK)
    return _respond(fmt, header, rows, "events")


@login_required
def export_participants(request, fmt: str):
    scope = scope_for(request.user)
    require(scope.can_see_people)  # viewers: aggregates only, no people exports
    lang = _lang()
    contacts = scope.can_see_contacts
    qs = _filtered(request, people_visible(scope), PeopleFilter)
    if request.GET.get("event", "").isdigit():
        qs = qs.filter(enrolments__event_id=int(request.GET["event"]))
    qs = qs.order_by("pk")
    if request.GET.get("event"):  # not a number: no such event, 404
        visible_or_404(events_visible(scope), pk=int_param(request.GET["event"]))
    keys = ["full_name", "sex", "birth_year", "region", "organisation", "position", "category"]
    fields = [
        "full_name",
        "sex",
        "birth_year",
        "region__code",
        "organisation_name",
        "position",
        "category__code",
    ]
    if contacts:
        keys += ["phone", "email"]
        fields += ["phone", "email"]
    header = ["ID"] + [BY_KEY[k].label(lang) for k in keys]
    rows = qs.values_list("pk", *fields).distinct().iterator(chunk_size=CHUNK)
    response = _respond(fmt, header, rows, "participants")
    record_download(request, "participants", fmt=fmt, contacts=contacts)
    return response


@login_required
def export_attendance(request, fmt: str):
    """With ?event=<id>: the event's roster with a 1/0 column per session date (the attendance
    import template). Without: one row per attendance (event, session date, person)."""
    scope = scope_for(request.user)
    require(scope.can_see_people)  # viewers: aggregates only, no people exports
    lang = _lang()
    event_id = request.GET.get("event")
    if event_id:
        event = visible_or_404(events_visible(scope), pk=int_param(event_id))
        sessions = list(event.sessions.order_by("date", "pk").values_list("pk", "date"))
        columns: dict = {}
        for pk, day in sessions:
            columns.setdefault(day, []).append(pk)
        present = set(
            attendance_visible(scope)
            .filter(session__event=event)
            .values_list("enrolment_id", "session_id")
        )
        header = [BY_KEY[k].label(lang) for k in ("full_name", "sex", "birth_year", "organisation")]
        header += [day.strftime("%d.%m.%Y") for day in columns]

        def roster():
            for enrolment_id, *person in (
                enrolments_visible(scope)
                .filter(event=event)
                .order_by("participant__full_name", "pk")
                .values_list(
                    "pk",
                    "participant__full_name",
                    "participant__sex",
                    "participant__birth_year",
                    "participant__organisation_name",
                )
                .iterator(chunk_size=CHUNK)
            ):
                marks = [
                    1 if any((enrolment_id, s) in present for s in ids) else 0
                    for ids in columns.values()
                ]
                yield [*person, *marks]

        response = _respond(fmt, header, roster(), f"attendance-{event.pk}")
        record_download(
            request,
            "attendance",
            fmt=fmt,
            obj=event,
            object_repr=f"{event._meta.label_lower}:{event.pk} {event.title}",
        )
        return response
    qs = filter_events_of_attendance(attendance_visible(scope), request.GET)
    header = [
        _("Event ID"),
        _("Event"),
        _("Session date"),
        _("Participant ID"),
        BY_KEY["full_name"].label(lang),
        BY_KEY["sex"].label(lang),
        BY_KEY["birth_year"].label(lang),
        _("Region"),
    ]
    rows = (
        qs.order_by("session__event_id", "session__date", "pk")
        .values_list(
            "session__event_id",
            "session__event__title",
            "session__date",
            "enrolment__participant_id",
            "enrolment__participant__full_name",
            "enrolment__participant__sex",
            "enrolment__participant__birth_year",
            f"session__event__region__name_{lang}",
        )
        .iterator(chunk_size=CHUNK)
    )
    response = _respond(fmt, header, rows, "attendance")
    record_download(request, "attendance", fmt=fmt)
    return response


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _region_filter(qs: QuerySet, field: str, value: str | None) -> QuerySet:
    if not value:
        return qs
    if value.isdigit():
        return qs.filter(**{f"{field}_id": int(value)})
    return qs.filter(**{f"{field}__code": value})


def filter_events_of_attendance(qs: QuerySet, params) -> QuerySet:
    qs = _region_filter(qs, "session__event__region", params.get("region"))
    if _day(params.get("from")):
        qs = qs.filter(session__date__gte=_day(params["from"]))
    if _day(params.get("to")):
        qs = qs.filter(session__date__lte=_day(params["to"]))
    return qs
