"""Query budgets: every main page runs the same number of queries with 10 and with 200 rows.

One data set is measured twice: first with 10 rows of everything a page lists or counts (events,
people on a roster, a person's events, feedback forms, test scores, report runs, reference
records), then with 200. A page whose query count changed has a query per row (an N+1): the
assertion names the page. A new main page gets a line in `_pages`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import User
from demo import synthetic
from participants.models import (
    Assessment,
    Attendance,
    Enrolment,
    Feedback,
    Participant,
    ParticipantCategory,
)
from regions.models import PartnerOrganisation, Region
from reports.models import ReportFile, ReportRun
from trainings.models import ActivityLine, Facilitator, Programme, Session, Topic, TrainingEvent

from .factories import EventFactory, region

pytestmark = pytest.mark.django_db


@dataclass
class World:
    event: TrainingEvent  # the event whose roster, grid, feedback and scores grow
    person: Participant  # the person whose list of events grows
    run: ReportRun  # a report run of Mangystau
    wide_run: ReportRun  # a report run whose regions grow (staff and admins see it)
    partner: PartnerOrganisation  # hosts the person's events and sent the roster's people
    rows: int = 0  # rows of each kind so far


def _measure(client, pages: dict[str, str]) -> tuple[dict[str, int], dict[str, str]]:
    """Queries run by each page, and the pages' text."""
    counts, texts = {}, {}
    for name, url in pages.items():
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        assert response.status_code == 200, (name, url, response.status_code)
        counts[name] = len(ctx.captured_queries)
        texts[name] = response.content.decode()
    return counts, texts


def _world() -> World:
    kz47 = region("KZ-47")
    event = EventFactory(
        title="Budget event",
        region=kz47,
        start_date=dt.date(2026, 2, 2),
        end_date=dt.date(2026, 2, 4),
        status=TrainingEvent.Status.HELD,
    )
    for d in range(3):
        Session.objects.create(event=event, date=event.start_date + dt.timedelta(days=d))
    cat = ParticipantCategory.objects.get(code="akimat")
    person = Participant.objects.create(
        full_name="Budget Person", sex="M", region=kz47, category=cat
    )
    runs = [
        ReportRun.objects.create(
            requested_by=User.objects.get(username="coord.mangystau"),
            period_label="2026Q1",
            period_start=dt.date(2026, 1, 1),
            period_end=dt.date(2026, 3, 31),
            formats=["xlsx", "csv"],
            status=ReportRun.Status.DONE,
            snapshot={"summary": {"people": 1, "events": 1}},
            started_at=timezone.now(),
            finished_at=timezone.now(),
        )
        for _ in range(2)
    ]
    for run in runs:
        run.regions.set([kz47])
        for fmt in ("xlsx", "csv"):
            ReportFile.objects.create(run=run, format=fmt, file=f"reports/budget.{fmt}", size=1)
    partner = PartnerOrganisation.objects.create(
        name="Budget host", type=PartnerOrganisation.Type.NGO, region=kz47
    )
    return World(event, person, *runs, partner)


def _grow(world: World, n: int, seed: int) -> None:
    """Add n rows of each kind the pages list or count."""
    event, person = world.event, world.person
    start = world.rows
    world.rows += n
    kz47 = region("KZ-47")
    cat = ParticipantCategory.objects.get(code="akimat")
    synthetic.generate(participants=n, events=n, seed=seed, progress=None)

    # The event: n more people on its roster, present at every session, with feedback and
    # pre/post scores; n more events for the person.
    people = Participant.objects.bulk_create(
        Participant(
            full_name=f"Budget Roster {start + i}",
            name_normalised=f"budget roster {start + i}",
            sex="F",
            region=kz47,
            category=cat,
            organisation=world.partner,
        )
        for i in range(n)
    )
    enrols = Enrolment.objects.bulk_create(Enrolment(participant=p, event=event) for p in people)
    Attendance.objects.bulk_create(
        Attendance(enrolment=e, session=s) for e in enrols for s in event.sessions.all()
    )
    Feedback.objects.bulk_create(
        Feedback(
            event=event,
            enrolment=e,
            satisfaction=1 + i % 5,
            relevance=4,
            usefulness=4,
            intent_to_apply=5,
            comments=f"Comment {start + i}",
            consent_to_quote=True,
            source=Feedback.Source.PAPER,
        )
        for i, e in enumerate(enrols)
    )
    Assessment.objects.bulk_create(
        Assessment(enrolment=e, pre_score=Decimal(40), post_score=Decimal(70)) for e in enrols
    )
    for _ in range(n):
        other = EventFactory(
            region=kz47,
            start_date=dt.date(2026, 3, 1),
            end_date=dt.date(2026, 3, 1),
            status=TrainingEvent.Status.HELD,
        )
        Enrolment.objects.create(participant=person, event=other)
        other.host_partners.add(world.partner)

    # Reference records (management pages) and what the event page lists of them.
    partners = PartnerOrganisation.objects.bulk_create(
        PartnerOrganisation(
            name=f"Budget partner {start + i}", type=PartnerOrganisation.Type.NGO, region=kz47
        )
        for i in range(n)
    )
    programmes = Programme.objects.bulk_create(
        Programme(name=f"Budget programme {start + i}", code=f"BUD{start + i}", donor=partners[i])
        for i in range(n)
    )
    ActivityLine.objects.bulk_create(
        ActivityLine(programme=programmes[i], code=f"A{i}", name=f"Line {start + i}")
        for i in range(n)
    )
    topics = Topic.objects.bulk_create(Topic(name=f"Budget topic {start + i}") for i in range(n))
    facilitators = Facilitator.objects.bulk_create(
        Facilitator(name=f"Budget facilitator {start + i}", organisation=partners[i])
        for i in range(n)
    )
    event.topics.add(*topics)
    event.facilitators.add(*facilitators)
    event.host_partners.add(*partners)

    # Report runs: n more, each with a region and files; the measured run covers more regions.
    requester = User.objects.get(username="coord.mangystau")
    runs = ReportRun.objects.bulk_create(
        ReportRun(
            requested_by=requester,
            period_label="2026Q1",
            period_start=dt.date(2026, 1, 1),
            period_end=dt.date(2026, 3, 31),
            formats=["xlsx", "csv"],
            status=ReportRun.Status.DONE,
            snapshot={"summary": {"people": i}},
        )
        for i in range(n)
    )
    ReportRun.regions.through.objects.bulk_create(
        ReportRun.regions.through(reportrun_id=r.pk, region_id=kz47.pk) for r in runs
    )
    ReportFile.objects.bulk_create(
        ReportFile(run=r, format=fmt, file=f"reports/r{r.pk}.{fmt}", size=1)
        for r in runs
        for fmt in ("xlsx", "csv")
    )
    regions = list(Region.objects.order_by("code")[: min(20, world.rows // 10)])
    world.wide_run.regions.add(*regions)


def _pages(world: World, username: str) -> dict[str, str]:
    event, person = world.event, world.person
    e = [event.pk]
    kz47 = region("KZ-47").pk
    events = reverse("trainings:event_list")
    people = reverse("participants:person_list")
    pages = {
        "dashboard": reverse("home"),
        "dashboard, a year": reverse("home") + "?period=2026",
        "event list": events,
        "event list page 2": events + "?page=2",
        "event list filtered": events + f"?region={kz47}&status=held&date_from=2026-01-01",
        "event list by people": events + "?sort=-people",
        "event list search": events + "?q=Budget",
        "event detail": reverse("trainings:event_detail", args=e),
        "event roster": reverse("participants:roster_add", args=e),
        "roster search": reverse("participants:roster_add", args=e) + "?q=Budget",
        "attendance grid": reverse("participants:attendance_grid", args=e),
        "feedback summary": reverse("participants:event_feedback", args=e),
        "scores entry": reverse("participants:event_scores_entry", args=e),
        "participant list": people,
        "participant list page 2": people + "?page=2",
        "participant search": people + "?q=Budget",
        "participants of an event": people + f"?event={event.pk}",
        "person detail": reverse("participants:person_detail", args=[person.pk]),
        "report runs": reverse("reports:run_list"),
        "report run": reverse("reports:run_detail", args=[world.run.pk]),
    }
    if username != "coord.mangystau":
        pages["report run, many regions"] = reverse("reports:run_detail", args=[world.wide_run.pk])
    if username == "admin":
        pages.update(
            {
                "manage": reverse("manage:index"),
                "manage regions": reverse("manage:region_list"),
                "manage partner": reverse("manage:partner_detail", args=[world.partner.pk]),
            }
        )
        from manage.views import RESOURCES

        for resource in RESOURCES:
            pages[f"manage {resource.key}s"] = resource.url("list")
    return pages


@pytest.mark.parametrize("username", ["undp.staff", "coord.mangystau", "admin"])
def test_main_pages_query_count_does_not_grow_with_rows(client, login_as, username):
    world = _world()
    login_as(username)

    _grow(world, 10, seed=1)
    assert world.event.enrolments.count() == 10
    small, _texts = _measure(client, _pages(world, username))

    _grow(world, 190, seed=2)
    assert world.event.enrolments.count() == 200
    assert world.person.enrolments.count() == 200
    large, texts = _measure(client, _pages(world, username))

    grew = {name: (small[name], large[name]) for name in small if small[name] != large[name]}
    assert not grew, f"query count grew with the rows (10 rows, 200 rows): {grew}"
    # The pages show the rows they were given (the measure is of real lists, not empty ones).
    for name in ("event detail", "event roster", "attendance grid", "scores entry"):
        assert "Budget Roster 199" in texts[name], name
    assert texts["participant search"].count("Budget Roster") >= 20
