"""Compute one donor report: every number the renderers show, protected and frozen.

`build_report_data()` runs the catalogue's aggregate queries (reports/indicators.py), passes the
results through disclosure control (reports/disclosure.py) and returns a ReportData: plain,
JSON-serialisable values in the report's language, which the renderers turn into files without
touching the database, and which a ReportRun keeps as its immutable snapshot.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, fields
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, Max, Q, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.scope import Scope
from participants.aggregates import (
    LIKERT,
    feedback_summary,
    knowledge_measures,
    satisfaction_distribution,
)
from participants.models import (
    AGE_BANDS,
    Assessment,
    Attendance,
    Enrolment,
    Feedback,
    ParticipantCategory,
    Sex,
)
from regions.models import PartnerOrganisation, Region
from trainings.models import Programme, TrainingEvent

from . import disclosure, numbers
from .indicators import (
    DISAGGREGATIONS,
    RULES,
    cube_margin,
    feedback_in,
    held_events,
    paired_tests,
    people_cube,
    people_reached_qs,
)
from .models import Indicator, IndicatorTarget, Narrative

SCHEMA_VERSION = 1
Progress = Callable[[str, int], None] | None


@dataclass(frozen=True)
class ReportData:
    """Everything a donor report shows, already protected and labelled in its language.

    Values are JSON types only (str, int, float, None, lists, dicts); dates are ISO strings.
    A disaggregated count may be the string "<5" (see reports/disclosure.py)."""

    language: str
    period_label: str
    start: str
    end: str
    generated_at: str
    programme: dict[str, Any]
    scope: dict[str, Any]
    summary: dict[str, Any]
    indicators: list[dict[str, Any]]
    people: dict[str, Any]
    events: list[dict[str, Any]]
    feedback: dict[str, Any]
    quotes: list[dict[str, Any]]
    knowledge: dict[str, Any]
    narratives: list[dict[str, Any]]
    annex: list[dict[str, Any]]
    inputs_hash: str = ""
    version: int = SCHEMA_VERSION

    def to_json(self) -> dict[str, Any]:
        return copy.deepcopy(asdict(self))

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ReportData:
        known = {f.name for f in fields(cls)}
        return cls(**{k: copy.deepcopy(v) for k, v in data.items() if k in known})

    @property
    def start_date(self) -> date:
        return date.fromisoformat(self.start)

    @property
    def end_date(self) -> date:
        return date.fromisoformat(self.end)

    @property
    def slug(self) -> str:
        """A file-name friendly name: qadam-report-PVE-KZ-JP-2024Q3-all-en."""
        regions = "-".join(r["code"] for r in self.scope.get("regions", [])) or "all"
        code = self.programme.get("code") or "programme"
        return f"qadam-report-{code}-{self.period_label}-{regions}-{self.language}".replace(
            " ", "_"
        )


# Inputs ---------------------------------------------------------------------------------------


def resolve_programme(programme=None) -> Programme | None:
    """A Programme from an instance, a pk or a code; by default the first active one."""
    if isinstance(programme, Programme):
        return programme
    if programme not in (None, ""):
        qs = Programme.objects.all()
        if isinstance(programme, int) or str(programme).isdigit():
            return qs.filter(pk=int(programme)).first()
        return qs.filter(code=programme).first()
    return Programme.objects.filter(is_active=True).order_by("code").first()


def allowed_region_ids(scope, requested: list[int] | None) -> list[int] | None:
    """The regions a user may build a report for: a coordinator's report covers their own
    regions only (all of them when none are asked for); others may ask for any regions.
    Raises PermissionError when regions outside the scope are asked for."""
    if scope.region_ids is None:
        return sorted(requested) if requested else None
    if not requested:
        return sorted(scope.region_ids)
    outside = set(requested) - set(scope.region_ids)
    if outside:
        raise PermissionError("regions outside the user's scope")
    return sorted(requested)


def report_scope(scope: Scope | None = None, region_ids: Iterable[int] | None = None) -> Scope:
    """The Scope a report counts over: `scope` when given, else the regions as ids, where none
    (None or empty) means every region, as for a ReportRun without regions."""
    if scope is not None:
        return scope
    return Scope.for_regions(sorted(region_ids) if region_ids else None)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def data_fingerprint(
    *, start: date, end: date, scope: Scope, programme_id: int | None
) -> dict[str, Any]:
    """Counts, sums and latest ids/timestamps of every table the report reads, in its scope:
    any change to the data that could change a number changes the fingerprint."""
    events = TrainingEvent.objects.filter(
        scope.region_q("region"), start_date__lte=end, end_date__gte=start
    )
    via = scope.region_q("event__region")
    period = Q(event__start_date__lte=end, event__end_date__gte=start)
    fp = {
        "events": events.aggregate(
            n=Count("pk"),
            last=Max("pk"),
            updated=Max("updated_at"),
            status=Count("pk", filter=Q(status__in=("held", "reported"))),
        ),
        "enrolments": Enrolment.objects.filter(via, period).aggregate(
            n=Count("pk"), last=Max("pk")
        ),
        "attendance": Attendance.objects.filter(
            scope.region_q("session__event__region"),
            session__date__range=(start, end),
        ).aggregate(n=Count("pk"), last=Max("pk"), at=Max("recorded_at")),
        "feedback": Feedback.objects.filter(via, period).aggregate(
            n=Count("pk"),
            last=Max("pk"),
            sat=Sum("satisfaction"),
            quote=Count("pk", filter=Q(consent_to_quote=True)),
            text=Count("pk", filter=~Q(comments="")),
            approved=Count("pk", filter=Q(quote_status=Feedback.QuoteStatus.APPROVED)),
            reviewed=Max("quote_reviewed_at"),
        ),
        "assessments": Assessment.objects.filter(
            scope.region_q("enrolment__event__region"),
            enrolment__event__start_date__lte=end,
            enrolment__event__end_date__gte=start,
        ).aggregate(n=Count("pk"), last=Max("pk"), pre=Sum("pre_score"), post=Sum("post_score")),
        "people": Enrolment.objects.filter(via, period).aggregate(
            sexes=Count("participant", filter=Q(participant__sex=Sex.FEMALE)),
            updated=Max("participant__updated_at"),
        ),
        # The results framework is a few dozen rows: its definition is hashed as it is.
        "indicators": list(
            Indicator.objects.filter(programme_id=programme_id)
            .order_by("pk")
            .values_list(
                "pk",
                "code",
                "name",
                "level",
                "unit",
                "baseline",
                "rule",
                "rule_params",
                "disaggregations",
            )
        ),
        "targets": list(
            IndicatorTarget.objects.filter(indicator__programme_id=programme_id)
            .order_by("pk")
            .values_list("pk", "period", "period_start", "period_end", "value")
        ),
        "narratives": Narrative.objects.filter(programme_id=programme_id).aggregate(
            n=Count("pk"), updated=Max("updated_at")
        ),
    }
    return json.loads(json.dumps(fp, sort_keys=True, default=_jsonable))


def inputs_hash(
    *,
    start: date,
    end: date,
    scope: Scope | None = None,
    region_ids: Iterable[int] | None = None,
    language: str,
    programme=None,
) -> str:
    """sha256 of what was asked and of a fingerprint of the data in scope: two runs with the
    same hash would compute the same report. The regions are a Scope (`Scope.for_regions`) or,
    for the command line and tests, their ids (see `report_scope`)."""
    scope = report_scope(scope, region_ids)
    prog = resolve_programme(programme)
    regions = None if scope.all_regions else sorted(scope.region_ids)
    payload = {
        "schema": SCHEMA_VERSION,
        "start": start.isoformat(),
        "end": end.isoformat(),
        "regions": regions,
        "language": language,
        "programme": prog.pk if prog else None,
        "data": data_fingerprint(
            start=start, end=end, scope=scope, programme_id=prog.pk if prog else None
        ),
    }
    raw = json.dumps(payload, sort_keys=True, default=str).encode()
    return hashlib.sha256(raw).hexdigest()


# Labels ---------------------------------------------------------------------------------------


class _Labels:
    """Names of the codes a report shows, in the active language (two small queries)."""

    def __init__(self) -> None:
        self.regions = {r.code: r.name for r in Region.objects.all()}
        self.categories = {c.code: c.name for c in ParticipantCategory.objects.all()}
        self.sex = {str(k): str(v) for k, v in Sex.choices}
        self.event_type = {str(k): str(v) for k, v in TrainingEvent.Type.choices}
        self.partner_type = {str(k): str(v) for k, v in PartnerOrganisation.Type.choices}

    def of(self, dimension: str, key: str) -> str:
        if key in (None, "", "unknown"):
            return _("not recorded")
        table = {
            "region": self.regions,
            "category": self.categories,
            "sex": self.sex,
            "event_type": self.event_type,
            "partner_type": self.partner_type,
        }.get(dimension)
        return table.get(key, key) if table else str(key)


def _order(dimension: str, keys: list[str], labels: _Labels) -> list[str]:
    if dimension == "age_band":
        order = [band for _lo, _hi, band in AGE_BANDS] + ["unknown"]
        return sorted(keys, key=lambda k: order.index(k) if k in order else 99)
    if dimension == "category":
        cat_order = list(labels.categories)
        return sorted(keys, key=lambda k: cat_order.index(k) if k in cat_order else 999)
    if dimension == "sex":
        return sorted(keys)
    return sorted(keys, key=lambda k: labels.of(dimension, k))


def _rows(dimension: str, cells: dict[str, Any], labels: _Labels) -> list[dict[str, Any]]:
    return [
        {"key": key, "label": labels.of(dimension, key), "value": cells[key]}
        for key in _order(dimension, list(cells), labels)
    ]


# Sections -------------------------------------------------------------------------------------


def _params_text(params: dict, labels: _Labels) -> str:
    """A rule's filters in words: 'categories: Akimat staff, Theologian; regions: Mangystau'."""
    names = {
        "categories": (_("categories"), "category"),
        "category": (_("categories"), "category"),
        "category_group": (_("category group"), None),
        "category_groups": (_("category group"), None),
        "event_types": (_("event types"), "event_type"),
        "event_type": (_("event types"), "event_type"),
        "regions": (_("regions"), "region"),
        "region": (_("regions"), "region"),
        "partner_types": (_("kinds of partner"), "partner_type"),
        "partner_type": (_("kinds of partner"), "partner_type"),
        "threshold": (_("satisfied from score"), None),
        "sex": (_("sex"), "sex"),
    }
    parts = []
    for key, value in params.items():
        title, dimension = names.get(key, (key, None))
        values = value if isinstance(value, list) else str(value).split(",")
        shown = [labels.of(dimension, str(v).strip()) if dimension else str(v) for v in values]
        parts.append(f"{title}: {', '.join(shown)}")
    return "; ".join(parts)


def describe_params(params: dict) -> str:
    """A rule's filters in words, in the active language (for pages)."""
    return _params_text(params, _Labels()) if params else ""


def _status(percent: float | None) -> str:
    if percent is None:
        return "grey"
    if percent >= 90:
        return "green"
    if percent >= 60:
        return "amber"
    return "red"


def _indicator_rows(
    programme: Programme | None,
    scope: Scope,
    start: date,
    end: date,
    period_label: str,
    labels: _Labels,
) -> tuple[list[dict], list[dict]]:
    if programme is None:
        return [], []
    indicators = list(Indicator.objects.filter(programme=programme).order_by("order", "code"))
    targets: dict[int, Decimal] = {}
    exact = IndicatorTarget.objects.filter(indicator__programme=programme).filter(
        Q(period=period_label) | Q(period_start=start, period_end=end)
    )
    for target in exact.order_by("period_start"):
        targets.setdefault(target.indicator_id, target.value)
    rows, annex = [], []
    for ind in indicators:
        rule = RULES.get(ind.rule)
        result = rule.compute(scope, start, end, ind.rule_params) if rule else None
        actual = result.total if result else None
        target = targets.get(ind.pk)
        pct = numbers.percent_of(actual, target)
        chosen = [d for d in (ind.disaggregations or []) if result and d in result.disaggregations]
        disagg = {}
        if result:
            protected = disclosure.protect_disaggregations(
                {d: result.disaggregations[d] for d in chosen},
                is_count=result.is_count,
                bases=result.bases,
            )
            disagg = {d: _rows(d, protected[d], labels) for d in chosen}
        rows.append(
            {
                "code": ind.code,
                "name": ind.name,
                "level": ind.level,
                "level_label": str(ind.get_level_display()),
                "unit": ind.unit,
                "unit_label": str(ind.get_unit_display()),
                "baseline": float(ind.baseline),
                "target": None if target is None else float(target),
                "actual": actual,
                "base": result.base if result else None,
                "percent_of_target": pct,
                "status": _status(pct),
                "rule": ind.rule,
                "disaggregations": disagg,
            }
        )
        annex.append(
            {
                "code": ind.code,
                "name": ind.name,
                "rule": ind.rule,
                "rule_label": str(rule.label) if rule else _("entered manually"),
                "explanation": str(rule.explanation) if rule else "",
                "params": ind.rule_params or {},
                "params_text": _params_text(ind.rule_params or {}, labels),
                "disaggregations": [str(DISAGGREGATIONS.get(d, d)) for d in chosen],
                "description": ind.description,
            }
        )
    return rows, annex


def _people(scope: Scope, start: date, end: date, labels: _Labels) -> dict[str, Any]:
    # One GROUP BY gives every breakdown (see people_cube): each person is in one cell.
    cube = people_cube(people_reached_qs(scope, start, end, {}), end)
    out: dict[str, Any] = {"total": sum(row[4] for row in cube)}
    for dim in ("sex", "age_band", "region", "category"):
        counts = disclosure.protect_counts(cube_margin(cube, dim))
        out[f"by_{dim}"] = _rows(dim, counts, labels)
    cross = cube_margin(cube, "category", "sex")
    categories = {category for category, _sex in cross}
    out["category_by_sex"] = [
        {
            "key": code,
            "label": labels.of("category", code),
            "F": disclosure.protect_count(cross.get((code, Sex.FEMALE), 0)),
            "M": disclosure.protect_count(cross.get((code, Sex.MALE), 0)),
            "total": disclosure.protect_count(
                cross.get((code, Sex.FEMALE), 0) + cross.get((code, Sex.MALE), 0)
            ),
        }
        for code in _order("category", list(categories), labels)
    ]
    return out


def _events(scope: Scope, start: date, end: date, labels: _Labels) -> list[dict[str, Any]]:
    events = list(
        held_events(scope, start, end, {})
        .select_related("region", "district", "activity_line")
        .order_by("start_date", "title")
    )
    # People per event: one GROUP BY over the period's attendance of these events.
    counts = {
        row["enrolment__event_id"]: row
        for row in Attendance.objects.filter(
            enrolment__event__in=held_events(scope, start, end, {}),
            session__date__range=(start, end),
        )
        .order_by()
        .values("enrolment__event_id")
        .annotate(
            people=Count("enrolment__participant", distinct=True),
            women=Count(
                "enrolment__participant",
                distinct=True,
                filter=Q(enrolment__participant__sex=Sex.FEMALE),
            ),
        )
    }
    for ev in events:
        row = counts.get(ev.pk, {})
        ev.people, ev.women = row.get("people", 0), row.get("women", 0)
    return [
        {
            "title": ev.title,
            "type": ev.event_type,
            "type_label": labels.of("event_type", ev.event_type),
            "activity": str(ev.activity_line) if ev.activity_line_id else "",
            "start": ev.start_date.isoformat(),
            "end": ev.end_date.isoformat(),
            "region": ev.region.name,
            "region_code": ev.region.code,
            "district": ev.district.name if ev.district_id else "",
            "venue": ev.venue,
            "days": ev.days,
            "people": disclosure.protect_count(ev.people),
            "women": disclosure.protect_count(ev.women),
        }
        for ev in events
    ]


def _feedback(scope: Scope, start: date, end: date, labels: _Labels) -> tuple[dict, list[dict]]:
    fb = feedback_in(scope, start, end, {})
    agg = feedback_summary(fb)
    n = agg["n"]

    def mean(item: str):
        return numbers.rounded(agg[f"avg_{item}"], numbers.PLACES[numbers.MEAN])

    summary = {
        "respondents": n,
        "satisfied_pct": disclosure.protect_rate(numbers.rate(agg["n_satisfied"], n), n),
        "items": [
            {
                "key": item.key,
                "label": str(item.report_label),
                "mean": disclosure.protect_rate(mean(item.key), n),
            }
            for item in LIKERT
        ],
        "distribution": [
            {"score": row["score"], "count": disclosure.protect_count(row["n"])}
            for row in satisfaction_distribution(fb)
        ],
    }
    # Consented comments approved by programme staff (their approved text); disclosure
    # checks both again and decides what of the text may be printed.
    texts = (
        fb.filter(consent_to_quote=True, quote_status=Feedback.QuoteStatus.APPROVED)
        .exclude(quote_text_reviewed="")
        .order_by("-satisfaction", "submitted_at", "pk")
        .values(
            "quote_text_reviewed",
            "consent_to_quote",
            "quote_status",
            "event__event_type",
            "event__region__code",
            "enrolment__participant__category__code",
            "enrolment__participant__full_name",
        )[:40]
    )
    quotes = disclosure.quotable(
        (
            {
                "text": row["quote_text_reviewed"],
                "consent_to_quote": row["consent_to_quote"],
                "quote_status": row["quote_status"],
                "author_name": row["enrolment__participant__full_name"],
                "event_type": labels.of("event_type", row["event__event_type"]),
                "region": labels.of("region", row["event__region__code"]),
                "category": (
                    labels.of("category", row["enrolment__participant__category__code"])
                    if row["enrolment__participant__category__code"]
                    else ""
                ),
            }
            for row in texts
        ),
        limit=12,
    )
    return summary, quotes


def _knowledge(scope: Scope, start: date, end: date) -> dict[str, Any]:
    tests = paired_tests(scope, start, end, {})
    measures = knowledge_measures()
    agg = tests.aggregate(**measures)

    def shape(row: dict) -> dict:
        n = row["n"]

        def r(v):
            return disclosure.protect_rate(numbers.rounded(v, numbers.PLACES[numbers.POINTS]), n)

        return {
            "n": disclosure.protect_count(n),
            "pre": r(row["avg_pre"]),
            "post": r(row["avg_post"]),
            "gain": r(row["avg_gain"]),
            "improved_pct": disclosure.protect_rate(numbers.rate(row["n_improved"], n), n),
        }

    by_line = []
    for row in (
        tests.order_by()
        .values("enrolment__event__activity_line__code", "enrolment__event__activity_line__name")
        .annotate(**measures)
        .order_by("enrolment__event__activity_line__code")
    ):
        code = row["enrolment__event__activity_line__code"]
        label = f"{code} {row['enrolment__event__activity_line__name']}" if code else _("Other")
        by_line.append({"label": label} | shape(row))
    total = shape(agg)
    total["n"] = agg["n"]  # the total stays exact
    return total | {"by_activity": by_line}


def _narratives(programme, period_label: str, start: date, end: date, scope: Scope) -> list[dict]:
    if programme is None:
        return []
    qs = Narrative.objects.filter(programme=programme).filter(
        Q(period_label=period_label) | Q(period_start=start, period_end=end)
    )
    # A report of every region shows the programme-wide narrative, a regional one the regions'.
    qs = qs.filter(region__isnull=True) if scope.all_regions else qs.filter(scope.region_q())
    out = []
    for n in qs.select_related("region").order_by("region__code"):
        out.append(
            {
                "scope": n.region.name if n.region_id else _("All regions"),
                "highlights": n.highlights,
                "challenges": n.challenges,
                "lessons": n.lessons,
                "next_steps": n.next_steps,
            }
        )
    return out


def _summary(indicator_people: dict, events: list, scope: Scope, start, end, feedback, knowledge):
    partners = RULES["partners_engaged"].compute(scope, start, end, {}).total
    sessions = RULES["sessions_delivered"].compute(scope, start, end, {}).total
    by_sex = {row["key"]: row["value"] for row in indicator_people["by_sex"]}
    return {
        "people": indicator_people["total"],
        "women": by_sex.get(Sex.FEMALE, 0),
        "men": by_sex.get(Sex.MALE, 0),
        "events": len(events),
        "sessions": sessions,
        "partners": partners,
        "respondents": feedback["respondents"],
        "satisfied_pct": feedback["satisfied_pct"],
        "knowledge_gain": knowledge["gain"],
    }


def build_report_data(
    *,
    start: date,
    end: date,
    scope: Scope | None = None,
    region_ids: Iterable[int] | None = None,
    language: str,
    period_label: str,
    programme=None,
    progress: Progress = None,
) -> ReportData:
    """Compute a donor report for a period and a Scope's regions in a language. A stored run
    passes `Scope.for_regions(its regions)`; the command line and tests may pass `region_ids`
    instead (None or empty = every region, see `report_scope`).

    `progress(stage, percent)` is called as the work goes on (percent of this build, 0-100)."""

    def step(stage: str, percent: int) -> None:
        if progress:
            progress(stage, percent)

    scope = report_scope(scope, region_ids)
    prog = resolve_programme(programme)
    step("fingerprint", 2)
    digest = inputs_hash(start=start, end=end, scope=scope, language=language, programme=prog)
    with translation.override(language):
        labels = _Labels()
        step("indicators", 10)
        indicators, annex = _indicator_rows(prog, scope, start, end, period_label, labels)
        step("people", 40)
        people = _people(scope, start, end, labels)
        step("events", 55)
        events = _events(scope, start, end, labels)
        step("feedback", 70)
        feedback, quotes = _feedback(scope, start, end, labels)
        step("knowledge", 80)
        knowledge = _knowledge(scope, start, end)
        step("narrative", 90)
        narratives = _narratives(prog, period_label, start, end, scope)
        summary = _summary(people, events, scope, start, end, feedback, knowledge)
        regions = (
            [{"code": r.code, "name": r.name} for r in Region.objects.filter(scope.region_q("pk"))]
            if scope.region_ids
            else []
        )
        donor = prog.donor if prog and prog.donor_id else None
        data = ReportData(
            language=language,
            period_label=period_label,
            start=start.isoformat(),
            end=end.isoformat(),
            generated_at=timezone.now().isoformat(timespec="seconds"),
            programme={
                "code": prog.code if prog else "",
                "name": prog.name if prog else "",
                "donor": donor.name if donor else "",
                "budget_code": prog.budget_code if prog else "",
                "outcome": prog.outcome if prog else "",
                "sdg_target": prog.sdg_target if prog else "",
                "start": prog.start_date.isoformat() if prog and prog.start_date else None,
                "end": prog.end_date.isoformat() if prog and prog.end_date else None,
                "implementer": "UNDP Kazakhstan",
            },
            scope={
                "all_regions": scope.all_regions,
                "regions": regions,
                "label": ", ".join(r["name"] for r in regions) if regions else _("All regions"),
            },
            summary=summary,
            indicators=indicators,
            people=people,
            events=events,
            feedback=feedback,
            quotes=quotes,
            knowledge=knowledge,
            narratives=narratives,
            annex=annex,
            inputs_hash=digest,
        )
    step("done", 100)
    return data
