"""The attacker: what a reader can work out about the withheld cells of a published report.

A reader knows every published number, what the markers mean (reports/disclosure.py) and
which cells add up to which totals. Every relation is a linear constraint over integers,
`low <= sum(coefficient * cell) <= high`; every withheld cell is a variable with a domain:
  - "<5": 1 to 4;
  - "x" (withheld so that a "<5" cannot be worked out): at least 5, because it was chosen
    among the published counts, which are 0 or at least 5; unless it belongs to a table whose
    parts are all "x" (a breakdown withheld whole), where it can be anything from 0.
For each "<5" cell, `feasible_ranges` finds the smallest and the largest value it can take in
an integer solution of all the constraints (bounds propagation and a complete search, per
linked group of cells; no solver library). A cell is recovered when that range is narrower
than 1-4: the reader learns more than "fewer than 5".

`attack(report_json)` reads the relations off a ReportData's JSON (people by sex, age band,
region and category with the grand total, category by sex with its margins, every indicator's
breakdowns per period and cumulative with their totals, the IPTT, knowledge by activity line,
the satisfaction answers with the respondents, the share satisfied and the mean). The
builder's disclosure control runs the same search on a report before it is published.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

SMALL = "<5"
COMPLEMENT = "x"
MARKERS = (SMALL, COMPLEMENT)
BIG = 10**9  # "no upper bound": propagation brings it down to the totals
NODE_BUDGET = 200_000  # search nodes per question, far above what a report needs


class TooHard(RuntimeError):
    """The search gave up (never seen on real reports): treat the cell as recovered."""


@dataclass(frozen=True)
class Constraint:
    """low <= sum(coefficient * variable) <= high."""

    terms: tuple[tuple[Hashable, int], ...]
    low: int
    high: int


@dataclass
class System:
    """Withheld cells (variable -> (min, max) domain) and the constraints between them."""

    domains: dict[Hashable, tuple[int, int]] = field(default_factory=dict)
    constraints: list[Constraint] = field(default_factory=list)

    def add(self, terms: Mapping[Hashable, int], constant: int, low: int, high: int) -> None:
        """`low <= constant + sum(terms) <= high`, with published cells in `constant`."""
        terms = {v: a for v, a in terms.items() if a}
        if terms:
            self.constraints.append(
                Constraint(tuple(terms.items()), low - constant, high - constant)
            )


def _floor_div(a: int, b: int) -> int:
    return a // b


def _ceil_div(a: int, b: int) -> int:
    return -((-a) // b)


def _propagate(dom: dict, constraints: list[Constraint], index: dict, queue: list) -> bool:
    """Tighten the domains in place until nothing changes; False when a constraint cannot
    hold. Sound: a value removed is in no solution."""
    queue = list(queue)
    pending = {id(c) for c in queue}
    steps = 0
    while queue:
        steps += 1
        if steps > 20_000:  # stop tightening (still sound); the search does the rest
            return True
        c = queue.pop()
        pending.discard(id(c))
        lows = [min(a * dom[v][0], a * dom[v][1]) for v, a in c.terms]
        highs = [max(a * dom[v][0], a * dom[v][1]) for v, a in c.terms]
        total_low, total_high = sum(lows), sum(highs)
        if total_low > c.high or total_high < c.low:
            return False
        for (v, a), lo_i, hi_i in zip(c.terms, lows, highs, strict=True):
            upper = c.high - (total_low - lo_i)  # a * v <= upper
            lower = c.low - (total_high - hi_i)  # a * v >= lower
            if a > 0:
                new = (_ceil_div(lower, a), _floor_div(upper, a))
            else:
                new = (_ceil_div(upper, a), _floor_div(lower, a))
            old = dom[v]
            tight = (max(old[0], new[0]), min(old[1], new[1]))
            if tight != old:
                if tight[0] > tight[1]:
                    return False
                dom[v] = tight
                for other in index[v]:
                    if id(other) not in pending:
                        pending.add(id(other))
                        queue.append(other)
    return True


class _Search:
    def __init__(self, constraints: list[Constraint]) -> None:
        self.constraints = constraints
        self.index: dict[Hashable, list[Constraint]] = {}
        for c in constraints:
            for v, _a in c.terms:
                self.index.setdefault(v, []).append(c)
        self.nodes = 0

    def feasible(self, dom: dict) -> bool:
        """Is there an integer solution within the domains? Complete: propagate, then split
        the smallest open domain (value by value when small, in halves when large)."""
        self.nodes += 1
        if self.nodes > NODE_BUDGET:
            raise TooHard
        dom = dict(dom)
        if not _propagate(dom, self.constraints, self.index, list(self.constraints)):
            return False
        open_ = [(hi - lo, repr(v), v) for v, (lo, hi) in dom.items() if hi > lo]
        if not open_:
            return all(
                c.low <= sum(a * dom[v][0] for v, a in c.terms) <= c.high for c in self.constraints
            )
        _size, _key, var = min(open_)
        lo, hi = dom[var]
        if hi - lo < 8:
            parts = [(x, x) for x in range(lo, hi + 1)]
        else:
            mid = (lo + hi) // 2
            parts = [(lo, mid), (mid + 1, hi)]
        return any(self.feasible(dom | {var: part}) for part in parts)


def _components(system: System) -> list[tuple[set, list[Constraint]]]:
    parent: dict = {v: v for v in system.domains}

    def find(v):
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    for c in system.constraints:
        first = c.terms[0][0]
        for v, _a in c.terms[1:]:
            parent[find(v)] = find(first)
    groups: dict = {}
    for v in system.domains:
        groups.setdefault(find(v), (set(), []))[0].add(v)
    for c in system.constraints:
        groups[find(c.terms[0][0])][1].append(c)
    return list(groups.values())


def feasible_ranges(system: System, cells: Iterable[Hashable]) -> dict[Hashable, tuple[int, int]]:
    """The smallest and largest value each of `cells` takes over the integer solutions of the
    system (its domain when nothing constrains it). Raises TooHard if a search gives up."""
    wanted = set(cells)
    out: dict[Hashable, tuple[int, int]] = {}
    for variables, constraints in _components(system):
        targets = sorted(wanted & variables, key=repr)
        if not targets:
            continue
        search = _Search(constraints)
        dom = {v: system.domains[v] for v in variables}
        if not _propagate(dom, constraints, search.index, list(constraints)):
            raise ValueError("the published figures contradict each other")
        for var in targets:
            lo, hi = dom[var]
            values = range(lo, hi + 1)
            if len(values) > 64:  # not a "<5" cell: its propagated bounds are enough here
                out[var] = (lo, hi)
                continue
            low = next(x for x in values if search.feasible(dom | {var: (x, x)}))
            high = next(x for x in reversed(values) if search.feasible(dom | {var: (x, x)}))
            out[var] = (low, high)
    return out


def recovered(ranges: Mapping[Hashable, tuple[int, int]]) -> dict[Hashable, tuple[int, int]]:
    """The "<5" cells a reader can narrow down: a feasible range narrower than 1-4."""
    return {v: r for v, r in ranges.items() if r[0] > 1 or r[1] < 4}


# Reading a published report ---------------------------------------------------------------


class _Reader:
    """Builds the System of a ReportData's JSON: one variable per withheld cell (cells known
    to be the same, such as a category's total in two tables, share one)."""

    def __init__(self) -> None:
        self.system = System()
        self.small: set[Hashable] = set()
        self.complement: set[Hashable] = set()
        self.tables: list[list[Hashable | None]] = []  # each table's parts, for "all x"
        self.labels: dict[Hashable, str] = {}

    def term(self, name: Hashable, value: Any, label: str = "") -> tuple[Hashable | None, int]:
        """(variable, 0) for a withheld cell, (None, value) for a published one; a missing
        count (None, "–") is 0: the group had nobody in that period."""
        if value == SMALL:
            self.small.add(name)
        elif value == COMPLEMENT:
            self.complement.add(name)
        else:
            return None, int(value or 0)
        self.labels.setdefault(name, label or str(name))
        return name, 0

    def equation(self, total: tuple[Hashable | None, int], parts, *, table: bool = True) -> None:
        """total = sum(parts) (each part a (variable, constant) from `term`)."""
        terms: dict[Hashable, int] = {}
        constant = 0
        if total[0] is not None:
            terms[total[0]] = -1
        constant -= total[1]
        for var, value in parts:
            if var is None:
                constant += value
            else:
                terms[var] = terms.get(var, 0) + 1
        if table:
            self.tables.append([var for var, _v in parts])
        self.system.add(terms, constant, 0, 0)

    def finish(self) -> System:
        whole = [parts for parts in self.tables if all(p in self.complement for p in parts)]
        open_tables = {var for parts in whole for var in parts}
        for var in self.small:
            self.system.domains[var] = (1, 4)
        for var in self.complement - self.small:
            # A table withheld whole can hide any value; any other "x" was a published count.
            self.system.domains[var] = (0, BIG) if var in open_tables else (5, BIG)
        return self.system


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def read_report(data: Mapping[str, Any]) -> _Reader:
    """The relations a reader sees in a report's JSON (ReportData.to_json())."""
    r = _Reader()
    people = data.get("people") or {}
    total = people.get("total")
    if _number(total):
        grand = (None, int(total))
        for dim in ("sex", "age_band", "region", "category", "disability"):
            rows = people.get(f"by_{dim}") or []
            parts = [
                r.term(("people", dim, row["key"]), row["value"], row.get("label", ""))
                for row in rows
            ]
            if parts:
                r.equation(grand, parts)
        cross = people.get("category_by_sex") or []
        columns: dict[str, list] = {}
        for row in cross:
            code = row["key"]
            cells = {}
            for sex in ("F", "M"):
                cells[sex] = r.term(("people", "category_by_sex", code, sex), row[sex])
                columns.setdefault(sex, []).append(cells[sex])
            row_total = r.term(("people", "category", code), row["total"])
            r.equation(row_total, list(cells.values()))
        for sex, parts in columns.items():
            r.equation(r.term(("people", "sex", sex), _people_value(people, "sex", sex)), parts)
    period = data.get("period_label")
    for ind in data.get("indicators") or []:
        if ind.get("unit") in ("percent", "points") or not _number(ind.get("actual")):
            continue
        for dim, rows in (ind.get("disaggregations") or {}).items():
            parts = [
                r.term(
                    ("indicator", ind["code"], period, dim, row["key"]),
                    row["value"],
                    row.get("label", ""),
                )
                for row in rows
            ]
            if parts:
                r.equation((None, int(ind["actual"])), parts)
    iptt = data.get("iptt") or {}
    keys = [p.get("key") for p in iptt.get("periods") or []]
    for row in iptt.get("rows") or []:
        if row.get("unit") in ("percent", "points"):
            continue
        groups = row.get("disaggregations") or []
        dims = sorted({g["dimension"] for g in groups})
        columns_ = [
            (key, (cell or {}).get("actual"))
            for key, cell in zip(keys, row.get("cells") or [], strict=False)
        ]
        columns_.append(("cumulative", row.get("cumulative")))
        for i, (key, actual) in enumerate(columns_):
            if not _number(actual):
                continue
            for dim in dims:
                parts = []
                for g in groups:
                    if g["dimension"] != dim:
                        continue
                    value = (
                        g.get("cumulative")
                        if key == "cumulative"
                        else (g.get("cells") or [None] * (i + 1))[i]
                    )
                    # The report's own period is the indicator row's breakdown: one variable.
                    name = (
                        "indicator",
                        row["code"],
                        key if key != "cumulative" else "lop",
                        dim,
                        g["key"],
                    )
                    parts.append(r.term(name, value, g.get("label", "")))
                if parts:
                    r.equation((None, int(actual)), parts)
    knowledge = data.get("knowledge") or {}
    lines = knowledge.get("by_activity") or []
    if lines and _number(knowledge.get("n")):
        parts = [r.term(("knowledge", line["label"]), line["n"]) for line in lines]
        r.equation((None, int(knowledge["n"])), parts)
    _feedback(r, data.get("feedback") or {})
    return r


def _people_value(people: Mapping, dim: str, key: str) -> Any:
    for row in people.get(f"by_{dim}") or []:
        if row["key"] == key:
            return row["value"]
    return 0


def _feedback(r: _Reader, fb: Mapping[str, Any]) -> None:
    n = fb.get("respondents")
    answers = fb.get("distribution") or []
    if not _number(n) or not answers:
        return
    parts = {row["score"]: r.term(("satisfaction", row["score"]), row["count"]) for row in answers}
    r.equation((None, int(n)), list(parts.values()))
    # The share satisfied (4 or 5, one decimal) and the mean (two decimals) of the same
    # answers bound two more sums, within their rounding.
    pct = fb.get("satisfied_pct")
    if _number(pct) and n:
        _rounded_sum(r, {s: p for s, p in parts.items() if s >= 4}, pct * n / 100, 0.05 * n / 100)
    mean = next(
        (i.get("mean") for i in fb.get("items") or [] if i.get("key") == "satisfaction"), None
    )
    if _number(mean) and n:
        _rounded_sum(r, parts, mean * n, 0.005 * n, weighted=True)


def _rounded_sum(
    r: _Reader, parts: Mapping[int, tuple], centre: float, half: float, *, weighted: bool = False
) -> None:
    terms: dict[Hashable, int] = {}
    constant = 0
    for score, (var, value) in parts.items():
        weight = score if weighted else 1
        if var is None:
            constant += weight * value
        else:
            terms[var] = terms.get(var, 0) + weight
    low = math.ceil(centre - half - 1e-9)
    high = math.floor(centre + half + 1e-9)
    r.system.add(terms, constant, low, high)


def attack(data: Mapping[str, Any]) -> dict[Hashable, tuple[int, int]]:
    """Every "<5" cell of a published report that a reader can narrow down (its feasible
    range), from its JSON alone. Empty when disclosure control holds."""
    reader = read_report(data)
    system = reader.finish()
    return recovered(feasible_ranges(system, reader.small))
