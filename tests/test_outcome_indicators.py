"""Outcome indicators from the follow-up surveys (issue 22, item 3): the share of trained people
who applied the skills at 3/6 months and of NEET youth in employment, education or training,
with the response rate next to them, counted like every rule (programme, scope, held events,
people filters), by the round's due date, broken down and withheld like every rate, and shown
in every report format, the IPTT and IATI (result type 2, outcome).

The expected figures are counted here from the invitations one by one, in Python, never
through the rules (their SQL twin is checked in test_indicator_definitions.py)."""

from __future__ import annotations

import io
import subprocess
import zipfile
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from fractions import Fraction

import pytest
from django.utils import timezone
from docx import Document
from lxml import etree
from openpyxl import load_workbook

from core import periods
from followup.models import Invitation, Round, hash_token
from followup.selectors import IN_EET
from participants import disability
from participants.models import AGE_BANDS, Attendance, DisabilityAnswers, ParticipantCategory
from reports import numbers
from reports.builder import build_report_data, inputs_hash
from reports.disclosure import SUPPRESSED
from reports.forms import IndicatorForm
from reports.indicators import RULES
from reports.models import Indicator
from reports.renderers import render
from trainings.models import Programme, TrainingEvent

from .factories import EnrolmentFactory, EventFactory, ParticipantFactory, SessionFactory

pytestmark = pytest.mark.django_db

Q4 = periods.quarter(2024, 4)
OUTCOME_RULES = ("applied_3m_pct", "applied_6m_pct", "neet_in_eet_3m_pct", "neet_in_eet_6m_pct")


def _demo() -> Programme:
    return Programme.objects.get(code="PVE-KZ-JP")


def _age_band(birth_year, year: int) -> str:
    if birth_year is None:
        return "unknown"
    age = year - birth_year
    return next((label for low, high, label in AGE_BANDS if low <= age <= high), "unknown")


def _by_hand(programme, start, end, *, months: int, asks: str, yes, neet: bool = False) -> dict:
    """The figure from the invitations one by one: asked in a round of `months` whose questions
    include `asks`, due within the dates, at a held event of the programme, to a person who
    attended it (NEET youth only for the status)."""
    attended = set(
        Attendance.objects.filter(enrolment__event__programme=programme).values_list(
            "enrolment__participant_id", "enrolment__event_id"
        )
    )
    invitations = Invitation.objects.filter(event__programme=programme).select_related(
        "round__question_set", "event", "participant__category", "participant__region"
    )
    statuses = {
        a.participant_id: disability.classify_record(a) for a in DisabilityAnswers.objects.all()
    }
    asked = answered = 0
    cells: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    for inv in invitations:
        person = inv.participant
        if (
            inv.round.months != months
            or asks not in {q["key"] for q in inv.round.question_set.questions}
            or not (start <= inv.due_on <= end)
            or inv.event.status not in ("held", "reported")
            or (person.pk, inv.event_id) not in attended
            or (neet and (person.category is None or person.category.code != "neet"))
        ):
            continue
        asked += 1
        if inv.answered_at is None:
            continue
        answered += 1
        if asks not in inv.answers:
            continue
        ok = int(yes(inv.answers[asks]))
        keys = {
            "total": "all",
            "sex": person.sex,
            "age_band": _age_band(person.birth_year, end.year),
            "region": person.region.code if person.region else "unknown",
            "category": person.category.code if person.category else "unknown",
            "disability": str(statuses.get(person.pk, disability.Status.UNKNOWN)),
        }
        for dim, key in keys.items():
            cells[dim][key][0] += ok
            cells[dim][key][1] += 1

    def rate(ok, n):
        return numbers.rounded(Fraction(100 * ok, n), 1) if n else None

    total = cells["total"]["all"]
    return {
        "total": rate(*total),
        "base": total[1],
        "response": {"invited": asked, "respondents": answered},
        "shares": {
            d: {k: rate(*v) for k, v in c.items()} for d, c in cells.items() if d != "total"
        },
        "bases": {d: {k: v[1] for k, v in c.items()} for d, c in cells.items() if d != "total"},
    }


def _applied(value) -> bool:
    return value == "yes"


def _in_eet(value) -> bool:
    return value in IN_EET


# The figures ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "rule, months, asks, yes, neet",
    [
        ("applied_3m_pct", 3, "applied", _applied, False),
        ("neet_in_eet_3m_pct", 3, "status", _in_eet, True),
    ],
)
def test_the_demo_figures_match_the_answers_counted_one_by_one(demo, rule, months, asks, yes, neet):
    programme = _demo()
    result = RULES[rule].compute(None, Q4.start, Q4.end, {"programme": programme.pk})
    expected = _by_hand(programme, Q4.start, Q4.end, months=months, asks=asks, yes=yes, neet=neet)
    assert expected["base"] >= 20, "the demo has a follow-up to count"
    assert result.total == expected["total"]
    assert result.base == expected["base"]
    assert result.response == expected["response"]
    assert not result.is_count
    assert set(result.disaggregations) == {"sex", "age_band", "region", "category", "disability"}
    for dim, shares in expected["shares"].items():
        assert result.disaggregations[dim] == shares, dim
        assert result.bases[dim] == expected["bases"][dim], dim
    # Nothing of it was due in the third quarter; the year holds the fourth's.
    q3 = periods.quarter(2024, 3)
    assert RULES[rule].compute(None, q3.start, q3.end, {}).base == 0
    year = RULES[rule].compute(None, date(2024, 1, 1), date(2024, 12, 31), {})
    assert (year.total, year.response) == (result.total, result.response)


def test_the_response_rate_counts_expired_links_and_the_refusal_as_not_answered(demo):
    programme = _demo()
    result = RULES["applied_3m_pct"].compute(None, Q4.start, Q4.end, {"programme": programme.pk})
    expected = _by_hand(programme, Q4.start, Q4.end, months=3, asks="applied", yes=_applied)
    assert result.response == expected["response"]
    invitations = Invitation.objects.filter(round__months=3, due_on__range=(Q4.start, Q4.end))
    refused = invitations.get(refused_at__isnull=False)  # the demo's one refusal
    assert refused.answered_at is None and not refused.participant.followup_consent
    assert Attendance.objects.filter(
        enrolment__participant=refused.participant, enrolment__event=refused.event
    ).exists(), "the refusal is among the people asked"
    unanswered = invitations.filter(answered_at__isnull=True)
    assert unanswered.count() > 1  # links that expired unanswered, and the refusal
    assert all(inv.is_expired() for inv in unanswered), "nothing of 2024 is on a call list"
    invited, respondents = result.response["invited"], result.response["respondents"]
    assert 0 < result.base <= respondents < invited
    assert invited - respondents == sum(
        Attendance.objects.filter(
            enrolment__participant=inv.participant_id, enrolment__event=inv.event_id
        ).exists()
        for inv in unanswered
    )


@pytest.fixture
def followed_up(db):
    """A training of a programme of its own whose 3-month round was due on 30 December 2024:
    eight trained people asked (one more asked who never came), six answered, one of them in
    January 2025 (it still counts in 2024 Q4), two of them with a disability."""
    programme = Programme.objects.create(code="OUTCOME-TEST", name="Outcome test")
    event = EventFactory(
        programme=programme,
        event_type="training",
        start_date=date(2024, 9, 29),
        end_date=date(2024, 9, 30),
        status=TrainingEvent.Status.HELD,
    )
    session = SessionFactory(event=event, date=date(2024, 9, 30))
    round_ = Round.objects.get(event_type="training", months=3, activity_line=None)
    due = date(2024, 12, 30)
    given = [
        ("yes", date(2024, 12, 31), "F", True),
        ("yes", date(2025, 1, 10), "F", True),  # answered in the next quarter
        ("no", date(2024, 12, 30), "F", False),
        ("yes", date(2024, 12, 30), "M", False),
        ("yes", date(2024, 12, 30), "M", False),
        ("no", date(2024, 12, 30), "M", False),
        (None, None, "M", False),  # never answered
        (None, None, "F", False),  # never answered
    ]
    people = []
    for i, (applied, on, sex, with_disability) in enumerate(given + [("yes", due, "F", False)]):
        person = ParticipantFactory(sex=sex, followup_consent=True)
        enrolment = EnrolmentFactory(event=event, participant=person)
        if i < len(given):  # the last one enrolled but never came: not trained
            Attendance.objects.create(enrolment=enrolment, session=session)
        if with_disability:
            DisabilityAnswers.objects.create(
                participant=person,
                seeing=disability.Answer.A_LOT_OF_DIFFICULTY,
                consent_given_on=date(2024, 9, 29),
            )
        invitation = Invitation(
            key=f"{round_.pk}:{event.pk}:{person.pk}",
            round=round_,
            event=event,
            participant=person,
            channel=Invitation.Channel.CALL,
            nonce=f"outcome-test-{i}",
            due_on=due,
            expires_at=timezone.make_aware(datetime.combine(due + timedelta(days=30), time(9))),
            language="en",
        )
        invitation.token_hash = hash_token(invitation.token)
        if applied:
            invitation.answers = {"applied": applied}
            invitation.answered_at = timezone.make_aware(datetime.combine(on, time(12)))
        invitation.save()
        people.append(person)
    return programme, event, people


def test_an_answer_counts_in_the_quarter_its_round_was_due(followed_up):
    programme, _event, _people = followed_up
    params = {"programme": programme.pk}
    q4 = RULES["applied_3m_pct"].compute(None, Q4.start, Q4.end, params)
    # 4 yes of 6 answers (the January one included); 8 trained people asked.
    assert (q4.total, q4.base, q4.response) == (66.7, 6, {"invited": 8, "respondents": 6})
    q1 = RULES["applied_3m_pct"].compute(None, date(2025, 1, 1), date(2025, 3, 31), params)
    assert (q1.total, q1.base, q1.response) == (None, 0, {"invited": 0, "respondents": 0})
    assert RULES["applied_6m_pct"].compute(None, Q4.start, Q4.end, params).base == 0
    expected = _by_hand(programme, Q4.start, Q4.end, months=3, asks="applied", yes=_applied)
    assert q4.disaggregations["disability"] == expected["shares"]["disability"]
    assert q4.disaggregations["disability"] == {"with": 100.0, "unknown": 50.0}
    assert q4.bases["disability"] == {"with": 2, "unknown": 4}
    assert q4.disaggregations["sex"] == {"F": 66.7, "M": 66.7}


def test_small_groups_are_withheld_in_the_report_like_every_rate(followed_up):
    programme, _event, _people = followed_up
    Indicator.objects.create(
        programme=programme,
        code="OC9",
        name="Applied the skills",
        level="outcome",
        unit="percent",
        method="ratio",
        rule="applied_3m_pct",
        disaggregations=["sex", "disability"],
    )
    data = build_report_data(
        start=Q4.start,
        end=Q4.end,
        language="en",
        period_label="2024Q4",
        programme=programme,
    )
    row = next(r for r in data.indicators if r["code"] == "OC9")
    assert row["actual"] == 66.7
    assert row["response"] == {"invited": 8, "respondents": 6, "rate": 75.0}
    shown = {d: {r["key"]: r["value"] for r in rows} for d, rows in row["disaggregations"].items()}
    # Every group stands on fewer than 5 answers (2 and 4 by disability, 3 and 3 by sex):
    # withheld; the total (6 answers) is shown.
    assert shown == {
        "sex": {"F": SUPPRESSED, "M": SUPPRESSED},
        "disability": {"with": SUPPRESSED, "unknown": SUPPRESSED},
    }


# The reports --------------------------------------------------------------------------------
def _report(start, end, label):
    return build_report_data(start=start, end=end, language="en", period_label=label)


def test_the_demo_report_of_the_fourth_quarter_and_the_year_shows_the_outcomes(demo):
    withheld = 0
    for start, end, label in ((Q4.start, Q4.end, "2024Q4"), (date(2024, 1, 1), Q4.end, "2024")):
        data = _report(start, end, label)
        rows = {r["code"]: r for r in data.indicators}
        for code in ("OC3", "OC4"):
            rule = RULES[rows[code]["rule"]]
            expected = rule.compute(None, start, end, _params(code))
            assert rows[code]["level"] == "outcome"
            assert expected.total is not None and rows[code]["actual"] == expected.total
            assert rows[code]["response"]["invited"] == expected.response["invited"]
            assert 0 < rows[code]["response"]["rate"] < 100
            # Each group's share is shown, or withheld when 1 to 4 answered.
            shown = rows[code]["disaggregations"]
            assert set(shown) == set(Indicator.objects.get(code=code).disaggregations)
            for dim, cells in shown.items():
                for cell in cells:
                    base = expected.bases[dim][cell["key"]]
                    assert (cell["value"] == SUPPRESSED) == (1 <= base <= 4), (code, dim, cell)
            withheld += sum(c["value"] == SUPPRESSED for c in shown["disability"])
        assert rows["OC5"]["actual"] is None  # the 6-month round falls due in 2025
        assert rows["OC3"]["target"] == 60
        iptt = {r["code"]: r for r in data.iptt["rows"]}
        assert iptt["OC3"]["cumulative"] == rows["OC3"]["actual"]
        assert iptt["OC3"]["cells"][-1]["actual"] == rows["OC3"]["ytd"]["actual"]
    assert withheld, "the demo has a small group of people with a disability"


def _params(code: str) -> dict:
    ind = Indicator.objects.get(programme=_demo(), code=code)
    return (ind.rule_params or {}) | {"programme": ind.programme_id}


def test_outcomes_are_in_the_xlsx_csv_pdf_and_docx(demo):
    data = _report(Q4.start, Q4.end, "2024Q4")
    oc3 = next(r for r in data.indicators if r["code"] == "OC3")
    response = oc3["response"]

    book = load_workbook(io.BytesIO(render(data, "xlsx").content))
    sheet = next(
        rows
        for rows in (list(ws.iter_rows(values_only=True)) for ws in book.worksheets)
        if any(row and "Follow-up: people asked" in row for row in rows)
    )
    header = next(row for row in sheet if row and "Follow-up: people asked" in row)
    row = next(row for row in sheet if row and row[0] == "OC3")
    cells = dict(zip(header, row, strict=True))
    assert cells["Level"] == "Outcome"
    assert cells["Actual"] == oc3["actual"]
    assert cells["Follow-up: people asked"] == response["invited"]
    assert cells["Follow-up: people who answered"] == response["respondents"]
    assert cells["Follow-up: response rate (%)"] == response["rate"]

    with zipfile.ZipFile(io.BytesIO(render(data, "csv").content)) as archive:
        text = "\n".join(archive.read(n).decode("utf-8-sig") for n in archive.namelist())
    line = next(line for line in text.splitlines() if line.startswith("OC3,") and "Outcome" in line)
    assert f",{response['invited']},{response['respondents']}," in line

    sentence = f"{response['respondents']} of {response['invited']} people asked answered"
    doc = Document(io.BytesIO(render(data, "docx").content))
    texts = [c.text for t in doc.tables for r in t.rows for c in r.cells]
    assert any(sentence in t.replace("\u00a0", " ") for t in texts)

    pdf = subprocess.run(
        ["pdftotext", "-", "-"],
        input=render(data, "pdf").content,
        capture_output=True,
        check=True,
    ).stdout.decode()
    assert sentence in " ".join(pdf.replace("\u00a0", " ").split())

    # A quarter in which nobody was asked: no response to show (empty cells, no sentence).
    q3 = _report(*periods.quarter(2024, 3)[1:], "2024Q3")
    assert next(r for r in q3.indicators if r["code"] == "OC3")["response"] is None


def test_outcomes_are_published_in_iati_as_outcome_results(demo):
    data = _report(Q4.start, Q4.end, "2024Q4")
    xml = etree.fromstring(render(data, "iati").content)
    titles = {
        ind.findtext("title/narrative").split()[0].strip(":."): result.get("type")
        for result in xml.iter("result")
        for ind in result.iter("indicator")
    }
    assert titles["OC3"] == titles["OC4"] == titles["OC5"] == "2"  # IATI ResultType 2: outcome
    assert titles["OP1"] == "1"
    oc3 = next(
        ind for ind in xml.iter("indicator") if ind.findtext("title/narrative").startswith("OC3")
    )
    assert oc3.get("measure") == "2"  # a percentage
    q4 = next(
        p for p in oc3.iter("period") if p.find("period-start").get("iso-date") == "2024-10-01"
    )
    total = next(a for a in q4.findall("actual") if a.find("dimension") is None)
    expected = next(r for r in data.indicators if r["code"] == "OC3")["actual"]
    assert float(total.get("value")) == expected


def test_the_rules_are_registered_as_outcome_rules_from_the_followup_app():
    for code in OUTCOME_RULES:
        rule = RULES[code]
        assert rule.level == "outcome" and rule.unit == "percent" and rule.method == "ratio"
        assert rule.function.__module__ == "followup.outcomes"
        assert set(rule.offers) == {"sex", "age_band", "region", "category", "disability"}
    form = IndicatorForm(
        data={
            "programme": _demo_or_new().pk,
            "code": "oc9",
            "name": "Applied",
            "level": "output",
            "unit": "percent",
            "rule": "applied_3m_pct",
            "baseline": "0",
            "order": "10",
            "categories": ["akimat"],
        }
    )
    assert not form.is_valid()
    assert "level" in form.errors
    assert "categories" not in form.errors  # people filters apply to these rules


def _demo_or_new() -> Programme:
    return Programme.objects.filter(is_active=True).order_by("pk").first()


def test_neet_categories_default_and_can_be_narrowed(demo):
    neet = ParticipantCategory.objects.get(code="neet")
    everyone = RULES["neet_in_eet_3m_pct"].compute(None, Q4.start, Q4.end, {})
    named = RULES["neet_in_eet_3m_pct"].compute(None, Q4.start, Q4.end, {"categories": ["neet"]})
    assert everyone == named
    assert set(everyone.disaggregations["category"]) == {neet.code}


def test_each_figure_is_one_query_whatever_the_breakdowns(demo, django_assert_num_queries):
    programme = _demo().pk
    for code in OUTCOME_RULES:
        with django_assert_num_queries(1):
            RULES[code].compute(None, Q4.start, Q4.end, {"programme": programme})


def test_an_outcome_rule_is_published_as_an_outcome_whatever_level_was_stored(followed_up):
    """The form refuses another level; an indicator stored otherwise (admin, an import) is still
    reported and published at the level its rule gives."""
    programme, _event, _people = followed_up
    Indicator.objects.create(
        programme=programme,
        code="OP9",
        name="Applied the skills, stored as an output",
        level="output",
        unit="percent",
        method="ratio",
        rule="applied_3m_pct",
    )
    data = build_report_data(
        start=Q4.start, end=Q4.end, language="en", period_label="2024Q4", programme=programme
    )
    row = next(r for r in data.indicators if r["code"] == "OP9")
    assert (row["level"], row["level_label"]) == ("outcome", "Outcome")
    xml = etree.fromstring(render(data, "iati").content)
    (result,) = [r for r in xml.iter("result") if r.find("indicator") is not None]
    assert result.get("type") == "2"
    assert result.find("indicator/title/narrative").text.startswith("OP9")


def test_an_answer_coming_in_makes_the_report_be_built_again(followed_up):
    """A report run is reused while its inputs hash is the same: a follow-up answer given
    after a report was built changes it (reports.indicators.register_fingerprint)."""
    programme, event, people = followed_up
    before = inputs_hash(
        start=Q4.start, end=Q4.end, region_ids=None, language="en", programme=programme
    )
    unanswered = Invitation.objects.filter(event=event, answered_at__isnull=True).first()
    Invitation.objects.filter(pk=unanswered.pk).update(
        answers={"applied": "yes"}, answered_at=timezone.now()
    )
    after = inputs_hash(
        start=Q4.start, end=Q4.end, region_ids=None, language="en", programme=programme
    )
    assert before != after
