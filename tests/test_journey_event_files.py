"""Files and photos on an event in a real browser: a coordinator on a 360 px phone adds a photo
(htmx swaps the section in place), and an admin uploads the donor's logo; axe on each page."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from trainings.models import EventFile, TrainingEvent

from .browser_fixtures import assert_accessible, login
from .factories import EventFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _jpeg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (800, 600), (40, 120, 200)).save(out, "JPEG")
    return out.getvalue()


def _wait_for_htmx(page) -> None:
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


def test_coordinator_adds_a_photo_on_a_phone(phone, demo):
    programme = TrainingEvent.objects.filter(region__code="KZ-47").first().programme
    event = EventFactory(programme=programme, title="Workshop for YRC staff, Aktau")
    login(phone, "coord.mangystau")
    phone.goto(phone.base + event.get_absolute_url())
    assert_accessible(phone)

    section = phone.locator("#files")
    section.get_by_text("Add a file or photo").click()
    section.get_by_label("What it is").select_option("photo")
    section.get_by_label("File").set_input_files(
        {"name": "group.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}
    )
    section.get_by_label("Caption (optional)").fill("Group exercise")
    section.get_by_role("button", name="Upload").click()
    phone.locator("#files img").wait_for()
    _wait_for_htmx(phone)

    # htmx swapped the section in place: its message is inside it, not at the page's top.
    assert section.get_by_text("“group.jpg” added.").is_visible()
    assert EventFile.objects.filter(event=event, caption="Group exercise").exists()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(phone)


def test_admin_uploads_the_donors_logo(phone, demo):
    login(phone, "admin")
    phone.goto(phone.base + "/manage/report-logos/")
    assert_accessible(phone)
    donor = phone.locator("section", has_text="Donor")
    donor.get_by_label("Name").fill("Government of Japan")
    donor.get_by_label("Image (PNG, JPEG or WebP)").set_input_files(
        {"name": "japan.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}
    )
    with phone.expect_navigation():
        donor.get_by_role("button", name="Upload the logo").click()
    assert phone.get_by_alt_text("Logo of Government of Japan").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(phone)
