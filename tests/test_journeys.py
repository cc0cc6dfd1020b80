"""User journeys in a real browser (Chromium via Playwright) with axe-core on every page."""

import re

import pytest

from .browser_fixtures import assert_accessible, login, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]


def test_coordinator_sees_dashboard_events_and_an_event(page, demo):
    """A regional coordinator logs in, reads the dashboard, opens the event list and an event."""
    login(page, "coord.mangystau")
    assert page.url.rstrip("/") == page.base
    assert_accessible(page)
    screenshot(page, "dashboard")

    page.get_by_role("link", name="Events", exact=True).first.click()
    page.wait_for_load_state()
    assert "/events/" in page.url
    assert_accessible(page)
    screenshot(page, "event-list")

    page.locator("main table a").first.click()
    page.wait_for_load_state()
    assert re.search(r"/events/\d+/$", page.url)
    assert_accessible(page)
    screenshot(page, "event-detail")


def test_login_page_on_a_phone(phone, demo):
    """The login page works at 360 px: no horizontal overflow, accessible, and logs in."""
    phone.goto(phone.base + "/login/")
    assert_accessible(phone)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    screenshot(phone, "login-phone")
    login(phone, "coord.kyzylorda")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(phone)


def test_admin_creates_a_coordinator_who_cannot_open_another_region(page, demo):
    """An administrator creates a Mangystau coordinator; that coordinator gets a 404 page for
    a Kyzylorda event."""
    from trainings.models import TrainingEvent

    other = TrainingEvent.objects.filter(region__code="KZ-43").first()
    login(page, "admin")
    page.get_by_role("button", name="Manage").click()
    page.get_by_role("link", name="Users", exact=True).click()
    page.wait_for_load_state()
    assert_accessible(page)
    screenshot(page, "users")
    page.goto(page.base + "/users/new/")
    assert_accessible(page)
    page.get_by_label("Username").fill("coord.new")
    page.get_by_label("Role").select_option("coordinator")
    page.get_by_label(re.compile("Mangystau")).check()
    page.get_by_label("Initial password", exact=True).fill("Steppe-route-2026!")
    page.get_by_label("Initial password again").fill("Steppe-route-2026!")
    screenshot(page, "user-new")
    page.locator("main form button[type=submit]").last.click()
    page.wait_for_load_state()
    assert_accessible(page)

    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()
    login(page, "coord.new", "Steppe-route-2026!")
    response = page.goto(page.base + f"/events/{other.pk}/")
    assert response.status == 404
    assert_accessible(page)


def _tab_to(page, predicate: str, limit: int = 40) -> None:
    """Press Tab until the focused element satisfies the JS predicate `el => ...`; check that
    every focus stop is visibly outlined."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement === document.body"):
            continue  # focus left the document (browser chrome) and comes back next
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        box_shadow = page.evaluate("getComputedStyle(document.activeElement).boxShadow")
        assert outline != "none" or box_shadow != "none", page.evaluate(
            "document.activeElement.outerHTML"
        )
        if page.evaluate(f"({predicate})(document.activeElement)"):
            return
    raise AssertionError(f"no focusable element matching {predicate}")


def test_coordinator_journey_by_keyboard_only(page, demo):
    """Log in and reach an event's page with Tab and Enter only, focus always visible."""
    page.goto(page.base + "/login/")
    _tab_to(page, "el => el.name === 'username'")
    page.keyboard.type("coord.mangystau")
    page.keyboard.press("Tab")
    page.keyboard.type("demo-pass-123")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.rstrip("/") == page.base

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('skip-link')")
    _tab_to(page, "el => el.textContent.trim() === 'Events'")
    page.keyboard.press("Enter")
    page.wait_for_url("**/events/")
    _tab_to(page, "el => !!el.closest('main table') && el.tagName === 'A'")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/events/\d+/$"))
    assert page.get_by_role("heading", level=1).is_visible()


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_the_menu_bar_is_one_line_at_1280px_for_an_admin(page, demo, language):
    """The admin sees the most menu items, and Kazakh and Russian labels are the longest: the
    bar still fits one line, its items grouped into drop-downs that work by keyboard."""
    login(page, "admin")
    page.context.add_cookies([{"name": "django_language", "value": language, "url": page.base}])
    page.reload()
    assert page.locator("html").get_attribute("lang") == language
    nav = page.get_by_role("navigation", name=re.compile("."))
    bar = page.locator("nav.navbar")
    height = bar.evaluate("el => el.getBoundingClientRect().height")
    assert height < 64, f"the menu bar is {height}px high in {language}"
    tops = bar.evaluate(
        "el => [...el.querySelectorAll('.navbar-brand, .navbar-nav > .nav-item, form button')]"
        ".map(e => Math.round(e.getBoundingClientRect().top))"
    )
    assert max(tops) - min(tops) < 16, tops
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    screenshot(page, f"menu-{language}")
    # Keyboard: focus the Manage menu's button, open it with Enter, its first item gets focus
    # with the arrow key, Escape closes it.
    toggle = nav.locator("#nav-manage")
    toggle.focus()
    page.keyboard.press("Enter")
    menu = page.locator("#nav-manage + .dropdown-menu")
    menu.wait_for(state="visible")
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.classList.contains('dropdown-item')")
    assert_accessible(page)
    page.keyboard.press("Escape")
    menu.wait_for(state="hidden")
