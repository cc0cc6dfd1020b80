"""Disclosure control for donor-facing reports: the ONLY place that knows the rules.

1. Any disaggregated count from 1 to 4 is shown as "<5" (0 stays 0, totals stay exact), so a
   small group of people cannot be singled out.
2. A rate or mean computed from 1 to 4 respondents is hidden the same way ("<5" respondents
   would let a reader work out individual answers).
3. Quotes are used only when the person consented to be quoted AND programme staff approved
   the text ("Quotes to review"); the approved text is stripped of anything that looks like a
   contact or an identity number, of its author's name, and of the name of anyone in the
   registry (replaced by "[name]", see participants/names.py).
4. No names, contacts or IDs of people: the report builder never reads those fields; the
   renderers are checked by the test suite for the demo people's names, phones and emails.
5. A "<5" cannot be worked out from the totals (complementary suppression, `LinkedCounts`):
   every count of people the report publishes is a cell of linked tables (each breakdown with
   its total, category by sex with both margins, the same breakdown in two places once). In a
   table where a reader could pin a "<5" down (it is the only withheld cell, or the withheld
   cells' sum leaves it less than 1-4), the smallest other non-zero count is withheld too,
   shown as "x"; tables are revisited until none needs more, then the attacker of
   reports/disclosure_audit.py checks the whole report and any cell it can still narrow down
   gets one more "x" in its tables. A breakdown that cannot be protected so (its total is too
   small) is withheld whole: every cell "x". Events, sessions and partners are activity, not
   people: they are never withheld.
6. A quote is used only when its group (category, region, event type) had at least 5 people
   at the period's counted events.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from participants.names import NAME_PLACEHOLDER, redact_registered_names

from . import disclosure_audit as audit

logger = logging.getLogger(__name__)

SUPPRESSED = audit.SMALL  # "<5": a count of 1 to 4
COMPLEMENT = audit.COMPLEMENT  # "x": withheld so that a "<5" cannot be worked out
WITHHELD = (SUPPRESSED, COMPLEMENT)
THRESHOLD = 5  # counts 1..THRESHOLD-1 are suppressed
# Complementary suppression (rule 5): always on in reports; a test switches it off to show
# what the attacker recovers without it.
COMPLEMENTARY = True

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# Phone numbers (+7 701 123 45 67, 8(701)1234567 ...) and 12-digit IINs.
PHONE = re.compile(r"(?<!\w)(\+?\d[\d\s().-]{7,}\d)(?!\w)")
IIN = re.compile(r"(?<!\d)\d{12}(?!\d)")
REDACTED = "[…]"


def is_small(value: Any) -> bool:
    """True for a count that must not be shown (1 to 4)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < THRESHOLD


def is_withheld(value: Any) -> bool:
    """True for a cell a report does not publish: "<5" or "x" (never a number, never 0)."""
    return isinstance(value, str) and value in WITHHELD


def protect_count(value: Any) -> Any:
    """A disaggregated count as it may be shown: 1..4 become "<5"."""
    return SUPPRESSED if is_small(value) else value


def protect_counts(cells: Mapping[str, Any]) -> dict[str, Any]:
    """A row of disaggregated counts (key -> count) with small cells suppressed."""
    return {key: protect_count(value) for key, value in cells.items()}


def protect_rate(value: Any, base: int | None) -> Any:
    """A rate or mean shown only when it stands on at least 5 respondents (or 0 of them)."""
    if base is not None and is_small(base):
        return SUPPRESSED
    return value


def protect_rates(cells: Mapping[str, Any], bases: Mapping[str, int]) -> dict[str, Any]:
    return {key: protect_rate(value, bases.get(key)) for key, value in cells.items()}


def protect_disaggregations(
    disaggregations: Mapping[str, Mapping[str, Any]],
    *,
    is_count: bool,
    bases: Mapping[str, Mapping[str, int]] | None = None,
) -> dict[str, dict[str, Any]]:
    """All breakdowns of a rule result, protected (counts or rates as the rule says)."""
    bases = bases or {}
    if is_count:
        return {dim: protect_counts(cells) for dim, cells in disaggregations.items()}
    return {dim: protect_rates(cells, bases.get(dim, {})) for dim, cells in disaggregations.items()}


def scrub_text(text: str, names: Iterable[str] = ()) -> str:
    """Free text with e-mail addresses, phone numbers, IIN-like numbers and the given names
    (each word of a person's name, e.g. the quote's author) removed."""
    for name in names:
        for word in (name or "").split():
            if len(word) >= 3:
                text = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", REDACTED, text, flags=re.I)
    text = EMAIL.sub(REDACTED, text)
    text = IIN.sub(REDACTED, text)
    return PHONE.sub(REDACTED, text)


APPROVED = "approved"  # Feedback.QuoteStatus.APPROVED


def may_be_quoted(row: Mapping[str, Any]) -> bool:
    """A comment may be quoted when its author consented and programme staff approved it."""
    return bool(row.get("consent_to_quote")) and row.get("quote_status") == APPROVED


def protect_quote_texts(
    texts: Sequence[str],
    authors: Sequence[str] | None = None,
    *,
    redact_names: Callable[[Sequence[str]], list[str]] = redact_registered_names,
) -> list[str]:
    """Texts as a report may print them: names of people in the registry replaced by
    "[name]" (looked up for all the texts at once), then the author's own name, contacts and
    ID numbers removed. Also what the review page shows as the automatic redaction."""
    authors = authors or [""] * len(texts)
    named = redact_names([(t or "").strip() for t in texts])
    return [
        scrub_text(text, [author or ""]).strip()
        for text, author in zip(named, authors, strict=True)
    ]


def large_enough_group(row: Mapping[str, Any], group_sizes: Mapping[Any, int] | None) -> bool:
    """A quote names its author's category, region and event type: the people of the period
    who share all three (`row["group"]`) must be at least 5, or the quote points at one of a
    handful. Without sizes (a unit test of the other rules) every group passes."""
    if group_sizes is None:
        return True
    return group_sizes.get(row.get("group"), 0) >= THRESHOLD


def quotable(
    feedback_rows: Iterable[Mapping[str, Any]],
    *,
    limit: int | None = None,
    redact_names: Callable[[Sequence[str]], list[str]] = redact_registered_names,
    group_sizes: Mapping[Any, int] | None = None,
) -> list[dict[str, Any]]:
    """The quotes that may appear in a report: only with consent to quote and approved by
    programme staff, only from a group of at least 5 people (`group_sizes`: row["group"] ->
    people, see `large_enough_group`), only non-empty text, registry names, contacts, ID
    numbers and the author's own name removed, and no field that could identify the person
    (`author_name` is used for the removal only, never passed on). `text` is the approved
    text."""
    rows = [
        row
        for row in feedback_rows
        if may_be_quoted(row)
        and (row.get("text") or "").strip()
        and large_enough_group(row, group_sizes)
    ]
    if limit is not None:
        rows = rows[: limit * 2]  # a few spare, in case a text is empty once protected
    texts = protect_quote_texts(
        [row["text"] for row in rows],
        [row.get("author_name") or "" for row in rows],
        redact_names=redact_names,
    )
    out = []
    for row, text in zip(rows, texts, strict=True):
        if not text or text == NAME_PLACEHOLDER:
            continue
        out.append(
            {
                "text": text,
                "event_type": row.get("event_type", ""),
                "region": row.get("region", ""),
                "category": row.get("category", ""),
            }
        )
    return out[:limit] if limit is not None else out


# Fields of a person that must never reach a donor-facing report.
PERSONAL_FIELDS = frozenset(
    {"full_name", "name_normalised", "phone", "email", "iin_hash", "birth_year", "position"}
)


# Complementary suppression over linked tables (rule 5) -------------------------------------


@dataclass(frozen=True)
class Cell:
    """A count of people in a report being built: what it shows ("<5", "x" or the count) is
    decided once every table is known (`LinkedCounts.protect`, then `resolve`)."""

    id: Hashable


@dataclass(frozen=True)
class Rate:
    """A rate or mean shown only when the count of people behind it is shown."""

    value: Any
    count: Cell


@dataclass(frozen=True)
class _Group:
    total: Hashable | int  # a cell's id, or a published figure that is never withheld
    parts: tuple[Hashable, ...]
    weights: tuple[int, ...] | None  # None: each part once
    table: bool  # a breakdown as printed (withheld whole if it must be); else a derived sum


class LinkedCounts:
    """The report's counts of people as cells of linked tables, and what each may show.

    Register the counts as the sections are built (`breakdown`, `count`, `adds_up`), put the
    returned `Cell`s where the numbers go, then `protect()` once and `resolve()` each section.
    A breakdown is identified by its dimension, total and counts: the same breakdown built twice
    (the people section and an indicator of everyone reached, a quarter and the year to date
    when only that quarter had events) is one table, so it is withheld the same way in both."""

    def __init__(self, complementary: bool | None = None) -> None:
        self.values: dict[Hashable, int] = {}
        self.groups: list[_Group] = []
        self._known: set[_Group] = set()
        self.marks: dict[Hashable, str] = {}
        self.complementary = COMPLEMENTARY if complementary is None else complementary

    # Registering -----------------------------------------------------------------------

    def count(self, cell_id: Hashable, value: int) -> Cell:
        self.values.setdefault(cell_id, int(value))
        return Cell(cell_id)

    def adds_up(
        self,
        total: Cell | int,
        parts: Sequence[Cell],
        *,
        weights: Sequence[int] | None = None,
        table: bool = True,
    ) -> None:
        """`total` (a published figure, or a cell) is the sum of `parts` (times `weights`)."""
        if not parts:
            return
        group = _Group(
            total.id if isinstance(total, Cell) else int(total),
            tuple(p.id for p in parts),
            tuple(weights) if weights is not None else None,
            table,
        )
        if group not in self._known:
            self._known.add(group)
            self.groups.append(group)

    def breakdown(
        self, dimension: str, counts: Mapping[Any, int], total: Cell | int
    ) -> dict[Any, Cell]:
        """A one-way breakdown of `total` (the counts add up to it): a cell per key."""
        total_value = self.values[total.id] if isinstance(total, Cell) else int(total)
        signature = (dimension, total_value, tuple(sorted((str(k), v) for k, v in counts.items())))
        cells = {key: self.count((*signature, str(key)), value) for key, value in counts.items()}
        self.adds_up(total, list(cells.values()))
        return cells

    def rate(self, value: Any, count: Cell) -> Rate:
        return Rate(value, count)

    # Deciding --------------------------------------------------------------------------

    def protect(self) -> None:
        """Mark every cell to withhold: 1-4 as "<5", then complementary "x" until neither a
        table on its own nor the attacker over all of them can narrow a "<5" down."""
        self.marks = {c: SUPPRESSED for c, v in self.values.items() if is_small(v)}
        if not self.complementary:
            return
        for _round in range(10_000):
            if self._table_pass():
                continue
            exposed = self._exposed()
            if not exposed:
                return
            if not self._cover(exposed[0]):
                logger.warning("disclosure: cannot protect cell %r", exposed[0])
                return
        logger.warning("disclosure: complementary suppression did not settle")

    def _value(self, ref: Hashable | int) -> int:
        return ref if isinstance(ref, int) else self.values[ref]

    def _open_cells(self) -> set[Hashable]:
        """Cells of a table withheld whole (a reader can only say they are 0 or more)."""
        return {
            p
            for g in self.groups
            if g.table and all(self.marks.get(p) == COMPLEMENT for p in g.parts)
            for p in g.parts
        }

    def _domain(self, cell: Hashable, open_cells: set) -> tuple[int, int]:
        if self.marks[cell] == SUPPRESSED:
            return (1, 4)
        return (0, audit.BIG) if cell in open_cells else (THRESHOLD, audit.BIG)

    def _unsafe(self, group: _Group, open_cells: set) -> bool:
        """Can a reader pin a withheld cell of this table down from its total alone?"""
        if group.weights is not None:
            return False  # a weighted sum: left to the attacker
        if not isinstance(group.total, int) and group.total in self.marks:
            return False  # the total is withheld too
        withheld = [p for p in group.parts if p in self.marks]
        if not withheld:
            return False
        if len(withheld) == 1:
            return True  # it is the total less the published parts
        rest = sum(self.values[p] for p in withheld)  # = total - the published parts
        for cell in withheld:
            if self.marks[cell] != SUPPRESSED:
                continue
            others = [self._domain(p, open_cells) for p in withheld if p != cell]
            high = rest - sum(lo for lo, _hi in others)
            low = rest - sum(hi for _lo, hi in others)
            if high < 4 or low > 1:
                return True
        return False

    def _candidate(self, groups: Iterable[_Group]) -> Hashable | None:
        """The smallest published non-zero count among these tables' parts."""
        published = [
            p for group in groups for p in group.parts if p not in self.marks and self.values[p]
        ]
        return min(published, key=self.values.__getitem__, default=None)

    def _blank(self, group: _Group) -> bool:
        changed = False
        for p in group.parts:
            if self.marks.get(p) != COMPLEMENT:
                self.marks[p] = COMPLEMENT
                changed = True
        return changed

    def _table_pass(self) -> bool:
        changed = False
        for group in self.groups:
            if not self._unsafe(group, self._open_cells()):
                continue
            cell = self._candidate([group])
            if cell is not None:
                self.marks[cell] = COMPLEMENT
                changed = True
            elif group.table:
                changed = self._blank(group) or changed
        return changed

    def system(self) -> audit.System:
        """The constraints a reader has: what the attacker searches."""
        system = audit.System()
        open_cells = self._open_cells()
        for cell in self.marks:
            system.domains[cell] = self._domain(cell, open_cells)
        for group in self.groups:
            terms: dict[Hashable, int] = {}
            constant = 0
            if isinstance(group.total, int) or group.total not in self.marks:
                constant -= self._value(group.total)
            else:
                terms[group.total] = -1
            for p, w in zip(group.parts, group.weights or [1] * len(group.parts), strict=True):
                if p in self.marks:
                    terms[p] = terms.get(p, 0) + w
                else:
                    constant += w * self.values[p]
            system.add(terms, constant, 0, 0)
        return system

    def _exposed(self) -> list[Hashable]:
        small = sorted((c for c, m in self.marks.items() if m == SUPPRESSED), key=repr)
        try:
            ranges = audit.feasible_ranges(self.system(), small)
        except audit.TooHard:
            return small[:1]
        return sorted(audit.recovered(ranges), key=repr)

    def _cover(self, cell: Hashable) -> bool:
        """One more "x" near a cell the attacker narrows down: the smallest published count
        of its tables, else of the tables linked to it through withheld cells; else its
        table is withheld whole."""
        own = [g for g in self.groups if cell in g.parts or g.total == cell]
        candidate = self._candidate(own)
        if candidate is None:
            reached, linked, frontier = {cell}, [], [cell]
            while frontier:
                current = frontier.pop()
                for g in self.groups:
                    refs = [*g.parts, g.total]
                    if current in refs and g not in linked:
                        linked.append(g)
                        for ref in refs:
                            if ref in self.marks and ref not in reached:
                                reached.add(ref)
                                frontier.append(ref)
            candidate = self._candidate(linked)
        if candidate is not None:
            self.marks[candidate] = COMPLEMENT
            return True
        return any(self._blank(g) for g in own if g.table)

    # Publishing ------------------------------------------------------------------------

    def shown(self, cell: Cell) -> Any:
        return self.marks.get(cell.id, self.values[cell.id])

    def resolve(self, value: Any) -> Any:
        """`value` with every Cell and Rate replaced by what the report shows."""
        if isinstance(value, Cell):
            return self.shown(value)
        if isinstance(value, Rate):
            mark = self.marks.get(value.count.id)
            return mark if mark else value.value
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value
