"""The IATI validator (reports/iati_validation.py): each rule kind of the ruleset's spec on a
good and a bad fragment, the codelists through mapping.xml, the schema, and every rule of the
Standard's standard.json that applies to activities evaluated without an unknown kind."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from lxml import etree

from reports import iati_validation as v

NOW = datetime(2025, 6, 1, 12, 0, tzinfo=UTC)


def activity(body: str, **attrs) -> etree._Element:
    attributes = " ".join(f'{k.replace("_", "-")}="{val}"' for k, val in attrs.items())
    xml = f"<iati-activities><iati-activity {attributes}>{body}</iati-activity></iati-activities>"
    return etree.fromstring(xml).find("iati-activity")


def passes(kind: str, case: dict, body: str, **attrs) -> bool | None:
    return v.RuleChecker(now=NOW).check(activity(body, **attrs), kind, case)


# One good and one bad fragment per rule kind (atleast_one, if_then, one_or_all, date_now and
# loop below) ---------------------------------------------------
KINDS = [
    (
        "no_more_than_one",
        {"paths": ["reference[1]", "title"]},
        "<title/>",
        "<reference/><title/>",
    ),
    (
        "only_one_of",
        {"excluded": ["transaction/sector"], "paths": ["sector"]},
        "<sector/>",
        "<sector/><transaction><sector/></transaction>",
    ),
    (
        "dependent",
        {"paths": ["period-start", "period-end"]},
        "<period-start/><period-end/>",
        "<period-start/>",
    ),
    (
        "sum",
        {"paths": ["sector/@percentage"], "sum": 100},
        '<sector percentage="60"/><sector percentage="40"/>',
        '<sector percentage="60"/><sector percentage="50"/>',
    ),
    (
        "strict_sum",
        {"paths": ["sector/@percentage"], "sum": 100},
        '<sector percentage="33.5"/><sector percentage="66.5"/>',
        "<sector/>",
    ),
    (
        "date_order",
        {"less": "period-start/@iso-date", "more": "period-end/@iso-date"},
        '<period-start iso-date="2024-01-01"/><period-end iso-date="2024-03-31"/>',
        '<period-start iso-date="2024-04-01"/><period-end iso-date="2024-03-31"/>',
    ),
    (
        "date_order",
        {"less": "activity-date[@type='2']/@iso-date", "more": "NOW"},
        '<activity-date type="2" iso-date="2025-05-31"/>',
        '<activity-date type="2" iso-date="2025-06-02"/>',
    ),
    (
        "time_limit",
        {"start": "period-start/@iso-date", "end": "period-end/@iso-date"},
        '<period-start iso-date="2024-01-01"/><period-end iso-date="2024-12-31"/>',
        '<period-start iso-date="2024-01-01"/><period-end iso-date="2025-01-02"/>',
    ),
    (
        "between_dates",
        {
            "date": "value/@value-date",
            "start": "period-start/@iso-date",
            "end": "period-end/@iso-date",
        },
        '<period-start iso-date="2024-01-01"/><period-end iso-date="2024-12-31"/>'
        '<value value-date="2024-06-01"/>',
        '<period-start iso-date="2024-01-01"/><period-end iso-date="2024-12-31"/>'
        '<value value-date="2025-06-01"/>',
    ),
    (
        "regex_matches",
        {"regex": "^[^\\/\\&\\|\\?]+$", "paths": ["iati-identifier"]},
        "<iati-identifier>XM-DAC-41114-001</iati-identifier>",
        "<iati-identifier>XM-DAC-41114/001</iati-identifier>",
    ),
    (
        "regex_no_matches",
        {"regex": "%", "paths": ["sector/@percentage"]},
        '<sector percentage="50"/>',
        '<sector percentage="50%"/>',
    ),
    (
        "startswith",
        {"prefix": ["reporting-org/@ref"], "separator": "-", "paths": ["iati-identifier"]},
        '<iati-identifier>XM-DAC-41114-P1</iati-identifier><reporting-org ref="XM-DAC-41114"/>',
        '<iati-identifier>P1</iati-identifier><reporting-org ref="XM-DAC-41114"/>',
    ),
    (
        "unique",
        {"paths": ["reporting-org/@ref", "iati-identifier"]},
        '<iati-identifier>XM-DAC-41114-P1</iati-identifier><reporting-org ref="XM-DAC-41114"/>',
        '<iati-identifier>XM-DAC-41114</iati-identifier><reporting-org ref="XM-DAC-41114"/>',
    ),
    (
        "no_spaces",
        {"paths": ["iati-identifier"]},
        "<iati-identifier>XM-DAC-41114-P1</iati-identifier>",
        "<iati-identifier> XM-DAC-41114-P1</iati-identifier>",
    ),
    (
        "range",
        {"paths": ["sector/@percentage"], "min": 0.0, "max": 100.0},
        '<sector percentage="100"/>',
        '<sector percentage="100.5"/>',
    ),
]


@pytest.mark.parametrize(("kind", "case", "good", "bad"), KINDS)
def test_each_rule_kind_passes_a_good_fragment_and_fails_a_bad_one(kind, case, good, bad):
    assert passes(kind, case, good) is True
    assert passes(kind, case, bad) is False


def test_atleast_one_and_if_then_read_attributes():
    atleast = {"paths": ["@value"]}
    numeric = {"if": "@value", "then": "number(@value) = @value", "paths": ["@value"]}
    assert passes("atleast_one", atleast, "", value="4") is True
    assert passes("atleast_one", atleast, "") is False
    assert passes("if_then", numeric, "", value="4.5") is True
    assert passes("if_then", numeric, "", value="&lt;5") is False


def test_one_or_all_accepts_the_activity_language_or_one_on_every_narrative():
    case = {"one": "@xml:lang", "all": "lang"}
    lang = "{http://www.w3.org/XML/1998/namespace}lang"
    element = activity("<title><narrative>A</narrative></title>")
    checker = v.RuleChecker(now=NOW)
    assert checker.check(element, "one_or_all", case) is False
    element.find("title/narrative").set(lang, "en")
    assert checker.check(element, "one_or_all", case) is True
    element.find("title/narrative").attrib.pop(lang)
    element.set(lang, "ru")
    assert checker.check(element, "one_or_all", case) is True


def test_date_now_refuses_a_time_in_the_future():
    case = {"date": "@last-updated-datetime"}
    assert passes("date_now", case, "", last_updated_datetime="2025-06-01T11:00:00+00:00")
    assert passes("date_now", case, "", last_updated_datetime="2025-06-02T00:00:00") is False


def test_a_condition_that_is_false_makes_a_case_not_apply():
    case = {"condition": "count(sector) > 1", "paths": ["sector/@percentage"], "sum": 100}
    assert passes("strict_sum", case, '<sector percentage="40"/>') is None
    assert passes("strict_sum", case, '<sector percentage="40"/><sector/>') is False


def test_a_loop_checks_each_value_with_its_own_rule_id():
    case = {
        "foreach": "sector[@vocabulary != '1']/@vocabulary",
        "subs": ["paths", "condition"],
        "do": {
            "strict_sum": {
                "cases": [
                    {
                        "condition": "count(sector[@vocabulary = '$1']) > 1",
                        "paths": ["sector[@vocabulary = '$1']/@percentage"],
                        "sum": 100,
                        "ruleInfo": {"id": "2.1.2", "severity": "error", "message": "sum"},
                    }
                ]
            }
        },
    }
    good = activity(
        '<sector vocabulary="2" percentage="50"/><sector vocabulary="2" percentage="50"/>'
        '<sector vocabulary="98" percentage="100"/>'
    )
    bad = activity(
        '<sector vocabulary="2" percentage="50"/><sector vocabulary="2" percentage="40"/>'
    )
    checker = v.RuleChecker(now=NOW)
    assert checker.failures(good, "loop", case) == []
    assert [f["id"] for f in checker.failures(bad, "loop", case)] == ["2.1.2"]


def test_every_kind_used_by_the_standard_is_implemented():
    used = set()

    def collect(kinds):
        for kind, body in kinds.items():
            used.add(kind)
            for case in body["cases"]:
                if kind == "loop":
                    collect(case["do"])

    for kinds in v.ruleset().values():
        collect(kinds)
    assert used <= set(v.RULE_KINDS)
    assert "/iati-organisations/iati-organisation" not in v.ruleset()
    assert "//title" in v.ruleset()


# Whole files -----------------------------------------------------------------------------------
GOOD_FILE = """<?xml version="1.0" encoding="UTF-8"?>
<iati-activities version="2.03" generated-datetime="2025-05-01T10:00:00+00:00">
 <iati-activity xml:lang="en" default-currency="USD"
  last-updated-datetime="2025-05-01T10:00:00+00:00">
  <iati-identifier>XM-DAC-41114-00131527</iati-identifier>
  <reporting-org ref="XM-DAC-41114" type="40"><narrative>UNDP</narrative></reporting-org>
  <title><narrative>PVE</narrative></title>
  <description type="1"><narrative>Results.</narrative></description>
  <participating-org role="4" type="40" ref="XM-DAC-41114">
   <narrative>UNDP</narrative>
  </participating-org>
  <activity-status code="2"/>
  <activity-date type="1" iso-date="2023-03-01"/>
  <recipient-country code="KZ" percentage="100"/>
  <sector vocabulary="1" code="15220" percentage="100"/>
  <result type="1" aggregation-status="0">
   <title><narrative>Outputs</narrative></title>
   <indicator measure="1" ascending="1" aggregation-status="0">
    <title><narrative>People trained</narrative></title>
    <baseline year="2023" value="0"/>
    <period>
     <period-start iso-date="2024-07-01"/>
     <period-end iso-date="2024-09-30"/>
     <target value="60"/>
     <actual value="75"/>
    </period>
   </indicator>
  </result>
 </iati-activity>
</iati-activities>
"""


def test_a_good_file_has_no_findings():
    assert v.validate(GOOD_FILE.encode(), now=NOW) == []


def test_an_actual_without_a_value_is_error_8_10_1():
    bad = GOOD_FILE.replace('<actual value="75"/>', "<actual/>")
    findings = v.validate(bad.encode(), now=NOW)
    assert [(f.rule, f.severity) for f in findings] == [("8.10.1", "error")]
    assert findings[0].where.endswith("/period/actual")


def test_codes_off_the_codelists_are_errors():
    bad = GOOD_FILE.replace('activity-status code="2"', 'activity-status code="9"').replace(
        'xml:lang="en"', 'xml:lang="xx"'
    )
    rules = {f.rule for f in v.errors(v.validate(bad.encode(), now=NOW))}
    assert rules == {"codelist/ActivityStatus", "codelist/Language"}


def test_the_schema_is_applied():
    bad = GOOD_FILE.replace("<activity-status", "<activity-state")
    findings = v.validate(bad.encode(), now=NOW)
    assert "schema" in {f.rule for f in v.errors(findings)}


def test_an_identifier_of_another_organisation_is_a_warning_only():
    bad = GOOD_FILE.replace("XM-DAC-41114-00131527", "JP-0001-00131527")
    findings = v.validate(bad.encode(), now=NOW)
    assert [(f.rule, f.severity) for f in findings] == [("1.1.21", "warning")]
    assert v.errors(findings) == []


def test_not_xml_at_all():
    findings = v.validate(b"<iati-activities>", now=NOW)
    assert [f.rule for f in findings] == ["xml"]
