"""Disclosure control for donor-facing reports: the ONLY place that knows the rules.

1. Any disaggregated count from 1 to 4 is shown as "<5" (0 stays 0, totals stay exact), so a
   small group of people cannot be singled out.
2. A rate or mean computed from 1 to 4 respondents is hidden the same way ("<5" respondents
   would let a reader work out individual answers).
3. Quotes are used only when the person consented to be quoted, and are stripped of anything
   that looks like a contact or an identity number.
4. No names, contacts or IDs of people: the report builder never reads those fields; the
   renderers are checked by the test suite for the demo people's names, phones and emails.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

SUPPRESSED = "<5"
THRESHOLD = 5  # counts 1..THRESHOLD-1 are suppressed

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
# Phone numbers (+7 701 123 45 67, 8(701)1234567 ...) and 12-digit IINs.
PHONE = re.compile(r"(?<!\w)(\+?\d[\d\s().-]{7,}\d)(?!\w)")
IIN = re.compile(r"(?<!\d)\d{12}(?!\d)")
REDACTED = "[…]"


def is_small(value: Any) -> bool:
    """True for a count that must not be shown (1 to 4)."""
    return isinstance(value, int) and not isinstance(value, bool) and 0 < value < THRESHOLD


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


def quotable(feedback_rows: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The quotes that may appear in a report: only with consent to quote, only non-empty
    text, contacts, ID numbers and the author's own name removed, and no field that could
    identify the person (`author_name` is used for the removal only, never passed on)."""
    out = []
    for row in feedback_rows:
        if not row.get("consent_to_quote"):
            continue
        text = scrub_text((row.get("text") or "").strip(), [row.get("author_name") or ""])
        if not text:
            continue
        out.append(
            {
                "text": text,
                "event_type": row.get("event_type", ""),
                "region": row.get("region", ""),
                "category": row.get("category", ""),
            }
        )
    return out


# Fields of a person that must never reach a donor-facing report.
PERSONAL_FIELDS = frozenset(
    {"full_name", "name_normalised", "phone", "email", "iin_hash", "birth_year", "position"}
)
