"""Quotes in donor reports: a consented comment is quoted only after programme staff approved
it, the names of people in the registry are replaced by "[name]" in every report format, and
erasing a person scrubs their name from the comments (and narratives, descriptions...) that
other people wrote, history included."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from accounts.models import User
from participants.models import Feedback, Participant
from participants.names import redact_registered_names
from participants.privacy import erase_person
from participants.services import register_person
from reports import disclosure
from reports.builder import build_report_data
from reports.models import Narrative, ReportRun
from reports.renderers import render
from trainings.models import TrainingEvent

from .factories import attend_with_feedback
from .test_privacy import _tables_containing
from .test_report_formats import text_of

pytestmark = pytest.mark.django_db

NAMED = "Құралбекова Меруерт"  # the colleague the comment thanks, a person of the registry
LONG_NAMED = "Жолдасбеков Ерлан Серікұлы"  # with a patronymic, written without it below
COMMENT = (
    "Огромное спасибо Меруерт Куралбекова за поддержку! Thanks to ҚҰРАЛБЕКОВА Меруерт and "
    "to Ерлан Жолдасбеков for the role plays."
)
REPORT_FORMATS = ["pdf", "docx", "xlsx", "csv"]


@pytest.fixture
def event(demo):
    return TrainingEvent.objects.get(
        title__startswith="Emotional intelligence for police officers (Kyzylorda)"
    )


@pytest.fixture
def staff(demo):
    return User.objects.get(username="undp.staff")


def _register(name: str, event, sex="F", born=1990) -> Participant:
    return register_person(
        full_name=name,
        sex=sex,
        birth_year=born,
        region=event.region,
        category=event.enrolments.first().participant.category,
    )


@pytest.fixture
def named(event) -> list[Participant]:
    """Two people of the registry who are named in someone else's comment."""
    return [_register(NAMED, event), _register(LONG_NAMED, event, sex="M")]


@pytest.fixture
def author(event) -> Participant:
    return _register("Автор Комментария", event, born=1988)


def _comment(author, event, *, approved_by=None, text=COMMENT) -> Feedback:
    enrolment = attend_with_feedback(
        author, event, comments=text, consent_to_quote=True, approved_by=approved_by
    )
    return Feedback.objects.get(enrolment=enrolment)


def _report():
    return build_report_data(
        start=date(2024, 7, 1),
        end=date(2024, 9, 30),
        region_ids=None,
        language="en",
        period_label="2024Q3",
    )


def _quote_texts() -> list[str]:
    return [q["text"] for q in _report().quotes]


# Names of the registry in an approved quote ------------------------------------------------
@pytest.mark.parametrize("fmt", REPORT_FORMATS)
def test_a_name_in_an_approved_quote_reaches_no_report_format(named, author, event, staff, fmt):
    """Issue 13, item 3: "thanks to Есенова Мадина" reached the PDF, DOCX, XLSX and CSV."""
    feedback = _comment(author, event, approved_by=staff)  # approved as written
    assert "Меруерт Куралбекова" in feedback.quote_text_reviewed
    # Reproduce: without the registry lookup the name goes through (contacts only scrubbed).
    row = {"text": feedback.quote_text_reviewed, "consent_to_quote": True}
    unprotected = disclosure.quotable(
        [row | {"quote_status": "approved"}], redact_names=lambda texts: list(texts)
    )
    assert "Меруерт Куралбекова" in unprotected[0]["text"]

    # Words only: the PDF wraps lines where it likes.
    text = " ".join(text_of(fmt, render(_report(), fmt).content).split())

    assert "for the role plays" in text  # the quote is there...
    assert "[name]" in text  # ...with the names replaced
    for word in ("Куралбекова", "ҚҰРАЛБЕКОВА", "Меруерт", "Жолдасбеков", "Ерлан"):
        assert word not in text, f"{fmt} shows {word}"


def test_names_are_found_in_any_order_case_and_spelling_but_not_single_words(named):
    texts = [
        "Спасибо Құралбекова Меруерт.",
        "меруерт куралбекова помогла",
        "Ерлан Жолдасбеков и Серікұлы Ерлан",
        "Меруерт сказала: это было полезно.",  # a given name alone is not a name here
        "Құралбекова, Меруерт",  # punctuation between: not read as one name
        "Меруертке рахмет",
    ]
    assert redact_registered_names(texts) == [
        "Спасибо [name].",
        "[name] помогла",
        "[name] и [name]",
        "Меруерт сказала: это было полезно.",
        "Құралбекова, Меруерт",
        "Меруертке рахмет",
    ]


def test_name_lookup_takes_the_same_few_queries_for_one_or_fifty_texts(
    named, django_assert_max_num_queries
):
    texts = [
        f"Comment {i}: thanks to Меруерт Құралбекова and Ерлан Жолдасбеков." for i in range(50)
    ]
    with django_assert_max_num_queries(2):
        redacted = redact_registered_names(texts)
    assert all(t.endswith("thanks to [name] and [name].") for t in redacted)


# Review before quoting -------------------------------------------------------------------------
def test_a_consented_comment_not_yet_reviewed_is_not_quoted(author, event):
    feedback = _comment(author, event, text="Pending words about the camp.")
    assert feedback.quote_status == Feedback.QuoteStatus.PENDING
    assert not any("Pending words" in t for t in _quote_texts())


def test_a_rejected_comment_is_not_quoted(client, login_as, author, event, staff):
    feedback = _comment(author, event, approved_by=staff, text="Approved, then withdrawn.")
    assert any("then withdrawn" in t for t in _quote_texts())
    login_as(staff)

    response = client.post(
        reverse("reports:quote_decide", args=[feedback.pk]),
        {"decision": "reject", "quote_text_reviewed": ""},
        follow=True,
    )

    assert "it will not appear in donor reports" in response.content.decode()
    feedback.refresh_from_db()
    assert feedback.quote_status == Feedback.QuoteStatus.REJECTED
    assert not any("then withdrawn" in t for t in _quote_texts())


def test_staff_see_the_automatic_redaction_and_approve_an_edited_text(
    client, login_as, named, author, event, staff
):
    feedback = _comment(author, event)
    login_as(staff)
    page = client.get(reverse("reports:quote_review"), {"period": "2024Q3", "region": "KZ-43"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Огромное спасибо [name] за поддержку!" in html  # the automatic redaction
    assert "Огромное спасибо Меруерт Куралбекова" in html  # and the comment as written

    response = client.post(
        reverse("reports:quote_decide", args=[feedback.pk]) + "?period=2024Q3&region=KZ-43",
        {"decision": "approve", "quote_text_reviewed": "Огромное спасибо [name] за поддержку!"},
    )

    assert response.status_code == 302
    assert response["Location"].endswith("?period=2024Q3&region=KZ-43")
    feedback.refresh_from_db()
    assert feedback.quote_status == Feedback.QuoteStatus.APPROVED
    assert feedback.quote_text_reviewed == "Огромное спасибо [name] за поддержку!"
    assert feedback.quote_reviewed_by == staff and feedback.quote_reviewed_at
    assert feedback.history.first().history_user == staff  # audited
    assert "Огромное спасибо [name] за поддержку!" in _quote_texts()
    assert "Quote approved" in client.get(response["Location"]).content.decode()


def test_approving_an_empty_text_is_refused_and_explained(client, login_as, author, event, staff):
    feedback = _comment(author, event, text="Something to quote.")
    login_as(staff)
    response = client.post(
        reverse("reports:quote_decide", args=[feedback.pk]),
        {"decision": "approve", "quote_text_reviewed": "   "},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Write the text to approve, or reject the quote." in html
    feedback.refresh_from_db()
    assert feedback.quote_status == Feedback.QuoteStatus.PENDING


def test_a_too_long_text_keeps_what_was_typed(client, login_as, author, event, staff):
    feedback = _comment(author, event, text="Something to quote.")
    login_as(staff)
    typed = "Kept " + "x" * 4000
    response = client.post(
        reverse("reports:quote_decide", args=[feedback.pk]),
        {"decision": "approve", "quote_text_reviewed": typed},
    )
    assert typed in response.content.decode()
    feedback.refresh_from_db()
    assert feedback.quote_status == Feedback.QuoteStatus.PENDING


@pytest.mark.parametrize("username", ["coord.kyzylorda", "coord.mangystau", "viewer"])
def test_only_programme_staff_and_admins_review_quotes(client, login_as, author, event, username):
    feedback = _comment(author, event, text="Not for coordinators to approve.")
    login_as(username)
    assert client.get(reverse("reports:quote_review")).status_code == 403
    response = client.post(
        reverse("reports:quote_decide", args=[feedback.pk]),
        {"decision": "approve", "quote_text_reviewed": "Not for coordinators to approve."},
    )
    assert response.status_code == 403
    feedback.refresh_from_db()
    assert feedback.quote_status == Feedback.QuoteStatus.PENDING


def test_the_queue_is_paginated_filtered_and_its_queries_bounded(
    client, login_as, author, event, staff, django_assert_max_num_queries
):
    for i in range(3):
        other = _register(f"Третий Автор{'абв'[i]}", event)
        _comment(other, event, text=f"Queue item {i}.")
    login_as(staff)
    with django_assert_max_num_queries(14):
        page = client.get(reverse("reports:quote_review"), {"region": "KZ-43"})
    html = page.content.decode()
    assert all(f"Queue item {i}." in html for i in range(3))
    elsewhere = client.get(reverse("reports:quote_review"), {"region": "KZ-47"}).content.decode()
    assert "Queue item" not in elsewhere
    other_period = client.get(reverse("reports:quote_review"), {"period": "2023"})
    assert "Queue item" not in other_period.content.decode()
    bad_period = client.get(reverse("reports:quote_review"), {"period": "summer"})
    assert "Write a quarter (2024Q3) or a year (2024)." in bad_period.content.decode()
    no_such_year = client.get(reverse("reports:quote_review"), {"period": "0000"})
    assert no_such_year.status_code == 200
    assert "Write a quarter (2024Q3) or a year (2024)." in no_such_year.content.decode()


def test_the_report_pages_say_how_many_quotes_await_review(client, login_as, author, event, staff):
    _comment(author, event, text="Waiting for a reviewer.")
    login_as(staff)
    html = client.get(reverse("reports:run_new")).content.decode()
    assert 'id="quotes-pending"' in html and "awaiting review" in html
    assert reverse("reports:quote_review") in html
    run = ReportRun.objects.create(
        period_label="2024Q3",
        period_start=date(2024, 7, 1),
        period_end=date(2024, 9, 30),
        formats=["xlsx"],
        status="done",
        requested_by=staff,
    )
    html = client.get(run.get_absolute_url()).content.decode()
    assert "are not in this report" in html or "is not in this report" in html
    assert reverse("reports:quote_review") + "?period=2024Q3" in html


# Erasure -----------------------------------------------------------------------------------------
def test_erasing_a_named_person_scrubs_their_name_from_what_others_wrote(
    named, author, event, staff
):
    feedback = _comment(author, event, approved_by=staff)
    feedback.most_useful = "Role plays with Құралбекова Меруерт"
    feedback.save()
    narrative = Narrative.objects.create(
        programme=event.programme,
        period_label="2024Q3",
        period_start=date(2024, 7, 1),
        period_end=date(2024, 9, 30),
        highlights="Меруерт Құралбекова led the Kyzylorda session.",
    )
    event.description = "Co-facilitated by Құралбекова Меруерт."
    event.save()
    assert "feedback" in " ".join(_tables_containing("Куралбекова")).lower()  # reproduce

    erase_person(named[0], User.objects.get(username="admin"), reason="request No. 13")

    assert _tables_containing("Құралбекова") == []
    assert _tables_containing("Куралбекова") == []
    assert _tables_containing("ҚҰРАЛБЕКОВА") == []
    feedback.refresh_from_db()
    assert feedback.comments.startswith("Огромное спасибо [name] за поддержку!")
    assert "Ерлан Жолдасбеков" in feedback.comments  # another person's name: not erased
    assert feedback.most_useful == "Role plays with [name]"
    assert all("Куралбекова" not in h.comments for h in feedback.history.all())
    narrative.refresh_from_db()
    assert narrative.highlights == "[name] led the Kyzylorda session."
    event.refresh_from_db()
    assert event.description == "Co-facilitated by [name]."
    assert "[name]" in " ".join(_quote_texts())


def test_erasing_the_author_blanks_the_approved_quote_too(author, event, staff):
    feedback = _comment(author, event, approved_by=staff, text="My own words, approved.")
    erase_person(author, User.objects.get(username="admin"), reason="request No. 14")
    feedback.refresh_from_db()
    assert (feedback.comments, feedback.quote_text_reviewed) == ("", "")
    assert all(h.quote_text_reviewed == "" for h in feedback.history.all())
    assert not any("My own words" in t for t in _quote_texts())
