"""Attendance with no connection, in a real browser (issue 20, ADR 0018): the coordinator opens
an event's attendance grid online (the service worker installs and keeps it), loses the
connection, ticks three boxes, sees "3 changes not sent yet", reloads the page still offline
(it comes from the service worker and the queue is still there), and when the connection
returns the queue drains and the server has those three changes exactly once. A tap on an
event locked in the meantime comes back refused, with the reason, and can be discarded."""

import pytest
from playwright.sync_api import expect

from .browser_fixtures import _check_csp, _new_page, assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _event(title: str):
    from tests.factories import EnrolmentFactory, EventFactory, SessionFactory, region
    from trainings.models import TrainingEvent

    event = EventFactory(title=title, region=region("KZ-47"), status=TrainingEvent.Status.HELD)
    SessionFactory(event=event, title="Day 1")
    SessionFactory(event=event, title="Day 2")
    for name in ("Айжан", "Болат", "Вадим"):
        EnrolmentFactory(event=event, participant__full_name=f"{name} Офлайнова")
    return event


def _cells(event) -> list[str]:
    """The boxes of the first session (the column a 360 px phone shows), one per person."""
    first = event.sessions.order_by("date", "pk").first()
    return [f"#a-{e.pk}-{first.pk}" for e in event.enrolments.order_by("pk")]


def _open_and_keep(page, url: str) -> None:
    """Open a grid online and wait until the service worker controls it and has kept it."""
    page.goto(url)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function(
        "async () => !!navigator.serviceWorker.controller && !!(await caches.match(location.href))"
    )


@pytest.fixture
def offline_page(browser, live_server):
    # The project's contexts (bypass_csp, for axe-core) with service workers allowed, as by
    # default: the worker installs and serves under them.
    context, watched = _new_page(
        browser, viewport={"width": 360, "height": 740}, service_workers="allow"
    )
    watched.page.base = live_server.url
    yield context, watched.page
    context.close()
    _check_csp(watched)


def test_attendance_ticked_offline_reaches_the_server_once(offline_page, demo):
    from participants.models import Attendance, SyncedChange
    from trainings.models import TrainingEvent

    context, page = offline_page
    event = _event("Offline training in Beyneu")
    locked = _event("Offline training that gets locked")
    grid = f"{page.base}/people/events/{event.pk}/attendance/"
    locked_grid = f"{page.base}/people/events/{locked.pk}/attendance/"

    login(page, "coord.mangystau")
    _open_and_keep(page, locked_grid)
    _open_and_keep(page, grid)
    assert_accessible(page)

    context.set_offline(True)
    ticked = _cells(event)[:3]
    for cell in ticked:
        page.locator(cell).check()
    status = page.locator("#outbox-status")
    expect(status).to_contain_text("3 changes not sent yet")
    assert not Attendance.objects.filter(session__event=event).exists()

    # A reload with no connection: the page comes from the service worker's copy (a change
    # made on the server meanwhile is not on it), the queue stays and the ticks are shown again.
    last = event.enrolments.order_by("pk").last()
    second = event.sessions.order_by("date", "pk").last()
    Attendance.objects.create(enrolment=last, session=second)
    response = page.reload()
    assert response is not None and response.from_service_worker
    expect(page.locator(f"#a-{last.pk}-{second.pk}")).not_to_be_checked()
    expect(status).to_contain_text("3 changes not sent yet")
    for cell in ticked:
        expect(page.locator(cell)).to_be_checked()
    assert_accessible(page)

    # A tap on the other event, which programme staff report (and so lock) meanwhile.
    page.goto(locked_grid)
    first_locked = _cells(locked)[0]
    page.locator(first_locked).check()
    expect(status).to_contain_text("4 changes not sent yet")
    TrainingEvent.objects.filter(pk=locked.pk).update(status=TrainingEvent.Status.REPORTED)

    context.set_offline(False)
    refused = page.locator("#outbox-refused")
    expect(refused).to_be_visible(timeout=20_000)
    expect(refused).to_contain_text("reported and locked")
    expect(status).to_contain_text("All changes are sent.")
    expect(status).to_contain_text("Last sent at")
    expect(page.locator(first_locked)).not_to_be_checked()
    assert_accessible(page)

    present = set(
        Attendance.objects.filter(session__event=event)
        .exclude(session=second)
        .values_list("enrolment_id", "session_id")
    )
    assert {f"#a-{e}-{s}" for e, s in present} == set(ticked)
    assert not Attendance.objects.filter(session__event=locked).exists()
    # Once each: one history row per attendance, one stored key per tap.
    assert Attendance.history.filter(session__event=event).exclude(session=second).count() == 3
    assert SyncedChange.objects.filter(status="applied").count() == 3
    assert SyncedChange.objects.filter(status="refused").count() == 1

    # The refusal stays until the coordinator discards it.
    page.get_by_role("button", name="Discard").click()
    expect(refused).to_be_hidden()
    page.reload()
    expect(refused).to_be_hidden()


def test_logging_out_with_unsent_changes_warns_and_keeps_them(offline_page, demo):
    context, page = offline_page
    event = _event("Offline training before logging out")
    grid = f"{page.base}/people/events/{event.pk}/attendance/"
    login(page, "coord.mangystau")
    _open_and_keep(page, grid)
    context.set_offline(True)
    page.locator(_cells(event)[0]).check()
    expect(page.locator("#outbox-status")).to_contain_text("1 change not sent yet")

    warnings = []

    def dismiss(dialog):
        warnings.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", dismiss)
    page.get_by_role("button", name="Show menu").click()
    expect(page.locator("#main-nav.show")).to_be_visible()  # the menu has finished opening
    with page.expect_event("dialog"):
        page.get_by_role("button", name="Log out").click()
    page.wait_for_timeout(200)
    assert warnings and "not sent yet" in warnings[0]
    # Still signed in, still queued.
    expect(page.locator("#outbox-status")).to_contain_text("1 change not sent yet")


def test_the_worker_installs_under_the_apps_own_content_security_policy(browser, live_server, demo):
    """No bypass here: the policy the app sends (script-src 'self', no inline script) allows
    the worker, the manifest and the outbox."""
    from .browser_fixtures import Watched

    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    watched = Watched(context.new_page())
    page = watched.page
    page.base = live_server.url
    event = _event("Offline training under the policy")
    login(page, "coord.mangystau")
    _open_and_keep(page, f"{page.base}/people/events/{event.pk}/attendance/")
    context.set_offline(True)
    page.locator(_cells(event)[0]).check()
    expect(page.locator("#outbox-status")).to_contain_text("1 change not sent yet")
    # "All present" offline ticks and queues the session's two other boxes.
    first = event.sessions.order_by("date", "pk").first()
    page.locator(f"#all-present-{first.pk}").click()
    expect(page.locator("#outbox-status")).to_contain_text("3 changes not sent yet")
    for cell in _cells(event):
        expect(page.locator(cell)).to_be_checked()
    expect(page.locator(f"#count-{first.pk}")).to_have_text("3")
    context.set_offline(False)
    expect(page.locator("#outbox-status")).to_contain_text("All changes are sent.", timeout=20_000)
    context.close()
    _check_csp(watched)
    from participants.models import Attendance

    assert Attendance.objects.filter(session=first).count() == 3


def test_scores_entered_offline_reach_the_server_once(offline_page, demo):
    from decimal import Decimal

    from participants.models import Assessment, SyncedChange

    context, page = offline_page
    event = _event("Offline pre/post test in Beyneu")
    scores_url = f"{page.base}/people/events/{event.pk}/scores/"
    login(page, "coord.mangystau")
    _open_and_keep(page, scores_url)

    context.set_offline(True)
    page.get_by_label("Score before: Айжан Офлайнова").fill("45,5")
    page.get_by_label("Score after: Айжан Офлайнова").fill("80")
    page.get_by_label("Score before: Болат Офлайнова").fill("30")
    page.get_by_role("button", name="Save scores").click()
    status = page.locator("#outbox-status")
    expect(status).to_contain_text("2 changes not sent yet")
    assert not Assessment.objects.filter(enrolment__event=event).exists()

    # A reload with no connection: the kept page, with the queued scores put back on it.
    response = page.reload()
    assert response is not None and response.from_service_worker
    expect(status).to_contain_text("2 changes not sent yet")
    expect(page.get_by_label("Score before: Айжан Офлайнова")).to_have_value("45,5")
    expect(page.get_by_label("Score before: Болат Офлайнова")).to_have_value("30")
    assert_accessible(page)

    context.set_offline(False)
    expect(status).to_contain_text("All changes are sent.", timeout=20_000)
    got = {
        a.enrolment.participant.full_name: (a.pre_score, a.post_score)
        for a in Assessment.objects.filter(enrolment__event=event).select_related(
            "enrolment__participant"
        )
    }
    assert got == {
        "Айжан Офлайнова": (Decimal("45.50"), Decimal("80.00")),
        "Болат Офлайнова": (Decimal("30.00"), None),
    }
    # Once each: one history row per person, one stored key per row.
    assert Assessment.history.filter(enrolment__event=event).count() == 2
    assert SyncedChange.objects.filter(kind="scores", status="applied").count() == 2
    # Online again, the form posts as ever and shows the server's scores.
    page.reload()
    expect(page.get_by_label("Score after: Айжан Офлайнова")).to_have_value("80")


def test_paper_feedback_typed_in_offline_reaches_the_server_once(offline_page, demo):
    from participants.models import Feedback, SyncedChange

    context, page = offline_page
    event = _event("Offline paper feedback in Beyneu")
    entry = f"{page.base}/people/events/{event.pk}/feedback/add/"
    login(page, "coord.mangystau")
    _open_and_keep(page, entry)
    context.set_offline(True)

    def type_in(person: str = "", answer: str = "4") -> None:
        if person:
            page.get_by_label("Participant (optional)").select_option(label=person)
        for name in ("satisfaction", "relevance", "usefulness", "intent_to_apply"):
            page.locator(f"input[name={name}][value='{answer}']").check()
        page.get_by_label("What was most useful?").fill("Групповые упражнения")
        page.get_by_role("button", name="Save and type the next form").click()

    status = page.locator("#outbox-status")
    type_in()
    expect(status).to_contain_text("1 change not sent yet")
    # The form is empty again for the next paper form.
    expect(page.locator("input[name=satisfaction]:checked")).to_have_count(0)
    expect(page.get_by_label("What was most useful?")).to_have_value("")
    type_in("Болат Офлайнова", answer="5")
    expect(status).to_contain_text("2 changes not sent yet")
    # A form with an answer missing is not queued: the browser says what is missing.
    page.get_by_role("button", name="Save and type the next form").click()
    expect(status).to_contain_text("2 changes not sent yet")
    assert not Feedback.objects.filter(event=event).exists()

    response = page.reload()
    assert response is not None and response.from_service_worker
    expect(status).to_contain_text("2 changes not sent yet")
    assert_accessible(page)

    context.set_offline(False)
    expect(status).to_contain_text("All changes are sent.", timeout=20_000)
    answers = Feedback.objects.filter(event=event, source=Feedback.Source.PAPER)
    assert answers.count() == 2
    assert answers.get(enrolment__participant__full_name="Болат Офлайнова").satisfaction == 5
    assert answers.get(enrolment=None).satisfaction == 4
    assert SyncedChange.objects.filter(kind="paper_feedback", status="applied").count() == 2
    page.reload()
    expect(page.get_by_text("2 answers recorded so far.")).to_be_visible()


def _type_in_person(page, name: str, birth_year: str, organisation: str) -> None:
    """The registration page's form, as a coordinator fills it in at the venue."""
    from participants.models import ParticipantCategory

    page.get_by_label("Full name").fill(name)
    page.get_by_label("Sex").select_option("F")
    page.get_by_label("Birth year").fill(birth_year)
    page.get_by_label("Category").select_option(
        str(ParticipantCategory.objects.get(code="akimat").pk)
    )
    page.get_by_label("Organisation (as written)").fill(organisation)
    page.get_by_label("The person agreed to the processing of their personal data").check()
    page.get_by_role("button", name="Register and add").click()


def test_a_day_at_the_venue_offline_reaches_the_server_once(offline_page, demo):
    """Attendance, scores, a paper form and two new people, all with no connection; every
    page reloaded offline; back online each change is on the server once, and the new person
    who is probably already registered comes back with the likely match named, to be decided
    on the registration form filled in again."""
    from participants.models import (
        Assessment,
        Attendance,
        Enrolment,
        Feedback,
        Participant,
        SyncedChange,
    )
    from tests.factories import ParticipantFactory, region

    context, page = offline_page
    event = _event("Offline day in Beyneu")
    existing = ParticipantFactory(
        full_name="Айгуль Серикова",
        birth_year=1990,
        organisation_name="МРЦ Бейнеу",
        region=region("KZ-47"),
    )
    base = f"{page.base}/people/events/{event.pk}"
    grid, scores, paper, new = (
        f"{base}/attendance/",
        f"{base}/scores/",
        f"{base}/feedback/add/",
        f"{base}/roster/new/",
    )
    people_before = Participant.objects.count()
    login(page, "coord.mangystau")
    for url in (grid, scores, paper, new):
        _open_and_keep(page, url)

    context.set_offline(True)
    status = page.locator("#outbox-status")
    page.goto(grid)
    ticked = _cells(event)[:2]
    for cell in ticked:
        page.locator(cell).check()
    expect(status).to_contain_text("2 changes not sent yet")

    page.goto(scores)
    page.get_by_label("Score before: Айжан Офлайнова").fill("40")
    page.get_by_label("Score after: Айжан Офлайнова").fill("75")
    page.get_by_role("button", name="Save scores").click()
    expect(status).to_contain_text("3 changes not sent yet")

    page.goto(paper)
    for name in ("satisfaction", "relevance", "usefulness", "intent_to_apply"):
        page.locator(f"input[name={name}][value='5']").check()
    page.get_by_role("button", name="Save and type the next form").click()
    expect(status).to_contain_text("4 changes not sent yet")

    page.goto(new)
    expect(page.get_by_role("heading", name="Register a new person")).to_be_visible()
    _type_in_person(page, "Новая Динара", "1995", "Акимат Бейнеу")
    expect(status).to_contain_text("5 changes not sent yet")
    expect(status).to_contain_text("registered later")
    # The form is empty again for the next person (the event's region stays chosen).
    expect(page.get_by_label("Full name")).to_have_value("")
    expect(
        page.get_by_label("The person agreed to the processing of their personal data")
    ).not_to_be_checked()
    _type_in_person(page, "Серикова Айгуль", "1990", "МРЦ Бейнеу")  # probably `existing`
    expect(status).to_contain_text("6 changes not sent yet")
    # A form the browser finds incomplete (no consent) is not queued.
    page.get_by_label("Full name").fill("Без Согласия")
    page.get_by_role("button", name="Register and add").click()
    expect(status).to_contain_text("6 changes not sent yet")
    assert Participant.objects.count() == people_before
    assert_accessible(page)

    # Every page reloaded with no connection comes from the device, with the queue still there.
    for url in (new, paper, scores, grid):
        page.goto(url)
        response = page.reload()
        assert response is not None and response.from_service_worker
        expect(status).to_contain_text("6 changes not sent yet")
    for cell in ticked:
        expect(page.locator(cell)).to_be_checked()

    page.goto(new)
    context.set_offline(False)
    expect(status).to_contain_text("All changes are sent.", timeout=20_000)
    refused = page.locator("#outbox-refused")
    expect(refused).to_be_visible()
    expect(refused).to_contain_text("Серикова Айгуль may already be in the registry")
    expect(refused).to_contain_text("Айгуль Серикова (1990, Mangystau")
    assert_accessible(page)

    # Every change on the server exactly once.
    first = event.sessions.order_by("date", "pk").first()
    assert Attendance.objects.filter(session=first).count() == 2
    assert Attendance.history.filter(session__event=event).count() == 2
    assert Assessment.objects.filter(enrolment__event=event).count() == 1
    assert Feedback.objects.filter(event=event, source=Feedback.Source.PAPER).count() == 1
    assert Participant.objects.count() == people_before + 1
    dinara = Participant.objects.get(full_name="Новая Динара")
    assert Enrolment.objects.filter(participant=dinara, event=event).count() == 1
    assert not Enrolment.objects.filter(participant=existing, event=event).exists()
    assert SyncedChange.objects.filter(status="applied").count() == 5
    assert SyncedChange.objects.get(status="refused").kind == "register"

    # The coordinator decides online: the form filled in again shows the likely match, and
    # "Add this person" puts the existing record on the roster (no second record).
    page.get_by_role("link", name="Open in the registration form").click()
    expect(page.get_by_label("Full name")).to_have_value("Серикова Айгуль")
    expect(page.get_by_label("Birth year")).to_have_value("1990")
    expect(
        page.get_by_label("The person agreed to the processing of their personal data")
    ).to_be_checked()
    page.get_by_role("button", name="Register and add").click()
    expect(page.locator("#likely-duplicates")).to_contain_text("Айгуль Серикова")
    page.get_by_role("button", name="Add this person").click()
    expect(page.get_by_text("Айгуль Серикова is on the roster.")).to_be_visible()
    assert Enrolment.objects.filter(participant=existing, event=event).count() == 1
    assert Participant.objects.count() == people_before + 1

    # The refusal stays listed until it is discarded.
    page.goto(new)
    expect(refused).to_be_visible()
    page.get_by_role("button", name="Discard").click()
    expect(refused).to_be_hidden()
