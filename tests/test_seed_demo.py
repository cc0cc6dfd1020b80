"""seed_demo recreates the August 2024 period and is idempotent."""

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db.models import Count

from participants.models import Attendance, Participant
from regions.models import Region
from trainings.models import TrainingEvent

pytestmark = pytest.mark.django_db


def row_counts() -> dict[str, int]:
    return {m._meta.label: m.objects.count() for m in apps.get_models()}


def reached(**filters) -> int:
    return Attendance.objects.filter(**filters).aggregate(
        n=Count("enrolment__participant", distinct=True)
    )["n"]


def test_seed_demo_twice_changes_nothing_and_prints_the_users():
    out = StringIO()
    call_command("seed_demo", stdout=out)
    first = row_counts()
    call_command("seed_demo", stdout=out)
    assert row_counts() == first
    text = out.getvalue()
    for username in ("admin", "undp.staff", "coord.mangystau", "coord.kyzylorda", "viewer"):
        assert username in text
    assert "nothing changed" in text


def test_demo_has_60_trained_in_prevention_from_both_regions(demo):
    prevention = {"enrolment__event__activity_line__code": "1.1"}
    assert reached(**prevention) == 60
    by_region = dict(
        Participant.objects.filter(enrolments__event__activity_line__code="1.1")
        .values_list("region__code")
        .annotate(n=Count("pk", distinct=True))
    )
    assert by_region == {"KZ-47": 30, "KZ-43": 30}
    theologians = Participant.objects.filter(
        category__code="theologian", enrolments__event__activity_line__code="1.1"
    )
    assert theologians.filter(district__name_en="Beyneu District").count() == 1
    cats = set(
        Participant.objects.filter(enrolments__event__activity_line__code="1.1").values_list(
            "category__code", flat=True
        )
    )
    assert cats == {"akimat", "yrc", "theologian"}


def test_demo_camp_has_over_100_neet_youth_from_both_regions(demo):
    camp = TrainingEvent.objects.get(event_type="camp")
    assert camp.region == Region.objects.get(code="KZ-75")
    assert "SDU" in camp.venue
    neet = reached(enrolment__event=camp, enrolment__participant__category__code="neet")
    assert neet > 100
    regions = set(camp.enrolments.values_list("participant__region__code", flat=True))
    assert regions == {"KZ-47", "KZ-43"}


def test_demo_police_training_in_both_regions_with_feedback_and_scores(demo):
    police = TrainingEvent.objects.filter(activity_line__code="1.2")
    assert set(police.values_list("region__code", flat=True)) == {"KZ-47", "KZ-43"}
    for event in police:
        assert event.sessions.count() == 2
        assert event.feedback.exists()
        assert event.enrolments.filter(assessment__post_score__isnull=False).exists()
        assert event.status == TrainingEvent.Status.HELD
    assert (
        reached(enrolment__event__in=police, enrolment__participant__category__group="police") == 40
    )


def test_demo_programme_is_funded_by_japan_with_indicators_and_targets(demo):
    event = TrainingEvent.objects.select_related("programme__donor").first()
    assert event.programme.donor.name == "Government of Japan"
    indicators = event.programme.indicators.all()
    assert indicators.count() >= 5
    # Every indicator has a target for a period with data: the outputs and the reaction and
    # learning outcomes for 2024Q3 (the August trainings), the 3-month follow-up outcomes for
    # 2024Q4 (when it fell due) and the 6-month one for 2025.
    follow_up = {"applied_3m_pct": "2024Q4", "neet_in_eet_3m_pct": "2024Q4"}
    follow_up["neet_in_eet_6m_pct"] = "2025"
    for indicator in indicators:
        period = follow_up.get(indicator.rule, "2024Q3")
        assert indicator.targets.filter(period=period).exists(), (indicator.code, period)
    assert {i.rule for i in indicators} >= set(follow_up)
