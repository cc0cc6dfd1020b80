"""The columns an import understands: header names in Kazakh, Russian and English (any of them
is accepted, whatever the language of the page), and the readers of cell values (dates, sex,
yes/no, attendance marks) in the spellings partners really use."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any


@dataclass(frozen=True)
class Column:
    key: str
    kk: str
    ru: str
    en: str
    aliases: tuple[str, ...] = ()

    def label(self, lang: str) -> str:
        return getattr(self, lang if lang in ("kk", "ru", "en") else "en")


COLUMNS: tuple[Column, ...] = (
    Column(
        "full_name",
        "Аты-жөні",
        "ФИО",
        "Full name",
        (
            "фио",
            "ф.и.о",
            "ф и о",
            "аты жөні",
            "тегі аты",
            "name",
            "participant",
            "участник",
            "фамилия имя отчество",
            "фамилия имя",
            "аты-жөні (толық)",
        ),
    ),
    Column("iin", "ЖСН", "ИИН", "IIN", ("иин", "жсн", "iin", "national id")),
    Column("sex", "Жынысы", "Пол", "Sex", ("жыныс", "gender", "пол (м/ж)")),
    Column(
        "birth_year",
        "Туған жылы",
        "Год рождения",
        "Birth year",
        (
            "год рожд",
            "г.р",
            "year of birth",
            "туылған жылы",
            "дата рождения",
            "туған күні",
            "date of birth",
        ),
    ),
    Column("region", "Өңір", "Регион", "Region", ("облыс", "область", "oblast")),
    Column(
        "organisation",
        "Ұйым",
        "Организация",
        "Organisation",
        ("organization", "место работы", "жұмыс орны", "мекеме"),
    ),
    Column("position", "Лауазымы", "Должность", "Position", ("лауазым", "job title")),
    Column("category", "Санат", "Категория", "Category", ("cohort", "группа")),
    Column("phone", "Телефон", "Телефон", "Phone", ("тел", "phone number", "мобильный")),
    Column("email", "Эл. пошта", "Эл. почта", "Email", ("e-mail", "email", "почта", "эл почта")),
    Column(
        "consent",
        "Деректерді өңдеуге келісім",
        "Согласие на обработку данных",
        "Consent to data processing",
        ("келісім", "согласие", "consent"),
    ),
    Column(
        "satisfaction",
        "Жалпы қанағаттану (1-5)",
        "Общая удовлетворённость (1-5)",
        "Satisfaction (1-5)",
        ("удовлетворенность", "қанағаттану", "satisfaction"),
    ),
    Column(
        "relevance",
        "Жұмысқа қатысы (1-5)",
        "Актуальность для работы (1-5)",
        "Relevance (1-5)",
        ("актуальность", "relevance", "өзектілігі"),
    ),
    Column(
        "usefulness",
        "Пайдалылығы (1-5)",
        "Полезность (1-5)",
        "Usefulness (1-5)",
        ("полезность", "usefulness", "пайдалылығы"),
    ),
    Column(
        "intent_to_apply",
        "Қолдануға ниет (1-5)",
        "Намерение применить (1-5)",
        "Intent to apply (1-5)",
        ("намерение применить", "intent to apply"),
    ),
    Column(
        "most_useful",
        "Ең пайдалысы",
        "Самое полезное",
        "Most useful",
        ("что было полезно", "most useful"),
    ),
    Column(
        "comments",
        "Пікірлер",
        "Комментарии",
        "Comments",
        ("комментарий", "пікір", "comment", "отзыв"),
    ),
    Column(
        "consent_to_quote",
        "Дәйексөзге келісім",
        "Согласие на цитирование",
        "Consent to quote",
        ("можно цитировать", "quote"),
    ),
    Column(
        "pre_score",
        "Алдын ала тест (0-100)",
        "Входной тест (0-100)",
        "Pre-test (0-100)",
        ("pre score", "pre-test", "претест", "входной тест", "до обучения"),
    ),
    Column(
        "post_score",
        "Қорытынды тест (0-100)",
        "Итоговый тест (0-100)",
        "Post-test (0-100)",
        ("post score", "post-test", "посттест", "итоговый тест", "после обучения"),
    ),
)
BY_KEY = {c.key: c for c in COLUMNS}

KINDS: dict[str, tuple[str, ...]] = {
    "participants": (
        "full_name",
        "iin",
        "sex",
        "birth_year",
        "region",
        "organisation",
        "position",
        "category",
        "phone",
        "email",
        "consent",
    ),
    "attendance": ("full_name", "sex", "birth_year", "organisation"),
    "feedback": (
        "full_name",
        "birth_year",
        "satisfaction",
        "relevance",
        "usefulness",
        "intent_to_apply",
        "most_useful",
        "comments",
        "consent_to_quote",
    ),
    "scores": ("full_name", "birth_year", "pre_score", "post_score"),
}


def fold(text: Any) -> str:
    """Lower-case, ё->е, punctuation and spaces squeezed: how headers and words are compared."""
    value = str(text or "").lower().replace("ё", "е").replace("\n", " ")
    value = re.sub(r"[\s_:*.]+", " ", value)
    return value.strip(" -")


def _without_hint(text: str) -> str:
    return re.sub(r"\s*\(.*?\)\s*", " ", text).strip()


_HEADER_INDEX: dict[str, str] = {}
for _col in COLUMNS:
    for _name in (_col.key, _col.kk, _col.ru, _col.en, *_col.aliases):
        _HEADER_INDEX.setdefault(fold(_name), _col.key)
        _HEADER_INDEX.setdefault(fold(_without_hint(_name)), _col.key)


def header_key(value: Any) -> str | None:
    """The column key a header cell names, or None. Tolerates case, spaces, a trailing hint in
    brackets and any of the three languages."""
    if value is None:
        return None
    text = fold(value)
    return _HEADER_INDEX.get(text) or _HEADER_INDEX.get(fold(_without_hint(text)))


# Headers of a column of running numbers ("№ п/п"): known, and not read.
ROW_NUMBER_HEADERS = {"№", "№ п/п", "№п/п", "п/п", "#", "no", "n", "nr", "р/с", "р/с №", "реттік №"}


def is_row_number_header(value: Any) -> bool:
    return value is not None and fold(value) in ROW_NUMBER_HEADERS


# The template's example row (participants/imports/blank.py) starts its name with one of these
# words and a colon, so an example left in the file is recognised and skipped.
EXAMPLE_MARKS = {"kk": "ҮЛГІ", "ru": "ОБРАЗЕЦ", "en": "EXAMPLE"}
EXAMPLE_NAME = "Нұрланов Асқар"
EXAMPLE_BIRTH_YEAR = 1994
_EXAMPLE_MARK = re.compile(
    r"^\s*(үлгі|улгі|образец|пример|example|sample)\s*[:\-–—]", re.IGNORECASE
)


def is_example_name(name: str) -> bool:
    return bool(_EXAMPLE_MARK.match(name or ""))


def header_score(cells: list[Any]) -> int:
    return sum(1 for c in cells if header_key(c) or parse_date(c) is not None)


# Values ---------------------------------------------------------------------------------------
EXCEL_EPOCH = date(1899, 12, 30)


def parse_date(value: Any) -> date | None:
    """13.08.2024, 13/08/2024, 2024-08-13, a datetime cell, or an Excel serial number."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, int | float):
        return _serial(value)
    text = str(value).strip()
    for pattern in ("%d.%m.%Y", "%d/%m/%Y", "%Y-%m-%d", "%d.%m.%y", "%d-%m-%Y"):
        try:
            return datetime.strptime(text.split(" ")[0], pattern).date()
        except ValueError:
            continue
    if re.fullmatch(r"\d{5}(\.0+)?", text):
        return _serial(float(text))
    return None


def birth_date_serial(number: float) -> date | None:
    """A date of birth typed as a date but saved in a General cell: its Excel serial number
    (7306 = 01.01.1920) up to today."""
    if 7306 <= number <= (date.today() - EXCEL_EPOCH).days:
        return EXCEL_EPOCH + timedelta(days=int(number))
    return None


def _serial(number: float) -> date | None:
    if 20000 <= number <= 80000:  # 1954..2119: Excel serials of plausible dates
        return EXCEL_EPOCH + timedelta(days=int(number))
    return None


_SEX = {
    "m": "M",
    "м": "M",
    "male": "M",
    "man": "M",
    "муж": "M",
    "мужской": "M",
    "мужчина": "M",
    "е": "M",
    "e": "M",
    "ер": "M",
    "ер адам": "M",
    "er": "M",
    "f": "F",
    "ж": "F",
    "female": "F",
    "woman": "F",
    "жен": "F",
    "женский": "F",
    "женщина": "F",
    "ә": "F",
    "әйел": "F",
    "aiel": "F",
    "äiel": "F",
    "w": "F",
}


def parse_sex(value: Any) -> str | None:
    """M or F from М/Ж, Е/Ә (ер/әйел), M/F, male/female and their Russian words."""
    return _SEX.get(fold(value).rstrip(".")) if value is not None else None


_YES = {"1", "yes", "y", "да", "д", "иә", "ия", "и", "+", "true", "x", "х", "v", "✓", "✔"}
_NO = {"0", "no", "n", "нет", "н", "жоқ", "-", "–", "false", "—"}


def parse_yes_no(value: Any) -> bool | None:
    """True/False from 1/0, +/-, yes/no, да/нет, иә/жоқ; None when blank or unreadable."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return {1: True, 0: False}.get(int(value)) if value in (0, 1) else None
    raw = str(value).strip().lower()
    word = fold(value)
    if raw in _YES or word in _YES:
        return True
    if raw in _NO or word in _NO:
        return False
    return None


def text(value: Any) -> str:
    """A cell as text: whole floats without ".0", stripped."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime | date):
        return value.strftime("%d.%m.%Y")
    value = str(value).strip()
    if value[:1] == "'" and value[1:2] in ("=", "+", "-", "@"):
        value = value[1:]  # neutralised by our own export (core.tabular.safe_cell)
    return value
