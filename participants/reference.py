"""Reference data: the cohorts of the programme (BRIEF.md); reports group people by them.
Loaded by migration 0002 and again by `load_reference` wherever a database was emptied."""

CATEGORIES = [
    # code, group, order, kk, ru, en
    ("akimat", "", 10, "Әкімдік қызметкері", "Сотрудник акимата", "Akimat staff"),
    (
        "yrc",
        "",
        20,
        "Жастар ресурстық орталығының қызметкері",
        "Сотрудник молодежного ресурсного центра",
        "Youth Resource Center staff",
    ),
    ("theologian", "", 30, "Теолог", "Теолог", "Theologian"),
    (
        "police-inspector",
        "police",
        40,
        "Полиция: учаскелік инспектор",
        "Полиция: участковый инспектор",
        "Police: district inspector",
    ),
    (
        "police-extremism",
        "police",
        41,
        "Полиция: экстремизмге қарсы іс-қимыл бөлімі",
        "Полиция: отдел по противодействию экстремизму",
        "Police: extremism unit",
    ),
    (
        "police-gbv",
        "police",
        42,
        "Полиция: тұрмыстық зорлық-зомбылыққа қарсы бөлім",
        "Полиция: отдел по противодействию бытовому насилию",
        "Police: gender-based violence unit",
    ),
    ("police-other", "police", 49, "Полиция: басқа", "Полиция: другое", "Police: other"),
    (
        "neet",
        "youth",
        60,
        "NEET жастар (жұмыссыз, оқымайтын)",
        "Молодежь NEET (не работает и не учится)",
        "NEET youth",
    ),
    ("other", "", 90, "Басқа", "Другое", "Other"),
]


def load_reference(Category=None) -> None:
    """Create or update the categories above; running it again changes nothing."""
    if Category is None:
        from .models import ParticipantCategory as Category
    for code, group, order, kk, ru, en in CATEGORIES:
        Category.objects.update_or_create(
            code=code,
            defaults={"group": group, "order": order, "name_kk": kk, "name_ru": ru, "name_en": en},
        )
