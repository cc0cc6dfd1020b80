"""The Washington Group Short Set on Functioning (WG-SS): its six questions in their official
wording, the answers a person gave, and THE rule that tells from those answers whether a person
counts as having a disability (ADR 0024).

A person's record holds their answers, one per domain, never a "disabled" label: the
classification is computed here, in Python (`classify`, for one person) and in the database
(`status_expression`, for counts), both written from the same constants below and tested
against each other on every combination of answers.

The rule (the WG's recommended cut-off): a person has a disability when at least one domain is
"a lot of difficulty" or "cannot do at all"; without, when no domain is and at least one was
answered "no difficulty" or "some difficulty"; not known when every domain is "prefer not to
say" or unanswered (or they were not asked).

The questions are kept here in English, Kazakh and Russian rather than in the translation
catalogues: the WG forbids rewording them, so they are data, not interface text a translator
may adapt."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from django.db import models
from django.db.models import Case, Q, Value, When
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

# The version of the consent text read to the person before these questions.
CONSENT_VERSION = "wgss-1"

# The six domains, in the WG-SS order (field names of DisabilityAnswers).
DOMAINS = ("seeing", "hearing", "mobility", "cognition", "self_care", "communication")


class Answer(models.IntegerChoices):
    """The WG answer codes (7 is the WG's code for a refusal)."""

    NO_DIFFICULTY = 1, _("No difficulty")
    SOME_DIFFICULTY = 2, _("Some difficulty")
    A_LOT_OF_DIFFICULTY = 3, _("A lot of difficulty")
    CANNOT_DO_AT_ALL = 4, _("Cannot do at all")
    PREFER_NOT_TO_SAY = 7, _("Prefer not to say")


class Status(models.TextChoices):
    """The classification reports disaggregate by (computed, never entered)."""

    WITH = "with", _("with disability")
    WITHOUT = "without", _("without disability")
    UNKNOWN = "unknown", _("not known")


# A domain answered with one of these makes the person count as having a disability.
DISABILITY_ANSWERS = frozenset({Answer.A_LOT_OF_DIFFICULTY, Answer.CANNOT_DO_AT_ALL})
# A domain answered with one of these is a real answer that is not a disability.
NO_DISABILITY_ANSWERS = frozenset({Answer.NO_DIFFICULTY, Answer.SOME_DIFFICULTY})


def classify(answers: Iterable[int | None]) -> str:
    """The Status of a person from their answers to the six domains (None = not answered)."""
    given = [int(a) for a in answers if a is not None]
    if any(a in DISABILITY_ANSWERS for a in given):
        return Status.WITH
    if any(a in NO_DISABILITY_ANSWERS for a in given):
        return Status.WITHOUT
    return Status.UNKNOWN


def classify_record(record) -> str:
    """The Status of a person's DisabilityAnswers row (None: never asked). An erased record
    keeps only the status its answers gave (participants/privacy.py)."""
    if record is None:
        return Status.UNKNOWN
    if record.kept_status:
        return record.kept_status
    return classify(getattr(record, domain) for domain in DOMAINS)


def status_expression(prefix: str = "disability_answers__") -> Case:
    """`classify_record` in the database: the Status of each person, with `prefix` the path
    from the queried model to the person's DisabilityAnswers (a person without one is
    "unknown")."""

    def any_domain(codes) -> Q:
        q = Q()
        for domain in DOMAINS:
            q |= Q(**{f"{prefix}{domain}__in": sorted(int(c) for c in codes)})
        return q

    return Case(
        When(
            Q(**{f"{prefix}kept_status__in": [Status.WITH, Status.WITHOUT, Status.UNKNOWN]}),
            then=models.F(f"{prefix}kept_status"),
        ),
        When(any_domain(DISABILITY_ANSWERS), then=Value(Status.WITH.value)),
        When(any_domain(NO_DISABILITY_ANSWERS), then=Value(Status.WITHOUT.value)),
        default=Value(Status.UNKNOWN.value),
        output_field=models.CharField(),
    )


# The official wording (WG-SS, English) and its Kazakh and Russian versions (ADR 0024 says
# where they come from). Never reword.
INTRODUCTION = {
    "en": (
        "The next questions ask about difficulties you may have doing certain activities "
        "because of a HEALTH PROBLEM."
    ),
    "ru": (
        "Следующие вопросы касаются трудностей, которые Вы можете испытывать при выполнении "
        "определённых действий из-за ПРОБЛЕМ СО ЗДОРОВЬЕМ."
    ),
    "kk": (
        "Келесі сұрақтар ДЕНСАУЛЫҚҚА БАЙЛАНЫСТЫ ПРОБЛЕМАЛАР салдарынан белгілі бір "
        "әрекеттерді орындауда кездесуі мүмкін қиындықтар туралы."
    ),
}

QUESTIONS: dict[str, dict[str, str]] = {
    "seeing": {
        "en": "Do you have difficulty seeing, even if wearing glasses?",
        "ru": "Испытываете ли Вы трудности со зрением, даже если носите очки?",
        "kk": "Көзілдірік тақсаңыз да, көруде қиындық көресіз бе?",
    },
    "hearing": {
        "en": "Do you have difficulty hearing, even if using a hearing aid?",
        "ru": "Испытываете ли Вы трудности со слухом, даже если пользуетесь слуховым аппаратом?",
        "kk": "Есту аппаратын пайдалансаңыз да, естуде қиындық көресіз бе?",
    },
    "mobility": {
        "en": "Do you have difficulty walking or climbing steps?",
        "ru": "Испытываете ли Вы трудности при ходьбе или подъёме по ступенькам?",
        "kk": "Жаяу жүруде немесе баспалдақпен көтерілуде қиындық көресіз бе?",
    },
    "cognition": {
        "en": "Do you have difficulty remembering or concentrating?",
        "ru": "Испытываете ли Вы трудности с запоминанием или концентрацией внимания?",
        "kk": "Есте сақтауда немесе зейін қоюда қиындық көресіз бе?",
    },
    "self_care": {
        "en": "Do you have difficulty with self-care, such as washing all over or dressing?",
        "ru": (
            "Испытываете ли Вы трудности с самообслуживанием, например, когда моетесь целиком "
            "или одеваетесь?"
        ),
        "kk": (
            "Өзіңізге-өзіңіз күтім жасауда, мысалы, толық жуынуда немесе киінуде қиындық "
            "көресіз бе?"
        ),
    },
    "communication": {
        "en": (
            "Using your usual language, do you have difficulty communicating, for example "
            "understanding or being understood?"
        ),
        "ru": (
            "Испытываете ли Вы трудности в общении на Вашем обычном языке, например, понимая "
            "других или когда другие понимают Вас?"
        ),
        "kk": (
            "Әдеттегі тіліңізде қарым-қатынас жасауда, мысалы, басқаларды түсінуде немесе "
            "басқалардың сізді түсінуінде қиындық көресіз бе?"
        ),
    },
}

ANSWER_TEXT: dict[int, dict[str, str]] = {
    Answer.NO_DIFFICULTY: {"en": "No difficulty", "ru": "Нет трудностей", "kk": "Қиындық жоқ"},
    Answer.SOME_DIFFICULTY: {
        "en": "Some difficulty",
        "ru": "Некоторые трудности",
        "kk": "Біраз қиындық бар",
    },
    Answer.A_LOT_OF_DIFFICULTY: {
        "en": "A lot of difficulty",
        "ru": "Большие трудности",
        "kk": "Қиындық көп",
    },
    Answer.CANNOT_DO_AT_ALL: {
        "en": "Cannot do at all",
        "ru": "Совсем не могу",
        "kk": "Мүлдем істей алмаймын",
    },
    Answer.PREFER_NOT_TO_SAY: {
        "en": "Prefer not to say",
        "ru": "Предпочитаю не отвечать",
        "kk": "Жауап бермеуді қалаймын",
    },
}


def _language() -> str:
    lang = (get_language() or "en")[:2]
    return lang if lang in ("en", "ru", "kk") else "en"


def introduction() -> str:
    return INTRODUCTION[_language()]


def question(domain: str) -> str:
    """A domain's question in the active language, in the wording of ADR 0024."""
    return QUESTIONS[domain][_language()]


def answer_choices() -> list[tuple[int, str]]:
    """The five answers in the active language, in the WG order."""
    lang = _language()
    return [(int(code), ANSWER_TEXT[code][lang]) for code in Answer.values]


def answers_of(values: Mapping[str, int | None]) -> list[int | None]:
    """The six answers of a mapping domain -> code, in the WG order."""
    return [values.get(domain) for domain in DOMAINS]
