"""Exports of the event, participant and attendance lists as CSV or XLSX.

The export buttons POST: that records an ExportJob and a background worker writes the file
(participants/export_jobs.py); the user downloads it from "My exports". A GET on the same URL
(an old bookmark, a script) still answers directly when the export holds at most
EXPORT_DIRECT_MAX_ROWS rows (5,000: well under a second of work); a larger one gets a page
offering to prepare it in the background, so no request holds a web worker for long.

Rows come from the scoped selectors with `values_list(...).iterator(chunk_size=2000)`, so a
200,000-row export never holds its rows in memory. Viewers get no people exports (403); phone
and email are included only for roles that may see contacts. The participant export uses the
import template's headers, so a roster can be exported, fixed and uploaded again. Exports
holding people's names are audited (accounts.audit.record_download) when the data leaves:
the direct response, or the job's download; the event list is not."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.audit import record_download
from accounts.scope import Scope, scope_for
from core.access import require, visible_or_404
from core.listing import SEEK_PARAMS
from core.params import int_param
from core.tabular import csv_response, xlsx_response
from trainings.filters import EventFilter
from trainings.selectors import events_visible

from .filters import PeopleFilter
from .imports.columns import BY_KEY
from .selectors import attendance_visible, enrolments_visible, people_visible

CHUNK = 2000
FORMATS = ("csv", "xlsx")


@dataclass
class Export:
    """What one export holds: its header, its rows (lazy), the queryset they are read from
    (counted for progress and for the direct-download threshold), the file's base name, and
    what the audit records when the data leaves (None: not audited, e.g. the event list)."""

    header: list[str]
    rows: Iterable[Any]
    counted: QuerySet
    name: str
    audit: dict[str, Any] | None = None
    filters: dict[str, Any] = field(default_factory=dict)

    def count(self) -> int:
        return self.counted.count()

    def count_upto(self, limit: int) -> int:
        """min(rows, limit) with one cheap query (COUNT over a LIMITed subquery)."""
        return self.counted[:limit].count()


def _lang() -> str:
    lang = (get_language() or "en")[:2]
    return lang if lang in ("kk", "ru", "en") else "en"


def file_name(name: str, fmt: str, day: date | None = None) -> str:
    return f"qadam-{name}-{(day or date.today()).isoformat()}.{fmt}"


def _respond(fmt: str, header, rows, name: str):
    if fmt == "csv":
        return csv_response(header, rows, file_name(name, fmt))
    if fmt == "xlsx":
        return xlsx_response(header, rows, file_name(name, fmt), title=name)
    raise Http404


def _filtered(requester, params, qs: QuerySet, filterset_class) -> QuerySet:
    """The list page's own FilterSet, so an export holds exactly what the list shows."""
    filterset = filterset_class(params, queryset=qs, request=requester)
    return filterset.qs if filterset.is_valid() else qs.none()


def events_export(params, scope: Scope, requester, lang: str) -> Export:
    qs = _filtered(requester, params, events_visible(scope), EventFilter)
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
    )
    return Export(header, rows.iterator(chunk_size=CHUNK), rows, "events")


def participants_export(params, scope: Scope, requester, lang: str) -> Export:
    require(scope.can_see_people)  # viewers: aggregates only, no people exports
    contacts = scope.can_see_contacts
    qs = _filtered(requester, params, people_visible(scope), PeopleFilter)
    if event_id := int_param(params.get("event")):
        qs = qs.filter(enrolments__event_id=event_id)
    qs = qs.order_by("pk")
    if params.get("event"):  # not a number: no such event, 404
        visible_or_404(events_visible(scope), pk=int_param(params["event"]))
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
    rows = qs.values_list("pk", *fields).distinct()
    return Export(
        header,
        rows.iterator(chunk_size=CHUNK),
        rows,
        "participants",
        audit={"what": "participants", "contacts": contacts},
    )


def attendance_export(params, scope: Scope, requester, lang: str) -> Export:
    """With ?event=<id>: the event's roster with a 1/0 column per session date (the attendance
    import template). Without: one row per attendance (event, session date, person)."""
    require(scope.can_see_people)  # viewers: aggregates only, no people exports
    event_id = params.get("event")
    if event_id:
        event = visible_or_404(events_visible(scope), pk=int_param(event_id))
        sessions = list(event.sessions.order_by("date", "pk").values_list("pk", "date"))
        columns: dict = {}
        for pk, day in sessions:
            columns.setdefault(day, []).append(pk)
        header = [BY_KEY[k].label(lang) for k in ("full_name", "sex", "birth_year", "organisation")]
        header += [day.strftime("%d.%m.%Y") for day in columns]
        enrolments = (
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
        )

        def roster():
            present = set(
                attendance_visible(scope)
                .filter(session__event=event)
                .values_list("enrolment_id", "session_id")
            )
            for enrolment_id, *person in enrolments.iterator(chunk_size=CHUNK):
                marks = [
                    1 if any((enrolment_id, s) in present for s in ids) else 0
                    for ids in columns.values()
                ]
                yield [*person, *marks]

        return Export(
            header,
            roster(),
            enrolments,
            f"attendance-{event.pk}",
            audit={
                "what": "attendance",
                "obj": event,
                "object_repr": f"{event._meta.label_lower}:{event.pk} {event.title}",
            },
        )
    qs = filter_events_of_attendance(attendance_visible(scope), params)
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
    rows = qs.order_by("session__event_id", "session__date", "pk").values_list(
        "session__event_id",
        "session__event__title",
        "session__date",
        "enrolment__participant_id",
        "enrolment__participant__full_name",
        "enrolment__participant__sex",
        "enrolment__participant__birth_year",
        f"session__event__region__name_{lang}",
    )
    return Export(
        header, rows.iterator(chunk_size=CHUNK), rows, "attendance", audit={"what": "attendance"}
    )


BUILDERS: dict[str, Callable[..., Export]] = {
    "events": events_export,
    "participants": participants_export,
    "attendance": attendance_export,
}


def build_export(kind: str, params, scope: Scope, requester, lang: str) -> Export:
    """The export `kind` with the list filters `params` (a QueryDict) as `scope` sees it.
    Raises PermissionDenied (viewers and people) or Http404 (an event out of scope)."""
    return BUILDERS[kind](params, scope, requester, lang)


def audit_filters(params) -> dict[str, Any]:
    """The filters an audit entry records: a free-text search is noted but not copied (it may
    be a person's name, and an erasure must leave no name behind)."""
    filters = {k: v for k, v in params.items() if k not in ("page", "export", "q", *SEEK_PARAMS)}
    if params.get("q"):
        filters["q"] = "…"
    return filters


def _export_view(request, kind: str, fmt: str):
    if fmt not in FORMATS:
        raise Http404
    scope = scope_for(request.user)
    lang = _lang()
    export = build_export(kind, request.GET, scope, request, lang)
    if request.method == "POST":
        from .export_jobs import request_export
        from .export_middleware import watch

        job = request_export(
            user=request.user, kind=kind, fmt=fmt, params=request.GET, scope=scope, language=lang
        )
        watch(request)
        if job.status == job.Status.QUEUED and not job.task_id:
            messages.warning(request, _("Your export is queued: it will start shortly."))
        elif job.is_active:
            messages.info(request, _("Your export is being prepared; it is listed here."))
        return redirect("exports:list")
    limit = settings.EXPORT_DIRECT_MAX_ROWS
    if export.count_upto(limit + 1) > limit:
        return render(
            request,
            "participants/export_confirm.html",
            {"kind": kind, "fmt": fmt, "limit": limit, "query": request.GET.urlencode()},
        )
    response = _respond(fmt, export.header, export.rows, export.name)
    if export.audit is not None:
        audit = dict(export.audit)
        record_download(request, audit.pop("what"), fmt=fmt, **audit)
    return response


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def export_events(request, fmt: str):
    return _export_view(request, "events", fmt)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def export_participants(request, fmt: str):
    return _export_view(request, "participants", fmt)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def export_attendance(request, fmt: str):
    return _export_view(request, "attendance", fmt)


def _day(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _region_filter(qs: QuerySet, field: str, value: str | None) -> QuerySet:
    if not value:
        return qs
    if value.isdigit():
        return qs.filter(**{f"{field}_id": int_param(value)})
    return qs.filter(**{f"{field}__code": value})


def filter_events_of_attendance(qs: QuerySet, params) -> QuerySet:
    qs = _region_filter(qs, "session__event__region", params.get("region"))
    if _day(params.get("from")):
        qs = qs.filter(session__date__gte=_day(params["from"]))
    if _day(params.get("to")):
        qs = qs.filter(session__date__lte=_day(params["to"]))
    return qs
