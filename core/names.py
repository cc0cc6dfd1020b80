"""Names of reference data (topics, programmes, partners, indicators...) in the reader's
language. Admins enter a name (the original, usually English, which stays required) and may
add its Kazakh and Russian forms in `<field>_kk` and `<field>_ru`; a page, export or report
shows the form of the active language and falls back to the original when it is blank."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Value
from django.db.models.expressions import Combinable
from django.db.models.functions import Coalesce, NullIf
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

# The languages a reference name may have besides its original (settings.LANGUAGES minus en).
NAME_LANGUAGES = ("kk", "ru")


ORIGINAL_NAME_HELP = _(
    "The name as first written, usually in English; pages in Kazakh or Russian show it where "
    "the Kazakh or Russian name is left empty."
)


def name_in(language: str, max_length: int, *, short: bool = False) -> models.CharField:
    """The optional `<field>_<language>` column of a reference name ("kk" or "ru")."""
    labels = {
        ("kk", False): _("name (Kazakh)"),
        ("ru", False): _("name (Russian)"),
        ("kk", True): _("short name (Kazakh)"),
        ("ru", True): _("short name (Russian)"),
    }
    return models.CharField(labels[language, short], max_length=max_length, blank=True)


def active_language() -> str:
    """The two-letter code of the active language ("kk", "ru" or "en")."""
    return (get_language() or "en")[:2]


def localised(obj: object, field: str = "name") -> str:
    """`obj.<field>` in the active language: its `<field>_<lang>` when filled, else the
    original."""
    lang = active_language()
    if lang in NAME_LANGUAGES:
        value = getattr(obj, f"{field}_{lang}", "")
        if value:
            return value
    return getattr(obj, field) or ""


def localised_value(row: dict, field: str) -> str:
    """The same for a `.values()` row that holds `field` and its `_kk`/`_ru` columns."""
    lang = active_language()
    if lang in NAME_LANGUAGES and row.get(f"{field}_{lang}"):
        return row[f"{field}_{lang}"]
    return row.get(field) or ""


def localised_fields(field: str) -> tuple[str, ...]:
    """`field` and its translations, for `.values()` / `.only()`."""
    return (field, *(f"{field}_{lang}" for lang in NAME_LANGUAGES))


def localised_order(field: str = "name") -> Combinable:
    """An expression that sorts by the name readers see: the active language's column, the
    original where it is blank."""
    lang = active_language()
    if lang not in NAME_LANGUAGES:
        return F(field)
    return Coalesce(NullIf(F(f"{field}_{lang}"), Value("")), F(field))


class LocalisedName:
    """A model mixin for a `name` with optional `name_kk` and `name_ru`: `display_name` and
    `str()` give it in the active language."""

    @property
    def display_name(self) -> str:
        return localised(self, "name")

    def __str__(self) -> str:
        return self.display_name
