"""The catalogue of rules that compute an indicator's actual value from the data.

Every rule is a handful of aggregate queries (COUNT DISTINCT, AVG, GROUP BY) over the events
of a scope and a period: the database does the counting, Python never loops over rows. People
are counted once (distinct participants), never once per enrolment or attendance.

A rule is called as `rule.compute(scope, start, end, params)` (a Scope; None or region ids
are read as `Scope.for_regions`) and returns a
RuleResult: the exact total and its disaggregations (e.g. {"sex": {"F": 12, "M": 9}}).
Suppressing small cells is NOT done here: that is reports/disclosure.py's job.

Conventions (written out in the report's methodology annex and, with the SQL of every rule, in
docs/indicator-definitions.md):
- programme: every figure belongs to the report's programme (params["programme"]): its events,
  and the people, feedback and tests of its events;
- inclusion: only events marked held or reported count, for every figure (planned events are
  not counted; attendance on a past session makes an event held, see ADR 0010);
- date: an event, and everything that happened at it (its sessions, who attended, their
  feedback and tests), belongs to the period in which the event ENDS (ADR 0011), so an event
  from 29 September to 2 October is counted, with its people, once, in the fourth quarter;
- scope: an event belongs to the scope when it is held in one of the regions (event region);
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
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.lookups import GreaterThanOrEqual
from django.utils.translation import gettext_lazy as _

from accounts.scope import Scope
from participants import aggregates, disability
from participants.models import (
    AGE_BANDS,
    Assessment,
    Attendance,
    Enrolment,
    Feedback,
    Participant,
)
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
    "disability": _("disability (WG-SS)"),
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
    # For follow-up survey rules: the people asked and those who answered, so the response
    # rate is shown next to the figure ({"invited": n, "respondents": m}); None otherwise.
    response: dict[str, int] | None = None


UNIQUE, SUM, RATIO, MEAN = "unique", "sum", "ratio", "mean"  # Indicator.Method's values
REACHED, COMPLETED = "reached", "completed"  # Indicator.Completion's values
DEFAULT_COMPLETION_PERCENT = 80


@dataclass(frozen=True)
class Rule:
    """A rule of the catalogue. `method` says how its values aggregate (a unique count is never
    added up across periods; a ratio is numerator over denominator, never a mean of rates);
    `counts_people` rules may count people who completed an event instead of those reached."""

    code: str
    label: Any
    unit: str
    function: Callable[..., RuleResult]
    explanation: Any
    offers: tuple[str, ...] = ()
    params_help: Any = ""
    method: str = UNIQUE
    higher_is_better: bool = True
    counts_people: bool = False
    # The level (IATI result type) an indicator computed by this rule must have, "" for any;
    # registered outcome rules say "outcome".
    level: str = ""
    # Whether the rule can be limited to categories of people (rules of feature apps).
    filters_people: bool = False

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
    """Events narrowed by the rule's params: programme (id), event_types, activity_lines
    (codes), regions (ISO codes)."""
    q = Q()
    programme = params.get("programme")
    if programme not in (None, ""):
        q &= Q(**{f"{prefix}programme_id": int(programme)})
    types = _as_list(params.get("event_types") or params.get("event_type"))
    if types:
        q &= Q(**{f"{prefix}event_type__in": types})
    lines = _as_list(params.get("activity_lines") or params.get("activity_line"))
    if lines:
        q &= Q(**{f"{prefix}activity_line__code__in": lines})
    codes = _as_list(params.get("regions") or params.get("region"))
    if codes:
        q &= Q(**{f"{prefix}region__code__in": codes})
    return q


def counted_events_q(
    scope: Scope, start: date | None, end: date | None, params: dict, prefix: str = ""
) -> Q:
    """THE rule of what a report counts: events of the scope and the programme, narrowed by the
    rule's params, held or reported (the one inclusion rule), that END within the period (the
    one date rule). Every figure goes through it, with `prefix` the path to the event."""
    q = scope.region_q(f"{prefix}region") & params_event_filter(params, prefix)
    q &= Q(**{f"{prefix}status__in": HELD})
    if start:
        q &= Q(**{f"{prefix}end_date__gte": start})
    if end:
        q &= Q(**{f"{prefix}end_date__lte": end})
    return q


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
    """The counted events: held (or reported) events of the scope that end within the period."""
    return TrainingEvent.objects.filter(counted_events_q(scope, start, end, params))


def attendance_in(scope: Scope, start: date, end: date, params: dict) -> QuerySet[Attendance]:
    """Attendance at the sessions of the counted events, by the people the params select."""
    return Attendance.objects.filter(
        counted_events_q(scope, start, end, params, "session__event__"),
        person_filter(params, "enrolment__participant__"),
    )


def enrolments_attended(scope: Scope, start: date, end: date, params: dict) -> QuerySet[Enrolment]:
    """The enrolments of the counted events, of the people the params select, who attended at
    least one of the event's sessions: each (event, person) pair of `attendance_in` once. Read
    from the enrolments (one row per pair) with a semi-join to the attendance, rather than
    the attendance made distinct (2-3 rows per pair): the report's pairs 1.2 -> 0.7 s at the
    national data set. An attendance's session is one of its enrolment's event
    (Attendance.clean; every service and import takes the sessions of the enrolment's event),
    so the probe is the (enrolment, session) index alone: joining each probe to the sessions
    to check it again cost 2.7 of the people cube's 4.4 s at five times the data."""
    came = Attendance.objects.filter(enrolment=OuterRef("pk"))
    return Enrolment.objects.filter(
        counted_events_q(scope, start, end, params, "event__"),
        person_filter(params, "participant__"),
        Exists(came),
    )


def people_reached_qs(scope: Scope, start: date, end: date, params: dict) -> QuerySet[Participant]:
    """The people reached, each once: those the params select who attended at least one
    session of a counted event (a semi-join of the people to those enrolments)."""
    attended = enrolments_attended(scope, start, end, params).values("participant_id")
    return Participant.objects.filter(pk__in=attended)


def completion_percent(params: dict) -> int:
    try:
        value = int(params.get("completion_percent") or DEFAULT_COMPLETION_PERCENT)
    except (TypeError, ValueError):
        return DEFAULT_COMPLETION_PERCENT
    return min(max(value, 1), 100)


def people_completed_qs(
    scope: Scope, start: date, end: date, params: dict
) -> QuerySet[Participant]:
    """The people who completed a counted event, each once: at one event at least, they
    attended `completion_percent` % or more of the event's sessions."""
    percent = completion_percent(params)
    sessions = (
        Session.objects.filter(event=OuterRef("event"))
        .order_by()
        .values("event")
        .annotate(n=Count("pk"))
        .values("n")
    )
    completed = (
        Enrolment.objects.filter(
            counted_events_q(scope, start, end, params, "event__"),
            person_filter(params, "participant__"),
        )
        .annotate(attended=Count("attendances"), sessions=Subquery(sessions))
        .filter(sessions__gt=0)
        .filter(GreaterThanOrEqual(F("attended") * 100, F("sessions") * percent))
        .values("participant_id")
    )
    return Participant.objects.filter(pk__in=completed)


def people_qs(scope: Scope, start: date, end: date, params: dict) -> QuerySet[Participant]:
    """The people a people rule counts: those who completed an event when the params ask for
    it ("completion": "completed"), else those reached."""
    if params.get("completion") == COMPLETED:
        return people_completed_qs(scope, start, end, params)
    return people_reached_qs(scope, start, end, params)


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
    if dimension == "disability":
        qs = qs.annotate(wgss=disability.status_expression())
        return _grouped(qs, "wgss", Count("pk"))
    return _grouped(qs, PEOPLE_DIMENSIONS[dimension], Count("pk"))


PEOPLE_CUBE_KEYS = ("sex", "region", "category", "age_band", "disability")
N = len(PEOPLE_CUBE_KEYS)  # a cube row: the keys, then the number of people


def people_cube(qs: QuerySet[Participant], end: date) -> list[tuple]:
    """Unique people of `qs` counted by (sex, region, category, age band, disability status)
    in ONE GROUP BY (the status by participants.disability, the one classification rule).

    Each person falls in exactly one cell, so sums over the cells are exact unique counts: the
    totals and every one-way breakdown follow from these (at most a few thousand) cells without
    scanning the people again."""
    rows = (
        qs.order_by()
        .annotate(band=age_band_expression(end.year), wgss=disability.status_expression())
        .values("sex", "region__code", "category__code", "band", "wgss")
        .annotate(n=Count("pk"))
        .values_list("sex", "region__code", "category__code", "band", "wgss", "n")
    )
    return [tuple("unknown" if v is None else str(v) for v in row[:N]) + (row[N],) for row in rows]


def cube_margin(cube, *dimensions: str) -> dict:
    """Sum the cube's cells over every key but `dimensions` (one key: str -> n; several:
    tuple -> n)."""
    index = [PEOPLE_CUBE_KEYS.index(d) for d in dimensions]
    out: dict = {}
    for row in cube:
        key = row[index[0]] if len(index) == 1 else tuple(row[i] for i in index)
        out[key] = out.get(key, 0) + row[N]
    return out


# Rules ----------------------------------------------------------------------------------------

PEOPLE_OFFERS = ("sex", "age_band", "region", "category", "disability")


def people_trained(scope, start: date, end: date, params: dict) -> RuleResult:
    cube = people_cube(people_qs(scope, start, end, params), end)
    dims = {d: cube_margin(cube, d) for d in PEOPLE_OFFERS}
    return RuleResult(total=sum(row[N] for row in cube), disaggregations=dims)


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


def sessions_of_counted_events(scope: Scope, start: date, end: date, params: dict):
    """Every session of the counted events (whatever its own date: the event's end decides)."""
    return Session.objects.filter(counted_events_q(scope, start, end, params, "event__"))


def sessions_delivered(scope, start: date, end: date, params: dict) -> RuleResult:
    sessions = sessions_of_counted_events(scope, start, end, params)
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
    """Attendance records / (enrolled people x sessions) over the counted events' sessions."""
    sessions = sessions_of_counted_events(scope, start, end, params)
    cats = person_filter(params, "event__enrolments__participant__")
    possible_q = sessions.filter(cats) if cats else sessions
    possible = possible_q.aggregate(n=Count("event__enrolments"))["n"]
    present = attendance_in(scope, start, end, params)
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
    """The feedback forms of the counted events, one per person and event: a merged person's
    second form is kept but not counted (Feedback.is_duplicate). People filters go through the
    form's enrolment (an anonymous form is then left out)."""
    qs = Feedback.objects.filter(
        counted_events_q(scope, start, end, params, "event__"), is_duplicate=False
    )
    pf = person_filter(params, "enrolment__participant__")
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
    """Tests with both a pre and a post score (one pair per person and event), at the counted
    events, of the people the params select."""
    return Assessment.objects.filter(
        counted_events_q(scope, start, end, params, "enrolment__event__"),
        person_filter(params, "enrolment__participant__"),
        aggregates.BOTH_SCORES,
    )


TEST_DIMENSIONS = {
    "region": "enrolment__event__region__code",
    "sex": "enrolment__participant__sex",
    "category": "enrolment__participant__category__code",
    "event_type": "enrolment__event__event_type",
    "disability": "wgss",  # annotated: participants.disability.status_expression
}


def _tests_by(tests: QuerySet[Assessment], key: str) -> QuerySet:
    if key == "wgss":
        tests = tests.annotate(
            wgss=disability.status_expression("enrolment__participant__disability_answers__")
        )
    return tests.order_by().values(key)


def _round(value) -> float | None:
    return numbers.rounded(value, numbers.PLACES[numbers.POINTS])


def knowledge_gain_mean(scope, start: date, end: date, params: dict) -> RuleResult:
    """Mean of (post - pre) over people with both scores, in points of 100."""
    tests = paired_tests(scope, start, end, params)
    totals = tests.aggregate(n=Count("pk"), gain=Avg(aggregates.GAIN))
    disaggregations, bases = {}, {}
    for dim, key in TEST_DIMENSIONS.items():
        rows = _tests_by(tests, key).annotate(n=Count("pk"), gain=Avg(aggregates.GAIN))
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
        rows = _tests_by(tests, key).annotate(n=Count("pk"), ok=improved)
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


PEOPLE_PARAMS = _(
    'Optional: {"categories": ["akimat", "yrc"]}, {"category_group": "police"}, '
    '{"event_types": ["training"]}, {"activity_lines": ["1.2"]}, {"regions": ["KZ-47"]}'
)
EVENT_PARAMS = _('Optional: {"event_types": ["camp"]}, {"activity_lines": ["2.1"]}')
COUNTED_EVENTS = _(
    "Counted events are the programme's events marked held or reported that end within the "
    "period, in the report's regions."
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
                "Number of different people who attended at least one session of a counted "
                "event (reached) or, where the indicator says so, at least the set share of "
                "an event's sessions (completed). Each person is counted once however many "
                "events or sessions they attended. Optionally limited to participant "
                "categories, event types, activity lines or regions."
            ),
            PEOPLE_OFFERS,
            PEOPLE_PARAMS,
            method=UNIQUE,
            counts_people=True,
        ),
        Rule(
            "neet_reached",
            _("NEET young people reached"),
            "people",
            neet_reached,
            _(
                "Number of different young people not in employment, education or training "
                "(category NEET) who attended at least one session of a counted event (or "
                "completed one, where the indicator says so)."
            ),
            PEOPLE_OFFERS,
            PEOPLE_PARAMS,
            method=UNIQUE,
            counts_people=True,
        ),
        Rule(
            "events_held",
            _("Events held"),
            "events",
            events_held,
            _("Number of counted events (trainings, camps, workshops)."),
            ("region", "event_type"),
            EVENT_PARAMS,
            method=SUM,
        ),
        Rule(
            "sessions_delivered",
            _("Sessions delivered"),
            "sessions",
            sessions_delivered,
            _("Number of sessions (days or modules) of the counted events."),
            ("region", "event_type"),
            EVENT_PARAMS,
            method=SUM,
        ),
        Rule(
            "attendance_rate",
            _("Attendance rate"),
            "percent",
            attendance_rate,
            _(
                "Attendance records divided by the attendance possible (people enrolled in a "
                "counted event times its sessions), as a percentage."
            ),
            ("region",),
            PEOPLE_PARAMS,
            method=RATIO,
        ),
        Rule(
            "feedback_satisfied_pct",
            _("Participants satisfied (%)"),
            "percent",
            feedback_satisfied_pct,
            _(
                "Share of the feedback forms of counted events whose overall satisfaction is "
                "4 or 5 on a scale of 1 to 5: forms with such a score divided by all forms. "
                "One form per person and event."
            ),
            ("region", "event_type"),
            _('Optional: {"threshold": 4}, {"event_types": ["training"]}'),
            method=RATIO,
        ),
        Rule(
            "knowledge_gain_mean",
            _("Mean knowledge gain (points)"),
            "points",
            knowledge_gain_mean,
            _(
                "Mean difference between post-test and pre-test scores (0-100) over the pairs "
                "of tests (one per person and event) of people who took both tests at a "
                "counted event. A fall is negative."
            ),
            ("region", "sex", "category", "event_type", "disability"),
            PEOPLE_PARAMS,
            method=MEAN,
        ),
        Rule(
            "knowledge_improved_pct",
            _("People whose knowledge improved (%)"),
            "percent",
            knowledge_improved_pct,
            _(
                "Share of the pairs of tests at counted events whose post-test score is higher "
                "than the pre-test score (paired comparison): pairs that improved divided by "
                "all pairs."
            ),
            ("region", "sex", "category", "event_type", "disability"),
            PEOPLE_PARAMS,
            method=RATIO,
        ),
        Rule(
            "partners_engaged",
            _("Partner organisations engaged"),
            "organisations",
            partners_engaged,
            _(
                "Number of different partner organisations that hosted or implemented at "
                "least one counted event."
            ),
            ("partner_type",),
            _('Optional: {"partner_types": ["akimat", "yrc", "police"]}'),
            method=UNIQUE,
        ),
    ]
}


def register(
    code: str,
    label: Any,
    function: Callable[..., RuleResult],
    *,
    explanation: Any,
    unit: str = "percent",
    offers: tuple[str, ...] = PEOPLE_OFFERS,
    params_help: Any = "",
    method: str = RATIO,
    higher_is_better: bool = True,
    result_type: str = "outcome",
    filters_people: bool = True,
) -> Rule:
    """Add a rule of a feature app to the catalogue (reports never imports those apps: they
    call this from their AppConfig.ready(), e.g. followup/outcomes.py). Registering the same
    code again replaces the rule, so a reloaded app does not fail."""
    rule = Rule(
        code,
        label,
        unit,
        function,
        explanation,
        offers,
        params_help,
        method=method,
        higher_is_better=higher_is_better,
        level=result_type,
        filters_people=filters_people,
    )
    RULES[code] = rule
    return rule


# What a feature app's rules read, as a fingerprint of the data (reports.builder's
# `data_fingerprint`): name -> f(scope, start, end) -> JSON-able counts and latest times, so a
# new answer makes a report be built again instead of reused.
FINGERPRINTS: dict[str, Callable[[Scope, date, date], Any]] = {}


def register_fingerprint(name: str, function: Callable[[Scope, date, date], Any]) -> None:
    FINGERPRINTS[name] = function


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
    "register",
    "register_fingerprint",
    "age_band_expression",
    "params_event_filter",
    "person_filter",
    "people_reached_qs",
    "people_qs",
    "counted_events_q",
    "people_by",
    "people_cube",
    "cube_margin",
    "rule_choices",
    "held_events",
]
