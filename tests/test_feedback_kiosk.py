"""The feedback kiosk (issue 20, item 4; ADR 0018): a coordinator opens an event's feedback form
on their own device and participants answer one after another. Each answer is a
`kiosk_feedback` change of the coordinator's outbox: validated with the public form's
questions, stored anonymously as the public form stores it (source "kiosk"), exactly once per
idempotency key, refused with its reason when the event is locked or not the coordinator's.
The public form's one-answer-per-device cookie and rate limits do not apply (the coordinator
is signed in); FEEDBACK_KIOSK_DAILY_LIMIT caps one coordinator's answers per 24 hours."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from participants.aggregates import feedback_summary
from participants.models import Feedback, SyncedChange
from tests.factories import EventFactory, region
from trainings.models import TrainingEvent

pytestmark = pytest.mark.django_db

SYNC = "/offline/sync/"


@pytest.fixture
def event():
    return EventFactory(region=region("KZ-47"), status=TrainingEvent.Status.HELD)


def answer(key, event, language="ru", **answers):
    base = {
        "satisfaction": "5",
        "relevance": "4",
        "usefulness": "4",
        "intent_to_apply": "5",
        "most_useful": "Ролевые игры",
        "comments": "",
    }
    return {
        "key": key,
        "kind": "kiosk_feedback",
        "event": event.pk,
        "answers": {**base, **answers},
        "language": language,
    }


def sync(client, changes):
    return client.post(SYNC, json.dumps({"changes": changes}), content_type="application/json")


def kiosk_url(event) -> str:
    return reverse("participants:event_feedback_kiosk", args=[event.pk])


def test_url_fits_the_events_feedback_pages(event):
    assert kiosk_url(event) == f"/people/events/{event.pk}/feedback/kiosk/"


def test_an_answer_is_stored_anonymously_as_the_public_form_stores_it(client, login_as, event):
    login_as("coord.mangystau")
    results = sync(
        client,
        [answer("k1", event, comments="Хочу ещё", consent_to_quote="on"), answer("k2", event)],
    ).json()["results"]
    assert [r["status"] for r in results] == ["applied", "applied"]
    stored = Feedback.objects.filter(event=event).order_by("pk")
    assert stored.count() == 2
    first = stored[0]
    assert first.source == Feedback.Source.KIOSK
    assert first.enrolment is None  # anonymous, like the public link's answers
    assert first.language == "ru"
    assert first.consent_to_quote and first.comments == "Хочу ещё"
    assert first.quote_status == Feedback.QuoteStatus.PENDING  # reviewed before any report
    assert (first.satisfaction, first.relevance, first.usefulness, first.intent_to_apply) == (
        5,
        4,
        4,
        5,
    )
    assert not stored[1].consent_to_quote
    # Audited as the coordinator's change; counted with the answers typed by participants.
    assert first.history.get().history_user.username == "coord.mangystau"
    summary = feedback_summary(Feedback.objects.filter(event=event))
    assert (summary["n"], summary["n_online"], summary["n_paper"]) == (2, 2, 0)
    assert SyncedChange.objects.filter(kind="kiosk_feedback", status="applied").count() == 2


def test_the_same_key_twice_stores_one_answer(client, login_as, event):
    login_as("coord.mangystau")
    first = sync(client, [answer("same", event)]).json()["results"]
    again = sync(client, [answer("same", event), answer("same", event)]).json()["results"]
    assert again == first * 2
    assert Feedback.objects.filter(event=event).count() == 1
    assert SyncedChange.objects.filter(key="same").count() == 1


def test_an_invalid_answer_is_refused_with_the_forms_messages(client, login_as, event):
    login_as("coord.mangystau")
    missing, out_of_range, long = sync(
        client,
        [
            answer("m", event, satisfaction=""),
            answer("r", event, relevance="9"),
            answer("l", event, comments="x" * 4001),
        ],
    ).json()["results"]
    assert missing["status"] == "refused"
    assert "Overall, how satisfied are you with the training?" in missing["message"]
    assert "Please choose one answer." in missing["message"]
    assert out_of_range["status"] == "refused"
    assert "Select a valid choice" in out_of_range["message"]
    assert long["status"] == "refused" and "at most 4000 characters" in long["message"]
    assert not Feedback.objects.filter(event=event).exists()
    # A change whose answers are not text, or whose language is not, cannot be read.
    odd = sync(
        client, [{**answer("o", event), "answers": {"satisfaction": 5}}, answer("p", event, None)]
    ).json()["results"]
    assert [r["message"] for r in odd] == ["This change could not be read."] * 2


def test_a_locked_event_refuses_the_answer_with_the_reason(client, login_as, event):
    event.status = TrainingEvent.Status.REPORTED
    event.save()
    login_as("coord.mangystau")
    result = sync(client, [answer("k", event)]).json()["results"][0]
    assert result["status"] == "refused"
    assert "reported and locked" in result["message"]
    assert not Feedback.objects.filter(event=event).exists()
    assert sync(client, [answer("k", event)]).json()["results"][0] == result


def test_another_regions_event_is_refused_as_not_found(client, login_as, event):
    theirs = EventFactory(region=region("KZ-43"), status=TrainingEvent.Status.HELD)
    login_as("coord.mangystau")
    other, missing = sync(
        client, [answer("t", theirs), {**answer("x", event), "event": 999_999_999}]
    ).json()["results"]
    assert other["status"] == missing["status"] == "refused"
    # The same words as for an event that does not exist: nothing leaks.
    assert other["message"] == missing["message"] == "This event is not one you can change."
    assert not Feedback.objects.filter(event=theirs).exists()


def test_viewers_cannot_send_kiosk_answers(client, login_as, event):
    login_as("viewer")
    assert sync(client, [answer("k", event)]).status_code == 403
    assert not Feedback.objects.filter(event=event).exists()


def test_the_public_forms_limits_do_not_hold_back_the_kiosk(client, login_as, event, settings):
    """A room answering on the coordinator's tablet: far more than the public link's per-event
    and per-address limits, from one device, all stored."""
    settings.FEEDBACK_EVENT_LIMIT = 5
    settings.FEEDBACK_EVENT_LIMIT_PER_PERSON = 1
    settings.FEEDBACK_ADDRESS_LIMIT = 5
    login_as("coord.mangystau")
    results = sync(client, [answer(f"k{i}", event) for i in range(30)]).json()["results"]
    assert [r["status"] for r in results] == ["applied"] * 30
    assert Feedback.objects.filter(event=event, source=Feedback.Source.KIOSK).count() == 30


def test_a_coordinators_kiosk_answers_are_capped_per_day(client, login_as, event, settings):
    settings.FEEDBACK_KIOSK_DAILY_LIMIT = 3
    login_as("coord.mangystau")
    results = sync(client, [answer(f"k{i}", event) for i in range(5)]).json()["results"]
    assert [r["status"] for r in results] == ["applied"] * 3 + ["refused"] * 2
    assert "the most allowed" in results[3]["message"]
    assert Feedback.objects.filter(event=event).count() == 3


# The kiosk page ----------------------------------------------------------------------------


def test_the_kiosk_page_shows_an_empty_form_without_the_apps_menu(client, login_as, event):
    login_as("coord.mangystau")
    response = client.get(kiosk_url(event))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-outbox-form="kiosk_feedback"' in html and 'method="post"' in html
    assert 'autocomplete="off"' in html
    assert "Overall, how satisfied are you with the training?" in html
    assert "checked" not in html
    # The discreet status for the coordinator, in answers, and the refusals' place.
    assert 'id="outbox-status"' in html and 'id="outbox-refused"' in html
    assert 'data-text-pending_other="__n__ answers not sent yet"' in html
    # Participants get no menu, no log out; the coordinator a way back to the event.
    assert 'id="main-nav"' not in html and "data-outbox-logout>" not in html
    assert f'href="{event.get_absolute_url()}"' in html
    # Not kept by the browser's history cache (nobody's answers on the back button).
    assert "no-store" in response["Cache-Control"]


def test_the_event_page_offers_the_kiosk_to_those_who_may_edit(client, login_as, event):
    login_as("coord.mangystau")
    assert kiosk_url(event) in client.get(event.get_absolute_url()).content.decode()
    login_as("undp.staff")
    staff_page = client.get(event.get_absolute_url()).content.decode()
    assert kiosk_url(event) in staff_page


def test_viewers_and_other_regions_cannot_open_the_kiosk(client, login_as, event):
    login_as("viewer")
    assert client.get(kiosk_url(event)).status_code == 403
    login_as("coord.kyzylorda")
    assert client.get(kiosk_url(event)).status_code == 404
    client.logout()
    assert client.get(kiosk_url(event)).status_code == 302


def test_a_locked_events_kiosk_does_not_open(client, login_as, event):
    event.status = TrainingEvent.Status.REPORTED
    event.save()
    login_as("coord.mangystau")
    response = client.get(kiosk_url(event))
    assert response.status_code == 403
    assert "reported and locked" in response.content.decode()


def test_without_javascript_the_form_posts_once_and_thanks(client, login_as, event):
    login_as("coord.mangystau")
    html = client.get(kiosk_url(event)).content.decode()
    key = html.split('name="key" value="', 1)[1].split('"', 1)[0]
    data = {**answer(key, event)["answers"], "key": key}
    response = client.post(kiosk_url(event), data)
    assert response.status_code == 302 and response["Location"].endswith("?sent=1")
    # A double click (the same form posted again) stores nothing more.
    assert client.post(kiosk_url(event), data).status_code == 302
    assert Feedback.objects.filter(event=event, source=Feedback.Source.KIOSK).count() == 1
    thanks = client.get(response["Location"]).content.decode()
    assert "Thank you!" in thanks and "Next person" in thanks
    # A missing answer: the form again with the message.
    bad = client.post(kiosk_url(event), {**data, "key": "other", "satisfaction": ""})
    assert bad.status_code == 200 and "Please choose one answer." in bad.content.decode()
    assert Feedback.objects.filter(event=event).count() == 1


def test_the_worker_keeps_the_kiosk_of_current_events(client, login_as):
    from django.utils import timezone

    today = timezone.localdate()
    current = EventFactory(region=region("KZ-47"), start_date=today, end_date=today)
    login_as("coord.mangystau")
    assert kiosk_url(current) in client.get("/offline/pages/").json()["urls"]
    worker = client.get("/sw.js").content.decode()
    assert r"feedback\/kiosk\/" in worker
