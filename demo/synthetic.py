"""Synthetic national-scale data for benchmarks (issue 8): 20 regions, ~200 districts, thousands
of events with 1-5 daily sessions, hundreds of thousands of people, about a million attendance
rows, feedback and pre/post tests.

Deterministic for a seed: every random choice comes from one `random.Random(seed)` and depends
on list positions, never on database ids, so the same seed gives the same counts and aggregates.

Rows are written in batches without model `save()` or signals, so SYNTHETIC DATA HAS NO AUDIT
HISTORY (django-simple-history rows are created by save signals only). On PostgreSQL the people
and everything below them go through `COPY ... FROM STDIN` (ids reserved from the tables'
sequences first; issue 23, docs/performance.md), elsewhere through `bulk_create`; both write the
same rows. Everything is marked so it can be found and removed: the events belong to the
programme `SYNTHETIC`, the people have `organisation_name == SYNTHETIC_MARK`, created districts
are named "Synthetic district N".
"""

from __future__ import annotations

import datetime as dt
import io
import logging
import random
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from participants import summaries
from participants.identity import normalise_name
from participants.models import (
    Assessment,
    Attendance,
    Consent,
    Enrolment,
    Feedback,
    Participant,
    ParticipantCategory,
    Sex,
)
from regions.models import District, Region
from trainings.models import ActivityLine, Programme, Session, TrainingEvent

logger = logging.getLogger(__name__)

PROGRAMME_CODE = "SYNTHETIC"
SYNTHETIC_MARK = "Synthetic data (generate_synthetic)"
DISTRICTS_PER_REGION = 10
# A fixed calendar, not today's date, so a seed always gives the same data.
YEAR_START = dt.date(2026, 1, 1)
YEAR_DAYS = 350
AS_OF = dt.date(2026, 11, 25)  # events starting after this are "planned" (no roster yet)

FIRST_F = [
    "Aigerim",
    "Aruzhan",
    "Dana",
    "Zhanna",
    "Saule",
    "Madina",
    "Aliya",
    "Dinara",
    "Gulnara",
    "Asel",
    "Kamila",
    "Togzhan",
]
FIRST_M = [
    "Nurlan",
    "Yerlan",
    "Daniyar",
    "Arman",
    "Bauyrzhan",
    "Askar",
    "Timur",
    "Aidos",
    "Marat",
    "Serik",
    "Olzhas",
    "Yerbol",
]
LAST = [
    "Akhmetov",
    "Serikbayev",
    "Nurlanov",
    "Zhumabekov",
    "Omarov",
    "Abenov",
    "Kassymov",
    "Tokayev",
    "Iskakov",
    "Bekov",
    "Sultanov",
    "Mukhamedov",
    "Kenzhebayev",
    "Sadykov",
    "Baimukhanov",
    "Utepov",
    "Dzhaksybekov",
    "Abdrakhmanov",
]
CATEGORY_WEIGHTS = {
    "akimat": 14,
    "yrc": 10,
    "theologian": 5,
    "police-inspector": 12,
    "police-extremism": 4,
    "police-gbv": 5,
    "police-other": 6,
    "neet": 34,
    "other": 10,
}
# Age (years on AS_OF) ranges by category group.
AGES = {"youth": (16, 29), "": (23, 62), "police": (22, 55)}


@dataclass
class Result:
    """What one run created (and, for tests, simple aggregates to compare between runs)."""

    districts_created: int = 0
    events: int = 0
    sessions: int = 0
    participants: int = 0
    enrolments: int = 0
    attendance: int = 0
    feedback: int = 0
    assessments: int = 0
    consents: int = 0
    extra: dict = field(default_factory=dict)


# --- writing rows: COPY on PostgreSQL, bulk_create elsewhere -------------------------------------


def _copy_text(value) -> str:
    """One value in COPY's text format (NULL is \\N; backslash, tab and newlines escaped)."""
    if type(value) is int:  # most values: ids
        return str(value)
    if value is None:
        return "\\N"
    if value is True:
        return "t"
    if value is False:
        return "f"
    if isinstance(value, str):
        return (
            value.replace("\\", "\\\\")
            .replace("\t", "\\t")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
        )
    if isinstance(value, int | Decimal | dt.date | dt.time):  # datetime is a date
        return str(value)
    raise TypeError(f"no COPY text for {type(value).__name__}")


class _Rows:
    """Inserts rows given as tuples of `columns` (attnames) into `model`; every other column gets
    what `bulk_create` would give it (field defaults, `auto_now` times; computed once per call).

    `insert(..., ids=True)` returns the new rows' primary keys in order."""

    def __init__(self, batch_size: int, copy: bool | None = None):
        self.batch_size = batch_size
        self.copy = connection.vendor == "postgresql" if copy is None else copy

    def insert(self, model, columns: tuple[str, ...], rows: list[tuple], ids: bool = False):
        if not rows:
            return []
        if not self.copy:
            objs = [model(**dict(zip(columns, row, strict=True))) for row in rows]
            model.objects.bulk_create(objs, batch_size=self.batch_size)
            return [o.pk for o in objs]
        opts = model._meta
        # The other columns, as bulk_create would fill them from a fresh instance.
        proto = model()
        rest = [f for f in opts.concrete_fields if not f.primary_key and f.attname not in columns]
        values = [f.get_db_prep_save(f.pre_save(proto, True), connection) for f in rest]
        # One value for every row: a unique column's default (a token...) would collide.
        clash = [f.name for f, v in zip(rest, values, strict=True) if f.unique and v is not None]
        if clash:
            raise ValueError(f"{model.__name__}: give the unique {clash} per row")
        tail = "".join("\t" + _copy_text(v) for v in values)
        names = list(columns) + [f.column for f in rest]
        col_of = {f.attname: f.column for f in opts.concrete_fields}
        names[: len(columns)] = [col_of[c] for c in columns]
        new_ids: list[int] = []
        with connection.cursor() as cur:
            # Regenerable data: no need to wait for the disk at each batch's commit.
            if not connection.get_autocommit():
                cur.execute("SET LOCAL synchronous_commit TO off")
            if ids:
                pk = opts.pk.column
                cur.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
                    [opts.db_table, pk, len(rows)],
                )
                new_ids = sorted(r[0] for r in cur.fetchall())
                names.insert(0, pk)
                lines = [
                    f"{i}\t" + "\t".join(map(_copy_text, row)) + tail + "\n"
                    for i, row in zip(new_ids, rows, strict=True)
                ]
            else:
                lines = ["\t".join(map(_copy_text, row)) + tail + "\n" for row in rows]
            quote = connection.ops.quote_name
            sql = f"COPY {quote(opts.db_table)} ({', '.join(quote(n) for n in names)}) FROM STDIN"
            data = "".join(lines)
            raw = cur.cursor
            if hasattr(raw, "copy_expert"):  # psycopg2
                raw.copy_expert(sql, io.StringIO(data))
            else:  # psycopg 3
                with raw.copy(sql) as copy:
                    copy.write(data)
        return new_ids


def _progress(label: str, done: int, total: int, out=None) -> None:
    out = out or sys.stderr
    pct = 100 * done // max(total, 1)
    bar = "#" * (pct // 5)
    out.write(f"\r{label:<12} [{bar:<20}] {pct:3d}% {done}/{total}")
    if done >= total:
        out.write("\n")
    out.flush()


def _weighted(rng: random.Random, items: list, weights: list[float]):
    return rng.choices(items, weights=weights, k=1)[0]


def ensure_districts(per_region: int = DISTRICTS_PER_REGION) -> int:
    """Give every region at least `per_region` districts, creating clearly named synthetic ones."""
    with transaction.atomic():  # one commit, not one per district
        return _ensure_districts(per_region)


def _ensure_districts(per_region: int) -> int:
    created = 0
    for region in Region.objects.order_by("code"):
        have = region.districts.count()
        for n in range(have + 1, per_region + 1):
            name = f"Synthetic district {n}"
            _, made = District.objects.get_or_create(
                region=region,
                name_en=name,
                defaults={
                    "name_kk": f"Синтетикалық аудан {n}",
                    "name_ru": f"Синтетический район {n}",
                },
            )
            created += made
    return created


def purge() -> None:
    """Delete everything a previous run created (events cascade to sessions, rosters...)."""
    with transaction.atomic():
        events = TrainingEvent.objects.filter(programme__code=PROGRAMME_CODE)
        Feedback.objects.filter(event__in=events).delete()
        events.delete()
        Participant.objects.filter(organisation_name=SYNTHETIC_MARK).delete()
        ActivityLine.objects.filter(programme__code=PROGRAMME_CODE).delete()
        Programme.objects.filter(code=PROGRAMME_CODE).delete()


def generate(
    participants: int,
    events: int,
    seed: int = 42,
    batch_size: int = 10_000,
    progress: Callable[[str, int, int], None] | None = _progress,
    copy: bool | None = None,
) -> Result:
    """Fill the database. Sizes are totals added by this run; see the module docstring.

    `copy`: write people and below with COPY (PostgreSQL only); None: whenever on PostgreSQL,
    False: with `bulk_create` as before issue 23 (the same rows, for comparisons)."""
    if copy and connection.vendor != "postgresql":
        raise ValueError("COPY needs PostgreSQL")
    rng = random.Random(seed)
    progress = progress or (lambda *a: None)
    res = Result()
    res.districts_created = ensure_districts()

    regions = list(Region.objects.order_by("code"))
    districts = {
        r.pk: list(District.objects.filter(region=r).order_by("name_en", "pk")) for r in regions
    }
    # Populous regions host more events: fixed, seed-dependent weights 1..6.
    region_w = [rng.randint(1, 6) for _ in regions]
    cats = list(ParticipantCategory.objects.filter(is_active=True).order_by("order", "code"))
    cat_w = [CATEGORY_WEIGHTS.get(c.code, 5) for c in cats]

    programme, _ = Programme.objects.get_or_create(
        code=PROGRAMME_CODE,
        defaults={"name": "Synthetic programme (benchmarks)", "start_date": YEAR_START},
    )
    lines = [
        ActivityLine.objects.get_or_create(
            programme=programme, code=f"SYN-{n}", defaults={"name": f"Synthetic line {n}"}
        )[0]
        for n in (1, 2, 3)
    ]

    # --- events and sessions -------------------------------------------------------------
    ev_objs, ev_days = [], []
    types = [TrainingEvent.Type.TRAINING, TrainingEvent.Type.CAMP, TrainingEvent.Type.WORKSHOP]
    for i in range(events):
        ri = rng.choices(range(len(regions)), weights=region_w, k=1)[0]
        region = regions[ri]
        district = rng.choice(districts[region.pk]) if districts[region.pk] else None
        days = _weighted(rng, [1, 2, 3, 4, 5], [25, 25, 25, 15, 10])
        start = YEAR_START + dt.timedelta(days=rng.randrange(YEAR_DAYS))
        end = start + dt.timedelta(days=days - 1)
        if start > AS_OF:
            status = TrainingEvent.Status.PLANNED
        else:
            status = _weighted(
                rng, [TrainingEvent.Status.REPORTED, TrainingEvent.Status.HELD], [70, 30]
            )
        ev_objs.append(
            TrainingEvent(
                programme=programme,
                activity_line=lines[i % 3],
                title=f"Synthetic training {i + 1}: {region.name_en}",
                event_type=_weighted(rng, types, [70, 10, 20]),
                start_date=start,
                end_date=end,
                region=region,
                district=district,
                venue="Synthetic venue",
                modality=_weighted(rng, list(TrainingEvent.Modality.values), [80, 10, 10]),
                status=status,
                planned_participants=rng.randint(20, 120),
                feedback_open=False,
            )
        )
        ev_days.append(days)
    saved_events = []
    for k in range(0, len(ev_objs), batch_size):
        saved_events += TrainingEvent.objects.bulk_create(ev_objs[k : k + batch_size])
        progress("events", min(k + batch_size, len(ev_objs)), len(ev_objs))
    res.events = len(saved_events)

    writer = _Rows(batch_size, copy)
    # Untitled: shown as "Day N" in the reader's language (Session.display_title).
    sess_rows = [
        (ev.pk, ev.start_date + dt.timedelta(days=d), "", dt.time(10, 0), dt.time(17, 0))
        for ev, days in zip(saved_events, ev_days, strict=True)
        for d in range(days)
    ]
    sessions_by_event: dict[int, list[int]] = {}
    for k in range(0, len(sess_rows), batch_size):
        batch = sess_rows[k : k + batch_size]
        with transaction.atomic():
            sess_ids = writer.insert(
                Session, ("event_id", "date", "title", "start_time", "end_time"), batch, ids=True
            )
        for row, pk in zip(batch, sess_ids, strict=True):
            sessions_by_event.setdefault(row[0], []).append(pk)
        progress("sessions", min(k + batch_size, len(sess_rows)), len(sess_rows))
    res.sessions = len(sess_rows)

    # Events a person can attend (held or reported), by region, as list positions.
    open_idx = [i for i, e in enumerate(saved_events) if e.status != TrainingEvent.Status.PLANNED]
    by_region: dict[int, list[int]] = {}
    for i in open_idx:
        by_region.setdefault(saved_events[i].region_id, []).append(i)
    rate = {e.pk: rng.uniform(0.85, 0.95) for e in saved_events}

    # --- people, rosters, attendance, feedback, tests (streamed in batches) -----------------
    tz = timezone.get_current_timezone()
    session_ids = [sessions_by_event[e.pk] for e in saved_events]
    rates = [rate[e.pk] for e in saved_events]
    submitted = [dt.datetime.combine(e.end_date, dt.time(17, 30), tz) for e in saved_events]
    done = 0
    while done < participants and open_idx:
        n = min(batch_size, participants - done)
        people, plans = [], []
        for j in range(n):
            ri = rng.choices(range(len(regions)), weights=region_w, k=1)[0]
            region = regions[ri]
            cat = rng.choices(cats, weights=cat_w, k=1)[0]
            low, high = AGES.get(cat.group, AGES[""])
            sex = Sex.FEMALE if rng.random() < 0.5 else Sex.MALE
            first = rng.choice(FIRST_F if sex == Sex.FEMALE else FIRST_M)
            last = rng.choice(LAST)
            if sex == Sex.FEMALE:
                last += "a"
            name = f"{last} {first} {done + j + 1}"
            dists = districts[region.pk]
            birth_year = AS_OF.year - rng.randint(low, high) if rng.random() < 0.95 else None
            district = rng.choice(dists) if dists and rng.random() < 0.85 else None
            people.append(
                (
                    name,
                    normalise_name(name),
                    str(sex),
                    birth_year,
                    region.pk,
                    district.pk if district else None,
                    SYNTHETIC_MARK,
                    cat.pk,
                )
            )
            # ~30% come to 2+ events; most events are in their own region.
            count = (
                1
                if rng.random() < 0.70
                else _weighted(rng, [2, 3, 4, 5, 6, 8, 10], [20, 18, 16, 14, 12, 10, 10])
            )
            home = by_region.get(region.pk) or open_idx
            chosen: list[int] = []
            for _ in range(count):
                pool = home if rng.random() < 0.85 else open_idx
                pick = rng.choice(pool)
                if pick not in chosen:
                    chosen.append(pick)
            plans.append(chosen)
        with transaction.atomic():
            person_ids = writer.insert(
                Participant,
                (
                    "full_name",
                    "name_normalised",
                    "sex",
                    "birth_year",
                    "region_id",
                    "district_id",
                    "organisation_name",
                    "category_id",
                ),
                people,
                ids=True,
            )
            writer.insert(
                Consent,
                ("participant_id", "given", "given_on", "version"),
                [(p, True, YEAR_START, "synthetic") for p in person_ids],
            )
            enrol_events = [i for chosen in plans for i in chosen]
            enrol_ids = writer.insert(
                Enrolment,
                ("participant_id", "event_id"),
                [
                    (p, saved_events[i].pk)
                    for p, chosen in zip(person_ids, plans, strict=True)
                    for i in chosen
                ],
                ids=True,
            )
            att, fb, tests = [], [], []
            for en, i in zip(enrol_ids, enrol_events, strict=True):
                r = rates[i]
                for sid in session_ids[i]:
                    if rng.random() < r:
                        att.append((en, sid))
                if rng.random() < 0.70:
                    base = rng.choice([3, 4, 4, 5, 5])
                    fb.append(
                        (
                            saved_events[i].pk,
                            en,
                            base,
                            max(1, min(5, base + rng.choice([-1, 0, 0, 1]))),
                            max(1, min(5, base + rng.choice([-1, 0, 0, 0]))),
                            max(1, min(5, base + rng.choice([-2, -1, 0, 0]))),
                            str(Feedback.Source.PAPER),
                            submitted[i],
                        )
                    )
                if rng.random() < 0.60:
                    pre = rng.randint(20, 75)
                    post = min(100, pre + rng.randint(-5, 35))
                    tests.append((en, Decimal(pre), Decimal(post)))
            writer.insert(Attendance, ("enrolment_id", "session_id"), att)
            writer.insert(
                Feedback,
                (
                    "event_id",
                    "enrolment_id",
                    "satisfaction",
                    "relevance",
                    "usefulness",
                    "intent_to_apply",
                    "source",
                    "submitted_at",
                ),
                fb,
            )
            writer.insert(Assessment, ("enrolment_id", "pre_score", "post_score"), tests)
        res.participants += len(person_ids)
        res.consents += len(person_ids)
        res.enrolments += len(enrol_ids)
        res.attendance += len(att)
        res.feedback += len(fb)
        res.assessments += len(tests)
        done += n
        progress("people", done, participants)
    summaries.rebuild()  # bulk_create sends no signals: the dashboard's summaries
    logger.info("synthetic data: %s", res)
    return res
