"""Names of people of the registry found in free text (feedback comments, quotes, notes).

Two uses: reports replace the name of anyone in the registry by "[name]" before quoting a
comment (reports/disclosure.py), and erasing a person scrubs their name from every free-text
field (participants/privacy.py).

A name is found as whole words, in any order and case, with Kazakh and Russian letters folded
as in `identity.normalise_name` ("Қайрат" = "Кайрат"):
- the full registered name ("Есенова Мадина" or "Мадина Есенова");
- two words of a longer registered name written with capitals ("Мадина Есенова" for
  "Есенова Мадина Серікқызы"): a patronymic is often left out.
A single word (a given name alone) is not a name here: with 200,000 people in the registry
every common given name would be hidden.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Q

from .identity import _KAZAKH_FOLD, unconfuse
from .models import Participant

NAME_PLACEHOLDER = "[name]"
# A word: letters only (Cyrillic, Latin or any other script).
_WORD = re.compile(r"[^\W\d_]+")
# What may stand between two words of one name: spaces, a hyphen, an apostrophe.
_GAP = re.compile(r"[\s\-'’‐]+")
MAX_NAME_WORDS = 5
MIN_PART_LETTERS = 3
_CHUNK = 1000  # values per IN (...) and pairs per query


def fold(word: str) -> str:
    """A word as the registry's normalised name holds it: look-alike letters of the other
    script replaced, lower case, letters folded."""
    return unconfuse(unicodedata.normalize("NFC", word)).lower().translate(_KAZAKH_FOLD)


@dataclass(frozen=True)
class _Word:
    start: int
    end: int
    folded: str
    capitalised: bool


def _runs(text: str) -> list[list[_Word]]:
    """The text's words, grouped into runs of words separated only by a gap (a comma or a
    full stop ends a run: a name is not split by punctuation)."""
    runs: list[list[_Word]] = []
    previous_end = None
    for match in _WORD.finditer(text):
        word = _Word(match.start(), match.end(), fold(match.group()), match.group()[0].isupper())
        between = text[previous_end : match.start()] if previous_end is not None else None
        if between is not None and _GAP.fullmatch(between):
            runs[-1].append(word)
        else:
            runs.append([word])
        previous_end = match.end()
    return runs


def _candidates(text: str) -> tuple[dict[str, list[tuple[int, int]]], dict[tuple, list]]:
    """Word sequences that could be a full name (normalised key -> spans) and pairs of
    capitalised words that could be two words of a longer name (pair -> spans)."""
    full: dict[str, list[tuple[int, int]]] = {}
    pairs: dict[tuple[str, str], list[tuple[int, int]]] = {}
    for run in _runs(text):
        for i in range(len(run)):
            for k in range(2, MAX_NAME_WORDS + 1):
                if i + k > len(run):
                    break
                words = run[i : i + k]
                key = " ".join(sorted(w.folded for w in words))
                full.setdefault(key, []).append((words[0].start, words[-1].end))
            if i + 1 < len(run):
                a, b = run[i], run[i + 1]
                if (
                    a.capitalised
                    and b.capitalised
                    and a.folded != b.folded
                    and min(len(a.folded), len(b.folded)) >= MIN_PART_LETTERS
                ):
                    pair = tuple(sorted((a.folded, b.folded)))
                    pairs.setdefault(pair, []).append((a.start, b.end))
    return full, pairs


def _registered_full_names(keys: set[str]) -> set[str]:
    found: set[str] = set()
    keys_list = sorted(keys)
    for i in range(0, len(keys_list), _CHUNK):
        found |= set(
            Participant.objects.filter(
                name_normalised__in=keys_list[i : i + _CHUNK], is_anonymised=False
            ).values_list("name_normalised", flat=True)
        )
    return found


def _word_regex(word: str) -> str:
    # The normalised name is lower-case words separated by single spaces.
    return rf"(^| ){re.escape(word)}( |$)"


def _registered_pairs(pairs: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The pairs that are two words of one registered name. Each word is looked up as a whole
    word of the normalised name (a regular expression the trigram index serves on PostgreSQL)."""
    found: set[tuple[str, str]] = set()
    pairs_list = sorted(pairs)
    for i in range(0, len(pairs_list), _CHUNK // 10):
        chunk = pairs_list[i : i + _CHUNK // 10]
        query = Q()
        for a, b in chunk:
            query |= Q(name_normalised__regex=_word_regex(a)) & Q(
                name_normalised__regex=_word_regex(b)
            )
        names = (
            Participant.objects.filter(query, is_anonymised=False)
            .values_list("name_normalised", flat=True)
            .distinct()[:5000]
        )
        for name in names:
            words = set(name.split())
            found |= {(a, b) for a, b in chunk if a in words and b in words}
    return found


def registered_name_spans(texts: Sequence[str]) -> list[list[tuple[int, int]]]:
    """For each text, the (start, end) spans of names of people in the registry, merged where
    they touch. Two queries for all the texts together, whatever the size of the registry."""
    per_text = [_candidates(unicodedata.normalize("NFC", text or "")) for text in texts]
    known_full = _registered_full_names({key for full, _pairs in per_text for key in full})
    known_pairs = _registered_pairs({pair for _full, pairs in per_text for pair in pairs})
    out = []
    for full, pairs in per_text:
        spans = [span for key in known_full & full.keys() for span in full[key]]
        spans += [span for pair in known_pairs & pairs.keys() for span in pairs[pair]]
        out.append(_merge(spans))
    return out


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


def replace_spans(text: str, spans: list[tuple[int, int]], placeholder: str) -> str:
    text = unicodedata.normalize("NFC", text or "")
    for start, end in reversed(spans):
        text = text[:start] + placeholder + text[end:]
    return text


def redact_registered_names(texts: Sequence[str]) -> list[str]:
    """The texts with every name of a person in the registry replaced by "[name]"."""
    return [
        replace_spans(text, spans, NAME_PLACEHOLDER)
        for text, spans in zip(texts, registered_name_spans(texts), strict=True)
    ]


# One person's name, for erasure -----------------------------------------------------------------
def _letter_class(letter: str) -> str:
    """Every letter that folds like `letter`, in both cases: "к" -> "[кКқҚ]"."""
    target = fold(letter)
    variants = {letter.lower(), target}
    variants |= {chr(src) for src, dst in _KAZAKH_FOLD.items() if dst == target}
    variants |= {v.upper() for v in variants}
    return "[" + "".join(sorted(re.escape(v) for v in variants)) + "]"


def word_pattern(word: str) -> str:
    """A case- and fold-insensitive regular expression of one word, usable by Python and by
    the database (no flags, no escapes the SQL engines disagree on)."""
    return "".join(_letter_class(c) if c.isalpha() else re.escape(c) for c in word)


def person_name_words(full_names: Sequence[str]) -> list[str]:
    """The distinct words of a person's names (current and former), as written."""
    words: dict[str, str] = {}
    for name in full_names:
        for match in _WORD.finditer(unicodedata.normalize("NFC", name or "")):
            words.setdefault(fold(match.group()), match.group())
    return list(words.values())


def person_name_regex(full_names: Sequence[str]) -> re.Pattern | None:
    """Two or more words of one of the person's names next to each other, in any order: the
    full name, or a part of it written as a name ("Мадина Есенова")."""
    words = person_name_words(full_names)
    if len(words) < 2:
        return None
    alternatives = "|".join(word_pattern(w) for w in sorted(words, key=len, reverse=True))
    word = rf"(?:{alternatives})"
    return re.compile(rf"(?<!\w){word}(?:[\s\-'’‐]+{word})+(?!\w)")


def scrub_person_name(text: str, pattern: re.Pattern, full_names: Sequence[str]) -> str:
    """`text` with every occurrence of the person's name (two or more distinct words of one of
    their names, next to each other) replaced by "[name]"."""
    names = [{fold(m.group()) for m in _WORD.finditer(n or "")} for n in full_names]

    def replace(match: re.Match) -> str:
        used = {fold(m.group()) for m in _WORD.finditer(match.group())}
        if len(used) >= 2 and any(used <= name for name in names):
            return NAME_PLACEHOLDER
        return match.group()

    return pattern.sub(replace, unicodedata.normalize("NFC", text or ""))
