"""generate_synthetic: deterministic for a seed, and every row obeys the model rules."""

import io

import pytest
from django.core.management import call_command
from django.db.models import Avg, Count, F, Max, Min, Q, Sum

from demo import synthetic
from participants.models import (
    Assessment,
    Attendance,
    Consent,
    Enrolment,
    Feedback,
    Participant,
)
from regions.models import District, Region
from trainings.models import Session, TrainingEvent

pytestmark = pytest.mark.django_db

SIZE = {"participants": 300, "events": 20}


def _aggregates() -> dict:
    events = TrainingEvent.objects.filter(programme__code=synthetic.PROGRAMME_CODE)
    people = Participant.objects.filter(organisation_name=synthetic.SYNTHETIC_MARK)
    enrol = Enrolment.objects.filter(event__in=events)
    return {
        "events": events.count(),
        "statuses": sorted(events.values_list("status").annotate(n=Count("id"))),
        "days": events.aggregate(s=Sum(F("end_date") - F("start_date")))["s"],
        "sessions": Session.objects.filter(event__in=events).count(),
        "people": people.count(),
        "women": people.filter(sex="F").count(),
        "birth_years": people.aggregate(s=Sum("birth_year"))["s"],
        "categories": sorted(people.values_list("category__code").annotate(n=Count("id"))),
        "regions": sorted(people.values_list("region__code").annotate(n=Count("id"))),
        "enrolments": enrol.count(),
        "attendance": Attendance.objects.filter(enrolment__in=enrol).count(),
        "feedback": Feedback.objects.filter(event__in=events).aggregate(
            n=Count("id"), s=Sum("satisfaction")
        ),
        "tests": Assessment.objects.filter(enrolment__in=enrol).aggregate(
            n=Count("id"), pre=Sum("pre_score"), post=Sum("post_score")
        ),
    }


def test_same_seed_same_data_and_different_seed_differs():
    out = io.StringIO()
    call_command("generate_synthetic", seed=7, stdout=out, stderr=io.StringIO(), **SIZE)
    assert "Created 20 events" in out.getvalue()
    first = _aggregates()
    synthetic.purge()
    assert _aggregates()["events"] == 0
    call_command("generate_synthetic", seed=7, stdout=io.StringIO(), stderr=io.StringIO(), **SIZE)
    assert _aggregates() == first
    call_command(
        "generate_synthetic", seed=8, purge=True, stdout=io.StringIO(), stderr=io.StringIO(), **SIZE
    )
    assert _aggregates() != first


def test_rows_obey_the_model_rules_and_distributions():
    res = synthetic.generate(seed=3, progress=None, **SIZE)
    events = TrainingEvent.objects.filter(programme__code=synthetic.PROGRAMME_CODE)
    people = Participant.objects.filter(organisation_name=synthetic.SYNTHETIC_MARK)
    assert res.events == 20 and res.participants == 300 == people.count()

    # Every region has at least 10 districts; synthetic ones are clearly named.
    assert Region.objects.count() == 20
    assert not Region.objects.annotate(n=Count("districts")).filter(n__lt=10).exists()
    assert District.objects.filter(name_en__startswith="Synthetic district").count() >= 1

    # Dates ordered; sessions within their event's dates; 1-5 sessions per event.
    assert not events.filter(end_date__lt=F("start_date")).exists()
    assert (
        not Session.objects.filter(event__in=events)
        .filter(Q(date__lt=F("event__start_date")) | Q(date__gt=F("event__end_date")))
        .exists()
    )
    per_event = events.annotate(n=Count("sessions")).aggregate(lo=Min("n"), hi=Max("n"))
    assert per_event["lo"] >= 1 and per_event["hi"] <= 5

    # Districts are in their region (events and people).
    assert not events.filter(district__isnull=False).exclude(district__region=F("region")).exists()
    assert not people.filter(district__isnull=False).exclude(district__region=F("region")).exists()

    # Attendance only at sessions of the person's own event; nobody on a planned event.
    enrol = Enrolment.objects.filter(event__in=events)
    assert (
        not Attendance.objects.filter(enrolment__in=enrol)
        .exclude(session__event=F("enrolment__event"))
        .exists()
    )
    assert not enrol.filter(event__status=TrainingEvent.Status.PLANNED).exists()
    possible = sum(
        Session.objects.filter(event_id=e).count() for e in enrol.values_list("event_id", flat=True)
    )
    assert 0.80 <= res.attendance / possible <= 0.98

    # Likert 1-5, scores 0-100, feedback belongs to the enrolment's event.
    fb = Feedback.objects.filter(event__in=events)
    lo_hi = fb.aggregate(lo=Min("satisfaction"), hi=Max("satisfaction"), ilo=Min("intent_to_apply"))
    assert lo_hi["lo"] >= 1 and lo_hi["hi"] <= 5 and lo_hi["ilo"] >= 1
    assert not fb.exclude(enrolment__event=F("event")).exists()
    tests = Assessment.objects.filter(enrolment__in=enrol)
    assert not tests.filter(Q(pre_score__lt=0) | Q(post_score__gt=100)).exists()

    # Rough distributions: sex about half, ~70% feedback, ~60% tests, ~30% repeaters.
    assert 0.35 <= people.filter(sex="F").count() / 300 <= 0.65
    assert 0.55 <= res.feedback / res.enrolments <= 0.85
    assert 0.45 <= res.assessments / res.enrolments <= 0.75
    repeaters = people.annotate(n=Count("enrolments")).filter(n__gte=2).count()
    assert 0.15 <= repeaters / 300 <= 0.45
    avg_age = 2026 - people.aggregate(a=Avg("birth_year"))["a"]
    assert 18 <= avg_age <= 50

    # Bulk rows carry no audit history.
    assert not Participant.history.filter(organisation_name=synthetic.SYNTHETIC_MARK).exists()


def test_copy_and_bulk_create_write_the_same_rows():
    """On PostgreSQL people, rosters, attendance, feedback and tests go through COPY (issue 23);
    the bulk_create path (SQLite, --bulk-create) must write exactly the same data for a seed."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("COPY is PostgreSQL's")
    synthetic.generate(seed=5, progress=None, copy=True, **SIZE)
    copied = _aggregates()
    consents = Consent.objects.filter(participant__organisation_name=synthetic.SYNTHETIC_MARK)
    assert consents.count() == 300 and not consents.exclude(version="synthetic").exists()
    # Columns COPY was not given get what bulk_create gives them (defaults, auto_now times).
    fb = Feedback.objects.filter(event__programme__code=synthetic.PROGRAMME_CODE)
    assert not fb.exclude(quote_status=Feedback.QuoteStatus.PENDING).exists()
    assert not fb.filter(Q(comments__gt="") | Q(consent_to_quote=True)).exists()
    people = Participant.objects.filter(organisation_name=synthetic.SYNTHETIC_MARK)
    assert not people.filter(Q(created_at__isnull=True) | Q(is_anonymised=True)).exists()
    # Later rows get ids from the same sequences: nothing collides.
    Participant.objects.create(
        full_name="After Copy", sex="F", region=people[0].region, category=people[0].category
    )
    synthetic.purge()
    synthetic.generate(seed=5, progress=None, copy=False, **SIZE)
    assert _aggregates() == copied
