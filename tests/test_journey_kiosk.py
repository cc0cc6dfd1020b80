"""The feedback kiosk in a real browser (issue 20, item 4; ADR 0018): a coordinator opens an
event's feedback form in kiosk mode on their tablet, the connection drops, ten participants
answer one after another on the same page (each time the form is empty again for the next
person), the page is reloaded still offline (it opens from the service worker, the ten answers
still queued), and when the connection returns the server has exactly ten answers. An answer
sent after the event got locked comes back refused, with the reason, for the coordinator."""

import pytest
from playwright.sync_api import expect

from .browser_fixtures import _check_csp, _new_page, assert_accessible, login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LIKERT = ("satisfaction", "relevance", "usefulness", "intent_to_apply")


@pytest.fixture
def tablet(browser, live_server):
    # Service workers allowed (the default): the worker installs and serves under this context.
    context, watched = _new_page(
        browser, viewport={"width": 800, "height": 1280}, service_workers="allow"
    )
    watched.page.base = live_server.url
    yield context, watched.page
    context.close()
    _check_csp(watched)


def _open_and_keep(page, url: str) -> None:
    """Open the kiosk online and wait until the service worker controls it and has kept it."""
    page.goto(url)
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.wait_for_function(
        "async () => !!navigator.serviceWorker.controller && !!(await caches.match(location.href))"
    )


def _expect_empty(page) -> None:
    """Nothing of the previous person's answers on screen."""
    expect(page.locator("#kiosk-question")).to_be_visible()
    expect(page.locator("#kiosk-thanks")).to_be_hidden()
    expect(page.locator("form.kiosk-form input:checked")).to_have_count(0)
    expect(page.get_by_label("What was most useful?")).to_have_value("")
    expect(page.get_by_label("Comments and suggestions")).to_have_value("")


def _answer(page, i: int) -> None:
    for name in LIKERT:
        page.locator(f"input[name={name}][value='{1 + i % 5}']").check()
    page.get_by_label("What was most useful?").fill(f"Answer number {i}")
    if i % 2:
        page.get_by_label("Comments and suggestions").fill(f"Comment {i}")
        page.get_by_label("My comments may be quoted in reports, without my name.").check()
    page.get_by_role("button", name="Send").click()


def test_ten_answers_given_offline_on_one_tablet_reach_the_server_once(tablet, demo):
    from django.utils import timezone

    from participants.models import Feedback, SyncedChange
    from tests.factories import EventFactory, region
    from trainings.models import TrainingEvent

    context, page = tablet
    today = timezone.localdate()
    event = EventFactory(
        title="Youth camp feedback kiosk",
        region=region("KZ-47"),
        status=TrainingEvent.Status.HELD,
        start_date=today,
        end_date=today,
    )
    kiosk = f"{page.base}/people/events/{event.pk}/feedback/kiosk/"
    login(page, "coord.mangystau")
    # The event page offers the kiosk.
    page.goto(page.base + event.get_absolute_url())
    page.get_by_role("link", name="Feedback kiosk").click()
    expect(page).to_have_url(kiosk)
    _open_and_keep(page, kiosk)
    assert_accessible(page)

    context.set_offline(True)
    status = page.locator("#outbox-status")
    for i in range(10):
        _answer(page, i)
        thanks = page.locator("#kiosk-thanks")
        expect(thanks).to_be_visible()
        expect(thanks).to_contain_text("hand the device to the next person")
        expect(page.locator("#kiosk-question")).to_be_hidden()
        expect(status).to_contain_text(f"{i + 1} answer")
        page.get_by_role("link", name="Next person").click()
        _expect_empty(page)
    expect(status).to_contain_text("10 answers not sent yet")
    assert not Feedback.objects.filter(event=event).exists()

    # A reload with no connection: the kept page opens, empty, the ten answers still queued.
    response = page.reload()
    assert response is not None and response.from_service_worker
    _expect_empty(page)
    expect(status).to_contain_text("10 answers not sent yet")
    assert_accessible(page)

    context.set_offline(False)
    expect(status).to_contain_text("All answers are sent.", timeout=20_000)
    answers = Feedback.objects.filter(event=event)
    assert answers.count() == 10
    assert set(answers.values_list("source", flat=True)) == {Feedback.Source.KIOSK}
    assert sorted(answers.values_list("most_useful", flat=True)) == sorted(
        f"Answer number {i}" for i in range(10)
    )
    assert answers.filter(enrolment__isnull=False).count() == 0
    assert answers.filter(consent_to_quote=True).count() == 5
    assert SyncedChange.objects.filter(kind="kiosk_feedback", status="applied").count() == 10
    _expect_empty(page)

    # Online, an answer also goes through the outbox; the event got locked meanwhile: the
    # coordinator sees the answer refused with the reason, and can discard it.
    TrainingEvent.objects.filter(pk=event.pk).update(status=TrainingEvent.Status.REPORTED)
    _answer(page, 10)
    refused = page.locator("#outbox-refused")
    expect(refused).to_be_visible(timeout=20_000)
    expect(refused).to_contain_text("Kiosk answer")
    expect(refused).to_contain_text("reported and locked")
    assert answers.count() == 10
    assert_accessible(page)
    page.get_by_role("button", name="Discard").click()
    expect(refused).to_be_hidden()
