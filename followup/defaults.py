"""The question sets and rounds Qadam ships (kk/ru/en), written by the data migration and by
`manage.py followup_defaults` (which adds what is missing and changes nothing staff edited)."""

from __future__ import annotations


def _t(en: str, ru: str, kk: str) -> dict[str, str]:
    return {"en": en, "ru": ru, "kk": kk}


APPLIED = {
    "key": "applied",
    "kind": "yes_no",
    "text": _t(
        "Have you used what you learned in the training?",
        "Применяли ли вы то, чему научились на тренинге?",
        "Тренингте үйренгеніңізді қолдандыңыз ба?",
    ),
}
HOW_OFTEN = {
    "key": "how_often",
    "kind": "choice",
    "text": _t("How often?", "Как часто?", "Қаншалықты жиі?"),
    "choices": [
        {"value": "weekly", "text": _t("Every week", "Каждую неделю", "Апта сайын")},
        {
            "value": "monthly",
            "text": _t("A few times a month", "Несколько раз в месяц", "Айына бірнеше рет"),
        },
        {"value": "once", "text": _t("Once or twice", "Один-два раза", "Бір-екі рет")},
        {"value": "never", "text": _t("Not yet", "Пока ни разу", "Әлі қолданған жоқпын")},
    ],
}
EXAMPLE = {
    "key": "example",
    "kind": "text",
    "text": _t(
        "An example, in a sentence",
        "Пример, одним предложением",
        "Бір сөйлеммен мысал келтіріңіз",
    ),
}
STATUS = {
    "key": "status",
    "kind": "choice",
    "text": _t("What do you do now?", "Чем вы сейчас занимаетесь?", "Қазір немен айналысасыз?"),
    "choices": [
        {
            "value": "employed",
            "text": _t("I work (employed)", "Работаю по найму", "Жұмыс істеймін"),
        },
        {"value": "studying", "text": _t("I study", "Учусь", "Оқимын")},
        {
            "value": "internship",
            "text": _t("Internship", "Прохожу стажировку", "Тағылымдамадан өтіп жүрмін"),
        },
        {"value": "own_business", "text": _t("Own business", "Своё дело", "Өз ісім бар")},
        {"value": "none", "text": _t("None of these", "Ничего из этого", "Бұлардың ешқайсысы")},
    ],
}

USE_OF_LEARNING = "Use of what was learned"
NEET_STATUS = "NEET youth: use and current status"
QUESTION_SETS = {
    USE_OF_LEARNING: [APPLIED, HOW_OFTEN, EXAMPLE],
    NEET_STATUS: [STATUS, APPLIED, HOW_OFTEN, EXAMPLE],
}
# (event type, months, question set): trainings and workshops at 3 and 6 months, the NEET
# youth camps with their status question.
ROUNDS = [
    ("training", 3, USE_OF_LEARNING),
    ("training", 6, USE_OF_LEARNING),
    ("workshop", 3, USE_OF_LEARNING),
    ("camp", 3, NEET_STATUS),
    ("camp", 6, NEET_STATUS),
]


def install(question_set_model, round_model) -> int:
    """Create the shipped question sets and rounds that do not exist yet (models passed in,
    so the data migration can use its historical ones). How many rows were created."""
    created = 0
    sets = {}
    for name, questions in QUESTION_SETS.items():
        sets[name], new = question_set_model.objects.get_or_create(
            name=name, defaults={"questions": questions}
        )
        created += new
    for event_type, months, name in ROUNDS:
        _round, new = round_model.objects.get_or_create(
            event_type=event_type,
            activity_line=None,
            months=months,
            defaults={"question_set": sets[name]},
        )
        created += new
    return created
