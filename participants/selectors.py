"""Reads of people and what they did, limited to a Scope. People are personal data: a scope
without `can_see_people` (viewers) gets nothing here, only aggregates
(participants/aggregates.py)."""

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scope import Scope
from core.dataversion import region_cached
from core.listing import (
    ESTIMATE_ABOVE,
    SORT_MATCHES_BELOW,
    Estimate,
    PageEdges,
    count_or_estimate,
    table_size_estimate,
)
from regions.models import PartnerOrganisation
from trainings.models import Session, TrainingEvent
from trainings.selectors import edit_refusal

from . import summaries
from .identity import name_spellings, normalise_name
from .models import Attendance, Consent, Enrolment, Feedback, Participant, Reach, Tombstone


def people_visible(scope: Scope) -> QuerySet[Participant]:
    """People who live in the user's regions or came to an event held there."""
    if not scope.can_see_people:
        return Participant.objects.none()
    if scope.all_regions:
        return Participant.objects.all()
    came_here = Enrolment.objects.filter(
        scope.region_q("event__region"), participant=OuterRef("pk")
    )
    return Participant.objects.filter(scope.region_q("region") | Exists(came_here))


def _seen_here(scope: Scope) -> QuerySet | None:
    """The ids of the people visible in the scope's regions, as the summaries keep them (one
    "seen" Reach row per person and region they live in or came to an event in, one index
    range per region), or None while this connection's transaction has writes the summaries
    do not show yet (then the records are read). Only for scopes of some regions."""
    if summaries.has_pending():
        return None
    places = [summaries.region_place(pk) for pk in sorted(scope.region_ids)]
    return Reach.objects.filter(place__in=places, period=summaries.SEEN).values("participant_id")


def people_listed(scope: Scope) -> QuerySet[Participant]:
    """The people of `people_visible(scope)` for lists and counts: a coordinator's read
    through the summaries' "seen" rows (`_seen_here`). The test "lives here OR came to an
    event here" fits no index: every person in the country was tested for every page and
    count (a two-letter search by the largest region's coordinator: 111 ms of count). The
    summaries follow each write after its commit (participants/summaries.py), so a list may
    lag a write by the milliseconds of that refresh: pages keep only the rows the records
    still show (`keep_visible`); opening a person always asks the records."""
    if not scope.can_see_people or scope.all_regions:
        return people_visible(scope)
    seen = _seen_here(scope)
    if seen is None:
        return people_visible(scope)
    return Participant.objects.filter(pk__in=seen)


# The people list's orders the "seen" rows hold (the list's key -> their copy of it), each
# with its index: reach_seen_name, reach_seen_born.
SEEN_ORDERS = {"full_name": "name", "birth_year": "birth_year"}


@dataclass(frozen=True)
class SeenListing:
    """How the people list is paged and counted from the summaries: the page's keys are
    read from `keys` (a queryset in the list's order) in its column `key`, the total is
    `count` (core.listing `paginate(keys=..., count=...)`); None for the country's searches,
    which the caller counts or estimates as the records' (an exact count reads every match)."""

    keys: QuerySet
    key: str
    count: int | None


def listed_from_seen(
    scope: Scope,
    people: QuerySet[Participant],
    *,
    q: str = "",
    sex: str = "",
    category_id: int | None = None,
    country_search: bool = False,
) -> SeenListing | None:
    """The people list by name or by birth year (`people`: `people_list`, either way) paged
    and counted from the summaries' "seen" rows, in that order in the index `reach_seen_name`
    or `reach_seen_born` (one range per place, with each person's sex and category): a
    coordinator's of one region whole, searched (`q`: the rows copy what the search reads) or
    filtered by sex or category (`PeopleFilter.summarised`), and the whole country's filtered
    by sex or category or searched broadly (`country_search`, counted by the caller: narrower
    searches use the trigram indexes). The people's own query walks
    the country's name or birth-year index and tests every person on the way: half-way down
    the largest region's 25,000 people that is about 100,000 index entries (by name 102-131 ms
    at 200,000 people, 520 ms at 1,000,000; by birth year 71-104 ms, 318-417 ms), and half-way
    down the country's women 100,000 rows read (200-270 ms; 1.1 s at 1,000,000). A two-letter
    search of the largest region read every name in the country to sort the region's matches
    (118-154 ms). The count is exact (the summaries' counts, or the region's rows that match a
    search), not an estimate. None when the list is read otherwise: several regions (a person
    seen in two would be read twice), other filters, another order, or while this transaction
    has writes the summaries do not show yet. The rows are read from the records and ordered
    by their own values; a name or birth year changed a moment ago may sort by the old one
    until its refresh (milliseconds)."""
    only = {"sex": sex} if sex else {}
    if category_id is not None:
        only["category_id"] = category_id
    if not scope.can_see_people:
        return None
    if scope.all_regions:
        # The whole country's list walks the records' name index (index only). Its searches
        # by name read the country's seen rows when the caller found them broad
        # (`country_search`: `broad_search`), index only where the records' name index reads
        # every person it walks for the search's columns; the caller counts them.
        if not (only or q) or (q and not country_search):
            return None
        region_ids, place = None, summaries.NATIONAL
    elif len(scope.region_ids) == 1:
        region_ids = sorted(scope.region_ids)
        place = summaries.region_place(region_ids[0])
    else:
        return None
    order = [key for key in people.query.order_by if key not in ("pk", "-pk")]
    column = SEEN_ORDERS.get(order[0].lstrip("-")) if len(order) == 1 else None
    if column is None or summaries.has_pending():
        return None
    seen = Reach.objects.filter(place=place, period=summaries.SEEN, **only)
    count = None
    if q and scope.all_regions:
        if column != "name":  # reach_seen_born holds no search column
            return None
        seen = seen.filter(*search_terms(q, organisation="organisation_id"))
    elif q:
        seen = seen.filter(*search_terms(q, organisation="organisation_id"))
        # The region's rows, one index range; kept until the region's data changes.
        asked = [("q", q), ("sex", sex), ("category", str(category_id or ""))]
        count = kept_people_count(scope, asked, seen.count)
    else:
        count = summaries.people_seen(region_ids, sex=sex, category_id=category_id)
    # Ties go by person the way of the list (core.listing `with_total_order`), NULL birth
    # years where the records' own order puts them (the same column type on both sides).
    descending = order[0].startswith("-")
    keys = (f"-{column}", "-participant_id") if descending else (column, "participant_id")
    return SeenListing(seen.order_by(*keys), "participant_id", count)


def broad_search(matches: int) -> bool:
    """Is a search of the whole country expected to match `matches` people broad enough to
    page through the country's seen rows (`listed_from_seen`, index only) rather than the
    records? More than SORT_MATCHES_BELOW: the seen rows' name index holds the searched
    columns, so walking it to a page tests each entry without reading the table. The records'
    name index reads every person it walks: the first page of a first name ("Динара": 42,000
    of 1,000,000, the first match 40,000 names down, past the men's surnames) took 130-140 ms
    that way, 68 ms through the seen rows; half-way down a two-letter search 560-611 ms, 90
    ms. A deep page asked for by its number reads on from the list's kept page edges (core.
    listing `IdsFirstPaginator.keep_edges`). Fewer matches are found by the trigram indexes
    and sorted (the seen rows have no trigram index)."""
    return matches > SORT_MATCHES_BELOW


@dataclass(frozen=True)
class PeoplePaging:
    """How the people list is counted and paged (core.listing `paginate(count=..., keys=...,
    keep_edges=...)`)."""

    count: int | Estimate | None
    keys: tuple[QuerySet, str] | None
    keep_edges: Callable[[Callable[[], PageEdges]], PageEdges]


def people_paging(
    scope: Scope,
    people: QuerySet[Participant],
    *,
    asked: list[tuple[str, str]],
    summarised: dict | None,
    filtered: bool,
    valid: bool,
    narrow: Callable[[QuerySet], QuerySet],
) -> PeoplePaging:
    """How to count and page `people` (`people_list` as filtered; `asked`: the query string's
    pairs but the page and the pager's keys; `summarised`: `PeopleFilter.summarised`;
    `filtered`: anything asked besides the page and sort; `valid`: the filters are; `narrow`:
    the same filters on other rows). The list by name or birth year of one region whole,
    searched or by sex or category, and the country's by sex or category or searched broadly,
    is paged and counted from the summaries' "seen" rows (`listed_from_seen`). Otherwise the
    whole list is counted from the summaries or the indexes, or estimated above
    ESTIMATE_ABOVE people (the page says "about"); a searched or filtered one is estimated by
    the planner when it expects more than ESTIMATE_ABOVE, else counted (a coordinator's among
    the people the summaries say the regions see), the count kept until the data of the
    scope's regions changes. A page asked for by its number deep in the list reads on from
    its kept edge (`kept_people_edges`)."""
    keys, count = None, None
    from_seen = listed_from_seen(scope, people, **summarised) if summarised is not None else None
    if from_seen is not None:
        keys, count = (from_seen.keys, from_seen.key), from_seen.count
    elif not filtered:
        count = people_visible_count(scope)
    elif valid:
        filters = [(k, v) for k, v in asked if k != "sort"]
        exact = people.count
        if not scope.all_regions:
            exact = partial(count_people_passing, scope, narrow)
        count = count_or_estimate(people, lambda: kept_people_count(scope, filters, exact))
        broad = isinstance(count, Estimate) and broad_search(count.n)
        if scope.all_regions and summarised and broad:
            # The country's broad search pages through its seen rows (`broad_search`).
            from_seen = listed_from_seen(scope, people, **summarised, country_search=True)
            if from_seen is not None:
                keys = (from_seen.keys, from_seen.key)
    return PeoplePaging(count, keys, partial(kept_people_edges, scope, asked))


def keep_visible(scope: Scope, people: Iterable[Participant]) -> list[Participant]:
    """`people` (a page of `people_listed`) without anyone `people_visible(scope)` no longer
    holds: a list read from the summaries never shows a person the records do not give this
    scope, even while a refresh is still running or after one failed (it is logged)."""
    people = list(people)
    if not people or scope.all_regions:
        return people
    ids = {person.pk for person in people}
    shown = set(people_visible(scope).filter(pk__in=ids).values_list("pk", flat=True))
    return [person for person in people if person.pk in shown]


def count_people_visible(scope: Scope) -> int:
    """How many people `people_visible(scope)` holds: for some regions the summaries' count of
    the people seen there (participants.summaries.people_seen: a few rows), or while this
    transaction's writes are not in them, counted from the indexes: the people living in the
    scope's regions (index on region) united with those enrolled in its events (index on event
    and participant). The plain count of `people_visible` checks every person in the country
    against both conditions (a sequential scan, twice as slow at 200,000)."""
    if not scope.can_see_people:
        return 0
    if scope.all_regions:
        return Participant.objects.count()
    if not summaries.has_pending():
        return summaries.people_seen(scope.region_ids)
    living_here = Participant.objects.filter(scope.region_q("region")).order_by().values("pk")
    came_here = (
        Enrolment.objects.filter(scope.region_q("event__region"))
        .order_by()
        .values("participant_id")
    )
    return living_here.union(came_here).count()


def count_people_passing(scope: Scope, narrow: Callable[[QuerySet], QuerySet]) -> int:
    """How many of `people_visible(scope)` pass `narrow` (the list's search and filters). For
    some regions: those of the summaries' "seen" rows that pass (`_seen_here`), or while this
    transaction's writes are not in the summaries, counted apart for the two sets the scope
    joins, each through its index: the residents of its regions that pass, and the people
    living elsewhere who came to one of its events and pass. The count of the list's own rows
    tests "lives here OR came here" on every person in the country, which no index serves: a
    two-letter search by the largest region's coordinator took 276 ms that way."""
    if not scope.can_see_people:
        return 0
    if scope.all_regions:
        return narrow(Participant.objects.all()).count()
    seen = _seen_here(scope)
    if seen is not None:
        return narrow(Participant.objects.filter(pk__in=seen)).count()
    living_here = scope.region_q("region")
    residents = narrow(Participant.objects.filter(living_here))
    came_here = Enrolment.objects.filter(scope.region_q("event__region")).values("participant_id")
    visitors = narrow(Participant.objects.exclude(living_here).filter(pk__in=came_here))
    return (
        residents.order_by()
        .values("pk")
        .union(visitors.order_by().values("pk"), all=True)  # disjoint
        .count()
    )


def people_visible_count(scope: Scope) -> int | Estimate:
    """The people list's "N people" with no search or filter (issue 23). For some regions the
    summaries' exact count (`count_people_visible`); for every region exact up to
    `ESTIMATE_ABOVE`, above an estimate said as such: the table's size from PostgreSQL's
    statistics (no count at all). Pages in the second half of the list count exactly
    (core.listing.IdsFirstPaginator)."""
    if not scope.can_see_people:
        return 0
    if scope.all_regions:
        size = table_size_estimate(Participant)
        if size and size > ESTIMATE_ABOVE:
            return Estimate(size, exact=Participant.objects.count)
        return Participant.objects.count()
    return count_people_visible(scope)


def kept_people_count(
    scope: Scope, filters: list[tuple[str, str]], count: Callable[[], int]
) -> int:
    """`count()` of the people list searched and filtered by `filters` (the query string's
    pairs, page and sort left out), kept in the cache until the data of the scope's regions
    changes (core.dataversion: bumped after every refresh of their summaries, which follows
    every write to a person seen there). The second half of a broad search counts its matches
    exactly (60-90 ms for the largest region at 200,000 people): the first such page pays it,
    the others (paging back, going on from the last) read it."""
    return _kept_for_list(scope, "people-count", filters, count)


def kept_people_edges(
    scope: Scope, asked: list[tuple[str, str]], read: Callable[[], PageEdges]
) -> PageEdges:
    """`read()`: the people list's page edges (core.listing `IdsFirstPaginator.keep_edges`)
    as `asked` (the query string's pairs, the sort included, the page and the pager's keys
    left out), kept as `kept_people_count` keeps a count: a page asked for by its number deep
    in a search of the whole country reads on from its edge."""
    return _kept_for_list(scope, "people-edges", asked, read)


def _kept_for_list(scope: Scope, name: str, asked: list[tuple[str, str]], compute: Callable):
    regions = None if scope.all_regions else sorted(scope.region_ids)
    digest = hashlib.sha256(repr((regions, sorted(asked))).encode()).hexdigest()[:24]
    return region_cached(f"{name}:{digest}", regions, compute)


def enrolments_visible(scope: Scope) -> QuerySet[Enrolment]:
    if not scope.can_see_people:
        return Enrolment.objects.none()
    return Enrolment.objects.filter(scope.region_q("event__region"))


def attendance_visible(scope: Scope) -> QuerySet[Attendance]:
    if not scope.can_see_people:
        return Attendance.objects.none()
    return Attendance.objects.filter(scope.region_q("session__event__region"))


def feedback_visible(scope: Scope) -> QuerySet[Feedback]:
    return Feedback.objects.filter(scope.region_q("event__region"))


def tombstones_visible(scope: Scope) -> QuerySet[Tombstone]:
    """Tombstones of the records this scope saw: those of the scope's regions (a person's: where
    they lived or came to an event); for scopes without personal data, none about people."""
    rows = Tombstone.objects.all()
    if not scope.can_see_people:
        rows = rows.exclude(resource__in=Tombstone.PERSONAL)
    if scope.all_regions:
        return rows
    seen_here = Tombstone.regions.through.objects.filter(
        tombstone=OuterRef("pk"), region__in=scope.region_ids
    )
    return rows.filter(Exists(seen_here))


def likely_duplicates(
    scope: Scope,
    *,
    full_name: str,
    birth_year: int | None = None,
    organisation_id: int | None = None,
    organisation_name: str = "",
    iin_hash: str = "",
    exclude_pk: int | None = None,
) -> QuerySet[Participant]:
    """People in scope who are probably the person about to be saved: same normalised name and
    birth year, same normalised name and organisation, or the same IIN hash."""
    name = normalise_name(full_name)
    match = Q(pk__in=[])
    if name and birth_year:
        match |= Q(name_normalised=name, birth_year=birth_year)
    if name and organisation_id:
        match |= Q(name_normalised=name, organisation_id=organisation_id)
    if name and organisation_name.strip():
        match |= Q(name_normalised=name, organisation_name__iexact=organisation_name.strip())
    if iin_hash:
        match |= Q(iin_hash=iin_hash)
    people = people_visible(scope).filter(match)
    if exclude_pk:
        people = people.exclude(pk=exclude_pk)
    return people.select_related("region", "organisation").order_by("full_name", "pk")


def _likely_same(person: Participant, name: str, birth_year: int | None, organisation: str) -> bool:
    """`likely_duplicates`' rule for one person already read: the same normalised name and the
    same birth year or organisation (written, or the partner's name); with neither given, the
    name alone (a list of names only: show the namesakes rather than nothing)."""
    if person.name_normalised != name:
        return False
    if not birth_year and not organisation:
        return True
    partner = person.organisation.name if person.organisation_id else ""
    return bool(
        (birth_year and person.birth_year == birth_year)
        or (
            organisation
            and organisation in (person.organisation_name.strip().lower(), partner.lower())
        )
    )


def likely_duplicates_of_rows(
    scope: Scope,
    rows: list[tuple[str, int | None, str]],
    *,
    event=None,
    limit: int = 5,
) -> list[list[Participant]]:
    """For each (full name, birth year, organisation) row of the multi-row entry, the people in
    scope who are probably that person (`_likely_same`), at most `limit` each. One query
    whatever the number of rows; with `event`, each person carries `on_roster`."""
    keys = [(normalise_name(n), y, (o or "").strip().lower()) for n, y, o in rows]
    names = sorted({name for name, _y, _o in keys if name})
    if not names:
        return [[] for _row in rows]
    people = (
        people_visible(scope)
        .filter(name_normalised__in=names, is_anonymised=False)
        .select_related("region", "organisation")
        .order_by("full_name", "pk")
    )
    if event is not None:
        people = people.annotate(
            on_roster=Exists(Enrolment.objects.filter(participant=OuterRef("pk"), event=event))
        )
    found = list(people)
    return [
        [p for p in found if name and _likely_same(p, name, year, org)][:limit]
        for name, year, org in keys
    ]


# Registry search, rosters, attendance grids and merges (the event pages of coordinators) ----


def search_terms(query: str, *, organisation: str = "organisation") -> list[Q]:
    """One filter per word typed: the word is in the name (compared folded, as
    `normalise_name` does, so any spelling and word order match) or in the organisation's name
    (compared as typed, case-insensitively).

    All three tests are on the people table itself (the partners whose name matches are looked
    up first, a small table, then `organisation_id IN (ids)`), so PostgreSQL can combine the
    trigram indexes of migration 0006 with the organisation index instead of reading all
    200,000 people for every search. The summaries' "seen" rows hold the same columns
    (`organisation="organisation_id"` there: a plain id, not a foreign key)."""
    terms = []
    for word in re.findall(r"\w+", query or ""):
        folded = normalise_name(word)
        # Ids, not a subquery: a list of values can use the organisation index.
        partners = list(
            PartnerOrganisation.objects.filter(name__icontains=word).values_list("pk", flat=True)
        )
        named = Q()
        for spelling in sorted(name_spellings(word)) or [folded]:
            named |= Q(name_normalised__contains=spelling)
        partner = Q(**{f"{organisation}__in": partners})
        terms.append(named | Q(organisation_name__icontains=word) | partner)
    return terms


def search_people(scope: Scope, query: str, *, event=None) -> QuerySet[Participant]:
    """People in scope whose name (in any spelling or word order) or organisation contains
    every word typed. With `event`, each person carries `on_roster` (already enrolled)."""
    terms = search_terms(query)
    if not terms:
        return Participant.objects.none()
    people = people_visible(scope)
    for term in terms:
        people = people.filter(term)
    if event is not None:
        people = people.annotate(
            on_roster=Exists(Enrolment.objects.filter(participant=OuterRef("pk"), event=event))
        )
    return people.select_related("region", "organisation", "category").order_by("full_name", "pk")


def people_list(scope: Scope) -> QuerySet[Participant]:
    """The people list: people in scope by name, each with `n_events` (their events in scope)."""
    n_events = Subquery(
        enrolments_visible(scope)
        .filter(participant=OuterRef("pk"))
        .order_by()
        .values("participant")
        .annotate(n=Count("pk"))
        .values("n"),
        output_field=IntegerField(),
    )
    return (
        people_listed(scope)
        .select_related("region", "category", "organisation")
        .annotate(n_events=Coalesce(n_events, 0))
        .order_by("full_name", "pk")
    )


def _present_count() -> Subquery:
    return Subquery(
        Attendance.objects.filter(enrolment=OuterRef("pk"))
        .values("enrolment")
        .annotate(n=Count("pk"))
        .values("n"),
        output_field=IntegerField(),
    )


def event_roster(scope: Scope, event) -> QuerySet[Enrolment]:
    """The people on an event's roster (in scope), with the sessions each attended and
    `consent`: their latest consent on file (True, False for refused/withdrawn, None)."""
    latest_consent = Subquery(
        Consent.objects.filter(participant=OuterRef("participant"))
        .order_by("-given_on", "-pk")
        .values("given")[:1]
    )
    return (
        enrolments_visible(scope)
        .filter(event=event)
        .select_related("participant", "participant__category", "participant__region")
        .annotate(n_present=Coalesce(_present_count(), 0), consent=latest_consent)
        .order_by("participant__full_name", "pk")
    )


def session_counts(event) -> dict[int, int]:
    """Session id -> number of people present, for every session of the event."""
    counts = dict(
        Attendance.objects.filter(session__event=event)
        .values("session")
        .annotate(n=Count("pk"))
        .values_list("session", "n")
    )
    return {s: counts.get(s, 0) for s in event.sessions.values_list("pk", flat=True)}


@dataclass
class GridRow:
    enrolment: Enrolment
    cells: list[tuple[Any, bool]]  # (session, present) in session order


@dataclass
class AttendanceGrid:
    """An event's attendance as people x sessions: three queries whatever the size.

    `rows` are the people whose name matches `query` (all of them without one), `total` the
    roster's size; `shown_session` is the one session a phone shows (a column per session does
    not fit 360 px)."""

    sessions: list
    rows: list[GridRow]
    counts: dict[int, int]
    total: int = 0
    query: str = ""
    shown_session: Any = None

    @property
    def session_counts(self) -> list[tuple[Any, int]]:
        return [(s, self.counts.get(s.pk, 0)) for s in self.sessions]


def name_matches(query: str, participant: Participant) -> bool:
    """Whether every word typed is in the person's name, compared folded as `normalise_name`
    does (static/js/qadam.js filters the grid's rows the same way as one types)."""
    words = normalise_name(query).split()
    return all(word in participant.name_normalised for word in words)


def attendance_grid(
    scope: Scope, event, *, query: str = "", session_id: int | None = None
) -> AttendanceGrid:
    """The grid of `event` for `scope`: its people whose name matches `query`, and the session
    a phone shows (`session_id` if it is the event's, else today's, else the first)."""
    sessions = list(event.sessions.order_by("date", "start_time", "pk"))
    enrolments = list(
        enrolments_visible(scope)
        .filter(event=event)
        .select_related("participant")
        .order_by("participant__full_name", "pk")
    )
    present = set(
        Attendance.objects.filter(session__event=event).values_list("enrolment_id", "session_id")
    )
    shown = [e for e in enrolments if name_matches(query, e.participant)]
    rows = [GridRow(e, [(s, (e.pk, s.pk) in present) for s in sessions]) for e in shown]
    counts = {s.pk: 0 for s in sessions}
    for _enrolment_id, session_id_ in present:
        counts[session_id_] = counts.get(session_id_, 0) + 1
    today = timezone.localdate()
    shown_session = (
        next((s for s in sessions if s.pk == session_id), None)
        or next((s for s in sessions if s.date == today), None)
        or (sessions[0] if sessions else None)
    )
    return AttendanceGrid(sessions, rows, counts, len(enrolments), query, shown_session)


def person_enrolments(scope: Scope, person: Participant) -> QuerySet[Enrolment]:
    """A person's events in scope, newest first, with attendance counts, feedback and scores."""
    n_sessions = Subquery(
        Session.objects.filter(event=OuterRef("event"))
        .values("event")
        .annotate(n=Count("pk"))
        .values("n"),
        output_field=IntegerField(),
    )
    return (
        enrolments_visible(scope)
        .filter(participant=person)
        .select_related("event", "event__region", "feedback", "assessment")
        .annotate(n_present=Coalesce(_present_count(), 0), n_sessions=Coalesce(n_sessions, 0))
        .order_by("-event__start_date", "-pk")
    )


@dataclass
class EventMerge:
    """What happens to one event of the record being removed."""

    event: Any
    enrolment: Enrolment  # of the record removed
    into: Enrolment | None  # the kept record's enrolment in the same event, if any
    attendance_moved: list = field(default_factory=list)  # sessions
    attendance_duplicate: list = field(default_factory=list)  # sessions both attended
    feedback: str = ""  # "", "move", "detach"
    assessment: str = ""  # "", "move", "combine"


@dataclass
class MergePlan:
    """Exactly what merge_people(keep, remove) moves: shown before confirming, then executed."""

    keep: Participant
    remove: Participant
    events: list[EventMerge]
    consents: list
    fields: list[tuple[str, str, Any]]  # (field name, label, value copied to the kept record)
    iin: bool  # the removed record's IIN hash moves to the kept one
    differences: list = field(default_factory=list)  # labels of fields that disagree

    @property
    def moved(self) -> list[EventMerge]:
        return [e for e in self.events if e.into is None]

    @property
    def combined(self) -> list[EventMerge]:
        return [e for e in self.events if e.into is not None]

    @property
    def n_attendance(self) -> int:
        moved = sum(len(e.attendance_moved) for e in self.events)
        return moved

    @property
    def n_feedback(self) -> int:
        return sum(1 for e in self.events if e.feedback)

    @property
    def n_assessments(self) -> int:
        return sum(1 for e in self.events if e.assessment)


# Shown when the two records disagree (the kept record's values stay): a hint they may be
# two different people after all.
MERGE_COMPARE_FIELDS = ("sex", "birth_year", "region", "category", "organisation")
MERGE_FILL_FIELDS = (
    "birth_year",
    "district",
    "organisation",
    "organisation_name",
    "position",
    "phone",
    "email",
)


def has_events_outside(scope: Scope, *people: Participant) -> bool:
    """Whether any of these people went to events outside the scope (a coordinator may not
    merge records whose history they cannot review)."""
    if scope.all_regions:
        return False
    return (
        Enrolment.objects.filter(participant__in=people)
        .exclude(scope.region_q("event__region"))
        .exists()
    )


def merge_refusal(scope: Scope, keep: Participant, remove: Participant) -> str:
    """Why this user may not merge these records ("" when they may): a merge moves or combines
    the enrolments, attendance, feedback and scores of `remove`'s events (and of `keep`'s
    where both were), so each of those events must be one the user may change (the lock rule,
    trainings.selectors.edit_refusal: reported events, approved region-quarters)."""
    touched = Enrolment.objects.filter(participant=remove).values("event_id")
    for event in TrainingEvent.objects.filter(pk__in=touched).order_by("start_date", "pk"):
        refusal = edit_refusal(scope, event)
        if refusal:
            return _("“%(event)s”: %(why)s") % {"event": event.title, "why": refusal}
    return ""


def merge_plan(keep: Participant, remove: Participant) -> MergePlan:
    """Plan merging `remove` into `keep`: enrolments in events `keep` was not at move across;
    in shared events attendance, feedback and scores are combined into `keep`'s enrolment (a
    second feedback stays with the event, unlinked and marked is_duplicate so reports count the
    person's feedback once; scores fill gaps). Consents move. Blank
    fields of `keep` take `remove`'s values."""
    kept = {
        e.event_id: e
        for e in Enrolment.objects.filter(participant=keep).select_related("feedback", "assessment")
    }
    removed = list(
        Enrolment.objects.filter(participant=remove)
        .select_related("event", "event__region", "feedback", "assessment")
        .order_by("event__start_date", "pk")
    )
    sessions_of: dict[int, list] = {}
    # session__event: an untitled session is named "Day N" from its event's first day.
    for a in Attendance.objects.filter(enrolment__participant__in=[keep, remove]).select_related(
        "session__event"
    ):
        sessions_of.setdefault(a.enrolment_id, []).append(a.session)
    events = []
    for enrolment in removed:
        into = kept.get(enrolment.event_id)
        mine = sorted(sessions_of.get(enrolment.pk, []), key=lambda s: (s.date, s.pk))
        plan = EventMerge(enrolment.event, enrolment, into)
        has_feedback = _related(enrolment, "feedback") is not None
        has_scores = _related(enrolment, "assessment") is not None
        if into is None:
            plan.attendance_moved = mine
            plan.feedback = "move" if has_feedback else ""
            plan.assessment = "move" if has_scores else ""
        else:
            theirs = {s.pk for s in sessions_of.get(into.pk, [])}
            plan.attendance_moved = [s for s in mine if s.pk not in theirs]
            plan.attendance_duplicate = [s for s in mine if s.pk in theirs]
            if has_feedback:
                plan.feedback = "detach" if _related(into, "feedback") else "move"
            if has_scores:
                plan.assessment = "combine" if _related(into, "assessment") else "move"
        events.append(plan)
    fields = []
    for name in MERGE_FILL_FIELDS:
        mine_value = getattr(remove, name)
        if name == "district" and remove.district_id and remove.region_id != keep.region_id:
            continue  # a district of another region would not fit the kept record
        if mine_value not in (None, "") and getattr(keep, name) in (None, ""):
            label = Participant._meta.get_field(name).verbose_name
            fields.append((name, label, mine_value))
    differences = [
        Participant._meta.get_field(name).verbose_name
        for name in MERGE_COMPARE_FIELDS
        if _value(keep, name) not in (None, "")
        and _value(remove, name) not in (None, "")
        and _value(keep, name) != _value(remove, name)
    ]
    return MergePlan(
        keep=keep,
        remove=remove,
        events=events,
        consents=list(remove.consents.all()),
        fields=fields,
        iin=bool(remove.iin_hash and not keep.iin_hash),
        differences=differences,
    )


def _value(person: Participant, name: str):
    """A field's value, foreign keys by id (no query)."""
    return getattr(person, Participant._meta.get_field(name).attname)


def _related(obj, name: str):
    """A reverse one-to-one (feedback, assessment) or None when there is none."""
    try:
        return getattr(obj, name)
    except ObjectDoesNotExist:
        return None
