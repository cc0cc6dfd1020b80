"""The programme as one IATI activity: every quarter it has reported, ready to render.

One activity per programme, with a stable identifier (the reporting organisation's identifier,
a hyphen, the programme's budget code or code: rule 1.1.21), so each quarter's file replaces
the last with one that holds all quarters so far. Each indicator has its baseline and one
period per quarter from the programme's start to the report's end (cut at the programme's
end), with that quarter's target and actual and the disaggregated actuals as dimensions.

The values come from the same rules as every other figure (reports/indicators.py RULES with
the builder's `rule_params`), breakdowns pass reports/disclosure.py, and a withheld ("<5" or "x")
breakdown row is left out (rule 8.10.1: an actual always has a value), the indicator saying
that small groups are withheld. Dimension names and values are fixed codes (sex = female /
male, age = the band, region = the ISO code), whatever the report's language.

`build_activity()` reads the database; `activity_from_report()` makes the same shape from a
stored ReportData alone (one period), for snapshots made before this existed. The result is
plain JSON, kept on the ReportData (`iati`), which reports/renderers/iati.py turns into XML.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Max, Min
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.scope import Scope
from core import periods
from regions.models import PartnerOrganisation, Region
from trainings.models import Programme

from . import disclosure
from .builder import (
    ReportData,
    _target_for,
    _targets,
    indicator_level,
    programme_start,
    resolve_programme,
)
from .builder import completion_text as indicator_completion_text
from .builder import rule_params as indicator_params
from .indicators import RULES, held_events
from .models import Indicator

IMPLEMENTER = "UNDP Kazakhstan"
# IATI ActivityStatus codes.
PIPELINE, IMPLEMENTATION, FINALISATION, CLOSED, SUSPENDED = "1", "2", "3", "4", "6"
# IATI ActivityDateType codes.
PLANNED_START, ACTUAL_START, PLANNED_END, ACTUAL_END = "1", "2", "3", "4"
# Fixed names of the dimensions (never translated), and of their values where the key is not
# already a code (region and category keys are codes).
DIMENSION_NAMES = {
    "sex": "sex",
    "age_band": "age",
    "region": "region",
    "category": "category",
    "event_type": "event-type",
    "partner_type": "partner-type",
    "disability": "disability",
}
SEX_VALUES = {"F": "female", "M": "male"}
# IATI OrganisationType of a partner's kind.
ORGANISATION_TYPES = {
    PartnerOrganisation.Type.DONOR: "10",
    PartnerOrganisation.Type.AKIMAT: "11",
    PartnerOrganisation.Type.POLICE: "10",
    PartnerOrganisation.Type.YRC: "15",
    PartnerOrganisation.Type.UNIVERSITY: "80",
    PartnerOrganisation.Type.NGO: "22",
    PartnerOrganisation.Type.UN_AGENCY: "40",
}
KAZAKH_LETTERS = set("әғқңөұүһіӘҒҚҢӨҰҮҺІ")


def identifier(programme: dict[str, Any] | Programme) -> str:
    """The activity's iati-identifier: the same for every quarter, region and language."""
    if isinstance(programme, Programme):
        code = programme.budget_code or programme.code
    else:
        code = programme.get("budget_code") or programme.get("code") or "programme"
    return f"{settings.IATI_REPORTING_ORG}-{str(code).strip().replace(' ', '-')}"


def text_language(text: str, default: str) -> str:
    """The language a text is written in, as far as its letters tell: Latin letters are
    English, Cyrillic ones Kazakh when a Kazakh letter is among them, else Russian (or the
    report's language when that is Kazakh); no letters at all: `default`."""
    latin = sum(1 for ch in text if ch.isalpha() and ch.isascii())
    cyrillic = sum(1 for ch in text if "\u0400" <= ch <= "\u04ff")
    if not latin and not cyrillic:
        return default
    if latin > cyrillic:
        return "en"
    if any(ch in KAZAKH_LETTERS for ch in text):
        return "kk"
    return default if default in ("kk", "ru") else "ru"


def dimension_value(dimension: str, key: Any) -> str:
    """A breakdown key as a fixed code: female/male, the age band, the region's ISO code."""
    key = str(key)
    if key in ("", "None", "unknown"):
        return "unknown"
    if dimension == "sex":
        return SEX_VALUES.get(key, key.lower())
    return key


def activity_status(*, start: date | None, end: date | None, is_active: bool, today: date) -> str:
    """The IATI ActivityStatus from the programme's dates and whether it is active."""
    if start and today < start:
        return PIPELINE
    if end and today > end:
        return FINALISATION if is_active else CLOSED
    return IMPLEMENTATION if is_active else SUSPENDED


def withheld_text() -> str:
    return _(
        "Breakdowns of fewer than 5 people are withheld to protect privacy: the rows of the "
        "groups concerned are left out, the totals are complete."
    )


def indicator_description(explanation: str, method_label: str, completion: str) -> str:
    parts = [explanation or ""]
    if method_label:
        parts.append(_("Method: %(method)s.") % {"method": method_label})
    parts.append(completion or "")
    return " ".join(part for part in parts if part)


def _dimensions(disaggregations: dict[str, Any]) -> tuple[list[dict], int]:
    """Published breakdown rows of one period (fixed names and values) and how many were
    withheld. `disaggregations` is dimension -> rows ({"key", "value"}) or key -> value.

    A dimension with any withheld cell is left out whole: the report and this file protect
    their tables separately, so a cell shown here that the report withholds ("x") could undo
    the report's protection when the two are read together."""
    rows, withheld = [], 0
    for dimension, cells in disaggregations.items():
        pairs = (
            [(row["key"], row["value"]) for row in cells]
            if isinstance(cells, list)
            else list(cells.items())
        )
        shown = [(key, value) for key, value in pairs if value is not None]
        hidden = [
            value
            for _key, value in shown
            if disclosure.is_withheld(value) or not isinstance(value, int | float)
        ]
        if hidden:
            withheld += len(shown)
            continue
        rows.extend(
            {
                "name": DIMENSION_NAMES.get(dimension, dimension),
                "value": dimension_value(dimension, key),
                "actual": value,
            }
            for key, value in shown
        )
    return rows, withheld


def quarters(programme: Programme | None, end: date) -> list[periods.Period]:
    """The quarters from the programme's start to `end` (or the programme's end, if sooner),
    the first one cut at the start, the last one at that day (keeping the quarter's key, by
    which its target is found)."""
    first = programme_start(programme)
    stop = min(end, programme.end_date) if programme and programme.end_date else end
    quarter = periods.quarter_of(first)
    out = []
    while quarter.start <= stop:
        if quarter.start < first or quarter.end > stop:
            out.append(
                periods.Period(quarter.key, max(quarter.start, first), min(quarter.end, stop))
            )
        else:
            out.append(quarter)
        quarter = periods.quarter_of(quarter.end + timedelta(days=1))
    return out


def _organisation(partner: PartnerOrganisation | None) -> dict[str, str] | None:
    if partner is None:
        return None
    return {
        "name": partner.display_name,
        "ref": partner.iati_identifier,
        "type": ORGANISATION_TYPES.get(partner.type, "90"),
    }


def _scope_label(scope: Scope) -> str:
    if scope.all_regions:
        return _("All regions")
    return ", ".join(r.name for r in Region.objects.filter(scope.region_q("pk")).order_by("code"))


def build_activity(
    *,
    programme: Programme,
    scope: Scope,
    end: date,
    language: str,
    today: date | None = None,
) -> dict[str, Any]:
    """The programme's activity in `scope`, every quarter up to `end`, texts in `language`."""
    today = today or timezone.localdate()
    basis = {"programme": programme.pk}
    with translation.override(language):
        events = held_events(scope, date(1900, 1, 1), today, basis).aggregate(
            first=Min("start_date"), last=Max("end_date")
        )
        status = activity_status(
            start=programme.start_date,
            end=programme.end_date,
            is_active=programme.is_active,
            today=today,
        )
        dates = {}
        planned_start = programme.start_date or events["first"]
        if planned_start:
            dates[PLANNED_START] = planned_start.isoformat()
        if events["first"] and events["first"] <= today:
            dates[ACTUAL_START] = events["first"].isoformat()
        if programme.end_date:
            dates[PLANNED_END] = programme.end_date.isoformat()
        if status in (FINALISATION, CLOSED) and events["last"] and events["last"] <= today:
            dates[ACTUAL_END] = events["last"].isoformat()
        columns = quarters(programme, end)
        targets = _targets(programme)
        indicators = []
        # Every quarter's breakdowns of people are linked tables (each adds up to its actual):
        # complementary suppression decides them together, as in a report.
        counts = disclosure.LinkedCounts()
        pending = []
        for ind in Indicator.objects.filter(programme=programme).order_by("order", "code"):
            rule = RULES.get(ind.rule)
            params = indicator_params(ind, programme)
            mine = targets.get(ind.pk, [])
            period_rows = []
            for column in columns:
                result = rule.compute(scope, column.start, column.end, params) if rule else None
                chosen = [
                    d for d in (ind.disaggregations or []) if result and d in result.disaggregations
                ]
                protected: dict = {}
                if result is not None and chosen:
                    cells = {d: result.disaggregations.get(d, {}) for d in chosen}
                    if result.is_count and rule.counts_people:
                        protected = {d: counts.breakdown(d, cells[d], result.total) for d in chosen}
                    elif result.is_count:  # events, sessions, partners: never withheld
                        protected = cells
                    else:
                        protected = disclosure.protect_disaggregations(
                            cells, is_count=False, bases=result.bases
                        )
                period_rows.append(
                    {
                        "start": column.start.isoformat(),
                        "end": column.end.isoformat(),
                        "target": _target_for(mine, column.key, column.start, column.end),
                        "actual": result.total if result else None,
                        "dimensions": [],
                        "withheld": 0,
                    }
                )
                pending.append((len(indicators), period_rows[-1], protected))
            description = indicator_description(
                str(rule.explanation) if rule else "",
                str(Indicator.Method(ind.method).label),
                indicator_completion_text(ind),
            )
            indicators.append(
                {
                    "code": ind.code,
                    "name": ind.display_name,
                    "level": indicator_level(ind),
                    "unit": ind.unit,
                    "unit_label": str(ind.get_unit_display()),
                    "method": ind.method,
                    "higher_is_better": ind.higher_is_better,
                    "baseline": float(ind.baseline),
                    "baseline_year": programme_start(programme).year,
                    "description": description,
                    "withheld": False,  # set below, once disclosure control has decided
                    "periods": period_rows,
                }
            )
        counts.protect()
        for position, row, protected in pending:
            row["dimensions"], row["withheld"] = _dimensions(counts.resolve(protected))
            indicators[position]["withheld"] = indicators[position]["withheld"] or bool(
                row["withheld"]
            )
        first, last = (columns[0].start, columns[-1].end) if columns else (None, None)
        return {
            "identifier": identifier(programme),
            "reporting_org": {"ref": settings.IATI_REPORTING_ORG, "name": IMPLEMENTER},
            "language": language,
            "programme": {
                "code": programme.code,
                "name": programme.display_name,
                "outcome": programme.outcome,
            },
            "scope": _scope_label(scope),
            "covers": [first.isoformat(), last.isoformat()] if columns else [],
            "donor": _organisation(programme.donor if programme.donor_id else None),
            "status": status,
            "dates": dates,
            "indicators": indicators,
            "withheld_text": withheld_text(),
        }


def with_activity(
    data: ReportData,
    *,
    programme: Programme | None = None,
    scope: Scope,
    today: date | None = None,
) -> ReportData:
    """`data` with its programme's activity (every quarter to the report's end) attached."""
    programme = programme or resolve_programme(data.programme.get("code") or None)
    if programme is None:
        return data
    activity = build_activity(
        programme=programme,
        scope=scope,
        end=data.end_date,
        language=data.language,
        today=today,
    )
    return dataclasses.replace(data, iati=activity)


def activity_from_report(data: ReportData) -> dict[str, Any]:
    """The activity as far as a stored report tells (its one period), without the database:
    for snapshots made before the activity was kept with them."""
    programme = data.programme
    today = date.fromisoformat(data.generated_at[:10])
    start = date.fromisoformat(programme["start"]) if programme.get("start") else None
    end = date.fromisoformat(programme["end"]) if programme.get("end") else None
    status = activity_status(start=start, end=end, is_active=True, today=today)
    dates = {PLANNED_START: (start or data.start_date).isoformat()}
    if end:
        dates[PLANNED_END] = end.isoformat()
    annex = {a["code"]: a for a in data.annex}
    indicators = []
    for ind in data.indicators:
        dimensions, withheld = _dimensions(ind.get("disaggregations") or {})
        entry = annex.get(ind["code"], {})
        indicators.append(
            {
                "code": ind["code"],
                "name": ind["name"],
                "level": ind["level"],
                "unit": ind["unit"],
                "unit_label": ind.get("unit_label", ""),
                "method": ind.get("method"),
                "higher_is_better": ind.get("higher_is_better", True),
                "baseline": ind["baseline"],
                "baseline_year": (start or data.start_date).year,
                "description": indicator_description(
                    entry.get("explanation", ""),
                    ind.get("method_label") or entry.get("method_label", ""),
                    entry.get("completion_text", ""),
                ),
                "withheld": bool(withheld),
                "periods": [
                    {
                        "start": data.start,
                        "end": data.end,
                        "target": ind.get("target"),
                        "actual": ind.get("actual"),
                        "dimensions": dimensions,
                        "withheld": withheld,
                    }
                ],
            }
        )
    return {
        "identifier": identifier(programme),
        "reporting_org": {
            "ref": settings.IATI_REPORTING_ORG,
            "name": programme.get("implementer") or IMPLEMENTER,
        },
        "language": data.language,
        "programme": {
            "code": programme.get("code", ""),
            "name": programme.get("name", ""),
            "outcome": programme.get("outcome", ""),
        },
        "scope": data.scope.get("label", ""),
        "covers": [data.start, data.end],
        "donor": (
            {"name": programme["donor"], "ref": programme.get("donor_iati_identifier", "")}
            | {"type": "10"}
            if programme.get("donor")
            else None
        ),
        "status": status,
        "dates": dates,
        "indicators": indicators,
        "withheld_text": withheld_text(),
    }
