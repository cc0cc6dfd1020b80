"""The shape of a question set (a list of questions kept as JSON on QuestionSet), its
validation, and the texts in the reader's language.

A question: {"key": "applied", "kind": "yes_no" | "choice" | "text",
             "text": {"en": ..., "ru": ..., "kk": ...},
             "choices": [{"value": "often", "text": {"en": ..., ...}}, ...]  (choice only)}"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext as _

KINDS = ("yes_no", "choice", "text")
LANGS = ("en", "ru", "kk")
KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
TEXT_ANSWER_MAX = 500


def _texts_errors(texts: Any, where: str) -> list[str]:
    if not isinstance(texts, dict):
        return [
            _("%(where)s: the text must be given per language (en, ru, kk).") % {"where": where}
        ]
    missing = [lang for lang in LANGS if not str(texts.get(lang, "")).strip()]
    if missing:
        return [
            _("%(where)s: the text in %(langs)s is missing.")
            % {"where": where, "langs": ", ".join(missing)}
        ]
    return []


def validate_questions(questions: Any) -> None:
    """Raise ValidationError listing every problem of a question set."""
    if not isinstance(questions, list) or not questions:
        raise ValidationError(_("A question set needs at least one question (a JSON list)."))
    errors: list[str] = []
    keys: set[str] = set()
    for number, question in enumerate(questions, start=1):
        where = _("Question %(n)s") % {"n": number}
        if not isinstance(question, dict):
            errors.append(_("%(where)s is not an object.") % {"where": where})
            continue
        key = question.get("key", "")
        if not isinstance(key, str) or not KEY.match(key):
            errors.append(
                _("%(where)s: the key must be lower-case letters, digits or _.") % {"where": where}
            )
        elif key in keys:
            errors.append(
                _("%(where)s: the key %(key)s is used twice.") % {"where": where, "key": key}
            )
        keys.add(str(key))
        kind = question.get("kind")
        if kind not in KINDS:
            errors.append(
                _("%(where)s: the kind must be one of %(kinds)s.")
                % {"where": where, "kinds": ", ".join(KINDS)}
            )
        errors += _texts_errors(question.get("text"), where)
        if kind == "choice":
            choices = question.get("choices")
            if not isinstance(choices, list) or len(choices) < 2:
                errors.append(
                    _("%(where)s: a choice needs at least two options.") % {"where": where}
                )
                continue
            values = set()
            for choice in choices:
                value = choice.get("value") if isinstance(choice, dict) else None
                if not isinstance(value, str) or not KEY.match(value) or value in values:
                    errors.append(
                        _("%(where)s: each option needs its own value (lower-case letters).")
                        % {"where": where}
                    )
                    break
                values.add(value)
                errors += _texts_errors(choice.get("text"), where)
    if errors:
        raise ValidationError(errors)


def localised(texts: dict[str, str], language: str | None = None) -> str:
    """The text in `language` (the active one by default), else English."""
    lang = (language or get_language() or "en")[:2]
    return texts.get(lang) or texts.get("en", "")


def yes_no_label(value: str) -> str:
    return {"yes": _("Yes"), "no": _("No")}.get(value, value)


def answer_label(question: dict, value: str) -> str:
    """How an answer reads (the option's text for a choice)."""
    if question["kind"] == "yes_no":
        return yes_no_label(value)
    if question["kind"] == "choice":
        for choice in question["choices"]:
            if choice["value"] == value:
                return localised(choice["text"])
    return value
