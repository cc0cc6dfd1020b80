"""The public feedback link: participants answer on their phones without an account."""

from __future__ import annotations

import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.core import signing
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from participants.feedback_forms import started_token
from participants.feedback_views import DEVICE_COOKIE
from participants.models import Feedback
from trainings.models import TrainingEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def event(demo):
    return TrainingEvent.objects.get(
        title__startswith="Emotional intelligence", region__code="KZ-47"
    )


def the_event():
    return TrainingEvent.objects.get(
        title__startswith="Emotional intelligence", region__code="KZ-47"
    )


def answers(for_event=None, **overrides):
    """A filled-in form as a phone sends it, with a fresh one-time token of the form shown a
    minute ago for `for_event` (by default the demo event of the tests)."""
    data = {
        "satisfaction": "5",
        "relevance": "4",
        "usefulness": "4",
        "intent_to_apply": "5",
        "most_useful": "Жағдайлық ойындар",
        "comments": "Тренинг өте пайдалы болды, рахмет!",
        "consent_to_quote": "on",
        "website": "",
        "started": started_token(time.time() - 60, event=for_event or the_event()),
    }
    data.update(overrides)
    return data


def form_url(event):
    return reverse("feedback:form", args=[event.feedback_token])


@pytest.mark.parametrize(
    ("lang", "answer"),
    [
        ("kk", "Мүлдем риза емеспін"),
        ("ru", "Совсем не удовлетворен(а)"),
        ("en", "Very dissatisfied"),
    ],
)
def test_the_answers_to_choose_from_are_in_the_participants_language(client, event, lang, answer):
    """Found in a browser journey: the 1-5 answers stayed in English on the Kazakh form (their
    labels were built when the module was imported)."""
    from django.utils import translation

    with translation.override(lang):
        expected = translation.gettext("Very dissatisfied")
    assert expected == answer
    client.get(form_url(event) + f"?lang={lang}")
    html = client.get(form_url(event)).content.decode()
    assert f"1 – {answer}" in html
    others = {"kk", "ru", "en"} - {lang}
    for other in others:
        with translation.override(other):
            assert f"1 – {translation.gettext('Very dissatisfied')}" not in html


def test_participant_answers_in_kazakh_and_it_is_stored(client, event):
    page = client.get(form_url(event) + "?lang=kk")
    assert page.status_code == 302  # the choice is kept in the language cookie
    page = client.get(form_url(event))
    html = page.content.decode()
    assert page.status_code == 200
    assert '<html lang="kk">' in html
    assert event.title in html
    for label in ("Қазақша", "Русский", "English"):
        assert label in html
    before = Feedback.objects.filter(event=event).count()

    response = client.post(form_url(event), answers())

    assert response.status_code == 302
    assert response["Location"] == reverse("feedback:thanks", args=[event.feedback_token])
    stored = Feedback.objects.filter(event=event).order_by("-pk").first()
    assert Feedback.objects.filter(event=event).count() == before + 1
    assert stored.source == Feedback.Source.ONLINE
    assert stored.language == "kk"
    assert (stored.satisfaction, stored.relevance, stored.usefulness, stored.intent_to_apply) == (
        5,
        4,
        4,
        5,
    )
    assert stored.comments == "Тренинг өте пайдалы болды, рахмет!"
    assert stored.consent_to_quote is True
    assert stored.enrolment is None  # anonymous
    assert stored.device_token_hash and client.cookies[DEVICE_COOKIE].value not in (
        stored.device_token_hash
    )
    thanks = client.get(response["Location"])
    assert thanks.status_code == 200


def test_default_language_comes_from_the_browser(client, event):
    page = client.get(form_url(event), HTTP_ACCEPT_LANGUAGE="ru-RU,ru;q=0.9,en;q=0.5")
    assert '<html lang="ru">' in page.content.decode()


def test_missing_answers_are_explained_and_typed_text_is_kept(client, event):
    response = client.post(form_url(event), answers(satisfaction="", comments="Keep me"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Please choose one answer." in html
    assert "Keep me" in html
    assert not Feedback.objects.filter(event=event, comments="Keep me").exists()


def test_closed_link_shows_a_closed_page(client, event):
    event.feedback_open = False
    event.save()
    page = client.get(form_url(event))
    assert page.status_code == 200
    assert "This feedback form is closed" in page.content.decode()
    before = Feedback.objects.count()
    client.post(form_url(event), answers())
    assert Feedback.objects.count() == before


def test_link_past_its_closing_date_is_closed(client, event):
    event.feedback_closes_on = timezone.localdate() - timedelta(days=1)
    event.save()
    assert "This feedback form is closed" in client.get(form_url(event)).content.decode()
    event.feedback_closes_on = timezone.localdate()
    event.save()
    assert "This feedback form is closed" not in client.get(form_url(event)).content.decode()


def test_unknown_token_is_404(client, demo):
    assert client.get(reverse("feedback:form", args=["no-such-token"])).status_code == 404


def test_one_answer_per_device(client, event):
    client.get(form_url(event))  # sets the device cookie
    client.post(form_url(event), answers())
    n = Feedback.objects.filter(event=event).count()

    again = client.post(form_url(event), answers(comments="Second try"))

    assert again.status_code == 302 and again["Location"] == form_url(event)
    page = client.get(form_url(event))
    assert "already been received" in page.content.decode()
    assert Feedback.objects.filter(event=event).count() == n
    # Another phone may still answer.
    other = client_class_new(client)
    other.get(form_url(event))
    other.post(form_url(event), answers())
    assert Feedback.objects.filter(event=event).count() == n + 1


def client_class_new(client):
    return client.__class__()


def test_double_submit_stores_one_row_even_without_a_prior_visit(client, event):
    """A double tap on "Send" posts twice with the same cookie: one answer is stored."""
    before = Feedback.objects.filter(event=event).count()
    first = client.post(form_url(event), answers())
    second = client.post(form_url(event), answers())
    assert first.status_code == second.status_code == 302
    assert Feedback.objects.filter(event=event).count() == before + 1


def test_honeypot_is_not_stored(client, event):
    before = Feedback.objects.count()
    response = client.post(form_url(event), answers(website="http://spam.example"))
    assert response.status_code == 302  # the bot is told "thanks"
    assert Feedback.objects.count() == before


def test_too_fast_answer_is_refused_with_a_message(client, event):
    before = Feedback.objects.count()
    response = client.post(
        form_url(event), answers(started=started_token(time.time(), event=event))
    )
    assert response.status_code == 200
    assert "That was very quick" in response.content.decode()
    assert Feedback.objects.count() == before
    forged = client.post(form_url(event), answers(started="forged"))
    assert "This form has expired" in forged.content.decode()
    assert Feedback.objects.count() == before


def test_one_form_token_replayed_59_times_stores_one_answer(client, event):
    """Issue 13, item 7: one client reusing one start token stored 59 answers for one event
    (each post without the device cookie counted as a new phone)."""
    before = Feedback.objects.filter(event=event).count()
    replay = answers(comments="Stuffed answer")  # one token, sent again and again

    responses = [client_class_new(client).post(form_url(event), replay) for _ in range(59)]

    assert Feedback.objects.filter(event=event).count() == before + 1
    assert Feedback.objects.filter(comments="Stuffed answer").count() == 1
    assert responses[0].status_code == 302
    for refused in responses[1:]:  # a clear page, never an error
        assert refused.status_code == 200
        assert "already been received" in refused.content.decode()


def test_the_token_shown_on_the_page_is_accepted_once(client, event, settings):
    settings.FEEDBACK_MIN_FILL_SECONDS = 0  # the token is sent at once below
    page = client.get(form_url(event)).content.decode()
    token = re.search(r'name="started" value="([^"]+)"', page).group(1)
    before = Feedback.objects.filter(event=event).count()
    data = answers(started=token)
    first = client_class_new(client).post(form_url(event), data)
    again = client_class_new(client).post(form_url(event), data)
    assert first.status_code == 302
    assert "already been received" in again.content.decode()
    assert Feedback.objects.filter(event=event).count() == before + 1


def test_a_token_of_one_event_is_refused_on_another(client, event, settings):
    other = TrainingEvent.objects.exclude(pk=event.pk).filter(feedback_open=True).first()
    other.feedback_closes_on = None
    other.save()
    before = Feedback.objects.count()

    response = client.post(form_url(other), answers(for_event=event, comments="Wrong event"))

    assert response.status_code == 200
    html = response.content.decode()
    assert "This form has expired" in html
    assert "Wrong event" in html  # what was typed is kept, with a fresh token for this event
    assert Feedback.objects.count() == before
    fresh = re.search(r'name="started" value="([^"]+)"', html).group(1)
    settings.FEEDBACK_MIN_FILL_SECONDS = 0  # sent again at once with the fresh token
    resent = client.post(form_url(other), answers(started=fresh, comments="Wrong event"))
    assert resent.status_code == 302
    assert Feedback.objects.filter(event=other, comments="Wrong event").count() == 1


def test_a_tampered_or_old_style_token_is_refused(client, event):
    other = TrainingEvent.objects.exclude(pk=event.pk).first()
    genuine = started_token(time.time() - 60, event=event)
    foreign = started_token(time.time() - 60, event=other)
    # The payload of another event's token with this token's signature.
    tampered = foreign.split(":", 1)[0] + ":" + genuine.split(":", 1)[1]
    unbound = signing.dumps({"t": time.time() - 60}, salt="qadam.feedback.started")
    before = Feedback.objects.count()
    for token in (tampered, unbound, genuine[:-2], "", "not-a-token"):
        response = client_class_new(client).post(form_url(event), answers(started=token))
        assert response.status_code == 200
        assert "This form has expired" in response.content.decode()
    assert Feedback.objects.count() == before


def test_public_page_is_light_and_has_no_scripts(client, event):
    page = client.get(form_url(event))
    html = page.content.decode()
    assert "<script" not in html
    assert "bootstrap" not in html
    css = finders.find("css/feedback.css")
    total = len(page.content) + Path(css).stat().st_size
    assert total < 25_000, total
    for name in ("satisfaction", "relevance", "usefulness", "intent_to_apply"):
        for value in range(1, 6):
            assert f'id="id_{name}_{value - 1}"' in html  # every radio has its <label for>
    assert "Content-Security-Policy" in page.headers


def test_logged_in_staff_can_open_the_public_form_too(client, login_as, event):
    login_as("coord.kyzylorda")
    assert client.get(form_url(event)).status_code == 200


def test_language_links_work_on_every_public_page_without_an_account(client, event):
    thanks = reverse("feedback:thanks", args=[event.feedback_token])
    response = client.get(thanks + "?lang=ru")
    assert response.status_code == 302 and response["Location"] == thanks
    assert '<html lang="ru">' in client.get(thanks).content.decode()
    assert '<html lang="ru">' in client.get(form_url(event)).content.decode()
    client.get(form_url(event) + "?lang=en")
    assert '<html lang="en">' in client.get(form_url(event)).content.decode()
    client.get(form_url(event) + "?lang=xx")  # unknown: ignored
    assert '<html lang="en">' in client.get(form_url(event)).content.decode()


# In a real browser ---------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_participant_answers_on_a_phone_in_kazakh(phone, demo, settings):
    """At 360 px, without an account: switch to Kazakh, answer by tapping labels, send."""
    from .browser_fixtures import assert_accessible, screenshot

    settings.FEEDBACK_MIN_FILL_SECONDS = 0
    event = TrainingEvent.objects.get(
        title__startswith="Emotional intelligence", region__code="KZ-47"
    )
    before = Feedback.objects.filter(event=event).count()
    phone.goto(phone.base + form_url(event))
    phone.get_by_role("link", name="Қазақша").click()
    phone.wait_for_load_state()
    assert phone.evaluate("document.documentElement.lang") == "kk"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(phone)
    screenshot(phone, "feedback-form-phone")
    for name in ("satisfaction", "relevance", "usefulness", "intent_to_apply"):
        phone.locator(f"label[for=id_{name}_4]").click()
    phone.locator("#id_comments").fill("Өте пайдалы тренинг")
    with phone.expect_navigation():
        phone.locator("button[type=submit]").click()
    assert "/thanks/" in phone.url
    assert_accessible(phone)
    stored = Feedback.objects.filter(event=event).order_by("-pk").first()
    assert Feedback.objects.filter(event=event).count() == before + 1
    assert (stored.language, stored.satisfaction, stored.comments) == (
        "kk",
        5,
        "Өте пайдалы тренинг",
    )
    # The same phone opening the link again is told its answer is in.
    phone.goto(phone.base + form_url(event))
    assert phone.locator("#feedback-already").count() == 1


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_dashboard_and_feedback_pages_are_accessible_on_a_phone(phone, demo):
    from .browser_fixtures import assert_accessible, login, screenshot

    login(phone, "coord.mangystau")
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(phone)
    screenshot(phone, "dashboard-phone")
    event = TrainingEvent.objects.get(
        title__startswith="Emotional intelligence", region__code="KZ-47"
    )
    for name in ("event_feedback", "event_feedback_entry", "event_scores_entry"):
        phone.goto(phone.base + reverse(f"participants:{name}", args=[event.pk]))
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360, name
        assert_accessible(phone)
        screenshot(phone, name.replace("_", "-") + "-phone")
