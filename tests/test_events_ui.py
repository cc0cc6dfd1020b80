"""Coordinators log trainings in the browser: the event list (filters, search, sorting,
pagination), the create/edit forms, the status flow planned -> held -> reported, deletion, and
scoping (other regions are 404, viewers read only)."""

from __future__ import annotations

import datetime as dt
import html

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import SecurityEvent, User
from accounts.scope import scope_for
from participants.models import Assessment, Attendance, Enrolment, Feedback
from regions.models import District
from trainings.models import ActivityLine, Programme, Session, TrainingEvent
from trainings.selectors import can_edit_event, event_summary

from .factories import EnrolmentFactory, EventFactory, ParticipantFactory, region

pytestmark = pytest.mark.django_db

LIST = reverse("trainings:event_list")


def text(response) -> str:
    return html.unescape(response.content.decode())


def titles(response) -> list[str]:
    return [e.title for e in response.context["page"].object_list]


def aktau_training() -> TrainingEvent:
    return TrainingEvent.objects.get(title__startswith="Preventing youth", region__code="KZ-47")


def planned_event(**kwargs) -> TrainingEvent:
    kwargs.setdefault("region", region("KZ-47"))
    kwargs.setdefault("status", TrainingEvent.Status.PLANNED)
    event = EventFactory(**kwargs)
    Session.objects.create(event=event, date=event.start_date, title="Day 1")
    return event


def attend(event: TrainingEvent, n: int = 1) -> None:
    session = event.sessions.first()
    for _ in range(n):
        Attendance.objects.create(enrolment=EnrolmentFactory(event=event), session=session)


# The list -------------------------------------------------------------------------------
def test_list_filters_by_region_status_type_and_period(client, login_as):
    login_as("undp.staff")
    kyzylorda = titles(client.get(LIST, {"region": "KZ-43"}))
    assert kyzylorda and all("(Kyzylorda)" in t for t in kyzylorda)
    assert titles(client.get(LIST, {"status": "planned"})) == [
        "Follow-up workshop for theologians and YRC staff (Beyneu)"
    ]
    assert titles(client.get(LIST, {"type": "camp"})) == ["Youth Camp for NEET young people at SDU"]
    # The period keeps events that overlap it: 20-21 August.
    overlapping = set(titles(client.get(LIST, {"from": "2024-08-20", "to": "2024-08-21"})))
    assert overlapping == {
        "Youth Camp for NEET young people at SDU",
        "Preventing youth radicalisation: training for akimat and YRC staff (Kyzylorda)",
    }
    beyneu = District.objects.get(name_en="Beyneu District")
    assert titles(client.get(LIST, {"district": beyneu.pk})) == [
        "Follow-up workshop for theologians and YRC staff (Beyneu)"
    ]
    programme = Programme.objects.get(code="PVE-KZ-JP")
    assert len(titles(client.get(LIST, {"programme": programme.pk}))) == 6


def test_search_finds_title_and_venue(client, login_as):
    login_as("undp.staff")
    assert titles(client.get(LIST, {"q": "Korkyt"})) == [
        "Preventing youth radicalisation: training for akimat and YRC staff (Kyzylorda)"
    ]
    assert len(titles(client.get(LIST, {"q": "police"}))) == 2
    response = client.get(LIST, {"q": "no such event"})
    assert "No events match these filters." in text(response)


def test_sorting_by_title_date_region_status_and_people(client, login_as):
    login_as("undp.staff")
    by_title = titles(client.get(LIST, {"sort": "title"}))
    assert by_title == sorted(by_title)
    assert titles(client.get(LIST, {"sort": "-title"})) == list(reversed(by_title))
    by_date = [e.start_date for e in client.get(LIST, {"sort": "date"}).context["page"]]
    assert by_date == sorted(by_date)
    regions = [e.region.code for e in client.get(LIST, {"sort": "region"}).context["page"]]
    assert regions == sorted(regions)
    statuses = [e.status for e in client.get(LIST, {"sort": "status"}).context["page"]]
    assert statuses == sorted(statuses)
    people = [e.n_enrolled for e in client.get(LIST, {"sort": "-people"}).context["page"]]
    assert people == sorted(people, reverse=True) and people[0] > 0
    # The default: newest first; an unknown sort falls back to it.
    assert titles(client.get(LIST, {"sort": "nonsense"}))[0].startswith("Follow-up workshop")


def test_people_counts_are_the_roster_sizes(client, login_as):
    login_as("undp.staff")
    page = client.get(LIST).context["page"]
    for event in page:
        assert event.n_enrolled == Enrolment.objects.filter(event=event).count()


def test_pagination_keeps_the_filters(client, login_as):
    for i in range(30):
        EventFactory(title=f"Paged workshop {i:02}", region=region("KZ-47"))
    login_as("coord.mangystau")
    first = client.get(LIST, {"q": "Paged", "sort": "title"})
    assert len(first.context["page"].object_list) == 25
    assert "q=Paged&amp;sort=title&amp;page=2" in first.content.decode()
    second = client.get(LIST, {"q": "Paged", "sort": "title", "page": 2})
    assert titles(second) == [f"Paged workshop {i:02}" for i in range(25, 30)]


def test_coordinator_filters_only_offer_their_regions(client, login_as):
    login_as("coord.kyzylorda")
    response = client.get(LIST)
    form = response.context["filters"].form
    assert [r.code for r in form.fields["region"].queryset] == ["KZ-43"]
    assert {d.region.code for d in form.fields["district"].queryset} == {"KZ-43"}
    assert all("(Kyzylorda)" in t for t in titles(response))
    # Asking for another region shows nothing of it.
    response = client.get(LIST, {"region": "KZ-47"})
    assert response.context["filters"].form.errors["region"]
    assert not any("Aktau" in t for t in titles(response))


def test_list_query_count_does_not_grow_with_events_and_people(
    client, login_as, django_assert_max_num_queries
):
    login_as("coord.mangystau")
    urls = [LIST, LIST + "?sort=-people", LIST + "?region=KZ-47&status=held&q=a"]
    with CaptureQueriesContext(connection) as ctx:
        for url in urls:
            assert client.get(url).status_code == 200
    baseline = len(ctx.captured_queries)

    kz47 = region("KZ-47")
    for i in range(40):
        event = EventFactory(title=f"Grown {i} a", region=kz47, status=TrainingEvent.Status.HELD)
        Enrolment.objects.bulk_create(
            Enrolment(event=event, participant=ParticipantFactory()) for _ in range(3)
        )
    with django_assert_max_num_queries(baseline):
        for url in urls:
            assert client.get(url).status_code == 200


def test_export_links_carry_the_filters(client, login_as):
    login_as("coord.mangystau")
    content = client.get(LIST, {"status": "held", "q": "police"}).content.decode()
    assert reverse("imports:export_events", args=["csv"]) + "?status=held&amp;q=police" in content


def test_export_uses_the_same_filters(client, login_as):
    login_as("undp.staff")
    response = client.get(
        reverse("imports:export_events", args=["csv"]), {"type": "camp", "from": "2024-08-01"}
    )
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "Youth Camp" in body and "police" not in body


# Create and edit ------------------------------------------------------------------------
def form_data(**overrides) -> dict:
    kz47 = region("KZ-47")
    data = {
        "title": "Media literacy for YRC staff",
        "event_type": "workshop",
        "programme": Programme.objects.get(code="PVE-KZ-JP").pk,
        "activity_line": ActivityLine.objects.get(code="1.1").pk,
        "start_date": "2025-03-10",
        "end_date": "2025-03-11",
        "region": kz47.pk,
        "district": District.objects.get(name_en="Zhanaozen").pk,
        "venue": "Zhanaozen YRC",
        "modality": "in_person",
        "planned_participants": "25",
        "description": "",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_coordinator_creates_an_event_in_their_region(client, login_as):
    login_as("coord.mangystau")
    assert client.get(reverse("trainings:event_create")).status_code == 200
    from trainings.models import Facilitator, Topic

    topics = list(Topic.objects.values_list("pk", flat=True)[:2])
    facilitator = Facilitator.objects.first()
    response = client.post(
        reverse("trainings:event_create"),
        form_data(topics=topics, facilitators=[facilitator.pk]),
        follow=True,
    )
    event = TrainingEvent.objects.get(title="Media literacy for YRC staff")
    assert response.redirect_chain[-1][0] == event.get_absolute_url()
    assert "created" in text(response)
    assert event.status == TrainingEvent.Status.PLANNED
    assert event.created_by.username == "coord.mangystau"
    assert sorted(event.topics.values_list("pk", flat=True)) == sorted(topics)
    assert list(event.facilitators.all()) == [facilitator]


def test_end_date_before_start_is_refused_and_input_kept(client, login_as):
    login_as("coord.mangystau")
    response = client.post(
        reverse("trainings:event_create"),
        form_data(start_date="2025-03-10", end_date="2025-03-09"),
    )
    assert response.status_code == 200
    page = text(response)
    assert "The end date cannot be before the start date." in page
    assert page.count("The end date cannot be before the start date.") == 1
    assert "Please correct the errors below." in page
    assert 'value="Media literacy for YRC staff"' in page
    assert not TrainingEvent.objects.filter(title="Media literacy for YRC staff").exists()


def test_district_must_belong_to_the_region(client, login_as):
    login_as("undp.staff")
    kyzylorda_district = District.objects.get(name_en="Aral District")
    response = client.post(
        reverse("trainings:event_create"), form_data(district=kyzylorda_district.pk)
    )
    assert response.status_code == 200
    assert "Aral District is not in Mangystau Region." in text(response)
    assert not TrainingEvent.objects.filter(title="Media literacy for YRC staff").exists()


def test_region_outside_the_coordinators_scope_is_refused(client, login_as):
    login_as("coord.mangystau")
    response = client.post(
        reverse("trainings:event_create"),
        form_data(
            region=region("KZ-43").pk, district=District.objects.get(name_en="Aral District").pk
        ),
    )
    assert response.status_code == 200
    page = text(response)
    assert "This region is outside the regions you work in: choose one of yours." in page
    assert "This district or city is outside the regions you work in." in page
    assert not TrainingEvent.objects.filter(title="Media literacy for YRC staff").exists()
    # The region picker offers only their own region.
    form = client.get(reverse("trainings:event_create")).context["form"]
    assert [r.code for r in form.fields["region"].queryset] == ["KZ-47"]


def test_coordinator_edits_their_event(client, login_as):
    event = planned_event(title="Before")
    login_as("coord.mangystau")
    url = reverse("trainings:event_edit", args=[event.pk])
    page = client.get(url)
    assert page.status_code == 200 and 'value="Before"' in page.content.decode()
    data = form_data(title="After", start_date="2024-08-13", end_date="2024-08-15")
    response = client.post(url, data, follow=True)
    event.refresh_from_db()
    assert event.title == "After" and event.district.name_en == "Zhanaozen"
    assert "saved" in text(response)


def test_edit_cannot_leave_sessions_outside_the_dates(client, login_as):
    event = planned_event()  # 13-15 Aug with a session on the 13th
    login_as("coord.mangystau")
    response = client.post(
        reverse("trainings:event_edit", args=[event.pk]),
        form_data(title=event.title, start_date="2024-08-14", end_date="2024-08-15"),
    )
    assert response.status_code == 200
    assert "Sessions on 2024-08-13 fall outside these dates" in text(response)
    event.refresh_from_db()
    assert event.start_date == dt.date(2024, 8, 13)


def test_viewer_sees_events_but_cannot_edit(client, login_as):
    event = aktau_training()
    login_as("viewer")
    detail = client.get(event.get_absolute_url())
    assert detail.status_code == 200
    page = detail.content.decode()
    assert reverse("trainings:event_edit", args=[event.pk]) not in page
    assert reverse("trainings:event_mark_reported", args=[event.pk]) not in page
    assert reverse("trainings:event_create") not in client.get(LIST).content.decode()
    assert client.get(reverse("trainings:event_create")).status_code == 403
    assert client.post(reverse("trainings:event_create"), form_data()).status_code == 403
    assert client.post(reverse("trainings:event_edit", args=[event.pk]), {}).status_code == 403
    for name in ("event_mark_held", "event_mark_reported", "event_unlock", "event_delete"):
        assert client.post(reverse(f"trainings:{name}", args=[event.pk])).status_code == 403


def test_other_regions_coordinator_gets_404_everywhere(client, login_as):
    event = aktau_training()
    login_as("coord.kyzylorda")
    for name in ("event_detail", "event_edit", "event_delete", "event_sessions"):
        assert client.get(reverse(f"trainings:{name}", args=[event.pk])).status_code == 404
    for name in (
        "event_edit",
        "event_delete",
        "event_mark_held",
        "event_mark_reported",
        "event_unlock",
        "sessions_per_day",
        "event_sessions",
    ):
        assert client.post(reverse(f"trainings:{name}", args=[event.pk])).status_code == 404
    event.refresh_from_db()
    assert event.status == TrainingEvent.Status.HELD


# Status flow ------------------------------------------------------------------------------
def test_event_without_attendance_cannot_be_marked_held(client, login_as):
    event = planned_event()
    EnrolmentFactory(event=event)  # on the roster, but nobody marked present
    login_as("coord.mangystau")
    response = client.post(reverse("trainings:event_mark_held", args=[event.pk]), follow=True)
    assert "This event has no attendance recorded yet." in text(response)
    event.refresh_from_db()
    assert event.status == TrainingEvent.Status.PLANNED


def test_status_flow_and_the_lock(client, login_as):
    event = planned_event()
    attend(event, 2)
    coordinator = User.objects.get(username="coord.mangystau")
    login_as("coord.mangystau")
    client.post(reverse("trainings:event_mark_held", args=[event.pk]))
    event.refresh_from_db()
    assert event.status == TrainingEvent.Status.HELD

    response = client.post(reverse("trainings:event_mark_reported", args=[event.pk]), follow=True)
    assert "marked as reported" in text(response)
    event.refresh_from_db()
    assert event.status == TrainingEvent.Status.REPORTED
    assert not can_edit_event(scope_for(coordinator), event)
    assert event.history.first().history_user == coordinator

    # Locked for the coordinator: edit and sessions send them back with a message.
    for name in ("event_edit", "event_sessions", "event_delete"):
        response = client.get(reverse(f"trainings:{name}", args=[event.pk]), follow=True)
        assert response.redirect_chain[-1][0] == event.get_absolute_url()
        assert "reported and locked" in text(response)
    response = client.post(reverse("trainings:sessions_per_day", args=[event.pk]))
    assert response.status_code == 302 and event.sessions.count() == 1
    detail = client.get(event.get_absolute_url()).content.decode()
    assert reverse("trainings:event_edit", args=[event.pk]) not in detail
    assert client.post(reverse("trainings:event_unlock", args=[event.pk])).status_code == 403

    # Programme staff unlock it (back to held); the coordinator can edit again.
    staff = User.objects.get(username="undp.staff")
    assert can_edit_event(scope_for(staff), event)
    login_as("undp.staff")
    response = client.post(
        reverse("trainings:event_unlock", args=[event.pk]),
        {"reason": "Two attendance sheets were missing"},
        follow=True,
    )
    assert "unlocked" in text(response)
    event.refresh_from_db()
    assert event.status == TrainingEvent.Status.HELD
    assert can_edit_event(scope_for(coordinator), event)

    actions = list(
        SecurityEvent.objects.filter(detail__event_id=event.pk)
        .order_by("at", "pk")
        .values_list("username", "detail__action")
    )
    assert actions == [
        ("coord.mangystau", "event_held"),
        ("coord.mangystau", "event_reported"),
        ("undp.staff", "event_unlocked"),
    ]
    unlocked = SecurityEvent.objects.get(detail__event_id=event.pk, detail__action="event_unlocked")
    assert unlocked.detail["reason"] == "Two attendance sheets were missing"


def test_status_changes_are_post_only(client, login_as):
    event = aktau_training()
    login_as("coord.mangystau")
    for name in ("event_mark_held", "event_unlock"):
        assert client.get(reverse(f"trainings:{name}", args=[event.pk])).status_code == 405
    # GET on "mark as reported" is its confirmation page: it changes nothing.
    status = TrainingEvent.objects.get(pk=event.pk).status
    assert client.get(reverse("trainings:event_mark_reported", args=[event.pk])).status_code == 200
    assert TrainingEvent.objects.get(pk=event.pk).status == status


def test_marking_reported_asks_for_confirmation_and_says_what_it_locks(client, login_as):
    event = planned_event()
    attend(event, 2)
    TrainingEvent.objects.filter(pk=event.pk).update(status=TrainingEvent.Status.HELD)
    login_as("coord.mangystau")
    detail = text(client.get(event.get_absolute_url()))
    confirm_url = reverse("trainings:event_mark_reported", args=[event.pk])
    assert f'href="{confirm_url}"' in detail  # a link to the confirmation, not a one-click form
    page = text(client.get(confirm_url))
    assert "its roster of 2 people" in page and "2 attendance records" in page
    assert "Programme staff can still correct it" in page
    event.refresh_from_db()
    assert event.status == TrainingEvent.Status.HELD
    client.post(confirm_url)
    event.refresh_from_db()
    assert event.status == TrainingEvent.Status.REPORTED


def test_only_a_held_event_can_be_reported(client, login_as):
    event = planned_event()
    login_as("coord.mangystau")
    response = client.post(reverse("trainings:event_mark_reported", args=[event.pk]), follow=True)
    assert "Only a held event can be marked as reported." in text(response)
    event.refresh_from_db()
    assert event.status == TrainingEvent.Status.PLANNED


# Delete -----------------------------------------------------------------------------------
def test_planned_event_without_attendance_is_deleted_after_confirmation(client, login_as):
    event = planned_event(title="Cancelled workshop")
    login_as("coord.mangystau")
    url = reverse("trainings:event_delete", args=[event.pk])
    confirm = client.get(url)
    assert "Delete the event" in text(confirm)
    assert TrainingEvent.objects.filter(pk=event.pk).exists()
    response = client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == LIST
    assert "deleted" in text(response)
    assert not TrainingEvent.objects.filter(pk=event.pk).exists()


def test_event_with_attendance_or_held_is_not_deleted(client, login_as):
    planned = planned_event()
    attend(planned)
    held = aktau_training()
    login_as("coord.mangystau")
    page = text(client.get(reverse("trainings:event_delete", args=[planned.pk])))
    assert "Attendance has been recorded for this event, so it cannot be deleted." in page
    assert "Delete the event" not in page
    response = client.post(reverse("trainings:event_delete", args=[held.pk]), follow=True)
    assert "Only a planned event can be deleted" in text(response)
    assert TrainingEvent.objects.filter(pk__in=[planned.pk, held.pk]).count() == 2


# The event's page -------------------------------------------------------------------------
def test_event_page_summarises_attendance_feedback_and_scores(client, login_as):
    event = planned_event()
    second = Session.objects.create(event=event, date=event.end_date, title="Day 3")
    enrolments = [EnrolmentFactory(event=event) for _ in range(4)]
    for e in enrolments[:3]:
        Attendance.objects.create(enrolment=e, session=event.sessions.first())
    Attendance.objects.create(enrolment=enrolments[0], session=second)
    for e, score in zip(enrolments[:2], (4, 5), strict=True):
        Feedback.objects.create(
            event=event,
            enrolment=e,
            satisfaction=score,
            relevance=score,
            usefulness=3,
            intent_to_apply=5,
            source="paper",
            comments="Useful" if score == 5 else "",
            consent_to_quote=True,
        )
    Assessment.objects.create(enrolment=enrolments[0], pre_score=40, post_score=70)
    Assessment.objects.create(enrolment=enrolments[1], pre_score=50, post_score=60)
    Assessment.objects.create(enrolment=enrolments[2], pre_score=55)

    summary = event_summary(event)
    assert (summary.n_enrolled, summary.n_attended, summary.attendance_rate) == (4, 3, 75)
    assert [s.n_present for s in summary.sessions] == [3, 1]
    assert summary.feedback["n"] == 2 and summary.feedback["avg_satisfaction"] == 4.5
    assert summary.feedback["n_quotable"] == 1
    assert summary.scores["n"] == 2 and summary.scores["n_pre"] == 3
    assert float(summary.scores["avg_gain"]) == 20.0

    login_as("coord.mangystau")
    page = text(client.get(event.get_absolute_url()))
    assert "Present at least once" in page and "3 (75%)" in page
    assert "Knowledge gain (points)" in page and "45.0 → 65.0" in page
    assert 'id="event-roster"' in page or "Roster" in page


def test_event_page_shows_the_feedback_link_and_qr_code_before_the_roster(client, login_as):
    """The link and its QR code are shown to the room during the event: on a 104-person event
    they come before the details and the roster, not eleven phone screens down."""
    event = planned_event()
    for _ in range(104):
        EnrolmentFactory(event=event)
    login_as("coord.mangystau")
    page = text(client.get(event.get_absolute_url()))
    qr = reverse("participants:event_feedback_qr", args=[event.pk])
    feedback, roster = page.index('id="event-feedback"'), page.index('id="roster-heading"')
    assert f'src="{qr}"' in page and feedback < page.index(f'src="{qr}"') < roster
    assert feedback < page.index(">Type<") < roster
    assert "Roster: 104 people" in page


def test_viewer_sees_no_feedback_link_or_qr_code(client, login_as):
    event = planned_event()
    login_as("viewer")
    page = text(client.get(event.get_absolute_url()))
    assert 'id="event-feedback"' in page
    assert reverse("participants:event_feedback_qr", args=[event.pk]) not in page


def test_can_edit_event_rule_for_every_role():
    """The one rule other apps ask before their own edits (roster, attendance, feedback)."""
    event = aktau_training()
    scopes = {
        name: scope_for(User.objects.get(username=name))
        for name in ("viewer", "coord.mangystau", "coord.kyzylorda", "undp.staff", "admin")
    }
    expected = {
        "viewer": False,
        "coord.mangystau": True,
        "coord.kyzylorda": False,
        "undp.staff": True,
        "admin": True,
    }
    assert {n: can_edit_event(s, event) for n, s in scopes.items()} == expected
    event.status = TrainingEvent.Status.REPORTED
    expected["coord.mangystau"] = False  # locked once reported
    assert {n: can_edit_event(s, event) for n, s in scopes.items()} == expected


def test_sorting_by_people_reads_the_stored_roster_sizes_kept_current_by_each_commit(
    client, login_as, django_capture_on_commit_callbacks
):
    """Sorted by people, the list orders by the roster sizes the summaries keep (one row per
    event) instead of counting every event's roster, and a committed enrolment moves it."""
    login_as("undp.staff")

    def listed() -> list[tuple[int, int]]:
        page = client.get(LIST, {"sort": "-people"}).context["page"]
        return [(event.pk, event.n_enrolled) for event in page]

    with CaptureQueriesContext(connection) as ctx:
        rows = listed()
    assert rows == [(pk, Enrolment.objects.filter(event_id=pk).count()) for pk, _n in rows]
    assert [n for _pk, n in rows] == sorted((n for _pk, n in rows), reverse=True)
    listing = [q["sql"] for q in ctx.captured_queries if "ORDER BY" in q["sql"]]
    assert any("participants_eventfigures" in sql for sql in listing)
    assert not any("participants_enrolment" in sql for sql in listing)

    smallest = TrainingEvent.objects.filter(status="held").order_by("pk").first()
    target = rows[0][1] + 1 - Enrolment.objects.filter(event=smallest).count()
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(target):
            EnrolmentFactory(event=smallest, participant=ParticipantFactory())
    assert listed()[0] == (smallest.pk, rows[0][1] + 1)
