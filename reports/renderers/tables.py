"""The report's tables as (title, header, rows), shared by the CSV, XLSX and DOCX renderers.

Reads only the ReportData (never the database). Call inside
`translation.override(data.language)` so headers come out in the report's language.

Every number in a row is a figure (reports/numbers.py): a count is an int, a rate, a mean or
points a Decimal with the places of its kind, rounded half up. So a column that mixes kinds
(the feedback table's means and its number of respondents) shows each cell as it should in
every format, and a renderer needs no per-column formats."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.utils.translation import gettext as _

from ..builder import ReportData
from ..numbers import MEAN, PERCENT, PLACES, POINTS, figure, places_for_unit


@dataclass
class Table:
    key: str  # file name, ASCII
    title: str
    header: list[str]
    rows: list[list[Any]]
    sheet: str = ""  # a short name of whole words for a spreadsheet tab (31 characters at most)


def sheet_names() -> dict[str, str]:
    """Short tab names for the XLSX: whole words, readable at a glance (the full titles are
    listed on the About sheet)."""
    return {
        "summary": _("Key figures"),
        "indicators": _("Indicators"),
        "indicator_disaggregations": _("Indicators by group"),
        "people_by_sex": _("People by sex"),
        "people_by_age_band": _("People by age"),
        "people_by_region": _("People by region"),
        "people_by_category": _("People by category"),
        "people_category_by_sex": _("Category and sex"),
        "events": _("Events"),
        "feedback": _("Feedback"),
        "feedback_distribution": _("Satisfaction answers"),
        "knowledge": _("Knowledge gain"),
        "quotes": _("Quotes"),
        "narrative": _("Narrative"),
        "indicator_rules": _("Annex"),
    }


def status_label(status: str) -> str:
    labels = {
        "green": _("On track"),
        "amber": _("Needs attention"),
        "red": _("Off track"),
        "grey": _("No target"),
    }
    return labels.get(status, status)


def day(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def period_text(data: ReportData) -> str:
    """'2024Q3 (01.07.2024 - 30.09.2024)'."""
    return f"{data.period_label} ({data.start_date:%d.%m.%Y} – {data.end_date:%d.%m.%Y})"


def dimension_label(dim: str) -> str:
    return {
        "sex": _("Sex"),
        "age_band": _("Age band"),
        "region": _("Region"),
        "category": _("Category"),
        "event_type": _("Event type"),
        "partner_type": _("Partner type"),
    }.get(dim, dim)


def summary_rows(data: ReportData) -> list[list[Any]]:
    s = data.summary
    return [
        [_("People reached (unique)"), figure(s["people"], 0)],
        [_("of whom women"), figure(s["women"], 0)],
        [_("of whom men"), figure(s["men"], 0)],
        [_("Events held"), figure(s["events"], 0)],
        [_("Sessions delivered"), figure(s["sessions"], 0)],
        [_("Partner organisations engaged"), figure(s["partners"], 0)],
        [_("Feedback respondents"), figure(s["respondents"], 0)],
        [_("Participants satisfied (%)"), figure(s["satisfied_pct"], PLACES[PERCENT])],
        [_("Mean knowledge gain (points)"), figure(s["knowledge_gain"], PLACES[POINTS])],
    ]


def report_tables(data: ReportData) -> list[Table]:
    """Every table of the report, in reading order."""
    tables = [
        Table("summary", _("Key figures"), [_("Figure"), _("Value")], summary_rows(data)),
    ]
    h = [
        _("Code"),
        _("Indicator"),
        _("Level"),
        _("Unit"),
        _("Baseline"),
        _("Target"),
        _("Actual"),
        _("% of target"),
        _("Status"),
    ]
    tables.append(
        Table(
            "indicators",
            _("Results framework: indicators"),
            h,
            [
                [
                    i["code"],
                    i["name"],
                    i["level_label"],
                    i["unit_label"],
                    figure(i["baseline"], places_for_unit(i["unit"])),
                    figure(i["target"], places_for_unit(i["unit"])),
                    figure(i["actual"], places_for_unit(i["unit"])),
                    figure(i["percent_of_target"], PLACES[PERCENT]),
                    status_label(i["status"]),
                ]
                for i in data.indicators
            ],
        )
    )
    h = [_("Code"), _("Disaggregated by"), _("Group"), _("Value")]
    tables.append(
        Table(
            "indicator_disaggregations",
            _("Indicators by group"),
            h,
            [
                [
                    i["code"],
                    dimension_label(dim),
                    row["label"],
                    figure(row["value"], places_for_unit(i["unit"])),
                ]
                for i in data.indicators
                for dim, rows in i["disaggregations"].items()
                for row in rows
            ],
        )
    )
    people = data.people
    for dim, title in (
        ("sex", _("People reached by sex")),
        ("age_band", _("People reached by age band")),
        ("region", _("People reached by region of residence")),
        ("category", _("People reached by category")),
    ):
        h = [dimension_label(dim), _("People")]
        rows = [[r["label"], figure(r["value"], 0)] for r in people[f"by_{dim}"]]
        rows.append([_("Total"), figure(people["total"], 0)])
        tables.append(Table(f"people_by_{dim}", title, h, rows))
    h = [_("Category"), _("Women"), _("Men"), _("Total")]
    tables.append(
        Table(
            "people_category_by_sex",
            _("People reached by category and sex"),
            h,
            [
                [r["label"], figure(r["F"], 0), figure(r["M"], 0), figure(r["total"], 0)]
                for r in people["category_by_sex"]
            ],
        )
    )
    h = [
        _("Event"),
        _("Type"),
        _("Activity"),
        _("Start"),
        _("End"),
        _("Days"),
        _("Region"),
        _("District"),
        _("Venue"),
        _("People"),
        _("Women"),
    ]
    tables.append(
        Table(
            "events",
            _("Events held"),
            h,
            [
                [
                    e["title"],
                    e["type_label"],
                    e["activity"],
                    day(e["start"]),
                    day(e["end"]),
                    e["days"],
                    e["region"],
                    e["district"],
                    e["venue"],
                    figure(e["people"], 0),
                    figure(e["women"], 0),
                ]
                for e in data.events
            ],
        )
    )
    fb = data.feedback
    h = [_("Question"), _("Mean (1-5)")]
    rows = [[i["label"], figure(i["mean"], PLACES[MEAN])] for i in fb["items"]]
    rows.append([_("Participants satisfied (%)"), figure(fb["satisfied_pct"], PLACES[PERCENT])])
    rows.append([_("Respondents"), figure(fb["respondents"], 0)])
    tables.append(Table("feedback", _("Participant feedback"), h, rows))
    h = [_("Overall satisfaction (1-5)"), _("Respondents")]
    tables.append(
        Table(
            "feedback_distribution",
            _("Overall satisfaction: answers"),
            h,
            [[d["score"], figure(d["count"], 0)] for d in fb["distribution"]],
        )
    )
    k = data.knowledge
    h = [
        _("Activity"),
        _("People tested"),
        _("Mean before"),
        _("Mean after"),
        _("Mean gain"),
        _("Improved (%)"),
    ]
    rows = [
        [
            r["label"],
            figure(r["n"], 0),
            figure(r["pre"], PLACES[POINTS]),
            figure(r["post"], PLACES[POINTS]),
            figure(r["gain"], PLACES[POINTS]),
            figure(r["improved_pct"], PLACES[PERCENT]),
        ]
        for r in [*k["by_activity"], {**k, "label": _("Total")}]
    ]
    tables.append(Table("knowledge", _("Knowledge gain (pre/post tests, 0-100)"), h, rows))
    h = [_("Quote"), _("Event type"), _("Region"), _("Category")]
    tables.append(
        Table(
            "quotes",
            _("What participants said"),
            h,
            [[q["text"], q["event_type"], q["region"], q["category"]] for q in data.quotes],
        )
    )
    h = [_("Scope"), _("Section"), _("Text")]
    tables.append(
        Table(
            "narrative",
            _("Narrative"),
            h,
            [
                [n["scope"], label, n[key]]
                for n in data.narratives
                for key, label in narrative_sections()
                if n[key]
            ],
        )
    )
    h = [
        _("Code"),
        _("Indicator"),
        _("Computed by"),
        _("How it is computed"),
        _("Parameters"),
        _("Disaggregated by"),
    ]
    tables.append(
        Table(
            "indicator_rules",
            _("Annex: how each indicator is computed"),
            h,
            [
                [
                    a["code"],
                    a["name"],
                    a["rule_label"],
                    a["explanation"],
                    a.get("params_text", ""),
                    ", ".join(a["disaggregations"]),
                ]
                for a in data.annex
            ],
        )
    )
    names = sheet_names()
    for table in tables:
        table.sheet = names.get(table.key, table.title)
    return tables


def narrative_sections() -> list[tuple[str, str]]:
    return [
        ("highlights", _("Highlights")),
        ("challenges", _("Challenges")),
        ("lessons", _("Lessons learned")),
        ("next_steps", _("Next steps")),
    ]


def disclosure_note() -> str:
    return _(
        "Disclosure control: counts of 1 to 4 in any breakdown are shown as “<5”, and "
        "rates or means based on fewer than 5 people are hidden the same way; totals are exact. "
        "The report holds no names, contacts or identity numbers; quotes are used only with "
        "the participant's consent."
    )
