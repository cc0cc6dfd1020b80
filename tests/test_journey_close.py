"""The quarterly close in a real browser, in Russian (issue 17): the Mangystau coordinator submits
2024 Q3 past its warnings, programme staff return it with a comment, the coordinator reads it
and submits again, staff approve it, and the coordinator then finds the quarter's event locked,
with the reason in Russian. axe-core runs on the close pages."""

from __future__ import annotations

import pytest
from django.utils import translation

from .browser_fixtures import assert_accessible, screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "demo-pass-123"


def ru(text: str) -> str:
    with translation.override("ru"):
        return translation.gettext(text)


@pytest.fixture
def russian(desktop_in):
    """A desktop page whose browser asks for Russian (Accept-Language: ru)."""
    return lambda: desktop_in("ru-RU")


def log_in(page, username: str) -> None:
    page.goto(page.base + "/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name=ru("Log in")).click()


def open_quarter(page, programme_id: int, region_id: int) -> None:
    page.goto(page.base + f"/close/{programme_id}/2024Q3/{region_id}/")
    assert page.locator("html").get_attribute("lang") == "ru"


def test_a_quarter_is_submitted_returned_approved_and_locked_in_russian(russian, demo):
    from regions.models import Region
    from trainings.models import RegionQuarter, TrainingEvent

    event = TrainingEvent.objects.get(
        title__startswith="Emotional intelligence", region__code="KZ-47"
    )
    programme_id, region_id = event.programme_id, Region.objects.get(code="KZ-47").pk

    coordinator = russian()
    log_in(coordinator, "coord.mangystau")
    coordinator.goto(coordinator.base + f"/close/?programme={programme_id}&quarter=2024Q3")
    overview = coordinator.get_by_role("table", name=ru("Completeness per region"))
    screenshot(coordinator, "close-overview-ru")
    mangystau = Region.objects.get(code="KZ-47").name_ru
    with coordinator.expect_navigation():
        overview.get_by_role("link", name=mangystau).click()  # the coordinator's own region
    assert coordinator.url.endswith(f"/close/{programme_id}/2024Q3/{region_id}/")
    assert_accessible(coordinator)
    open_quarter(coordinator, programme_id, region_id)
    assert coordinator.get_by_role("heading", name=ru("Checklist")).is_visible()
    assert_accessible(coordinator)
    coordinator.get_by_label(ru("Comment for programme staff (optional)")).fill(
        "Всё проведено, отзывы собраны."
    )
    warnings = coordinator.get_by_label(
        ru("I have seen the warnings above and submit the quarter anyway")
    )
    if warnings.count():
        warnings.check()
    screenshot(coordinator, "close-region-quarter-ru")
    with coordinator.expect_navigation():
        coordinator.get_by_role("button", name=ru("Submit for approval")).click()
    submitted = ru("The quarter is submitted: programme staff will review it.")
    coordinator.get_by_text(submitted).wait_for()

    staff = russian()
    log_in(staff, "undp.staff")
    open_quarter(staff, programme_id, region_id)
    staff.get_by_label(ru("Comment (required to return the quarter)")).fill(
        "Добавьте описание квартала, пожалуйста."
    )
    screenshot(staff, "close-review-ru")
    with staff.expect_navigation():
        staff.get_by_role("button", name=ru("Return with comment")).click()
    staff.get_by_text(ru("The quarter is returned to the region with your comment.")).wait_for()

    open_quarter(coordinator, programme_id, region_id)
    assert coordinator.get_by_text("Добавьте описание квартала, пожалуйста.").is_visible()
    warnings = coordinator.get_by_label(
        ru("I have seen the warnings above and submit the quarter anyway")
    )
    if warnings.count():
        warnings.check()
    with coordinator.expect_navigation():
        coordinator.get_by_role("button", name=ru("Submit for approval")).click()

    open_quarter(staff, programme_id, region_id)
    with staff.expect_navigation():
        staff.get_by_role("button", name=ru("Approve and lock")).click()
    staff.get_by_text(ru("The quarter is approved and locked for coordinators.")).wait_for()
    assert_accessible(staff)
    assert (
        RegionQuarter.objects.get(
            programme_id=programme_id, region_id=region_id, quarter="2024Q3"
        ).status
        == "approved"
    )

    # The coordinator's event of that quarter is now locked, and the page says why, in Russian.
    coordinator.goto(coordinator.base + f"/events/{event.pk}/edit/")
    body = coordinator.locator("body").inner_text()
    assert "утверждён и заблокирован" in body, body[:500]
    screenshot(coordinator, "close-locked-ru")
    assert coordinator.locator("input[name=title]").count() == 0  # no form to change it
