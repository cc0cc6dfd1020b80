"""The dashboard: numbers of the user's regions in a period, equal to counts made another way,
charts with table alternatives, and a fixed number of queries."""

from __future__ import annotations

from datetime import date
from statistics import mean

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from core.periods import quarter_of as quarter
from dashboard.figures import default_period
from participants.models import (
    Assessment,
    Attendance,
    Enrolment,
    Feedback,
    Participant,
    ParticipantCategory,
)
from trainings.models import TrainingEvent

from .factories import EventFactory, SessionFactory, region

pytestmark = pytest.mark.django_db

Q3 = (date(2024, 7, 1), date(2024, 9, 30))


def expected(region_codes=None, start=Q3[0], end=Q3[1]):
    """The dashboard's numbers counted independently, row by row in Python."""
    events = TrainingEvent.objects.exclude(status="planned").filter(start_date__range=(start, end))
    attendance = Attendance.objects.filter(session__date__range=(start, end))
    if region_codes:
        events = events.filter(region__code__in=region_codes)
        attendance = attendance.filter(session__event__region__code__in=region_codes)
    people = {
        a.enrolment.participant
        for a in attendance.select_related("enrolment__participant__category")
    }
    events = list(events)
    possible = sum(e.enrolments.count() * e.sessions.count() for e in events)
    present = Attendance.objects.filter(session__event__in=events).count()
    satisfaction = [f.satisfaction for f in Feedback.objects.filter(event__in=events)]
    gains = [
        a.post_score - a.pre_score
        for a in Assessment.objects.filter(enrolment__event__in=events)
        if a.pre_score is not None and a.post_score is not None
    ]
    by_category = {}
    for p in people:
        by_category[p.category.code] = by_category.get(p.category.code, 0) + 1
    return {
        "events_held": len(events),
        "reached": len(people),
        "female": sum(p.sex == "F" for p in people),
        "male": sum(p.sex == "M" for p in people),
        "by_category": by_category,
        "rate": round(100 * present / possible, 1) if possible else None,
        "satisfaction": mean(satisfaction) if satisfaction else None,
        "n_feedback": len(satisfaction),
        "gain": mean(gains) if gains else None,
    }


def shown(page):
    ctx = page.context
    return {
        "events_held": ctx["events_held"],
        "reached": ctx["reach"]["total"],
        "female": ctx["reach"]["female"],
        "male": ctx["reach"]["male"],
        "by_category": {row["code"]: row["n"] for row in ctx["reach"]["by_category"]},
        "rate": ctx["attendance"]["rate"],
        "satisfaction": ctx["feedback"]["avg_satisfaction"],
        "n_feedback": ctx["feedback"]["n"],
        "gain": ctx["scores"]["avg_gain"],
    }


def assert_same(page, want):
    got = shown(page)
    for key in ("events_held", "reached", "female", "male", "by_category", "rate", "n_feedback"):
        assert got[key] == want[key], key
    assert float(got["satisfaction"]) == pytest.approx(float(want["satisfaction"]))
    assert float(got["gain"]) == pytest.approx(float(want["gain"]))


def test_default_period_falls_back_to_the_latest_quarter_with_events(demo):
    from accounts.scope import scope_for

    scope = scope_for(User.objects.get(username="undp.staff"))
    # Today (after the demo's August 2024): nothing held this quarter -> 2024 Q3.
    assert default_period(scope, today=date(2026, 11, 25)).key == "2024Q3"
    # During the events, the current quarter is the default.
    assert default_period(scope, today=date(2024, 8, 20)).key == "2024Q3"
    assert quarter(date(2024, 11, 30)).start == date(2024, 10, 1)
    assert quarter(date(2024, 12, 31)).end == date(2024, 12, 31)


def test_staff_dashboard_numbers_equal_independent_counts(login_as, demo):
    page = login_as("undp.staff").get("/")
    assert page.status_code == 200
    assert page.context["period"].key == "2024Q3"
    want = expected()
    assert want["events_held"] == 5 and want["reached"] > 100
    assert_same(page, want)
    html = page.content.decode()
    assert f'id="stat-reached">{want["reached"]}<' in html
    assert 'id="stat-held">5<' in html


def test_coordinator_dashboard_counts_their_region_only(login_as, demo):
    page = login_as("coord.mangystau").get("/")
    want = expected(["KZ-47"])
    assert want["events_held"] == 2
    assert_same(page, want)
    html = page.content.decode()
    assert "(Aktau)" in html and "(Kyzylorda)" not in html
    # The planned follow-up in Beyneu (November 2024) is the next planned event.
    assert [e.title for e in page.context["upcoming"]] == [
        "Follow-up workshop for theologians and YRC staff (Beyneu)"
    ]


def test_viewer_sees_the_same_aggregates_but_no_people(login_as, demo):
    page = login_as("viewer").get("/")
    assert page.status_code == 200
    assert_same(page, expected())
    html = page.content.decode()
    person = Participant.objects.filter(enrolments__isnull=False).first()
    assert person.full_name not in html
    assert page.context["people_registered"] is None


def test_numbers_change_after_new_attendance_and_feedback(client, login_as, demo):
    login_as("coord.mangystau")
    before = shown(client.get("/"))
    event = TrainingEvent.objects.get(
        title__startswith="Emotional intelligence", region__code="KZ-47"
    )
    person = Participant.objects.create(
        full_name="Новый Участник",
        sex="F",
        region=region("KZ-47"),
        category=ParticipantCategory.objects.get(code="police-gbv"),
    )
    enrolment = Enrolment.objects.create(participant=person, event=event)
    Attendance.objects.create(enrolment=enrolment, session=event.sessions.first())
    Feedback.objects.create(
        event=event, satisfaction=1, relevance=1, usefulness=1, intent_to_apply=1, source="online"
    )
    Assessment.objects.create(enrolment=enrolment, pre_score=10, post_score=90)

    page = client.get("/")
    after = shown(page)
    assert after["reached"] == before["reached"] + 1
    assert after["female"] == before["female"] + 1
    assert after["by_category"]["police-gbv"] == before["by_category"]["police-gbv"] + 1
    assert after["n_feedback"] == before["n_feedback"] + 1
    assert after["satisfaction"] < before["satisfaction"]
    assert after["gain"] > before["gain"]
    assert after["rate"] < before["rate"]  # one session of two attended
    assert_same(page, expected(["KZ-47"]))


def test_a_year_and_custom_dates_can_be_chosen(client, login_as, demo):
    login_as("undp.staff")
    year = client.get("/", {"period": "2024"})
    assert year.context["period"].key == "2024"
    assert year.context["events_held"] == 5
    custom = client.get("/", {"period": "custom", "start": "2024-08-13", "end": "2024-08-15"})
    assert custom.context["period"].start == date(2024, 8, 13)
    assert_same(custom, expected(start=date(2024, 8, 13), end=date(2024, 8, 15)))
    assert custom.context["events_held"] == 1
    empty = client.get("/", {"period": "2021Q1"})
    assert empty.context["events_held"] == 0
    assert empty.context["attendance"]["rate"] is None
    assert "No data for this period." in empty.content.decode()


def test_wrong_custom_dates_are_explained_and_the_default_is_shown(client, login_as, demo):
    login_as("undp.staff")
    page = client.get("/", {"period": "custom", "start": "2024-09-01", "end": "2024-08-01"})
    assert page.status_code == 200
    html = page.content.decode()
    assert "The end date cannot be before the start date." in html
    assert page.context["period"].key == "2024Q3"
    page = client.get("/", {"period": "custom", "start": "2024-09-01"})
    assert "Enter both dates of the custom period." in page.content.decode()
    page = client.get("/", {"period": "1999Q9"})
    assert "Select a valid choice." in page.content.decode()
    assert page.context["period"].key == "2024Q3"


def test_charts_are_svg_with_table_alternatives(login_as, demo):
    page = login_as("undp.staff").get("/")
    html = page.content.decode()
    assert html.count('<svg class="bar-svg"') >= 2 + len(page.context["reach"]["by_category"])
    assert html.count("<details") == 4  # sex, category, feedback, disability
    assert "style=" not in html  # CSP: no inline styles
    sex = page.context["charts"]["sex"]
    reach = page.context["reach"]
    top = max(reach["female"], reach["male"])
    assert {row["width"] for row in sex} >= {"100.0"}
    assert f'width="{100 * min(reach["female"], reach["male"]) / top:.1f}%"' in html


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get("/").status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("username", ["undp.staff", "coord.mangystau", "viewer"])
def test_dashboard_query_count_does_not_grow_with_data(
    client, login_as, demo, username, django_capture_on_commit_callbacks
):
    login_as(username)
    small = _queries(client)
    cat = ParticipantCategory.objects.get(code="yrc")
    # Committed, as a request would: the summaries are refreshed after the commit.
    with django_capture_on_commit_callbacks(execute=True):
        for i in range(15):
            event = EventFactory(
                region=region("KZ-47"),
                start_date=date(2024, 9, 2),
                end_date=date(2024, 9, 3),
                status=TrainingEvent.Status.HELD,
            )
            session = SessionFactory(event=event)
            for j in range(3):
                p = Participant.objects.create(
                    full_name=f"Extra {i} {j}", sex="M", region=region("KZ-47"), category=cat
                )
                e = Enrolment.objects.create(participant=p, event=event)
                Attendance.objects.create(enrolment=e, session=session)
                Feedback.objects.create(
                    event=event,
                    enrolment=e,
                    satisfaction=4,
                    relevance=4,
                    usefulness=4,
                    intent_to_apply=4,
                    source="paper",
                )
    assert _queries(client) == small
    assert small <= 20
