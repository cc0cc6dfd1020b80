"""The registry: finding the person about to be entered twice, searching as you type,
registering people with their consent, the people list, a person's page and edit."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.scope import scope_for
from participants.identity import hash_iin, iin_checksum_ok
from participants.models import Consent, Enrolment, Participant, ParticipantCategory
from participants.selectors import likely_duplicates
from participants.services import record_attendance, record_feedback, record_scores
from tests.factories import (
    EnrolmentFactory,
    EventFactory,
    ParticipantFactory,
    SessionFactory,
    coordinator,
    region,
)
from trainings.models import TrainingEvent

pytestmark = pytest.mark.django_db


def test_same_name_written_differently_and_birth_year_is_a_likely_duplicate():
    person = ParticipantFactory(full_name="Нұрланов Асқар", birth_year=1991)
    scope = scope_for(coordinator("KZ-47"))
    found = likely_duplicates(scope, full_name="Аскар  Нурланов", birth_year=1991)
    assert list(found) == [person]
    assert not likely_duplicates(scope, full_name="Аскар Нурланов", birth_year=1992).exists()


def test_same_name_and_organisation_name_is_a_likely_duplicate():
    person = ParticipantFactory(full_name="Айгуль Серикова", organisation_name="МРЦ Бейнеу")
    scope = scope_for(coordinator("KZ-47"))
    found = likely_duplicates(scope, full_name="Серикова Айгуль", organisation_name="мрц бейнеу")
    assert person in found


def test_people_of_another_region_are_not_offered_as_duplicates():
    ParticipantFactory(full_name="Ерлан Жумабаев", birth_year=1985)
    scope = scope_for(coordinator("KZ-43"))
    assert not likely_duplicates(scope, full_name="Ерлан Жумабаев", birth_year=1985).exists()


# Searching the registry, registering people and the people list (issue 4) ------------------


def _valid_iin(prefix: str = "90010230000") -> str:
    for last in range(10):
        candidate = f"{prefix}{last}"
        if iin_checksum_ok(candidate):
            return candidate
    return _valid_iin(prefix[:-1] + str((int(prefix[-1]) + 1) % 10))


def _new_person_form(**overrides) -> dict:
    data = {
        "full_name": "Серикова Айгуль",
        "sex": "F",
        "birth_year": "1990",
        "region": str(region("KZ-47").pk),
        "category": str(_akimat_id()),
        "organisation_name": "МРЦ Бейнеу",
        "consent_given": "on",
        "consent_method": "paper",
        "consent_date": "2024-08-13",
        "consent_version": "2024-1",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def _akimat_id() -> int:
    return ParticipantCategory.objects.get(code="akimat").pk


def test_search_finds_registry_people_and_leaves_out_other_regions(client, login_as):
    mine = ParticipantFactory(full_name="Нұрланов Асқар", organisation_name="Акимат Жанаозена")
    theirs = ParticipantFactory(full_name="Нурланов Аскар", region=region("KZ-43"))
    event = EventFactory()
    login_as("coord.mangystau")
    url = reverse("participants:roster_add", args=[event.pk])

    # htmx asks as the user types: only the list comes back.
    response = client.get(url, {"q": "аскар нурл"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert "<html" not in response.content.decode()
    assert "HX-Request" in response.headers["Vary"]
    assert response.context["results"] == [mine]
    assert theirs not in response.context["results"]

    # Organisation words match too; without JavaScript the full page shows the same results.
    response = client.get(url, {"q": "жанаозен"})
    assert "<html" in response.content.decode()
    assert response.context["results"] == [mine]
    assert 'hx-get="' in response.content.decode()


def test_adding_a_found_person_puts_them_on_the_roster_once(client, login_as):
    person = ParticipantFactory(full_name="Ерлан Жумабаев")
    event = EventFactory()
    login_as("coord.mangystau")
    url = reverse("participants:roster_add", args=[event.pk])

    response = client.post(url, {"person": person.pk}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Added" in html
    # The roster on the page is refreshed too (out of band), with the person on it.
    _result, roster = html.split('<div id="roster-list" hx-swap-oob="true">')
    assert "Ерлан Жумабаев" in roster and "On the roster: 1 person" in roster
    assert Enrolment.objects.filter(participant=person, event=event).count() == 1

    # Plain form (no JavaScript): back to the search with a message; a second add is harmless.
    response = client.post(url, {"person": person.pk, "q": "ерлан"}, follow=True)
    assert "was already on the roster" in response.content.decode()
    assert response.redirect_chain[-1][0].endswith("?q=%D0%B5%D1%80%D0%BB%D0%B0%D0%BD")
    assert Enrolment.objects.filter(participant=person, event=event).count() == 1
    # Search results mark people already on the roster.
    response = client.get(url, {"q": "Жумабаев"})
    assert response.context["results"][0].on_roster is True


def test_new_person_like_an_existing_one_is_shown_before_saving(client, login_as):
    existing = ParticipantFactory(
        full_name="Айгуль Серикова", birth_year=1990, organisation_name="МРЦ Бейнеу"
    )
    event = EventFactory()
    login_as("coord.mangystau")
    url = reverse("participants:roster_new", args=[event.pk])
    before = Participant.objects.count()

    response = client.post(url, _new_person_form())
    html = response.content.decode()
    assert response.status_code == 200
    assert "This person may already be in the registry" in html
    assert response.context["duplicates"] == [existing]
    assert Participant.objects.count() == before  # nothing saved yet
    assert 'value="Серикова Айгуль"' in html  # the typed input is kept
    assert 'name="confirm_new" value="1"' in html

    # "Create anyway": a new person with their consent, on the roster.
    response = client.post(url, _new_person_form(confirm_new="1"))
    assert response.status_code == 302
    created = Participant.objects.exclude(pk=existing.pk).get(full_name="Серикова Айгуль")
    assert Enrolment.objects.filter(participant=created, event=event).exists()
    consent = Consent.objects.get(participant=created)
    assert (consent.given, consent.version, consent.given_on) == (
        True,
        "2024-1",
        dt.date(2024, 8, 13),
    )


def test_picking_the_existing_person_instead_enrols_them(client, login_as):
    existing = ParticipantFactory(full_name="Айгуль Серикова", birth_year=1990)
    event = EventFactory()
    login_as("coord.mangystau")
    response = client.post(
        reverse("participants:roster_add", args=[event.pk]), {"person": existing.pk}
    )
    assert response.status_code == 302
    assert Enrolment.objects.filter(participant=existing, event=event).exists()


def test_registering_without_consent_or_with_wrong_values_explains_what_to_fix(client, login_as):
    event = EventFactory()
    login_as("coord.mangystau")
    before = Participant.objects.count()
    response = client.post(
        reverse("participants:roster_new", args=[event.pk]),
        _new_person_form(
            full_name="Тестов Новый",
            consent_given=None,
            birth_year="2030",
            organisation_name="",
            iin="1234",
            consent_date="2099-01-01",
        ),
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "People can be registered only with their consent" in html
    assert "2030 is in the future." in html
    assert "Choose the organisation or write its name." in html
    assert "An IIN has exactly 12 digits." in html
    assert "The date of consent cannot be in the future." in html
    assert 'value="Тестов Новый"' in html
    assert Participant.objects.count() == before


def test_iin_is_kept_only_as_a_hash_and_finds_the_same_person(client, login_as):
    iin = _valid_iin()
    event = EventFactory()
    login_as("coord.mangystau")
    url = reverse("participants:roster_new", args=[event.pk])
    response = client.post(url, _new_person_form(full_name="Бекова Дана", iin=iin))
    assert response.status_code == 302
    person = Participant.objects.get(full_name="Бекова Дана")
    assert person.iin_hash == hash_iin(iin) and iin not in person.iin_hash
    # Another name, same IIN: offered as the same person.
    response = client.post(url, _new_person_form(full_name="Dana Bekova", iin=iin))
    assert response.context["duplicates"] == [person]


def test_coordinator_cannot_add_people_to_another_regions_event(client, login_as):
    event = EventFactory(region=region("KZ-47"))
    person = ParticipantFactory(region=region("KZ-43"))
    login_as("coord.kyzylorda")
    url = reverse("participants:roster_add", args=[event.pk])
    assert client.get(url, {"q": "a"}).status_code == 404
    assert client.post(url, {"person": person.pk}).status_code == 404
    assert client.get(reverse("participants:roster_new", args=[event.pk])).status_code == 404
    # Nor a person of another region to their own event.
    own_event = EventFactory(region=region("KZ-43"))
    outsider = ParticipantFactory(full_name="Чужой Человек")
    url = reverse("participants:roster_add", args=[own_event.pk])
    assert client.post(url, {"person": outsider.pk}).status_code == 404
    assert not Enrolment.objects.filter(participant=outsider).exists()


# People list ------------------------------------------------------------------------------


def test_people_list_filters_searches_and_sorts(client, login_as):
    this_year = dt.date.today().year
    young = ParticipantFactory(
        full_name="Алия Молодая", sex="F", birth_year=this_year - 20, organisation_name="Сортировка"
    )
    older = ParticipantFactory(
        full_name="Бахыт Старший",
        sex="M",
        birth_year=this_year - 50,
        organisation_name="Сортировка",
    )
    kyzylorda = ParticipantFactory(full_name="Вера Кызылординская", region=region("KZ-43"))
    event = EventFactory()
    EnrolmentFactory(participant=older, event=event)
    login_as("undp.staff")
    url = reverse("participants:person_list")

    def names(**params):
        response = client.get(url, params)
        assert response.status_code == 200
        return [p.full_name for p in response.context["page"].object_list]

    assert names(q="молодая") == [young.full_name]
    assert names(q="Бахыт", sex="M") == [older.full_name]
    assert names(q="Бахыт", sex="F") == []
    assert names(age_band="18-24", q="Алия") == [young.full_name]
    assert names(age_band="45-54", q="Алия") == []
    assert names(region="KZ-43", q="Вера") == [kyzylorda.full_name]
    assert names(event=event.pk) == [older.full_name]
    assert names(category="akimat", q="Бахыт") == [older.full_name]
    assert names(q="сортировка", sort="-birth_year") == [young.full_name, older.full_name]
    assert names(q="сортировка", sort="birth_year") == [older.full_name, young.full_name]
    # An unknown choice is a validation message, not a crash.
    response = client.get(url, {"sex": "X"})
    assert "Select a valid choice" in response.content.decode()


def test_export_from_the_people_list_holds_the_people_listed(client, login_as):
    ParticipantFactory(full_name="Экспорт Первая", sex="F", organisation_name="Экспортный")
    ParticipantFactory(full_name="Экспорт Второй", sex="M", organisation_name="Экспортный")
    login_as("coord.mangystau")
    html = client.get(reverse("participants:person_list"), {"q": "экспортный", "sex": "M"})
    link = reverse("imports:export_participants", args=["csv"]) + "?q="
    assert link in html.content.decode()
    response = client.get(
        reverse("imports:export_participants", args=["csv"]), {"q": "экспортный", "sex": "M"}
    )
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "Экспорт Второй" in body and "Экспорт Первая" not in body


def test_people_list_is_scoped_and_refused_to_viewers(client, login_as):
    ParticipantFactory(full_name="Гульнар Мангистауская")
    ParticipantFactory(full_name="Дархан Кызылординский", region=region("KZ-43"))
    login_as("coord.kyzylorda")
    response = client.get(reverse("participants:person_list"), {"q": "Гульнар"})
    assert response.status_code == 200
    assert "Гульнар Мангистауская" not in response.content.decode()
    response = client.get(reverse("participants:person_list"), {"q": "Дархан"})
    assert "Дархан Кызылординский" in response.content.decode()

    login_as("viewer")
    assert client.get(reverse("participants:person_list")).status_code == 403


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("username", ["coord.mangystau", "undp.staff"])
def test_people_list_and_person_page_query_count_does_not_grow(client, login_as, username):
    event = EventFactory()
    person = ParticipantFactory(full_name="Бюджет Запросов")
    login_as(username)
    list_url = reverse("participants:person_list") + "?q=бюджет"
    person_url = reverse("participants:person_detail", args=[person.pk])
    for i in range(3):
        EnrolmentFactory(participant=ParticipantFactory(full_name=f"Бюджет {i}"), event=event)
        EnrolmentFactory(participant=person)
    small = (_queries(client, list_url), _queries(client, person_url))
    for i in range(3, 40):
        EnrolmentFactory(participant=ParticipantFactory(full_name=f"Бюджет {i}"), event=event)
        EnrolmentFactory(participant=person)
    assert (_queries(client, list_url), _queries(client, person_url)) == small


# A person's page and edit ---------------------------------------------------------------------


def test_person_page_shows_events_attendance_feedback_and_scores(client, login_as):
    enrolment = EnrolmentFactory(event__title="Медиаграмотность")
    s1 = SessionFactory(event=enrolment.event)
    SessionFactory(event=enrolment.event)
    record_attendance(enrolment=enrolment, session=s1)
    record_feedback(
        event=enrolment.event,
        enrolment=enrolment,
        satisfaction=4,
        relevance=5,
        usefulness=4,
        intent_to_apply=5,
        source="paper",
    )
    record_scores(enrolment=enrolment, pre_score=40, post_score=80)
    login_as("coord.mangystau")
    html = client.get(enrolment.participant.get_absolute_url()).content.decode()
    assert "Медиаграмотность" in html
    assert "1 of 2 sessions" in html
    assert "satisfaction 4/5" in html
    assert "40" in html and "80" in html


def test_editing_a_person_saves_valid_changes_and_explains_invalid_ones(client, login_as):
    person = ParticipantFactory(full_name="Старое Имя", organisation_name="ЦМИ")
    login_as("coord.mangystau")
    url = reverse("participants:person_edit", args=[person.pk])
    form = {
        "full_name": "Новое Имя",
        "sex": "F",
        "birth_year": "1991",
        "region": region("KZ-47").pk,
        "category": _akimat_id(),
        "organisation_name": "ЦМИ",
    }
    response = client.post(url, {**form, "birth_year": "2030", "email": "not-an-email"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "2030 is in the future." in html
    assert "Enter a valid email address." in html
    assert 'value="Новое Имя"' in html
    person.refresh_from_db()
    assert person.full_name == "Старое Имя"

    response = client.post(url, form)
    assert response.status_code == 302
    person.refresh_from_db()
    assert (person.full_name, person.birth_year) == ("Новое Имя", 1991)
    assert person.history.first().history_user.username == "coord.mangystau"


def test_coordinator_of_another_region_gets_404_on_a_mangystau_person(client, login_as):
    person = ParticipantFactory()
    login_as("coord.kyzylorda")
    for name in ("person_detail", "person_edit", "person_merge"):
        assert client.get(reverse(f"participants:{name}", args=[person.pk])).status_code == 404
    assert (
        client.post(
            reverse("participants:person_edit", args=[person.pk]), {"full_name": "X"}
        ).status_code
        == 404
    )


# In a real browser ------------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_registry_pages_fit_a_phone_and_are_accessible(phone, demo):
    from .browser_fixtures import assert_accessible, login

    event = (
        TrainingEvent.objects.filter(region__code="KZ-47", enrolments__isnull=False)
        .exclude(status=TrainingEvent.Status.REPORTED)
        .order_by("pk")
        .first()
    )
    person = event.enrolments.filter(participant__region__code="KZ-47").first().participant
    other = ParticipantFactory(full_name=person.full_name, birth_year=person.birth_year)
    pages = [
        reverse("participants:person_list") + "?q=а&sort=-birth_year",
        person.get_absolute_url(),
        reverse("participants:person_edit", args=[person.pk]),
        reverse("participants:person_merge", args=[person.pk]),
        reverse("participants:person_merge", args=[person.pk]) + f"?other={other.pk}",
        reverse("participants:roster_add", args=[event.pk]) + "?q=а",
        reverse("participants:roster_new", args=[event.pk]),
    ]
    login(phone, "coord.mangystau")
    for url in pages:
        response = phone.goto(phone.base + url)
        assert response.status == 200, url
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360, url
        assert_accessible(phone)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_registering_a_namesake_shows_the_warning_then_creates_anyway(page, demo):
    from .browser_fixtures import login, screenshot

    existing = ParticipantFactory(
        full_name="Камила Тестова", birth_year=1993, organisation_name="ЦМИ Актау"
    )
    event = EventFactory(region=region("KZ-47"))
    login(page, "coord.mangystau")
    page.goto(page.base + reverse("participants:roster_new", args=[event.pk]) + "?q=Тестова Камила")
    page.get_by_label("Sex").select_option("F")
    page.get_by_label("Birth year").fill("1993")
    page.get_by_label("Category").select_option(str(_akimat_id()))
    page.get_by_label("Organisation (as written)").fill("ЦМИ Актау")
    page.get_by_label("The person agreed to the processing of their personal data").check()
    page.get_by_role("button", name="Register and add").click()
    page.get_by_text("This person may already be in the registry").wait_for()
    screenshot(page, "register-duplicate-warning")
    assert page.get_by_label("Full name").input_value() == "Тестова Камила"
    assert Participant.objects.filter(name_normalised=existing.name_normalised).count() == 1
    page.get_by_role("button", name="It is somebody else: create anyway").click()
    page.get_by_text("is registered and on the roster").wait_for()
    assert Participant.objects.filter(name_normalised=existing.name_normalised).count() == 2
