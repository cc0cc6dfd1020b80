"""Every headline figure of a donor report equals the SQL of docs/indicator-definitions.md.

The SQL blocks are read out of the document itself, so the document and this test cannot
drift apart. Two programmes share one database: the demo (August 2024) and a synthetic one
(mostly 2026), plus a few events made here to put each definition on the spot (an event that
starts in one quarter and ends in the next, a planned event with attendance, anonymous and
duplicate feedback forms, tests with one score, partners, people who attended too little to
complete, a 2024 event of the synthetic programme next to the demo's). For each programme and
several periods the report's summary and every indicator row (period, year to date, life of
programme) are compared with the queries, number for number.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from demo import synthetic
from demo.seed import PROGRAMME_CODE as DEMO_CODE
from participants.models import (
    Assessment,
    Attendance,
    Enrolment,
    Feedback,
    Participant,
)
from regions.models import PartnerOrganisation, Region
from reports import numbers
from reports.builder import build_report_data
from reports.disclosure import COMPLEMENT, SUPPRESSED, is_small
from reports.indicators import RULES
from reports.models import Indicator
from trainings.models import ActivityLine, Programme, Session, TrainingEvent

pytestmark = pytest.mark.django_db

DOC = Path(settings.BASE_DIR) / "docs" / "indicator-definitions.md"
BLOCK = re.compile(r"^```sql ([\w.]+)\n(.*?)^```", re.MULTILINE | re.DOTALL)
SUMMARY = (
    "people",
    "women",
    "men",
    "events",
    "sessions",
    "partners",
    "respondents",
    "satisfied_pct",
    "knowledge_gain",
    "people_tested",
    "tests",
)
# Disclosure control may show a summary figure as "<5": women and men, which are a breakdown of
# the people, when 1-4 (or "x", withheld beside such a one); a rate or a mean when it stands on
# 1-4 forms or tests.
SUMMARY_BASE = {
    "women": "women",
    "men": "men",
    "satisfied_pct": "respondents",
    "knowledge_gain": "tests",
}
METHOD = {
    "people_trained": "unique",
    "neet_reached": "unique",
    "partners_engaged": "unique",
    "events_held": "sum",
    "sessions_delivered": "sum",
    "attendance_rate": "ratio",
    "feedback_satisfied_pct": "ratio",
    "knowledge_improved_pct": "ratio",
    "knowledge_gain_mean": "mean",
}
NO_FILTERS = {
    "event_types": None,
    "activity_lines": None,
    "region_codes": None,
    "categories": None,
    "category_group": None,
    "sex": None,
    "partner_types": None,
    "threshold": None,
    "completion": None,
    "completion_percent": None,
}


def definitions() -> dict[str, str]:
    return dict(BLOCK.findall(DOC.read_text(encoding="utf-8")))


def test_every_rule_and_summary_figure_has_its_sql():
    blocks = definitions()
    assert set(RULES) <= set(blocks), set(RULES) - set(blocks)
    assert {f"summary.{key}" for key in SUMMARY} <= set(blocks)
    assert set(blocks) <= set(RULES) | {f"summary.{key}" for key in SUMMARY}, "unknown block"
    for name, sql in blocks.items():
        # One value per query; a literal percent sign would break the driver's placeholders.
        assert "%" not in re.sub(r"%\(\w+\)s", "", sql), name
        assert "%(programme)s" in sql and "%(start)s" in sql and "%(end)s" in sql, name


# SQL side -------------------------------------------------------------------------------------


def run(sql: str, params: dict):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    assert len(rows) == 1 and len(rows[0]) == 1, rows
    return rows[0][0]


def _list(value) -> list[str] | None:
    if value in (None, "", []):
        return None
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()] or None
    return [str(v) for v in value]


def indicator_params(ind: Indicator) -> dict:
    """An indicator's filters as the SQL's parameters (the aliases the rule form accepts)."""
    p = ind.rule_params or {}
    threshold = p.get("threshold")
    return {
        "event_types": _list(p.get("event_types") or p.get("event_type")),
        "activity_lines": _list(p.get("activity_lines") or p.get("activity_line")),
        "region_codes": _list(p.get("regions") or p.get("region")),
        "categories": _list(p.get("categories") or p.get("category")),
        "category_group": _list(p.get("category_group") or p.get("category_groups")),
        "sex": _list(p.get("sex")),
        "partner_types": _list(p.get("partner_types") or p.get("partner_type")),
        "threshold": None if threshold in (None, "") else int(threshold),
        "completion": ind.completion,
        "completion_percent": ind.completion_percent,
    }


def same(report, sql) -> bool:
    """The report's figure is the query's value: None is NULL, numbers compare as decimals
    (the report stores rates rounded half up to one place, the SQL rounds the same way)."""
    if sql is None or report is None:
        return sql is None and report is None
    if not numbers.is_number(report):
        return False
    return numbers.to_decimal(report) == Decimal(sql)


def disagreements(data, programme: Programme, start, end, region_ids) -> list[str]:
    """Every figure of `data` that is not what the document's SQL gives, in words."""
    blocks = definitions()
    base = NO_FILTERS | {
        "programme": programme.pk,
        "start": start,
        "end": end,
        "regions": sorted(region_ids) if region_ids else None,
    }
    where = f"{programme.code} {start}..{end} regions={base['regions'] or 'all'}"
    out = []
    expected = {key: run(blocks[f"summary.{key}"], base) for key in SUMMARY}
    for key in SUMMARY:
        shown, sql = data.summary.get(key, "(missing)"), expected[key]
        withheld = key in SUMMARY_BASE and (
            (shown == SUPPRESSED and is_small(expected[SUMMARY_BASE[key]]))
            # "x": withheld so that a "<5" beside it cannot be worked out (secondary
            # suppression); only the breakdown of people by sex has one.
            or (shown == COMPLEMENT and key in ("women", "men"))
        )
        if not (withheld or same(shown, sql)):
            out.append(f"{where}: summary.{key}: SQL {sql!r}, report {shown!r}")

    indicators = {i.code: i for i in Indicator.objects.filter(programme=programme)}
    assert {row["code"] for row in data.indicators} == set(indicators)
    # The period's value, the year to date and the life of programme: one definition, three
    # first days.
    spans = {"actual": start, "ytd": dt.date(end.year, 1, 1), "lop": programme.start_date}
    for row in data.indicators:
        ind = indicators[row["code"]]
        params = base | indicator_params(ind)
        for column, first_day in spans.items():
            sql = run(blocks[ind.rule], params | {"start": first_day})
            if column == "actual":
                shown = row["actual"]
            else:
                shown = row[column]["actual"] if column in row else "(missing)"
            if not same(shown, sql):
                out.append(
                    f"{where}: {ind.code} {ind.rule} {ind.rule_params} "
                    f"completion={ind.completion}/{ind.completion_percent} {column} "
                    f"({first_day}..{end}): SQL {sql!r}, report {shown!r}"
                )
    return out


# Data -----------------------------------------------------------------------------------------


def _event(programme, line, kind, start, end, region, status=TrainingEvent.Status.REPORTED):
    event = TrainingEvent.objects.create(
        programme=programme,
        activity_line=line,
        title=f"Definitions check: {kind} {start}",
        event_type=kind,
        start_date=start,
        end_date=end,
        region=region,
        status=status,
    )
    day, sessions = start, []
    while day <= end:
        sessions.append(Session.objects.create(event=event, date=day, title=f"Day {day}"))
        day += dt.timedelta(days=1)
    return event, sessions


def _roster(event, sessions, people, attended: list[int]) -> list[Enrolment]:
    """Enrol `people`; the i-th attends the first attended[i] sessions."""
    enrolments = []
    for person, n in zip(people, attended, strict=True):
        enrolment = Enrolment.objects.create(participant=person, event=event)
        for session in sessions[:n]:
            Attendance.objects.create(enrolment=enrolment, session=session)
        enrolments.append(enrolment)
    return enrolments


def _form(event, enrolment, satisfaction, *, duplicate=False) -> Feedback:
    return Feedback.objects.create(
        event=event,
        enrolment=enrolment,
        satisfaction=satisfaction,
        relevance=satisfaction,
        usefulness=satisfaction,
        intent_to_apply=satisfaction,
        source=Feedback.Source.PAPER,
        is_duplicate=duplicate,
    )


def _tests(enrolments, scores) -> None:
    for enrolment, (pre, post) in zip(enrolments, scores, strict=True):
        Assessment.objects.create(
            enrolment=enrolment,
            pre_score=None if pre is None else Decimal(pre),
            post_score=None if post is None else Decimal(post),
        )


def _indicators(programme: Programme, region_code: str) -> None:
    specs = [
        ("S01", "people_trained", {}, "reached", 80),
        ("S02", "people_trained", {"categories": ["neet", "yrc"], "sex": "F"}, "reached", 80),
        ("S03", "people_trained", {"category_group": "police"}, "completed", 80),
        ("S04", "people_trained", {"activity_lines": ["SYN-2"]}, "completed", 100),
        ("S05", "neet_reached", {"activity_lines": ["SYN-1", "SYN-2"]}, "reached", 80),
        ("S06", "neet_reached", {}, "completed", 80),
        ("S07", "events_held", {"event_types": ["training"]}, "reached", 80),
        ("S08", "events_held", {"regions": [region_code]}, "reached", 80),
        ("S09", "sessions_delivered", {"activity_lines": ["SYN-2", "SYN-3"]}, "reached", 80),
        ("S10", "attendance_rate", {}, "reached", 80),
        ("S11", "attendance_rate", {"categories": ["akimat", "yrc", "theologian"]}, "reached", 80),
        ("S12", "feedback_satisfied_pct", {}, "reached", 80),
        (
            "S13",
            "feedback_satisfied_pct",
            {"threshold": 5, "event_types": ["training"]},
            "reached",
            80,
        ),
        ("S14", "feedback_satisfied_pct", {"sex": "M"}, "reached", 80),
        ("S15", "knowledge_gain_mean", {"event_types": ["training", "workshop"]}, "reached", 80),
        ("S16", "knowledge_gain_mean", {"category_group": "police"}, "reached", 80),
        ("S17", "knowledge_improved_pct", {}, "reached", 80),
        ("S18", "knowledge_improved_pct", {"activity_lines": ["SYN-2"]}, "reached", 80),
        ("S19", "partners_engaged", {}, "reached", 80),
        ("S20", "partners_engaged", {"partner_types": ["akimat"]}, "reached", 80),
    ]
    for order, (code, rule, params, completion, percent) in enumerate(specs):
        Indicator.objects.create(
            programme=programme,
            code=code,
            name=f"{rule} {params}",
            level=Indicator.Level.OUTPUT,
            unit=RULES[rule].unit,
            rule=rule,
            rule_params=params,
            order=order,
            method=METHOD[rule],
            completion=completion,
            completion_percent=percent,
        )


@pytest.fixture
def programmes(demo):
    """The demo programme and a synthetic one, with the cases each definition hinges on."""
    synthetic.generate(participants=400, events=40, seed=15, progress=None)
    demo_programme = Programme.objects.get(code=DEMO_CODE)
    syn = Programme.objects.get(code=synthetic.PROGRAMME_CODE)
    syn.start_date = dt.date(2024, 7, 1)  # life of programme != year to date
    syn.save(update_fields=["start_date"])
    line = {a.code: a for a in ActivityLine.objects.filter(programme=syn)}
    people = list(
        Participant.objects.filter(organisation_name=synthetic.SYNTHETIC_MARK).order_by("pk")
    )
    demo_people = list(
        Participant.objects.exclude(organisation_name=synthetic.SYNTHETIC_MARK).order_by("pk")[:2]
    )
    mangystau = Region.objects.get(code="KZ-47")
    region = Region.objects.exclude(code="KZ-47").order_by("code").first()
    P = PartnerOrganisation
    akimat = P.objects.create(name="Definitions akimat", type=P.Type.AKIMAT)
    akimat_2 = P.objects.create(name="Definitions akimat 2", type=P.Type.AKIMAT)
    yrc = P.objects.create(name="Definitions YRC", type=P.Type.YRC)
    ngo = P.objects.create(name="Definitions NGO", type=P.Type.NGO)
    police = P.objects.create(name="Definitions police", type=P.Type.POLICE)

    # 2024Q3, beside the demo: two demo people come too, and the demo's akimat hosts it.
    shared, days = _event(
        syn, line["SYN-1"], "workshop", dt.date(2024, 8, 20), dt.date(2024, 8, 21), mangystau
    )
    shared.host_partners.add(
        P.objects.get(type=P.Type.AKIMAT, region=mangystau, name__startswith="Akimat of Mangystau")
    )
    roster = _roster(shared, days, people[:6] + demo_people, [2, 2, 2, 1, 2, 2, 2, 1])
    for enrolment, sat in zip(roster[:4], [5, 4, 3, 2], strict=True):
        _form(shared, enrolment, sat)
    _form(shared, None, 5)
    _tests(roster[:4], [(40, 60), (50, 50), (55, 45), (30, 70)])

    # 2025Q4: only in the life of the programme.
    earlier, days = _event(
        syn, line["SYN-3"], "training", dt.date(2025, 11, 10), dt.date(2025, 11, 11), region
    )
    _roster(earlier, days, people[10:15], [2, 1, 2, 2, 1])
    earlier.implementing_partners.add(ngo)

    # Starts in 2026Q2, ends in 2026Q3: all of it belongs to Q3.
    across, days = _event(
        syn, line["SYN-2"], "training", dt.date(2026, 6, 29), dt.date(2026, 7, 2), region
    )
    roster = _roster(across, days, people[20:28], [4, 4, 3, 2, 1, 0, 4, 4])
    across.host_partners.add(akimat)
    across.implementing_partners.add(akimat, yrc)
    for enrolment, sat in zip(roster[:3], [5, 4, 2], strict=True):
        _form(across, enrolment, sat)
    _form(across, None, 1)  # anonymous
    _form(across, None, 1, duplicate=True)
    _form(across, roster[6], 1, duplicate=True)
    _tests(roster[:6], [(40, 60), (70, 60), (50, 50), (35, 80), (45, None), (None, 90)])

    # Planned, with attendance, forms and tests recorded: none of it counts.
    planned, days = _event(
        syn,
        line["SYN-1"],
        "training",
        dt.date(2026, 8, 3),
        dt.date(2026, 8, 4),
        region,
        status=TrainingEvent.Status.PLANNED,
    )
    roster = _roster(planned, days, people[30:33], [2, 2, 1])
    planned.host_partners.add(ngo)
    _form(planned, roster[0], 1)
    _tests(roster[:1], [(90, 10)])

    # Starts in 2026Q3, ends in 2026Q4: none of it belongs to Q3.
    later, days = _event(
        syn, line["SYN-3"], "camp", dt.date(2026, 9, 29), dt.date(2026, 10, 2), mangystau
    )
    roster = _roster(later, days, people[35:39], [4, 3, 2, 4])
    later.host_partners.add(police)
    _form(later, roster[0], 2)
    _tests(roster[:2], [(10, 90), (20, 95)])

    # An ordinary synthetic event of 2026Q3 gets partners too (one shared with `across`).
    ordinary = (
        TrainingEvent.objects.filter(
            programme=syn,
            status__in=["held", "reported"],
            end_date__range=(dt.date(2026, 7, 3), dt.date(2026, 9, 28)),
        )
        .order_by("end_date", "pk")
        .first()
    )
    ordinary.host_partners.add(akimat_2)
    ordinary.implementing_partners.add(yrc)

    _indicators(syn, region.code)
    return {"demo": demo_programme, "synthetic": syn, "region": region, "mangystau": mangystau}


def _build(programme, label, start, end, region_ids=None):
    return build_report_data(
        start=start,
        end=end,
        region_ids=region_ids,
        language="en",
        period_label=label,
        programme=programme,
    )


def _q(year: int, quarter: int) -> tuple[str, dt.date, dt.date]:
    start = dt.date(year, 3 * quarter - 2, 1)
    end = (dt.date(year + quarter // 4, (3 * quarter) % 12 + 1, 1)) - dt.timedelta(days=1)
    return f"{year}Q{quarter}", start, end


# Each programme: a quarter with its data (all regions and one region), a quarter whose data is
# the other programme's, and quarters the date rule decides.
CASES = {
    "demo": [
        (_q(2024, 3), None),
        (_q(2024, 3), "mangystau"),
        (_q(2024, 4), None),  # its only event is planned; the year to date is Q3's
        (_q(2026, 3), None),  # the synthetic programme's quarter
        (_q(2025, 1), None),  # no data at all
    ],
    "synthetic": [
        (_q(2026, 3), None),
        (_q(2026, 3), "region"),
        (_q(2026, 2), None),  # part of `across`'s sessions, none of its figures
        (_q(2026, 4), None),  # `later`
        (_q(2024, 3), None),  # the demo's quarter, and `shared`
        (_q(2025, 1), None),  # nothing in the period nor the year; the programme has some
    ],
}


@pytest.mark.postgres
@pytest.mark.parametrize("which", ["demo", "synthetic"])
def test_report_figures_equal_the_sql_of_the_definitions(programmes, which):
    programme = programmes[which]
    problems = []
    for (label, start, end), region_key in CASES[which]:
        region_ids = [programmes[region_key].pk] if region_key else None
        data = _build(programme, label, start, end, region_ids)
        problems += disagreements(data, programme, start, end, region_ids)
    assert not problems, "\n".join(problems)


@pytest.mark.postgres
def test_programmes_sharing_a_quarter_are_counted_apart(programmes):
    label, start, end = _q(2024, 3)
    blocks = definitions()
    counted = {}
    for which in ("demo", "synthetic"):
        programme = programmes[which]
        data = _build(programme, label, start, end)
        params = NO_FILTERS | {"programme": programme.pk, "start": start, "end": end}
        counted[which] = data.summary
        assert data.summary["people"] == run(blocks["summary.people"], params | {"regions": None})
        assert data.summary["events"] == run(blocks["summary.events"], params | {"regions": None})
    # Both have people in Mangystau that quarter, two of them the same people: a report that
    # mixed the programmes would show their union in both.
    assert counted["demo"] != counted["synthetic"]
    assert counted["demo"]["people"] > counted["synthetic"]["people"] > 0
