"""The coordinator's whole event in a real browser (Chromium via Playwright): create the event,
its sessions, the roster, attendance (which makes it held), scores, collect feedback on a phone
and see the dashboard change. axe-core runs on every page; the screenshots feed
docs/user-guide.md."""

import re
from datetime import date

import pytest

from .browser_fixtures import _check_csp, _new_page, assert_accessible, login, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

TITLE = "Preventing youth radicalisation: follow-up in Beyneu"
START, END = date(2024, 9, 10), date(2024, 9, 12)  # three days in the demo's quarter (2024 Q3)
NEW_PEOPLE = [  # name, sex, birth year, category
    ("Жаңабаев Ерасыл", "M", "1994", "Youth Resource Center staff"),
    ("Өтегенова Ақбота", "F", "1990", "Akimat staff"),
    ("Құдайбергенов Мақсат", "M", "1987", "Theologian"),
    ("Сапарова Гүлшат", "F", "1996", "Youth Resource Center staff"),
]


def _stat(page, stat_id: str) -> int:
    return int(page.locator(f"#{stat_id}").inner_text().replace(",", "").replace("\u00a0", ""))


def _feedback_answers(page) -> int:
    """The number of answers in the label of the dashboard's satisfaction figure."""
    label = page.locator("#stat-satisfaction + div").inner_text()
    return int(re.search(r"(\d+) answers?\)", label).group(1))


def _dashboard_numbers(page) -> dict:
    return {
        "held": _stat(page, "stat-held"),
        "reached": _stat(page, "stat-reached"),
        "feedback": _feedback_answers(page),
        "period": page.locator("#period-title").inner_text(),
    }


def _expect_message(page, text: str) -> None:
    page.locator(".messages .alert", has_text=text).first.wait_for()


def _add_found(page, n: int, already: int) -> None:
    """Press "Add" on the first `n` people listed by the registry search, one after the other,
    waiting each time for the row to say "Added" and the roster below to grow."""
    results = page.locator("#search-results")
    for i in range(n):
        results.locator("form button", has_text="Add").first.click()
        results.locator(".badge", has_text="Added").nth(i).wait_for()
        page.locator("#roster-list h2", has_text=f"On the roster: {already + i + 1} ").wait_for()


def _wait_for_focus(page, element_id: str) -> None:
    """htmx moves the focus (autofocus) once the swapped content has settled."""
    page.wait_for_function(f"document.activeElement?.id === {element_id!r}", timeout=5000)


def _settled_accessible(page) -> None:
    """axe once the CSS transitions are over (the link just clicked is still under the mouse,
    its hover colours fading in: half-way they would not be the colours anyone reads)."""
    page.wait_for_function("document.getAnimations().length === 0", timeout=5000)
    assert_accessible(page)


def _register_new(page, name, sex, born, category, *, duplicate=False) -> None:
    """Search the registry for `name`, open "Register a new person" from the results (inline,
    below the search, on the same page) and fill the form; with `duplicate`, expect the
    likely-duplicate warning and create anyway."""
    search = page.get_by_label("Search the registry")
    search.fill(name)
    results = page.locator("#search-results")
    if duplicate:  # the namesake is listed, but the coordinator knows it is somebody else
        results.locator("li", has_text=name).wait_for()
    else:
        results.get_by_text(f"Nobody in the registry matches “{name}”").wait_for()
    results.locator("a", has_text="Register a new person").click()
    panel = page.get_by_role("region", name="Register a new person")
    panel.get_by_label("Full name").wait_for()
    assert re.search(r"/roster/add/$", page.url)  # no new page: the form opened in place
    _wait_for_focus(page, "id_full_name")
    assert panel.get_by_label("Full name").input_value() == name
    if duplicate:  # once is enough: the roster page with the form open
        _settled_accessible(page)
    panel.get_by_label("Sex").select_option(sex)
    panel.get_by_label("Birth year").fill(born)
    panel.get_by_label("Category").select_option(label=category)
    panel.get_by_label("Organisation", exact=True).select_option(label="Beyneu akimat")
    panel.get_by_label("The person agreed to the processing of their personal data").check()
    panel.get_by_role("button", name="Register and add").click()
    if duplicate:
        warning = panel.locator("#likely-duplicates")
        warning.wait_for()
        assert warning.get_by_text("This person may already be in the registry").is_visible()
        _wait_for_focus(page, "likely-duplicates")
        assert panel.get_by_label("Full name").input_value() == name
        _settled_accessible(page)
        # The picture for the guide: the search, and below it the form with the warning.
        page.locator("#roster-search").evaluate("el => el.scrollIntoView({behavior: 'instant'})")
        screenshot(page, "journey-duplicate-warning")
        panel.get_by_role("button", name="It is somebody else: create anyway").click()
    page.locator(
        "#new-person [role=status]", has_text=f"{name} is registered and on the roster"
    ).wait_for()
    assert re.search(r"/roster/add/$", page.url)
    # Ready for the next person: the search box is empty and has the focus.
    _wait_for_focus(page, "id_q")
    assert search.input_value() == ""


def test_coordinator_runs_an_event_from_form_to_dashboard(page, phone, demo, settings):
    """Issue 4's story: a Mangystau coordinator creates a 3-day event in Beyneu, adds 25
    people, marks attendance, enters scores, marks it held; a participant answers the feedback
    form on a phone in Kazakh; the dashboard's figures move accordingly."""
    from playwright.sync_api import expect

    from participants.models import Assessment, Attendance, Enrolment, Feedback, Participant
    from trainings.models import TrainingEvent

    settings.FEEDBACK_MIN_FILL_SECONDS = 0  # the anti-bot timer: this participant types fast

    # The dashboard before.
    login(page, "coord.mangystau")
    assert_accessible(page)
    before = _dashboard_numbers(page)
    assert "2024 Q3" in before["period"]

    # 1. The event form.
    page.get_by_role("link", name="Events", exact=True).first.click()
    page.get_by_role("link", name="Add an event").first.click()
    page.wait_for_url("**/events/new/")
    page.get_by_label("Title").fill(TITLE)
    page.get_by_label("Activity line").select_option(label="1.1 PVE training for youth workers")
    page.get_by_label("Start date").fill(START.isoformat())
    page.get_by_label("End date").fill(END.isoformat())
    assert (
        page.get_by_label("Region").locator("option:checked").inner_text().startswith("Mangystau")
    )
    page.get_by_label("District or city").select_option(label="Beyneu District")
    page.get_by_label("Venue").fill("Beyneu, district akimat, hall 2")
    page.get_by_label("Planned participants").fill("25")
    assert_accessible(page)
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "journey-event-form")
    page.get_by_role("button", name="Add the event").click()
    page.wait_for_url(re.compile(r"/events/\d+/$"))
    _expect_message(page, f"Event “{TITLE}” created.")
    assert page.get_by_role("heading", level=1).inner_text() == TITLE
    assert page.locator(".badge", has_text="Planned").is_visible()
    assert_accessible(page)
    event = TrainingEvent.objects.get(title=TITLE)
    assert (event.region.code, event.district.name_en) == ("KZ-47", "Beyneu District")
    event_url = page.url

    # 2. One session per day, in one click.
    page.locator(".event-actions").get_by_role("link", name="Sessions").click()
    page.get_by_role("button", name="One session per day (3 days)").click()
    _expect_message(page, "3 sessions added, one per day.")
    sessions = page.get_by_role("list", name="Sessions of the event").locator("li")
    assert sessions.count() == 3
    for n in (1, 2, 3):
        assert f"Day {n}" in sessions.nth(n - 1).inner_text()
    assert_accessible(page)
    screenshot(page, "journey-sessions")

    # 3. The roster: 20 people found in the registry, 5 registered new (one a namesake).
    page.get_by_role("link", name="Back to the event").click()
    page.locator(".event-actions").get_by_role("link", name="Add people").click()
    page.wait_for_url(re.compile(r"/roster/add/$"))
    theologian = Participant.objects.get(region__code="KZ-47", district__name_en="Beyneu District")
    page.get_by_label("Search the registry").press_sequentially(theologian.full_name, delay=15)
    page.locator("#search-results li", has_text=theologian.full_name).wait_for()
    assert_accessible(page)
    _add_found(page, 1, already=0)
    page.get_by_label("Search the registry").fill("Youth Resource Center of Mangystau")
    page.locator("#search-results li").nth(10).wait_for()
    assert page.locator("#search-results li").count() == 11
    _add_found(page, 11, already=1)
    page.get_by_label("Search the registry").fill("Police Department of Mangystau")
    page.locator("#search-results li").nth(19).wait_for()
    _add_found(page, 8, already=12)
    for name, sex, born, category in NEW_PEOPLE:
        _register_new(page, name, sex, born, category)
    namesake = (
        Participant.objects.filter(region__code="KZ-47", category__code="neet")
        .exclude(enrolments__event=event)
        .order_by("pk")
        .first()
    )
    _register_new(
        page,
        namesake.full_name,
        namesake.sex,
        str(namesake.birth_year),
        "Akimat staff",
        duplicate=True,
    )
    page.locator("#roster-list h2", has_text="On the roster: 25 people").wait_for()
    assert Participant.objects.filter(name_normalised=namesake.name_normalised).count() == 2
    assert_accessible(page)

    # The dashboard will count as newly reached those on this roster who attended no
    # Mangystau session earlier in the quarter: the five new people (the twenty from the
    # registry came to the August trainings in Aktau).
    roster_ids = set(Enrolment.objects.filter(event=event).values_list("participant", flat=True))
    reached_earlier = set(
        Attendance.objects.filter(
            session__event__region__code="KZ-47",
            session__date__range=(date(2024, 7, 1), date(2024, 9, 30)),
        ).values_list("enrolment__participant", flat=True)
    )
    newly_reached = len(roster_ids - reached_earlier)
    assert newly_reached == len(NEW_PEOPLE) + 1

    # 4. Attendance, on the coordinator's phone: "All present" per day, then three absences.
    login(phone, "coord.mangystau")
    phone.goto(event_url)
    phone.locator(".event-actions").get_by_role("link", name="Attendance").tap()
    phone.wait_for_url(re.compile(r"/attendance/$"))
    assert_accessible(phone)
    day_ids = list(event.sessions.order_by("date").values_list("pk", flat=True))
    # A phone shows one day's column at a time: pick the day, then "All present" for it.
    for session_pk in day_ids:
        phone.get_by_label("Session shown").select_option(str(session_pk))
        phone.locator(f"#all-present-{session_pk}").tap()
        phone.wait_for_function(
            f"document.getElementById('count-{session_pk}').textContent.trim() === '25'"
        )
    absent = list(
        Enrolment.objects.filter(event=event).order_by("participant__full_name", "pk")[:3]
    )
    absences = [(absent[0], day_ids[1]), (absent[1], day_ids[1]), (absent[2], day_ids[2])]
    present = dict.fromkeys(day_ids, 25)
    for enrolment, session_pk in absences:
        phone.get_by_label("Session shown").select_option(str(session_pk))
        phone.locator(f"#a-{enrolment.pk}-{session_pk}").tap()
        present[session_pk] -= 1
        phone.wait_for_function(
            f"document.getElementById('count-{session_pk}').textContent.trim()"
            f" === '{present[session_pk]}'"
        )
        assert not phone.locator(f"#a-{enrolment.pk}-{session_pk}").is_checked()
    counts = [phone.locator(f"#count-{pk}").inner_text() for pk in day_ids]
    assert counts == ["25", "23", "24"]
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(phone)
    screenshot(phone, "journey-attendance-phone")

    # 5. Pre/post scores from the paper tests.
    page.goto(event_url)
    page.get_by_role("link", name="Pre/post test scores").click()
    page.wait_for_url(re.compile(r"/scores/$"))
    rows = page.locator("table.scores-grid tbody tr")
    assert rows.count() == 25
    for i in range(25):
        inputs = rows.nth(i).locator("input.score-input")
        inputs.nth(0).fill(str(40 + i))
        inputs.nth(1).fill(f"{60 + i},5")
    assert_accessible(page)
    page.evaluate("window.scrollTo(0, 0)")
    screenshot(page, "journey-scores")
    page.get_by_role("button", name="Save scores").click()
    _expect_message(page, "Scores saved: 25 updated, 0 removed.")
    assert rows.nth(0).locator("input.score-input").nth(1).input_value() == "60.50"

    # 6. The attendance of its past days made the event held (docs/decisions/0010).
    page.goto(event_url)
    assert page.locator(".badge", has_text="Held").is_visible()
    assert page.get_by_role("button", name="Mark as held").count() == 0
    summary = page.locator(".event-summary")
    assert summary.locator("dt:has-text('People on the roster') + dd").inner_text() == "25"
    assert summary.locator("dt:has-text('Pre/post tests (both scores)') + dd").inner_text() == "25"
    assert_accessible(page)
    feedback_url = page.locator("#event-feedback a.text-break").get_attribute("href")

    # 7. A participant answers on a phone, in Kazakh (a fresh phone: not the coordinator's).
    participant, watched = _new_page(
        phone.context.browser,
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        has_touch=True,
    )
    form = watched.page
    try:
        form.goto(feedback_url)
        form.get_by_role("link", name="Қазақша").tap()
        expect(form.locator("html")).to_have_attribute("lang", "kk")
        form.wait_for_load_state()
        assert form.get_by_role("heading", level=1).inner_text() == "Сіздің пікіріңіз"
        assert form.evaluate("document.documentElement.scrollWidth") <= 360
        assert_accessible(form)
        screenshot(form, "journey-feedback-kk-phone")
        for name in ("satisfaction", "relevance", "usefulness", "intent_to_apply"):
            form.locator(f"label[for=id_{name}_4]").tap()
        form.locator("#id_most_useful").fill("Қауіп белгілерін тану")
        with form.expect_navigation():
            form.locator("button[type=submit]").tap()
        assert "/thanks/" in form.url
        assert form.evaluate("document.documentElement.lang") == "kk"
    finally:
        participant.close()
    _check_csp(watched)

    # 8. The dashboard after.
    page.get_by_role("link", name="Dashboard", exact=True).click()
    page.wait_for_load_state()
    after = _dashboard_numbers(page)
    assert after["period"] == before["period"]
    assert after["held"] == before["held"] + 1
    assert after["feedback"] == before["feedback"] + 1
    assert after["reached"] == before["reached"] + newly_reached
    assert_accessible(page)
    screenshot(page, "journey-dashboard-after")

    # What is stored.
    event.refresh_from_db()
    assert event.status == TrainingEvent.Status.HELD
    assert event.sessions.count() == 3
    assert Enrolment.objects.filter(event=event).count() == 25
    assert Attendance.objects.filter(session__event=event).count() == 25 * 3 - len(absences)
    for enrolment, session_pk in absences:
        assert not Attendance.objects.filter(enrolment=enrolment, session_id=session_pk).exists()
    assert Assessment.objects.filter(enrolment__event=event, post_score__isnull=False).count() == 25
    feedback = Feedback.objects.get(event=event)
    assert (feedback.language, feedback.satisfaction) == ("kk", 5)


# A date field whose day, month and year are fixed by min = max (a one-day event's session)
# gets one more Tab stop: its calendar button, inside the field, so the field itself is not
# :focus and no page style applies.
PICKER_BUTTON_FOCUSED = (
    "(el => el.matches('input[type=date], input[type=time]') && !el.matches(':focus'))"
    "(document.activeElement)"
)


def _tab_to(page, predicate: str, limit: int = 60) -> None:
    """Press Tab until the focused element satisfies the JS predicate `el => ...`; check that
    every focus stop is visibly outlined (as in test_journeys.py)."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement === document.body"):
            continue  # focus left the document (browser chrome) and comes back next
        if page.evaluate(PICKER_BUTTON_FOCUSED):
            continue  # Chromium draws its own focus ring on a date field's calendar button
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        box_shadow = page.evaluate("getComputedStyle(document.activeElement).boxShadow")
        assert outline != "none" or box_shadow != "none", page.evaluate(
            "document.activeElement.outerHTML"
        )
        if page.evaluate(f"({predicate})(document.activeElement)"):
            return
    raise AssertionError(f"no focusable element matching {predicate}")


def _tab_to_text(page, text: str) -> None:
    _tab_to(page, f"el => el.textContent.trim() === {text!r}")


def test_coordinator_creates_an_event_and_marks_attendance_by_keyboard_only(page, demo):
    """Tab, Enter and Space (and typing into fields) only: log in, add a one-day event, its
    session, two people, then mark attendance with "All present" and one checkbox."""
    from participants.models import Attendance, Participant
    from trainings.models import TrainingEvent

    people = list(  # the first two listed when searching for their organisation
        Participant.objects.filter(
            organisation__name="Youth Resource Center of Mangystau"
        ).order_by("full_name", "pk")[:2]
    )
    page.goto(page.base + "/login/")
    _tab_to(page, "el => el.name === 'username'")
    page.keyboard.type("coord.mangystau")
    page.keyboard.press("Tab")
    page.keyboard.type("demo-pass-123")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    _tab_to_text(page, "Events")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    _tab_to_text(page, "Add an event")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    _tab_to(page, "el => el.name === 'title'")
    page.keyboard.type("Keyboard-only workshop (Beyneu)")
    # 9 September: the same digits whether the date field reads dd/mm or mm/dd.
    _tab_to(page, "el => el.name === 'start_date'")
    page.keyboard.type("09092024")
    _tab_to(page, "el => el.name === 'end_date'")
    page.keyboard.type("09092024")
    assert page.locator("#id_end_date").input_value() == "2024-09-09"
    _tab_to_text(page, "Add the event")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert re.search(r"/events/\d+/$", page.url)
    event = TrainingEvent.objects.get(title="Keyboard-only workshop (Beyneu)")

    _tab_to(page, "el => el.textContent.trim() === 'Sessions' && el.tagName === 'A'")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    _tab_to_text(page, "One session per day (1 day)")
    with page.expect_navigation():
        page.keyboard.press("Space")
    assert event.sessions.count() == 1
    session = event.sessions.get()

    _tab_to_text(page, "Back to the event")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    _tab_to_text(page, "Add people")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    _tab_to(page, "el => el.id === 'id_q'")
    page.keyboard.type("Youth Resource Center of Mangystau")
    page.locator("#search-results li", has_text=people[0].full_name).wait_for()
    _tab_to(page, f"el => el.id === 'add-{people[0].pk}'")
    for n, person in enumerate(people, start=1):
        assert page.evaluate(f"document.activeElement.id === 'add-{person.pk}'")
        page.keyboard.press("Enter")
        page.locator("#roster-list h2", has_text=f"On the roster: {n} ").wait_for()
        # The button became "Added" and keeps the focus, so Tab goes on to the next person.
        assert page.evaluate(
            f"document.activeElement.id === 'add-{person.pk}'"
            " && document.activeElement.textContent.trim() === 'Added'"
        )
        page.keyboard.press("Tab")

    _tab_to_text(page, "Record attendance")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    _tab_to(page, "el => el.textContent.trim().startsWith('All present')")
    page.keyboard.press("Enter")
    page.wait_for_function(
        f"document.getElementById('count-{session.pk}').textContent.trim() === '2'"
    )
    # Let htmx finish the swap (it puts the focus back after settling): a Tab pressed before
    # that would be undone, and Space would press "All present" again.
    page.wait_for_function(
        "!document.querySelector('.htmx-request, .htmx-swapping, .htmx-settling')"
    )
    # The grid was redrawn: the keyboard stays where it was, on the same button.
    assert page.evaluate("document.activeElement.textContent.trim().startsWith('All present')")
    first = event.enrolments.order_by("participant__full_name", "pk").first()
    _tab_to(page, f"el => el.id === 'a-{first.pk}-{session.pk}'")
    page.keyboard.press("Space")
    page.wait_for_function(
        f"document.getElementById('count-{session.pk}').textContent.trim() === '1'"
    )
    assert page.evaluate(f"document.activeElement.id === 'a-{first.pk}-{session.pk}'")
    assert not page.locator(f"#a-{first.pk}-{session.pk}").is_checked()
    assert list(Attendance.objects.filter(session=session).values_list("enrolment", flat=True)) == [
        e.pk for e in event.enrolments.exclude(pk=first.pk)
    ]
