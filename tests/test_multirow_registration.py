"""Issue 19: registering many people at once. "Add several people" on an event's roster is a grid
of the essential columns, typed or filled from a pasted list; each row is checked against the
registry and the rows above it, nothing is saved until every row is valid and every possible
duplicate decided, then everyone is registered (with consent) and enrolled in one go."""

from __future__ import annotations

import html
import re

import lxml.html
import pytest
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from participants.models import Consent, Participant, ParticipantCategory
from tests.factories import EnrolmentFactory, EventFactory, ParticipantFactory, region
from tests.test_quarter_lock import approve_quarter_of
from trainings.models import TrainingEvent

pytestmark = pytest.mark.django_db

COMMON = {
    "consent_method": "paper",
    "consent_date": "2024-08-13",
    "consent_version": "2024-1",
    "default_category": "",
}


@pytest.fixture
def event() -> TrainingEvent:
    return EventFactory(region=region("KZ-47"), title="Camp of many")


ROWS = "//tr[contains(@class, 'multirow-row')]"


def url(event) -> str:
    return reverse("participants:roster_many", args=[event.pk])


def category(code: str = "akimat") -> str:
    return str(ParticipantCategory.objects.get(code=code).pk)


def person_row(name: str, **overrides) -> dict:
    row = {
        "full_name": name,
        "sex": "F",
        "birth_year": "1990",
        "organisation": "МРЦ Бейнеу",
        "category": category(),
        "phone": "",
        "consent": "on",
    }
    row.update(overrides)
    return {k: v for k, v in row.items() if v is not None}


def grid(rows: list[dict], *, action: str = "save", blank: int = 2, **extra) -> dict:
    """The post of the grid: the rows given, then `blank` empty ones, and the common fields."""
    data = {
        "rows-TOTAL_FORMS": str(len(rows) + blank),
        "rows-INITIAL_FORMS": "0",
        "rows-MIN_NUM_FORMS": "0",
        "rows-MAX_NUM_FORMS": "200",
        "action": action,
        **COMMON,
    }
    for i, row in enumerate(rows):
        for key, value in row.items():
            data[f"rows-{i}-{key}"] = value
    data.update(extra)
    return data


def text(response) -> str:
    return html.unescape(response.content.decode())


def flash(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def grid_values(response) -> list[dict]:
    """Each row of the page's grid as the inputs show it (name, sex, year, organisation)."""
    doc = lxml.html.fromstring(response.content)
    rows = []
    for tr in doc.xpath(ROWS):

        def value(name, tr=tr):
            el = [e for e in tr.xpath(".//*[@name]") if e.get("name").endswith(f"-{name}")][0]
            if el.tag == "select":
                chosen = el.xpath("option[@selected]")
                return chosen[0].get("value") if chosen else ""
            if el.get("type") == "checkbox":
                return el.get("checked") is not None
            return el.get("value") or ""

        rows.append({k: value(k) for k in ("full_name", "sex", "birth_year", "organisation")})
        rows[-1]["consent"] = value("consent")
        rows[-1]["category"] = value("category")
        rows[-1]["phone"] = value("phone")
    return rows


# The page -----------------------------------------------------------------------------------


def test_the_roster_offers_the_grid_with_empty_labelled_rows(client, login_as, event):
    login_as("coord.mangystau")
    page = client.get(event.get_absolute_url())
    assert url(event) in page.content.decode()
    response = client.get(url(event))
    assert response.status_code == 200
    doc = lxml.html.fromstring(response.content)
    assert len(doc.xpath(ROWS)) == 10
    # Every input of every row has its own label naming the row.
    label = doc.xpath("//label[@for='id_rows-2-full_name']")[0].text_content()
    assert re.sub(r"\s+", " ", label).strip() == "Full name, row 3"
    fields = doc.xpath(f"{ROWS}//input[not(@type='hidden')] | {ROWS}//select")
    assert len(fields) == 10 * 7
    for field in fields:
        assert doc.xpath(f"//label[@for='{field.get('id')}']"), field.get("name")


def test_more_rows_keeps_what_was_typed(client, login_as, event):
    login_as("coord.mangystau")
    response = client.post(url(event), grid([person_row("Серикова Айгуль")], action="more"))
    assert response.status_code == 200
    rows = grid_values(response)
    assert len(rows) == 3 + 10
    assert rows[0]["full_name"] == "Серикова Айгуль"
    assert rows[0]["consent"] is True
    assert rows[0]["category"] == category()
    assert Participant.objects.filter(full_name="Серикова Айгуль").count() == 0


# Saving --------------------------------------------------------------------------------------


def test_valid_rows_are_registered_with_consent_and_enrolled(client, login_as, event):
    login_as("coord.mangystau")
    rows = [
        person_row("Серикова Айгуль"),
        person_row("Жаңабаев Ерасыл", sex="M", birth_year="1994", phone="+7 701 111 22 33"),
        person_row("Өтегенова Ақбота", birth_year="", category="", organisation="Акимат"),
    ]
    neet = category("neet")
    response = client.post(url(event), grid(rows, default_category=neet))
    assert response.status_code == 302, text(response)[:3000]
    assert response.url == event.get_absolute_url()
    assert flash(response) == ["3 people added to the event."]
    people = {e.participant.full_name: e.participant for e in event.enrolments.all()}
    assert set(people) == {"Серикова Айгуль", "Жаңабаев Ерасыл", "Өтегенова Ақбота"}
    assert people["Жаңабаев Ерасыл"].phone == "+7 701 111 22 33"
    assert people["Өтегенова Ақбота"].birth_year is None
    assert str(people["Өтегенова Ақбота"].category_id) == neet  # the grid's default
    assert all(p.region.code == "KZ-47" for p in people.values())
    consent = Consent.objects.get(participant=people["Серикова Айгуль"])
    assert (consent.given, str(consent.given_on), consent.version) == (True, "2024-08-13", "2024-1")
    # Audited like a single registration: the history names the user.
    history = people["Серикова Айгуль"].history.first()
    assert history.history_user.username == "coord.mangystau"
    assert people["Серикова Айгуль"].created_by.username == "coord.mangystau"


def test_an_invalid_row_saves_nothing_and_keeps_every_row(client, login_as, event):
    login_as("coord.mangystau")
    before = Participant.objects.count()
    rows = [
        person_row("Серикова Айгуль"),
        person_row("Жаңабаев Ерасыл", sex="", birth_year="19x4", consent=None),
    ]
    response = client.post(url(event), grid(rows))
    assert response.status_code == 200
    assert Participant.objects.count() == before
    assert not event.enrolments.exists()
    page = text(response)
    assert "Row 2" in page
    assert "“19x4” is not a year." in page
    assert "Sex: Choose the sex." in page
    assert "People can be registered only with their consent." in page
    doc = lxml.html.fromstring(response.content)
    assert doc.get_element_by_id("id_rows-1-birth_year").get("aria-invalid") == "true"
    values = grid_values(response)
    assert values[0]["full_name"] == "Серикова Айгуль"
    assert values[1]["full_name"] == "Жаңабаев Ерасыл"
    assert values[1]["birth_year"] == "19x4"
    # The summary links to the field to correct.
    assert doc.xpath("//*[@id='grid-errors']//a[@href='#id_rows-1-birth_year']")


def test_empty_rows_are_ignored_and_an_empty_grid_says_so(client, login_as, event):
    login_as("coord.mangystau")
    response = client.post(url(event), grid([], blank=10))
    assert response.status_code == 200
    assert "Nobody to add" in text(response)
    response = client.post(url(event), grid([person_row("Серикова Айгуль")], blank=9))
    assert response.status_code == 302
    assert event.enrolments.count() == 1


# Duplicates ----------------------------------------------------------------------------------


@pytest.fixture
def known():
    return ParticipantFactory(
        full_name="Нұрланов Асқар", sex="M", birth_year=1987, organisation_name="Акимат Бейнеу"
    )


def test_a_possible_duplicate_needs_a_decision_before_anything_is_saved(
    client, login_as, event, known
):
    login_as("coord.mangystau")
    before = Participant.objects.count()
    rows = [person_row("Серикова Айгуль"), person_row("Нурланов Аскар", sex="M", birth_year="1987")]
    response = client.post(url(event), grid(rows))
    assert response.status_code == 200
    assert Participant.objects.count() == before
    doc = lxml.html.fromstring(response.content)
    fieldset = doc.get_element_by_id("row-2-decision")
    assert "Нұрланов Асқар" in fieldset.text_content()
    assert fieldset.xpath(f".//input[@type='radio' and @value='{known.pk}']")
    assert fieldset.xpath(".//input[@type='radio' and @value='new']")
    assert "choose the existing person" in text(response)
    assert not doc.xpath("//*[@id='row-1-decision']")  # Серикова has no namesake


def test_using_the_existing_person_enrols_them_without_a_new_record(client, login_as, event, known):
    login_as("coord.mangystau")
    before = Participant.objects.count()
    # An existing person's row needs only the name: the rest of the row is not asked for.
    rows = [
        person_row("Серикова Айгуль"),
        {"full_name": "Нурланов Аскар", "birth_year": "1987", "decision": str(known.pk)},
    ]
    response = client.post(url(event), grid(rows))
    assert response.status_code == 302, text(response)[:3000]
    assert Participant.objects.count() == before + 1
    assert event.enrolments.filter(participant=known).exists()
    assert flash(response) == ["2 people added to the event. 1 of them was already registered."]


def test_register_as_new_creates_a_second_record(client, login_as, event, known):
    login_as("coord.mangystau")
    rows = [person_row("Нурланов Аскар", sex="M", birth_year="1987", decision="new")]
    response = client.post(url(event), grid(rows))
    assert response.status_code == 302
    assert Participant.objects.filter(name_normalised=known.name_normalised).count() == 2
    enrolled = event.enrolments.get().participant
    assert enrolled.pk != known.pk


def test_someone_already_on_the_roster_is_counted_apart(client, login_as, event, known):
    EnrolmentFactory(event=event, participant=known)
    login_as("coord.mangystau")
    rows = [
        person_row("Серикова Айгуль"),
        {"full_name": "Нұрланов Асқар", "birth_year": "1987", "decision": str(known.pk)},
    ]
    response = client.post(url(event), grid(rows))
    assert response.status_code == 302
    assert flash(response) == ["1 person added to the event. 1 person was already on the roster."]
    assert event.enrolments.count() == 2


def test_a_decision_for_someone_not_offered_is_refused(client, login_as, event, known):
    other_region = ParticipantFactory(
        full_name="Нұрланов Асқар", birth_year=1987, region=region("KZ-43")
    )
    login_as("coord.mangystau")
    rows = [{"full_name": "Нурланов Аскар", "birth_year": "1987", "decision": str(other_region.pk)}]
    response = client.post(url(event), grid(rows))
    assert response.status_code == 200
    assert not event.enrolments.exists()
    # The person of another region is never shown to this coordinator.
    doc = lxml.html.fromstring(response.content)
    assert not doc.xpath(f"//input[@type='radio' and @value='{other_region.pk}']")


def test_the_same_person_twice_in_the_grid_is_caught(client, login_as, event):
    login_as("coord.mangystau")
    rows = [person_row("Серикова Айгуль"), person_row("Айгуль  СЕРИКОВА")]
    response = client.post(url(event), grid(rows))
    assert response.status_code == 200
    assert not Participant.objects.filter(name_normalised="айгуль серикова").exists()
    doc = lxml.html.fromstring(response.content)
    fieldset = doc.get_element_by_id("row-2-decision")
    assert fieldset.xpath(".//input[@value='row-1']")
    # Leave the second row out: one person registered.
    response = client.post(url(event), grid([rows[0], {**rows[1], "decision": "row-1"}]))
    assert response.status_code == 302
    assert event.enrolments.count() == 1
    # Or they are two people: two records.
    event2 = EventFactory(region=region("KZ-47"))
    rows = [person_row("Серикова Жанна"), {**person_row("Серикова Жанна"), "decision": "new"}]
    response = client.post(url(event2), grid(rows))
    assert response.status_code == 302
    assert event2.enrolments.count() == 2


# Pasting ----------------------------------------------------------------------------------------


def test_a_list_pasted_from_excel_fills_the_grid(client, login_as, event):
    login_as("coord.mangystau")
    pasted = (
        "Жаңабаев Ерасыл\tМ\t1994\tМРЦ Бейнеу\tТеолог\t+7 701 111 22 33\tда\n"
        "Өтегенова Ақбота\tЖ\t12.03.1990\tАкимат Бейнеу\n"
    )
    typed = person_row("Серикова Айгуль")
    response = client.post(url(event), grid([typed], action="paste", paste=pasted))
    assert response.status_code == 200
    rows = grid_values(response)
    assert rows[0]["full_name"] == "Серикова Айгуль"  # what was typed stays
    assert rows[1] == {
        "full_name": "Жаңабаев Ерасыл",
        "sex": "M",
        "birth_year": "1994",
        "organisation": "МРЦ Бейнеу",
        "consent": True,
        "category": category("theologian"),
        "phone": "+7 701 111 22 33",
    }
    assert rows[2]["sex"] == "F"
    assert rows[2]["birth_year"] == "12.03.1990"
    assert rows[2]["organisation"] == "Акимат Бейнеу"
    assert "2 lines of the list were put in the grid" in flash(response)[0]
    assert Participant.objects.filter(full_name="Жаңабаев Ерасыл").count() == 0


def test_a_semicolon_list_with_a_header_row_is_read_by_its_columns(client, login_as, event):
    login_as("coord.mangystau")
    pasted = "ФИО;Год рождения;Пол;ИИН;Должность\nСапарова Гүлшат;1996;ж;900101300123;инспектор\n"
    response = client.post(url(event), grid([], action="paste", paste=pasted))
    rows = grid_values(response)
    assert rows[0]["full_name"] == "Сапарова Гүлшат"
    assert (rows[0]["sex"], rows[0]["birth_year"]) == ("F", "1996")
    page = text(response)
    # The position fits no column: shown on the row, not lost; the IIN is left out (least data).
    assert "Position: инспектор" in page
    assert "900101300123" not in page
    assert any("IIN column was left out" in m for m in flash(response))


def test_one_name_per_line_and_numbered_lines(client, login_as, event):
    login_as("coord.mangystau")
    pasted = "1. Құдайбергенов Мақсат\n2. Иванова Мария Петровна\n\nАхметов Бауыржан\n"
    response = client.post(url(event), grid([], action="paste", paste=pasted))
    names = [r["full_name"] for r in grid_values(response) if r["full_name"]]
    assert names == ["Құдайбергенов Мақсат", "Иванова Мария Петровна", "Ахметов Бауыржан"]
    # A numbered sheet copied from Excel: the running number is not a year or a name.
    pasted = "1\tАхметова Дана\tж\t1990\n2\tСеров Али\tм\t1988\n"
    response = client.post(url(event), grid([], action="paste", paste=pasted))
    rows = grid_values(response)
    assert [(r["full_name"], r["sex"], r["birth_year"]) for r in rows[:2]] == [
        ("Ахметова Дана", "F", "1990"),
        ("Серов Али", "M", "1988"),
    ]


def test_comma_separated_lines(client, login_as, event):
    login_as("coord.mangystau")
    pasted = "Ахметов Бауыржан, м, 1985\nИванова Мария, ж, 1991\n"
    response = client.post(url(event), grid([], action="paste", paste=pasted))
    rows = grid_values(response)
    assert [(r["full_name"], r["sex"], r["birth_year"]) for r in rows[:2]] == [
        ("Ахметов Бауыржан", "M", "1985"),
        ("Иванова Мария", "F", "1991"),
    ]


# Who may ----------------------------------------------------------------------------------------


def test_a_locked_quarter_refuses_the_grid(client, login_as, event):
    approve_quarter_of(event)
    login_as("coord.mangystau")
    assert client.get(url(event)).status_code == 403
    response = client.post(url(event), grid([person_row("Серикова Айгуль")]))
    assert response.status_code == 403
    assert "approved and locked" in text(response)
    assert not Participant.objects.filter(full_name="Серикова Айгуль").exists()


def test_a_coordinator_of_another_region_gets_404(client, login_as, event):
    login_as("coord.kyzylorda")
    assert client.get(url(event)).status_code == 404
    assert client.post(url(event), grid([person_row("Серикова Айгуль")])).status_code == 404
    assert not Participant.objects.filter(full_name="Серикова Айгуль").exists()


def test_a_viewer_is_refused(client, login_as, event):
    login_as("viewer")
    assert client.get(url(event)).status_code == 403
    assert client.post(url(event), grid([person_row("Серикова Айгуль")])).status_code == 403
    assert not Participant.objects.filter(full_name="Серикова Айгуль").exists()


# Size --------------------------------------------------------------------------------------------


def _many(n: int) -> list[dict]:
    return [person_row(f"Тестов Человек {i:02d}", birth_year=str(1960 + i)) for i in range(n)]


def test_checking_thirty_rows_takes_as_many_queries_as_checking_three(
    client, login_as, event, known
):
    """The check (the page that asks about duplicates) reads the registry once for all rows."""
    login_as("coord.mangystau")
    counts = []
    for n in (3, 30):
        rows = [*_many(n - 1), person_row("Нурланов Аскар", birth_year="1987")]
        with CaptureQueriesContext(connection) as queries:
            response = client.post(url(event), grid(rows))
        assert response.status_code == 200  # the duplicate question
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert counts[1] <= 15


def test_saving_grows_by_the_same_few_queries_per_row(client, login_as):
    """Each row is one registration through the services (validated, audited, its consent and
    enrolment): a fixed cost per row, nothing that grows with the grid or the roster."""
    login_as("coord.mangystau")
    counts = []
    for n in (10, 20, 30):
        event = EventFactory(region=region("KZ-47"))
        rows = [
            person_row(f"Тестов {n} Человек {i:02d}", birth_year=str(1960 + i)) for i in range(n)
        ]
        with CaptureQueriesContext(connection) as queries:
            response = client.post(url(event), grid(rows))
        assert response.status_code == 302
        assert event.enrolments.count() == n
        counts.append(len(queries))
    per_row = (counts[2] - counts[0]) // 20
    assert counts[1] - counts[0] == counts[2] - counts[1] == 10 * per_row
    assert per_row <= 26
