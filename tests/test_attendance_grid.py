"""The attendance grid of an event: people x sessions, one tap per cell with htmx, a plain form
with checkboxes and Save without JavaScript, "all present" per session, counts per session."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from participants.models import Attendance
from participants.services import record_attendance
from tests.factories import EnrolmentFactory, EventFactory, SessionFactory, region
from trainings.models import TrainingEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    """A Mangystau event with two sessions and three people on the roster."""
    event = EventFactory(region=region("KZ-47"), status=TrainingEvent.Status.HELD)
    SessionFactory(event=event, title="Day 1")
    SessionFactory(event=event, title="Day 2")
    for name in ("Айжан", "Болат", "Вадим"):
        EnrolmentFactory(event=event, participant__full_name=f"{name} Тестов")
    return event


def _ids(event):
    enrolments = list(event.enrolments.order_by("participant__full_name"))
    sessions = list(event.sessions.order_by("pk"))
    return enrolments, sessions


def _present(event) -> set[tuple[int, int]]:
    return set(
        Attendance.objects.filter(session__event=event).values_list("enrolment_id", "session_id")
    )


def test_grid_shows_people_by_sessions_with_counts(client, login_as, event):
    enrolments, sessions = _ids(event)
    record_attendance(enrolment=enrolments[0], session=sessions[0])
    login_as("coord.mangystau")
    response = client.get(reverse("participants:attendance_grid", args=[event.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    grid = response.context["grid"]
    assert [row.enrolment for row in grid.rows] == enrolments
    assert grid.session_counts == [(sessions[0], 1), (sessions[1], 0)]
    assert html.count('type="checkbox"') == 6
    assert html.count(" checked") == 1
    assert f'id="count-{sessions[0].pk}">1<' in html
    # Usable at 360 px: the table scrolls sideways and the names stay in view.
    assert "table-responsive attendance-grid" in html and 'class="sticky-col' in html
    # Each checkbox has a label naming the person and the session.
    assert f'for="a-{enrolments[0].pk}-{sessions[0].pk}"' in html
    # Works without JavaScript: a form posting to the grid with a Save button.
    assert f'action="{reverse("participants:attendance_grid", args=[event.pk])}"' in html


def test_one_tap_with_htmx_saves_and_returns_the_cell_and_the_count(client, login_as, event):
    enrolments, sessions = _ids(event)
    e, s = enrolments[1], sessions[0]
    login_as("coord.mangystau")
    url = reverse("participants:attendance_toggle", args=[event.pk])
    # htmx sends the grid form (the ticked boxes as p=..., the rows and sessions it shows as
    # hidden fields) plus the cell's enrolment and session.
    shown = {
        "shown_enrolment": [x.pk for x in enrolments],
        "shown_session": [x.pk for x in sessions],
    }
    response = client.post(
        url,
        {"enrolment": e.pk, "session": s.pk, "p": [f"{e.pk}-{s.pk}"], **shown},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith("<td") and " checked" in html
    assert f'<span id="count-{s.pk}" hx-swap-oob="true">1</span>' in html
    assert _present(event) == {(e.pk, s.pk)}

    # Untick: no p for this cell any more.
    response = client.post(
        url, {"enrolment": e.pk, "session": s.pk, **shown}, HTTP_HX_REQUEST="true"
    )
    assert " checked" not in response.content.decode()
    assert 'hx-swap-oob="true">0</span>' in response.content.decode()
    assert _present(event) == set()


def test_plain_toggle_redirects_back_to_the_grid(client, login_as, event):
    enrolments, sessions = _ids(event)
    login_as("coord.mangystau")
    response = client.post(
        reverse("participants:attendance_toggle", args=[event.pk]),
        {"enrolment": enrolments[0].pk, "session": sessions[1].pk, "present": "1"},
    )
    assert response.status_code == 302
    assert response.url == reverse("participants:attendance_grid", args=[event.pk])
    assert _present(event) == {(enrolments[0].pk, sessions[1].pk)}


def test_plain_form_saves_exactly_the_ticked_boxes(client, login_as, event):
    enrolments, sessions = _ids(event)
    record_attendance(enrolment=enrolments[2], session=sessions[1])  # will be unticked
    login_as("coord.mangystau")
    ticked = [(enrolments[0].pk, sessions[0].pk), (enrolments[1].pk, sessions[1].pk)]
    response = client.post(
        reverse("participants:attendance_grid", args=[event.pk]),
        {
            "p": [f"{e}-{s}" for e, s in ticked] + ["junk", "999999-1"],
            # The form names the rows and sessions it showed (hidden fields).
            "shown_enrolment": [e.pk for e in enrolments],
            "shown_session": [s.pk for s in sessions],
        },
        follow=True,
    )
    assert "Attendance saved: 2 marked present, 1 marked absent." in response.content.decode()
    assert _present(event) == set(ticked)


def test_all_present_marks_the_whole_roster_for_one_session(client, login_as, event):
    enrolments, sessions = _ids(event)
    record_attendance(enrolment=enrolments[0], session=sessions[0])
    login_as("coord.mangystau")
    url = reverse("participants:attendance_all_present", args=[event.pk])
    response = client.post(url, {"session": sessions[0].pk}, follow=True)
    assert "2 more people marked present." in response.content.decode()
    assert _present(event) == {(e.pk, sessions[0].pk) for e in enrolments}

    # With htmx the refreshed grid comes back, counts included.
    response = client.post(url, {"session": sessions[1].pk}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.startswith('<div id="attendance-grid"')
    assert f'id="count-{sessions[1].pk}">3<' in html
    assert len(_present(event)) == 6


def test_search_without_javascript_shows_the_matching_rows_and_saves_only_them(
    client, login_as, event
):
    enrolments, sessions = _ids(event)
    record_attendance(enrolment=enrolments[2], session=sessions[0])
    login_as("coord.mangystau")
    url = reverse("participants:attendance_grid", args=[event.pk])
    # Typed in any case; Kazakh letters compare folded ("Болат" is found by "бoлат" too).
    response = client.get(url, {"q": "болат"})
    html = response.content.decode()
    assert [row.enrolment for row in response.context["grid"].rows] == [enrolments[1]]
    assert "1 of 3 people shown" in html and "Show everyone" in html
    assert html.count('name="shown_enrolment"') == 1
    # Saving the filtered grid leaves the people it did not show alone, and comes back to it.
    response = client.post(
        url,
        {
            "p": [f"{enrolments[1].pk}-{sessions[0].pk}"],
            "shown_enrolment": [enrolments[1].pk],
            "shown_session": [s.pk for s in sessions],
            "view_q": "болат",
            "view_session": sessions[0].pk,
        },
    )
    assert response.status_code == 302
    assert response.url == f"{url}?q=%D0%B1%D0%BE%D0%BB%D0%B0%D1%82&session={sessions[0].pk}"
    assert _present(event) == {
        (enrolments[1].pk, sessions[0].pk),
        (enrolments[2].pk, sessions[0].pk),
    }
    response = client.get(url, {"q": "Нурлан"})
    assert "Nobody on the roster has “Нурлан” in their name." in response.content.decode()
    assert 'id="attendance-form"' not in response.content.decode()


def test_a_phone_shows_the_session_picked_else_todays(client, login_as, event):
    from django.utils import timezone

    enrolments, sessions = _ids(event)
    login_as("coord.mangystau")
    url = reverse("participants:attendance_grid", args=[event.pk])

    def hidden_on_a_phone(response) -> list[int]:
        html = response.content.decode()
        return [s.pk for s in sessions if f'session-other" data-session="{s.pk}"' in html]

    response = client.get(url, {"session": sessions[1].pk})
    assert response.context["grid"].shown_session == sessions[1]
    assert hidden_on_a_phone(response) == [sessions[0].pk]
    assert 'id="grid-session"' in response.content.decode()
    # Without a pick: the first session, or today's when the event is on.
    assert client.get(url).context["grid"].shown_session == sessions[0]
    sessions[1].date = timezone.localdate()
    sessions[1].save(update_fields=["date"])
    assert client.get(url).context["grid"].shown_session == sessions[1]
    # "All present" without JavaScript comes back to the session it was pressed for.
    all_present = reverse("participants:attendance_all_present", args=[event.pk])
    response = client.post(all_present, {"session": sessions[0].pk})
    assert response.url == f"{url}?session={sessions[0].pk}"


def test_other_regions_coordinator_gets_404_and_viewer_403(client, login_as, event):
    enrolments, sessions = _ids(event)
    data = {"enrolment": enrolments[0].pk, "session": sessions[0].pk, "present": "1"}
    login_as("coord.kyzylorda")
    assert client.get(reverse("participants:attendance_grid", args=[event.pk])).status_code == 404
    toggle = reverse("participants:attendance_toggle", args=[event.pk])
    assert client.post(toggle, data).status_code == 404
    all_present = reverse("participants:attendance_all_present", args=[event.pk])
    assert client.post(all_present, {"session": sessions[0].pk}).status_code == 404
    login_as("viewer")
    assert client.get(reverse("participants:attendance_grid", args=[event.pk])).status_code == 403
    assert client.post(toggle, data).status_code == 403
    assert _present(event) == set()


def test_a_session_or_person_of_another_event_is_refused(client, login_as, event):
    other = EventFactory(region=region("KZ-47"))
    other_session = SessionFactory(event=other)
    other_enrolment = EnrolmentFactory(event=other)
    enrolments, sessions = _ids(event)
    login_as("coord.mangystau")
    toggle = reverse("participants:attendance_toggle", args=[event.pk])
    bad = [
        {"enrolment": enrolments[0].pk, "session": other_session.pk, "present": "1"},
        {"enrolment": other_enrolment.pk, "session": sessions[0].pk, "present": "1"},
    ]
    for data in bad:
        assert client.post(toggle, data).status_code == 404
    assert _present(event) == set()
    assert not Attendance.objects.filter(session=other_session).exists()


def test_reported_event_is_read_only_for_its_coordinator(client, login_as, event):
    enrolments, sessions = _ids(event)
    event.status = TrainingEvent.Status.REPORTED
    event.save()
    login_as("coord.mangystau")
    response = client.get(reverse("participants:attendance_grid", args=[event.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "This event is reported" in html
    assert html.count(" disabled") == 6
    toggle = reverse("participants:attendance_toggle", args=[event.pk])
    data = {"enrolment": enrolments[0].pk, "session": sessions[0].pk, "present": "1"}
    assert client.post(toggle, data).status_code == 403
    grid = reverse("participants:attendance_grid", args=[event.pk])
    assert client.post(grid, {"p": [f"{enrolments[0].pk}-{sessions[0].pk}"]}).status_code == 403
    # Programme staff may still correct it.
    login_as("undp.staff")
    assert client.post(toggle, data).status_code == 302
    assert _present(event) == {(enrolments[0].pk, sessions[0].pk)}


def test_grid_query_count_does_not_grow_with_people(client, login_as, event):
    login_as("coord.mangystau")
    url = reverse("participants:attendance_grid", args=[event.pk])

    def count():
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    small = count()
    sessions = list(event.sessions.all())
    for _ in range(30):
        enrolment = EnrolmentFactory(event=event)
        record_attendance(enrolment=enrolment, session=sessions[0])
    assert count() == small


# In a real browser (htmx on, 360 px phone) ----------------------------------------------------


def _demo_event():
    return (
        TrainingEvent.objects.filter(region__code="KZ-47", enrolments__isnull=False)
        .exclude(status=TrainingEvent.Status.REPORTED)
        .exclude(sessions__isnull=True)
        .distinct()
        .order_by("start_date", "pk")
        .first()
    )


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_one_tap_on_a_phone_updates_the_cell_and_count(phone, demo):
    from .browser_fixtures import assert_accessible, login, screenshot

    event = _demo_event()
    Attendance.objects.filter(session__event=event).delete()
    enrolment = event.enrolments.order_by("participant__full_name", "pk").first()
    session = event.sessions.order_by("date", "start_time", "pk").first()
    login(phone, "coord.mangystau")
    phone.goto(phone.base + reverse("participants:attendance_grid", args=[event.pk]))
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(phone)
    box = phone.locator(f"#a-{enrolment.pk}-{session.pk}")
    box.tap()
    phone.wait_for_function(
        f"document.getElementById('count-{session.pk}').textContent.trim() === '1'"
    )
    screenshot(phone, "attendance-phone")
    assert phone.locator(f"#a-{enrolment.pk}-{session.pk}").is_checked()
    assert Attendance.objects.filter(enrolment=enrolment, session=session).exists()
    # The name column stays in view when the grid scrolls sideways.
    phone.locator("#attendance-grid").evaluate("el => el.scrollLeft = 400")
    name = phone.locator("tbody th.sticky-col").first.bounding_box()
    assert name is not None and name["x"] < 40

    # "All present" for the session refreshes the grid and its count.
    phone.get_by_role("button", name="All present").first.tap()
    n = event.enrolments.count()
    phone.wait_for_function(
        f"document.getElementById('count-{session.pk}').textContent.trim() === '{n}'"
    )
    assert Attendance.objects.filter(session=session).count() == n


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_search_as_you_type_and_add_to_the_roster(page, demo):
    from participants.models import Enrolment, Participant

    from .browser_fixtures import assert_accessible, login, screenshot

    event = _demo_event()
    person = (
        Participant.objects.filter(region__code="KZ-47")
        .exclude(enrolments__event=event)
        .order_by("pk")
        .first()
    )
    login(page, "coord.mangystau")
    page.goto(page.base + reverse("participants:roster_add", args=[event.pk]))
    page.get_by_label("Search the registry").press_sequentially(person.full_name, delay=20)
    result = page.locator("#search-results li", has_text=person.full_name).first
    result.wait_for()
    assert_accessible(page)
    screenshot(page, "roster-add")
    result.get_by_role("button", name="Add").click()
    page.locator("#search-results .badge", has_text="Added").first.wait_for()
    page.locator("#roster-list", has_text=person.full_name).wait_for()
    assert Enrolment.objects.filter(event=event, participant=person).exists()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_104_person_event_on_a_360px_phone(phone, demo):
    """Search the roster, one session per screen, the session header in view while scrolling
    down a hundred names, "All present" for the session picked."""
    from .browser_fixtures import assert_accessible, login, screenshot

    event = EventFactory(region=region("KZ-47"), status=TrainingEvent.Status.PLANNED)
    sessions = [SessionFactory(event=event, title=f"Day {n}") for n in (1, 2, 3)]
    for n in range(103):
        EnrolmentFactory(event=event, participant__full_name=f"Тестова Айгүл {n:03}")
    kairat = EnrolmentFactory(event=event, participant__full_name="Қайратов Ерлан")
    login(phone, "coord.mangystau")
    phone.goto(phone.base + reverse("participants:attendance_grid", args=[event.pk]))
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert phone.locator("tbody tr").count() == 104

    def visible_sessions() -> list[int]:
        return [
            s.pk for s in sessions if phone.locator(f"thead [data-session='{s.pk}']").is_visible()
        ]

    # One session column on the screen; the picker switches it without a page load.
    assert visible_sessions() == [sessions[0].pk]
    phone.get_by_label("Session shown").select_option(str(sessions[1].pk))
    assert visible_sessions() == [sessions[1].pk]
    assert phone.locator(f"#a-{kairat.pk}-{sessions[1].pk}").is_visible()
    assert not phone.locator(f"#a-{kairat.pk}-{sessions[0].pk}").is_visible()
    assert_accessible(phone)

    # The header stays at the top of the grid while a hundred names scroll under it.
    grid = phone.locator("#attendance-grid")
    grid.evaluate("el => el.scrollTop = el.scrollHeight")
    head = phone.locator(f"thead [data-session='{sessions[1].pk}']").bounding_box()
    box = grid.bounding_box()
    assert head and box and abs(head["y"] - box["y"]) < 2
    grid.evaluate("el => el.scrollTop = 0")

    # Finding a name as one types (Kazakh letters folded: "кайратов" finds "Қайратов").
    phone.get_by_label("Find a name").fill("кайратов")
    assert phone.locator("tbody tr:visible").count() == 1
    phone.locator("#grid-filter-status", has_text="1 of 104 people shown").wait_for()
    phone.locator(f"#a-{kairat.pk}-{sessions[1].pk}").tap()
    phone.wait_for_function(
        f"document.getElementById('count-{sessions[1].pk}').textContent.trim() === '1'"
    )
    screenshot(phone, "attendance-phone-search")

    # "All present" for the session shown: everyone, the filter and the pick kept after.
    phone.locator(f"#all-present-{sessions[1].pk}").tap()
    phone.wait_for_function(
        f"document.getElementById('count-{sessions[1].pk}').textContent.trim() === '104'"
    )
    assert Attendance.objects.filter(session=sessions[1]).count() == 104
    phone.wait_for_function("document.querySelectorAll('tbody tr:not([hidden])').length === 1")
    assert visible_sessions() == [sessions[1].pk]
    phone.get_by_label("Find a name").fill("")
    assert phone.locator("tbody tr:visible").count() == 104
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(phone)
