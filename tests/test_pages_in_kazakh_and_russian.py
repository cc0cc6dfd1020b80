"""Every page in Kazakh and Russian, in a real browser (issue 19): no English UI string and no
US or month-first date on any page an administrator, programme staff or a coordinator reaches by
following the app's own links, starting from the dashboard, plus the public feedback form.

The scan (tests/i18n_scan.py) compares every text node and every label-like attribute with the
English msgids of our catalogue and of Django's, and with the English names of reference data
(topics, partners, programmes, indicators, regions, categories) that has a name in the page's
language, and "Day N" session titles. Pages are reached by a breadth-first walk over
same-site links (one page per URL shape: /events/12/ and /events/13/ are the same page), so a
new page is scanned without anyone listing it here. Django's own admin (/admin/, the developers'
back office) is left out: its Kazakh comes from Django's catalogue.
"""

from __future__ import annotations

import re
from collections import deque
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError

from .i18n_scan import scan
from .services import DEEP

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "demo-pass-123"
MAX_PAGES = 70
# Links the walk does not follow: leaving the session, files rather than pages, Django's admin,
# and state-changing or one-off URLs.
SKIP = re.compile(
    r"^/(logout|admin|static|media|api|i18n)/|/(download|export|files?)/|"
    r"\.(csv|xlsx|pdf|docx|xml|zip|png|svg|json)$|[?&](format|fmt|export|download)="
)


def _shape(path: str) -> str:
    """/events/12/attendance/ and /events/13/attendance/ are the same page."""
    return re.sub(r"\d+", "N", path)


def _english_reference_names(lang: str) -> frozenset[str]:
    """The original (English) names of reference data that also has a name in `lang`, and the
    English titles of untitled sessions ("Day 1"): shown on a `lang` page, they are English
    left in place of the translation."""
    from participants.models import ParticipantCategory
    from regions.models import PartnerOrganisation, Region
    from reports.models import Indicator
    from trainings.models import ActivityLine, Programme, Topic

    names: set[str] = {f"Day {n}" for n in range(1, 15)}
    for model in (Topic, Programme, ActivityLine, Indicator, PartnerOrganisation):
        for original, translated in model.objects.values_list("name", f"name_{lang}"):
            if translated and translated != original:
                names.add(original)
    for model in (Region, ParticipantCategory):
        for original, translated in model.objects.values_list("name_en", f"name_{lang}"):
            if translated and translated != original:
                names.add(original)
    return frozenset(names)


def _walk(page, starts: list[str], extra: frozenset[str] = frozenset()) -> dict[str, dict]:
    """Visit pages reachable from `starts` by same-site links; the findings per visited path."""
    base = page.base
    host = urlsplit(base).netloc
    queue = deque(starts)
    seen_shapes: set[str] = set()
    findings: dict[str, dict] = {}
    while queue and len(findings) < MAX_PAGES:
        path = queue.popleft()
        shape = _shape(urlsplit(path).path) + ("?" if urlsplit(path).query else "")
        if shape in seen_shapes:
            continue
        seen_shapes.add(shape)
        try:
            response = page.goto(base + path)
        except PlaywrightError:  # a link to a file: the browser starts a download
            continue
        if (
            response is None
            or response.status >= 400
            or "text/html" not in (response.headers.get("content-type", ""))
        ):
            continue
        findings[path] = scan(page, extra)
        hrefs = page.eval_on_selector_all("a[href]", "els => els.map(e => e.href)")
        for href in hrefs:
            parts = urlsplit(href)
            if parts.netloc != host or not parts.path.startswith("/"):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            if SKIP.search(target) or target.startswith("/login"):
                continue
            if _shape(parts.path) + ("?" if parts.query else "") not in seen_shapes:
                queue.append(target)
    return findings


def _log_in(page, username: str) -> None:
    page.goto(page.base + "/login/")
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(PASSWORD)
    with page.expect_navigation():
        page.locator("form button[type=submit]").first.click()


def _report(findings: dict[str, dict], lang: str) -> tuple[list[str], list[str]]:
    english = [
        f"{path}: {', '.join(repr(t) for t in f['english'])}"
        for path, f in findings.items()
        if f["english"]
    ]
    dates = [f"{path}: {f['dates']}" for path, f in findings.items() if f["dates"]]
    # A page asked for in another language (the trilingual paper form's ?lang=kk) is scanned
    # in its own language; every other page follows the browser's.
    wrong = {p: f["lang"] for p, f in findings.items() if f["lang"] != lang and "lang=" not in p}
    assert not wrong, wrong
    return english, dates


def _starts(username: str, lang: str) -> list[str]:
    """The dashboard, plus pages the walk would only reach through a form: the progress page,
    a built report in the page's language, the quarter close of Mangystau's 2024 Q3."""
    from datetime import date

    from accounts.models import User
    from regions.models import Region
    from reports.models import ReportRun
    from reports.services import run_report
    from trainings.models import Programme

    mangystau = Region.objects.get(code="KZ-47")
    run = ReportRun.objects.create(
        requested_by=User.objects.get(username=username),
        period_label="2024Q3",
        period_start=date(2024, 7, 1),
        period_end=date(2024, 9, 30),
        formats=["xlsx"],
        language=lang,
        programme=Programme.objects.order_by("pk").first(),
    )
    run.regions.set([mangystau])
    assert run_report(run.pk).status == ReportRun.Status.DONE
    programme = run.programme_id
    return [
        "/",
        "/on-track/",
        f"/reports/{run.pk}/",
        f"/close/{programme}/2024Q3/{mangystau.pk}/",
        "/audit/",
        "/audit/security/",
    ]


# Each role once and each language at least once: the pages are the same views and templates in
# either language, so a coordinator's pages are walked in Kazakh only (their Russian strings
# are those staff's Russian walk meets, and tests/test_translations.py fails on any string
# without a Russian translation). QADAM_DEEP_TESTS=1 walks the coordinator in Russian too.
WALKS = [("admin", "kk"), ("undp.staff", "ru"), ("coord.mangystau", "kk")]
if DEEP:
    WALKS.append(("coord.mangystau", "ru"))


@pytest.mark.parametrize("username,lang", WALKS)
def test_no_english_and_day_first_dates_on_every_page(desktop_in, demo, username, lang):
    page = desktop_in({"kk": "kk-KZ", "ru": "ru-RU"}[lang])
    _log_in(page, username)
    findings = _walk(page, _starts(username, lang), _english_reference_names(lang))
    # The walk reached the app, not only the dashboard: events, people, reports and the public
    # feedback form (through the event's link).
    assert len(findings) >= 30, sorted(findings)
    for prefix in ("/events/", "/people/", "/reports/", "/close/", "/f/"):
        assert any(path.startswith(prefix) for path in findings), prefix
    english, dates = _report(findings, lang)
    assert not english, f"English on {lang} pages:\n" + "\n".join(english)
    assert not dates, f"US or month-first dates on {lang} pages:\n" + "\n".join(dates)
    # Dates are there, and written day first.
    assert any(f["day_first"] for f in findings.values())
