"""What a donor report counts (issue 15): every figure belongs to the report's programme, only
held events count, an event and all that happened at it belong to the period it ends in,
indicators count what their titles say, "trained" has a completion rule, people are counted as
people, and each indicator shows its quarter, year to date and life of the programme.

Each test changes the demo data the way a coordinator would and reads the report as the donor
would (reports.builder.build_report_data), never the rules' internals."""

from __future__ import annotations

from datetime import date

import pytest

from participants.models import Assessment, Attendance, Feedback, ParticipantCategory
from participants.services import enrol, merge_people, record_feedback
from reports.builder import build_report_data
from reports.forms import IndicatorForm
from reports.indicators import RULES
from reports.models import Indicator
from trainings.models import ActivityLine, Programme, Session, TrainingEvent

from .factories import ParticipantFactory, region

pytestmark = pytest.mark.django_db

Q3 = (date(2024, 7, 1), date(2024, 9, 30))
Q4 = (date(2024, 10, 1), date(2024, 12, 31))


def report(period=Q3, label="2024Q3", programme="PVE-KZ-JP", **kw):
    start, end = period
    return build_report_data(
        start=start, end=end, language="en", period_label=label, programme=programme, **kw
    )


def row(data, code):
    return next(i for i in data.indicators if i["code"] == code)


def demo_programme() -> Programme:
    return Programme.objects.get(code="PVE-KZ-JP")


def new_event(programme, *, start, end, line=None, event_type="training", status="held", days=None):
    event = TrainingEvent.objects.create(
        programme=programme,
        activity_line=line,
        title=f"Counting test {start}",
        event_type=event_type,
        start_date=start,
        end_date=end,
        region=region("KZ-47"),
        status=status,
    )
    day = start
    for n in range(days or (end - start).days + 1):
        Session.objects.create(event=event, date=date.fromordinal(day.toordinal() + n), title="S")
    return event


def attend(event, person, sessions=None, *, score=None, tests=None):
    """Enrol, mark present at `sessions` (all by default), record a form and tests."""
    enrolment = enrol(person=person, event=event)
    for session in sessions if sessions is not None else event.sessions.all():
        Attendance.objects.create(enrolment=enrolment, session=session)
    if score is not None:
        record_feedback(
            event=event,
            enrolment=enrolment,
            satisfaction=score,
            relevance=score,
            usefulness=score,
            intent_to_apply=score,
            source="paper",
        )
    if tests is not None:
        Assessment.objects.create(enrolment=enrolment, pre_score=tests[0], post_score=tests[1])
    return enrolment


HEADLINE = ("people", "events", "sessions", "respondents", "people_tested", "tests", "partners")


def headline(data):
    return {key: data.summary[key] for key in HEADLINE} | {
        ind["code"]: ind["actual"] for ind in data.indicators
    }


# 1. Programmes are separated ------------------------------------------------------------------
def test_another_programmes_activity_changes_no_figure_of_the_report(demo):
    before = headline(report())
    other = Programme.objects.create(code="OTHER", name="Another programme")
    event = new_event(other, start=date(2024, 8, 5), end=date(2024, 8, 6))
    for _n in range(6):
        attend(event, ParticipantFactory(), score=5, tests=(40, 70))
    assert headline(report()) == before
    mine = report(programme="OTHER")
    assert mine.summary["people"] == 6 and mine.summary["events"] == 1
    assert mine.summary["respondents"] == 6 and mine.summary["tests"] == 6
    assert mine.summary["people"] != before["people"]


def test_a_person_of_both_programmes_is_reached_by_each(demo):
    demo_people = report().summary["people"]
    someone = (
        Attendance.objects.filter(session__event__programme=demo_programme())
        .first()
        .enrolment.participant
    )
    other = Programme.objects.create(code="OTHER", name="Another programme")
    attend(new_event(other, start=date(2024, 8, 5), end=date(2024, 8, 5)), someone)
    assert report().summary["people"] == demo_people
    assert report(programme="OTHER").summary["people"] == 1


# 2. One inclusion rule ------------------------------------------------------------------------
def test_a_planned_event_feeds_no_figure(demo):
    before = headline(report())
    planned = new_event(
        demo_programme(), start=date(2024, 9, 2), end=date(2024, 9, 3), status="planned"
    )
    for _n in range(6):
        attend(planned, ParticipantFactory(), score=2, tests=(80, 20))
    assert TrainingEvent.objects.get(pk=planned.pk).status == "planned"
    assert headline(report()) == before
    # Held, the same event feeds every figure at once.
    TrainingEvent.objects.filter(pk=planned.pk).update(status="held")
    after = report().summary
    assert after["events"] == before["events"] + 1
    assert after["sessions"] == before["sessions"] + 2
    assert after["people"] == before["people"] + 6
    assert after["respondents"] == before["respondents"] + 6
    assert after["tests"] == before["tests"] + 6


# 3. One date rule ------------------------------------------------------------------------------
def test_an_event_across_two_quarters_counts_once_in_the_quarter_it_ends(demo):
    q3, q4 = headline(report()), headline(report(Q4, "2024Q4"))
    event = new_event(demo_programme(), start=date(2024, 9, 29), end=date(2024, 10, 2))
    sept = list(event.sessions.filter(date__lte=date(2024, 9, 30)))
    assert len(sept) == 2
    for _n in range(5):
        attend(event, ParticipantFactory(), sessions=sept, score=4, tests=(50, 60))
    assert headline(report()) == q3
    after = report(Q4, "2024Q4").summary
    assert after["events"] == q4["events"] + 1
    assert after["sessions"] == q4["sessions"] + 4  # all its sessions, September's too
    assert after["people"] == q4["people"] + 5
    assert after["respondents"] == q4["respondents"] + 5
    assert after["tests"] == q4["tests"] + 5
    # In the year, the event and its people are counted once too.
    year = report((date(2024, 1, 1), date(2024, 12, 31)), "2024").summary
    assert year["events"] == q3["events"] + after["events"]


# 4. Titles match what is counted ---------------------------------------------------------------
def test_indicators_count_only_the_event_types_lines_and_categories_they_name(demo):
    before = {ind["code"]: ind["actual"] for ind in report().indicators}
    programme = demo_programme()
    youth_line = ActivityLine.objects.get(programme=programme, code="1.1")
    camp_line = ActivityLine.objects.get(programme=programme, code="2.1")
    police = ParticipantCategory.objects.filter(group="police").first()
    neet = ParticipantCategory.objects.get(code="neet")
    # A police officer and a NEET young person at a youth workers' training: neither is a
    # "police officer trained in emotional intelligence" nor "reached through youth camps".
    training = new_event(programme, start=date(2024, 9, 10), end=date(2024, 9, 10), line=youth_line)
    attend(training, ParticipantFactory(category=police))
    attend(training, ParticipantFactory(category=neet))
    # A NEET young person at a camp of the camp line counts in OP3.
    camp = new_event(
        programme, start=date(2024, 9, 12), end=date(2024, 9, 12), line=camp_line, event_type="camp"
    )
    attend(camp, ParticipantFactory(category=neet))
    after = {ind["code"]: ind["actual"] for ind in report().indicators}
    assert after["OP2"] == before["OP2"]
    assert after["OP3"] == before["OP3"] + 1
    assert after["OP1"] == before["OP1"]  # police and NEET are not akimat, YRC or theologians
    assert after["OP4"] == before["OP4"] + 2


def test_the_demo_framework_says_what_each_title_claims(demo):
    framework = {i.code: i for i in Indicator.objects.filter(programme=demo_programme())}
    assert framework["OP2"].rule_params["activity_lines"] == ["1.2"]
    assert framework["OP2"].rule_params["category_group"] == "police"
    assert framework["OP3"].rule_params["event_types"] == ["camp"]
    assert framework["OP1"].completion == framework["OP2"].completion == "completed"


# 5. Reached and completed ----------------------------------------------------------------------
def test_trained_means_completed_at_least_the_set_share_of_sessions(demo):
    programme = demo_programme()
    line = ActivityLine.objects.get(programme=programme, code="1.1")
    op1_indicator = Indicator.objects.filter(programme=programme, code="OP1")
    op1_indicator.update(completion_percent=60)
    at_60 = row(report(), "OP1")["actual"]
    op1_indicator.update(completion_percent=80)
    op1 = row(report(), "OP1")
    assert op1["reached"] is not None and op1["actual"] <= op1["reached"]
    event = new_event(programme, start=date(2024, 9, 16), end=date(2024, 9, 20), line=line)
    sessions = list(event.sessions.order_by("date"))  # five
    akimat = ParticipantCategory.objects.get(code="akimat")
    attend(event, ParticipantFactory(category=akimat), sessions=sessions)  # 100 %
    attend(event, ParticipantFactory(category=akimat), sessions=sessions[:4])  # 80 %
    attend(event, ParticipantFactory(category=akimat), sessions=sessions[:3])  # 60 %
    attend(event, ParticipantFactory(category=akimat), sessions=sessions[:1])  # 20 %
    after = row(report(), "OP1")
    assert after["reached"] == op1["reached"] + 4
    assert after["actual"] == op1["actual"] + 2
    op1_indicator.update(completion_percent=60)
    assert row(report(), "OP1")["actual"] == at_60 + 3
    op1_indicator.update(completion="reached")
    reached_only = row(report(), "OP1")
    assert reached_only["actual"] == op1["reached"] + 4 and reached_only["reached"] is None


# 6. People, not forms -------------------------------------------------------------------------
def test_a_merged_persons_two_forms_count_once(demo):
    programme = demo_programme()
    before = report().summary
    event = new_event(programme, start=date(2024, 9, 24), end=date(2024, 9, 24))
    first, second = (
        ParticipantFactory(full_name="Aru Bekova"),
        ParticipantFactory(full_name="Aru Bekova"),
    )
    attend(event, first, score=5, tests=(40, 60))
    attend(event, second, score=1, tests=(50, 55))
    twice = report().summary
    assert twice["respondents"] == before["respondents"] + 2
    assert twice["people"] == before["people"] + 2
    merge_people(keep=first, remove=second)
    once = report().summary
    assert once["people"] == before["people"] + 1
    assert once["respondents"] == before["respondents"] + 1
    assert once["tests"] == before["tests"] + 1 and once["people_tested"] == (
        before["people_tested"] + 1
    )
    kept = Feedback.objects.filter(event=event)
    assert kept.count() == 2  # nothing is lost: the second form stays, marked
    assert kept.filter(is_duplicate=True, enrolment__isnull=True).count() == 1


def test_tests_are_counted_as_people_and_as_pairs(demo):
    programme = demo_programme()
    before = report().summary
    person = ParticipantFactory()
    for day in (3, 4):
        event = new_event(programme, start=date(2024, 9, day), end=date(2024, 9, day))
        attend(event, person, tests=(30, 50))
    after = report().summary
    assert after["tests"] == before["tests"] + 2
    assert after["people_tested"] == before["people_tested"] + 1
    assert report().knowledge["people"] == after["people_tested"]


# 7. Cumulative progress -----------------------------------------------------------------------
def test_year_to_date_and_life_of_programme_are_unique_counts(demo):
    programme = demo_programme()
    person = ParticipantFactory(category=ParticipantCategory.objects.get(code="neet"))
    camp_line = ActivityLine.objects.get(programme=programme, code="2.1")
    for month in (5, 11):
        event = new_event(
            programme,
            start=date(2024, month, 6),
            end=date(2024, month, 6),
            line=camp_line,
            event_type="camp",
        )
        attend(event, person)
    year = report(Q4, "2024Q4")
    op3 = row(year, "OP3")
    quarters = {
        p["key"]: cell
        for p, cell in zip(
            year.iptt["periods"],
            next(r for r in year.iptt["rows"] if r["code"] == "OP3")["cells"],
            strict=True,
        )
    }
    assert list(quarters) == ["2024Q1", "2024Q2", "2024Q3", "2024Q4", "2024"]
    q_sum = sum(quarters[k]["actual"] for k in ("2024Q1", "2024Q2", "2024Q3", "2024Q4"))
    assert op3["ytd"]["actual"] == quarters["2024"]["actual"] == q_sum - 1  # counted once
    assert op3["ytd"]["target"] == 150  # the demo's 2024 target
    assert op3["lop"]["actual"] >= op3["ytd"]["actual"]
    assert op3["lop"]["target"] == 400
    iptt_row = next(r for r in year.iptt["rows"] if r["code"] == "OP3")
    assert iptt_row["cumulative"] == op3["lop"]["actual"]
    assert iptt_row["lop_target"] == 400


def test_an_empty_period_has_an_iptt_without_numbers(demo):
    data = report((date(2021, 1, 1), date(2021, 3, 31)), "2021Q1")
    assert data.summary["people"] == 0 and data.summary["tests"] == 0
    first = data.iptt["rows"][0]
    assert [p["key"] for p in data.iptt["periods"]] == ["2021Q1", "2021"]
    assert all(cell["actual"] in (0, None) for r in data.iptt["rows"] for cell in r["cells"])
    assert first["cumulative"] in (0, None)


# 8. Each indicator declares its method ---------------------------------------------------------
def test_each_indicator_declares_its_method_and_direction(demo):
    data = report()
    methods = {ind["code"]: ind["method"] for ind in data.indicators}
    assert methods == {
        "OC1": "ratio",
        "OC2": "mean",
        # the follow-up outcomes: a share of those who answered (followup/outcomes.py)
        "OC3": "ratio",
        "OC4": "ratio",
        "OC5": "ratio",
        "OP1": "unique",
        "OP2": "unique",
        "OP3": "unique",
        "OP4": "sum",
    }
    for entry in data.annex:
        assert entry["method_label"] and entry["direction_label"]
    assert any("80%" in entry["completion_text"] for entry in data.annex)
    assert any("ends" in paragraph for paragraph in data.methodology)


def test_the_framework_form_refuses_a_method_the_rule_does_not_compute(demo):
    programme = demo_programme()
    form = IndicatorForm(
        data={
            "programme": programme.pk,
            "code": "X1",
            "name": "People trained",
            "level": "output",
            "unit": "people",
            "baseline": "0",
            "rule": "people_trained",
            "method": "sum",
            "higher_is_better": "on",
            "completion": "completed",
            "completion_percent": "80",
            "activity_lines": ["1.2"],
            "order": "1",
        }
    )
    assert not form.is_valid()
    assert "unique count" in str(form.errors["method"])
    data = form.data.copy()
    data["method"] = ""
    form = IndicatorForm(data=data)
    assert form.is_valid(), form.errors
    indicator = form.save()
    assert indicator.method == RULES["people_trained"].method == "unique"
    assert indicator.rule_params["activity_lines"] == ["1.2"]
    data["rule"], data["unit"], data["code"] = "events_held", "events", "X2"
    form = IndicatorForm(data=data)
    assert not form.is_valid() and "completion" in form.errors
