"""The catalogue of rules that compute an indicator's actual value from the data.

Every rule is a handful of aggregate queries (COUNT DISTINCT, AVG, GROUP BY) over the events
of a scope and a period: the database does the counting, Python never loops over rows. People
are counted once (distinct participants), never once per enrolment or attendance.

A rule is called as `rule.compute(scope, start, end, params)` (a Scope; None or region ids
are read as `Scope.for_regions`) and returns a
RuleResult: the exact total and its disaggregations (e.g. {"sex": {"F": 12, "M": 9}}).
Suppressing small cells is NOT done here: that is reports/disclosure.py's job.

Conventions (also written out in the report's annex, see RULES[code].explanation):
- scope: an event belongs to the scope when it is held in one of the regions (event region);
- period: a person is reached when they attended a session dated within the period; events,
  feedback, tests and partners count when the event starts within the period;
- "held" events are those marked held or reported (planned events are not counted);
- disaggregation by region of people uses the person's home region (each person once).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import (
    Avg,
    Case,
    Count,
    Q,
    QuerySet,
    Value,
    When,
)
from django.utils.translation import gettext_lazy as _

from accounts.scope import Scope
from participants import aggregates
from participants.models import AGE_BANDS, Assessment, Attendance, Feedback, Participant
from regions.models import PartnerOrganisation
from trainings.models import Session, TrainingEvent

from . import numbers

HELD = (TrainingEvent.Status.HELD, TrainingEvent.Status.REPORTED)

# Disaggregations a rule may offer; an indicator chooses among them.
DISAGGREGATIONS = {
    "sex": _("sex"),
    "age_band": _("age band"),
    "region": _("region"),
    "category": _("category"),
    "event_type": _("event type"),
    "partner_type": _("partner type"),
}


@dataclass(frozen=True)
class RuleResult:
    """The exact total of a rule and its breakdowns (dimension -> key -> value).

    `is_count` says whether the values are counts of people/things (small cells are then
    suppressed) or rates/means; for rates and means `bases` holds the number of respondents
    behind each value, so small groups can be hidden too."""

    total: int | float | None
    disaggregations: dict[str, dict[str, int | float | None]] = field(default_factory=dict)
    is_count: bool = True
    base: int | None = None
    bases: dict[str, dict[str, int]] = field(default_factory=dict)


@dataclass(frozen=True)
class Rule:
    code: str
    label: Any
    unit: str
    function: Callable[..., RuleResult]
    explanation: Any
    offers: tuple[str, ...] = ()
    params_help: Any = ""

    def compute(self, scope, start: date, end: date, params: dict | None = None) -> RuleResult:
        return self.function(as_scope(scope), start, end, params or {})


# Scope and filters ----------------------------------------------------------------------------


def as_scope(scope_or_region_ids) -> Scope:
    """The Scope a rule counts over: a Scope as it is; None (every region) or region ids as
    `Scope.for_regions` (a stored report run, the command line)."""
    if isinstance(scope_or_region_ids, Scope):
        return scope_or_region_ids
    return Scope.for_regions(scope_or_region_ids)


def _as_list(value) -> list[str]:
    if value in (None, "", []):
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value]


def params_event_filter(params: dict, prefix: str = "") -> Q:
    """Events narrowed by the rule's params: event_types, regions (ISO codes)."""
    q = Q()
    types = _as_list(params.get("event_types") or params.get("event_type"))
    if types:
        q &= Q(**{f"{prefix}event_type__in": types})
    codes = _as_list(params.get("regions") or params.get("region"))
    if codes:
        q &= Q(**{f"{prefix}region__code__in": codes})
    return q


def event_filter(scope: Scope, params: dict, prefix: str = "") -> Q:
    """Events of the scope, narrowed by the rule's params (`params_event_filter`)."""
    return scope.region_q(f"{prefix}region") & params_event_filter(params, prefix)


def person_filter(params: dict, prefix: str = "") -> Q:
    """People narrowed by the rule's params: categories (codes), category_group, sex."""
    q = Q()
    cats = _as_list(params.get("categories") or params.get("category"))
    if cats:
        q &= Q(**{f"{prefix}category__code__in": cats})
    groups = _as_list(params.get("category_groups") or params.get("category_group"))
    if groups:
        q &= Q(**{f"{prefix}category__group__in": groups})
    sexes = _as_list(params.get("sex"))
    if sexes:
        q &= Q(**{f"{prefix}sex__in": sexes})
    return q


def held_events(scope: Scope, start: date, end: date, params: dict) -> QuerySet[TrainingEvent]:
    """Events of the scope held (or reported) that start within the period."""
    return TrainingEvent.objects.filter(
        event_filter(scope, params), status__in=HELD, start_date__range=(start, end)
    )


def _attendance_params(params: dict) -> tuple[Q, Q]:
    return (
        params_event_filter(params, "session__event__"),
        person_filter(params, "enrolment__participant__"),
    )


def attendance_in(scope: Scope, start: date, end: date, params: dict) -> QuerySet[Attendance]:
    """Attendance at sessions dated within the period, at events of the scope, narrowed by the
    rule's params (participants.aggregates.attendance_in)."""
    return aggregates.attendance_in(scope, start, end, *_attendance_params(params))


def people_reached_qs(scope: Scope, start: date, end: date, params: dict) -> QuerySet[Participant]:
    """The people reached in the period and scope, each once (participants.aggregates), among
    those the rule's params select."""
    return aggregates.people_reached_qs(scope, start, end, *_attendance_params(params))


def age_band_expression(on_year: int, field_name: str = "birth_year") -> Case:
    """The AGE_BANDS label of a person, computed in the database for the year `on_year`."""
    whens = [
        When(
            **{f"{field_name}__gte": on_year - high, f"{field_name}__lte": on_year - low},
            then=Value(label),
        )
        for low, high, label in AGE_BANDS
    ]
    return Case(*whens, default=Value("unknown"))


def _grouped(qs: QuerySet, key: str, measure) -> dict[str, int]:
    rows = qs.order_by().values(key).annotate(n=measure).values_list(key, "n")
    return {str(k) if k is not None else "unknown": n for k, n in rows}


PEOPLE_DIMENSIONS = {
    "sex": "sex",
    "region": "region__code",
    "category": "category__code",
}


def people_by(qs: QuerySet[Participant], dimension: str, end: date) -> dict[str, int]:
    """Unique people of `qs` grouped by a dimension (one GROUP BY query)."""
    if dimension == "age_band":
        qs = qs.annotate(band=age_band_expression(end.year))
        return _grouped(qs, "band", Count("pk"))
    return _grouped(qs, PEOPLE_DIMENSIONS[dimension], Count("pk"))


PEOPLE_CUBE_KEYS = ("sex", "region", "category", "age_band")


def people_cube(qs: QuerySet[Participant], end: date) -> list[tuple[str, str, str, str, int]]:
    """Unique people of `qs` counted by (sex, region, category, age band) in ONE GROUP BY.

    Each person falls in exactly one cell, so sums over the cells are exact unique counts: the
    totals and every one-way breakdown follow from these (at most a few thousand) cells without
    scanning the people again."""
    rows = (
        qs.order_by()
        .annotate(band=age_band_expression(end.year))
        .values("sex", "region__code", "category__code", "band")
        .annotate(n=Count("pk"))
        .values_list("sex", "region__code", "category__code", "band", "n")
    )
    return [tuple("unknown" if v is None else str(v) for v in row[:4]) + (row[4],) for row in rows]


def cube_margin(cube, *dimensions: str) -> dict:
    """Sum the cube's cells over every key but `dimensions` (one key: str -> n; several:
    tuple -> n)."""
    index = [PEOPLE_CUBE_KEYS.index(d) for d in dimensions]
    out: dict = {}
    for row in cube:
        key = row[index[0]] if len(index) == 1 else tuple(row[i] for i in index)
        out[key] = out.get(key, 0) + row[4]
    return out


# Rules ----------------------------------------------------------------------------------------


def people_trained(scope, start: date, end: date, params: dict) -> RuleResult:
    cube = people_cube(people_reached_qs(scope, start, end, params), end)
    dims = {d: cube_margin(cube, d) for d in ("sex", "age_band", "region", "category")}
    return RuleResult(total=sum(row[4] for row in cube), disaggregations=dims)


def neet_reached(scope, start: date, end: date, params: dict) -> RuleResult:
    params = dict(params)
    if not (params.get("categories") or params.get("category")):
        params["categories"] = ["neet"]
    return people_trained(scope, start, end, params)


def events_held(scope, start: date, end: date, params: dict) -> RuleResult:
    events = held_events(scope, start, end, params)
    total = events.count()
    return RuleResult(
        total=total,
        disaggregations={
            "region": _grouped(events, "region__code", Count("pk")),
            "event_type": _grouped(events, "event_type", Count("pk")),
        },
    )


def sessions_delivered(scope, start: date, end: date, params: dict) -> RuleResult:
    sessions = Session.objects.filter(
        event_filter(scope, params, "event__"),
        event__status__in=HELD,
        date__range=(start, end),
    )
    return RuleResult(
        total=sessions.count(),
        disaggregations={
            "region": _grouped(sessions, "event__region__code", Count("pk")),
            "event_type": _grouped(sessions, "event__event_type", Count("pk")),
        },
    )


def _rate(part: int, whole: int) -> float | None:
    return numbers.rate(part, whole)


def attendance_rate(scope, start: date, end: date, params: dict) -> RuleResult:
    """Attendance records / (enrolled people x sessions) over the sessions of the period."""
    sessions = Session.objects.filter(
        event_filter(scope, params, "event__"),
        event__status__in=HELD,
        date__range=(start, end),
    )
    cats = person_filter(params, "event__enrolments__participant__")
    possible_q = sessions.filter(cats) if cats else sessions
    possible = possible_q.aggregate(n=Count("event__enrolments"))["n"]
    present = attendance_in(scope, start, end, params).filter(session__event__status__in=HELD)
    actual = present.count()
    by_region_possible = _grouped(possible_q, "event__region__code", Count("event__enrolments"))
    by_region_actual = _grouped(present, "session__event__region__code", Count("pk"))
    return RuleResult(
        total=_rate(actual, possible),
        disaggregations={
            "region": {
                k: _rate(by_region_actual.get(k, 0), n) for k, n in by_region_possible.items()
            }
        },
        is_count=False,
        base=possible,
        bases={"region": by_region_possible},
    )


def feedback_in(scope: Scope, start: date, end: date, params: dict) -> QuerySet[Feedback]:
    q = event_filter(scope, params, "event__")
    pf = person_filter(params, "enrolment__participant__")
    qs = Feedback.objects.filter(q, event__start_date__range=(start, end))
    return qs.filter(pf) if pf else qs


def feedback_satisfied_pct(scope, start: date, end: date, params: dict) -> RuleResult:
    """Share of feedback respondents whose overall satisfaction is 4 or 5 (of 5)."""
    threshold = int(params.get("threshold", aggregates.SATISFIED_FROM))
    fb = feedback_in(scope, start, end, params)
    satisfied = Count("pk", filter=Q(satisfaction__gte=threshold))
    totals = fb.aggregate(n=Count("pk"), ok=satisfied)
    disaggregations, bases = {}, {}
    for dim, key in (("region", "event__region__code"), ("event_type", "event__event_type")):
        rows = fb.order_by().values(key).annotate(n=Count("pk"), ok=satisfied)
        disaggregations[dim] = {r[key]: _rate(r["ok"], r["n"]) for r in rows}
        bases[dim] = {r[key]: r["n"] for r in rows}
    return RuleResult(
        total=_rate(totals["ok"], totals["n"]),
        disaggregations=disaggregations,
        is_count=False,
        base=totals["n"],
        bases=bases,
    )


def paired_tests(scope: Scope, start: date, end: date, params: dict) -> QuerySet[Assessment]:
    """Tests with both a pre and a post score, of events of the scope starting in the period."""
    return Assessment.objects.filter(
        event_filter(scope, params, "enrolment__event__"),
        person_filter(params, "enrolment__participant__"),
        aggregates.BOTH_SCORES,
        enrolment__event__start_date__range=(start, end),
    )


TEST_DIMENSIONS = {
    "region": "enrolment__event__region__code",
    "sex": "enrolment__participant__sex",
    "category": "enrolment__participant__category__code",
    "event_type": "enrolment__event__event_type",
}


def _round(value) -> float | None:
    return numbers.rounded(value, numbers.PLACES[numbers.POINTS])


def knowledge_gain_mean(scope, start: date, end: date, params: dict) -> RuleResult:
    """Mean of (post - pre) over people with both scores, in points of 100."""
    tests = paired_tests(scope, start, end, params)
    totals = tests.aggregate(n=Count("pk"), gain=Avg(aggregates.GAIN))
    disaggregations, bases = {}, {}
    for dim, key in TEST_DIMENSIONS.items():
        rows = tests.order_by().values(key).annotate(n=Count("pk"), gain=Avg(aggregates.GAIN))
        disaggregations[dim] = {r[key]: _round(r["gain"]) for r in rows}
        bases[dim] = {r[key]: r["n"] for r in rows}
    return RuleResult(
        total=_round(totals["gain"]),
        disaggregations=disaggregations,
        is_count=False,
        base=totals["n"],
        bases=bases,
    )


def knowledge_improved_pct(scope, start: date, end: date, params: dict) -> RuleResult:
    """Share of people with both scores whose post-test score beat their pre-test score."""
    tests = paired_tests(scope, start, end, params)
    improved = Count("pk", filter=aggregates.IMPROVED)
    totals = tests.aggregate(n=Count("pk"), ok=improved)
    disaggregations, bases = {}, {}
    for dim, key in TEST_DIMENSIONS.items():
        rows = tests.order_by().values(key).annotate(n=Count("pk"), ok=improved)
        disaggregations[dim] = {r[key]: _rate(r["ok"], r["n"]) for r in rows}
        bases[dim] = {r[key]: r["n"] for r in rows}
    return RuleResult(
        total=_rate(totals["ok"], totals["n"]),
        disaggregations=disaggregations,
        is_count=False,
        base=totals["n"],
        bases=bases,
    )


def partners_engaged(scope, start: date, end: date, params: dict) -> RuleResult:
    """Distinct partner organisations hosting or implementing events held in the period.
    params: partner_types (e.g. ["akimat", "yrc"]) narrows the kind of partner."""
    events = held_events(scope, start, end, params)
    partners = PartnerOrganisation.objects.filter(
        Q(pk__in=events.values("host_partners")) | Q(pk__in=events.values("implementing_partners"))
    )
    types = _as_list(params.get("partner_types") or params.get("partner_type"))
    if types:
        partners = partners.filter(type__in=types)
    return RuleResult(
        total=partners.count(),
        disaggregations={"partner_type": _grouped(partners, "type", Count("pk"))},
    )


PEOPLE_OFFERS = ("sex", "age_band", "region", "category")
PEOPLE_PARAMS = _(
    'Optional: {"categories": ["akimat", "yrc"]}, {"category_group": "police"}, '
    '{"event_types": ["training"]}, {"regions": ["KZ-47"]}'
)

RULES: dict[str, Rule] = {
    rule.code: rule
    for rule in [
        Rule(
            "people_trained",
            _("Unique people trained"),
            "people",
            people_trained,
            _(
                "Number of different people who attended at least one session dated within "
                "the period, at an event held in the report's regions. Each person is counted "
                "once however many events or sessions they attended. Optionally limited to "
                "participant categories, event types or regions."
            ),
            PEOPLE_OFFERS,
            PEOPLE_PARAMS,
        ),
        Rule(
            "neet_reached",
            _("NEET young people reached"),
            "people",
            neet_reached,
            _(
                "Number of different young people not in employment, education or training "
                "(category NEET) who attended at least one session within the period."
            ),
            PEOPLE_OFFERS,
            PEOPLE_PARAMS,
        ),
        Rule(
            "events_held",
            _("Events held"),
            "events",
            events_held,
            _(
                "Number of events (trainings, camps, workshops) marked held or reported that "
                "start within the period, in the report's regions."
            ),
            ("region", "event_type"),
            _('Optional: {"event_types": ["camp"]}, {"regions": ["KZ-47"]}'),
        ),
        Rule(
            "sessions_delivered",
            _("Sessions delivered"),
            "sessions",
            sessions_delivered,
            _("Number of sessions (days or modules) of held events dated within the period."),
            ("region", "event_type"),
            _('Optional: {"event_types": ["training"]}'),
        ),
        Rule(
            "attendance_rate",
            _("Attendance rate"),
            "percent",
            attendance_rate,
            _(
                "Attendance records divided by the attendance possible (people enrolled in an "
                "event times its sessions in the period), as a percentage."
            ),
            ("region",),
            PEOPLE_PARAMS,
        ),
        Rule(
            "feedback_satisfied_pct",
            _("Participants satisfied (%)"),
            "percent",
            feedback_satisfied_pct,
            _(
                "Share of feedback forms of events starting within the period whose overall "
                "satisfaction is 4 or 5 on a scale of 1 to 5. Each form is one respondent."
            ),
            ("region", "event_type"),
            _('Optional: {"threshold": 4}, {"event_types": ["training"]}'),
        ),
        Rule(
            "knowledge_gain_mean",
            _("Mean knowledge gain (points)"),
            "points",
            knowledge_gain_mean,
            _(
                "Mean difference between post-test and pre-test scores (0-100) of people who "
                "took both tests, at events starting within the period."
            ),
            ("region", "sex", "category", "event_type"),
            PEOPLE_PARAMS,
        ),
        Rule(
            "knowledge_improved_pct",
            _("People whose knowledge improved (%)"),
            "percent",
            knowledge_improved_pct,
            _(
                "Share of people who took both tests whose post-test score is higher than "
                "their pre-test score (paired comparison)."
            ),
            ("region", "sex", "category", "event_type"),
            PEOPLE_PARAMS,
        ),
        Rule(
            "partners_engaged",
            _("Partner organisations engaged"),
            "organisations",
            partners_engaged,
            _(
                "Number of different partner organisations that hosted or implemented at "
                "least one event held within the period."
            ),
            ("partner_type",),
            _('Optional: {"partner_types": ["akimat", "yrc", "police"]}'),
        ),
    ]
}


def rule_choices() -> list[tuple[str, Any]]:
    return [(code, rule.label) for code, rule in RULES.items()]


def compute(
    rule_code: str, scope, start: date, end: date, params: dict | None = None
) -> RuleResult:
    """The value of a catalogue rule; an unknown rule gives an empty result."""
    rule = RULES.get(rule_code)
    if rule is None:
        return RuleResult(total=None)
    return rule.compute(scope, start, end, params)


__all__ = [
    "DISAGGREGATIONS",
    "RULES",
    "Rule",
    "RuleResult",
    "compute",
    "people_reached_qs",
    "people_by",
    "people_cube",
    "cube_margin",
    "rule_choices",
    "held_events",
]
