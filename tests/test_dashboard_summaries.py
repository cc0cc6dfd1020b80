"""The dashboard's summaries (participants/summaries.py) give exactly the figures counted from
the records, after any sequence of writes, and a write invalidates the cached figures of its
own region (and the country's), never another region's."""

from __future__ import annotations

import importlib
import random
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from accounts.scope import Scope
from core import periods
from dashboard.figures import figures, live_figures, summary_figures
from participants import summaries
from participants.aggregates import people_reached_by_place
from participants.models import (
    Assessment,
    Attendance,
    DisabilityAnswers,
    Enrolment,
    Feedback,
    Participant,
    ParticipantCategory,
    Reach,
    ReachCount,
)
from participants.services import mark_all_present
from regions.models import Region
from trainings.models import Session, TrainingEvent

PERIODS = [periods.quarter(2024, q) for q in (1, 2, 3, 4)] + [
    periods.year(2023),
    periods.year(2024),
    periods.year(2025),
]


def _scopes() -> list[Scope]:
    ids = dict(Region.objects.values_list("code", "pk"))
    return [
        Scope.for_regions(None, can_see_people=True),
        Scope.for_regions([ids["KZ-47"]], can_see_people=True),
        Scope.for_regions([ids["KZ-43"]], can_see_people=True),
        Scope.for_regions([ids["KZ-47"], ids["KZ-43"]], can_see_people=True),
        Scope.for_regions([ids["KZ-47"], ids["KZ-75"], ids["KZ-43"]]),
    ]


def _counts() -> dict:
    return {
        (r.place, r.period, r.sex, r.category_id, r.wgss): r.n
        for r in ReachCount.objects.filter(n__gt=0)
    }


def assert_summaries_right():
    """Every scope and period: the summaries' figures are those counted from the records, the
    regions overview's too, and counting everything again changes nothing."""
    for scope in _scopes():
        for period in PERIODS:
            assert summary_figures(scope, period) == live_figures(scope, period), (scope, period)
    by_region, by_district = summaries.people_ever_reached()
    assert by_region == people_reached_by_place("region")
    assert by_district == people_reached_by_place("district")
    # The categories list (manage) counts the people registered in each from the summaries.
    live = dict(Participant.objects.order_by().values_list("category").annotate(n=Count("pk")))
    stored = ParticipantCategory.objects.annotate(n=summaries.people_per_category())
    assert {c.pk: c.n for c in stored} == {c.pk: live.get(c.pk, 0) for c in stored}
    kept = _counts()
    summaries.rebuild()
    assert _counts() == kept


def test_the_seeded_summaries_are_right(demo):
    figures = summary_figures(_scopes()[0], periods.quarter(2024, 3))
    assert figures["reach"]["total"] > 0 and figures["feedback"]["n"] > 0
    assert figures["scores"]["n"] > 0 and figures["attendance"]["present"] > 0
    assert_summaries_right()


def _random_write(rng: random.Random) -> str:
    """One write of a kind users make (a tap, a correction, a move, a deletion)."""
    kind = rng.choice(
        [
            "attend",
            "absent",
            "session_date",
            "sex",
            "category",
            "disability",
            "event_region",
            "event_status",
            "unenrol",
            "feedback",
            "feedback_delete",
            "scores",
            "all_present",
            "delete_event",
            "delete_person",
        ]
    )
    enrolment = Enrolment.objects.order_by("?").select_related("event", "participant").first()
    person, event = enrolment.participant, enrolment.event
    if kind == "attend":
        there = enrolment.attendances.values_list("session_id", flat=True)
        session = event.sessions.exclude(pk__in=there).first()
        if session:
            Attendance.objects.create(enrolment=enrolment, session=session)
    elif kind == "absent":
        Attendance.objects.order_by("?").first().delete()
    elif kind == "session_date":
        session = Session.objects.order_by("?").first()
        session.date += timedelta(days=rng.choice([-120, -45, 60, 200]))
        session.save()
    elif kind == "sex":
        person.sex = "F" if person.sex == "M" else "M"
        person.save()
    elif kind == "category":
        person.category = ParticipantCategory.objects.exclude(pk=person.category_id).first()
        person.save()
    elif kind == "disability":
        answer = {"seeing": rng.choice([1, 2, 3, 4, 7])}
        DisabilityAnswers.objects.update_or_create(
            participant=person,
            defaults=answer,
            create_defaults={**answer, "consent_given_on": event.start_date},
        )
    elif kind == "event_region":
        event.region = Region.objects.exclude(pk=event.region_id).order_by("?").first()
        event.district = None
        event.save()
    elif kind == "event_status":
        held = event.status != TrainingEvent.Status.PLANNED
        event.status = TrainingEvent.Status.PLANNED if held else TrainingEvent.Status.HELD
        event.save()
    elif kind == "unenrol":
        enrolment.delete()
    elif kind == "feedback":
        Feedback.objects.create(
            event=event,
            satisfaction=rng.randint(1, 5),
            relevance=rng.randint(1, 5),
            usefulness=rng.randint(1, 5),
            intent_to_apply=rng.choice([None, 1, 5]),
            comments=rng.choice(["", "Good"]),
            consent_to_quote=rng.random() < 0.5,
            source=rng.choice(["online", "paper"]),
        )
    elif kind == "feedback_delete":
        Feedback.objects.order_by("?").first().delete()
    elif kind == "scores":
        Assessment.objects.update_or_create(
            enrolment=enrolment,
            defaults={"pre_score": rng.randint(0, 60), "post_score": rng.choice([None, 77, 99])},
        )
    elif kind == "all_present":
        session = event.sessions.first()
        if session:
            mark_all_present(session=session)
    elif kind == "delete_event":
        event.delete()
    elif kind == "delete_person":
        person.delete()
    return kind


@pytest.mark.parametrize("seed", [1, 2])
def test_summaries_stay_exact_after_random_writes(demo, django_capture_on_commit_callbacks, seed):
    rng = random.Random(seed)
    done = []
    for _round in range(4):
        for _write in range(6):
            # Each write committed on its own, as requests are: the refresh runs after it.
            with django_capture_on_commit_callbacks(execute=True):
                done.append(_random_write(rng))
        assert_summaries_right()
    assert len(set(done)) > 8  # many kinds of writes were made


def _reach() -> set:
    fields = ("participant_id", "place", "period", "sex", "category_id", "wgss")
    copy = ("name", "name_normalised", "organisation_name", "organisation_id", "birth_year")
    return set(Reach.objects.values_list(*fields, *copy))


@pytest.mark.postgres
def test_the_orm_path_counts_what_the_postgresql_path_counts(demo):
    """A fresh clone's SQLite counts people through the ORM (the same code runs everywhere but
    here): the same rows and counts as PostgreSQL's SQL, from scratch and on a recount."""
    summaries.rebuild()
    expected = _reach(), _counts()
    assert expected[0] and expected[1]
    Reach.objects.all().delete()
    ReachCount.objects.all().delete()
    ids = list(Participant.objects.order_by("pk").values_list("pk", flat=True))
    summaries._refresh_people_portable(ids, fresh=True)
    assert (_reach(), _counts()) == expected
    moved = summaries._refresh_people_portable(ids[::7], fresh=False)
    assert moved  # their regions are named for the cached figures to be recounted
    assert (_reach(), _counts()) == expected


def _reach_indexes() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexrelid::regclass::text, pg_get_indexdef(indexrelid) FROM pg_index "
            "WHERE indrelid = %s::regclass",
            [Reach._meta.db_table],
        )
        return dict(cursor.fetchall())


@pytest.mark.postgres
def test_a_rebuild_builds_the_reach_indexes_again_as_they_were(demo, monkeypatch):
    """PostgreSQL's rebuild drops Reach's indexes for the load and builds them again: the same
    indexes after it, the same rows and counts as counting person by person, and a rebuild
    that fails half-way leaves the indexes and the figures as they were."""
    indexes = _reach_indexes()
    assert {"reach_once", "reach_participant", "reach_seen_name"} <= indexes.keys()
    summaries.rebuild()
    assert _reach_indexes() == indexes
    rebuilt = _reach(), _counts()
    Reach.objects.all().delete()
    ReachCount.objects.all().delete()
    ids = list(Participant.objects.order_by("pk").values_list("pk", flat=True))
    summaries.refresh_people(ids, fresh=True)  # chunk by chunk, moving the counts
    ReachCount.objects.filter(n=0).delete()
    assert (_reach(), _counts()) == rebuilt

    def broken(*args, **kwargs):
        raise RuntimeError("the database went away half-way")

    monkeypatch.setattr(summaries, "_refresh_people", broken)
    with pytest.raises(RuntimeError):
        summaries.rebuild()
    assert _reach_indexes() == indexes
    assert (_reach(), _counts()) == rebuilt


def test_a_transaction_counts_its_own_writes_from_the_records(demo):
    """Inside a transaction that wrote (here: the test's), the summaries do not show its writes
    yet: the figures are counted from the records."""
    scope = _scopes()[1]
    q3 = periods.quarter(2024, 3)
    before = summary_figures(scope, q3)
    enrolment = Enrolment.objects.filter(
        event__region__code="KZ-47", event__start_date__range=(q3.start, q3.end)
    ).first()
    Attendance.objects.filter(session__in=enrolment.event.sessions.all()).delete()
    assert summaries.has_pending()
    assert figures(scope, q3) == live_figures(scope, q3)
    assert figures(scope, q3)["attendance"]["present"] < before["attendance"]["present"]


def test_the_dashboard_reads_few_queries_from_the_summaries(demo):
    """A cache miss of the national year: a fixed handful of small queries."""
    country = _scopes()[0]
    with CaptureQueriesContext(connection) as ctx:
        summary_figures(country, periods.year(2024))
    assert len(ctx.captured_queries) <= 5
    # None of them reads the attendance (the records of the million-row table).
    assert not any("participants_attendance" in q["sql"] for q in ctx.captured_queries)


@pytest.mark.django_db(transaction=True)
def test_a_write_invalidates_its_region_and_the_country_only(client, login_as, demo):
    """Committed writes, as on the site: a tap in Mangystau recounts Mangystau's and the
    country's cached figures at the next request, and leaves Kyzylorda's in the cache."""

    def queries(username):
        login_as(username)
        with CaptureQueriesContext(connection) as ctx:
            page = client.get("/")
        assert page.status_code == 200
        return len(ctx.captured_queries), page

    cold = {u: queries(u)[0] for u in ("coord.kyzylorda", "coord.mangystau", "undp.staff")}
    warm = {u: queries(u)[0] for u in cold}
    assert all(warm[u] < cold[u] for u in cold)

    enrolment = (
        Enrolment.objects.filter(event__region__code="KZ-47", attendances__isnull=False)
        .exclude(event__status="planned")
        .first()
    )
    enrolment.attendances.first().delete()  # committed: the refresh ran after the commit

    assert queries("coord.kyzylorda")[0] == warm["coord.kyzylorda"]  # still cached
    assert queries("coord.mangystau")[0] == cold["coord.mangystau"]  # recounted
    assert queries("undp.staff")[0] == cold["undp.staff"]  # recounted
    assert queries("coord.mangystau")[0] == warm["coord.mangystau"]  # cached again
    assert_summaries_right()


def test_the_migration_counts_a_database_that_was_never_counted_and_only_that(demo):
    """0027 counts the records of a database that came through 0023 with people in it (0023
    no longer can: the live code writes columns it does not have yet), and leaves a database
    whose summaries are counted alone (a rebuild takes minutes at national scale)."""
    from django.apps import apps

    migration = importlib.import_module("participants.migrations.0027_count_existing")
    counted = _reach(), _counts()
    Reach.objects.all().delete()
    ReachCount.objects.all().delete()
    migration.count_existing(apps, None)
    assert (_reach(), _counts()) == counted
    ReachCount.objects.filter(place="all").delete()  # a mark: a rebuild would put them back
    migration.count_existing(apps, None)
    assert not ReachCount.objects.filter(place="all").exists()
