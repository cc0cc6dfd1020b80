"""Check an IATI activity file the way the IATI Validator does, offline, before it is offered.

Three layers, each giving findings (rule id, severity, where, a message in plain words):
1. the official 2.03 XML Schema (element order, types, required attributes);
2. the codelists: every value that `mapping.xml` ties to a codelist must be one of its codes
   (a withdrawn code is a warning);
3. the Standard's own ruleset (`rules/standard.json`, IATI/IATI-Rulesets): every rule whose
   context applies to iati-activities, with the rule kinds of the ruleset's SPEC.rst.

The files live in reports/data/iati-2.03/ (see its README for their origin and licences).
An error blocks publication; a warning is shown and allows it (reports/services.py).

Rules whose `idCondition` needs the IATI Registry's list of publishers (NOT_EXISTING_ORG_ID,
NOT_EXISTING_ORG_ID_PREFIX) apply unless the identifier is one of `KNOWN_PUBLISHERS`; the
"ORG-ID-PREFIX" list of registration agencies is the short one below (org-id.guide lists the
rest). They are warnings in the ruleset either way.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from lxml import etree

DATA = Path(__file__).resolve().parent / "data" / "iati-2.03"
SCHEMA_FILE = DATA / "iati-activities-schema.xsd"
CODELISTS = DATA / "codelists"
RULESET_FILE = DATA / "rules" / "standard.json"

ERROR, WARNING = "error", "warning"
# Publishers known to the IATI Registry that this project reports as (UNDP); rules that apply
# to unregistered identifiers only are skipped for them.
KNOWN_PUBLISHERS = frozenset({"XM-DAC-41114"})
# Registration agencies of org-id.guide an identifier of ours may start with (a short list:
# the official one has a few hundred).
ORG_ID_PREFIXES = frozenset(
    {
        "XM-DAC",
        "XI-IATI",
        "XM-OCHA",
        "XI-GRID",
        "XI-PB",
        "XI-WIKIDATA",
        "KZ-BIN",
        "JP-JCN",
        "GB-COH",
        "GB-CHC",
        "US-EIN",
        "NL-KVK",
    }
)
# Rule kinds of the ruleset spec (SPEC.rst) this module implements.
RULE_KINDS = (
    "no_more_than_one",
    "atleast_one",
    "only_one_of",
    "one_or_all",
    "dependent",
    "sum",
    "strict_sum",
    "date_order",
    "date_now",
    "time_limit",
    "between_dates",
    "regex_matches",
    "regex_no_matches",
    "startswith",
    "unique",
    "if_then",
    "loop",
    "no_spaces",
    "range",
)
DATE = re.compile(r"(-?\d{4,})-(\d{2})-(\d{2})")


@dataclass(frozen=True)
class Finding:
    """One problem of a file: `rule` is the ruleset's id (e.g. "8.10.1"), "schema" or
    "codelist/<list>"; `where` the XPath of the element it is about."""

    rule: str
    severity: str
    where: str
    message: str

    def to_json(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Finding:
        return cls(
            rule=str(data.get("rule", "")),
            severity=str(data.get("severity", ERROR)),
            where=str(data.get("where", "")),
            message=str(data.get("message", "")),
        )

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR


def errors(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if f.is_error]


def warnings(findings: Iterable[Finding]) -> list[Finding]:
    return [f for f in findings if not f.is_error]


# The reference files, read once per process ------------------------------------------------
@lru_cache(maxsize=1)
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_FILE)))


@lru_cache(maxsize=1)
def codelists() -> dict[str, tuple[frozenset[str], frozenset[str]]]:
    """Each vendored codelist: (its codes, the withdrawn ones among them)."""
    out = {}
    for path in CODELISTS.glob("*.xml"):
        if path.name == "mapping.xml":
            continue
        root = etree.parse(str(path)).getroot()
        codes, withdrawn = set(), set()
        for item in root.iter("codelist-item"):
            code = (item.findtext("code") or "").strip()
            codes.add(code)
            if item.get("status") == "withdrawn":
                withdrawn.add(code)
        out[root.get("name") or path.stem] = (frozenset(codes), frozenset(withdrawn))
    return out


@lru_cache(maxsize=1)
def mappings() -> list[tuple[str, str, str]]:
    """(XPath, codelist, condition) of mapping.xml, the activity's ones only."""
    root = etree.parse(str(CODELISTS / "mapping.xml")).getroot()
    out = []
    for mapping in root.iter("mapping"):
        path = (mapping.findtext("path") or "").strip()
        if "iati-organisation" in path:
            continue
        ref = mapping.find("codelist").get("ref")
        out.append((path, ref, (mapping.findtext("condition") or "").strip()))
    return out


def applies_to_activities(context: str) -> bool:
    """A ruleset context that can select something in an iati-activities file."""
    return any(not part.strip().startswith("/iati-organisations") for part in context.split("|"))


@lru_cache(maxsize=1)
def ruleset() -> dict[str, dict[str, Any]]:
    """standard.json, the contexts that apply to iati-activities."""
    with RULESET_FILE.open(encoding="utf-8") as handle:
        rules = json.load(handle)
    return {context: kinds for context, kinds in rules.items() if applies_to_activities(context)}


# Validating ---------------------------------------------------------------------------------
def validate(
    content: bytes | etree._Element,
    *,
    now: datetime | None = None,
    publishers: Iterable[str] = KNOWN_PUBLISHERS,
) -> list[Finding]:
    """Every finding of an IATI activities file (bytes or a parsed root): schema, codelists,
    ruleset. An empty list means the file passes."""
    if isinstance(content, bytes | str):
        try:
            parser = etree.XMLParser(resolve_entities=False, no_network=True)
            root = etree.fromstring(
                content.encode() if isinstance(content, str) else content, parser
            )
        except etree.XMLSyntaxError as error:
            return [
                Finding(
                    "xml",
                    ERROR,
                    "/",
                    _("The file is not well-formed XML: %(error)s") % {"error": error},
                )
            ]
    else:
        root = content
    findings = schema_findings(root)
    findings += codelist_findings(root)
    findings += rule_findings(root, now=now, publishers=publishers)
    return findings


def schema_findings(root: etree._Element) -> list[Finding]:
    checker = schema()
    if checker.validate(etree.ElementTree(root)):
        return []
    return [
        Finding(
            "schema",
            ERROR,
            error.path or "",
            _("The file does not follow the IATI 2.03 schema (line %(line)s): %(error)s")
            % {"line": error.line, "error": error.message},
        )
        for error in checker.error_log
    ]


def codelist_findings(root: etree._Element) -> list[Finding]:
    lists = codelists()
    tree = root.getroottree()
    findings = []
    for path, ref, condition in mappings():
        for value in _xpath(root, path):
            # An attribute or text node knows the element it belongs to (lxml "smart strings").
            owner_element = value.getparent() if hasattr(value, "getparent") else None
            if owner_element is None:
                continue
            if condition and not _truthy(_xpath(owner_element, condition)):
                continue
            code = str(value).strip()
            where = tree.getpath(owner_element)
            if ref not in lists:
                findings.append(
                    Finding(
                        f"codelist/{ref}",
                        WARNING,
                        where,
                        _("%(code)s cannot be checked: the %(list)s codelist is not available.")
                        % {"code": code, "list": ref},
                    )
                )
                continue
            codes, withdrawn = lists[ref]
            if code not in codes:
                findings.append(
                    Finding(
                        f"codelist/{ref}",
                        ERROR,
                        where,
                        _("“%(code)s” is not a code of the IATI %(list)s codelist.")
                        % {"code": code, "list": ref},
                    )
                )
            elif code in withdrawn:
                findings.append(
                    Finding(
                        f"codelist/{ref}",
                        WARNING,
                        where,
                        _("“%(code)s” is a withdrawn code of the IATI %(list)s codelist.")
                        % {"code": code, "list": ref},
                    )
                )
    return findings


def rule_findings(
    root: etree._Element,
    *,
    now: datetime | None = None,
    publishers: Iterable[str] = KNOWN_PUBLISHERS,
    rules: Mapping[str, Mapping[str, Any]] | None = None,
) -> list[Finding]:
    """Findings of the ruleset (standard.json by default) over the file's elements."""
    checker = RuleChecker(now=now or timezone.now(), publishers=frozenset(publishers))
    tree = root.getroottree()
    document = etree.ElementTree(root) if root.getparent() is None else tree
    findings = []
    for context, kinds in (rules if rules is not None else ruleset()).items():
        for element in document.xpath(context):
            for kind, body in kinds.items():
                for case in body.get("cases", []):
                    for info in checker.failures(element, kind, case):
                        findings.append(
                            Finding(
                                str(info.get("id", kind)),
                                WARNING if info.get("severity") == WARNING else ERROR,
                                tree.getpath(element),
                                str(info.get("message") or kind),
                            )
                        )
    return findings


# The rule kinds -----------------------------------------------------------------------------
def _xpath(element, path: str) -> list:
    """An XPath's result as a list (node sets as they are, a boolean, number or string as a
    one-item list); an expression lxml cannot evaluate gives nothing."""
    try:
        result = element.xpath(path)
    except etree.XPathError:
        return []
    return result if isinstance(result, list) else [result]


def _truthy(result: list) -> bool:
    """XPath's boolean() of an evaluated expression."""
    if len(result) != 1 or isinstance(result[0], etree._Element):
        return bool(result)
    value = result[0]
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return not math.isnan(value) and value != 0
    return bool(value)


def _text(match) -> str:
    if isinstance(match, etree._Element):
        return match.text or ""
    return str(match)


def _decimal(text: str) -> Decimal | None:
    try:
        value = Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        return None
    return value if value.is_finite() else None


def _date(text: str) -> date | None:
    match = DATE.match(str(text).strip())
    if not match:
        return None
    try:
        return date(*map(int, match.groups()))
    except ValueError:
        return None


def _one_year_after(day: date) -> date:
    try:
        return day.replace(year=day.year + 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year + 1, day=28)


class RuleChecker:
    """Evaluates the cases of the ruleset on one element. `check(...)` is True (passes), False
    (fails) or None (does not apply: a condition is false or a date is missing)."""

    def __init__(self, *, now: datetime, publishers: frozenset[str] = KNOWN_PUBLISHERS):
        self.now = now
        self.today = now.date() if isinstance(now, datetime) else now
        self.publishers = publishers

    def failures(self, element, kind: str, case: Mapping[str, Any]) -> list[dict]:
        """The ruleInfo of every failed case (a loop fails once per value and rule)."""
        if kind == "loop":
            return self._loop(element, case)
        return [] if self.check(element, kind, case) is not False else [case.get("ruleInfo", {})]

    def check(self, element, kind: str, case: Mapping[str, Any]) -> bool | None:
        if kind not in RULE_KINDS:
            raise ValueError(f"unknown rule kind {kind!r}")
        if "condition" in case and not _truthy(_xpath(element, case["condition"])):
            return None
        if "idCondition" in case and not self._id_condition(element, case):
            return None
        if kind == "loop":
            return not self._loop(element, case)
        return getattr(self, kind)(element, case)

    # Helpers
    def _matches(self, element, case) -> list[list]:
        return [_xpath(element, path) for path in case.get("paths", [])]

    def _all(self, element, case) -> list:
        return [m for nested in self._matches(element, case) for m in nested]

    def _texts(self, element, case) -> list[str]:
        return [_text(m) for m in self._all(element, case)]

    def _dates(self, element, path: str) -> list[date]:
        if path in ("NOW", "TODAY"):
            return [self.today]
        return [d for d in (_date(_text(m)) for m in _xpath(element, path)) if d]

    def _id_condition(self, element, case) -> bool:
        texts = self._texts(element, case)
        if case["idCondition"] == "NOT_EXISTING_ORG_ID":
            return not texts or any(t not in self.publishers for t in texts)
        if case["idCondition"] == "NOT_EXISTING_ORG_ID_PREFIX":
            return not texts or any(
                not any(t.startswith(p + "-") for p in self.publishers) for t in texts
            )
        return True

    # Kinds (SPEC.rst)
    def no_more_than_one(self, element, case) -> bool:
        return len(self._all(element, case)) <= 1

    def atleast_one(self, element, case) -> bool:
        return len(self._all(element, case)) >= 1

    def only_one_of(self, element, case) -> bool:
        found = self._all(element, case)
        if any(_xpath(element, path) for path in case.get("excluded", [])):
            return not found
        return len(found) == 1

    def one_or_all(self, element, case) -> bool:
        if _truthy(_xpath(element, case["one"])):
            return True
        if case["all"] == "lang":
            return all(_xpath(n, "@xml:lang") for n in _xpath(element, "descendant::narrative"))
        if case["all"] == "sector":
            return all(_xpath(t, "sector") for t in _xpath(element, "transaction"))
        if case["all"] == "currency":
            paths = ("descendant::value", "descendant::forecast", "descendant::loan-status")
            return all(_xpath(v, "@currency") for p in paths for v in _xpath(element, p))
        return _truthy(_xpath(element, case["all"]))

    def dependent(self, element, case) -> bool:
        found = [bool(nested) for nested in self._matches(element, case)]
        return all(found) or not any(found)

    def _sum(self, element, case) -> Decimal | None:
        total = Decimal(0)
        for text in self._texts(element, case):
            value = _decimal(text)
            if value is None:
                return None
            total += value
        return total

    def sum(self, element, case) -> bool:
        if not self._all(element, case):
            return True
        return self._sum(element, case) == Decimal(str(case["sum"]))

    def strict_sum(self, element, case) -> bool:
        return self._sum(element, case) == Decimal(str(case["sum"]))

    def date_order(self, element, case) -> bool | None:
        less, more = self._dates(element, case["less"]), self._dates(element, case["more"])
        if not less or not more:
            return None
        return all(a <= b for a in less for b in more)

    def date_now(self, element, case) -> bool | None:
        values = [_text(m).strip() for m in _xpath(element, case["date"])]
        if not values:
            return None
        for value in values:
            try:
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                return False
            if timezone.is_naive(moment):
                moment = timezone.make_aware(moment, timezone.get_current_timezone())
            if moment > self.now:
                return False
        return True

    def time_limit(self, element, case) -> bool | None:
        starts, ends = self._dates(element, case["start"]), self._dates(element, case["end"])
        if not starts or not ends:
            return None
        return ends[0] <= _one_year_after(starts[0])

    def between_dates(self, element, case) -> bool | None:
        days = self._dates(element, case["date"])
        starts, ends = self._dates(element, case["start"]), self._dates(element, case["end"])
        if not days or not starts or not ends:
            return None
        return all(starts[0] <= day <= ends[0] for day in days)

    def regex_matches(self, element, case) -> bool:
        pattern = re.compile(case["regex"])
        return all(pattern.search(text) for text in self._texts(element, case))

    def regex_no_matches(self, element, case) -> bool:
        pattern = re.compile(case["regex"])
        return not any(pattern.search(text) for text in self._texts(element, case))

    def startswith(self, element, case) -> bool:
        prefixes: list[str] = []
        for path in case.get("prefix", []):
            if path == "ORG-ID-PREFIX":
                prefixes += sorted(ORG_ID_PREFIXES)
            else:
                prefixes += [_text(m) for m in _xpath(element, path)]
        separator = case.get("separator", "")
        if case.get("prefix") == ["ORG-ID-PREFIX"]:
            separator = "-"
        return all(
            any(text.startswith(prefix + separator) for prefix in prefixes if prefix)
            for text in self._texts(element, case)
        )

    def unique(self, element, case) -> bool:
        texts = self._texts(element, case)
        return len(texts) == len(set(texts))

    def if_then(self, element, case) -> bool:
        if not _truthy(_xpath(element, case["if"])):
            return True
        return _truthy(_xpath(element, case["then"]))

    def no_spaces(self, element, case) -> bool:
        return all(text == text.strip() for text in self._texts(element, case))

    def range(self, element, case) -> bool:
        low = Decimal(str(case["min"])) if "min" in case else None
        high = Decimal(str(case["max"])) if "max" in case else None
        for text in self._texts(element, case):
            value = _decimal(text)
            if value is None or (low is not None and value < low):
                return False
            if high is not None and value > high:
                return False
        return True

    def _loop(self, element, case) -> list[dict]:
        """`do`'s rules once per distinct value of `foreach`, with $1 replaced by the value in
        the keys named by `subs`."""
        failed = []
        values = list(dict.fromkeys(_text(v) for v in _xpath(element, case["foreach"])))
        for kind, body in case.get("do", {}).items():
            for sub_case in body.get("cases", []):
                for value in values:
                    filled = dict(sub_case)
                    for key in case.get("subs", []):
                        if key not in filled:
                            continue
                        if isinstance(filled[key], list):
                            filled[key] = [v.replace("$1", value) for v in filled[key]]
                        else:
                            filled[key] = str(filled[key]).replace("$1", value)
                    failed += self.failures(element, kind, filled)
        return failed
