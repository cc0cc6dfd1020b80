"""Summaries of the records that the dashboard and the regions overview read instead of the
records themselves (issue 23): EventFigures (one row per event: roster, sessions, attendance,
feedback and test sums), Reach (each person reached, once per place and period) and
ReachCount (how many Reach rows per place, period, sex, category and disability status).

How they stay right:
- The post_save/post_delete signals of every record they count (events, sessions, people,
  their disability answers, enrolments, attendance, feedback, tests) note what the write
  touched: which events to recount, which people's reach to recount, which regions changed.
  Bulk writes that send no signals (imports, "all present", merges) call `touch()` themselves.
- After the commit (transaction.on_commit, in the process that wrote, before its response
  goes out), `refresh()` recounts exactly those events and people in one transaction,
  serialised by an advisory lock, and then bumps the data version of the regions they belong
  to (core/dataversion.py): only the cached figures of those regions, and the national ones,
  are recounted at the next request. Between the write's commit and the end of its refresh
  (milliseconds for a tap, about a second for an import of thousands of rows) other readers
  still get the figures from before the write, as they would have just before it.
- `rebuild()` (manage.py rebuild_summaries, the migration, generate_synthetic, seed_demo)
  counts everything again from the records.

A person's reach is recounted as a whole (delete their Reach rows, insert them again from the
attendance) and ReachCount moves by the difference, so distinct people stay exact in every
place and period: a person who came in two quarters counts once in the year, one who came in
two regions once in the country."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import DatabaseError, connection, transaction
from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, NullIf, TruncQuarter
from django.db.models.signals import post_delete, post_save

from core import dataversion
from trainings.models import Session, TrainingEvent

from . import disability
from .aggregates import (
    BOTH_SCORES,
    GAIN,
    LIKERT_ITEMS,
    feedback_measures,
    knowledge_measures,
)
from .models import (
    Assessment,
    Attendance,
    DisabilityAnswers,
    Enrolment,
    EventFigures,
    Feedback,
    Participant,
    Reach,
    ReachCount,
)

logger = logging.getLogger(__name__)

# pg_advisory_xact_lock key: one refresh at a time (a person's rows are deleted and inserted
# again; two refreshes of the same person at once would count them twice).
LOCK_KEY = 2_023_002
CHUNK = 5000
# A refresh the database failed is retried by a worker after this many seconds (then doubling).
RETRY_FIRST_SECONDS = 5
NATIONAL = "all"
EVER = "ever"
SEEN = "seen"  # "people registered": where a person lives or came to an event


def region_place(region_id: int) -> str:
    return f"r:{region_id}"


def district_place(district_id: int) -> str:
    return f"d:{district_id}"


# What a commit touched ----------------------------------------------------------------------
_KINDS = ("events", "event_people", "enrolments", "participants", "regions")


def _state() -> dict | None:
    """What this connection's open transaction touched, while its refresh is still to come."""
    state = connection.__dict__.get("qadam_summaries")
    if state is None or state["done"]:
        return None
    if not any(entry[1] is state["callback"] for entry in connection.run_on_commit):
        return None  # rolled back (or never registered): nothing of it will be committed
    return state


def has_pending() -> bool:
    """Has this connection written, in its open transaction, what the summaries count? Then
    they do not show its writes yet (they will after its commit): count from the records."""
    return _state() is not None


def rosters_current() -> bool:
    """May a reader use EventFigures.roster now? Not while this connection's open transaction
    has writes the summaries do not show yet (has_pending)."""
    return not has_pending()


def touch(
    *,
    events: Iterable[int] = (),
    event_people: Iterable[int] = (),
    enrolments: Iterable[int] = (),
    participants: Iterable[int] = (),
    regions: Iterable[int | None] = (),
) -> None:
    """Note what a write changed, for the refresh after the commit: `events` to recount,
    `event_people` events whose people's reach to recount (their dates or place changed),
    `enrolments` (their person and event), `participants`, and `regions` whose figures changed
    in a way the rest does not show (a deleted event's, a person's own region)."""
    state = _state()
    new = state is None
    if new:
        state = {"done": False, **{kind: set() for kind in _KINDS}}

        def refresh_after_commit(state=state):
            state["done"] = True
            refresh_or_hand_over({kind: sorted(state[kind]) for kind in _KINDS})

        state["callback"] = refresh_after_commit
        connection.__dict__["qadam_summaries"] = state
    for name, ids in (
        ("events", events),
        ("event_people", event_people),
        ("enrolments", enrolments),
        ("participants", participants),
        ("regions", regions),
    ):
        state[name].update(i for i in ids if i is not None)
    if new:
        transaction.on_commit(state["callback"], robust=True)


def refresh(
    *,
    events: Iterable[int] = (),
    event_people: Iterable[int] = (),
    enrolments: Iterable[int] = (),
    participants: Iterable[int] = (),
    regions: Iterable[int] = (),
) -> set[int]:
    """Recount what `touch` noted, then bump the versions of the regions whose figures
    changed (after the commit). Returns those regions."""
    events, participants, changed = set(events), set(participants), set(regions)
    with transaction.atomic():
        _lock()
        enrolments = set(enrolments)
        for participant_id, event_id in Enrolment.objects.filter(pk__in=enrolments).values_list(
            "participant_id", "event_id"
        ):
            participants.add(participant_id)
            events.add(event_id)
        event_people = set(event_people)
        if event_people:
            events |= event_people
            participants.update(
                Enrolment.objects.filter(event__in=event_people).values_list(
                    "participant_id", flat=True
                )
            )
        changed |= refresh_events(events)
        changed |= refresh_people(participants)
        changed.discard(None)
        transaction.on_commit(lambda: dataversion.bump_regions(changed), robust=True)
    return changed


def refresh_or_hand_over(work: dict[str, list[int]]) -> None:
    """The refresh after a commit. If the database fails it (a lost connection, a deadlock, a
    statement cancelled), the same work goes to a worker, which retries it with a growing pause
    (participants.tasks `refresh_summaries`): the write is committed, so its figures must follow
    even when this process cannot count them now."""
    try:
        refresh(**work)
    except DatabaseError:
        logger.exception("summaries: refresh after a commit failed, handed to a worker to retry")
        from .tasks import refresh_summaries  # the tasks module imports the services above

        try:
            refresh_summaries.apply_async(kwargs=work, countdown=RETRY_FIRST_SECONDS)
        except Exception:  # noqa: BLE001 - a broker outage must not fail the committed write
            logger.exception(
                "summaries: the retry failed too or could not be queued; "
                "`manage.py rebuild_summaries` repairs them"
            )


def _lock() -> None:
    """One refresh at a time. SQLite (the embedded default) has one writer at a time anyway: a
    write that changes nothing makes this transaction that writer before it reads anything."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
        else:
            table = connection.ops.quote_name(ReachCount._meta.db_table)
            cursor.execute(f"UPDATE {table} SET n = n WHERE 1 = 0")  # noqa: S608 # nosec B608


# Events -------------------------------------------------------------------------------------
def _event_measures() -> dict:
    fb = feedback_measures()
    sc = knowledge_measures()
    measures = {f"fb_{k}": v for k, v in fb.items() if not k.startswith("avg_")}
    for item in LIKERT_ITEMS:
        measures[f"fb_sum_{item}"] = Sum(item, filter=fb[f"avg_{item}"].filter)
        measures[f"fb_cnt_{item}"] = Count(item, filter=fb[f"avg_{item}"].filter)
    return measures, {
        "sc_n": sc["n"],
        "sc_pre": sc["n_pre"],
        "sc_post": sc["n_post"],
        "sc_improved": sc["n_improved"],
        "sc_sum_pre": Sum("pre_score", filter=BOTH_SCORES),
        "sc_sum_post": Sum("post_score", filter=BOTH_SCORES),
        "sc_sum_gain": Sum(GAIN, filter=BOTH_SCORES),
    }


_FB_RENAME = {
    "fb_n": "fb_n",
    "fb_n_online": "fb_online",
    "fb_n_paper": "fb_paper",
    "fb_n_quotable": "fb_quotable",
    "fb_n_satisfied": "fb_satisfied",
}


def refresh_events(event_ids: Iterable[int]) -> set[int]:
    """Count the figures of these events again (a few grouped queries for all of them).
    Returns the regions they were and are in."""
    ids = sorted(set(event_ids))
    regions: set[int] = set()
    for start in range(0, len(ids), CHUNK):
        regions |= _refresh_events(ids[start : start + CHUNK])
    return regions


def _refresh_events(ids: list[int]) -> set[int]:
    current = dict(TrainingEvent.objects.filter(pk__in=ids).values_list("pk", "region_id"))
    before = EventFigures.objects.filter(event_id__in=ids)
    regions = set(current.values()) | set(before.values_list("region_id_counted", flat=True))
    before.delete()
    if not current:
        return regions

    def per_event(qs: QuerySet, field: str) -> dict[int, int]:
        return dict(qs.order_by().values_list(field).annotate(n=Count("pk")))

    roster = per_event(Enrolment.objects.filter(event__in=current), "event")
    sessions = per_event(Session.objects.filter(event__in=current), "event")
    present = per_event(Attendance.objects.filter(session__event__in=current), "session__event")
    fb_measures, sc_measures = _event_measures()
    feedback = {
        row.pop("event"): row
        for row in Feedback.objects.filter(event__in=current)
        .order_by()
        .values("event")
        .annotate(**fb_measures)
    }
    scores = {
        row.pop("enrolment__event"): row
        for row in Assessment.objects.filter(enrolment__event__in=current)
        .order_by()
        .values("enrolment__event")
        .annotate(**sc_measures)
    }
    rows = []
    for event_id, region_id in current.items():
        fields = {
            "roster": roster.get(event_id, 0),
            "sessions": sessions.get(event_id, 0),
            "present": present.get(event_id, 0),
        }
        for name, value in feedback.get(event_id, {}).items():
            fields[_FB_RENAME.get(name, name)] = value or 0
        for name, value in scores.get(event_id, {}).items():
            fields[name] = value or 0
        rows.append(EventFigures(event_id=event_id, region_id_counted=region_id, **fields))
    EventFigures.objects.bulk_create(rows)
    return regions


# People reached -----------------------------------------------------------------------------
def _reach_source(participant_ids: list[int] | None) -> tuple[str, tuple]:
    """SQL of each person's attendance, one row per (person, region, district, quarter) with
    the person's sex, category and disability status (None: everyone's)."""
    person = "enrolment__participant__"
    of = {} if participant_ids is None else {"enrolment__participant_id__in": participant_ids}
    qs = (
        Attendance.objects.filter(**of)
        .annotate(
            pid=F("enrolment__participant_id"),
            rg=F("session__event__region_id"),
            ds=F("session__event__district_id"),
            qs=TruncQuarter("session__date"),
            sx=F(f"{person}sex"),
            ct=F(f"{person}category_id"),
            wg=disability.status_expression(f"{person}disability_answers__"),
        )
        .order_by()
        .values("pid", "rg", "ds", "qs", "sx", "ct", "wg")
        .distinct()
    )
    return qs.query.sql_with_params()


def _seen_source(participant_ids: list[int] | None) -> tuple[str, tuple]:
    """SQL of the regions each person is visible in (participants.selectors.people_visible):
    where they live and where the events they were enrolled in were held."""
    lives, came = _seen_source_querysets(participant_ids)
    return lives.union(came).query.sql_with_params()


# What the "seen" rows copy of their person (Reach.name, name_normalised, organisation_name,
# organisation_id, birth_year): the people list's orders and search.
SEEN_COPY = ("nm", "nn", "on", "oi", "by")


def _seen_source_querysets(participant_ids: list[int] | None) -> tuple[QuerySet, QuerySet]:
    person = "participant__"
    everyone = participant_ids is None
    lives = (
        Participant.objects.filter(**({} if everyone else {"pk__in": participant_ids}))
        .annotate(
            pid=F("pk"),
            rg=F("region_id"),
            sx=F("sex"),
            ct=F("category_id"),
            wg=disability.status_expression(),
            nm=F("full_name"),
            nn=F("name_normalised"),
            on=F("organisation_name"),
            oi=F("organisation_id"),
            by=F("birth_year"),
        )
        .order_by()
        .values("pid", "rg", "sx", "ct", "wg", *SEEN_COPY)
    )
    came = (
        Enrolment.objects.filter(**({} if everyone else {"participant_id__in": participant_ids}))
        .annotate(
            pid=F("participant_id"),
            rg=F("event__region_id"),
            sx=F(f"{person}sex"),
            ct=F(f"{person}category_id"),
            wg=disability.status_expression(f"{person}disability_answers__"),
            nm=F(f"{person}full_name"),
            nn=F(f"{person}name_normalised"),
            on=F(f"{person}organisation_name"),
            oi=F(f"{person}organisation_id"),
            by=F(f"{person}birth_year"),
        )
        .order_by()
        .values("pid", "rg", "sx", "ct", "wg", *SEEN_COPY)
    )
    return lives, came


def refresh_people(participant_ids: Iterable[int], *, fresh: bool = False) -> set[int]:
    """Count these people's reach again: their Reach rows are deleted and inserted again from
    their attendance, and ReachCount moves by the difference (`fresh`: they have none yet).
    Returns the regions whose counts moved."""
    ids = sorted(set(participant_ids))
    regions: set[int] = set()
    for start in range(0, len(ids), CHUNK):
        regions |= _refresh_people(ids[start : start + CHUNK], fresh=fresh)
    return regions


# {counts} and {reach} are table names from the models' metadata, {source} the ORM's SQL of
# `_reach_source`: never input (the noqa/nosec where they are filled in).
_COUNT_DELTA = """
    INSERT INTO {counts} (place, period, sex, category_id, wgss, n)
    SELECT place, period, sex, category_id, wgss, {sign} COUNT(*) FROM moved
    GROUP BY place, period, sex, category_id, wgss ORDER BY place, period, sex, category_id, wgss
    ON CONFLICT (place, period, sex, category_id, wgss) DO UPDATE SET n = {counts}.n + EXCLUDED.n
    RETURNING place
"""
# The data-modifying CTE runs to completion whatever the statement after it reads.
_NO_DELTA = "SELECT NULL AS place WHERE false"
_RETURNING = "RETURNING place, period, sex, category_id, wgss"
_DELETE_REACH = """
    WITH moved AS (
        DELETE FROM {reach} WHERE participant_id = ANY(%s)
        RETURNING place, period, sex, category_id, wgss
    )
"""
# One row per place and period of each (person, region, district, quarter) of the source:
# the region in the quarter, the year and ever, the country in the quarter and the year, the
# district ever (the regions overview).
_INSERT_REACH = """
    WITH moved AS (
        INSERT INTO {reach} (participant_id, place, period, sex, category_id, wgss)
        SELECT DISTINCT b.pid, x.place, x.period, b.sx, b.ct, b.wg
        FROM ({source}) b CROSS JOIN LATERAL (VALUES
            ('r:' || b.rg, to_char(b.qs, 'YYYY"Q"Q')),
            ('r:' || b.rg, to_char(b.qs, 'YYYY')),
            ('r:' || b.rg, 'ever'),
            ('all', to_char(b.qs, 'YYYY"Q"Q')),
            ('all', to_char(b.qs, 'YYYY')),
            ('d:' || b.ds, 'ever')
        ) AS x(place, period)
        WHERE x.place IS NOT NULL
        RETURNING place, period, sex, category_id, wgss
    )
"""
# Each person once in the country and once in every region they are visible in ("people
# registered" on the dashboard), with their name and birth year (a region's people list pages
# by them).
_INSERT_SEEN = """
    WITH moved AS (
        INSERT INTO {reach} (participant_id, place, period, sex, category_id, wgss, name,
                             name_normalised, organisation_name, organisation_id, birth_year)
        SELECT DISTINCT b.pid, x.place, 'seen', b.sx, b.ct, b.wg, b.nm, b.nn, b.on, b.oi, b.by
        FROM ({source}) b CROSS JOIN LATERAL (VALUES ('r:' || b.rg), ('all')) AS x(place)
        WHERE x.place IS NOT NULL
        RETURNING place, period, sex, category_id, wgss
    )
"""


def _refresh_people(ids: list[int] | None, *, fresh: bool, count: bool = True) -> set[int]:
    """`count=False` (a rebuild, which counts ReachCount once at the end): Reach rows only;
    `ids` None (a rebuild on PostgreSQL): everyone at once."""
    if connection.vendor != "postgresql":
        return _refresh_people_portable(ids, fresh=fresh)
    quote = connection.ops.quote_name
    tables = {"reach": quote(Reach._meta.db_table), "counts": quote(ReachCount._meta.db_table)}
    delta = _COUNT_DELTA if count else _NO_DELTA

    def statement(template: str, **sources) -> str:
        sql = (template + delta).format(
            sign="-" if template is _DELETE_REACH else "", **tables, **sources
        )
        return sql if count else sql.replace(_RETURNING, "")  # nothing reads the rows back

    source, params = _reach_source(ids)
    delete = statement(_DELETE_REACH)
    insert = statement(_INSERT_REACH, source=source)
    seen_source, seen_params = _seen_source(ids)
    seen = statement(_INSERT_SEEN, source=seen_source)
    places: set[str] = set()
    with connection.cursor() as cursor:
        if not fresh:
            cursor.execute(delete, [ids])
            places.update(row[0] for row in cursor.fetchall())
        cursor.execute(insert, params)
        places.update(row[0] for row in cursor.fetchall())
        cursor.execute(seen, seen_params)
        places.update(row[0] for row in cursor.fetchall())
    return {int(p[2:]) for p in places if p.startswith("r:")}


# The same through the ORM, for databases without PostgreSQL's data-modifying CTEs, LATERAL and
# ON CONFLICT on these constraints (SQLite, the embedded default of a fresh clone). A test
# checks that both count the same rows (tests/test_dashboard_summaries.py).
def _quarter(day) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def _reach_rows(ids: list[int]) -> set[tuple]:
    """(person, place, period, sex, category, disability status, *the copy of the person) of
    these people: what _INSERT_REACH and _INSERT_SEEN insert (the copy, SEEN_COPY, on "seen"
    rows only)."""
    person = "enrolment__participant__"
    attended = (
        Attendance.objects.filter(enrolment__participant_id__in=ids)
        .annotate(wg=disability.status_expression(f"{person}disability_answers__"))
        .order_by()
        .values_list(
            "enrolment__participant_id",
            "session__event__region_id",
            "session__event__district_id",
            "session__date",
            f"{person}sex",
            f"{person}category_id",
            "wg",
        )
        .distinct()
    )
    rows: set[tuple] = set()
    for pid, region, district, day, *who in attended:
        quarter, year = _quarter(day), str(day.year)
        places = [(NATIONAL, quarter), (NATIONAL, year)]
        if region is not None:
            r = region_place(region)
            places += [(r, quarter), (r, year), (r, EVER)]
        if district is not None:
            places.append((district_place(district), EVER))
        none = (None,) * len(SEEN_COPY)
        rows.update((pid, place, period, *who, *none) for place, period in places)
    seen_source = _seen_source_querysets(ids)
    for query in seen_source:
        for pid, region, *who in query.values_list("pid", "rg", "sx", "ct", "wg", *SEEN_COPY):
            rows.add((pid, NATIONAL, SEEN, *who))
            if region is not None:
                rows.add((pid, region_place(region), SEEN, *who))
    return rows


def _refresh_people_portable(ids: list[int], *, fresh: bool) -> set[int]:
    delta: dict[tuple, int] = {}
    key_fields = ("place", "period", "sex", "category_id", "wgss")
    if not fresh:
        old = Reach.objects.filter(participant_id__in=ids).order_by()
        for *key, n in old.values_list(*key_fields).annotate(n=Count("pk")):
            delta[tuple(key)] = delta.get(tuple(key), 0) - n
        old.delete()
    new = _reach_rows(ids)
    Reach.objects.bulk_create(
        (
            Reach(
                participant_id=pid,
                place=place,
                period=period,
                sex=sx,
                category_id=ct,
                wgss=wg,
                name=copy[0],
                name_normalised=copy[1],
                organisation_name=copy[2],
                organisation_id=copy[3],
                birth_year=copy[4],
            )
            for pid, place, period, sx, ct, wg, *copy in new
        ),
        batch_size=CHUNK,
    )
    for row in new:
        key = row[1:6]  # place, period, sex, category, disability status
        delta[key] = delta.get(key, 0) + 1
    _move_counts(delta)
    return {int(key[0][2:]) for key in delta if key[0].startswith("r:")}


def _move_counts(delta: dict[tuple, int]) -> None:
    """ReachCount += delta, per (place, period, sex, category, disability status)."""
    if not delta:
        return
    fields = ("place", "period", "sex", "category_id", "wgss")
    existing = {
        tuple(getattr(row, f) for f in fields): row
        for row in ReachCount.objects.filter(
            place__in={k[0] for k in delta}, period__in={k[1] for k in delta}
        )
    }
    changed, created = [], []
    for key, n in delta.items():
        row = existing.get(key)
        if row is None:
            created.append(ReachCount(n=n, **dict(zip(fields, key, strict=True))))
        elif n:
            row.n += n
            changed.append(row)
    ReachCount.objects.bulk_update(changed, ["n"], batch_size=CHUNK)
    ReachCount.objects.bulk_create(created, batch_size=CHUNK)


def copy_to_seen(person: Participant) -> None:
    """Write what the "seen" rows copy of a person (name, folded name, organisation, birth
    year) on them now, in the caller's transaction: an erasure must leave the name and the
    exact birth year nowhere once it commits, not once the refresh after it has run (which a
    failure could leave undone)."""
    Reach.objects.filter(participant_id=person.pk, period=SEEN).update(
        name=person.full_name,
        name_normalised=person.name_normalised,
        organisation_name=person.organisation_name,
        organisation_id=person.organisation_id,
        birth_year=person.birth_year,
    )


def rebuild() -> None:
    """Count every summary again from the records (a migration, generate_synthetic, a repair
    after writes that bypassed the signals), then make every cached figure stale."""
    with transaction.atomic():
        _lock()
        EventFigures.objects.all().delete()  # a few thousand rows (its FK's checks are deferred)
        refresh_events(TrainingEvent.objects.values_list("pk", flat=True))
        people = Participant.objects.values_list("pk", flat=True)
        if connection.vendor == "postgresql":
            _rebuild_reach_postgresql()
        else:
            for model in (Reach, ReachCount):
                model.objects.all().delete()
            refresh_people(people, fresh=True)
            ReachCount.objects.filter(n=0).delete()
        transaction.on_commit(dataversion.forget_everything, robust=True)


def _rebuild_reach_postgresql() -> None:
    """Reach from empty, as a bulk load: its secondary indexes are dropped, the rows inserted,
    the indexes built again from their own definitions (a sorted build: compact, and several
    times faster than 10 million rows inserted into five indexes at random places), and
    ReachCount counted once from the result instead of moved chunk by chunk. All of it in the
    rebuild's transaction: TRUNCATE already keeps readers out of both tables until the commit,
    and a failure (a duplicate the unique index finds included) rolls everything back."""
    quote = connection.ops.quote_name
    reach, counts = quote(Reach._meta.db_table), quote(ReachCount._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {reach}, {counts}")  # noqa: S608
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid = %s::regclass AND NOT i.indisprimary ORDER BY 1",
            [Reach._meta.db_table],
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")  # names read from the catalogue
    if Participant.objects.exists():
        _refresh_people(None, fresh=True, count=False)
    with connection.cursor() as cursor:
        for _name, definition in indexes:
            cursor.execute(definition)
        cursor.execute(
            f"INSERT INTO {counts} (place, period, sex, category_id, wgss, n) "  # noqa: S608 # nosec B608
            f"SELECT place, period, sex, category_id, wgss, COUNT(*) FROM {reach} "
            "GROUP BY place, period, sex, category_id, wgss"
        )
        cursor.execute(f"ANALYZE {reach}, {counts}")


# Reading ------------------------------------------------------------------------------------
class _Numeric(Func):
    """A sum as an exact number before dividing (an integer division would truncate)."""

    template = "(%(expressions)s)::numeric"
    output_field = DecimalField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler, connection, template="CAST((%(expressions)s) AS REAL)", **extra_context
        )


def _ratio(total: str, count: str, output_field) -> ExpressionWrapper:
    """SUM(total) / SUM(count) in numeric, as PostgreSQL's AVG divides its sum by its count:
    the same value as AVG over the rows the sums were made of."""
    return ExpressionWrapper(
        _Numeric(Sum(total)) / NullIf(_Numeric(Sum(count)), Value(0)),
        output_field=output_field,
    )


def event_totals(events: QuerySet[TrainingEvent]) -> dict:
    """The summed figures of `events` (one query): events, possible and present attendances,
    and the feedback summary and knowledge gain as participants.aggregates counts them."""
    f = "figures__"

    def total(name: str):
        return Coalesce(Sum(f"{f}{name}"), 0, output_field=IntegerField())

    measures = {
        "events": Count("pk"),
        "possible": Coalesce(
            Sum(F(f"{f}roster") * F(f"{f}sessions")), 0, output_field=IntegerField()
        ),
        "present": total("present"),
        "fb_n": total("fb_n"),
        "fb_n_online": total("fb_online"),
        "fb_n_paper": total("fb_paper"),
        "fb_n_quotable": total("fb_quotable"),
        "fb_n_satisfied": total("fb_satisfied"),
        "sc_n": total("sc_n"),
        "sc_n_pre": total("sc_pre"),
        "sc_n_post": total("sc_post"),
        "sc_n_improved": total("sc_improved"),
        "sc_avg_pre": _ratio(f"{f}sc_sum_pre", f"{f}sc_n", DecimalField()),
        "sc_avg_post": _ratio(f"{f}sc_sum_post", f"{f}sc_n", DecimalField()),
        "sc_avg_gain": _ratio(f"{f}sc_sum_gain", f"{f}sc_n", DecimalField()),
    }
    for item in LIKERT_ITEMS:
        measures[f"fb_avg_{item}"] = _ratio(f"{f}fb_sum_{item}", f"{f}fb_cnt_{item}", FloatField())
    row = events.order_by().aggregate(**measures)
    return {
        "events": row["events"],
        "possible": row["possible"],
        "present": row["present"],
        "feedback": {k[3:]: v for k, v in row.items() if k.startswith("fb_")},
        "scores": {k[3:]: v for k, v in row.items() if k.startswith("sc_")},
    }


def reach_groups(region_ids: Iterable[int] | None, period_key: str) -> list[dict]:
    """People reached in the regions (None: the whole country) in a quarter, a year or "ever",
    grouped by sex, category id and disability status ("sex", "category_id", "wgss", "n"):
    each person counted once whatever the number of regions."""
    if region_ids is None:
        places = [NATIONAL]
    else:
        places = [region_place(pk) for pk in sorted(set(region_ids))]
    fields = ("sex", "category_id", "wgss")
    if not places:
        return []
    if len(places) == 1:
        rows = ReachCount.objects.filter(place=places[0], period=period_key, n__gt=0)
        return list(rows.values(*fields, "n"))
    rows = Reach.objects.filter(place__in=places, period=period_key).order_by().values(*fields)
    return list(rows.annotate(n=Count("participant_id", distinct=True)))


def people_seen(
    region_ids: Iterable[int] | None, *, sex: str = "", category_id: int | None = None
) -> int:
    """How many people are visible in these regions (None: the country), as
    participants.selectors.count_people_visible counts them; of one sex or category only
    when given (a copy of the person's on their rows)."""
    if region_ids is None:
        places = [NATIONAL]
    else:
        places = [region_place(pk) for pk in sorted(set(region_ids))]
    if not places:
        return 0
    only = {"sex": sex} if sex else {}
    if category_id is not None:
        only["category_id"] = category_id
    if len(places) == 1:
        rows = ReachCount.objects.filter(place=places[0], period=SEEN, **only)
        return rows.aggregate(n=Coalesce(Sum("n"), 0))["n"]
    rows = Reach.objects.filter(place__in=places, period=SEEN, **only)
    return rows.aggregate(n=Count("participant_id", distinct=True))["n"]


def people_per_category() -> Coalesce:
    """An annotation of ParticipantCategory: how many people are registered in each (every
    person has one "seen" row in the country), without counting 200,000 people per view."""
    rows = (
        ReachCount.objects.filter(place=NATIONAL, period=SEEN, category_id=OuterRef("pk"))
        .order_by()
        .values("category_id")
        .annotate(n=Sum("n"))
        .values("n")
    )
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def people_ever_reached() -> tuple[dict[int, int], dict[int, int]]:
    """People ever reached at the events of each region and each district (id -> people),
    as participants.aggregates.people_reached_by_place counts them."""
    rows = (
        ReachCount.objects.filter(period=EVER, n__gt=0)
        .order_by()
        .values_list("place")
        .annotate(total=Sum("n"))
    )
    by_region, by_district = {}, {}
    for place, total in rows:
        target = by_region if place.startswith("r:") else by_district
        target[int(place[2:])] = total
    return by_region, by_district


# Signals ------------------------------------------------------------------------------------
def _event_saved(instance, **kwargs):
    touch(events=[instance.pk], event_people=[instance.pk], regions=[instance.region_id])


def _event_deleted(instance, **kwargs):
    touch(regions=[instance.region_id])


def _session_changed(instance, **kwargs):
    touch(event_people=[instance.event_id])


def _enrolment_changed(instance, **kwargs):
    touch(events=[instance.event_id], participants=[instance.participant_id])


def _attendance_changed(instance, **kwargs):
    touch(enrolments=[instance.enrolment_id])
    # The enrolment may be gone (deleted with it): its own signal names person and event.


def _feedback_changed(instance, **kwargs):
    touch(events=[instance.event_id])


def _assessment_changed(instance, **kwargs):
    touch(enrolments=[instance.enrolment_id])


def _person_changed(instance, **kwargs):
    # A move to another region moves their "seen" rows: both regions' counts change.
    touch(participants=[instance.pk], regions=[instance.region_id])


def _answers_changed(instance, **kwargs):
    touch(participants=[instance.participant_id])


def connect() -> None:
    receivers = (
        (TrainingEvent, _event_saved, _event_deleted),
        (Session, _session_changed, _session_changed),
        (Enrolment, _enrolment_changed, _enrolment_changed),
        (Attendance, _attendance_changed, _attendance_changed),
        (Feedback, _feedback_changed, _feedback_changed),
        (Assessment, _assessment_changed, _assessment_changed),
        (Participant, _person_changed, _person_changed),
        (DisabilityAnswers, _answers_changed, _answers_changed),
    )
    for model, saved, deleted in receivers:
        uid = f"summaries-{model._meta.label_lower}"
        post_save.connect(saved, sender=model, dispatch_uid=uid + "-save")
        post_delete.connect(deleted, sender=model, dispatch_uid=uid + "-delete")
