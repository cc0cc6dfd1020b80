"""Real-browser fixtures: Debian's Chromium driven by Playwright against the live server.

Tests using these are marked `browser` (skipped with a reason when no Chromium/playwright is
present, failing under CI=true: see tests/services.py) and
`django_db(transaction=True)` with the `demo` fixture, because the
live server runs in another thread and only sees committed data.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from .services import CHROMIUM

AXE_PATH = Path(__file__).parent / "data" / "axe-core" / "axe.min.js"
# The user guide's screenshots are refreshed on demand (UPDATE_SCREENSHOTS=1): an ordinary test
# run still takes them (rendering is exercised) but keeps the checkout clean.
SCREENSHOTS = (
    Path(__file__).resolve().parent.parent / "docs" / "screenshots"
    if os.environ.get("UPDATE_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "qadam-screenshots"
)
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session."""
    from playwright.sync_api import sync_playwright

    # The live server thread and Playwright's sync API both touch the event loop machinery;
    # Django refuses ORM calls from a thread with a running loop unless told otherwise.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Watched:
    """A page plus the Content-Security-Policy violations its console reported."""

    def __init__(self, page):
        self.page = page
        self.csp_errors: list[str] = []
        page.on("console", self._console)

    def _console(self, msg) -> None:
        if msg.type == "error" and "Content Security Policy" in msg.text:
            self.csp_errors.append(msg.text)


def _new_page(browser, **options):
    # bypass_csp lets the tests inject axe-core (test tooling, not app code). CSP violations
    # are still reported on the console, so the guard in `_check_csp` keeps working.
    context = browser.new_context(bypass_csp=True, locale="en-GB", **options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    return context, Watched(page)


def _check_csp(watched: Watched) -> None:
    assert not watched.csp_errors, "Content-Security-Policy violations:\n" + "\n".join(
        watched.csp_errors
    )


@pytest.fixture
def page(browser, live_server):
    """A desktop page (1280x800); fails the test on any console CSP violation."""
    context, watched = _new_page(browser, viewport={"width": 1280, "height": 800})
    watched.page.base = live_server.url
    yield watched.page
    context.close()
    _check_csp(watched)


@pytest.fixture
def phone(browser, live_server):
    """A 360x740 touch phone viewport."""
    context, watched = _new_page(
        browser, viewport={"width": 360, "height": 740}, is_mobile=True, has_touch=True
    )
    watched.page.base = live_server.url
    yield watched.page
    context.close()
    _check_csp(watched)


@pytest.fixture
def desktop_in(browser, live_server):
    """Opens desktop pages (1280x800) whose browser asks for a language: `desktop_in("ru-RU")`;
    each may open several (two users side by side). CSP violations fail the test."""
    contexts = []

    def open_page(locale: str):
        context = browser.new_context(
            bypass_csp=True, locale=locale, viewport={"width": 1280, "height": 800}
        )
        context.set_default_timeout(15_000)
        watched = Watched(context.new_page())
        watched.page.base = live_server.url
        contexts.append((context, watched))
        return watched.page

    yield open_page
    for context, watched in contexts:
        context.close()
        _check_csp(watched)


def assert_accessible(page) -> None:
    """Run axe-core (WCAG 2.0/2.1 A and AA) on the page; fail on serious or critical findings."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_PATH.read_text(encoding="utf-8"))
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", AXE_TAGS
    )
    bad = [v for v in result["violations"] if v["impact"] in ("serious", "critical")]
    lines = [
        f"{v['id']} ({v['impact']}): {v['help']} -> "
        + ", ".join(" ".join(n["target"]) for n in v["nodes"][:5])
        for v in bad
    ]
    assert not bad, f"axe on {page.url}:\n" + "\n".join(lines)


def screenshot(page, name: str) -> None:
    """Save a viewport-size PNG for the user guide."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def login(page, username: str, password: str = "demo-pass-123") -> None:
    """Log in through the login form, as a user would."""
    page.goto(page.base + "/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
