"""Issue 19 in a real browser on a 360 px phone: a coordinator pastes a sign-in list into the
multi-row entry of an event, says that one line is a person already in the registry, saves, and
sees everyone on the roster. axe-core runs on each step; nothing scrolls sideways."""

from datetime import date

import pytest
from django.urls import reverse

from participants.models import Participant
from tests.factories import EventFactory, region

from .browser_fixtures import assert_accessible, login, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


def _settled_accessible(page) -> None:
    page.wait_for_function("document.getAnimations().length === 0", timeout=5000)
    assert_accessible(page)


def test_coordinator_pastes_a_list_on_a_phone_and_resolves_a_duplicate(phone, page, demo):
    event = EventFactory(
        region=region("KZ-47"),
        title="Youth camp sign-in",
        start_date=date(2026, 12, 14),
        end_date=date(2026, 12, 16),
    )
    known = (
        Participant.objects.filter(region__code="KZ-47", birth_year__isnull=False)
        .order_by("pk")
        .first()
    )
    login(phone, "coord.mangystau")
    phone.goto(phone.base + event.get_absolute_url())
    phone.get_by_role("link", name="Add several people").tap()
    phone.get_by_role("heading", name="Add several people to “Youth camp sign-in”").wait_for()
    _no_sideways_scroll(phone)
    _settled_accessible(phone)

    # A list copied from Excel: tab-separated, one line a person; the second is someone known.
    pasted = (
        "Жаңабаев Ерасыл\tМ\t1994\tМРЦ Бейнеу\tAkimat staff\t+7 701 111 22 33\tда\n"
        f"{known.full_name}\t{known.sex}\t{known.birth_year}\n"
        "Сапарова Гүлшат\tЖ\t1996\tАкимат Бейнеу\tTheologian\t\tда\n"
    )
    phone.get_by_label("Lines copied from Excel, Word or a message").fill(pasted)
    phone.get_by_role("button", name="Put the list in the grid").tap()
    phone.locator(
        ".messages .alert", has_text="3 lines of the list were put in the grid"
    ).wait_for()
    assert phone.get_by_label("Full name, row 1", exact=True).input_value() == "Жаңабаев Ерасыл"
    assert phone.get_by_label("Birth year, row 3", exact=True).input_value() == "1996"
    assert phone.get_by_label("Agreed to data processing, row 3", exact=True).is_checked()
    _no_sideways_scroll(phone)
    _settled_accessible(phone)
    phone.locator("#row-1").evaluate("el => el.scrollIntoView({behavior: 'instant'})")
    screenshot(phone, "multirow-pasted-phone")

    # Check: the known person's row asks what it is, nothing is saved yet.
    phone.get_by_role("button", name="Check and save").tap()
    question = phone.locator("#row-2-decision")
    question.wait_for()
    assert not event.enrolments.exists()
    assert phone.get_by_label("Full name, row 1", exact=True).input_value() == "Жаңабаев Ерасыл"
    _no_sideways_scroll(phone)
    _settled_accessible(phone)
    question.evaluate("el => el.scrollIntoView({behavior: 'instant'})")
    screenshot(phone, "multirow-duplicate-phone")
    question.get_by_label("Use the existing person:").check()
    phone.get_by_role("button", name="Check and save").tap()

    # The event page: the message and everyone on the roster, the known person once.
    phone.locator(
        ".messages .alert",
        has_text="3 people added to the event. 1 of them was already registered.",
    ).wait_for()
    roster = phone.locator("section.event-roster")
    for name in ("Жаңабаев Ерасыл", "Сапарова Гүлшат", known.full_name):
        assert roster.get_by_role("link", name=name, exact=True).count() == 1
    assert Participant.objects.filter(name_normalised=known.name_normalised).count() == 1
    _no_sideways_scroll(phone)
    _settled_accessible(phone)

    # On a laptop the same page is a table: column headers, the labels read out only.
    login(page, "coord.mangystau")
    page.goto(page.base + reverse("participants:roster_many", args=[event.pk]))
    table = page.locator("table.multirow-table")
    assert table.locator("thead").is_visible()
    assert table.locator("tbody tr.multirow-row").count() == 10
    page.get_by_label("Full name, row 1", exact=True).fill("Ахметов Бауыржан")
    # The column header says it: the label is read out, not shown (a 1 px clipped box).
    assert page.locator("label[for=id_rows-0-full_name]").bounding_box()["width"] <= 1
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    _settled_accessible(page)
    screenshot(page, "multirow-desktop")
