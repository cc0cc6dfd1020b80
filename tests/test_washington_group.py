"""The Washington Group Short Set (ADR 0024): optional registration questions kept as answers
with their own consent, one classification rule (checked on every combination of answers, in
Python and in the database), the "disability" breakdown of every people indicator counted and
suppressed like the others, and erasure that drops the answers but keeps the counts."""

from __future__ import annotations

import datetime as dt
import io
import itertools

import pytest
from django.db import connection
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import User
from participants.disability import DOMAINS, Answer, Status, classify, status_expression
from participants.models import DisabilityAnswers, Participant, ParticipantCategory
from participants.privacy import erase_person, export_person
from participants.services import enrol, record_attendance, record_disability_answers
from reports.builder import build_report_data
from reports.disclosure import COMPLEMENT, SUPPRESSED
from reports.indicators import RULES
from reports.renderers import render
from trainings.models import Programme, TrainingEvent

from .factories import EventFactory, ParticipantFactory, SessionFactory, region

pytestmark = pytest.mark.django_db

# Every answer a domain can hold: the four WG answers, "prefer not to say", not answered.
OPTIONS = [*Answer.values, None]
Q3 = (dt.date(2024, 7, 1), dt.date(2024, 9, 30))


def independent_status(answers) -> str:
    """The WG cut-off written another way: the worst answer decides (a lot of difficulty or
    cannot do at all = 2, no or some difficulty = 1, prefer not to say or nothing = 0)."""
    severity = {1: 1, 2: 1, 3: 2, 4: 2}
    worst = max(severity.get(a, 0) for a in answers)
    return {2: "with", 1: "without", 0: "unknown"}[worst]


def test_classification_on_every_combination_of_answers():
    combinations = list(itertools.product(OPTIONS, repeat=len(DOMAINS)))
    assert len(combinations) == 6**6  # includes the 4**6 of the WG answers alone
    for answers in combinations:
        assert classify(answers) == independent_status(answers), answers
    # The cases the rule names, spelled out.
    assert classify([1, 1, 1, 1, 1, 3]) == Status.WITH
    assert classify([4, 7, 7, 7, 7, 7]) == Status.WITH
    assert classify([2, 2, 2, 2, 2, 2]) == Status.WITHOUT
    assert classify([7, 7, 1, None, None, None]) == Status.WITHOUT
    assert classify([7] * 6) == Status.UNKNOWN
    assert classify([None] * 6) == Status.UNKNOWN


@pytest.mark.postgres
def test_the_database_classifies_every_combination_as_the_python_rule(demo):
    """Report counts use `status_expression`: on every combination of the five answers per
    domain it gives what `classify` gives; a record never asked is "not known"; an erased
    record gives the status it kept."""
    combinations = list(itertools.product(Answer.values, repeat=len(DOMAINS)))
    astana = region("KZ-71")
    category = ParticipantCategory.objects.get(code="akimat")
    people = Participant.objects.bulk_create(
        Participant(full_name=f"WG {i}", sex="F", region=astana, category=category)
        for i in range(len(combinations) + 4)
    )
    rows = [
        DisabilityAnswers(
            participant=person,
            consent_given_on=dt.date(2024, 8, 1),
            consent_version="wgss-1",
            **dict(zip(DOMAINS, answers, strict=True)),
        )
        for person, answers in zip(people, combinations, strict=False)
    ]
    kept = people[len(combinations) : len(combinations) + 3]
    for person, status in zip(kept, Status.values, strict=True):
        rows.append(
            DisabilityAnswers(
                participant=person,
                consent_given_on=dt.date(2024, 8, 1),
                consent_version="wgss-1",
                kept_status=status,
            )
        )
    DisabilityAnswers.objects.bulk_create(rows)
    never_asked = people[-1]

    found = dict(
        Participant.objects.filter(region=astana)
        .annotate(status=status_expression())
        .values_list("pk", "status")
    )
    for person, answers in zip(people, combinations, strict=False):
        assert found[person.pk] == independent_status(answers), answers
    for person, status in zip(kept, Status.values, strict=True):
        assert found[person.pk] == status
    assert found[never_asked.pk] == Status.UNKNOWN


# The registration form ------------------------------------------------------------------------


def _form(**overrides) -> dict:
    data = {
        "full_name": "Серікова Айгүл",
        "sex": "F",
        "birth_year": "1990",
        "region": str(region("KZ-47").pk),
        "category": str(ParticipantCategory.objects.get(code="akimat").pk),
        "organisation_name": "МРЦ Бейнеу",
        "consent_given": "on",
        "consent_method": "paper",
        "consent_date": "2024-08-13",
        "consent_version": "2024-1",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_the_registration_page_asks_the_questions_in_their_official_wording(client, login_as):
    event = EventFactory()
    login_as("coord.mangystau")
    html = client.get(reverse("participants:roster_new", args=[event.pk])).content.decode()
    assert 'id="disability-questions"' in html
    assert "Disability questions (Washington Group Short Set): optional" in html
    for text in (
        "Do you have difficulty seeing, even if wearing glasses?",
        "Do you have difficulty hearing, even if using a hearing aid?",
        "Do you have difficulty walking or climbing steps?",
        "Do you have difficulty remembering or concentrating?",
        "Do you have difficulty with self-care, such as washing all over or dressing?",
        "Using your usual language, do you have difficulty communicating, for example "
        "understanding or being understood?",
    ):
        assert text in html
    # Each question is a radio group with its own legend, five answers.
    assert html.count('type="radio" class="form-check-input"  name="wg_seeing"') == 5
    for answer in ("No difficulty", "Some difficulty", "A lot of difficulty", "Cannot do at all"):
        assert answer in html
    assert "Prefer not to say" in html
    assert html.count("<legend") >= 7  # the fieldset and the six questions


def test_answers_without_their_own_consent_are_refused_with_a_message(client, login_as):
    event = EventFactory()
    login_as("coord.mangystau")
    before = Participant.objects.count()
    response = client.post(
        reverse("participants:roster_new", args=[event.pk]),
        _form(wg_seeing="3", wg_hearing="1"),  # registration consent given, not this one
    )
    assert response.status_code == 200
    assert "kept only with the person&#x27;s consent to these questions" in (
        response.content.decode()
    )
    assert Participant.objects.count() == before


def test_prefer_not_to_say_without_consent_registers_and_keeps_nothing(client, login_as):
    event = EventFactory()
    login_as("coord.mangystau")
    response = client.post(
        reverse("participants:roster_new", args=[event.pk]),
        _form(**{f"wg_{d}": "7" for d in DOMAINS}),
    )
    assert response.status_code == 302
    person = Participant.objects.get(full_name="Серікова Айгүл")
    assert not DisabilityAnswers.objects.filter(participant=person).exists()


def test_answers_with_consent_are_kept_as_answers_and_can_be_withdrawn(client, login_as):
    event = EventFactory()
    login_as("coord.mangystau")
    answers = {"wg_seeing": "1", "wg_hearing": "2", "wg_mobility": "3", "wg_cognition": "7"}
    response = client.post(
        reverse("participants:roster_new", args=[event.pk]),
        _form(disability_consent="on", disability_consent_date="2024-08-13", **answers),
    )
    assert response.status_code == 302
    person = Participant.objects.get(full_name="Серікова Айгүл")
    row = DisabilityAnswers.objects.get(participant=person)
    assert [getattr(row, d) for d in DOMAINS] == [1, 2, 3, 7, None, None]
    assert row.consent_given_on == dt.date(2024, 8, 13) and row.consent_version == "wgss-1"
    assert row.status == Status.WITH and not row.kept_status  # a computed status, not stored

    # The edit page shows the answers held; unticking the consent withdraws it.
    edit = reverse("participants:person_edit", args=[person.pk])
    form = client.get(edit).context["form"]
    assert form.initial["wg_mobility"] == 3 and form.initial["disability_consent"] is True
    data = _form(**answers)  # the radios still checked, the consent unticked
    data.pop("consent_given")
    response = client.post(edit, data)
    assert response.status_code == 302
    assert not DisabilityAnswers.objects.filter(participant=person).exists()
    # No history row keeps an answer given without consent any more.
    assert not DisabilityAnswers.history.filter(id=row.pk, mobility__isnull=False).exists()

    # Answered again on the edit page, with consent.
    data = _form(disability_consent="on", wg_self_care="2")
    data.pop("consent_given")
    assert client.post(edit, data).status_code == 302
    assert DisabilityAnswers.objects.get(participant=person).status == Status.WITHOUT


# The breakdown in reports ---------------------------------------------------------------------


INDEPENDENT_SQL = """
WITH reached AS (
    SELECT DISTINCT en.participant_id AS id
    FROM participants_attendance AS a
    JOIN trainings_session AS s ON s.id = a.session_id
    JOIN trainings_trainingevent AS e ON e.id = s.event_id
    JOIN participants_enrolment AS en ON en.id = a.enrolment_id
    WHERE e.programme_id = %(programme)s
      AND e.status IN ('held', 'reported')
      AND e.end_date BETWEEN %(start)s AND %(end)s
),
worst AS (
    SELECT r.id, d.kept_status,
           GREATEST(
               CASE WHEN d.seeing IN (3, 4) THEN 2 WHEN d.seeing IN (1, 2) THEN 1 ELSE 0 END,
               CASE WHEN d.hearing IN (3, 4) THEN 2 WHEN d.hearing IN (1, 2) THEN 1 ELSE 0 END,
               CASE WHEN d.mobility IN (3, 4) THEN 2 WHEN d.mobility IN (1, 2) THEN 1 ELSE 0 END,
               CASE WHEN d.cognition IN (3, 4) THEN 2 WHEN d.cognition IN (1, 2) THEN 1 ELSE 0 END,
               CASE WHEN d.self_care IN (3, 4) THEN 2 WHEN d.self_care IN (1, 2) THEN 1 ELSE 0 END,
               CASE WHEN d.communication IN (3, 4) THEN 2
                    WHEN d.communication IN (1, 2) THEN 1 ELSE 0 END
           ) AS worst
    FROM reached AS r
    LEFT JOIN participants_disabilityanswers AS d ON d.participant_id = r.id
)
SELECT CASE WHEN kept_status <> '' THEN kept_status
            WHEN worst = 2 THEN 'with' WHEN worst = 1 THEN 'without' ELSE 'unknown' END,
       COUNT(*)
FROM worst GROUP BY 1
"""


def _independent_counts(programme: Programme, start, end) -> dict[str, int]:
    # SQLite's GREATEST is MAX with several arguments.
    sql = (
        INDEPENDENT_SQL
        if connection.vendor == "postgresql"
        else INDEPENDENT_SQL.replace("GREATEST(", "MAX(")
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, {"programme": programme.pk, "start": start, "end": end})
        return dict(cursor.fetchall())


def _demo_programme() -> Programme:
    return Programme.objects.get(code="PVE-KZ-JP")


def test_people_by_disability_match_an_independent_query(demo):
    programme = _demo_programme()
    expected = _independent_counts(programme, *Q3)
    # The demo gives the breakdown all three groups.
    assert set(expected) == {"with", "without", "unknown"} and min(expected.values()) >= 5
    result = RULES["people_trained"].compute(None, *Q3, {"programme": programme.pk})
    assert result.disaggregations["disability"] == expected
    assert sum(expected.values()) == result.total

    data = build_report_data(
        start=Q3[0], end=Q3[1], region_ids=None, language="en", period_label="2024Q3"
    )
    shown = {row["key"]: row["value"] for row in data.people["by_disability"]}
    assert shown == expected
    labels = [row["label"] for row in data.people["by_disability"]]
    assert labels == ["with disability", "without disability", "not known"]
    # Each demo people indicator shows the breakdown too (OP1-OP3).
    for row in data.indicators:
        if row["code"] in ("OP1", "OP2", "OP3"):
            assert "disability" in row["disaggregations"], row["code"]
    # And the XLSX annex has its table.
    workbook = load_workbook(io.BytesIO(render(data, "xlsx").content))
    assert "People by disability" in workbook.sheetnames


def _small_event(people_answers: list[int | None]) -> TrainingEvent:
    """A held Q3 2024 event of the demo programme in Astana (no demo event there) attended by
    one person per entry of `people_answers` (their mobility answer, consented; None: not
    asked)."""
    event = EventFactory(
        programme=_demo_programme(),
        region=region("KZ-71"),
        status=TrainingEvent.Status.HELD,
        title="Inclusive youth work (Astana)",
    )
    session = SessionFactory(event=event)
    for code in people_answers:
        person = ParticipantFactory(region=region("KZ-71"))
        record_attendance(enrolment=enrol(person=person, event=event), session=session)
        if code is None:
            continue
        record_disability_answers(
            person=person, answers={"mobility": code, "consent_date": dt.date(2024, 8, 1)}
        )
    return event


def test_small_cells_of_the_disability_breakdown_are_suppressed(demo):
    # 2 with disability, 7 without, 5 never asked.
    event = _small_event([3, 4, *[1] * 5, 2, 2, *[None] * 5])
    data = build_report_data(
        start=Q3[0],
        end=Q3[1],
        region_ids=[event.region_id],
        language="en",
        period_label="2024Q3",
    )
    assert data.people["total"] == 14
    shown = {row["key"]: row["value"] for row in data.people["by_disability"]}
    # 2 is "<5"; other counts are withheld too ("x"), or 14 - 7 - 5 would give the 2 away.
    assert shown["with"] == SUPPRESSED
    assert set(shown.values()) == {SUPPRESSED, COMPLEMENT}
    for ind in data.indicators:
        for row in ind["disaggregations"].get("disability", []):
            assert not (isinstance(row["value"], int) and 0 < row["value"] < 5), ind["code"]

    # A breakdown too small to protect is withheld whole.
    small = _small_event([3, 1, 1, 1, 1, 1])
    small.region = region("KZ-11")
    small.save()
    data = build_report_data(
        start=Q3[0],
        end=Q3[1],
        region_ids=[small.region_id],
        language="en",
        period_label="2024Q3",
    )
    shown = {row["key"]: row["value"] for row in data.people["by_disability"]}
    assert shown == {"with": COMPLEMENT, "without": COMPLEMENT}


def test_erasure_drops_the_answers_and_keeps_every_count(demo):
    admin = User.objects.get(username="admin")
    event = _small_event([3, 1, 1, 1, 1, 1, 1, 1, 4, 2])
    person = event.enrolments.filter(participant__disability_answers__mobility=3).get().participant
    row = DisabilityAnswers.objects.get(participant=person)

    def numbers():
        data = build_report_data(
            start=Q3[0], end=Q3[1], region_ids=None, language="en", period_label="2024Q3"
        )
        out = data.to_json()
        for key in ("generated_at", "inputs_hash", "quotes"):
            out.pop(key)
        return out

    before = numbers()
    counts_before = _independent_counts(_demo_programme(), *Q3)
    assert export_person(person)["disability_questions"]["answers"]["mobility"] == (
        "A lot of difficulty"
    )

    erase_person(person, admin, reason="Written request 2026-11-20 No. 10")

    row.refresh_from_db()
    assert [getattr(row, d) for d in DOMAINS] == [None] * 6
    assert row.kept_status == Status.WITH
    assert not DisabilityAnswers.history.filter(id=row.pk, mobility__isnull=False).exists()
    assert export_person(person)["disability_questions"]["answers"] == dict.fromkeys(DOMAINS)
    assert numbers() == before
    assert _independent_counts(_demo_programme(), *Q3) == counts_before
    # Erased, the answers cannot come back through the services either.
    record_disability_answers(person=person, answers={"seeing": 1})
    row.refresh_from_db()
    assert row.seeing is None and row.kept_status == Status.WITH


def test_the_dashboard_shows_people_reached_by_disability(login_as, demo):
    page = login_as("undp.staff").get("/")
    assert page.context["period"].key == "2024Q3"
    reach = page.context["reach"]
    # The demo's Q3 events are counted alike by the session date (dashboard) and by the end
    # date (report): the same people, so the same breakdown as the independent query.
    assert reach["by_disability"] == _independent_counts(_demo_programme(), *Q3)
    assert sum(reach["by_disability"].values()) == reach["total"]
    html = page.content.decode()
    assert "People reached by disability (Washington Group Short Set)" in html
    assert 'id="chart-disability-title"' in html


def test_answers_registered_offline_follow_the_same_consent_rule(client, login_as):
    from .test_offline_sync import register, sync

    event = EventFactory(start_date=dt.date(2026, 11, 30), end_date=dt.date(2026, 11, 30))
    login_as("coord.mangystau")
    refused = sync(client, [register("w1", event, wg_hearing="4")]).json()["results"][0]
    assert refused["status"] == "refused" and "consent to these questions" in refused["message"]
    applied = sync(
        client,
        [register("w2", event, wg_hearing="4", disability_consent="on")],
    ).json()["results"][0]
    assert applied["status"] == "applied", applied
    person = Participant.objects.get(full_name="Серикова Айгуль")
    assert DisabilityAnswers.objects.get(participant=person).status == Status.WITH


def test_merging_keeps_the_answers_of_the_record_that_had_them():
    from participants.services import merge_people

    keep, remove = ParticipantFactory(), ParticipantFactory()
    record_disability_answers(
        person=remove, answers={"seeing": 3, "consent_date": dt.date(2024, 8, 1)}
    )
    merge_people(keep=keep, remove=remove)
    assert DisabilityAnswers.objects.get(participant=keep).seeing == 3
