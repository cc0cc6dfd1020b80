"""An event's roster: the block on the event page, removing people (with confirmation, and an
explicit tick when attendance is recorded), the lock of reported events, and registering a new
person inline on the roster page (htmx)."""

from urllib.parse import quote

import lxml.html
import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from participants.models import Attendance, Consent, Enrolment, Feedback, Participant
from participants.services import record_attendance, record_feedback
from tests.factories import (
    EnrolmentFactory,
    EventFactory,
    ParticipantFactory,
    SessionFactory,
    region,
)
from tests.test_registry import _new_person_form
from trainings.models import TrainingEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def enrolment():
    event = EventFactory(region=region("KZ-47"), status=TrainingEvent.Status.HELD)
    return EnrolmentFactory(event=event, participant__full_name="Жанна Ролева")


def test_event_page_lists_the_roster_with_links_and_counts(client, login_as, enrolment):
    session = SessionFactory(event=enrolment.event)
    SessionFactory(event=enrolment.event)
    record_attendance(enrolment=enrolment, session=session)
    login_as("coord.mangystau")
    html = client.get(enrolment.event.get_absolute_url()).content.decode()
    assert "Жанна Ролева" in html
    assert enrolment.participant.get_absolute_url() in html
    assert "1/2" in html
    assert reverse("participants:roster_add", args=[enrolment.event.pk]) in html
    assert reverse("participants:attendance_grid", args=[enrolment.event.pk]) in html
    assert reverse("participants:roster_remove", args=[enrolment.event.pk, enrolment.pk]) in html


def test_viewer_sees_the_event_but_no_names(client, login_as, enrolment):
    login_as("viewer")
    response = client.get(enrolment.event.get_absolute_url())
    assert response.status_code == 200
    assert "Жанна Ролева" not in response.content.decode()


def test_removing_someone_without_attendance_asks_then_removes(client, login_as, enrolment):
    login_as("coord.mangystau")
    url = reverse("participants:roster_remove", args=[enrolment.event.pk, enrolment.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "Remove Жанна Ролева from the roster?" in page.content.decode()
    assert Enrolment.objects.filter(pk=enrolment.pk).exists()  # a GET changes nothing
    response = client.post(url)
    assert response.status_code == 302
    assert response.url == enrolment.event.get_absolute_url()
    assert not Enrolment.objects.filter(pk=enrolment.pk).exists()
    # The person stays in the registry.
    enrolment.participant.refresh_from_db()


def test_removing_someone_with_attendance_needs_an_explicit_tick(client, login_as, enrolment):
    session = SessionFactory(event=enrolment.event)
    record_attendance(enrolment=enrolment, session=session)
    feedback = record_feedback(
        event=enrolment.event,
        enrolment=enrolment,
        satisfaction=5,
        relevance=5,
        usefulness=5,
        intent_to_apply=5,
        source="paper",
    )
    login_as("coord.mangystau")
    url = reverse("participants:roster_remove", args=[enrolment.event.pk, enrolment.pk])
    assert "attendance at 1 session is recorded" in client.get(url).content.decode()

    response = client.post(url)
    assert response.status_code == 200
    assert "tick the box to delete it as well" in response.content.decode()
    assert Enrolment.objects.filter(pk=enrolment.pk).exists()

    response = client.post(url, {"also_attendance": "on"})
    assert response.status_code == 302
    assert not Enrolment.objects.filter(pk=enrolment.pk).exists()
    assert not Attendance.objects.filter(session=session).exists()
    # The feedback still counts for the event, without the person.
    feedback.refresh_from_db()
    assert feedback.enrolment is None and Feedback.objects.filter(pk=feedback.pk).exists()


def test_other_regions_coordinator_gets_404_on_roster_pages(client, login_as, enrolment):
    login_as("coord.kyzylorda")
    event = enrolment.event
    urls = [
        reverse("participants:roster_add", args=[event.pk]),
        reverse("participants:roster_new", args=[event.pk]),
        reverse("participants:roster_remove", args=[event.pk, enrolment.pk]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404
        assert client.post(url).status_code == 404
    assert Enrolment.objects.filter(pk=enrolment.pk).exists()


def test_an_enrolment_of_another_event_is_404(client, login_as, enrolment):
    other = EventFactory(region=region("KZ-47"))
    login_as("coord.mangystau")
    url = reverse("participants:roster_remove", args=[other.pk, enrolment.pk])
    assert client.get(url).status_code == 404


def test_reported_event_roster_is_locked_for_coordinators(client, login_as, enrolment):
    event = enrolment.event
    event.status = TrainingEvent.Status.REPORTED
    event.save()
    login_as("coord.mangystau")
    add = reverse("participants:roster_add", args=[event.pk])
    remove = reverse("participants:roster_remove", args=[event.pk, enrolment.pk])
    assert client.get(add, {"q": "а"}).status_code == 403
    assert client.post(remove).status_code == 403
    html = client.get(event.get_absolute_url()).content.decode()
    assert add not in html and remove not in html
    login_as("undp.staff")
    assert client.post(remove).status_code == 302


def test_roster_flags_people_without_consent_and_consent_can_be_recorded(
    client, login_as, enrolment
):
    person = enrolment.participant
    login_as("coord.mangystau")
    html = client.get(enrolment.event.get_absolute_url()).content.decode()
    assert "No consent on file" in html

    url = reverse("participants:person_consent", args=[person.pk])
    response = client.post(url, {"given": "1", "method": "verbal", "given_on": "2099-01-01"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "The date of consent cannot be in the future." in html
    assert "This field is required." in html  # the version

    response = client.post(
        url, {"given": "1", "method": "verbal", "given_on": "2024-08-13", "version": "2024-1"}
    )
    assert response.status_code == 302
    consent = Consent.objects.get(participant=person)
    assert (consent.given, consent.method, consent.version) == (True, "verbal", "2024-1")
    assert consent.recorded_by.username == "coord.mangystau"
    html = client.get(enrolment.event.get_absolute_url()).content.decode()
    assert "No consent on file" not in html

    login_as("coord.kyzylorda")
    assert client.post(url, {"given": "0"}).status_code == 404


# Registering a new person inline on the roster page (htmx) --------------------------------

HX = {"HTTP_HX_REQUEST": "true"}


def _fragment(response):
    """The htmx answer as a tree (a <div> around the fragments)."""
    assert response.status_code == 200
    return lxml.html.fragment_fromstring(response.content.decode(), create_parent="div")


def _focused(tree) -> list[str]:
    return [el.get("id") for el in tree.xpath("//*[@autofocus]")]


@pytest.fixture
def event():
    return EventFactory(region=region("KZ-47"))


def test_roster_page_opens_the_registration_inline_with_a_page_as_fallback(client, login_as, event):
    login_as("coord.mangystau")
    roster = reverse("participants:roster_add", args=[event.pk])
    new = reverse("participants:roster_new", args=[event.pk])
    page = lxml.html.fromstring(client.get(roster).content)
    assert page.xpath("//div[@id='new-person']")  # the panel, empty until asked for
    results = client.get(roster, {"q": "Нет Такого"}, **HX).content.decode()
    link = lxml.html.fragment_fromstring(results, create_parent="div").xpath(
        "//a[contains(., 'Not in the list? Register a new person')]"
    )[0]
    # Without JavaScript the link opens the page; htmx fetches the panel into #new-person.
    assert link.get("href") == link.get("hx-get") == f"{new}?q={quote('Нет Такого')}"
    assert link.get("hx-target") == "#new-person"

    response = client.get(new, {"q": "Нет Такого"}, **HX)
    assert response["Vary"].count("HX-Request") == 1
    tree = _fragment(response)
    section = tree.xpath("//section[@aria-labelledby='new-person-heading']")[0]
    assert section.xpath(".//h2[@id='new-person-heading']")[0].text == "Register a new person"
    assert "<html" not in response.content.decode()  # the panel only, not a page
    form = tree.xpath("//form[@hx-post]")[0]
    assert form.get("hx-post") == form.get("action") == new
    assert form.get("hx-target") == "#new-person"
    assert tree.xpath("//input[@name='full_name']")[0].get("value") == "Нет Такого"
    assert _focused(tree) == ["id_full_name"]
    # The page is still there for a browser without JavaScript, without htmx attributes.
    page = lxml.html.fromstring(client.get(new, {"q": "Нет Такого"}).content)
    assert page.xpath("//h1")[0].text == "Register a new person"
    assert not page.xpath("//*[@hx-post]") and not page.xpath("//*[@autofocus]")


def test_inline_registration_with_errors_comes_back_in_place(client, login_as, event):
    login_as("coord.mangystau")
    before = Participant.objects.count()
    response = client.post(
        reverse("participants:roster_new", args=[event.pk]),
        _new_person_form(full_name="Тестов Новый", consent_given=None, birth_year="2030"),
        **HX,
    )
    tree = _fragment(response)
    html = response.content.decode()
    assert tree.xpath("//section[@aria-labelledby='new-person-heading']")
    assert "Please correct the errors below." in html
    assert "2030 is in the future." in html
    assert "People can be registered only with their consent" in html
    assert tree.xpath("//input[@name='full_name']")[0].get("value") == "Тестов Новый"
    assert _focused(tree) == ["id_birth_year"]  # the first field in error
    assert Participant.objects.count() == before
    assert not Enrolment.objects.filter(event=event).exists()


def test_inline_registration_warns_of_a_namesake_then_creates_anyway(client, login_as, event):
    existing = ParticipantFactory(full_name="Айгуль Серикова", birth_year=1990)
    EnrolmentFactory(event=event, participant__full_name="Уже Есть")
    login_as("coord.mangystau")
    url = reverse("participants:roster_new", args=[event.pk])
    before = Participant.objects.count()

    response = client.post(url, _new_person_form(), **HX)
    tree = _fragment(response)
    warning = tree.xpath("//div[@id='likely-duplicates']")[0]
    assert "This person may already be in the registry" in warning.text_content()
    assert _focused(tree) == ["likely-duplicates"]
    assert response.context["duplicates"] == [existing]
    assert Participant.objects.count() == before  # nothing saved yet
    # "Add this person" and "create anyway" both answer into the panel.
    use = warning.xpath(".//form")[0]
    assert use.get("hx-post") == reverse("participants:roster_add", args=[event.pk])
    assert use.get("hx-target") == "#new-person"
    assert use.xpath(".//input[@name='person']")[0].get("value") == str(existing.pk)
    anyway = tree.xpath("//button[@name='confirm_new']")[0]
    assert anyway.text == "It is somebody else: create anyway"
    assert anyway.xpath("ancestor::form")[0].get("hx-post") == url

    response = client.post(url, _new_person_form(confirm_new="1"), **HX)
    tree = _fragment(response)
    created = Participant.objects.exclude(pk=existing.pk).get(full_name="Серикова Айгуль")
    assert Enrolment.objects.filter(participant=created, event=event).exists()
    assert Consent.objects.filter(participant=created, given=True).exists()
    status = tree.xpath("//*[@role='status']")[0]
    assert status.text == "Серикова Айгуль is registered and on the roster."
    assert not tree.xpath("//form[@hx-post]")  # the form is gone
    _assert_roster_and_empty_search(tree, ["Серикова Айгуль", "Уже Есть"])
    assert not list(get_messages(response.wsgi_request))  # said in the panel, not later


def _assert_roster_and_empty_search(tree, names: list[str]) -> None:
    """Out of band: the roster list with `names`, and the search emptied and focused."""
    roster = tree.xpath("//div[@id='roster-list']")[0]
    assert roster.get("hx-swap-oob") == "true"
    assert sorted(a.text for a in roster.xpath(".//li/span/a")) == sorted(names)
    assert f"On the roster: {len(names)} " in roster.xpath(".//h2")[0].text
    search = tree.xpath("//div[@id='roster-search']")[0]
    assert search.get("hx-swap-oob") == "true"
    box = search.xpath(".//input[@id='id_q']")[0]
    assert box.get("value") == "" and box.get("hx-get")
    assert _focused(tree) == ["id_q"]
    assert "Type a name to search the registry." in search.text_content()


def test_inline_registration_can_use_the_existing_person_instead(client, login_as, event):
    existing = ParticipantFactory(full_name="Айгуль Серикова", birth_year=1990)
    login_as("coord.mangystau")
    before = Participant.objects.count()
    add = reverse("participants:roster_add", args=[event.pk])
    response = client.post(add, {"person": existing.pk, "via": "new-person"}, **HX)
    tree = _fragment(response)
    assert tree.xpath("//*[@role='status']")[0].text == "Айгуль Серикова is on the roster."
    _assert_roster_and_empty_search(tree, ["Айгуль Серикова"])
    assert Participant.objects.count() == before
    assert Enrolment.objects.filter(participant=existing, event=event).count() == 1
    # Twice (a double click): still one enrolment, and said so.
    response = client.post(add, {"person": existing.pk, "via": "new-person"}, **HX)
    status = _fragment(response).xpath("//*[@role='status']")[0]
    assert status.text == "Айгуль Серикова was already on the roster."
    assert Enrolment.objects.filter(participant=existing, event=event).count() == 1
    # The search results' own "Add" still answers with its row.
    other = ParticipantFactory(full_name="Ерлан Жумабаев")
    response = client.post(add, {"person": other.pk}, **HX)
    assert _fragment(response).xpath("//li//span[@role='status']")[0].text == "Added"


def test_inline_registration_obeys_the_roster_permissions(client, login_as, event):
    url = reverse("participants:roster_new", args=[event.pk])
    login_as("coord.kyzylorda")
    assert client.get(url, **HX).status_code == 404
    assert client.post(url, _new_person_form(), **HX).status_code == 404
    event.status = TrainingEvent.Status.REPORTED
    event.save()
    login_as("coord.mangystau")
    assert client.post(url, _new_person_form(), **HX).status_code == 403
    assert not Participant.objects.filter(full_name="Серикова Айгуль").exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_inline_registration_on_a_phone(phone, demo):
    """At 360 px: the form opens below the search with the focus in it, errors come back in
    place with the focus on the first one, and once saved the search is ready again."""
    from .browser_fixtures import assert_accessible, login

    event = EventFactory(region=region("KZ-47"))
    login(phone, "coord.mangystau")
    phone.goto(phone.base + reverse("participants:roster_add", args=[event.pk]))
    phone.get_by_label("Search the registry").fill("Нетов Никто")
    phone.get_by_text("Nobody in the registry matches “Нетов Никто”").wait_for()
    phone.locator("#search-results a", has_text="Register a new person").tap()
    panel = phone.get_by_role("region", name="Register a new person")
    phone.wait_for_function("document.activeElement?.id === 'id_full_name'")
    assert phone.url.endswith(reverse("participants:roster_add", args=[event.pk]))
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.wait_for_function("document.getAnimations().length === 0")
    assert_accessible(phone)

    panel.get_by_label("Birth year").fill("2090")
    panel.get_by_role("button", name="Register and add").tap()
    panel.get_by_text("Please correct the errors below.").wait_for()
    phone.wait_for_function("document.activeElement?.id === 'id_sex'")
    assert panel.get_by_label("Full name").input_value() == "Нетов Никто"
    assert not Participant.objects.filter(full_name="Нетов Никто").exists()

    panel.get_by_label("Sex").select_option("M")
    panel.get_by_label("Birth year").fill("1990")
    panel.get_by_label("Category").select_option(label="Akimat staff")
    panel.get_by_label("Organisation (as written)").fill("Акимат Бейнеу")
    panel.get_by_label("The person agreed to the processing of their personal data").check()
    panel.get_by_role("button", name="Register and add").tap()
    phone.locator(
        "#new-person [role=status]", has_text="is registered and on the roster"
    ).wait_for()
    phone.wait_for_function("document.activeElement?.id === 'id_q'")
    assert phone.get_by_label("Search the registry").input_value() == ""
    assert phone.locator("#roster-list li", has_text="Нетов Никто").count() == 1
    assert Enrolment.objects.filter(event=event, participant__full_name="Нетов Никто").exists()
