"""A donor report's data written by hand (schema 2: the IPTT, the counting rules, each
indicator's method, year-to-date and life-of-programme figures), for rendering tests that
need no database: small but realistic values, with withheld ("<5") and missing (None) cells,
a period without a target, an indicator without a life-of-programme target and one where
lower is better."""

from __future__ import annotations

import copy
from typing import Any

from reports.builder import ReportData

WOMEN_Q2 = "<5"


PERIODS = [
    {"key": "2024Q1", "label": "Q1 2024", "kind": "quarter"},
    {"key": "2024Q2", "label": "Q2 2024", "kind": "quarter"},
    {"key": "2024Q3", "label": "Q3 2024", "kind": "quarter"},
    {"key": "2024", "label": "2024 to date", "kind": "year_to_date"},
]


def _cell(target, actual, percent) -> dict[str, Any]:
    return {"target": target, "actual": actual, "percent": percent}


IPTT_ROWS = [
    {
        "code": "OP1",
        "name": "Youth workers and officials trained in preventing radicalisation",
        "level_label": "Output",
        "unit": "people",
        "unit_label": "people",
        "method": "unique",
        "method_label": "Unique count",
        "higher_is_better": True,
        "completion_label": "completed at least 80% of sessions",
        "baseline": 0.0,
        "lop_target": 300.0,
        "cells": [
            _cell(60.0, 57, 95.0),
            _cell(60.0, 41, 68.3),
            _cell(60.0, 72, 120.0),
            _cell(180.0, 163, 90.6),
        ],
        "cumulative": 210,
        "cumulative_percent": 70.0,
        "disaggregations": [
            {
                "dimension_label": "sex",
                "label": "Women",
                "cells": [12, WOMEN_Q2, 30, 44],
                "cumulative": 80,
            },
            {
                "dimension_label": "sex",
                "label": "Men",
                "cells": [45, 38, 42, 119],
                "cumulative": 130,
            },
            {
                "dimension_label": "category",
                "label": "Theologian",
                "cells": ["<5", None, "<5", 6],
                "cumulative": "<5",
            },
        ],
    },
    {
        "code": "OP2",
        "name": "Training events held",
        "level_label": "Output",
        "unit": "events",
        "unit_label": "events",
        "method": "sum",
        "method_label": "Sum",
        "higher_is_better": True,
        "completion_label": "",
        "baseline": 0.0,
        "lop_target": None,
        "cells": [
            _cell(4.0, 3, 75.0),
            _cell(4.0, 4, 100.0),
            _cell(4.0, 5, 125.0),
            _cell(12.0, 12, 100.0),
        ],
        "cumulative": 14,
        "cumulative_percent": None,
        "disaggregations": [],
    },
    {
        "code": "OC1",
        "name": "Participants satisfied with the training",
        "level_label": "Outcome",
        "unit": "percent",
        "unit_label": "percent",
        "method": "ratio",
        "method_label": "Ratio (numerator / denominator)",
        "higher_is_better": True,
        "completion_label": "",
        "baseline": 40.0,
        "lop_target": 75.0,
        "cells": [
            _cell(None, 72.5, None),
            _cell(70.0, None, None),
            _cell(70.0, 81.25, 116.1),
            _cell(70.0, 78.4, 112.0),
        ],
        "cumulative": 77.9,
        "cumulative_percent": 103.9,
        "disaggregations": [],
    },
    {
        "code": "OC4",
        "name": "Participants who agree that violence is sometimes justified",
        "level_label": "Outcome",
        "unit": "percent",
        "unit_label": "percent",
        "method": "mean",
        "method_label": "Mean",
        "higher_is_better": False,
        "completion_label": "",
        "baseline": 35.0,
        "lop_target": 20.0,
        "cells": [
            _cell(30.0, 31.0, 103.3),
            _cell(28.0, 26.5, 94.6),
            _cell(25.0, 22.4, 89.6),
            _cell(25.0, 26.1, 104.4),
        ],
        "cumulative": 26.1,
        "cumulative_percent": 130.5,
        "disaggregations": [],
    },
]

METHODOLOGY = [
    "An event counts in the period in which it starts; a session, on its own date.",
    "Only events held or reported count; planned and cancelled events do not.",
    "People are counted once, however many events and sessions they attended.",
    "Cumulative columns run from the programme's start to the end of the report's period.",
]


def _indicator(row: dict, *, status: str, reached=None, ytd=None, lop=None) -> dict[str, Any]:
    q3 = row["cells"][2]
    return {
        "code": row["code"],
        "name": row["name"],
        "level": row["level_label"].lower(),
        "level_label": row["level_label"],
        "unit": row["unit"],
        "unit_label": row["unit_label"],
        "baseline": row["baseline"],
        "target": q3["target"],
        "actual": q3["actual"],
        "base": None,
        "percent_of_target": q3["percent"],
        "status": status,
        "rule": "manual",
        "disaggregations": {},
        "method": row["method"],
        "method_label": row["method_label"],
        "higher_is_better": row["higher_is_better"],
        "completion_label": row["completion_label"],
        "reached": reached,
        "ytd": ytd or {"actual": None, "target": None, "percent": None},
        "lop": lop or {"actual": None, "target": None, "percent": None},
    }


def _annex(row: dict, completion_text: str = "") -> dict[str, Any]:
    lower = row["higher_is_better"] is False
    return {
        "code": row["code"],
        "name": row["name"],
        "rule": "manual",
        "rule_label": "entered manually",
        "explanation": f"How {row['code']} is counted.",
        "params": {},
        "params_text": "",
        "disaggregations": ["Sex"] if row["disaggregations"] else [],
        "description": "",
        "method_label": row["method_label"],
        "direction_label": "Lower is better" if lower else "Higher is better",
        "completion_text": completion_text,
    }


def schema2_json() -> dict[str, Any]:
    """The Q3 2024 report of every region, as the builder's schema 2 stores it."""
    op1, op2, oc1, oc4 = IPTT_ROWS
    indicators = [
        _indicator(
            op1,
            status="green",
            reached=95,
            ytd={"actual": 163, "target": 180.0, "percent": 90.6},
            lop={"actual": 210, "target": 300.0, "percent": 70.0},
        ),
        _indicator(op2, status="green", ytd={"actual": 12, "target": 12.0, "percent": 100.0}),
        _indicator(oc1, status="green"),
        _indicator(oc4, status="amber"),
    ]
    indicators[0]["disaggregations"] = {
        "sex": [
            {"key": "F", "label": "Women", "value": 30},
            {"key": "M", "label": "Men", "value": 42},
        ]
    }
    return copy.deepcopy(
        {
            "language": "en",
            "period_label": "2024Q3",
            "start": "2024-07-01",
            "end": "2024-09-30",
            "generated_at": "2024-10-05T09:00:00+05:00",
            "programme": {
                "code": "PVE-KZ",
                "name": "Resilient communities in Central Asia",
                "donor": "Government of Japan",
                "budget_code": "00123456",
                "outcome": "Communities are more resilient to violent extremism.",
                "sdg_target": "16.a",
                "start": "2023-01-01",
                "end": "2025-12-31",
                "implementer": "UNDP Kazakhstan",
            },
            "scope": {"all_regions": True, "regions": [], "label": "All regions"},
            "summary": {
                "people": 2963,
                "women": 1500,
                "men": 1463,
                "events": 5,
                "sessions": 18,
                "partners": 7,
                "respondents": 4141,
                "satisfied_pct": 82.3,
                "knowledge_gain": 12.5,
                "people_tested": 2963,
                "tests": 3665,
                "feedback_forms": 4141,
            },
            "indicators": indicators,
            "people": {
                "total": 2963,
                "by_sex": [
                    {"key": "F", "label": "Women", "value": 1500},
                    {"key": "M", "label": "Men", "value": 1463},
                ],
                "by_age_band": [{"key": "18-24", "label": "18-24", "value": 2963}],
                "by_region": [{"key": "KZ-47", "label": "Mangystau", "value": 2963}],
                "by_category": [{"key": "theo", "label": "Theologian", "value": 2963}],
                "category_by_sex": [
                    {"key": "theo", "label": "Theologian", "F": "<5", "M": 2960, "total": 2963}
                ],
            },
            "events": [],
            "feedback": {
                "respondents": 4141,
                "satisfied_pct": 82.3,
                "items": [{"key": "satisfaction", "label": "Overall satisfaction", "mean": 4.31}],
                "distribution": [{"score": 5, "count": 4141}],
            },
            "quotes": [],
            "knowledge": {
                "n": 3665,
                "people": 2963,
                "pre": 52.0,
                "post": 64.5,
                "gain": 12.5,
                "improved_pct": 71.2,
                "by_activity": [],
            },
            "narratives": [],
            "annex": [
                _annex(op1, "A person counts once they attended at least 80% of the sessions."),
                _annex(op2),
                _annex(oc1),
                _annex(oc4),
            ],
            "iptt": {"periods": PERIODS, "rows": IPTT_ROWS},
            "methodology": METHODOLOGY,
            "inputs_hash": "0" * 64,
            "version": 2,
        }
    )


def schema2_report(**changes: Any) -> ReportData:
    """The hand-written report as a ReportData, with `changes` to its top-level fields."""
    return ReportData.from_json(schema2_json() | changes)
