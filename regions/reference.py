"""Reference data: the 20 top-level units of Kazakhstan (17 regions and 3 cities of republican
significance, ISO 3166-2:KZ codes) and the districts and cities the programme works in first.

Loaded by migration 0002 and again by `load_reference` wherever a database was emptied
(a flushed test database, `seed_demo` on a fresh one)."""

REGIONS = [
    # code, KATO, kind, kk, ru, en
    ("KZ-10", "100000000", "region", "Абай облысы", "Абайская область", "Abai Region"),
    ("KZ-11", "110000000", "region", "Ақмола облысы", "Акмолинская область", "Akmola Region"),
    ("KZ-15", "150000000", "region", "Ақтөбе облысы", "Актюбинская область", "Aktobe Region"),
    ("KZ-19", "190000000", "region", "Алматы облысы", "Алматинская область", "Almaty Region"),
    ("KZ-23", "230000000", "region", "Атырау облысы", "Атырауская область", "Atyrau Region"),
    (
        "KZ-27",
        "270000000",
        "region",
        "Батыс Қазақстан облысы",
        "Западно-Казахстанская область",
        "West Kazakhstan Region",
    ),
    ("KZ-31", "310000000", "region", "Жамбыл облысы", "Жамбылская область", "Jambyl Region"),
    ("KZ-33", "330000000", "region", "Жетісу облысы", "Область Жетісу", "Jetisu Region"),
    (
        "KZ-35",
        "350000000",
        "region",
        "Қарағанды облысы",
        "Карагандинская область",
        "Karaganda Region",
    ),
    ("KZ-39", "390000000", "region", "Қостанай облысы", "Костанайская область", "Kostanay Region"),
    (
        "KZ-43",
        "430000000",
        "region",
        "Қызылорда облысы",
        "Кызылординская область",
        "Kyzylorda Region",
    ),
    (
        "KZ-47",
        "470000000",
        "region",
        "Маңғыстау облысы",
        "Мангистауская область",
        "Mangystau Region",
    ),
    ("KZ-55", "550000000", "region", "Павлодар облысы", "Павлодарская область", "Pavlodar Region"),
    (
        "KZ-59",
        "590000000",
        "region",
        "Солтүстік Қазақстан облысы",
        "Северо-Казахстанская область",
        "North Kazakhstan Region",
    ),
    (
        "KZ-61",
        "610000000",
        "region",
        "Түркістан облысы",
        "Туркестанская область",
        "Turkistan Region",
    ),
    ("KZ-62", "620000000", "region", "Ұлытау облысы", "Область Ұлытау", "Ulytau Region"),
    (
        "KZ-63",
        "630000000",
        "region",
        "Шығыс Қазақстан облысы",
        "Восточно-Казахстанская область",
        "East Kazakhstan Region",
    ),
    ("KZ-71", "710000000", "city", "Астана қаласы", "город Астана", "Astana"),
    ("KZ-75", "750000000", "city", "Алматы қаласы", "город Алматы", "Almaty"),
    ("KZ-79", "790000000", "city", "Шымкент қаласы", "город Шымкент", "Shymkent"),
]

DISTRICTS = {
    "KZ-47": [
        ("city", "Ақтау қаласы", "город Актау", "Aktau"),
        ("city", "Жаңаөзен қаласы", "город Жанаозен", "Zhanaozen"),
        ("district", "Бейнеу ауданы", "Бейнеуский район", "Beyneu District"),
        ("district", "Қарақия ауданы", "Каракиянский район", "Karakiya District"),
        ("district", "Маңғыстау ауданы", "Мангистауский район", "Mangystau District"),
        ("district", "Мұнайлы ауданы", "Мунайлинский район", "Munaily District"),
        ("district", "Түпқараған ауданы", "Тупкараганский район", "Tupkaragan District"),
    ],
    "KZ-43": [
        ("city", "Қызылорда қаласы", "город Кызылорда", "Kyzylorda"),
        ("district", "Арал ауданы", "Аральский район", "Aral District"),
        ("district", "Жалағаш ауданы", "Жалагашский район", "Zhalagash District"),
        ("district", "Жаңақорған ауданы", "Жанакорганский район", "Zhanakorgan District"),
        ("district", "Қазалы ауданы", "Казалинский район", "Kazaly District"),
        ("district", "Қармақшы ауданы", "Кармакшинский район", "Karmakshy District"),
        ("district", "Сырдария ауданы", "Сырдарьинский район", "Syrdariya District"),
        ("district", "Шиелі ауданы", "Шиелийский район", "Shieli District"),
    ],
    "KZ-75": [
        ("district", "Алмалы ауданы", "Алмалинский район", "Almaly District"),
        ("district", "Әуезов ауданы", "Ауэзовский район", "Auezov District"),
        ("district", "Бостандық ауданы", "Бостандыкский район", "Bostandyk District"),
        ("district", "Медеу ауданы", "Медеуский район", "Medeu District"),
        ("district", "Наурызбай ауданы", "Наурызбайский район", "Nauryzbay District"),
    ],
}


def load_reference(Region=None, District=None) -> None:
    """Create or update the units above; running it again changes nothing. A migration passes
    its historical models; everyone else calls it without arguments."""
    if Region is None or District is None:
        from .models import District, Region
    for code, kato, kind, kk, ru, en in REGIONS:
        region, _ = Region.objects.update_or_create(
            code=code,
            defaults={"kato": kato, "kind": kind, "name_kk": kk, "name_ru": ru, "name_en": en},
        )
        for dkind, dkk, dru, den in DISTRICTS.get(code, []):
            District.objects.update_or_create(
                region=region, name_en=den, defaults={"kind": dkind, "name_kk": dkk, "name_ru": dru}
            )
