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
from django.utils.translation import ngettext

from ..builder import ReportData
from ..disclosure import COMPLEMENT, is_withheld
from ..numbers import COUNT, MEAN, PERCENT, PLACES, POINTS, figure, is_number, places_for_unit


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
        "iptt": _("IPTT"),
        "summary": _("Key figures"),
        "indicators": _("Indicators"),
        "indicator_disaggregations": _("Indicators by group"),
        "people_by_sex": _("People by sex"),
        "people_by_age_band": _("People by age"),
        "people_by_region": _("People by region"),
        "people_by_category": _("People by category"),
        "people_by_disability": _("People by disability"),
        "people_category_by_sex": _("Category and sex"),
        "events_summary": _("Events"),
        "feedback": _("Feedback"),
        "feedback_distribution": _("Satisfaction answers"),
        "knowledge": _("Knowledge gain"),
        "quotes": _("Quotes"),
        "narrative": _("Narrative"),
        "indicator_rules": _("Annex"),
        "events": _("Event list"),
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
        "disability": _("Disability (WG-SS)"),
        "event_type": _("Event type"),
        "partner_type": _("Partner type"),
    }.get(dim, dim)


def summary_rows(data: ReportData) -> list[list[Any]]:
    s = data.summary
    # A snapshot from before schema 2 has neither: its rows are left out, not shown as "–".
    tested = [
        [label, figure(s[key], 0)]
        for key, label in (
            ("people_tested", _("People who took both tests")),
            ("tests", _("Pairs of pre/post tests")),
        )
        if key in s
    ]
    return [
        [_("People reached (unique)"), figure(s["people"], 0)],
        [_("of whom women"), figure(s["women"], 0)],
        [_("of whom men"), figure(s["men"], 0)],
        [_("Events held"), figure(s["events"], 0)],
        [_("Sessions delivered"), figure(s["sessions"], 0)],
        [_("Partner organisations engaged"), figure(s["partners"], 0)],
        [_("Feedback respondents"), figure(s["respondents"], 0)],
        [_("Participants satisfied (%)"), figure(s["satisfied_pct"], PLACES[PERCENT])],
        *tested,
        [_("Mean knowledge gain (points)"), figure(s["knowledge_gain"], PLACES[POINTS])],
    ]


def event_types_text(row: dict[str, Any]) -> str:
    """'Training 5, Workshop 2': the row's events by type, most first."""
    return ", ".join(f"{t['label']} {t['events']}" for t in row["types"])


def event_summary_note(data: ReportData) -> str:
    """What the PDF and DOCX say above the summary of the events."""
    return ngettext(
        "%(n)s event was held: here they are summed up by region and activity line (people "
        "are counted once in a row, however many of its events they attended). The full list, "
        "with each event's title, dates, district, venue and people, is in the data annex: "
        "the sheet “%(sheet)s” of the XLSX file and the file of events in the CSV archive.",
        "%(n)s events were held: here they are summed up by region and activity line (people "
        "are counted once in a row, however many of its events they attended). The full list, "
        "with each event's title, dates, district, venue and people, is in the data annex: "
        "the sheet “%(sheet)s” of the XLSX file and the file of events in the CSV archive.",
        len(data.events),
    ) % {"n": len(data.events), "sheet": sheet_names()["events"]}


def event_summary_header() -> list[str]:
    return [
        _("Region"),
        _("Activity line"),
        _("Event types"),
        _("Events"),
        _("Sessions"),
        _("Districts"),
        _("First day"),
        _("Last day"),
        _("People"),
        _("Women"),
    ]


def event_summary_rows(data: ReportData) -> list[list[Any]]:
    """The events held per region and activity line; people are unique within a row (a
    person at events of two activity lines is in both rows), so the rows do not add up to
    the people reached."""
    return [
        [
            r["region"],
            r["activity"],
            event_types_text(r),
            figure(r["events"], 0),
            figure(r["sessions"], 0),
            figure(r["districts"], 0),
            day(r["first"]),
            day(r["last"]),
            figure(r["people"], 0),
            figure(r["women"], 0),
        ]
        for r in data.event_summary or []
    ]


# The indicator performance tracking table (IPTT) ------------------------------------------


def iptt_of(data: ReportData) -> dict[str, Any]:
    """The report's IPTT, or {} when there is none to draw: a snapshot from before schema 2,
    a programme without indicators."""
    iptt = data.iptt or {}
    return iptt if iptt.get("periods") and iptt.get("rows") else {}


def methodology_of(data: ReportData) -> list[str]:
    """The paragraphs stating the report's counting rules ([] for an older snapshot)."""
    return [text for text in (data.methodology or []) if text]


def direction_label(higher_is_better: bool | None) -> str:
    return _("Lower is better") if higher_is_better is False else _("Higher is better")


def method_text(item: dict[str, Any]) -> str:
    """'Unique count (completed at least 80% of sessions)', or '' for an older snapshot."""
    method = item.get("method_label") or ""
    completion = item.get("completion_label") or ""
    if method and completion:
        return f"{method} ({completion})"
    return method or completion


def _cells(row: dict[str, Any], periods: list) -> list:
    """A row's cells, one per period (padded, so a short row cannot shift the columns)."""
    cells = list(row.get("cells") or [])[: len(periods)]
    return cells + [None] * (len(periods) - len(cells))


def iptt_figures(row: dict[str, Any], periods: list) -> list[Any]:
    """An indicator's IPTT figures in column order: baseline, life-of-programme target, then
    per period target, actual and % achieved, then the cumulative actual and its percentage
    of the life-of-programme target."""
    places, pct = places_for_unit(row["unit"]), PLACES[PERCENT]
    out = [figure(row.get("baseline"), places), figure(row.get("lop_target"), places)]
    for cell in _cells(row, periods):
        cell = cell or {}
        out += [
            figure(cell.get("target"), places),
            figure(cell.get("actual"), places),
            figure(cell.get("percent"), pct),
        ]
    return out + [figure(row.get("cumulative"), places), figure(row.get("cumulative_percent"), pct)]


def iptt_group_figures(row: dict[str, Any], group: dict[str, Any], periods: list) -> list[Any]:
    """A disaggregation row in the same columns: actuals only (targets are not split)."""
    places = places_for_unit(row["unit"])
    out: list[Any] = [None, None]
    for value in _cells(group, periods):
        out += [None, figure(value, places), None]
    return out + [figure(group.get("cumulative"), places), None]


def group_label(group: dict[str, Any]) -> str:
    """'Women (sex)'."""
    dimension = group.get("dimension_label") or ""
    return f"{group['label']} ({dimension})" if dimension else str(group["label"])


def iptt_period_headers() -> list[str]:
    return [_("Target"), _("Actual"), _("% achieved")]


def iptt_title() -> str:
    return _("Indicator performance tracking table")


def iptt_legend() -> list[str]:
    return [
        _(
            "% achieved: the actual as a percentage of the target for the same period, with "
            "one decimal place; “–” where there is no target or no value."
        ),
        _(
            "Cumulative: from the start of the programme to the end of this report's period, "
            "each person counted once however many events they attended; its percentage is of "
            "the life-of-programme target. Indented rows break the actual down by group."
        ),
        _(
            "For an indicator where lower is better (marked ↓), a lower actual is better: "
            "an actual under its target is good."
        ),
        _("“<5”: fewer than 5, withheld to protect privacy."),
        _("“x”: withheld so that a “<5” cannot be worked out from the totals."),
    ]


def iptt_table(data: ReportData) -> Table | None:
    """The IPTT as one flat table (a header row, an indicator's row then its groups' rows)."""
    iptt = iptt_of(data)
    if not iptt:
        return None
    periods = iptt["periods"]
    header = [
        _("Code"),
        _("Indicator"),
        _("Disaggregation"),
        _("Unit"),
        _("Method"),
        _("Direction"),
        _("Baseline"),
        _("Life-of-programme target"),
    ]
    for period in periods:
        header += [
            _("%(period)s: target") % {"period": period["label"]},
            _("%(period)s: actual") % {"period": period["label"]},
            _("%(period)s: %% achieved") % {"period": period["label"]},
        ]
    header.append(_("Cumulative actual"))
    # xgettext:no-python-format
    header.append(_("Cumulative: % of life-of-programme target"))
    rows: list[list[Any]] = []
    for row in iptt["rows"]:
        rows.append(
            [
                row["code"],
                row["name"],
                "",
                row.get("unit_label", ""),
                method_text(row),
                direction_label(row.get("higher_is_better")),
                *iptt_figures(row, periods),
            ]
        )
        for group in row.get("disaggregations") or []:
            rows.append(
                [
                    row["code"],
                    "",
                    group_label(group),
                    "",
                    "",
                    "",
                    *iptt_group_figures(row, group, periods),
                ]
            )
    return Table("iptt", iptt_title(), header, rows)


def _period_figures(indicator: dict[str, Any], key: str) -> list[Any]:
    """Year-to-date or life-of-programme target, actual and % of target ([None] * 3 when an
    older snapshot has none)."""
    values = indicator.get(key) or {}
    places = places_for_unit(indicator["unit"])
    return [
        figure(values.get("target"), places),
        figure(values.get("actual"), places),
        figure(values.get("percent"), PLACES[PERCENT]),
    ]


def _response_figures(indicator: dict[str, Any]) -> list:
    """People asked, who answered and the response rate of a follow-up survey indicator
    (empty cells for every other indicator and for older snapshots)."""
    figures = indicator.get("response") or {}
    return [
        figure(figures.get("invited"), PLACES[COUNT]),
        figure(figures.get("respondents"), PLACES[COUNT]),
        figure(figures.get("rate"), PLACES[PERCENT]),
    ]


def report_tables(data: ReportData) -> list[Table]:
    """Every table of the report, in reading order (the IPTT first, when there is one)."""
    iptt = iptt_table(data)
    tables = [iptt] if iptt else []
    tables.append(Table("summary", _("Key figures"), [_("Figure"), _("Value")], summary_rows(data)))
    h = [
        _("Code"),
        _("Indicator"),
        _("Level"),
        _("Unit"),
        _("Baseline"),
        _("Target"),
        _("Actual"),
        # xgettext:no-python-format
        _("% of target"),
        _("Status"),
        _("Method"),
        _("People reached"),
        _("Year to date: target"),
        _("Year to date: actual"),
        # xgettext:no-python-format
        _("Year to date: % of target"),
        _("Life of programme: target"),
        _("Life of programme: actual"),
        # xgettext:no-python-format
        _("Life of programme: % of target"),
        _("Follow-up: people asked"),
        _("Follow-up: people who answered"),
        # xgettext:no-python-format
        _("Follow-up: response rate (%)"),
        _("Explanation of variance"),
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
                    method_text(i),
                    figure(i.get("reached"), PLACES[COUNT]),
                    *_period_figures(i, "ytd"),
                    *_period_figures(i, "lop"),
                    *_response_figures(i),
                    i.get("comment", ""),
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
        ("disability", _("People reached by disability (Washington Group Short Set)")),
    ):
        if f"by_{dim}" not in people:  # a snapshot from before the dimension existed
            continue
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
    if data.event_summary is not None:  # None: a snapshot from before the summary
        tables.append(
            Table(
                "events_summary",
                _("Events held by region and activity line"),
                event_summary_header(),
                event_summary_rows(data),
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
        _("Pairs of tests"),
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
        _("Method"),
        _("Direction"),
        _("Completion"),
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
                    a.get("method_label", ""),
                    a.get("direction_label", ""),
                    a.get("completion_text", ""),
                ]
                for a in data.annex
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
            _("Annex: list of events held"),
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
    rules = _(
        "Disclosure control: counts of 1 to 4 in any breakdown are shown as “<5”, and "
        "rates or means based on fewer than 5 people are hidden the same way; totals are exact. "
        "The report holds no names, contacts or identity numbers; quotes are used only with "
        "the participant's consent."
    )
    complementary = _(
        "So that no “<5” can be worked out from a total and the other figures, some other "
        "counts of people are withheld too and shown as “x” (a breakdown of a very small total "
        "is withheld whole). Counts of events, sessions and partners are never withheld. A "
        "quote is used only when at least 5 people share its category, region and event type."
    )
    return f"{rules} {complementary}"


def withheld_header() -> str:
    """The last column of a table file (XLSX, CSV): the row's withheld cells."""
    return _("Withheld (fewer than 5)")


def withheld_columns(row: list[Any]) -> list[int]:
    """Positions of the row's withheld cells ("<5" or "x")."""
    return [c for c, value in enumerate(row) if is_withheld(value)]


def withheld_mark(header: list[str], row: list[Any]) -> str | None:
    """What the withheld column says of a row: the withheld columns' names, "x" ones marked
    "(x)", or None when nothing is withheld."""
    names = [
        f"{header[c]} (x)" if row[c] == COMPLEMENT else str(header[c])
        for c in withheld_columns(row)
    ]
    return "; ".join(names) or None


def has_figures(table: Table) -> bool:
    """Does the table hold numbers (so it gets a withheld column)?"""
    return any(is_number(v) or is_withheld(v) for row in table.rows for v in row)
