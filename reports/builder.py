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
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime, timedelta
from decimal import Decimal
from itertools import compress
from operator import itemgetter
from typing import Any

from django.db.models import Count, F, Max, Min, Q, Sum
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.scope import Scope
from core import periods
from core.names import localised_fields, localised_value
from core.params import int_param
from participants import disability
from participants.aggregates import (
    LIKERT,
    SATISFIED_FROM,
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
    age_band,
)
from regions.models import PartnerOrganisation, Region
from trainings.models import ActivityLine, Programme, Session, TrainingEvent

from . import branding, disclosure, numbers
from .approval import approval_fingerprint, report_approval
from .indicators import (
    COMPLETED,
    DISAGGREGATIONS,
    FINGERPRINTS,
    REACHED,
    RULES,
    cube_margin,
    enrolments_attended,
    feedback_in,
    held_events,
    paired_tests,
    sessions_of_counted_events,
)
from .models import Indicator, IndicatorComment, IndicatorTarget, Narrative

SCHEMA_VERSION = 2
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
    # The indicator performance tracking table (periods x indicators) and the counting rules
    # in words; empty in snapshots of schema 1.
    iptt: dict[str, Any] = field(default_factory=dict)
    methodology: list[str] = field(default_factory=list)
    inputs_hash: str = ""
    # The events held, summed up per region and activity line (what the PDF and DOCX show; the
    # full list, `events`, is in the XLSX and CSV annex); None in snapshots built before it.
    event_summary: list[dict[str, Any]] | None = None
    # The programme's IATI activity, every quarter so far (reports/iati_activity.py attaches
    # it when an IATI file is to be made); empty otherwise.
    iati: dict[str, Any] = field(default_factory=dict)
    # Over approved data only? {"final", "approvals": [{"region", "quarter", "by", "at"}],
    # "pending"} (reports/approval.py); empty in snapshots built before the quarterly close.
    approval: dict[str, Any] = field(default_factory=dict)
    # The first page's logos and the photos the staff chose on the events' pages, each naming
    # its image by its path in the default storage (reports/branding.py); empty in older
    # snapshots and when none were uploaded or chosen.
    logos: list[dict[str, Any]] = field(default_factory=list)
    photos: list[dict[str, Any]] = field(default_factory=list)
    version: int = SCHEMA_VERSION

    def to_json(self) -> dict[str, Any]:
        # asdict copies every dict, list and tuple inside and deep-copies anything else.
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any], *, copy_values: bool = True) -> ReportData:
        """The report of `data` (`to_json`'s), with its own copies of the values unless
        `copy_values` is False (`data` is a fresh structure nobody else holds)."""
        known = {f.name for f in fields(cls)}
        if not copy_values:
            return cls(**{k: v for k, v in data.items() if k in known})
        return cls(**{k: copy.deepcopy(v) for k, v in data.items() if k in known})

    @property
    def start_date(self) -> date:
        return date.fromisoformat(self.start)

    @property
    def end_date(self) -> date:
        return date.fromisoformat(self.end)

    @property
    def is_draft(self) -> bool:
        """Built while some region-quarter it covers was not approved."""
        return bool(self.approval) and not self.approval.get("final")

    @property
    def slug(self) -> str:
        """A file-name friendly name: qadam-report-PVE-KZ-JP-2024Q3-all-en (and -draft)."""
        regions = "-".join(r["code"] for r in self.scope.get("regions", [])) or "all"
        code = self.programme.get("code") or "programme"
        draft = "-draft" if self.is_draft else ""
        return f"qadam-report-{code}-{self.period_label}-{regions}-{self.language}{draft}".replace(
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
            pk = int_param(str(programme))
            return qs.filter(pk=pk).first() if pk else None
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
    any change to the data that could change a number changes the fingerprint. Every figure
    counts the programme's events only, so other programmes' rows are not read (at national
    scale they were most of the seconds of a report of a programme with few events)."""
    mine = {"programme_id": programme_id} if programme_id else {}
    events = TrainingEvent.objects.filter(
        scope.region_q("region"), start_date__lte=end, end_date__gte=start, **mine
    )
    # The rows of those events are found by their ids (`event_id IN (...)`, a semi-join
    # PostgreSQL hashes once): joining every attendance row to its session and then to its
    # event took 2.2 s of a report at five times the data, the semi-join 1.4 s.
    of_events = events.values("pk")
    sessions = Session.objects.filter(event__in=of_events).values("pk")
    fp = {
        "events": events.aggregate(
            n=Count("pk"),
            last=Max("pk"),
            updated=Max("updated_at"),
            status=Count("pk", filter=Q(status__in=("held", "reported"))),
        ),
        # The enrolments and their people in one read: each enrolment joins one person and
        # at most one set of WG-SS answers, so the count is the enrolments'.
        "enrolments": Enrolment.objects.filter(event__in=of_events).aggregate(
            n=Count("pk"),
            last=Max("pk"),
            sexes=Count("participant", filter=Q(participant__sex=Sex.FEMALE)),
            updated=Max("participant__updated_at"),
            # WG-SS answers given, changed or withdrawn move the disability breakdown.
            wgss=Count("participant__disability_answers"),
            wgss_updated=Max("participant__disability_answers__updated_at"),
        ),
        "attendance": Attendance.objects.filter(session__in=sessions).aggregate(
            n=Count("pk"), last=Max("pk"), at=Max("recorded_at")
        ),
        "feedback": Feedback.objects.filter(event__in=of_events).aggregate(
            n=Count("pk"),
            last=Max("pk"),
            sat=Sum("satisfaction"),
            quote=Count("pk", filter=Q(consent_to_quote=True)),
            text=Count("pk", filter=~Q(comments="")),
            approved=Count("pk", filter=Q(quote_status=Feedback.QuoteStatus.APPROVED)),
            reviewed=Max("quote_reviewed_at"),
            duplicates=Count("pk", filter=Q(is_duplicate=True)),
        ),
        "assessments": Assessment.objects.filter(enrolment__event__in=of_events).aggregate(
            n=Count("pk"), last=Max("pk"), pre=Sum("pre_score"), post=Sum("post_score")
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
                "lop_target",
                "method",
                "higher_is_better",
                "completion",
                "completion_percent",
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
        "comments": IndicatorComment.objects.filter(indicator__programme_id=programme_id).aggregate(
            n=Count("pk"), updated=Max("updated_at")
        ),
        "approval": approval_fingerprint(programme_id, scope),
        "pictures": branding.pictures_fingerprint(
            scope, start, end, {"programme": programme_id} if programme_id else {}
        ),
        # The data the rules of feature apps read (e.g. the follow-up surveys' answers).
        "registered": {name: f(scope, start, end) for name, f in sorted(FINGERPRINTS.items())},
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
        # The cumulative columns read from the programme's start: so does the fingerprint.
        "data": data_fingerprint(
            start=min(start, programme_start(prog)),
            end=end,
            scope=scope,
            programme_id=prog.pk if prog else None,
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
        self.disability = {str(k): str(v) for k, v in disability.Status.choices}

    def of(self, dimension: str, key: str) -> str:
        if dimension == "disability":
            return self.disability.get(key or "unknown", key)
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
    if dimension == "disability":
        order = list(disability.Status.values)
        return sorted(keys, key=lambda k: order.index(k) if k in order else 99)
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
        "activity_lines": (_("activity lines"), None),
        "activity_line": (_("activity lines"), None),
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


def _status(percent: float | None, higher_is_better: bool = True) -> str:
    if percent is None:
        return "grey"
    if not higher_is_better:  # at or under the target is on track
        return "green" if percent <= 100 else "amber" if percent <= 120 else "red"
    if percent >= 90:
        return "green"
    if percent >= 60:
        return "amber"
    return "red"


def programme_start(programme: Programme | None) -> date:
    """Where life-of-programme figures start: the programme's start date, else the first day
    the programme's periods can have."""
    if programme is not None and programme.start_date:
        return programme.start_date
    return date(periods.first_year(), 1, 1)


def tracking_periods(start: date, end: date) -> list[periods.Period]:
    """The columns of the IPTT: each quarter of the report's year up to its end (the last one
    cut at the report's end), then the year to date."""
    year_start = date(end.year, 1, 1)
    out = []
    quarter = periods.quarter(end.year, 1)
    while quarter.start <= end:
        if quarter.end > end:
            quarter = periods.custom(quarter.start, end)
        out.append(quarter)
        if quarter.end >= end:
            break
        quarter = periods.quarter_of(quarter.end + timedelta(days=1))
    out.append(periods.Period(str(end.year), year_start, end))
    return out


def rule_params(indicator: Indicator, programme: Programme) -> dict[str, Any]:
    """What a rule is computed with for an indicator: its filters, its programme and, for an
    indicator of people, who counts (reached or completed)."""
    params = dict(indicator.rule_params or {}) | {"programme": programme.pk}
    rule = RULES.get(indicator.rule)
    if rule and rule.counts_people:
        params["completion"] = indicator.completion
        params["completion_percent"] = indicator.completion_percent
    return params


def completion_label(indicator: Indicator) -> str:
    rule = RULES.get(indicator.rule)
    if not (rule and rule.counts_people):
        return ""
    if indicator.completion == COMPLETED:
        return _("completed: attended at least %(pct)s%% of an event's sessions") % {
            "pct": indicator.completion_percent
        }
    return _("reached: attended at least one session")


def completion_text(indicator: Indicator) -> str:
    rule = RULES.get(indicator.rule)
    if not (rule and rule.counts_people):
        return ""
    if indicator.completion == COMPLETED:
        return _(
            "Counts people who completed a counted event: they attended at least %(pct)s%% of "
            "its sessions. The report also shows the people reached (at least one session)."
        ) % {"pct": indicator.completion_percent}
    return _("Counts people reached: they attended at least one session of a counted event.")


def methodology(programme: Programme | None, start: date, end: date) -> list[str]:
    """The report's counting rules, in words, for the annex (docs/indicator-definitions.md)."""
    lop = programme_start(programme)
    return [
        _(
            "Programme: every figure counts the events of this programme only, and the people, "
            "feedback and tests of those events. A person is reached by the programme when "
            "they attended one of its events."
        ),
        _(
            "Inclusion: only events marked held or reported are counted, for every figure. A "
            "planned event is not counted; it becomes held as soon as attendance is recorded "
            "for one of its sessions that has taken place."
        ),
        _(
            "Dates: an event and everything that happened at it (its sessions, the people who "
            "attended, their feedback and their tests) belong to the period in which the event "
            "ends. An event from 29 September to 2 October is counted once, in October's "
            "quarter."
        ),
        _(
            "People are counted once: a person who attended several sessions or events in a "
            "period is one person. Unique counts of different periods cannot be added up: "
            "the year to date and the life of the programme are counted again over their "
            "whole span (the year from %(year_start)s, the programme from %(lop_start)s)."
        )
        % {
            "year_start": date(end.year, 1, 1).strftime("%d.%m.%Y"),
            "lop_start": lop.strftime("%d.%m.%Y"),
        },
        _(
            "Disability follows the Washington Group Short Set: a person counts as with "
            "disability when they answered “a lot of difficulty” or “cannot do at all” in at "
            "least one of its six domains, as without disability when they answered otherwise, "
            "and as not known when they were not asked, did not consent to the questions or "
            "preferred not to answer any."
        ),
        _(
            "Follow-up surveys (outcome indicators): people trained are asked again some months "
            "after their event. A follow-up belongs to the period in which it was due (the "
            "event's last session plus the months of the round), with its answer whenever it "
            "came. A share is over the people who answered the question; the response rate "
            "(people who answered over people asked) is given next to it."
        ),
        _(
            "Rates are computed from their numerator and denominator (never as an average of "
            "rates); means are over the people or pairs of tests behind them. Numbers are "
            "rounded half up. A breakdown cell of fewer than 5 is shown as “<5”."
        ),
    ]


class _Computed:
    """Rule results of one report, each computed once (an IPTT asks for the same rule and
    period again, e.g. the report's quarter)."""

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.cache: dict = {}

    def __call__(self, rule, params: dict, start: date, end: date):
        key = (rule.code, json.dumps(params, sort_keys=True, default=str), start, end)
        if key not in self.cache:
            self.cache[key] = rule.compute(self.scope, start, end, params)
        return self.cache[key]


def _protected_rows(
    result, chosen: list[str], labels: _Labels, counts: disclosure.LinkedCounts, people: bool
) -> dict[str, list[dict]]:
    """A rule result's breakdowns as rows: counts of people as cells of the report's linked
    tables (withheld when they must be), other counts (events, sessions, partners: activity,
    not people) as they are, rates and means hidden when fewer than 5 stand behind them."""
    if result is None:
        return {}
    cells = {d: result.disaggregations.get(d, {}) for d in chosen}
    if result.is_count and people:
        protected = {d: counts.breakdown(d, cells[d], result.total) for d in chosen}
    elif result.is_count:
        protected = cells
    else:
        protected = disclosure.protect_disaggregations(cells, is_count=False, bases=result.bases)
    return {d: _rows(d, protected[d], labels) for d in chosen}


def indicator_level(indicator: Indicator) -> str:
    """The indicator's level (IATI result type): the one its rule gives, when the rule says
    (the follow-up outcome rules are outcomes whatever was stored), else the stored one."""
    rule = RULES.get(indicator.rule)
    return rule.level if rule and rule.level else indicator.level


def level_label(level: str) -> str:
    return str(dict(Indicator.Level.choices).get(level, level))


def response_figures(result) -> dict[str, Any] | None:
    """The response of a follow-up survey rule (people asked, who answered, the rate in %),
    None for every other rule and when nobody was asked in the period."""
    if result is None or not result.response or not result.response["invited"]:
        return None
    invited, respondents = result.response["invited"], result.response["respondents"]
    return {
        "invited": invited,
        "respondents": respondents,
        "rate": numbers.rate(respondents, invited),
    }


def _targets(programme: Programme) -> dict[int, list[IndicatorTarget]]:
    out: dict[int, list[IndicatorTarget]] = {}
    for target in IndicatorTarget.objects.filter(indicator__programme=programme).order_by(
        "period_start"
    ):
        out.setdefault(target.indicator_id, []).append(target)
    return out


def _target_for(targets: list[IndicatorTarget], key: str, start: date, end: date):
    for target in targets:
        if target.period == key or (target.period_start == start and target.period_end == end):
            return float(target.value)
    return None


def _figures(actual, target) -> dict[str, Any]:
    return {"actual": actual, "target": target, "percent": numbers.percent_of(actual, target)}


def _progress(
    ind: Indicator,
    targets: list[IndicatorTarget],
    computed: _Computed,
    programme: Programme,
    start: date,
    end: date,
    period_label: str,
) -> dict[str, Any]:
    """One indicator's actual against its targets for the period, the year to date (from 1
    January of the period's end, against the annual target) and the life of the programme
    (from its start, against the life-of-programme target), with the status of each: what
    the report's row shows and the dashboard's "are we on track?" reads."""
    rule = RULES.get(ind.rule)
    params = rule_params(ind, programme)
    ytd_start = date(end.year, 1, 1)
    result = computed(rule, params, start, end) if rule else None
    ytd = computed(rule, params, ytd_start, end) if rule else None
    lop = computed(rule, params, programme_start(programme), end) if rule else None
    period = _figures(
        result.total if result else None, _target_for(targets, period_label, start, end)
    )
    year = _figures(
        ytd.total if ytd else None,
        _target_for(targets, str(end.year), ytd_start, date(end.year, 12, 31)),
    )
    life = _figures(
        lop.total if lop else None, None if ind.lop_target is None else float(ind.lop_target)
    )
    for figures in (period, year, life):
        figures["status"] = _status(figures["percent"], ind.higher_is_better)
    return {
        **period,
        "ytd": year,
        "lop": life,
        "result": result,
        "lop_result": lop,
    }


def indicator_progress(
    programme: Programme | None, scope: Scope, start: date, end: date, period_label: str
) -> list[dict[str, Any]]:
    """Each indicator of the programme with its actual, target, percent of target and status
    (green, amber, red; grey without a target or a rule) for the period, the year to date and
    the life of the programme, counted as the report counts them (plain values: no
    disclosure control, these are totals). A fixed number of queries per indicator."""
    if programme is None:
        return []
    targets = _targets(programme)
    computed = _Computed(scope)
    out = []
    for ind in Indicator.objects.filter(programme=programme).order_by("order", "code"):
        progress = _progress(
            ind, targets.get(ind.pk, []), computed, programme, start, end, period_label
        )
        out.append(
            {
                "code": ind.code,
                # Every language's name: the dashboard caches these figures for all languages
                # and shows the reader's (core.names.localised_value).
                **{f: getattr(ind, f) for f in localised_fields("name")},
                "unit": ind.unit,
                "method": ind.method,
                "higher_is_better": ind.higher_is_better,
                "has_rule": ind.rule in RULES,
                "period": {k: progress[k] for k in ("actual", "target", "percent", "status")},
                "ytd": progress["ytd"],
                "lop": progress["lop"],
            }
        )
    return out


class IndicatorActuals:
    """The computed actuals of indicators, for a list of them (the API): for each target its
    period's actual, percent of target and status, and the life of the programme to date,
    counted by the same rules, parameters and Scope as `indicator_progress` (the dashboard) and
    the report. Each rule and period is computed once per instance; a period that has not
    begun has no actual. A fixed number of queries per indicator and period."""

    def __init__(self, scope: Scope, *, today: date | None = None) -> None:
        self.computed = _Computed(scope)
        self.today = today or timezone.localdate()

    def __call__(self, ind: Indicator, targets: Iterable[IndicatorTarget]) -> dict[str, Any]:
        rule = RULES.get(ind.rule)
        params = rule_params(ind, ind.programme) if rule else {}

        def figures(start: date, end: date, target) -> dict[str, Any]:
            actual = None
            if rule and start <= self.today:
                actual = self.computed(rule, params, start, min(end, self.today)).total
            out = _figures(actual, target)
            out["status"] = _status(out["percent"], ind.higher_is_better)
            return out

        lop_start = programme_start(ind.programme)
        lop_end = max(lop_start, ind.programme.end_date or self.today)
        lop_target = None if ind.lop_target is None else float(ind.lop_target)
        return {
            "targets": [
                {
                    "period": t.period,
                    "period_start": t.period_start,
                    "period_end": t.period_end,
                    **figures(t.period_start, t.period_end, float(t.value)),
                }
                for t in sorted(targets, key=lambda t: t.period_start)
            ],
            "life_of_programme": {
                "period_start": lop_start,
                "period_end": lop_end,
                **figures(lop_start, lop_end, lop_target),
            },
        }


def _indicator_rows(
    programme: Programme | None,
    scope: Scope,
    start: date,
    end: date,
    period_label: str,
    labels: _Labels,
    counts: disclosure.LinkedCounts,
) -> tuple[list[dict], list[dict], dict]:
    """The indicators' rows, their annex entries and the IPTT (counts of people as cells of
    `counts`, resolved once the whole report is known)."""
    if programme is None:
        return [], [], {}
    indicators = list(Indicator.objects.filter(programme=programme).order_by("order", "code"))
    targets = _targets(programme)
    comments = dict(
        IndicatorComment.objects.filter(
            indicator__programme=programme, period_label=period_label
        ).values_list("indicator_id", "text")
    )
    computed = _Computed(scope)
    lop_start = programme_start(programme)
    columns = tracking_periods(start, end)
    rows, annex, iptt_rows = [], [], []
    for ind in indicators:
        rule = RULES.get(ind.rule)
        params = rule_params(ind, programme)
        mine = targets.get(ind.pk, [])
        progress = _progress(ind, mine, computed, programme, start, end, period_label)
        result, lop = progress["result"], progress["lop_result"]
        actual, target, pct = progress["actual"], progress["target"], progress["percent"]
        lop_target, annual = progress["lop"]["target"], progress["ytd"]["target"]
        chosen = [d for d in (ind.disaggregations or []) if result and d in result.disaggregations]
        reached = None
        if rule and rule.counts_people and ind.completion == COMPLETED:
            reached = computed(rule, params | {"completion": REACHED}, start, end).total
        method_label = str(Indicator.Method(ind.method).label)
        people = bool(rule and rule.counts_people)
        rows.append(
            {
                "code": ind.code,
                "name": ind.display_name,
                "level": indicator_level(ind),
                "level_label": level_label(indicator_level(ind)),
                "unit": ind.unit,
                "unit_label": str(ind.get_unit_display()),
                "method": ind.method,
                "method_label": method_label,
                "higher_is_better": ind.higher_is_better,
                "completion_label": completion_label(ind),
                "baseline": float(ind.baseline),
                "target": target,
                "actual": actual,
                "reached": reached,
                "base": result.base if result else None,
                # Follow-up outcome rules: people asked, who answered, the response rate.
                "response": response_figures(result),
                "percent_of_target": pct,
                "status": progress["status"],
                "ytd": _figures(progress["ytd"]["actual"], annual),
                "lop": _figures(progress["lop"]["actual"], lop_target),
                "rule": ind.rule,
                "disaggregations": _protected_rows(result, chosen, labels, counts, people),
                # Staff's explanation of variance for the period ("" when none is written).
                "comment": comments.get(ind.pk, ""),
            }
        )
        annex.append(
            {
                "code": ind.code,
                "name": ind.display_name,
                "rule": ind.rule,
                "rule_label": str(rule.label) if rule else _("entered manually"),
                "explanation": str(rule.explanation) if rule else "",
                "params": ind.rule_params or {},
                "params_text": _params_text(ind.rule_params or {}, labels),
                "disaggregations": [str(DISAGGREGATIONS.get(d, d)) for d in chosen],
                "description": ind.description,
                "method_label": method_label,
                "direction_label": (
                    _("Higher is better") if ind.higher_is_better else _("Lower is better")
                ),
                "completion_text": completion_text(ind),
            }
        )
        cells, by_period = [], []
        for column in columns:
            res = computed(rule, params, column.start, column.end) if rule else None
            value = res.total if res else None
            if column is columns[-1]:
                column_target = annual
            else:
                column_target = _target_for(mine, column.key, column.start, column.end)
            cells.append(_figures(value, column_target))
            by_period.append(_protected_rows(res, chosen, labels, counts, people))
        lop_rows = _protected_rows(lop, chosen, labels, counts, people)
        breakdown = []
        for dim in chosen:
            keys = []
            for rows_of in [*by_period, lop_rows]:
                keys += [r["key"] for r in rows_of.get(dim, []) if r["key"] not in keys]
            for key in _order(dim, keys, labels):
                breakdown.append(
                    {
                        "dimension": dim,
                        "dimension_label": str(DISAGGREGATIONS.get(dim, dim)),
                        "key": key,
                        "label": labels.of(dim, key),
                        "cells": [_cell(rows_of, dim, key) for rows_of in by_period],
                        "cumulative": _cell(lop_rows, dim, key),
                    }
                )
        iptt_rows.append(
            {
                "code": ind.code,
                "name": ind.display_name,
                "level_label": level_label(indicator_level(ind)),
                "unit": ind.unit,
                "unit_label": str(ind.get_unit_display()),
                "method": ind.method,
                "method_label": method_label,
                "higher_is_better": ind.higher_is_better,
                "completion_label": completion_label(ind),
                "baseline": float(ind.baseline),
                "lop_target": lop_target,
                "cells": cells,
                "cumulative": lop.total if lop else None,
                "cumulative_percent": numbers.percent_of(lop.total if lop else None, lop_target),
                "disaggregations": breakdown,
            }
        )
    iptt = {
        "periods": [
            {
                "key": column.key,
                "label": (
                    _("%(year)s to date") % {"year": column.end.year}
                    if column is columns[-1]
                    else column.label
                ),
                "kind": "year_to_date" if column is columns[-1] else "quarter",
            }
            for column in columns
        ],
        "lop_start": lop_start.isoformat(),
        "rows": iptt_rows,
    }
    return rows, annex, iptt


def indicator_statuses(
    programme: Programme | None, scope: Scope, start: date, end: date, period_label: str
) -> list[dict[str, Any]]:
    """Each indicator of the programme with its period's status as the report colours it
    (green, amber, red; grey without a target or a rule), computed the report's way but for the
    period only: the build page asks which off-track indicators lack an explanation."""
    if programme is None:
        return []
    targets = _targets(programme)
    computed = _Computed(scope)
    out = []
    for ind in Indicator.objects.filter(programme=programme).order_by("order", "code"):
        rule = RULES.get(ind.rule)
        target = _target_for(targets.get(ind.pk, []), period_label, start, end)
        actual = None
        if rule and target is not None:
            actual = computed(rule, rule_params(ind, programme), start, end).total
        pct = numbers.percent_of(actual, target)
        out.append({"indicator": ind, "status": _status(pct, ind.higher_is_better)})
    return out


def _cell(rows_of: dict[str, list[dict]], dimension: str, key: str):
    """A breakdown's value for one key, 0 where the period has none (a count) or None."""
    for row in rows_of.get(dimension, []):
        if row["key"] == key:
            return row["value"]
    return None


def _people(
    end: date, labels: _Labels, counts: disclosure.LinkedCounts, attended: Attended
) -> dict[str, Any]:
    # The cube gives every breakdown (see indicators.people_cube): each person is in one cell.
    cube = attended.people_cube(end)
    total = sum(row[-1] for row in cube)
    out: dict[str, Any] = {"total": total}
    margins = {}
    for dim in ("sex", "age_band", "region", "category", "disability"):
        margins[dim] = counts.breakdown(dim, cube_margin(cube, dim), total)
        out[f"by_{dim}"] = _rows(dim, margins[dim], labels)
    # Category by sex: its rows add up to the categories, its columns to the sexes (the
    # same cells as the one-way tables), so disclosure control sees it as one linked table.
    cross = cube_margin(cube, "category", "sex")
    categories = _order("category", list(margins["category"]), labels)
    sexes = [str(sex) for sex in Sex]
    cells = {
        (code, sex): counts.count(("category_by_sex", total, code, sex), cross.get((code, sex), 0))
        for code in categories
        for sex in sexes
    }
    for code in categories:
        counts.adds_up(margins["category"][code], [cells[code, sex] for sex in sexes])
    for sex in sexes:
        if sex in margins["sex"]:
            counts.adds_up(margins["sex"][sex], [cells[code, sex] for code in categories])
    out["category_by_sex"] = [
        {
            "key": code,
            "label": labels.of("category", code),
            "F": cells[code, Sex.FEMALE],
            "M": cells[code, Sex.MALE],
            "total": margins["category"][code],
        }
        for code in categories
    ]
    return out


@dataclass(frozen=True)
class Attended:
    """Who attended the period's counted events: each (event, person) pair once, with what
    the report groups them by (the event's id, region code, type and activity line id; the
    person's id, sex and category code, and what else places the person in the people cube:
    their region code, birth year and disability status). ONE query (the enrolments with an
    attendance), however many groupings are read from it: the people reached by sex, region,
    category, age band and disability (`people_cube`), per event, per region and activity
    line (the events summary) and per quote group each used to read the quarter's attendance
    again (issue 23; the people cube's own query took 1.7 s at five times the data).

    Held as columns, one list per field, the n-th value of each for the n-th pair: the
    groupings count and pair whole columns (Counter, zip, set, compress) rather than pick
    each pair's tuple apart in Python (585,899 pairs a quarter at five times the data)."""

    columns: dict[str, list]

    @classmethod
    def of(cls, scope: Scope, start: date, end: date, basis: dict) -> Attended:
        # The pairs are read narrow (ids, the one-letter sex, the birth year, the status);
        # the events', regions' and categories' codes are joined here.
        events = {
            pk: rest
            for pk, *rest in held_events(scope, start, end, basis)
            .order_by()
            .values_list("pk", "region__code", "event_type", "activity_line_id")
        }
        categories = dict(ParticipantCategory.objects.values_list("pk", "code"))
        regions = dict(Region.objects.values_list("pk", "code"))
        rows = list(
            enrolments_attended(scope, start, end, basis)
            .order_by()
            .annotate(wgss=disability.status_expression("participant__disability_answers__"))
            .values_list(
                "event_id",
                "participant_id",
                "participant__sex",
                "participant__category_id",
                "participant__region_id",
                "participant__birth_year",
                "wgss",
            )
        )
        event, person, sex, category, home, born, wgss = (
            list(map(itemgetter(i), rows)) for i in range(7)
        )
        where = [events[e] for e in event]
        return cls(
            {
                "event": event,
                "region": [w[0] for w in where],
                "type": [w[1] for w in where],
                "line": [w[2] for w in where],
                "person": person,
                "sex": sex,
                "category": [categories.get(c) for c in category],
                "home": [regions.get(r) for r in home],
                "born": born,
                "wgss": wgss,
            }
        )

    def women(self) -> list[bool]:
        female = Sex.FEMALE.value
        return [s == female for s in self.columns["sex"]]

    def where(self, keep: Callable[..., bool], *fields: str) -> Attended:
        """The pairs whose values of `fields` `keep(*values)` accepts."""
        chosen = list(map(keep, *(self.columns[f] for f in fields)))
        return Attended({f: list(compress(c, chosen)) for f, c in self.columns.items()})

    def per_event(self) -> tuple[Counter, Counter]:
        """People and women per event: each (event, person) pair is there once."""
        events = self.columns["event"]
        return Counter(events), Counter(compress(events, self.women()))

    def people_cube(self, end: date) -> list[tuple]:
        """`indicators.people_cube(people_reached_qs(...), end)` from the pairs: the same
        cells (each person once; the age band in the year of `end`), in no particular
        order."""
        c = self.columns
        fields = ("person", "sex", "home", "category", "born", "wgss")
        people = set(zip(*(c[f] for f in fields), strict=True))
        born_in = Counter(map(itemgetter(1, 2, 3, 4, 5), people))
        bands: dict = {}
        cells: Counter = Counter()
        for (sex, home, category, born, wgss), n in born_in.items():
            if born not in bands:
                bands[born] = age_band(born, end.year)
            cells[sex, home, category, bands[born], wgss] += n
        return [
            tuple("unknown" if v is None else str(v) for v in cell) + (n,)
            for cell, n in cells.items()
        ]

    def people_by(self, *fields: str) -> dict[Any, tuple[int, int]]:
        """Unique people and unique women per key: the pairs' values of `fields` (one
        field: that value; several: a tuple). Each key is numbered and joined to the person's
        id in one int (number << bits of the largest id | id), so the unique (key, person)
        are a set of ints: half the time of a set of tuples at five times the data."""
        c = self.columns
        person = c["person"]
        values = c[fields[0]] if len(fields) == 1 else zip(*(c[f] for f in fields), strict=True)
        numbers: dict = {}
        numbered = [numbers.setdefault(v, len(numbers)) for v in values]
        bits = max(person, default=0).bit_length()
        pairs = [n << bits | p for n, p in zip(numbered, person, strict=True)]
        people = Counter(x >> bits for x in set(pairs))
        women = Counter(x >> bits for x in set(compress(pairs, self.women())))
        keys = list(numbers)
        return {keys[n]: (count, women[n]) for n, count in people.items()}


def _events(
    scope: Scope, start: date, end: date, labels: _Labels, basis: dict, attended: Attended
) -> list[dict]:
    counted = held_events(scope, start, end, basis)
    events = list(
        counted.select_related("region", "district", "activity_line").order_by(
            "start_date", "title"
        )
    )
    people, women = attended.per_event()
    for ev in events:
        ev.people, ev.women = people[ev.pk], women[ev.pk]
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


def _event_summary(
    scope: Scope, start: date, end: date, labels: _Labels, basis: dict, attended: Attended
) -> list:
    """The counted events per region and activity line: how many, of which types, sessions,
    districts, first and last day, and the people reached at them (unique within the row,
    1-4 shown as "<5"). Three GROUP BY queries, the activity lines' names and `attended`,
    whatever the number of events, so the PDF and DOCX do not grow with it."""
    counted = held_events(scope, start, end, basis).order_by()
    rows: dict[tuple[str, int | None], dict[str, Any]] = {}

    def row(region: str, line: int | None) -> dict[str, Any]:
        return rows.setdefault(
            (region, line),
            {
                "events": 0,
                "types": {},
                "sessions": 0,
                "districts": 0,
                "first": None,
                "last": None,
                "people": 0,
                "women": 0,
            },
        )

    for r in counted.values("region__code", "activity_line_id", "event_type").annotate(
        n=Count("pk"), first=Min("start_date"), last=Max("end_date")
    ):
        out = row(r["region__code"], r["activity_line_id"])
        out["events"] += r["n"]
        out["types"][r["event_type"]] = r["n"]
        out["first"] = min(filter(None, (out["first"], r["first"])))
        out["last"] = max(filter(None, (out["last"], r["last"])))
    for r in counted.values("region__code", "activity_line_id").annotate(
        n=Count("district", distinct=True)
    ):
        row(r["region__code"], r["activity_line_id"])["districts"] = r["n"]
    sessions = sessions_of_counted_events(scope, start, end, basis).order_by()
    for r in sessions.values("event__region__code", "event__activity_line_id").annotate(
        n=Count("pk")
    ):
        row(r["event__region__code"], r["event__activity_line_id"])["sessions"] = r["n"]
    people = attended.people_by("region", "line")
    for key, (n, women) in people.items():
        out = row(*key)
        out["people"], out["women"] = n, women
    lines = {line.pk: line for line in ActivityLine.objects.filter(pk__in={k[1] for k in rows})}

    def order(key: tuple[str, int | None]) -> tuple:
        line = lines.get(key[1])
        return (labels.of("region", key[0]), line is None, line.code if line else "")

    return [
        {
            "region": labels.of("region", region),
            "region_code": region,
            "activity": str(lines[line]) if line in lines else _("Other"),
            "activity_code": lines[line].code if line in lines else "",
            "types": [
                {"key": t, "label": labels.of("event_type", t), "events": n}
                for t, n in sorted(out["types"].items(), key=lambda tn: (-tn[1], tn[0]))
            ],
            "events": out["events"],
            "sessions": out["sessions"],
            "districts": out["districts"],
            "first": out["first"].isoformat() if out["first"] else None,
            "last": out["last"].isoformat() if out["last"] else None,
            "people": disclosure.protect_count(out["people"]),
            "women": disclosure.protect_count(out["women"]),
        }
        for (region, line), out in sorted(rows.items(), key=lambda kv: order(kv[0]))
    ]


def quote_groups(
    scope: Scope,
    start: date,
    end: date,
    basis: dict,
    attended: Attended | None = None,
    *,
    only: Iterable[tuple] | None = None,
) -> dict[tuple, int]:
    """People reached at the period's counted events by (category, event region, event type),
    and by (event region, event type) for a quote without a category: the group a quote
    names (disclosure.large_enough_group). Read from `attended` (one query when not given);
    with `only` (the groups the quotes name), the sizes of those groups' events only."""
    attended = attended if attended is not None else Attended.of(scope, start, end, basis)
    if only is not None:
        places = {(region, kind) for _category, region, kind in only}
        attended = attended.where(lambda *place: place in places, "region", "type")
    out = {
        (category or "", region, kind): n
        for (category, region, kind), (n, _women) in attended.people_by(
            "category", "region", "type"
        ).items()
    }
    for (region, kind), (n, _women) in attended.people_by("region", "type").items():
        out[("", region, kind)] = n
    return out


def _feedback(
    scope: Scope,
    start: date,
    end: date,
    labels: _Labels,
    basis: dict,
    counts: disclosure.LinkedCounts,
    attended: Attended | None = None,
) -> tuple[dict, list[dict]]:
    fb = feedback_in(scope, start, end, basis)
    agg = feedback_summary(fb)
    n = agg["n"]

    def mean(item: str):
        return numbers.rounded(agg[f"avg_{item}"], numbers.PLACES[numbers.MEAN])

    satisfied_pct = disclosure.protect_rate(numbers.rate(agg["n_satisfied"], n), n)
    items = [
        {
            "key": item.key,
            "label": str(item.report_label),
            "mean": disclosure.protect_rate(mean(item.key), n),
        }
        for item in LIKERT
    ]
    # The answers add up to the respondents; the share satisfied and the mean of the same
    # answers are two more sums a reader can use, so disclosure control knows them too.
    answers = {row["score"]: row["n"] for row in satisfaction_distribution(fb)}
    cells = counts.breakdown("satisfaction", answers, n)
    if numbers.is_number(satisfied_pct):
        satisfied = [cells[s] for s in answers if s >= SATISFIED_FROM]
        counts.adds_up(agg["n_satisfied"], satisfied, table=False)
    if any(i["key"] == "satisfaction" and numbers.is_number(i["mean"]) for i in items):
        scores = sum(score * count for score, count in answers.items())
        counts.adds_up(scores, list(cells.values()), weights=list(answers), table=False)
    summary = {
        "respondents": n,
        "satisfied_pct": satisfied_pct,
        "items": items,
        "distribution": [{"score": score, "count": cells[score]} for score in answers],
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
    texts = list(texts)
    # The sizes of the groups these quotes name (none to count when there is no quote).
    named = {
        (
            row["enrolment__participant__category__code"] or "",
            row["event__region__code"],
            row["event__event_type"],
        )
        for row in texts
    }
    groups = quote_groups(scope, start, end, basis, attended, only=named)
    quotes = disclosure.quotable(
        (
            {
                "text": row["quote_text_reviewed"],
                "consent_to_quote": row["consent_to_quote"],
                "quote_status": row["quote_status"],
                "author_name": row["enrolment__participant__full_name"],
                "group": (
                    row["enrolment__participant__category__code"] or "",
                    row["event__region__code"],
                    row["event__event_type"],
                ),
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
        group_sizes=groups,
    )
    return summary, quotes


def _knowledge(
    scope: Scope, start: date, end: date, basis: dict, counts: disclosure.LinkedCounts
) -> dict[str, Any]:
    tests = paired_tests(scope, start, end, basis)
    measures = knowledge_measures()
    # The people tested in the same scan as the measures.
    agg = tests.aggregate(**measures, people=Count("enrolment__participant", distinct=True))

    def shape(row: dict, n_shown=None) -> dict:
        n = row["n"]

        def r(v):
            value = disclosure.protect_rate(v, n)
            # A line whose number of pairs is withheld hides its figures the same way.
            return counts.rate(value, n_shown) if n_shown is not None else value

        return {
            "n": n if n_shown is None else n_shown,
            "pre": r(numbers.rounded(row["avg_pre"], numbers.PLACES[numbers.POINTS])),
            "post": r(numbers.rounded(row["avg_post"], numbers.PLACES[numbers.POINTS])),
            "gain": r(numbers.rounded(row["avg_gain"], numbers.PLACES[numbers.POINTS])),
            "improved_pct": r(numbers.rate(row["n_improved"], n)),
        }

    lines = list(
        tests.order_by()
        .values(
            "enrolment__event__activity_line__code",
            *localised_fields("enrolment__event__activity_line__name"),
        )
        .annotate(**measures)
        .order_by("enrolment__event__activity_line__code")
    )

    def label(row: dict) -> str:
        code = row["enrolment__event__activity_line__code"]
        name = localised_value(row, "enrolment__event__activity_line__name")
        return f"{code} {name}" if code else _("Other")

    # The lines' pairs add up to the total (exact: pairs of tests, one per person and event).
    cells = counts.breakdown("activity_line", {label(row): row["n"] for row in lines}, agg["n"])
    by_line = [{"label": label(row)} | shape(row, cells[label(row)]) for row in lines]
    total = shape(agg)
    total["people"] = agg["people"]
    return total | {"by_activity": by_line}


def _narratives(programme, period_label: str, start: date, end: date, scope: Scope) -> list[dict]:
    if programme is None:
        return []
    qs = Narrative.objects.filter(programme=programme).filter(
        Q(period_label=period_label) | Q(period_start=start, period_end=end)
    )
    # A report of every region shows the programme-wide narrative, then each region's, as the
    # regions wrote it in the quarterly close; a regional report its regions' only.
    if not scope.all_regions:
        qs = qs.filter(scope.region_q())
    out = []
    for n in qs.select_related("region").order_by(F("region__code").asc(nulls_first=True)):
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


def _summary(people: dict, events: list, scope: Scope, start, end, feedback, knowledge, basis):
    partners = RULES["partners_engaged"].compute(scope, start, end, basis).total
    sessions = RULES["sessions_delivered"].compute(scope, start, end, basis).total
    by_sex = {row["key"]: row["value"] for row in people["by_sex"]}
    return {
        "people": people["total"],
        "women": by_sex.get(Sex.FEMALE, 0),
        "men": by_sex.get(Sex.MALE, 0),
        "events": len(events),
        "sessions": sessions,
        "partners": partners,
        "respondents": feedback["respondents"],
        "feedback_forms": feedback["respondents"],
        "satisfied_pct": feedback["satisfied_pct"],
        "people_tested": knowledge["people"],
        "tests": knowledge["n"],
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
        # Every count of people goes in as a cell of linked tables; disclosure control
        # decides what each shows once all are known (reports/disclosure.py, rule 5).
        counts = disclosure.LinkedCounts()
        indicators, annex, iptt = _indicator_rows(
            prog, scope, start, end, period_label, labels, counts
        )
        # The report's own sections count the programme's events only (no indicator filters).
        basis = {"programme": prog.pk} if prog else {}
        step("people", 40)
        attended = Attended.of(scope, start, end, basis)
        people = _people(end, labels, counts, attended)
        step("events", 55)
        events = _events(scope, start, end, labels, basis, attended)
        event_summary = _event_summary(scope, start, end, labels, basis, attended)
        step("feedback", 70)
        feedback, quotes = _feedback(scope, start, end, labels, basis, counts, attended)
        step("knowledge", 80)
        knowledge = _knowledge(scope, start, end, basis, counts)
        step("disclosure", 85)
        counts.protect()
        indicators, iptt, people, feedback, knowledge = counts.resolve(
            [indicators, iptt, people, feedback, knowledge]
        )
        step("narrative", 90)
        narratives = _narratives(prog, period_label, start, end, scope)
        summary = _summary(people, events, scope, start, end, feedback, knowledge, basis)
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
                "name": prog.display_name if prog else "",
                "donor": donor.display_name if donor else "",
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
            event_summary=event_summary,
            feedback=feedback,
            quotes=quotes,
            knowledge=knowledge,
            narratives=narratives,
            annex=annex,
            iptt=iptt,
            methodology=methodology(prog, start, end),
            inputs_hash=digest,
            approval=report_approval(prog, scope, start, end),
            logos=branding.report_logos(),
            photos=branding.report_photos(scope, start, end, basis),
        )
    step("done", 100)
    return data
