"""Reads of events and sessions, limited to a Scope."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Count, F, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _

from accounts.scope import Scope
from core import periods
from core.periods import Period

from .event_page import event_figures
from .models import EventFile, RegionQuarter, Session, TrainingEvent


def events_visible(scope: Scope) -> QuerySet[TrainingEvent]:
    """Events held in the user's regions."""
    return TrainingEvent.objects.filter(scope.region_q("region"))


def events_deleted(scope: Scope) -> QuerySet:
    """Tombstones of the deleted events of the user's regions, so a mirror can drop them: the
    audit trail's deletion rows (simple-history, type "-"), each with the event's id, its last
    region and when it was deleted (history_date)."""
    return TrainingEvent.history.filter(scope.region_q("region"), history_type="-")


def sessions_visible(scope: Scope) -> QuerySet[Session]:
    return Session.objects.filter(scope.region_q("event__region"))


# Kinds of event file that may show people's names or faces on paper (sign-in sheets) or hold
# anything at all (other documents): only for users who see people, never for viewers.
PERSONAL_FILE_KINDS = (EventFile.Kind.SIGN_IN_SHEET, EventFile.Kind.OTHER)


def event_files_visible(scope: Scope) -> QuerySet[EventFile]:
    """Files of the events in the user's regions; sign-in sheets and other documents only for
    users who see personal data (viewers get photos and agendas)."""
    files = EventFile.objects.filter(scope.region_q("event__region"))
    if not scope.can_see_people:
        files = files.exclude(kind__in=PERSONAL_FILE_KINDS)
    return files


def event_files_of(scope: Scope, event: TrainingEvent) -> list[EventFile]:
    """The files of one event this user may see, photos first, then by kind and upload."""
    order = {EventFile.Kind.PHOTO: 0, EventFile.Kind.AGENDA: 1, EventFile.Kind.SIGN_IN_SHEET: 2}
    files = list(event_files_visible(scope).filter(event=event).select_related("uploaded_by"))
    return sorted(files, key=lambda f: (order.get(f.kind, 3), f.uploaded_at, f.pk))


def region_quarter_of(event: TrainingEvent) -> Period:
    """The quarter an event belongs to in the quarterly close: the one its end date falls in
    (reports count an event by the date it ends: docs/decisions/0011)."""
    return periods.quarter_of(event.end_date)


def approved_quarter(programme_id: int, region_id: int, day: date) -> RegionQuarter | None:
    """The approved region-quarter of this programme and region containing `day`, or None."""
    return RegionQuarter.objects.filter(
        programme_id=programme_id,
        region_id=region_id,
        quarter=periods.quarter_of(day).key,
        status=RegionQuarter.Status.APPROVED,
    ).first()


def _approved_quarter_of(event: TrainingEvent) -> RegionQuarter | None:
    # Asked several times per page (the event page, its roster, its feedback panel): once per
    # event object. Re-read events (the import's locked row) ask again.
    key = (event.programme_id, event.region_id, event.end_date)
    cached = getattr(event, "_approved_quarter", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    found = approved_quarter(*key) if all(key) else None
    event._approved_quarter = (key, found)
    return found


def quarter_lock_reason(scope: Scope, *, programme_id: int, region_id: int, day: date) -> str:
    """Why this user may not put an event ending on `day` into that programme's region-quarter
    ("" when they may): approved region-quarters are closed to coordinators (creating or moving
    an event into one would change approved figures)."""
    if scope.can_unlock or not (programme_id and region_id and day):
        return ""
    approved = approved_quarter(programme_id, region_id, day)
    return _quarter_locked_message(approved) if approved else ""


def _quarter_locked_message(region_quarter: RegionQuarter) -> str:
    return _(
        "%(region)s, %(quarter)s is approved and locked. Programme staff can unlock the "
        "quarter, with a reason, if something must change."
    ) % {"region": region_quarter.region, "quarter": periods.parse(region_quarter.quarter).label}


def event_lock_reason(scope: Scope, event: TrainingEvent) -> str:
    """Why the event is locked for this user ("" when it is not): reported events and the
    events of an approved region-quarter are locked for coordinators; programme staff and
    admins keep write access (and may unlock). Rights aside (see `edit_refusal`)."""
    if scope.can_unlock:
        return ""
    if event.status == TrainingEvent.Status.REPORTED:
        return _(
            "This event is reported and locked. Programme staff can unlock it if something "
            "must change."
        )
    approved = _approved_quarter_of(event)
    return _quarter_locked_message(approved) if approved else ""


def event_is_locked_for(scope: Scope, event: TrainingEvent) -> bool:
    """True when the event is locked for this user (reported, or in an approved
    region-quarter, and the user is not programme staff or an admin)."""
    return bool(event_lock_reason(scope, event))


def edit_refusal(scope: Scope, event: TrainingEvent) -> str:
    """THE rule of every write path (pages, htmx fragments, imports, merges, and later the API,
    offline sync and the Kobo intake): why this user may not change the event or anything
    recorded on it (sessions, roster, attendance, feedback, scores), "" when they may. Needs
    edit rights, the event's region in scope, and the event not locked (`event_lock_reason`)."""
    if not (scope.can_edit and scope.covers_region(event.region_id)):
        return _("You may not change this event's data.")
    return event_lock_reason(scope, event)


def can_edit_event(scope: Scope, event: TrainingEvent) -> bool:
    """May this user change the event or anything recorded on it? `edit_refusal` is empty.

    Other apps call this before their own edit actions; an out-of-scope event should already
    have been a 404 through `events_visible`, this is the second line."""
    return not edit_refusal(scope, event)


# The event list ---------------------------------------------------------------------------
# ?sort= values of the event list -> ordering; "-" in front reverses. "people" sorts by the
# roster size, which is the one sort that has to count over every filtered row.
EVENT_SORTS: dict[str, tuple[str, ...]] = {
    "date": ("start_date", "title", "pk"),
    "title": ("title", "pk"),
    "region": ("region__code", "-start_date", "pk"),
    "status": ("status", "-start_date", "pk"),
    "people": ("n_enrolled", "-start_date", "pk"),
}
DEFAULT_EVENT_SORT = "-date"


# Where roster sizes are stored and up to date, the sort reads them instead of counting every
# event's roster: participants keeps them (EventFigures, participants/summaries.py) and
# registers here a function telling whether they hold this connection's writes yet.
_stored_rosters_current: list[Callable[[], bool]] = []


def register_stored_roster_sizes(is_current: Callable[[], bool]) -> None:
    """`is_current()`: may the sort read `figures__roster` now? (trainings imports nothing of
    participants; participants registers this from ready().)"""
    if is_current not in _stored_rosters_current:
        _stored_rosters_current.append(is_current)


def _roster_size() -> Coalesce:
    if _stored_rosters_current and all(fn() for fn in _stored_rosters_current):
        # One row per event, joined: 5,000 events sort in a few ms instead of counting
        # 425,000 enrolments for every listing sorted by people.
        return Coalesce(F("figures__roster"), 0)
    # participants' Enrolment, reached through the reverse relation (trainings imports nothing
    # of participants: trainings/event_page.py).
    enrolment = TrainingEvent._meta.get_field("enrolments").related_model
    # COUNT(*), not COUNT(id): PostgreSQL answers it from the event_id index alone (an
    # index-only scan) instead of reading every enrolment row of every event from the heap.
    per_event = (
        enrolment.objects.filter(event=OuterRef("pk"))
        .order_by()
        .values("event")
        .annotate(n=Count("*"))
        .values("n")
    )
    return Coalesce(Subquery(per_event, output_field=IntegerField()), 0)


def event_list_rows(events: QuerySet[TrainingEvent], sort: str = "") -> QuerySet[TrainingEvent]:
    """An (already scoped and filtered) event queryset ready for the list: related rows joined
    and ordered by `sort` (a key of EVENT_SORTS, "-" for descending; unknown -> newest first).
    People counts are NOT computed here: see `with_people_counts`, called on one page."""
    sort = sort if sort.lstrip("-") in EVENT_SORTS else DEFAULT_EVENT_SORT
    key = sort.lstrip("-")
    order = list(EVENT_SORTS[key])
    if sort.startswith("-"):
        order[0] = f"-{order[0]}"
    events = events.select_related("region", "district", "programme")
    if key == "people":
        events = events.annotate(n_enrolled=_roster_size())
    return events.order_by(*order)


def with_people_counts(events) -> list[TrainingEvent]:
    """The events of one page with `n_enrolled` (people on the roster) set, in one query for
    the whole page, so the list costs the same with 200 or 200,000 people."""
    rows = list(events)
    missing = [e.pk for e in rows if not hasattr(e, "n_enrolled")]
    if missing:
        enrolment = TrainingEvent._meta.get_field("enrolments").related_model
        counts = dict(
            enrolment.objects.filter(event_id__in=missing)
            .order_by()
            .values("event_id")
            .annotate(n=Count("pk"))
            .values_list("event_id", "n")
        )
        for event in rows:
            if not hasattr(event, "n_enrolled"):
                event.n_enrolled = counts.get(event.pk, 0)
    return rows


# One event's page -------------------------------------------------------------------------
@dataclass(frozen=True)
class EventSummary:
    """Counts and averages of one event, for its page (aggregates only: no personal data).
    `feedback` and `scores` are participants' (participants.aggregates.event_figures), given
    through trainings/event_page.py."""

    sessions: list[Session]  # each with n_present
    n_enrolled: int
    n_attended: int  # people present at one session at least
    feedback: dict[str, Any] = field(default_factory=dict)
    scores: dict[str, Any] = field(default_factory=dict)

    @property
    def attendance_rate(self) -> int | None:
        """Percent of the roster present at least once."""
        if not self.n_enrolled:
            return None
        return round(100 * self.n_attended / self.n_enrolled)


def sessions_with_counts(event: TrainingEvent) -> list[Session]:
    """The event's sessions in order, each with `n_present` (people marked present)."""
    # Meta.ordering is ignored in GROUP BY queries: order explicitly.
    return list(
        event.sessions.annotate(n_present=Count("attendances")).order_by("date", "start_time", "pk")
    )


def event_summary(event: TrainingEvent) -> EventSummary:
    """Sessions with attendance counts, roster and attendance totals, and the figures the apps
    above give (the feedback averages and the pre/post test averages), in a fixed number of
    queries."""
    sessions = sessions_with_counts(event)
    roster = event.enrolments.aggregate(
        n=Count("pk", distinct=True),
        attended=Count("pk", filter=Q(attendances__isnull=False), distinct=True),
    )
    figures = event_figures(event)
    return EventSummary(
        sessions=sessions,
        n_enrolled=roster["n"],
        n_attended=roster["attended"],
        feedback=figures.get("feedback", {}),
        scores=figures.get("scores", {}),
    )
