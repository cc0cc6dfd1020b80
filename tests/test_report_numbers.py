"""The donor report's numbers, checked against counts taken independently from the registry
(plain Python over the rows, the slow obvious way), plus disclosure control and scoping."""

from __future__ import annotations

import json
from collections import Counter
from datetime import date
from statistics import mean

import pytest

from accounts.models import User
from accounts.scope import scope_for
from participants.feedback_services import review_quote
from participants.models import Assessment, Attendance, Enrolment, Feedback, age_band
from participants.services import record_attendance, register_person
from regions.models import Region
from reports import disclosure
from reports.builder import ReportData, allowed_region_ids, build_report_data, inputs_hash
from reports.indicators import RULES
from reports.models import Narrative
from trainings.models import TrainingEvent

from .factories import (
    EnrolmentFactory,
    EventFactory,
    ParticipantFactory,
    ProgrammeFactory,
    SessionFactory,
    attend_with_feedback,
)

pytestmark = pytest.mark.django_db
Q3 = {"start": date(2024, 7, 1), "end": date(2024, 9, 30)}


def build(region_ids=None, language="en", **kw) -> ReportData:
    return build_report_data(
        region_ids=region_ids, language=language, period_label="2024Q3", **Q3, **kw
    )


def reached(region_ids=None):
    """People with an attendance at a held event of the regions ending in Q3, by walking the
    rows (the report's one date rule and one inclusion rule)."""
    people = {}
    for a in Attendance.objects.select_related(
        "enrolment__participant__category", "session__event"
    ):
        event = a.session.event
        if not (Q3["start"] <= event.end_date <= Q3["end"]) or event.status == "planned":
            continue
        if region_ids is not None and a.session.event.region_id not in region_ids:
            continue
        people[a.enrolment.participant_id] = a.enrolment.participant
    return people


def shown(count: int):
    """What a disaggregated cell must show for a true count."""
    return "<5" if 1 <= count <= 4 else count


def rows(table):
    return {row["key"]: row["value"] for row in table}


def indicator(data, code):
    return next(i for i in data.indicators if i["code"] == code)


def test_people_reached_equal_the_registry_by_sex_category_and_region(demo):
    data = build()
    people = reached()
    assert data.people["total"] == len(people) == data.summary["people"]
    assert len(people) > 100  # the demo's August events
    by_sex = Counter(p.sex for p in people.values())
    by_cat = Counter(p.category.code for p in people.values())
    by_region = Counter(Region.objects.get(pk=p.region_id).code for p in people.values())
    assert rows(data.people["by_sex"]) == {k: shown(v) for k, v in by_sex.items()}
    assert rows(data.people["by_category"]) == {k: shown(v) for k, v in by_cat.items()}
    assert rows(data.people["by_region"]) == {k: shown(v) for k, v in by_region.items()}
    ages = Counter(age_band(p.birth_year, 2024) for p in people.values())
    assert rows(data.people["by_age_band"]) == {k: shown(v) for k, v in ages.items()}
    # Someone enrolled twice (two events) is still one person.
    enrolments = {
        (a.enrolment.participant_id, a.enrolment.event_id)
        for a in Attendance.objects.select_related("enrolment")
    }
    assert len(enrolments) >= len(people)


def test_indicator_actuals_equal_independent_counts(demo):
    data = build()
    # Walk the enrolments: who attended how many of their event's sessions, at which line.
    attended = Counter(a.enrolment_id for a in Attendance.objects.all())
    reached_at, completed_at = {}, {}
    for e in Enrolment.objects.select_related(
        "participant__category", "event__activity_line"
    ).filter(event__status__in=("held", "reported")):
        if not (Q3["start"] <= e.event.end_date <= Q3["end"]) or not attended[e.pk]:
            continue
        line = e.event.activity_line.code
        reached_at.setdefault(line, {})[e.participant_id] = e.participant
        if attended[e.pk] * 100 >= 80 * e.event.sessions.count():
            completed_at.setdefault(line, {})[e.participant_id] = e.participant
    youth = list(completed_at.get("1.1", {}).values())
    police = list(completed_at.get("1.2", {}).values())
    camp = list(reached_at.get("2.1", {}).values())
    op1 = indicator(data, "OP1")
    assert op1["actual"] == sum(p.category.code in ("akimat", "yrc", "theologian") for p in youth)
    assert op1["reached"] == sum(
        p.category.code in ("akimat", "yrc", "theologian") for p in reached_at["1.1"].values()
    )
    assert op1["reached"] > op1["actual"] > 0  # the demo has people who missed sessions
    assert indicator(data, "OP2")["actual"] == sum(p.category.group == "police" for p in police)
    assert indicator(data, "OP3")["actual"] == sum(p.category.code == "neet" for p in camp)
    held = [
        e
        for e in TrainingEvent.objects.all()
        if e.status in ("held", "reported") and Q3["start"] <= e.end_date <= Q3["end"]
    ]
    assert indicator(data, "OP4")["actual"] == len(held) == len(data.events) == 5
    # Targets of the quarter, % of target and a status colour.
    op1 = indicator(data, "OP1")
    assert op1["target"] == 60
    assert op1["percent_of_target"] == round(100 * op1["actual"] / 60, 1)
    assert op1["status"] in {"green", "amber", "red"}


def test_satisfaction_and_knowledge_gain_equal_the_registry(demo):
    data = build()
    forms = [
        f
        for f in Feedback.objects.select_related("event")
        if Q3["start"] <= f.event.end_date <= Q3["end"] and not f.is_duplicate
    ]
    satisfied = round(100 * sum(f.satisfaction >= 4 for f in forms) / len(forms), 1)
    assert data.feedback["respondents"] == len(forms)
    assert data.feedback["satisfied_pct"] == satisfied
    assert indicator(data, "OC1")["actual"] == satisfied
    tests = [
        t
        for t in Assessment.objects.select_related("enrolment__event")
        if t.pre_score is not None
        and t.post_score is not None
        and Q3["start"] <= t.enrolment.event.end_date <= Q3["end"]
    ]
    gain = round(float(mean(t.post_score - t.pre_score for t in tests)), 1)
    assert data.knowledge["n"] == len(tests)
    assert data.knowledge["gain"] == gain
    assert indicator(data, "OC2")["actual"] == gain
    improved = round(100 * sum(t.post_score > t.pre_score for t in tests) / len(tests), 1)
    result = RULES["knowledge_improved_pct"].compute(None, Q3["start"], Q3["end"], {})
    assert result.total == improved == data.knowledge["improved_pct"]


def test_every_rule_of_the_catalogue_runs_in_a_few_queries(demo, django_assert_max_num_queries):
    # Over the demo's year: the follow-up outcome rules (followup/outcomes.py) count the
    # 3-month round of the August events, due in November; the 6-month round falls due in
    # 2025, beyond the demo's data.
    beyond_the_demo = {"applied_6m_pct", "neet_in_eet_6m_pct"}
    for code, rule in RULES.items():
        with django_assert_max_num_queries(8):
            result = rule.compute(None, Q3["start"], date(2024, 12, 31), {})
        assert (result.total is None) == (code in beyond_the_demo), code
    # The catalogue's contract: code -> a Rule with its label, unit and function.
    rule = RULES["people_trained"]
    assert rule.unit == "people" and callable(rule.function)


def test_building_a_report_takes_a_fixed_number_of_queries(demo, django_assert_num_queries):
    """The queries depend on the results framework (indicators x IPTT columns), never on how
    many people, events or answers there are: more data, the same number of queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as first:
        build()
    assert len(first) <= 140  # the demo's 9 indicators, the IPTT's columns, the tables
    event = TrainingEvent.objects.filter(status="held").order_by("pk").first()
    for n in range(3):
        person = ParticipantFactory(region=event.region)
        attend_with_feedback(person, event, comments=f"Extra {n}", consent_to_quote=False)
    with django_assert_num_queries(len(first)):
        build()


def test_small_cells_are_suppressed_and_totals_stay_exact(demo):
    data = build()
    people = reached()
    pairs = Counter((p.category.code, p.sex) for p in people.values())
    assert any(1 <= n <= 4 for n in pairs.values()), "the demo has small cells"
    for row in data.people["category_by_sex"]:
        for sex in ("F", "M"):
            n = pairs[(row["key"], sex)]
            # "x": withheld so that a "<5" cannot be worked out (never a count of 1-4).
            assert row[sex] == shown(n) or (row[sex] == "x" and not 1 <= n <= 4)
    # Every count cell in a breakdown is 0, 5+, "<5" or "x".
    for key in ("by_sex", "by_age_band", "by_region", "by_category"):
        for row in data.people[key]:
            assert row["value"] in ("<5", "x") or row["value"] == 0 or row["value"] >= 5
    for ind in data.indicators:
        assert not isinstance(ind["actual"], str)  # totals exact
        if ind["unit"] != "people":
            continue  # events, sessions and partners are activity: never withheld
        for cells in ind["disaggregations"].values():
            for cell in cells:
                value = cell["value"]
                assert (
                    value in ("<5", "x")
                    or value is None
                    or not (1 <= value <= 4)
                    or (isinstance(value, float))
                ), (ind["code"], cell)


def test_disclosure_rules():
    assert [disclosure.protect_count(n) for n in (0, 1, 4, 5, 12)] == [0, "<5", "<5", 5, 12]
    assert disclosure.protect_rate(80.0, 3) == "<5"
    assert disclosure.protect_rate(80.0, 5) == 80.0
    ok = {"consent_to_quote": True, "quote_status": "approved"}
    quotes = disclosure.quotable(
        [
            {"text": "Great, call me on +7 701 123 45 67", **ok},
            {"text": "Write to aigerim@example.kz, IIN 900101300017", **ok},
            {"text": "Secret opinion", "consent_to_quote": False, "quote_status": "approved"},
            {"text": "Not reviewed yet", "consent_to_quote": True, "quote_status": "pending"},
            {"text": "   ", **ok},
            {"text": "Я, Иванова Анна, рада", "author_name": "Иванова Анна", **ok},
        ]
    )
    texts = [q["text"] for q in quotes]
    assert len(texts) == 3
    assert "Иванова" not in texts[2] and "Анна" not in texts[2] and "рада" in texts[2]
    assert "701" not in texts[0] and "example.kz" not in texts[1]
    assert "900101300017" not in texts[1]


def test_quotes_need_consent_and_hold_no_contact(demo):
    event = TrainingEvent.objects.get(
        title__startswith="Emotional intelligence for police officers (Aktau)"
    )
    person = register_person(
        full_name="Testova Zhuldyz",
        sex="F",
        birth_year=1990,
        region=event.region,
        category_id=event.enrolments.first().participant.category_id,
        phone="+7 777 555 44 33",
        email="zhuldyz.testova@example.kz",
    )
    attend_with_feedback(
        person,
        event,
        comments="Without consent: this must never be quoted.",
        consent_to_quote=False,
    )
    other = Feedback.objects.filter(event=event, consent_to_quote=True, comments="").first()
    other.comments = "Call me at +7 777 555 44 33 or zhuldyz.testova@example.kz, it was great."
    other.save()
    # Approved as written by programme staff: the report still takes the contacts out.
    staff = User.objects.get(username="undp.staff")
    review_quote(feedback=other, by=staff, approve=True, text=other.comments)
    data = build()
    texts = [q["text"] for q in data.quotes]
    assert not any("never be quoted" in t for t in texts)
    assert any("it was great" in t for t in texts)
    dump = json.dumps(data.to_json(), ensure_ascii=False)
    for secret in ("Testova", "555 44 33", "zhuldyz.testova@example.kz"):
        assert secret not in dump


def test_report_data_round_trips_through_json(demo):
    data = build(language="ru")
    raw = json.loads(json.dumps(data.to_json()))
    again = ReportData.from_json(raw)
    assert again == data
    assert again.language == "ru"
    assert again.programme["donor"] == "Правительство Японии"  # the donor's Russian name


def test_inputs_hash_changes_with_the_data_only(demo):
    args = {"region_ids": None, "language": "en", "programme": None, **Q3}
    first = inputs_hash(**args)
    assert inputs_hash(**args) == first
    assert inputs_hash(**(args | {"language": "kk"})) != first
    event = TrainingEvent.objects.get(title__startswith="Youth Camp")
    enrolment = event.enrolments.exclude(attendances__session=event.sessions.last()).first()
    record_attendance(enrolment=enrolment, session=event.sessions.last())
    assert inputs_hash(**args) != first


def test_inputs_hash_ignores_the_events_of_other_programmes(demo):
    """Every figure counts the report's programme's events only: attendance, feedback or an
    event of another programme cannot change the report, nor its fingerprint (issue 23: at
    national scale reading them was most of a report's seconds)."""
    args = {"region_ids": None, "language": "en", "programme": "PVE-KZ-JP", **Q3}
    first = inputs_hash(**args)
    other = EventFactory(status="held", programme=ProgrammeFactory(code="OTHER"))
    session = SessionFactory(event=other)
    attend_with_feedback(ParticipantFactory(), other, comments="Useful", consent_to_quote=False)
    record_attendance(enrolment=EnrolmentFactory(event=other), session=session)
    assert inputs_hash(**args) == first
    mine = TrainingEvent.objects.get(title__startswith="Youth Camp")
    record_attendance(enrolment=EnrolmentFactory(event=mine), session=mine.sessions.first())
    assert inputs_hash(**args) != first


def test_coordinator_report_covers_their_regions_only(demo):
    coordinator = User.objects.get(username="coord.kyzylorda")
    kyzylorda = Region.objects.get(code="KZ-43")
    mangystau = Region.objects.get(code="KZ-47")
    scope = scope_for(coordinator)
    assert allowed_region_ids(scope, None) == [kyzylorda.pk]
    with pytest.raises(PermissionError):
        allowed_region_ids(scope, [mangystau.pk])
    data = build(region_ids=allowed_region_ids(scope, None))
    assert {e["region_code"] for e in data.events} == {"KZ-43"}
    assert data.people["total"] == len(reached({kyzylorda.pk}))
    assert data.scope["regions"] == [{"code": "KZ-43", "name": kyzylorda.name}]
    # Staff may ask for any regions; nothing asked means all.
    staff = scope_for(User.objects.get(username="undp.staff"))
    assert allowed_region_ids(staff, None) is None
    assert allowed_region_ids(staff, [mangystau.pk]) == [mangystau.pk]


def test_narrative_of_the_period_and_scope_is_included(demo):
    programme = TrainingEvent.objects.first().programme
    kyzylorda = Region.objects.get(code="KZ-43")
    Narrative.objects.create(
        programme=programme,
        period_label="2024Q3",
        period_start=Q3["start"],
        period_end=Q3["end"],
        highlights="All five August trainings were held.",
        lessons="Start recruitment earlier.",
    )
    Narrative.objects.create(
        programme=programme,
        period_label="2024Q3",
        period_start=Q3["start"],
        period_end=Q3["end"],
        region=kyzylorda,
        highlights="Kyzylorda police joined.",
    )
    # The national report: the programme's narrative first, then each region's from the close.
    everywhere = build()
    assert [(n["scope"], n["highlights"]) for n in everywhere.narratives] == [
        ("All regions", "All five August trainings were held."),
        (kyzylorda.name, "Kyzylorda police joined."),
    ]
    local = build(region_ids=[kyzylorda.pk])
    assert [n["highlights"] for n in local.narratives] == ["Kyzylorda police joined."]


def test_rule_params_filter_people(demo):
    everyone = RULES["people_trained"].compute(None, Q3["start"], Q3["end"], {}).total
    camp = (
        RULES["people_trained"]
        .compute(None, Q3["start"], Q3["end"], {"event_types": ["camp"]})
        .total
    )
    mangystau = (
        RULES["people_trained"].compute(None, Q3["start"], Q3["end"], {"regions": ["KZ-47"]}).total
    )
    people = reached()
    assert everyone == len(people)
    assert camp == sum(p.category.code == "neet" for p in people.values())
    assert mangystau == len(reached({Region.objects.get(code="KZ-47").pk}))
    # Outside the period nothing is counted.
    assert (
        RULES["people_trained"].compute(None, date(2023, 1, 1), date(2023, 12, 31), {}).total == 0
    )


def test_sessions_partners_and_attendance_rate_equal_the_registry(demo):
    held = [
        e
        for e in TrainingEvent.objects.prefetch_related(
            "sessions", "enrolments", "host_partners", "implementing_partners"
        )
        if e.status in ("held", "reported") and Q3["start"] <= e.start_date <= Q3["end"]
    ]
    sessions = [s for e in held for s in e.sessions.all()]
    partners = {
        p.pk for e in held for p in [*e.host_partners.all(), *e.implementing_partners.all()]
    }
    possible = sum(len(e.enrolments.all()) * len(e.sessions.all()) for e in held)
    present = Attendance.objects.filter(session__in=sessions).count()
    start, end = Q3["start"], Q3["end"]
    assert RULES["sessions_delivered"].compute(None, start, end, {}).total == len(sessions)
    assert RULES["partners_engaged"].compute(None, start, end, {}).total == len(partners)
    rate = RULES["attendance_rate"].compute(None, start, end, {})
    assert rate.total == round(100 * present / possible, 1) and rate.base == possible
    assert build().summary["partners"] == len(partners)


def test_the_reports_people_cube_is_the_one_the_rules_count(demo):
    """The report's breakdowns of the people reached come from the (event, person) pairs it
    reads once (builder.Attended); the indicators count the same people with one GROUP BY in
    the database (indicators.people_cube). Both must give the same cells: people at the edge
    of an age band, without a birth year, with each disability status (answered, kept after
    erasure, none), at two events, and enrolled without coming."""
    from participants import disability
    from participants.models import DisabilityAnswers, ParticipantCategory
    from reports.builder import Attended, report_scope
    from reports.indicators import people_cube, people_reached_qs

    event = TrainingEvent.objects.filter(status="held", end_date__range=(Q3["start"], Q3["end"]))
    first, second = event.order_by("pk")[:2]
    neet = ParticipantCategory.objects.get(code="neet")
    born = [2024 - 17, 2024 - 18, 2024 - 24, 2024 - 25, 2024 - 54, 2024 - 55, None, 1930]
    for i, year in enumerate(born):
        person = ParticipantFactory(
            birth_year=year, sex="MF"[i % 2], region=second.region, category=neet
        )
        for ev in (first, second)[: 1 + i % 2]:
            session = ev.sessions.order_by("pk").first()
            Attendance.objects.create(
                enrolment=EnrolmentFactory(event=ev, participant=person), session=session
            )
        if i % 3 == 0:
            DisabilityAnswers.objects.create(
                participant=person,
                seeing=disability.Answer.A_LOT_OF_DIFFICULTY
                if i % 2
                else disability.Answer.NO_DIFFICULTY,
                consent_given_on=Q3["start"],
            )
        elif i % 3 == 1:
            answers = DisabilityAnswers.objects.create(
                participant=person, consent_given_on=Q3["start"]
            )
            DisabilityAnswers.objects.filter(pk=answers.pk).update(kept_status="with")
    EnrolmentFactory(event=first, participant=ParticipantFactory(birth_year=None))  # never came

    for region_ids, basis in [
        (None, {}),
        (None, {"programme": first.programme_id}),
        ([second.region_id], {}),
    ]:
        scope = report_scope(None, region_ids)
        in_sql = people_cube(people_reached_qs(scope, Q3["start"], Q3["end"], basis), Q3["end"])
        from_pairs = Attended.of(scope, Q3["start"], Q3["end"], basis).people_cube(Q3["end"])
        assert sorted(from_pairs) == sorted(in_sql)
        cells = {row[:-1] for row in in_sql}
        assert len(cells) == len(in_sql)  # one row a cell on both sides
    bands = {row[3] for row in in_sql}
    assert {"<18", "18-24", "25-34", "45-54", "55+", "unknown"} <= bands
    assert {row[4] for row in in_sql} >= {"with", "without", "unknown"}
