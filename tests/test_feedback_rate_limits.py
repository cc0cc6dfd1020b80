"""Rate limits that fit the work (issue 20, item 5): a camp of 120 people behind one Wi-Fi router
can all answer the public feedback form; the limits are per form shown (a one-time token), per
event link and, far above a room, per network address; the address is read from a trusted
proxy's header only when one is configured (core/client.py), for the feedback form, the IATI
file, the audit trail and the login lockout alike."""

from __future__ import annotations

import re
import time

import pytest
from axes.models import AccessAttempt
from django.core import signing
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.models import SecurityEvent
from core.client import client_ip
from participants.feedback_forms import FORM_TOKEN_MAX_AGE, started_token
from participants.feedback_services import feedback_is_open, set_feedback_open
from participants.models import Feedback
from trainings.models import TrainingEvent

pytestmark = pytest.mark.django_db

CAMP_WIFI = "192.0.2.10"  # the one address a whole camp shares behind its router
PROXY = "10.0.0.2"  # our reverse proxy, as gunicorn sees it
PASSWORD = "demo-pass-123"


@pytest.fixture(autouse=True)
def _fresh_counters():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def event(demo):
    event = TrainingEvent.objects.get(
        title__startswith="Emotional intelligence", region__code="KZ-47"
    )
    assert feedback_is_open(event)
    return event


@pytest.fixture
def other_event(event):
    other = (
        TrainingEvent.objects.exclude(pk=event.pk).filter(feedback_open=True).order_by("pk").first()
    )
    other.feedback_closes_on = None
    other.save()
    set_feedback_open(event=other, is_open=True)
    assert feedback_is_open(other)
    return other


def form_url(event) -> str:
    return reverse("feedback:form", args=[event.feedback_token])


def answers(event, comment: str = "Өте пайдалы болды", **overrides) -> dict[str, str]:
    """A filled-in form with a fresh one-time token of the form shown a minute ago."""
    data = {
        "satisfaction": "5",
        "relevance": "4",
        "usefulness": "4",
        "intent_to_apply": "5",
        "most_useful": "Жағдайлық ойындар",
        "comments": comment,
        "consent_to_quote": "on",
        "website": "",
        "started": started_token(time.time() - 60, event=event),
    }
    data.update(overrides)
    return data


def a_phone() -> Client:
    """Another participant's phone: no cookies of its own yet."""
    return Client()


def stored(event, comment: str) -> int:
    return Feedback.objects.filter(event=event, comments=comment).count()


# One room, one address --------------------------------------------------------------------
def test_a_camp_of_120_people_on_one_wifi_can_all_answer(event):
    before = Feedback.objects.filter(event=event).count()
    for person in range(120):
        # Each phone sends the one-time token of the form it was shown (as the page renders
        # it: tests/test_feedback_public.py), from the camp's one address.
        response = a_phone().post(
            form_url(event), answers(event, f"Camp answer {person}"), REMOTE_ADDR=CAMP_WIFI
        )
        assert response.status_code == 302, (person, response.status_code)
    assert Feedback.objects.filter(event=event).count() == before + 120
    assert Feedback.objects.filter(event=event, comments__startswith="Camp answer ").count() == 120


def test_a_replayed_token_adds_nothing_and_does_not_use_up_the_events_allowance(event, settings):
    settings.FEEDBACK_EVENT_LIMIT = 2
    settings.FEEDBACK_EVENT_LIMIT_PER_PERSON = 0
    sent_once = answers(event, "Sent once")
    assert a_phone().post(form_url(event), sent_once).status_code == 302
    for _ in range(5):  # the same form again and again, from "new" phones
        replay = a_phone().post(form_url(event), sent_once)
        assert replay.status_code == 200
        assert "already been received" in replay.content.decode()
    assert stored(event, "Sent once") == 1
    # The replays were not counted: the event still takes its second answer.
    assert a_phone().post(form_url(event), answers(event, "Second person")).status_code == 302
    assert stored(event, "Second person") == 1


class _SignedLongAgo(signing.TimestampSigner):
    """Signs as if the form had been shown longer ago than a form token lives."""

    def timestamp(self):
        return signing.b62_encode(int(time.time()) - FORM_TOKEN_MAX_AGE - 60)


def expired_token(event) -> str:
    payload = {"t": time.time() - FORM_TOKEN_MAX_AGE - 60, "n": "expired-nonce", "e": event.pk}
    return _SignedLongAgo(salt="qadam.feedback.started").sign_object(payload)


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(expired_token, id="expired"),
        pytest.param(lambda e: started_token(time.time() - 60, event=e)[:-3] + "abc", id="forged"),
        pytest.param(lambda e: "", id="missing"),
    ],
)
def test_a_post_without_a_valid_token_is_refused_and_the_answers_are_kept(event, settings, token):
    phone = a_phone()
    response = phone.post(form_url(event), answers(event, "Kept answer", started=token(event)))
    assert response.status_code == 200
    html = response.content.decode()
    assert "This form has expired" in html
    assert "Kept answer" in html
    assert re.search(r'name="satisfaction" value="5"[^>]*checked', html)
    assert stored(event, "Kept answer") == 0
    # The re-rendered form carries a fresh token: "Send" again stores the answer once.
    fresh = re.search(r'name="started" value="([^"]+)"', html).group(1)
    settings.FEEDBACK_MIN_FILL_SECONDS = 0
    again = phone.post(form_url(event), answers(event, "Kept answer", started=fresh))
    assert again.status_code == 302
    assert stored(event, "Kept answer") == 1


# Floods -----------------------------------------------------------------------------------
def test_a_flood_to_one_link_is_stopped_while_another_events_link_works(
    event, other_event, settings
):
    settings.FEEDBACK_EVENT_LIMIT = 5
    settings.FEEDBACK_EVENT_LIMIT_PER_PERSON = 0
    for n in range(5):
        assert a_phone().post(form_url(event), answers(event, f"Flood {n}")).status_code == 302
    refused = a_phone().post(form_url(event), answers(event, "One too many"))
    assert refused.status_code == 429
    assert refused["Retry-After"] == str(settings.FEEDBACK_RATE_WINDOW)
    html = refused.content.decode()
    assert "too many answers right now" in html
    assert "One too many" in html  # nothing typed is lost
    assert stored(event, "One too many") == 0
    resend_token = re.search(r'name="started" value="([^"]+)"', html).group(1)
    # Another event's link, from the same address, is not affected.
    other = a_phone().post(form_url(other_event), answers(other_event, "Other event"))
    assert other.status_code == 302
    assert stored(other_event, "Other event") == 1
    # Once the window has passed (the counters expire), "Send" on the refused page stores it.
    cache.clear()
    settings.FEEDBACK_MIN_FILL_SECONDS = 0
    resent = a_phone().post(form_url(event), answers(event, "One too many", started=resend_token))
    assert resent.status_code == 302
    assert stored(event, "One too many") == 1


def test_the_event_limit_grows_with_the_roster(event, settings):
    roster = event.enrolments.count()
    assert roster >= 2
    settings.FEEDBACK_EVENT_LIMIT = 1  # below the roster: the roster decides
    settings.FEEDBACK_EVENT_LIMIT_PER_PERSON = 1
    for n in range(roster):
        assert a_phone().post(form_url(event), answers(event, f"Roster {n}")).status_code == 302
    assert a_phone().post(form_url(event), answers(event, "Beyond")).status_code == 429


def test_one_address_posting_far_more_than_a_room_is_stopped(event, settings):
    settings.FEEDBACK_ADDRESS_LIMIT = 3
    for n in range(3):
        response = a_phone().post(
            form_url(event), answers(event, f"Burst {n}"), REMOTE_ADDR=CAMP_WIFI
        )
        assert response.status_code == 302
    refused = a_phone().post(form_url(event), answers(event, "Burst 3"), REMOTE_ADDR=CAMP_WIFI)
    assert refused.status_code == 429
    assert "Burst 3" in refused.content.decode()
    # Another network still answers.
    elsewhere = a_phone().post(
        form_url(event), answers(event, "Elsewhere"), REMOTE_ADDR="192.0.2.99"
    )
    assert elsewhere.status_code == 302


# The client's address ---------------------------------------------------------------------
def test_a_forged_x_forwarded_for_is_ignored_without_a_trusted_proxy(event, settings):
    assert settings.TRUSTED_PROXY_COUNT == 0
    settings.FEEDBACK_ADDRESS_LIMIT = 1
    first = a_phone().post(
        form_url(event),
        answers(event, "First"),
        REMOTE_ADDR=CAMP_WIFI,
        HTTP_X_FORWARDED_FOR="1.1.1.1",
    )
    assert first.status_code == 302
    # A new made-up address in the header does not make a new client.
    second = a_phone().post(
        form_url(event),
        answers(event, "Second"),
        REMOTE_ADDR=CAMP_WIFI,
        HTTP_X_FORWARDED_FOR="2.2.2.2",
    )
    assert second.status_code == 429


def test_behind_the_trusted_proxy_the_address_it_appended_is_the_client(event, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.FEEDBACK_ADDRESS_LIMIT = 1

    def post(forwarded_for: str, comment: str):
        return a_phone().post(
            form_url(event),
            answers(event, comment),
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=forwarded_for,
        )

    # Two networks behind one proxy: two clients, not one limit for the whole site.
    assert post("198.51.100.1", "Network A").status_code == 302
    assert post("198.51.100.2", "Network B").status_code == 302
    # A client writing its own X-Forwarded-For only adds on the left: still network A.
    assert post("203.0.113.77, 198.51.100.1", "Network A again").status_code == 429


def request_from(remote: str, forwarded_for: str | None = None, **meta):
    extra = {"REMOTE_ADDR": remote, **meta}
    if forwarded_for is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return RequestFactory().get("/", **extra)


def test_client_ip_reads_the_header_only_as_far_as_the_trusted_proxies_go(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request_from(PROXY, "203.0.113.5")) == PROXY
    assert client_ip(None) is None

    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request_from(PROXY, "198.51.100.1")) == "198.51.100.1"
    assert client_ip(request_from(PROXY, "203.0.113.5, 198.51.100.1")) == "198.51.100.1"
    # No header, or garbage where the proxy's entry should be: the proxy's own address.
    assert client_ip(request_from(PROXY)) == PROXY
    assert client_ip(request_from(PROXY, "203.0.113.5, not-an-ip")) == PROXY

    settings.TRUSTED_PROXY_COUNT = 2  # a load balancer, then nginx
    assert client_ip(request_from(PROXY, "203.0.113.5, 198.51.100.1, 10.0.0.9")) == "198.51.100.1"
    # Fewer entries than trusted proxies: the request did not pass them all.
    assert client_ip(request_from(PROXY, "198.51.100.1")) == PROXY

    settings.TRUSTED_PROXY_COUNT = 1
    settings.TRUSTED_PROXY_HEADER = "X-Real-IP"
    real = request_from(PROXY, "203.0.113.5", HTTP_X_REAL_IP="198.51.100.3")
    assert client_ip(real) == "198.51.100.3"


def test_the_audit_trail_records_the_address_behind_the_proxy(client, demo, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    client.post(
        "/login/",
        {"username": "viewer", "password": "nope"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="203.0.113.5, 198.51.100.1",
    )
    failed = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.LOGIN_FAILED).latest("pk")
    assert failed.ip_address == "198.51.100.1"


def test_public_iati_file_is_limited_per_client_behind_the_proxy(client, demo, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.IATI_RATE_LIMIT = 1
    url = "/iati/no-such-programme.xml"
    assert (
        client.get(url, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.1").status_code == 404
    )
    assert (
        client.get(url, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.2").status_code == 404
    )
    spoofed = client.get(url, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="1.1.1.1, 198.51.100.1")
    assert spoofed.status_code == 429


# The login lockout keys on the same address ------------------------------------------------
def login(client, username, password, **meta):
    return client.post("/login/", {"username": username, "password": password}, **meta)


def test_login_lockout_ignores_a_forged_header_without_a_trusted_proxy(client, demo, settings):
    for n in range(settings.AXES_FAILURE_LIMIT):
        # Each try claims another address; without a trusted proxy none of them counts.
        login(
            client,
            "coord.mangystau",
            "wrong",
            REMOTE_ADDR=CAMP_WIFI,
            HTTP_X_FORWARDED_FOR=f"1.1.1.{n}",
        )
    assert AccessAttempt.objects.get(username="coord.mangystau").ip_address == CAMP_WIFI
    locked = login(
        client, "coord.mangystau", PASSWORD, REMOTE_ADDR=CAMP_WIFI, HTTP_X_FORWARDED_FOR="1.1.1.99"
    )
    assert locked.status_code == 429


def test_login_lockout_is_per_client_behind_the_trusted_proxy(client, demo, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(settings.AXES_FAILURE_LIMIT):
        # A client prepending made-up addresses is still the address our proxy appended.
        login(
            client,
            "coord.mangystau",
            "wrong",
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=f"1.1.1.{n}, 198.51.100.1",
        )
    attempt = AccessAttempt.objects.get(username="coord.mangystau")
    assert attempt.ip_address == "198.51.100.1"
    locked = login(
        client, "coord.mangystau", PASSWORD, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="198.51.100.1"
    )
    assert locked.status_code == 429
    # The same user from another network behind the same proxy is not locked out.
    other = login(
        Client(),
        "coord.mangystau",
        PASSWORD,
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="198.51.100.2",
    )
    assert other.status_code == 302
