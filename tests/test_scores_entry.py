"""Coordinators' feedback pages of an event: summary, QR code, opening/closing the link,
paper feedback and the pre/post scores grid."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from participants.models import Assessment, Feedback
from trainings.models import TrainingEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def event(demo):
    return TrainingEvent.objects.get(
        title__startswith="Emotional intelligence", region__code="KZ-47"
    )


@pytest.fixture
def coord(login_as, demo):
    return login_as("coord.mangystau")


def url(name, event, query=""):
    return reverse(f"participants:{name}", kwargs={"event_pk": event.pk}) + query


def scores_post(event, values: dict[int, tuple[str, str]]):
    """A POST of the scores grid as the page sends it: every roster row, some changed."""
    rows = list(
        event.enrolments.select_related("assessment").order_by("participant__full_name", "pk")
    )
    data = {
        "scores-TOTAL_FORMS": str(len(rows)),
        "scores-INITIAL_FORMS": str(len(rows)),
        "scores-MIN_NUM_FORMS": "0",
        "scores-MAX_NUM_FORMS": "2000",
    }
    for i, e in enumerate(rows):
        a = getattr(e, "assessment", None)
        pre, post = values.get(
            e.pk,
            (
                "" if not a or a.pre_score is None else str(a.pre_score),
                "" if not a or a.post_score is None else str(a.post_score),
            ),
        )
        data |= {f"scores-{i}-enrolment": str(e.pk), f"scores-{i}-pre_score": pre}
        data[f"scores-{i}-post_score"] = post
    return data


# Summary, QR, link -------------------------------------------------------------------------
def test_summary_shows_counts_averages_and_only_consented_quotes(coord, event):
    Feedback.objects.filter(event=event).update(comments="")
    Feedback.objects.create(
        event=event,
        satisfaction=5,
        relevance=5,
        usefulness=5,
        intent_to_apply=5,
        source="online",
        comments="Quote me please",
        consent_to_quote=True,
    )
    Feedback.objects.create(
        event=event,
        satisfaction=1,
        relevance=1,
        usefulness=1,
        intent_to_apply=1,
        source="online",
        comments="Do not quote me",
        consent_to_quote=False,
    )
    page = coord.get(url("event_feedback", event))
    assert page.status_code == 200
    html = page.content.decode()
    n = Feedback.objects.filter(event=event).count()
    assert page.context["summary"]["n"] == n
    assert f'id="fb-count">{n}<' in html
    avg = sum(Feedback.objects.filter(event=event).values_list("satisfaction", flat=True)) / n
    assert page.context["summary"]["avg_satisfaction"] == pytest.approx(avg)
    assert "Quote me please" in html
    assert "Do not quote me" not in html
    assert event.feedback_token in html


def test_qr_code_is_an_svg_of_the_public_link(coord, event):
    response = coord.get(url("event_feedback_qr", event))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.lstrip().startswith((b"<?xml", b"<svg"))
    assert b"<svg" in response.content
    download = coord.get(url("event_feedback_qr", event, "?download=1"))
    assert "attachment" in download["Content-Disposition"]
    poster = coord.get(url("event_feedback_print", event))
    assert url("event_feedback_qr", event) in poster.content.decode()
    assert event.feedback_token in poster.content.decode()


def test_coordinator_closes_and_reopens_the_link(coord, client, event):
    response = coord.post(url("event_feedback_toggle", event), {"open": "0"})
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.feedback_open is False
    public = reverse("feedback:form", args=[event.feedback_token])
    assert "closed" in coord.get(public).content.decode()
    # htmx: the panel comes back, with the "Open" button
    response = coord.post(
        url("event_feedback_toggle", event), {"open": "1"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert 'id="event-feedback"' in response.content.decode()
    assert "Close the link" in response.content.decode()
    event.refresh_from_db()
    assert event.feedback_open is True


def test_viewer_cannot_open_feedback_pages_and_other_coordinator_gets_404(client, login_as, event):
    login_as("coord.kyzylorda")
    for name in (
        "event_feedback",
        "event_feedback_entry",
        "event_scores_entry",
        "event_feedback_qr",
        "event_feedback_print",
    ):
        assert client.get(url(name, event)).status_code == 404, name
    assert client.post(url("event_feedback_toggle", event), {"open": "0"}).status_code == 404
    assert client.post(url("event_feedback_entry", event), {}).status_code == 404
    login_as("viewer")
    assert client.get(url("event_feedback", event)).status_code == 403
    assert client.post(url("event_feedback_toggle", event), {"open": "0"}).status_code == 403
    event.refresh_from_db()
    assert event.feedback_open is True


def test_reported_event_is_locked_for_coordinators_but_not_for_staff(client, login_as, event):
    event.status = TrainingEvent.Status.REPORTED
    event.save()
    login_as("coord.mangystau")
    assert client.get(url("event_feedback", event)).status_code == 200
    assert client.get(url("event_scores_entry", event)).status_code == 403
    assert client.get(url("event_feedback_entry", event)).status_code == 403
    login_as("undp.staff")
    assert client.get(url("event_scores_entry", event)).status_code == 200


# Paper feedback --------------------------------------------------------------------------
def test_paper_feedback_linked_to_a_person_is_saved(coord, event):
    enrolment = event.enrolments.filter(feedback__isnull=True).first()
    if enrolment is None:
        enrolment = event.enrolments.first()
        enrolment.feedback.delete()
    before = Feedback.objects.filter(event=event).count()
    response = coord.post(
        url("event_feedback_entry", event),
        {
            "enrolment": enrolment.pk,
            "satisfaction": "4",
            "relevance": "5",
            "usefulness": "3",
            "intent_to_apply": "4",
            "comments": "Полезно",
            "consent_to_quote": "on",
        },
    )
    assert response.status_code == 302
    assert Feedback.objects.filter(event=event).count() == before + 1
    saved = Feedback.objects.get(enrolment=enrolment)
    assert (saved.source, saved.satisfaction, saved.usefulness) == ("paper", 4, 3)
    page = coord.get(response["Location"])
    assert "Feedback saved" in page.content.decode()


def test_anonymous_paper_feedback_is_saved(coord, event):
    before = Feedback.objects.filter(event=event, enrolment__isnull=True).count()
    response = coord.post(
        url("event_feedback_entry", event),
        {
            "enrolment": "",
            "satisfaction": "3",
            "relevance": "3",
            "usefulness": "3",
            "intent_to_apply": "3",
        },
    )
    assert response.status_code == 302
    assert Feedback.objects.filter(event=event, enrolment__isnull=True).count() == before + 1


def test_paper_feedback_validation_messages(coord, event):
    answered = event.enrolments.filter(feedback__isnull=False).select_related("participant").first()
    other_event = TrainingEvent.objects.get(title__startswith="Preventing", region__code="KZ-47")
    stranger = other_event.enrolments.first()
    response = coord.post(
        url("event_feedback_entry", event),
        {
            "enrolment": answered.pk,
            "satisfaction": "9",
            "relevance": "",
            "usefulness": "3",
            "intent_to_apply": "3",
            "comments": "kept text",
        },
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert form.errors["enrolment"] == [
        f"Feedback from {answered.participant.full_name} is already recorded for this event."
    ]
    assert (
        "Select a valid choice. 9 is not one of the available choices."
        in form.errors["satisfaction"]
    )
    assert form.errors["relevance"] == ["Please choose one answer."]
    assert "kept text" in response.content.decode()
    response = coord.post(
        url("event_feedback_entry", event),
        {
            "enrolment": stranger.pk,
            "satisfaction": "3",
            "relevance": "3",
            "usefulness": "3",
            "intent_to_apply": "3",
        },
    )
    assert "Select a valid choice" in response.context["form"].errors["enrolment"][0]


# Scores grid -----------------------------------------------------------------------------
def test_scores_grid_lists_the_roster_with_labels(coord, event, django_assert_max_num_queries):
    with django_assert_max_num_queries(15):
        page = coord.get(url("event_scores_entry", event))
    html = page.content.decode()
    n = event.enrolments.count()
    assert len(page.context["rows"]) == n
    first = event.enrolments.order_by("participant__full_name", "pk").first()
    assert f"Score before: {first.participant.full_name}" in html


def test_scores_are_saved_through_the_grid(coord, event):
    rows = list(event.enrolments.order_by("participant__full_name", "pk"))
    a, b = rows[0], rows[1]
    Assessment.objects.filter(enrolment=b).delete()
    data = scores_post(event, {a.pk: ("40", "72,5"), b.pk: ("55.5", "")})
    response = coord.post(url("event_scores_entry", event), data)
    assert response.status_code == 302, response.context["formset"].errors
    assert Assessment.objects.get(enrolment=a).post_score == Decimal("72.5")
    assert Assessment.objects.get(enrolment=a).pre_score == Decimal("40")
    assert Assessment.objects.get(enrolment=b).pre_score == Decimal("55.5")
    assert Assessment.objects.get(enrolment=b).post_score is None
    grid = coord.get(url("event_scores_entry", event)).content.decode()
    assert 'value="40"' in grid and 'value="72.50"' in grid and 'value="55.50"' in grid
    # Both empty removes the person's test record.
    response = coord.post(url("event_scores_entry", event), scores_post(event, {a.pk: ("", "")}))
    assert response.status_code == 302
    assert not Assessment.objects.filter(enrolment=a).exists()
    assert "Scores saved" in coord.get(response["Location"]).content.decode()


def test_scores_validation_messages_keep_what_was_typed(coord, event):
    rows = list(event.enrolments.order_by("participant__full_name", "pk"))
    a, b, c = rows[0], rows[1], rows[2]
    before = Assessment.objects.get(enrolment=a).pre_score if hasattr(a, "assessment") else None
    data = scores_post(event, {a.pk: ("101", "50"), b.pk: ("abc", "50"), c.pk: ("-1", "50")})
    response = coord.post(url("event_scores_entry", event), data)
    assert response.status_code == 200
    forms = response.context["formset"].forms
    assert forms[0].errors["pre_score"] == ["Ensure this value is less than or equal to 100."]
    assert forms[1].errors["pre_score"] == ["Enter a number."]
    assert forms[2].errors["pre_score"] == ["Ensure this value is greater than or equal to 0."]
    html = response.content.decode()
    assert 'value="abc"' in html and 'aria-invalid="true"' in html
    assert "Some scores need correcting" in html
    a.refresh_from_db()
    after = Assessment.objects.filter(enrolment=a).values_list("pre_score", flat=True).first()
    assert after == before  # nothing saved when a row is wrong


def test_scores_of_a_person_of_another_event_are_refused(coord, event):
    other = TrainingEvent.objects.get(title__startswith="Preventing", region__code="KZ-47")
    stranger = other.enrolments.first()
    data = scores_post(event, {})
    data["scores-0-enrolment"] = str(stranger.pk)
    data["scores-0-pre_score"] = "1"
    response = coord.post(url("event_scores_entry", event), data)
    assert response.status_code == 200
    assert "The roster has changed: reload the page." in response.content.decode()


# The feedback panel on the event's page ---------------------------------------------------
def test_event_page_shows_the_feedback_panel_with_actions_for_its_coordinator(coord, event):
    page = coord.get(event.get_absolute_url())
    html = page.content.decode()
    assert 'id="event-feedback"' in html
    assert event.feedback_token in html
    assert url("event_feedback_entry", event) in html
    assert url("event_scores_entry", event) in html
    assert url("event_feedback_toggle", event) in html


def test_viewer_sees_the_feedback_numbers_but_no_link_or_actions(client, login_as, event):
    login_as("viewer")
    html = client.get(event.get_absolute_url()).content.decode()
    assert 'id="event-feedback"' in html
    assert "average satisfaction" in html
    assert event.feedback_token not in html
    assert url("event_feedback_toggle", event) not in html


def test_closing_from_the_event_page_without_htmx_returns_to_it(coord, event):
    response = coord.post(
        url("event_feedback_toggle", event), {"open": "0", "next": event.get_absolute_url()}
    )
    assert response["Location"] == event.get_absolute_url()
    response = coord.post(
        url("event_feedback_toggle", event), {"open": "1", "next": "https://evil.example/"}
    )
    assert response["Location"] == url("event_feedback", event)


def test_feedback_pages_query_count_does_not_grow_with_the_roster(coord, event):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from participants.models import Enrolment, Participant, ParticipantCategory

    pages = [
        url(n, event) for n in ("event_feedback", "event_feedback_entry", "event_scores_entry")
    ]
    pages.append(event.get_absolute_url())

    def counts():
        out = []
        for page in pages:
            with CaptureQueriesContext(connection) as ctx:
                assert coord.get(page).status_code == 200
            out.append(len(ctx.captured_queries))
        return out

    small = counts()
    cat = ParticipantCategory.objects.get(code="police-other")
    for i in range(40):
        person = Participant.objects.create(
            full_name=f"Extra officer {i}", sex="M", region=event.region, category=cat
        )
        enrolment = Enrolment.objects.create(participant=person, event=event)
        Assessment.objects.create(enrolment=enrolment, pre_score=40, post_score=60)
        Feedback.objects.create(
            event=event,
            enrolment=enrolment,
            satisfaction=4,
            relevance=4,
            usefulness=4,
            intent_to_apply=4,
            source="paper",
            comments=f"Quote {i}",
            consent_to_quote=True,
        )
    assert counts() == small


def test_coordinator_sets_and_clears_the_closing_date(coord, event):
    page = coord.get(url("event_feedback", event))
    assert 'name="closes_on"' in page.content.decode()
    response = coord.post(url("event_feedback_toggle", event), {"closes_on": "2024-08-30"})
    assert response.status_code == 302
    event.refresh_from_db()
    assert str(event.feedback_closes_on) == "2024-08-30"
    public = reverse("feedback:form", args=[event.feedback_token])
    assert "This feedback form is closed" in coord.get(public).content.decode()
    assert 'value="2024-08-30"' in coord.get(url("event_feedback", event)).content.decode()
    bad = coord.post(url("event_feedback_toggle", event), {"closes_on": "30 August"}, follow=True)
    assert "Enter a valid date." in bad.content.decode()
    coord.post(url("event_feedback_toggle", event), {"closes_on": ""})
    event.refresh_from_db()
    assert event.feedback_closes_on is None
    assert "This feedback form is closed" not in coord.get(public).content.decode()
