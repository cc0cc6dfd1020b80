"""Reference data (topics, programmes, activity lines, partners, indicators) is named in the
reader's language: admins enter the Kazakh and Russian names beside the original, pages,
filters and the donor report show the one of their language, and the original where a
translation is left empty. Sessions made one per day are "Day N" in the reader's language
(issue 19)."""

from __future__ import annotations

import datetime as dt
import html
import importlib

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import translation

from demo.seed import INDICATOR_NAMES, TOPIC_NAMES
from regions.models import PartnerOrganisation
from reports.builder import build_report_data
from reports.models import Indicator
from trainings.models import ActivityLine, Programme, Session, Topic, TrainingEvent
from trainings.services import add_session, add_sessions_per_day

from .factories import EnrolmentFactory, EventFactory, region

pytestmark = pytest.mark.django_db

PREVENTION = "Preventing youth radicalisation: training for akimat and YRC staff (Aktau)"
LANGUAGE_INDEX = {"kk": 0, "ru": 1}


def page(client, url, language, **params) -> str:
    response = client.get(url, params, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return html.unescape(response.content.decode())


@pytest.fixture
def prevention(demo):
    return TrainingEvent.objects.get(title=PREVENTION)


# Pages --------------------------------------------------------------------------------------
@pytest.mark.parametrize("language", ["kk", "ru"])
def test_event_page_names_topics_programme_and_partners_in_the_readers_language(
    client, login_as, prevention, language
):
    login_as("coord.mangystau")
    shown = page(client, prevention.get_absolute_url(), language)
    for topic in prevention.topics.all():
        assert TOPIC_NAMES[topic.name][LANGUAGE_INDEX[language]] in shown
        assert topic.name not in shown
    programme, line = prevention.programme, prevention.activity_line
    assert getattr(programme, f"name_{language}") in shown
    assert getattr(line, f"name_{language}") in shown and line.name not in shown
    host = prevention.host_partners.get()
    assert getattr(host, f"name_{language}") in shown and host.name not in shown
    implementer = prevention.implementing_partners.get()  # UNDP: its short name
    assert getattr(implementer, f"short_name_{language}") in shown


def test_event_page_in_english_keeps_the_original_names(client, login_as, prevention):
    login_as("coord.mangystau")
    shown = page(client, prevention.get_absolute_url(), "en")
    assert all(topic.name in shown for topic in prevention.topics.all())
    assert prevention.programme.name in shown


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_event_list_programme_filter_offers_the_readers_name(client, login_as, demo, language):
    login_as("undp.staff")
    response = client.get(reverse("trainings:event_list"), HTTP_ACCEPT_LANGUAGE=language)
    programme = Programme.objects.get(code="PVE-KZ-JP")
    with translation.override(language):
        field = response.context["filters"].form.fields["programme"]
        labels = [str(label) for _value, label in field.choices]
        assert labels[1] == f"PVE-KZ-JP: {getattr(programme, f'name_{language}')}"
    assert getattr(programme, f"name_{language}") in html.unescape(response.content.decode())


def test_a_blank_translation_falls_back_to_the_original_name(client, login_as, prevention):
    topic = Topic.objects.create(name="Conflict-sensitive journalism")
    prevention.topics.add(topic)
    partner = PartnerOrganisation.objects.create(
        name="Media Support Centre", short_name="MSC", type=PartnerOrganisation.Type.NGO
    )
    prevention.host_partners.add(partner)
    login_as("coord.mangystau")
    shown = page(client, prevention.get_absolute_url(), "kk")
    assert "Conflict-sensitive journalism" in shown
    assert "MSC" in shown
    with translation.override("ru"):
        assert str(topic) == topic.display_name == "Conflict-sensitive journalism"
        assert partner.display_name == "Media Support Centre"


def test_a_partner_without_a_translated_short_name_shows_its_translated_full_name():
    partner = PartnerOrganisation(
        name="Akimat of Beyneu District", name_kk="Бейнеу ауданының әкімдігі", short_name="Beyneu"
    )
    with translation.override("kk"):
        assert str(partner) == "Бейнеу ауданының әкімдігі"
    with translation.override("ru"):
        assert str(partner) == "Beyneu"  # nothing in Russian: the original short name
    with translation.override("en"):
        assert str(partner) == "Beyneu"


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_results_framework_pages_show_indicator_names_in_the_readers_language(
    client, login_as, demo, language
):
    login_as("undp.staff")
    shown = page(client, reverse("reports:indicator_list"), language)
    for code, names in INDICATOR_NAMES.items():
        assert names[LANGUAGE_INDEX[language]] in shown, code
    indicator = Indicator.objects.get(code="OP2")
    detail = page(client, reverse("reports:indicator_detail", args=[indicator.pk]), language)
    assert INDICATOR_NAMES["OP2"][LANGUAGE_INDEX[language]] in detail
    assert indicator.name not in detail


def test_dashboard_on_track_names_indicators_in_the_readers_language(client, login_as, demo):
    login_as("undp.staff")
    client.get("/on-track/", {"period": "2024Q3"}, HTTP_ACCEPT_LANGUAGE="en")  # cached in English
    response = client.get("/on-track/", {"period": "2024Q3"}, HTTP_ACCEPT_LANGUAGE="kk")
    names = [row["name"] for row in response.context["on_track"]["indicators"]]
    assert names == [kk for kk, _ru in INDICATOR_NAMES.values()]


# The donor report -----------------------------------------------------------------------------
@pytest.mark.parametrize("language", ["kk", "ru"])
def test_the_report_names_indicators_programme_donor_and_lines_in_its_language(demo, language):
    data = build_report_data(
        start=dt.date(2024, 7, 1),
        end=dt.date(2024, 9, 30),
        language=language,
        period_label="2024Q3",
    )
    i = LANGUAGE_INDEX[language]
    assert [row["name"] for row in data.indicators] == [n[i] for n in INDICATOR_NAMES.values()]
    assert [row["name"] for row in data.iptt["rows"]] == [n[i] for n in INDICATOR_NAMES.values()]
    programme = Programme.objects.get(code="PVE-KZ-JP")
    assert data.programme["name"] == getattr(programme, f"name_{language}")
    assert (
        data.programme["donor"] == {"kk": "Жапония Үкіметі", "ru": "Правительство Японии"}[language]
    )
    lines = {getattr(line, f"name_{language}") for line in ActivityLine.objects.all()}
    activities = {event["activity"] for event in data.events}
    assert activities and all(any(name in a for name in lines) for a in activities)


def test_the_english_report_keeps_the_original_names(demo):
    data = build_report_data(
        start=dt.date(2024, 7, 1), end=dt.date(2024, 9, 30), language="en", period_label="2024Q3"
    )
    assert [row["name"] for row in data.indicators] == list(
        Indicator.objects.order_by("order", "code").values_list("name", flat=True)
    )


# Entering the names -------------------------------------------------------------------------
def test_admin_enters_a_topic_in_three_languages(admin_client):
    form = admin_client.get(reverse("manage:topic_create"), HTTP_ACCEPT_LANGUAGE="en")
    shown = html.unescape(form.content.decode())
    assert "Name (Kazakh)" in shown and "Name (Russian)" in shown
    response = admin_client.post(
        reverse("manage:topic_create"),
        {"name": "Gender-based violence", "name_kk": "Гендерлік зорлық", "name_ru": "ГОН"},
    )
    assert response.status_code == 302
    topic = Topic.objects.get(name="Gender-based violence")
    assert (topic.name_kk, topic.name_ru) == ("Гендерлік зорлық", "ГОН")


def test_admin_enters_a_partners_names_and_short_names(admin_client):
    response = admin_client.post(
        reverse("manage:partner_create"),
        {
            "name": "Aktau City Akimat",
            "name_kk": "Ақтау қаласының әкімдігі",
            "name_ru": "Акимат города Актау",
            "short_name": "Aktau akimat",
            "short_name_kk": "Ақтау әкімдігі",
            "short_name_ru": "Акимат Актау",
            "type": "akimat",
            "region": region("KZ-47").pk,
        },
    )
    assert response.status_code == 302
    partner = PartnerOrganisation.objects.get(name="Aktau City Akimat")
    assert partner.short_name_kk == "Ақтау әкімдігі"
    shown = page(admin_client, partner.get_absolute_url(), "ru")
    assert "Акимат города Актау" in shown and "Акимат Актау" in shown


def test_the_manage_list_sorts_topics_by_the_name_the_reader_sees(admin_client, demo):
    response = admin_client.get(
        reverse("manage:topic_list"), {"sort": "name"}, HTTP_ACCEPT_LANGUAGE="ru"
    )
    shown = [row.name_ru for row in response.context["page"]]
    assert shown == sorted(shown)


# Sessions named by day ----------------------------------------------------------------------
@pytest.fixture
def three_days():
    event = EventFactory(
        region=region("KZ-47"),
        start_date=dt.date(2025, 4, 7),
        end_date=dt.date(2025, 4, 9),
        status=TrainingEvent.Status.PLANNED,
    )
    add_sessions_per_day(event=event)
    add_session(event=event, date=dt.date(2025, 4, 9), title="Module 2: profiling")
    EnrolmentFactory(event=event)  # the attendance grid shows its sessions with a roster
    return event


@pytest.mark.parametrize(
    ("language", "day_one", "day_three"),
    [("kk", "1-күн", "3-күн"), ("ru", "День 1", "День 3"), ("en", "Day 1", "Day 3")],
)
def test_sessions_made_per_day_are_named_in_the_readers_language(
    client, login_as, three_days, language, day_one, day_three
):
    login_as("coord.mangystau")
    for url in (
        three_days.get_absolute_url(),
        reverse("trainings:event_sessions", args=[three_days.pk]),
        reverse("participants:attendance_grid", args=[three_days.pk]),
    ):
        shown = page(client, url, language)
        assert day_one in shown and day_three in shown, url
        assert "Module 2: profiling" in shown  # a typed title stays as typed
        if language != "en":
            assert "Day 1" not in shown


def test_stored_day_titles_in_any_language_become_untitled():
    event = EventFactory(
        region=region("KZ-47"), start_date=dt.date(2025, 4, 7), end_date=dt.date(2025, 4, 11)
    )
    titles = ["Day 1", "День 2", "3-күн", "Day 9", "Opening"]
    for offset, title in enumerate(titles):
        Session.objects.create(
            event=event, date=event.start_date + dt.timedelta(offset), title=title
        )
    migration = importlib.import_module("trainings.migrations.0006_untitled_day_sessions")
    migration.untitle_day_sessions(apps, None)
    stored = list(event.sessions.order_by("date").values_list("title", flat=True))
    # "Day 9" on the fourth day is not a day number: kept, like a typed title.
    assert stored == ["", "", "", "Day 9", "Opening"]
    with translation.override("kk"):
        assert [s.display_title for s in event.sessions.order_by("date")][:3] == [
            "1-күн",
            "2-күн",
            "3-күн",
        ]
