"""The demo data set: the August 2024 reporting period of the UNDP Kazakhstan PVE project
(BRIEF.md). Deterministic: the same people, scores and feedback on every machine."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Role, User
from core import periods
from participants import summaries
from participants.disability import DOMAINS, Answer
from participants.models import Participant, ParticipantCategory, Sex
from participants.reference import load_reference as load_categories
from participants.services import (
    enrol,
    record_attendance,
    record_disability_answers,
    record_feedback,
    record_scores,
    register_person,
)
from regions.models import District, PartnerOrganisation, Region
from regions.reference import load_reference as load_regions
from reports.indicators import RULES
from reports.models import Indicator, IndicatorTarget
from trainings.models import ActivityLine, Facilitator, Programme, Topic, TrainingEvent
from trainings.services import add_sessions_per_day, create_event

PROGRAMME_CODE = "PVE-KZ-JP"
SEED = 20240823

MALE_FIRST = [
    "Асқар",
    "Нұрлан",
    "Ерлан",
    "Дәурен",
    "Бауыржан",
    "Ержан",
    "Серік",
    "Айбек",
    "Мұрат",
    "Арман",
    "Тимур",
    "Дамир",
    "Алексей",
    "Дмитрий",
    "Сергей",
    "Руслан",
    "Нұрсұлтан",
    "Әлихан",
    "Ислам",
    "Жандос",
    "Олжас",
    "Бекзат",
    "Мирас",
    "Ақжол",
]
FEMALE_FIRST = [
    "Айгерім",
    "Гүлнар",
    "Динара",
    "Жанар",
    "Әсел",
    "Мадина",
    "Сәуле",
    "Ләззат",
    "Айжан",
    "Назерке",
    "Анна",
    "Елена",
    "Ольга",
    "Татьяна",
    "Меруерт",
    "Аружан",
    "Томирис",
    "Жұлдыз",
    "Камила",
    "Балнұр",
    "Ақмарал",
    "Гүлмира",
    "Индира",
    "Дана",
]
SURNAME_STEMS = [
    "Нұрлан",
    "Серікбай",
    "Жұмабай",
    "Оспан",
    "Тоқтар",
    "Сейіт",
    "Әбдірахман",
    "Қасым",
    "Бекмұхамбет",
    "Ержан",
    "Сұлтан",
    "Мұхамедж",
    "Ахмет",
    "Ибраһим",
    "Жақсылық",
    "Ораз",
    "Қалдыбай",
    "Тұрсын",
    "Есен",
    "Байжан",
    "Иван",
    "Петр",
    "Ким",
    "Смирн",
    "Кузнец",
    "Шәріп",
    "Дүйсен",
    "Әлі",
    "Мақаш",
    "Бақыт",
]

# Kazakh and Russian names of the reference data (core.names): an original (English) name ->
# (Kazakh, Russian).
TOPIC_NAMES = {
    "Psychological profiles of radicalisation": (
        "Радикалданудың психологиялық профильдері",
        "Психологические профили радикализации",
    ),
    "Identifying at-risk individuals": (
        "Тәуекел тобындағы адамдарды анықтау",
        "Выявление лиц группы риска",
    ),
    "Safe interaction with people susceptible to extremist ideologies": (
        "Экстремистік идеологияларға бейім адамдармен қауіпсіз қарым-қатынас",
        "Безопасное взаимодействие с людьми, восприимчивыми к экстремистским идеологиям",
    ),
    "Religious extremism: social and psychological dimensions": (
        "Діни экстремизм: әлеуметтік және психологиялық қырлары",
        "Религиозный экстремизм: социальные и психологические аспекты",
    ),
    "Criminal profiling": ("Криминалдық профильдеу", "Криминальное профилирование"),
    "Operational psychodiagnostics": ("Жедел психодиагностика", "Оперативная психодиагностика"),
    "Negotiation with destructive behaviour": (
        "Деструктивті мінез-құлықты адамдармен келіссөз жүргізу",
        "Переговоры с людьми с деструктивным поведением",
    ),
    "Entrepreneurship": ("Кәсіпкерлік", "Предпринимательство"),
    "Financial literacy": ("Қаржылық сауаттылық", "Финансовая грамотность"),
    "Media literacy": ("Медиасауаттылық", "Медиаграмотность"),
    "Digital skills": ("Цифрлық дағдылар", "Цифровые навыки"),
    "Public speaking": ("Көпшілік алдында сөйлеу", "Ораторское мастерство"),
    "Communications": ("Коммуникация", "Коммуникации"),
}
# A region's partners: (Kazakh, Russian) names by kind, for Mangystau and Kyzylorda.
REGION_PARTNER_NAMES = {
    "KZ-47": {
        "akimat": ("Маңғыстау облысының әкімдігі", "Акимат Мангистауской области"),
        "yrc": (
            "Маңғыстау облысының жастар ресурстық орталығы",
            "Молодёжный ресурсный центр Мангистауской области",
        ),
        "police": (
            "Маңғыстау облысының полиция департаменті",
            "Департамент полиции Мангистауской области",
        ),
        "religious": (
            "Маңғыстау облысының дін істері басқармасы",
            "Управление по делам религий Мангистауской области",
        ),
    },
    "KZ-43": {
        "akimat": ("Қызылорда облысының әкімдігі", "Акимат Кызылординской области"),
        "yrc": (
            "Қызылорда облысының жастар ресурстық орталығы",
            "Молодёжный ресурсный центр Кызылординской области",
        ),
        "police": (
            "Қызылорда облысының полиция департаменті",
            "Департамент полиции Кызылординской области",
        ),
        "religious": (
            "Қызылорда облысының дін істері басқармасы",
            "Управление по делам религий Кызылординской области",
        ),
    },
}
INDICATOR_NAMES = {
    "OC1": (
        "Тренингке көңілі толған (5 балдың 4 немесе 5-ін қойған) оқытылған қатысушылардың үлесі",
        "Доля обученных участников, довольных тренингом (оценка 4 или 5 из 5)",
    ),
    "OC2": (
        "Алдын ала және қорытынды тест арасындағы білімнің орташа өсімі",
        "Средний прирост знаний между входным и итоговым тестом",
    ),
    "OC3": (
        "Оқудан 3 ай өткен соң үйренгенін қолданған оқытылған адамдардың үлесі",
        "Доля обученных, применивших полученные знания через 3 месяца",
    ),
    "OC4": (
        "3 айдан кейін жұмыс істейтін, оқитын немесе тағылымдамадан өтіп жүрген NEET жастардың "
        "үлесі",
        "Доля молодёжи NEET, которая через 3 месяца работает, учится или проходит стажировку",
    ),
    "OC5": (
        "6 айдан кейін жұмыс істейтін, оқитын немесе тағылымдамадан өтіп жүрген NEET жастардың "
        "үлесі",
        "Доля молодёжи NEET, которая через 6 месяцев работает, учится или проходит стажировку",
    ),
    "OP1": (
        "Жастардың радикалдануының алдын алуға оқытылған әкімдік пен ЖРО қызметкерлері және "
        "теологтар",
        "Сотрудники акиматов и МРЦ и теологи, обученные профилактике радикализации молодёжи",
    ),
    "OP2": (
        "Эмоционалдық интеллектке оқытылған полиция қызметкерлері",
        "Сотрудники полиции, обученные эмоциональному интеллекту",
    ),
    "OP3": (
        "Жастар лагерьлері арқылы қамтылған NEET санатындағы жастар",
        "Молодёжь категории NEET, охваченная молодёжными лагерями",
    ),
    "OP4": ("Өткізілген оқу іс-шаралары", "Проведённые обучающие мероприятия"),
}

QUOTES = [
    (
        "I learned how to recognise early signs that a young person is being drawn into a "
        "destructive group, and how to talk to them without pushing them away.",
        "akimat",
    ),
    (
        "Бұрын мұндай жағдайда не істеу керектігін білмейтінмін. Енді жастармен сенімді "
        "сөйлесе аламын.",
        "yrc",
    ),
    ("Очень полезны были упражнения по переговорам с людьми с деструктивным поведением.", "police"),
    (
        "The psychologist's examples from real cases made the profiling module very practical.",
        "police",
    ),
    ("Кәсіпкерлік пен қаржылық сауаттылық сабақтарынан кейін өз ісімді бастағым келеді.", "neet"),
    ("Я впервые выступила перед аудиторией. Лагерь дал мне уверенность.", "neet"),
    (
        "Working together with theologians and YRC staff showed us how to support families.",
        "theologian",
    ),
]


@dataclass
class DemoResult:
    created: bool
    usernames: list[str]


def _name(rng: random.Random, sex: str) -> str:
    first = rng.choice(MALE_FIRST if sex == Sex.MALE else FEMALE_FIRST)
    stem = rng.choice(SURNAME_STEMS)
    surname = stem + ("ов" if sex == Sex.MALE else "ова")
    return f"{surname} {first}"


def _users(password: str, mangystau: Region, kyzylorda: Region) -> list[str]:
    specs = [
        ("admin", Role.ADMIN, [], "Admin", "Qadam", True),
        ("undp.staff", Role.STAFF, [], "Aida", "Programme", False),
        ("coord.mangystau", Role.COORDINATOR, [mangystau], "Nurlan", "Mangystau", False),
        ("coord.kyzylorda", Role.COORDINATOR, [kyzylorda], "Gulnar", "Kyzylorda", False),
        ("viewer", Role.VIEWER, [], "Donor", "Liaison", False),
    ]
    names = []
    for username, role, regions, first, last, is_admin in specs:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "role": role,
                "first_name": first,
                "last_name": last,
                "is_staff": is_admin,
                "is_superuser": is_admin,
            },
        )
        if created:
            user.set_password(password)
            user.save()
            user.regions.set(regions)
        names.append(username)
    return names


@transaction.atomic
def seed_demo(password: str | None = None) -> DemoResult:
    """Create the demo users and, unless already there, the August 2024 data. Running it again
    changes nothing. Reference data (regions, categories) is loaded first if missing."""
    if not Region.objects.filter(code="KZ-47").exists():
        load_regions()
    if not ParticipantCategory.objects.exists():
        load_categories()
    mangystau = Region.objects.get(code="KZ-47")
    kyzylorda = Region.objects.get(code="KZ-43")
    almaty = Region.objects.get(code="KZ-75")
    usernames = _users(password or settings.DEMO_PASSWORD, mangystau, kyzylorda)
    if Programme.objects.filter(code=PROGRAMME_CODE).exists():
        return DemoResult(created=False, usernames=usernames)

    rng = random.Random(SEED)
    district = {
        d.name_en: d for d in District.objects.filter(region__in=[mangystau, kyzylorda, almaty])
    }
    cat = {c.code: c for c in ParticipantCategory.objects.all()}
    P = PartnerOrganisation
    japan = P.objects.create(
        name="Government of Japan",
        name_kk="Жапония Үкіметі",
        name_ru="Правительство Японии",
        short_name="Japan",
        short_name_kk="Жапония",
        short_name_ru="Япония",
        type=P.Type.DONOR,
        iati_identifier="XM-DAC-701-8",
    )
    undp = P.objects.create(
        name="UNDP Kazakhstan",
        name_kk="БҰҰДБ-ның Қазақстандағы өкілдігі",
        name_ru="ПРООН в Казахстане",
        short_name="UNDP",
        short_name_kk="БҰҰДБ",
        short_name_ru="ПРООН",
        type=P.Type.UN_AGENCY,
        address="Astana, 14 Mangilik El",
    )
    sdu = P.objects.create(
        name="Suleyman Demirel University",
        name_kk="Сүлейман Демирел атындағы университет",
        name_ru="Университет имени Сулеймана Демиреля",
        short_name="SDU",
        short_name_kk="SDU",
        short_name_ru="SDU",
        type=P.Type.UNIVERSITY,
        region=almaty,
        address="Almaty",
    )
    partners = {}
    for region, key in ((mangystau, "M"), (kyzylorda, "K")):
        rname = region.name_en.replace(" Region", "")
        names = REGION_PARTNER_NAMES[region.code]
        english = {
            "akimat": (f"Akimat of {region.name_en}", P.Type.AKIMAT),
            "yrc": (f"Youth Resource Center of {rname}", P.Type.YRC),
            "police": (f"Police Department of {region.name_en}", P.Type.POLICE),
            "religious": (f"Department of Religious Affairs of {region.name_en}", P.Type.RELIGIOUS),
        }
        partners[key] = {
            kind: P.objects.create(
                name=name,
                name_kk=names[kind][0],
                name_ru=names[kind][1],
                type=partner_type,
                region=region,
            )
            for kind, (name, partner_type) in english.items()
        }
    beyneu_akimat = P.objects.create(
        name="Akimat of Beyneu District",
        name_kk="Бейнеу ауданының әкімдігі",
        name_ru="Акимат Бейнеуского района",
        short_name="Beyneu akimat",
        short_name_kk="Бейнеу әкімдігі",
        short_name_ru="Акимат Бейнеу",
        type=P.Type.AKIMAT,
        region=mangystau,
    )

    programme = Programme.objects.create(
        name="Promoting resilient communities to counter violent extremism in Central Asia: "
        "Kazakhstan",
        name_kk="Орталық Азияда зорлық-зомбылық экстремизміне қарсы тұратын төзімді "
        "қауымдастықтарды қолдау: Қазақстан",
        name_ru="Содействие устойчивости сообществ к насильственному экстремизму в Центральной "
        "Азии: Казахстан",
        code=PROGRAMME_CODE,
        donor=japan,
        budget_code="00131527",
        sdg_target="16.a",
        outcome="Communities in Mangystau and Kyzylorda regions are more resilient to violent "
        "extremism through inclusive development and trust between youth, local "
        "authorities and police.",
        start_date=date(2023, 3, 1),
        end_date=date(2025, 2, 28),
    )
    line_youth = ActivityLine.objects.create(
        programme=programme,
        code="1.1",
        name="PVE training for youth workers",
        name_kk="Жастармен жұмыс істейтін мамандарды зорлық-зомбылық экстремизмінің алдын алуға "
        "оқыту",
        name_ru="Обучение специалистов по работе с молодёжью профилактике насильственного "
        "экстремизма",
    )
    line_police = ActivityLine.objects.create(
        programme=programme,
        code="1.2",
        name="Emotional intelligence for police",
        name_kk="Полиция қызметкерлеріне арналған эмоционалдық интеллект",
        name_ru="Эмоциональный интеллект для сотрудников полиции",
    )
    line_camp = ActivityLine.objects.create(
        programme=programme,
        code="2.1",
        name="Youth camps for NEET young people",
        name_kk="NEET санатындағы жастарға арналған жастар лагерьлері",
        name_ru="Молодёжные лагеря для молодёжи категории NEET",
    )
    topic = {
        name: Topic.objects.get_or_create(name=name, defaults={"name_kk": kk, "name_ru": ru})[0]
        for name, (kk, ru) in TOPIC_NAMES.items()
    }
    psychologist = Facilitator.objects.create(
        name="Dr. Saule Abdrakhmanova",
        expertise="Psychologist specialised in PVE",
        organisation=undp,
    )
    trainer = Facilitator.objects.create(
        name="Yerlan Tokhtarov",
        expertise="Youth work and radicalisation prevention",
        organisation=undp,
    )
    camp_team = Facilitator.objects.create(
        name="SDU Career and Entrepreneurship Centre",
        expertise="Entrepreneurship, digital skills",
        organisation=sdu,
    )

    def event(**kw):
        ev = create_event(programme=programme, status=TrainingEvent.Status.PLANNED, **kw)
        add_sessions_per_day(event=ev)
        return ev

    prevention_topics = [topic[t] for t in list(topic)[:3]]
    police_topics = [topic[t] for t in list(topic)[3:7]]
    camp_topics = [topic[t] for t in list(topic)[7:]]
    events = {
        "prev_M": event(
            title="Preventing youth radicalisation: training for akimat and YRC staff (Aktau)",
            activity_line=line_youth,
            event_type="training",
            start_date=date(2024, 8, 13),
            end_date=date(2024, 8, 15),
            region=mangystau,
            district=district["Aktau"],
            venue="Aktau, Yessenov University conference hall",
            planned_participants=30,
            topics=prevention_topics,
            facilitators=[trainer, psychologist],
            host_partners=[partners["M"]["akimat"]],
            implementing_partners=[undp],
        ),
        "police_M": event(
            title="Emotional intelligence for police officers (Aktau)",
            activity_line=line_police,
            event_type="training",
            start_date=date(2024, 8, 16),
            end_date=date(2024, 8, 17),
            region=mangystau,
            district=district["Aktau"],
            venue="Aktau, Police Department training room",
            planned_participants=20,
            topics=police_topics,
            facilitators=[psychologist],
            host_partners=[partners["M"]["police"]],
            implementing_partners=[undp],
        ),
        "camp": event(
            title="Youth Camp for NEET young people at SDU",
            activity_line=line_camp,
            event_type="camp",
            start_date=date(2024, 8, 19),
            end_date=date(2024, 8, 23),
            region=almaty,
            district=None,
            venue="Suleyman Demirel University (SDU), Almaty",
            planned_participants=100,
            topics=camp_topics,
            facilitators=[camp_team],
            host_partners=[sdu],
            implementing_partners=[undp],
        ),
        "prev_K": event(
            title="Preventing youth radicalisation: training for akimat and YRC staff (Kyzylorda)",
            activity_line=line_youth,
            event_type="training",
            start_date=date(2024, 8, 20),
            end_date=date(2024, 8, 22),
            region=kyzylorda,
            district=district["Kyzylorda"],
            venue="Kyzylorda, Korkyt Ata University",
            planned_participants=30,
            topics=prevention_topics,
            facilitators=[trainer, psychologist],
            host_partners=[partners["K"]["akimat"]],
            implementing_partners=[undp],
        ),
        "police_K": event(
            title="Emotional intelligence for police officers (Kyzylorda)",
            activity_line=line_police,
            event_type="training",
            start_date=date(2024, 8, 22),
            end_date=date(2024, 8, 23),
            region=kyzylorda,
            district=district["Kyzylorda"],
            venue="Kyzylorda, Police Department training room",
            planned_participants=20,
            topics=police_topics,
            facilitators=[psychologist],
            host_partners=[partners["K"]["police"]],
            implementing_partners=[undp],
        ),
    }
    event(
        title="Follow-up workshop for theologians and YRC staff (Beyneu)",
        activity_line=line_youth,
        event_type="workshop",
        start_date=date(2024, 11, 12),
        end_date=date(2024, 11, 13),
        region=mangystau,
        district=district["Beyneu District"],
        venue="Beyneu, district akimat",
        planned_participants=25,
        topics=prevention_topics,
        facilitators=[trainer],
        host_partners=[beyneu_akimat],
        implementing_partners=[undp],
    )

    def person(region, category, organisation, position, born, district_obj=None):
        sex = rng.choice([Sex.FEMALE, Sex.MALE])
        return register_person(
            full_name=_name(rng, sex),
            sex=sex,
            birth_year=rng.randint(*born),
            region=region,
            district=district_obj,
            organisation=organisation,
            position=position,
            category=cat[category],
            consent_given=True,
            consent_date=date(2024, 8, 1),
            consent_version="2024-1",
        )

    roster: dict[str, list[Participant]] = {k: [] for k in events}
    for key, region, mix in (("M", mangystau, (12, 11, 7)), ("K", kyzylorda, (12, 13, 5))):
        n_akimat, n_yrc, n_theo = mix
        home = district["Aktau"] if key == "M" else district["Kyzylorda"]
        for _ in range(n_akimat):
            roster[f"prev_{key}"].append(
                person(
                    region,
                    "akimat",
                    partners[key]["akimat"],
                    "Главный специалист отдела молодёжной политики",
                    (1975, 1998),
                    home,
                )
            )
        for _ in range(n_yrc):
            roster[f"prev_{key}"].append(
                person(
                    region,
                    "yrc",
                    partners[key]["yrc"],
                    "Специалист по работе с молодёжью",
                    (1985, 2001),
                    home,
                )
            )
        for i in range(n_theo):
            # One theologian of Mangystau comes from Beyneu.
            from_beyneu = key == "M" and i == 0
            roster[f"prev_{key}"].append(
                person(
                    region,
                    "theologian",
                    beyneu_akimat if from_beyneu else partners[key]["religious"],
                    "Теолог",
                    (1978, 1996),
                    district["Beyneu District"] if from_beyneu else home,
                )
            )
        for code, n in (("police-inspector", 9), ("police-extremism", 6), ("police-gbv", 5)):
            for _ in range(n):
                roster[f"police_{key}"].append(
                    person(region, code, partners[key]["police"], "Инспектор", (1978, 1998), home)
                )
        for _ in range(52):
            roster["camp"].append(person(region, "neet", None, "", (2000, 2008), None))

    for key, people in roster.items():
        ev = events[key]
        sessions = list(ev.sessions.all())
        for p in people:
            enrolment = enrol(person=p, event=ev)
            present = [s for s in sessions if rng.random() < 0.92] or [sessions[0]]
            for s in present:
                record_attendance(enrolment=enrolment, session=s)
            if key != "camp" or rng.random() < 0.5:
                pre = Decimal(rng.randint(35, 65))
                gain = Decimal(rng.randint(-3, 30))
                record_scores(enrolment=enrolment, pre_score=pre, post_score=min(pre + gain, 100))
            if rng.random() < 0.8:
                sat = rng.choices([2, 3, 4, 5], weights=[1, 2, 6, 8])[0]
                record_feedback(
                    event=ev,
                    enrolment=enrolment,
                    satisfaction=sat,
                    relevance=max(1, min(5, sat + rng.choice([-1, 0, 0, 1]))),
                    usefulness=max(1, min(5, sat + rng.choice([-1, 0, 0]))),
                    intent_to_apply=max(1, min(5, sat + rng.choice([0, 0, 1]))),
                    consent_to_quote=rng.random() < 0.6,
                    source="paper",
                    most_useful=rng.choice(ev.topics.all()).name,
                )
        # Recording the attendance made the event held (docs/decisions/0010).

    # Participant quotes, as collected after the sessions.
    group_of = {
        "akimat": "prev",
        "yrc": "prev",
        "theologian": "prev",
        "police": "police",
        "neet": "camp",
    }
    for i, (text, group) in enumerate(QUOTES):
        key = group_of[group] if group_of[group] == "camp" else f"{group_of[group]}_{'MK'[i % 2]}"
        fb = events[key].feedback.filter(consent_to_quote=True, comments="").first()
        if fb:
            # Reviewed and approved for reports as written (see "Quotes to review").
            fb.comments = fb.quote_text_reviewed = text
            fb.quote_status = fb.QuoteStatus.APPROVED
            fb.save(update_fields=["comments", "quote_text_reviewed", "quote_status"])

    _disability_answers(roster)
    _followup(events, roster)
    _indicators(programme)
    summaries.rebuild()  # whatever was written around the signals is counted too
    return DemoResult(created=True, usernames=usernames)


def _disability_answers(roster: dict[str, list[Participant]]) -> None:
    """About two thirds of the demo people answered the disability questions (WG-SS) with
    their consent, so the report shows the breakdown; a few of them said "a lot of difficulty"
    in one domain, a few preferred not to say. A generator of its own, so the people, their
    attendance and feedback stay what they were before."""
    rng = random.Random(SEED + 1)
    people = sorted({p.pk: p for group in roster.values() for p in group}.values(), key=_pk)
    for person in people:
        if rng.random() >= 0.65:
            continue  # not asked, or did not consent: nothing is kept
        answers = {
            domain: rng.choices(
                [Answer.NO_DIFFICULTY, Answer.SOME_DIFFICULTY, Answer.PREFER_NOT_TO_SAY],
                weights=[85, 12, 3],
            )[0]
            for domain in DOMAINS
        }
        roll = rng.random()
        if roll < 0.12:
            answers[rng.choice(DOMAINS)] = rng.choice(
                [Answer.A_LOT_OF_DIFFICULTY, Answer.CANNOT_DO_AT_ALL]
            )
        elif roll < 0.16:
            answers = dict.fromkeys(DOMAINS, Answer.PREFER_NOT_TO_SAY)
        answers["consent_date"] = date(2024, 8, 1)
        record_disability_answers(person=person, answers=answers)


def _pk(person: Participant) -> int:
    return person.pk


# The 3-month follow-up of the August trainings and camp (followup/, issue 22): the rounds are
# the shipped ones (followup/defaults.py, installed by its data migration). The demo is a feature
# app like followup and never imports it: the models are looked up by name.
FOLLOWUP_EVENTS = ("prev_M", "police_M", "camp", "prev_K", "police_K")
EXAMPLES = [
    "Провёл встречу с молодёжью по методике из тренинга.",
    "Жастармен кездесуде рөлдік ойынды қолдандым.",
    "Использовал техники деэскалации при разговоре с подростком.",
    "Подготовила информационную работу в школе по итогам тренинга.",
    "Мешітте жастарға арналған әңгімеде үйренгенімді пайдаландым.",
]
STATUS_WEIGHTS = {"employed": 24, "studying": 20, "internship": 9, "own_business": 5, "none": 42}


def _at(day: date, hour: int) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _followup(events: dict[str, TrainingEvent], roster: dict[str, list[Participant]]) -> None:
    """Who agreed to be contacted (most, not all), one Invitation each in the 3-month round of
    their event, due three months after its last session (November 2024): most answered by
    phone with their coordinator, some never reached (the link expired), one refused further
    contact. Links expired long ago: nothing here is on a call list today."""
    Round = apps.get_model("followup", "Round")
    Invitation = apps.get_model("followup", "Invitation")
    rng = random.Random(SEED + 22)
    coordinators = {
        u.regions.first().code: u
        for u in User.objects.filter(role=Role.COORDINATOR).prefetch_related("regions")
        if u.regions.exists()
    }
    staff = User.objects.filter(username="undp.staff").first()
    refused = False
    for key in FOLLOWUP_EVENTS:
        event = events[key]
        round_ = Round.objects.filter(
            event_type=event.event_type, activity_line=None, months=3
        ).first()
        if round_ is None:
            continue  # the shipped rounds were removed: no follow-up to show
        last = max((s.date for s in event.sessions.all()), default=event.end_date)
        due_on = last + relativedelta(months=3)
        asked = [p for p in roster[key] if rng.random() < 0.85]
        Participant.objects.filter(pk__in=[p.pk for p in asked]).update(
            followup_consent=True, followup_consent_on=date(2024, 8, 1)
        )
        for person in asked:
            invitation = Invitation(
                key=f"{round_.pk}:{event.pk}:{person.pk}",
                round=round_,
                event=event,
                participant=person,
                channel="email" if person.email else "call",
                nonce=f"demo-{rng.getrandbits(128):032x}",
                due_on=due_on,
                expires_at=_at(due_on + timedelta(days=settings.FOLLOWUP_LINK_DAYS), 9),
                language="ru",
                sent_at=_at(due_on, 9),
            )
            invitation.token_hash = hashlib.sha256(invitation.token.encode()).hexdigest()
            roll = rng.random()
            if roll < 0.3:
                pass  # not reached: the link expired unanswered
            elif not refused and key == "police_K":
                refused = True  # "please do not call me again"
                invitation.refused_at = _at(due_on + timedelta(days=3), 11)
                Participant.objects.filter(pk=person.pk).update(
                    followup_consent=False, followup_withdrawn_on=due_on + timedelta(days=3)
                )
            else:
                invitation.answers = _followup_answers(rng, with_status=key == "camp")
                invitation.answered_at = _at(due_on + timedelta(days=rng.randint(1, 20)), 15)
                invitation.entered_by = coordinators.get(event.region.code, staff)
            invitation.save()


def _followup_answers(rng: random.Random, *, with_status: bool) -> dict[str, str]:
    answers: dict[str, str] = {}
    if with_status:
        statuses = list(STATUS_WEIGHTS)
        answers["status"] = rng.choices(statuses, weights=list(STATUS_WEIGHTS.values()))[0]
    if with_status and rng.random() < 0.08:
        return answers  # answered the status, skipped the rest
    applied = rng.random() < (0.55 if with_status else 0.72)
    answers["applied"] = "yes" if applied else "no"
    if applied:
        answers["how_often"] = rng.choice(["weekly", "monthly", "monthly", "once"])
        if rng.random() < 0.4:
            answers["example"] = rng.choice(EXAMPLES)
    else:
        answers["how_often"] = "never"
    return answers


def _indicators(programme: Programme) -> None:
    q3, q4 = periods.quarter(2024, 3), periods.quarter(2024, 4)
    year, next_year = periods.year(2024), periods.year(2025)
    specs = [
        (
            "OC1",
            "outcome",
            "percent",
            "Share of trained participants satisfied with the training (4 or 5 of 5)",
            "feedback_satisfied_pct",
            {},
            [],
            [(q3, 80), (year, 80)],
        ),
        (
            "OC2",
            "outcome",
            "points",
            "Mean knowledge gain between pre- and post-test",
            "knowledge_gain_mean",
            {},
            [],
            [(q3, 15), (year, 15)],
        ),
        # Outcomes from the follow-up surveys (followup/outcomes.py): the 3-month round of the
        # August trainings and camp fell due in November 2024, the 6-month one in 2025.
        (
            "OC3",
            "outcome",
            "percent",
            "Share of trained people who applied what they learned, 3 months after the training",
            "applied_3m_pct",
            {},
            ["sex", "age_band", "region", "category", "disability"],
            [(q4, 60), (year, 60)],
        ),
        (
            "OC4",
            "outcome",
            "percent",
            "Share of NEET young people in employment, education or training after 3 months",
            "neet_in_eet_3m_pct",
            {"event_types": ["camp"]},
            ["sex", "age_band", "region", "disability"],
            [(q4, 40), (year, 40)],
        ),
        (
            "OC5",
            "outcome",
            "percent",
            "Share of NEET young people in employment, education or training after 6 months",
            "neet_in_eet_6m_pct",
            {"event_types": ["camp"]},
            ["sex", "age_band", "region", "disability"],
            [(next_year, 50)],
        ),
        (
            "OP1",
            "output",
            "people",
            "Akimat and YRC staff and theologians trained in preventing youth radicalisation",
            "people_trained",
            {"categories": ["akimat", "yrc", "theologian"], "activity_lines": ["1.1"]},
            ["sex", "age_band", "region", "category", "disability"],
            [(q3, 60), (year, 120)],
        ),
        (
            "OP2",
            "output",
            "people",
            "Police officers trained in emotional intelligence",
            "people_trained",
            {"category_group": "police", "activity_lines": ["1.2"]},
            ["sex", "age_band", "region", "category", "disability"],
            [(q3, 40), (year, 80)],
        ),
        (
            "OP3",
            "output",
            "people",
            "NEET young people reached through youth camps",
            "neet_reached",
            {"event_types": ["camp"], "activity_lines": ["2.1"]},
            ["sex", "age_band", "region", "disability"],
            [(q3, 100), (year, 150)],
        ),
        (
            "OP4",
            "output",
            "events",
            "Training events held",
            "events_held",
            {},
            ["region"],
            [(q3, 5), (year, 10)],
        ),
    ]
    # Who counts as trained: the two training lines count people who completed a training
    # (80 % of its sessions); the camps count the young people they reached.
    completed = {"OP1", "OP2"}
    life_of_programme = {
        **{"OC1": 80, "OC2": 15, "OC3": 65, "OC4": 45, "OC5": 50},
        **{"OP1": 300, "OP2": 200, "OP3": 400, "OP4": 30},
    }
    for order, (code, level, unit, name, rule, params, disagg, targets) in enumerate(specs):
        ind = Indicator.objects.create(
            programme=programme,
            code=code,
            level=level,
            unit=unit,
            name=name,
            name_kk=INDICATOR_NAMES[code][0],
            name_ru=INDICATOR_NAMES[code][1],
            rule=rule,
            rule_params=params,
            disaggregations=disagg,
            order=order,
            baseline=0,
            method=RULES[rule].method,
            higher_is_better=RULES[rule].higher_is_better,
            completion="completed" if code in completed else "reached",
            lop_target=life_of_programme[code],
        )
        for (label, start, end), value in targets:
            IndicatorTarget.objects.create(
                indicator=ind, period=label, period_start=start, period_end=end, value=value
            )
