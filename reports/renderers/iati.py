"""IATI 2.03 activity XML for publication: the programme as one activity, with a result per
level (outcome, output) holding each indicator's baseline and the report period's target and
actual, disaggregated actuals as <dimension>s. Suppressed cells ("<5") carry no value, only a
comment, so no small count is published. Validated against the official XSD in the tests.

Each indicator says how to read it: `measure` 2 for a percentage, 1 (unit) otherwise;
`ascending` 0 where lower is better; `aggregation-status` 1 only for a sum, the one method
whose values may be added up across activities (a unique count, a ratio or a mean may not);
its description names the method and the completion rule."""

from __future__ import annotations

from datetime import date

from django.conf import settings
from django.utils.translation import gettext as _
from lxml import etree

from .. import numbers
from ..builder import ReportData
from ..disclosure import SUPPRESSED
from .tables import dimension_label

IATI_VERSION = "2.03"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
RESULT_TYPES = {"output": "1", "outcome": "2", "impact": "3"}
# IATI IndicatorMeasure codes: 1 unit, 2 percentage.
MEASURES = {"percent": "2"}
# DAC 5-digit sector 15220: civilian peace-building, conflict prevention and resolution.
SECTOR = "15220"


def number(value) -> str:
    """A value as IATI wants it: a plain decimal, whole numbers without '.0'."""
    return numbers.plain(value)


def narrative(parent, tag: str, text: str, **attrs) -> etree._Element:
    element = etree.SubElement(parent, tag, **attrs)
    etree.SubElement(element, "narrative").text = text or "-"
    return element


def add_value(parent, tag: str, value, comment: str = "") -> etree._Element | None:
    """<target>/<actual> with a value; a suppressed or missing value gets only a comment."""
    if value is None:
        return None
    element = etree.SubElement(parent, tag)
    if value == SUPPRESSED:
        narrative(element, "comment", _("Fewer than 5: not published to protect privacy."))
    else:
        element.set("value", number(value))
        if comment:
            narrative(element, "comment", comment)
    return element


def indicator_description(indicator: dict, annex: dict) -> str:
    """What the indicator counts, by which method, and who completed (as far as the snapshot
    says)."""
    parts = [annex.get("explanation") or ""]
    method = indicator.get("method_label") or annex.get("method_label")
    if method:
        parts.append(_("Method: %(method)s.") % {"method": method})
    parts.append(annex.get("completion_text") or "")
    return " ".join(part for part in parts if part)


def render(data: ReportData) -> bytes:
    org_ref = settings.IATI_REPORTING_ORG
    programme = data.programme
    root = etree.Element(
        "iati-activities",
        version=IATI_VERSION,
        **{"generated-datetime": data.generated_at},
    )
    activity = etree.SubElement(
        root,
        "iati-activity",
        **{
            XML_LANG: data.language,
            "default-currency": "USD",
            "last-updated-datetime": data.generated_at,
        },
    )
    code = programme.get("budget_code") or programme.get("code") or "programme"
    etree.SubElement(activity, "iati-identifier").text = f"{org_ref}-{code}"
    narrative(
        activity,
        "reporting-org",
        programme.get("implementer") or "UNDP",
        ref=org_ref,
        type="40",  # multilateral
    )
    narrative(activity, "title", programme.get("name", ""))
    scope = data.scope["label"]
    narrative(
        activity,
        "description",
        (programme.get("outcome") or programme.get("name", ""))
        + " "
        + _("Results for %(period)s, %(scope)s.") % {"period": data.period_label, "scope": scope},
        type="1",
    )
    if programme.get("donor"):
        narrative(activity, "participating-org", programme["donor"], role="1", type="10")
    narrative(
        activity,
        "participating-org",
        programme.get("implementer") or "UNDP",
        ref=org_ref,
        role="4",
        type="40",
    )
    etree.SubElement(activity, "activity-status", code="2")  # implementation
    if programme.get("start"):
        etree.SubElement(activity, "activity-date", type="1", **{"iso-date": programme["start"]})
    else:
        etree.SubElement(activity, "activity-date", type="1", **{"iso-date": data.start})
    if programme.get("end"):
        etree.SubElement(activity, "activity-date", type="3", **{"iso-date": programme["end"]})
    etree.SubElement(activity, "recipient-country", code="KZ", percentage="100")
    etree.SubElement(activity, "sector", vocabulary="1", code=SECTOR, percentage="100")

    baseline_year = (
        date.fromisoformat(programme["start"]).year
        if programme.get("start")
        else data.start_date.year
    )
    for level in ("outcome", "output"):
        indicators = [i for i in data.indicators if i["level"] == level]
        if not indicators:
            continue
        result = etree.SubElement(
            activity, "result", type=RESULT_TYPES[level], **{"aggregation-status": "false"}
        )
        title = (
            programme.get("outcome") or _("Outcome")
            if level == "outcome"
            else _("Outputs of %(programme)s") % {"programme": programme.get("code", "")}
        )
        narrative(result, "title", title)
        for ind in indicators:
            element = etree.SubElement(
                result,
                "indicator",
                measure=MEASURES.get(ind["unit"], "1"),
                ascending="0" if ind.get("higher_is_better") is False else "1",
                **{"aggregation-status": "1" if ind.get("method") == "sum" else "0"},
            )
            narrative(element, "title", f"{ind['code']} {ind['name']}")
            annex = next((a for a in data.annex if a["code"] == ind["code"]), {})
            description = indicator_description(ind, annex)
            if description:
                narrative(element, "description", description)
            etree.SubElement(
                element, "baseline", year=str(baseline_year), value=number(ind["baseline"])
            )
            period = etree.SubElement(element, "period")
            etree.SubElement(period, "period-start", **{"iso-date": data.start})
            etree.SubElement(period, "period-end", **{"iso-date": data.end})
            add_value(period, "target", ind["target"])
            add_value(period, "actual", ind["actual"], ind["unit_label"])
            for dim, cells in ind["disaggregations"].items():
                for cell in cells:
                    actual = etree.SubElement(period, "actual")
                    etree.SubElement(
                        actual, "dimension", name=str(dimension_label(dim)), value=cell["label"]
                    )
                    if cell["value"] == SUPPRESSED:
                        narrative(
                            actual,
                            "comment",
                            _("Fewer than 5: not published to protect privacy."),
                        )
                    elif cell["value"] is not None:
                        actual.set("value", number(cell["value"]))
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
