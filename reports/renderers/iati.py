"""IATI 2.03 activity XML for publication: the programme as one activity with a stable
identifier, a result per level (outcome, output), each indicator with its baseline and one
period per quarter from the programme's start (target, actual, disaggregated actuals as
<dimension>s with fixed names and values). The quarters come from the report's `iati` part
(reports/iati_activity.py); a snapshot without it gives its own period only.

No actual is ever without a value (rule 8.10.1): a breakdown row withheld by disclosure control
("<5") is left out, and the indicator's description and the period's total say that small
groups are withheld. Each indicator says how to read it: `measure` 2 for a percentage, 1
(unit) otherwise; `ascending` 0 where lower is better; `aggregation-status` 1 only for a sum,
the one method whose values may be added up across activities. Each narrative carries the
language it is written in when that is not the activity's (an English name in a Russian file
is marked `en`). The file is checked by reports/iati_validation.py before it is offered."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from lxml import etree

from .. import numbers
from ..builder import ReportData
from ..iati_activity import activity_from_report, text_language

IATI_VERSION = "2.03"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
RESULT_TYPES = {"output": "1", "outcome": "2", "impact": "3"}
# IATI IndicatorMeasure codes: 1 unit, 2 percentage.
MEASURES = {"percent": "2"}
# DAC 5-digit sector 15220: civilian peace-building, conflict prevention and resolution.
SECTOR = "15220"
MULTILATERAL = "40"  # OrganisationType of the reporting organisation (UNDP)


def number(value) -> str:
    """A value as IATI wants it: a plain decimal, whole numbers without '.0'."""
    return numbers.plain(value)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


class _Writer:
    """Narratives in the activity's language, each marked with its own when it differs. A text
    given in parts (sentences) whose languages differ, e.g. a Russian explanation followed by
    a sentence not yet translated, becomes one narrative per language, never English text
    marked as Russian."""

    def __init__(self, language: str) -> None:
        self.language = language

    def narrative(self, parent, tag: str, text: str | list[str], **attrs) -> etree._Element:
        element = etree.SubElement(parent, tag, **attrs)
        parts = [p.strip() for p in ([text] if isinstance(text, str) else text) if p]
        by_language: dict[str, list[str]] = {}
        for part in [p for p in parts if p] or ["-"]:
            by_language.setdefault(text_language(part, self.language), []).append(part)
        for language, texts in by_language.items():
            narrative = etree.SubElement(element, "narrative")
            if language != self.language:
                narrative.set(XML_LANG, language)
            narrative.text = " ".join(texts)
        return element


def render(data: ReportData) -> bytes:
    activity = data.iati or activity_from_report(data)
    return render_activity(activity, generated_at=data.generated_at)


def render_activity(activity: dict[str, Any], *, generated_at: str) -> bytes:
    """The XML of an activity made by reports/iati_activity.py."""
    write = _Writer(activity["language"])
    root = etree.Element(
        "iati-activities", version=IATI_VERSION, **{"generated-datetime": generated_at}
    )
    element = etree.SubElement(
        root,
        "iati-activity",
        **{
            XML_LANG: activity["language"],
            "default-currency": "USD",
            "last-updated-datetime": generated_at,
        },
    )
    org = activity["reporting_org"]
    etree.SubElement(element, "iati-identifier").text = activity["identifier"]
    write.narrative(element, "reporting-org", org["name"], ref=org["ref"], type=MULTILATERAL)
    programme = activity["programme"]
    write.narrative(element, "title", programme["name"] or programme["code"])
    covers = activity.get("covers") or []
    about = (
        [
            _("Results by quarter from %(start)s to %(end)s.")
            % {"start": covers[0], "end": covers[1]},
            _("Regions: %(scope)s.") % {"scope": activity.get("scope", "")},
        ]
        if covers
        else []
    )
    write.narrative(element, "description", programme.get("outcome") or programme["name"], type="1")
    if about:
        write.narrative(element, "description", about, type="2")
    donor = activity.get("donor")
    if donor:
        attrs = {"role": "1", "type": donor.get("type") or "10"}
        if donor.get("ref"):
            attrs["ref"] = donor["ref"]
        write.narrative(element, "participating-org", donor["name"], **attrs)
    write.narrative(
        element, "participating-org", org["name"], ref=org["ref"], role="4", type=MULTILATERAL
    )
    etree.SubElement(element, "activity-status", code=activity["status"])
    for kind in sorted(activity["dates"]):
        etree.SubElement(
            element, "activity-date", type=kind, **{"iso-date": activity["dates"][kind]}
        )
    etree.SubElement(element, "recipient-country", code="KZ", percentage="100")
    etree.SubElement(element, "sector", vocabulary="1", code=SECTOR, percentage="100")
    for level in ("outcome", "output"):
        indicators = [i for i in activity["indicators"] if i["level"] == level]
        if indicators:
            _result(write, element, level, programme, indicators, activity["withheld_text"])
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _result(write, parent, level, programme, indicators, withheld_text: str) -> None:
    result = etree.SubElement(
        parent, "result", type=RESULT_TYPES[level], **{"aggregation-status": "0"}
    )
    title = (
        (programme.get("outcome") or _("Outcome"))
        if level == "outcome"
        else _("Outputs of %(programme)s") % {"programme": programme.get("code", "")}
    )
    write.narrative(result, "title", title)
    for ind in indicators:
        element = etree.SubElement(
            result,
            "indicator",
            measure=MEASURES.get(ind["unit"], "1"),
            ascending="0" if ind.get("higher_is_better") is False else "1",
            **{"aggregation-status": "1" if ind.get("method") == "sum" else "0"},
        )
        write.narrative(element, "title", f"{ind['code']} {ind['name']}")
        description = [ind.get("description") or ""]
        if ind.get("withheld"):
            description.append(withheld_text)
        if any(description):
            write.narrative(element, "description", description)
        etree.SubElement(
            element,
            "baseline",
            year=str(ind["baseline_year"]),
            value=number(ind["baseline"] or 0),
        )
        for period in ind["periods"]:
            _period(write, element, ind, period, withheld_text)


def _period(write, parent, ind, period, withheld_text: str) -> None:
    element = etree.SubElement(parent, "period")
    etree.SubElement(element, "period-start", **{"iso-date": period["start"]})
    etree.SubElement(element, "period-end", **{"iso-date": period["end"]})
    if is_number(period.get("target")):
        etree.SubElement(element, "target", value=number(period["target"]))
    if not is_number(period.get("actual")):
        return
    total = etree.SubElement(element, "actual", value=number(period["actual"]))
    comment = [ind.get("unit_label") or ""]
    if period.get("withheld"):
        comment.append(withheld_text)
    if any(comment):
        write.narrative(total, "comment", comment)
    for row in period.get("dimensions", []):
        if not is_number(row.get("actual")):
            continue  # never an actual without a value (rule 8.10.1)
        actual = etree.SubElement(element, "actual", value=number(row["actual"]))
        etree.SubElement(actual, "dimension", name=row["name"], value=row["value"])
