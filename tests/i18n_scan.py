"""Finding English on a Kazakh or Russian page (issue 19).

The English source strings are the msgids of our catalogue and of Django's own catalogues (the
forms, validation messages and auth texts Django renders for us). A page in kk or ru shows one of
them untranslated when a text node, or a label-like attribute, reads exactly as that msgid while
the page's language has a different translation for it. Whole-text comparison (not substring)
keeps user data such as names and event titles from giving false alarms; msgids with
placeholders become patterns ("%(n)s people" matches "12 people").

Dates: a kk/ru page writes dates day first (12.11.2024, or "12 қараша 2024"); a US date
(11/12/2024) or a month-first date ("Nov. 12, 2024", "Там. 13, 2024") is a finding.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path

import django
from django.conf import settings

PLACEHOLDER = re.compile(r"%\([^)]*\)[sdfi]|%[sdfi]|\{[a-z_0-9]*\}")
US_DATE = re.compile(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b")
MONTH_FIRST_DATE = re.compile(r"\b[^\W\d_]{3,}\.? \d{1,2}, \d{4}\b")
DAY_FIRST_DATE = re.compile(r"\b\d{2}\.\d{2}\.\d{4}\b")

# Texts that read the same in every language of the app, or are names rather than words.
SAME_IN_EVERY_LANGUAGE = {"Qadam", "IATI", "PDF", "DOCX", "XLSX", "CSV", "QR", "ID", "OK", "SMS"}

# Text nodes, and the attributes a user sees or hears, of every element in the document; text
# inside an element that declares another language (the language switcher says "English" in
# English) is left out.
COLLECT_JS = """
() => {
  const lang = (document.documentElement.lang || '').slice(0, 2);
  const foreign = el => {
    const holder = el.closest('[lang]');
    return holder && holder !== document.documentElement
      && holder.getAttribute('lang').slice(0, 2) !== lang;
  };
  const skip = el => el.closest('script, style, noscript, template, code, kbd, pre, samp');
  const out = [];
  const walker = document.createTreeWalker(document, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const el = n.parentElement;
    if (!el || skip(el) || foreign(el)) continue;
    const text = n.nodeValue.replace(/\\s+/g, ' ').trim();
    if (text) out.push(text);
  }
  const attrs = ['placeholder', 'aria-label', 'title', 'alt', 'aria-description'];
  for (const el of document.querySelectorAll('*')) {
    if (skip(el) || foreign(el)) continue;
    for (const a of attrs) {
      const v = (el.getAttribute(a) || '').replace(/\\s+/g, ' ').trim();
      if (v) out.push(v);
    }
    if (el.matches('input[type=submit], input[type=button], input[type=reset]') && el.value) {
      out.push(el.value.trim());
    }
  }
  return {lang, texts: out, body: document.body ? document.body.innerText : ''};
}
"""


def _unquote(line: str) -> str:
    return ast.literal_eval(line)


def _po_entries(path: Path) -> list[tuple[list[str], list[str]]]:
    """([msgid, msgid_plural?], [msgstr...]) of every entry of a .po file; a fuzzy entry counts
    as untranslated (gettext does not use it)."""
    entries: list[tuple[list[str], list[str]]] = []
    ids: list[str] = []
    strs: list[str] = []
    current: list[str] | None = None
    fuzzy = False

    def flush():
        if ids:
            entries.append((list(ids), [] if fuzzy else list(strs)))

    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line.startswith("#,") and "fuzzy" in line:
            flush()
            ids, strs, current, fuzzy = [], [], None, True
        elif line.startswith("#~") or (line.startswith("#") and not line.startswith("#,")):
            continue
        elif line.startswith("msgid "):
            if strs:
                flush()
                ids, strs, fuzzy = [], [], False
            ids.append(_unquote(line[6:]))
            current = ids
        elif line.startswith("msgid_plural "):
            ids.append(_unquote(line[13:]))
            current = ids
        elif line.startswith("msgstr"):
            strs.append(_unquote(line.split(" ", 1)[1]))
            current = strs
        elif line.startswith('"') and current is not None:
            current[-1] += _unquote(line)
    flush()
    return entries


def _translations(path: Path | None, ids_of: Path) -> dict[str, str]:
    """msgid (singular and plural) -> its translation in `path` ("" when it has none), for the
    msgids of `ids_of`."""
    have: dict[str, str] = {}
    if path is not None and path.exists():
        for ids, strs in _po_entries(path):
            for i, msgid in enumerate(ids):
                have[msgid] = strs[min(i, len(strs) - 1)] if strs else ""
    result: dict[str, str] = {}
    for ids, _strs in _po_entries(ids_of):
        for msgid in ids:
            if msgid:
                result.setdefault(msgid, have.get(msgid, ""))
    return result


def _django_locale_dirs() -> list[Path]:
    root = Path(django.__file__).parent
    dirs = [root / "conf" / "locale"]
    dirs += sorted(p for p in (root / "contrib").glob("*/locale"))
    return dirs


@cache
def _english_and_translations(lang: str) -> tuple[dict[str, str], ...]:
    """(ours, django's): msgid -> the page language's translation (or "" when it has none)."""
    ours_po = Path(settings.BASE_DIR) / "locale" / lang / "LC_MESSAGES" / "django.po"
    ours = _translations(ours_po, ours_po)
    djangos: dict[str, str] = {}
    for locale_dir in _django_locale_dirs():
        # The Russian catalogue lists the English msgids Django renders (kk is incomplete).
        for po in (locale_dir / "ru" / "LC_MESSAGES").glob("*.po"):
            mine = locale_dir / lang / "LC_MESSAGES" / po.name
            for msgid, value in _translations(mine, po).items():
                djangos.setdefault(msgid, value)
    return ours, djangos


def _is_checkable(msgid: str) -> bool:
    literal = PLACEHOLDER.sub("", msgid)
    letters = re.sub(r"[^A-Za-z]", "", literal)
    return len(letters) >= 3 and msgid.strip() not in SAME_IN_EVERY_LANGUAGE


@cache
def english_strings(lang: str) -> tuple[frozenset[str], tuple[re.Pattern, ...]]:
    """The English strings that must not appear on a `lang` page: exact texts, and patterns for
    msgids with placeholders. A msgid our catalogue translates to itself is allowed (a brand
    or an abbreviation); Django's msgids count when a page could show them, which is whenever
    our catalogue does not supply a different text for them either."""
    ours, djangos = _english_and_translations(lang)
    exact: set[str] = set()
    patterns: list[re.Pattern] = []
    candidates = dict(djangos)
    candidates.update(ours)
    for msgid, translation in candidates.items():
        if translation == msgid or not _is_checkable(msgid):
            continue
        text = " ".join(msgid.split())
        if PLACEHOLDER.search(text):
            literal = PLACEHOLDER.sub("", text)
            if len(re.sub(r"[^A-Za-z]", "", literal)) < 8:
                continue
            parts = PLACEHOLDER.split(text)
            patterns.append(re.compile(".+?".join(re.escape(p) for p in parts)))
        else:
            exact.add(text)
    return frozenset(exact), tuple(patterns)


def english_on(texts: list[str], lang: str, extra: frozenset[str] = frozenset()) -> list[str]:
    """The texts of a `lang` page that are untranslated English UI strings (or one of `extra`:
    English names of reference data that has a name in `lang`)."""
    exact, patterns = english_strings(lang)
    exact = exact | extra
    found = []
    for text in texts:
        stripped = text.strip(" :*·–—()")
        if stripped in exact or text in exact or any(p.fullmatch(text) for p in patterns):
            found.append(text)
    return sorted(set(found))


def wrong_dates(body: str) -> list[str]:
    """US (month/day/year) and month-first dates on a page."""
    return sorted(set(US_DATE.findall(body)) | set(MONTH_FIRST_DATE.findall(body)))


def scan(page, extra: frozenset[str] = frozenset()) -> dict:
    """The page's findings: {"lang", "english": [...], "dates": [...], "day_first": bool}."""
    page.wait_for_function(
        "() => !document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )
    data = page.evaluate(COLLECT_JS)
    lang = data["lang"]
    return {
        "lang": lang,
        "english": english_on(data["texts"], lang, extra) if lang in ("kk", "ru") else [],
        "dates": wrong_dates(data["body"]),
        "day_first": bool(DAY_FIRST_DATE.search(data["body"])),
    }
