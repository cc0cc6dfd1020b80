"""Text that is safe to store, show and put in a file: no control characters, no bidi tricks.

One invisible character can break a donor report (a vertical tab makes the DOCX and XLSX
writers refuse the whole file, since XML 1.0 forbids it) and a right-to-left override makes a
name or a comment read differently from what is stored. So every way in (the request
middleware, the spreadsheet import, a guard on every model save) and every renderer pass text
through `clean_text`.

Replaced by a newline: a carriage return (Windows and old Mac line ends) and the controls that
mean a line break: vertical tab (Word's manual line break, which pasting brings along), form
feed and NEL U+0085.

Removed:
- the other C0 control characters except tab and newline, DEL and the C1 controls
  U+0080-U+009F; NUL among them (PostgreSQL refuses it in text);
- the bidirectional formatting controls: embeddings and overrides U+202A-U+202E, isolates
  U+2066-U+2069, and the invisible marks LRM U+200E, RLM U+200F and ALM U+061C. Qadam's
  languages (Kazakh, Russian, English) are all written left to right and text in Arabic or
  Hebrew script still shows right to left by its letters alone, so none of these is needed,
  while each can reorder or hide what a reader sees, or make two equal names differ;
- the non-characters U+FFFE, U+FFFF and lone surrogates, which XML forbids too.

Letters of every script, digits, punctuation, emoji and the joiners ZWJ/ZWNJ (needed by some
scripts and emoji) are kept.
"""

from __future__ import annotations

import re
from typing import Any

_UNSAFE = re.compile(
    "["
    "\x00-\x08\x0b\x0c\x0e-\x1f"  # C0 except tab, newline (and CR, handled by clean_text)
    "\x7f-\x9f"  # DEL and C1
    "\u061c\u200e\u200f"  # bidi marks ALM, LRM, RLM
    "\u202a-\u202e"  # bidi embeddings and overrides LRE RLE PDF LRO RLO
    "\u2066-\u2069"  # bidi isolates LRI RLI FSI PDI
    "\ud800-\udfff"  # lone surrogates
    "\ufffe\uffff"  # non-characters
    "]"
)
_UNSAFE_OR_CR = re.compile(_UNSAFE.pattern[:-1] + "\r]")
_LINE_BREAKS = frozenset("\x0b\x0c\x85")


def _replacement(match: re.Match) -> str:
    return "\n" if match.group() in _LINE_BREAKS else ""


def strip_controls(value: str) -> str:
    """`value` without the characters listed above; carriage returns are kept (a file format
    may want them, e.g. a spreadsheet cell as typed)."""
    return _UNSAFE.sub(_replacement, value) if _UNSAFE.search(value) else value


def clean_text(value: str) -> str:
    """`value` without the characters listed above, line ends as newlines. Text without any
    of them is returned unchanged (the same object)."""
    if not _UNSAFE_OR_CR.search(value):
        return value
    return strip_controls(value.replace("\r\n", "\n").replace("\r", "\n"))


def has_unsafe(value: str) -> bool:
    """True if `clean_text` would change `value`."""
    return _UNSAFE_OR_CR.search(value) is not None


def clean_data(value: Any) -> Any:
    """`clean_text` applied to every string inside JSON-like data (dicts, lists, tuples):
    keys and values; numbers, None and other objects pass unchanged."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_data(k): clean_data(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(clean_data(v) for v in value)
    return value
