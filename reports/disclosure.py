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
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from participants.names import NAME_PLACEHOLDER, redact_registered_names

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


def quotable(
    feedback_rows: Iterable[Mapping[str, Any]],
    *,
    limit: int | None = None,
    redact_names: Callable[[Sequence[str]], list[str]] = redact_registered_names,
) -> list[dict[str, Any]]:
    """The quotes that may appear in a report: only with consent to quote and approved by
    programme staff, only non-empty text, registry names, contacts, ID numbers and the
    author's own name removed, and no field that could identify the person (`author_name` is
    used for the removal only, never passed on). `text` is the approved text."""
    rows = [row for row in feedback_rows if may_be_quoted(row) and (row.get("text") or "").strip()]
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
