"""SQLite, the embedded default, folds case for ASCII only: `LIKE`, `lower()` and `upper()`
leave "Айгуль" and "айгуль" different, so search and case-insensitive matching would fail for
Kazakh and Russian names on a laptop while working on PostgreSQL. Each new SQLite connection
gets Unicode-aware versions of these functions (PostgreSQL is left alone)."""

from __future__ import annotations

import re
from functools import lru_cache


@lru_cache(maxsize=512)
def _like_pattern(pattern: str, escape: str | None) -> re.Pattern[str]:
    parts: list[str] = []
    chars = iter(pattern)
    for char in chars:
        if escape and char == escape:
            parts.append(re.escape(next(chars, "")))
        elif char == "%":
            parts.append(".*")
        elif char == "_":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts), re.DOTALL | re.IGNORECASE)


def like(pattern: str | None, value: object, escape: str | None = None) -> bool | None:
    """SQL `value LIKE pattern [ESCAPE escape]`, case-insensitive for every alphabet."""
    if pattern is None or value is None:
        return None
    return _like_pattern(pattern, escape).fullmatch(str(value)) is not None


def _lower(value):
    return value.lower() if isinstance(value, str) else value


def _upper(value):
    return value.upper() if isinstance(value, str) else value


# Names sort in the Kazakh alphabet (which holds the Russian one): Ә after А, Қ after К, Ү after
# У... PostgreSQL has it from ICU (the "kazakh" collation of participants' migration 0012);
# SQLite gets the same order from this key. Letters outside it sort after, by code point.
KAZAKH_ALPHABET = "аәбвгғдеёжзийкқлмнңоөпрстуұүфхһцчшщъыіьэюя"
_RANK = {letter: n for n, letter in enumerate(KAZAKH_ALPHABET)}


def _rank(ch: str) -> int:
    """As PostgreSQL's ICU "kk-KZ" orders: spaces and punctuation, digits, the Kazakh alphabet,
    other Cyrillic letters, then Latin letters (ICU puts a Kazakh reader's own script first)."""
    if ch in _RANK:
        return _RANK[ch]
    if ch.isdigit():
        return -2000 + ord(ch)
    if not ch.isalpha():
        return -3000 + ord(ch)
    if 0x400 <= ord(ch) < 0x530:
        return 100 + ord(ch)
    return 2000 + ord(ch)


def kazakh_key(text: str) -> tuple:
    """A sort key in Kazakh alphabetical order, case-insensitive first, then by case."""
    return (tuple(_rank(ch) for ch in text.casefold()), text)


def kazakh_collation(a: str, b: str) -> int:
    ka, kb = kazakh_key(a), kazakh_key(b)
    return (ka > kb) - (ka < kb)


def install_unicode_functions(sender, connection, **kwargs) -> None:
    """`connection_created` receiver."""
    if connection.vendor != "sqlite":
        return
    raw = connection.connection
    raw.create_function("like", 2, like, deterministic=True)
    raw.create_function("like", 3, like, deterministic=True)
    raw.create_function("lower", 1, _lower, deterministic=True)
    raw.create_function("upper", 1, _upper, deterministic=True)
    raw.create_collation("kazakh", kazakh_collation)
