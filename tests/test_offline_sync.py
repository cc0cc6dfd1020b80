"""The offline outbox's server side (ADR 0018): /offline/sync/ applies queued attendance taps in
order, through the same service and checks as the online tap, each idempotency key exactly once
per user; refusals come back with their reason."""

import json

import pytest
from django.urls import reverse

from participants.models import Assessment, Attendance, Feedback, SyncedChange
from tests.factories import EnrolmentFactory, EventFactory, SessionFactory, coordinator, region
from trainings.models import TrainingEvent

pytestmark = pytest.mark.django_db

SYNC = "/offline/sync/"


@pytest.fixture
def event():
    """A held Mangystau event with two sessions and three people on the roster."""
    event = EventFactory(region=region("KZ-47"), status=TrainingEvent.Status.HELD)
    SessionFactory(event=event, title="Day 1")
    SessionFactory(event=event, title="Day 2")
    for name in ("Айжан", "Болат", "Вадим"):
        EnrolmentFactory(event=event, participant__full_name=f"{name} Тестов")
    return event


def cells(event):
    return list(event.enrolments.order_by("pk")), list(event.sessions.order_by("pk"))


def change(key, enrolment, session, present=True):
    return {
        "key": key,
        "kind": "attendance",
        "enrolment": enrolment.pk,
        "session": session.pk,
        "present": present,
    }


def sync(client, changes):
    return client.post(SYNC, json.dumps({"changes": changes}), content_type="application/json")


def present(event) -> set[tuple[int, int]]:
    return set(
        Attendance.objects.filter(session__event=event).values_list("enrolment_id", "session_id")
    )


def test_url_is_the_named_route():
    assert reverse("offline:sync") == SYNC


def test_changes_are_applied_and_each_result_comes_back(client, login_as, event):
    (e1, e2, _e3), (s1, s2) = cells(event)
    login_as("coord.mangystau")
    response = sync(client, [change("k1", e1, s1), change("k2", e2, s2)])
    assert response.status_code == 200
    assert response.json()["results"] == [
        {"key": "k1", "status": "applied", "message": ""},
        {"key": "k2", "status": "applied", "message": ""},
    ]
    assert present(event) == {(e1.pk, s1.pk), (e2.pk, s2.pk)}
    # Audited like an online tap: the history names the user.
    attendance = Attendance.objects.get(enrolment=e1, session=s1)
    assert attendance.history.get().history_user.username == "coord.mangystau"


def test_a_repeated_key_changes_nothing_and_gets_the_same_answer(client, login_as, event):
    (e1, _e2, _e3), (s1, _s2) = cells(event)
    login_as("coord.mangystau")
    first = sync(client, [change("same", e1, s1, present=True)]).json()
    # Meanwhile someone unticks the box online; the lost answer makes the outbox send again.
    Attendance.objects.filter(enrolment=e1, session=s1).delete()
    again = sync(client, [change("same", e1, s1, present=True)]).json()
    assert again == first
    assert present(event) == set()
    assert SyncedChange.objects.filter(key="same").count() == 1


def test_changes_are_applied_in_the_order_sent(client, login_as, event):
    (e1, _e2, _e3), (s1, _s2) = cells(event)
    login_as("coord.mangystau")
    results = sync(
        client,
        [
            change("a", e1, s1, present=True),
            change("b", e1, s1, present=False),
            change("c", e1, s1, present=True),
            change("d", e1, s1, present=False),
        ],
    ).json()["results"]
    assert [r["status"] for r in results] == ["applied"] * 4
    assert present(event) == set()


def test_a_locked_event_refuses_with_the_reason(client, login_as, event):
    (e1, _e2, _e3), (s1, _s2) = cells(event)
    event.status = TrainingEvent.Status.REPORTED
    event.save()
    login_as("coord.mangystau")
    result = sync(client, [change("k", e1, s1)]).json()["results"][0]
    assert result["status"] == "refused"
    assert "reported and locked" in result["message"]
    assert present(event) == set()
    # The refusal is the key's answer too.
    assert sync(client, [change("k", e1, s1)]).json()["results"][0] == result


def test_out_of_scope_changes_are_refused_without_saying_what_exists(client, login_as, event):
    (e1, _e2, _e3), (s1, _s2) = cells(event)
    other = EventFactory(region=region("KZ-43"), status=TrainingEvent.Status.HELD)
    other_session = SessionFactory(event=other)
    other_enrolment = EnrolmentFactory(event=other)
    login_as("coord.mangystau")
    results = sync(
        client,
        [
            change("theirs", other_enrolment, other_session),
            {**change("missing", e1, s1), "enrolment": 999_999_999},
            # A session of another event with a person of this one.
            change("mixed", e1, other_session),
        ],
    ).json()["results"]
    assert [r["status"] for r in results] == ["refused"] * 3
    assert len({r["message"] for r in results}) == 1  # the same words for all three
    assert not Attendance.objects.filter(session=other_session).exists()


def test_malformed_changes_are_refused_one_by_one(client, login_as, event):
    (e1, _e2, _e3), (s1, s2) = cells(event)
    login_as("coord.mangystau")
    results = sync(
        client,
        [
            {**change("odd", e1, s1), "present": "yes"},
            {**change("kind", e1, s1), "kind": "scores"},
            "not a change",
            change("good", e1, s2),
        ],
    ).json()["results"]
    assert [r["status"] for r in results] == ["refused", "refused", "refused", "applied"]
    assert present(event) == {(e1.pk, s2.pk)}
    assert sync(client, {"changes": "x"}).status_code == 400
    bad = client.post(SYNC, "{", content_type="application/json")
    assert bad.status_code == 400


def test_viewers_are_refused(client, login_as, event):
    (e1, _e2, _e3), (s1, _s2) = cells(event)
    login_as("viewer")
    response = sync(client, [change("k", e1, s1)])
    assert response.status_code == 403
    assert present(event) == set()
    assert not SyncedChange.objects.exists()


def test_each_user_has_their_own_keys(client, login_as, event):
    (e1, _e2, _e3), (s1, _s2) = cells(event)
    login_as("coord.mangystau")
    sync(client, [change("shared-key", e1, s1, present=True)])
    other = coordinator("KZ-47")
    login_as(other)
    result = sync(client, [change("shared-key", e1, s1, present=False)]).json()["results"][0]
    # Not the first user's stored answer: the second user's change was applied.
    assert result["status"] == "applied"
    assert present(event) == set()
    assert SyncedChange.objects.filter(key="shared-key").count() == 2


def test_csrf_is_checked(login_as, event):
    from django.test import Client

    (e1, _e2, _e3), (s1, _s2) = cells(event)
    strict = login_as("coord.mangystau", client=Client(enforce_csrf_checks=True))
    assert sync(strict, [change("k", e1, s1)]).status_code == 403
    assert present(event) == set()


def test_fifty_changes_take_a_bounded_number_of_queries(
    client, login_as, django_assert_max_num_queries
):
    event = EventFactory(region=region("KZ-47"), status=TrainingEvent.Status.HELD)
    sessions = [SessionFactory(event=event) for _ in range(5)]
    enrolments = [EnrolmentFactory(event=event) for _ in range(10)]
    changes = [
        change(f"k{i}", enrolments[i % 10], sessions[i // 10], present=True) for i in range(50)
    ]
    login_as("coord.mangystau")
    # Looking things up is done once for the whole batch; each change then costs its own
    # checks and writes (savepoints, full_clean, the row, its history row, the key): about 14.
    with django_assert_max_num_queries(20 + 50 * 15):
        response = sync(client, changes)
    assert [r["status"] for r in response.json()["results"]] == ["applied"] * 50
    assert len(present(event)) == 50


# --- The app shell: service worker, manifest, the pages kept for the user ------------------


def test_the_service_worker_is_served_from_the_root_as_javascript(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript")
    assert response["Service-Worker-Allowed"] == "/"
    body = response.content.decode()
    # The shell it keeps: Bootstrap, htmx, Qadam's own files, all from this host.
    for path in ("bootstrap.min.css", "htmx", "js/qadam.js", "js/outbox.js", "css/qadam.css"):
        assert path in body
    assert "http://" not in body and "https://" not in body


def test_the_manifest_names_icons_that_exist(client):
    from django.contrib.staticfiles import finders

    response = client.get("/manifest.webmanifest")
    assert response["Content-Type"] == "application/manifest+json"
    manifest = response.json()
    assert manifest["start_url"] == "/" and manifest["display"] == "standalone"
    for icon in manifest["icons"]:
        assert icon["type"] == "image/png"
        path = icon["src"].removeprefix("/static/")
        assert finders.find(path), icon["src"]


def test_pages_kept_offline_are_the_users_current_events(client, login_as):
    from datetime import timedelta

    from django.utils import timezone

    today = timezone.localdate()
    held = TrainingEvent.Status.HELD
    recent = EventFactory(
        start_date=today - timedelta(days=12), end_date=today - timedelta(days=10), status=held
    )
    upcoming = EventFactory(
        start_date=today + timedelta(days=3),
        end_date=today + timedelta(days=5),
        status=TrainingEvent.Status.PLANNED,
    )
    old = EventFactory(
        start_date=today - timedelta(days=40), end_date=today - timedelta(days=38), status=held
    )
    reported = EventFactory(
        start_date=today - timedelta(days=3),
        end_date=today - timedelta(days=2),
        status=TrainingEvent.Status.REPORTED,
    )
    elsewhere = EventFactory(
        region=region("KZ-43"), start_date=today, end_date=today + timedelta(days=1)
    )
    login_as("coord.mangystau")
    urls = client.get("/offline/pages/").json()["urls"]
    for event in (recent, upcoming):
        assert f"/events/{event.pk}/" in urls
        assert f"/people/events/{event.pk}/attendance/" in urls
        assert f"/people/events/{event.pk}/scores/" in urls
        assert f"/people/events/{event.pk}/feedback/add/" in urls
        assert f"/people/events/{event.pk}/roster/new/" in urls
    for event in (old, reported, elsewhere):
        assert f"/events/{event.pk}/" not in urls
    login_as("viewer")
    assert client.get("/offline/pages/").json() == {"urls": []}


def test_the_grid_carries_the_outbox_texts_and_still_posts_without_javascript(
    client, login_as, event
):
    login_as("coord.mangystau")
    html = client.get(reverse("participants:attendance_grid", args=[event.pk])).content.decode()
    assert 'aria-live="polite"' in html and 'id="outbox-status"' in html
    assert 'data-text-pending_one="__n__ change not sent yet"' in html
    assert 'data-text-pending_other="__n__ changes not sent yet"' in html
    assert 'id="attendance-form"' in html and 'method="post"' in html


# Pre/post test scores and paper feedback (kinds "scores" and "paper_feedback") -----------------


def score(key, enrolment, pre="", post=""):
    return {
        "key": key,
        "kind": "scores",
        "enrolment": enrolment.pk,
        "pre_score": pre,
        "post_score": post,
    }


def scores(event) -> dict[int, tuple]:
    return {
        a.enrolment_id: (a.pre_score, a.post_score)
        for a in Assessment.objects.filter(enrolment__event=event)
    }


def test_scores_are_applied_once_as_the_online_form_saves_them(client, login_as, event):
    from decimal import Decimal

    e1, e2, _e3 = event.enrolments.order_by("pk")
    login_as("coord.mangystau")
    results = sync(client, [score("s1", e1, "45,5", "80"), score("s2", e2, "30", "")]).json()[
        "results"
    ]
    assert [r["status"] for r in results] == ["applied", "applied"]
    assert scores(event) == {
        e1.pk: (Decimal("45.50"), Decimal("80.00")),
        e2.pk: (Decimal("30.00"), None),
    }
    # Sent again (a lost answer): nothing changes, not even what was changed online meanwhile.
    Assessment.objects.filter(enrolment=e1).update(post_score=90)
    again = sync(client, [score("s1", e1, "45,5", "80")]).json()["results"]
    assert again == results[:1]
    assert scores(event)[e1.pk] == (Decimal("45.50"), Decimal("90.00"))
    # Both empty removes the person's test record, as on the online form.
    assert sync(client, [score("s3", e2)]).json()["results"][0]["status"] == "applied"
    assert e2.pk not in scores(event)
    assert SyncedChange.objects.filter(kind="scores").count() == 3


def test_a_score_out_of_range_is_refused_with_the_forms_message(client, login_as, event):
    e1, _e2, _e3 = event.enrolments.order_by("pk")
    login_as("coord.mangystau")
    result = sync(client, [score("bad", e1, "50", "120")]).json()["results"][0]
    assert result["status"] == "refused"
    assert "Score after" in result["message"]
    assert "less than or equal to 100" in result["message"]
    assert e1.participant.full_name in result["message"]
    assert scores(event) == {}
    not_a_number = sync(client, [score("nan", e1, "abc", "")]).json()["results"][0]
    assert not_a_number["status"] == "refused" and "number" in not_a_number["message"]


def test_scores_of_a_locked_event_or_out_of_scope_are_refused(client, login_as, event):
    e1, _e2, _e3 = event.enrolments.order_by("pk")
    other = EnrolmentFactory(event=EventFactory(region=region("KZ-43")))
    event.status = TrainingEvent.Status.REPORTED
    event.save()
    login_as("coord.mangystau")
    locked, theirs = sync(
        client, [score("l", e1, "50", "60"), score("t", other, "50", "60")]
    ).json()["results"]
    assert locked["status"] == "refused" and "reported and locked" in locked["message"]
    assert theirs["status"] == "refused"
    assert theirs["message"] == "This person or session is not on an event you can change."
    assert scores(event) == {}
    assert not Assessment.objects.filter(enrolment=other).exists()


def paper(key, event, **answers):
    base = {
        "satisfaction": "5",
        "relevance": "4",
        "usefulness": "4",
        "intent_to_apply": "5",
        "most_useful": "Групповые упражнения",
        "comments": "",
        "enrolment": "",
    }
    return {"key": key, "kind": "paper_feedback", "event": event.pk, "answers": {**base, **answers}}


def test_paper_feedback_is_applied_once_and_counted_once(client, login_as, event):
    e1 = event.enrolments.order_by("pk").first()
    login_as("coord.mangystau")
    changes = [paper("f1", event), paper("f2", event, enrolment=str(e1.pk), consent_to_quote="on")]
    first = sync(client, changes).json()["results"]
    assert [r["status"] for r in first] == ["applied", "applied"]
    assert sync(client, changes).json()["results"] == first  # a repeated send
    assert Feedback.objects.filter(event=event).count() == 2
    named = Feedback.objects.get(enrolment=e1)
    assert named.source == Feedback.Source.PAPER and named.consent_to_quote
    assert named.satisfaction == 5
    # The entry page counts them once.
    page = client.get(reverse("participants:event_feedback_entry", args=[event.pk]))
    assert "2 answers recorded so far." in page.content.decode()
    # A second form for the same person is refused as the online form refuses it.
    twice = sync(client, [paper("f3", event, enrolment=str(e1.pk))]).json()["results"][0]
    assert twice["status"] == "refused" and "already recorded" in twice["message"]


def test_paper_feedback_refusals_carry_the_reason(client, login_as, event):
    other = EventFactory(region=region("KZ-43"), status=TrainingEvent.Status.HELD)
    login_as("coord.mangystau")
    missing, theirs = sync(client, [paper("m", event, satisfaction=""), paper("t", other)]).json()[
        "results"
    ]
    assert missing["status"] == "refused" and "Please choose one answer." in missing["message"]
    assert theirs["status"] == "refused"
    event.status = TrainingEvent.Status.REPORTED
    event.save()
    locked = sync(client, [paper("l", event)]).json()["results"][0]
    assert locked["status"] == "refused" and "reported and locked" in locked["message"]
    assert not Feedback.objects.filter(event__in=[event, other]).exists()


def test_the_scores_and_paper_pages_carry_the_outbox_and_still_post_without_javascript(
    client, login_as, event
):
    login_as("coord.mangystau")
    for name, marker in (
        ("participants:event_scores_entry", 'data-outbox-form="scores"'),
        ("participants:event_feedback_entry", 'data-outbox-form="paper_feedback"'),
    ):
        html = client.get(reverse(name, args=[event.pk])).content.decode()
        assert 'id="outbox-status"' in html and 'aria-live="polite"' in html
        assert 'data-text-pending_other="__n__ changes not sent yet"' in html
        assert marker in html and 'method="post"' in html


# New people registered offline (the registration page's form, kind "register") -------------


def person_answers(**overrides) -> dict[str, str]:
    """The registration page's fields as the browser posts them (FormData: strings only)."""
    from participants.models import ParticipantCategory

    answers = {
        "full_name": "Серикова Айгуль",
        "sex": "F",
        "birth_year": "1990",
        "region": str(region("KZ-47").pk),
        "district": "",
        "category": str(ParticipantCategory.objects.get(code="akimat").pk),
        "organisation": "",
        "organisation_name": "МРЦ Бейнеу",
        "position": "",
        "phone": "",
        "email": "",
        "iin": "",
        "consent_given": "on",
        "consent_method": "paper",
        "consent_date": "2026-11-30",
        "consent_version": "2024-1",
    }
    answers.update(overrides)
    return {k: v for k, v in answers.items() if v is not None}


def register(key, event, **overrides):
    return {
        "key": key,
        "kind": "register",
        "event": event.pk,
        "answers": person_answers(**overrides),
    }


def test_a_person_registered_offline_is_registered_and_enrolled_once(client, login_as, event):
    from participants.models import Consent, Participant

    login_as("coord.mangystau")
    changes = [register("p1", event)]
    first = sync(client, changes).json()["results"]
    assert first == [{"key": "p1", "status": "applied", "message": ""}]
    # Sent again (an answer lost on the way, a second tab): one person, one enrolment.
    assert sync(client, changes).json()["results"] == first
    person = Participant.objects.get(full_name="Серикова Айгуль")
    assert list(person.enrolments.values_list("event_id", flat=True)) == [event.pk]
    consent = Consent.objects.get(participant=person)
    assert (consent.given, consent.version, str(consent.given_on)) == (True, "2024-1", "2026-11-30")
    # As online: created by the coordinator, the history row names them.
    assert person.created_by.username == "coord.mangystau"
    assert person.history.get().history_user.username == "coord.mangystau"
    assert SyncedChange.objects.filter(kind="register", status="applied").count() == 1
    # The same person typed in twice (two keys): the second meets the first as a likely match.
    again = sync(client, [register("p2", event)]).json()["results"][0]
    assert again["status"] == "refused" and "Серикова Айгуль (1990" in again["message"]
    assert Participant.objects.filter(full_name="Серикова Айгуль").count() == 1


def test_an_invalid_registration_comes_back_with_the_forms_messages(client, login_as, event):
    from participants.models import Participant

    login_as("coord.mangystau")
    before = Participant.objects.count()
    result = sync(
        client,
        [
            register(
                "bad",
                event,
                full_name="Тестов Новый",
                consent_given=None,
                birth_year="2030",
                organisation_name="",
                iin="1234",
            )
        ],
    ).json()["results"][0]
    assert result["status"] == "refused"
    message = result["message"]
    assert message.startswith("Тестов Новый: ")
    assert "People can be registered only with their consent" in message
    assert "2030 is in the future." in message
    assert "Choose the organisation or write its name." in message
    assert "An IIN has exactly 12 digits." in message
    assert Participant.objects.count() == before
    assert (
        sync(client, [register("odd", event) | {"answers": ["x"]}]).json()["results"][0]["message"]
        == "This change could not be read."
    )


def test_a_registration_on_a_locked_or_hidden_event_is_refused(client, login_as, event):
    from participants.models import Participant

    other = EventFactory(region=region("KZ-43"), status=TrainingEvent.Status.HELD)
    login_as("coord.mangystau")
    theirs = sync(client, [register("t", other)]).json()["results"][0]
    assert theirs == {
        "key": "t",
        "status": "refused",
        "message": "This event is not one you can change.",
    }
    event.status = TrainingEvent.Status.REPORTED
    event.save()
    locked = sync(client, [register("l", event)]).json()["results"][0]
    assert locked["status"] == "refused" and "reported and locked" in locked["message"]
    assert not Participant.objects.filter(full_name="Серикова Айгуль").exists()


def test_a_likely_duplicate_needs_a_decision_and_names_the_match(client, login_as, event):
    from participants.identity import hash_iin
    from participants.models import Participant, PossibleDuplicate
    from tests.factories import ParticipantFactory
    from tests.test_registry import _valid_iin

    existing = ParticipantFactory(
        full_name="Айгуль Серикова", birth_year=1990, organisation_name="МРЦ Бейнеу"
    )
    iin = _valid_iin()
    known = ParticipantFactory(full_name="Болатов Ерлан", birth_year=1980)
    Participant.objects.filter(pk=known.pk).update(iin_hash=hash_iin(iin))
    hidden = ParticipantFactory(full_name="Жанна Скрытая", birth_year=1977, region=region("KZ-43"))
    login_as("coord.mangystau")
    before = Participant.objects.count()

    namesake, same_iin, elsewhere = sync(
        client,
        [
            register("n", event),
            # A different spelling of the name, but the IIN of a person already registered.
            register("i", event, full_name="Ерлан Болатов", birth_year="1981", iin=iin),
            # A likely match the coordinator may not see is not named: registered as online,
            # the pair is kept for programme staff.
            register("h", event, full_name="Скрытая Жанна", birth_year="1977"),
        ],
    ).json()["results"]
    assert namesake["status"] == "refused"
    assert namesake["message"].startswith("Серикова Айгуль may already be in the registry: ")
    assert "Айгуль Серикова (1990, Mangystau" in namesake["message"]
    assert "МРЦ Бейнеу" in namesake["message"]
    assert "Open the registration form" in namesake["message"]
    assert same_iin["status"] == "refused"
    assert "Болатов Ерлан (1980" in same_iin["message"] and "the same IIN" in same_iin["message"]
    assert elsewhere["status"] == "applied" and "Жанна" not in namesake["message"]
    assert Participant.objects.count() == before + 1
    created = Participant.objects.get(full_name="Скрытая Жанна")
    assert PossibleDuplicate.objects.filter(existing=hidden, new_person=created).exists()
    assert not existing.enrolments.exists() and not known.enrolments.exists()

    # Decided on the page ("It is somebody else: create anyway"), sent with that answer.
    anyway = sync(client, [register("n2", event, confirm_new="1")]).json()["results"][0]
    assert anyway["status"] == "applied"
    assert Participant.objects.filter(name_normalised=existing.name_normalised).count() == 2


def test_the_registration_page_is_kept_offline_and_still_posts_without_javascript(
    client, login_as, event
):
    login_as("coord.mangystau")
    url = reverse("participants:roster_new", args=[event.pk])
    html = client.get(url).content.decode()
    assert 'id="outbox-status"' in html and 'aria-live="polite"' in html
    assert 'data-outbox-form="register"' in html and 'method="post"' in html
    assert 'data-text-fix_in_form="Open in the registration form"' in html
    # The inline panel on the roster page (htmx, online only) is not an outbox form.
    inline = client.get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "data-outbox-form" not in inline
