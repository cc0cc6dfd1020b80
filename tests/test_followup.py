"""Follow-up surveys months after a training (issue 22; docs/decisions/0025): a round falls
due and the consenting participants get a personal link by e-mail (to a real SMTP server) or
are on the coordinator's call list; a link answers once and expires; one reminder; refusing
stops all contact; staff edit the rounds and question sets."""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from dateutil.relativedelta import relativedelta
from django.urls import reverse
from django.utils import timezone

from followup import services, tasks
from followup.models import Invitation, QuestionSet, Round
from participants.models import ParticipantCategory

from .factories import EnrolmentFactory, EventFactory, ParticipantFactory, SessionFactory, region

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+/fu/[\w-]+/")


@pytest.fixture
def trained(db):
    """A training whose last session was exactly 3 months ago (its 3-month round is due
    today), with: Aigerim and Dana (consent, e-mail), Bolat (consent, phone only) and Serik
    (no follow-up consent)."""
    last = timezone.localdate() - relativedelta(months=3)
    event = EventFactory(
        title="Counter-narratives for imams",
        event_type="training",
        start_date=last - timedelta(days=2),
        end_date=last,
    )
    SessionFactory(event=event, date=last)
    people = {
        "aigerim": ParticipantFactory(
            full_name="Aigerim Test", email="aigerim@example.org", followup_consent=True
        ),
        "dana": ParticipantFactory(
            full_name="Dana Test", email="dana@example.org", followup_consent=True
        ),
        "bolat": ParticipantFactory(
            full_name="Bolat Test", phone="+7 701 000 11 22", followup_consent=True
        ),
        "serik": ParticipantFactory(full_name="Serik Test", email="serik@example.org"),
    }
    for person in people.values():
        EnrolmentFactory(event=event, participant=person)
    return event, people


def _open_rounds(capture):
    with capture(execute=True):
        tasks.run_daily.apply()  # the beat's daily task, run in-process


def _link(mail) -> str:
    return urlsplit(LINK.search(mail.body).group(0)).path


def _invitation(person) -> Invitation:
    return Invitation.objects.get(participant=person)


def _answer(client, path, **answers):
    data = {"applied": "yes", "how_often": "monthly", "example": "I used the role play."}
    return client.post(path, {**data, **answers})


def test_the_daily_task_is_on_the_beat_schedule(settings):
    tasks_scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"followup.run_daily", "followup.send_pending"} <= tasks_scheduled


def test_a_due_round_mails_a_working_link_to_each_consenting_person_with_an_address(
    client, smtp_server, trained, django_capture_on_commit_callbacks
):
    event, people = trained
    _open_rounds(django_capture_on_commit_callbacks)

    recipients = sorted(r for m in smtp_server.messages for r in m.rcpt_tos)
    assert recipients == ["aigerim@example.org", "dana@example.org"]  # not Serik, not Bolat
    assert not Invitation.objects.filter(participant=people["serik"]).exists()
    mail = smtp_server.to("aigerim@example.org")[0]
    assert "Counter-narratives for imams" in mail.subject
    assert "Aigerim Test" in mail.body
    assert "/stop/" in mail.body  # one click to refuse further contact

    # The link is stored only as a hash.
    invitation = _invitation(people["aigerim"])
    token = _link(mail).split("/")[2]
    assert token not in (invitation.token_hash, invitation.nonce)
    assert invitation.sent_at is not None

    page = client.get(_link(mail))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Have you used what you learned in the training?" in html
    assert "An example, in a sentence" in html
    assert "https://" not in html.replace(settings_site(), "")  # no external assets

    # Running the day again sends nothing twice.
    smtp_server.clear()
    _open_rounds(django_capture_on_commit_callbacks)
    assert smtp_server.messages == []


def settings_site() -> str:
    from django.conf import settings

    return settings.SITE_URL


def test_a_link_answers_once_then_says_it_was_used(
    client, smtp_server, trained, django_capture_on_commit_callbacks
):
    event, people = trained
    _open_rounds(django_capture_on_commit_callbacks)
    path = _link(smtp_server.to("aigerim@example.org")[0])

    empty = client.post(path, {})
    assert empty.status_code == 200
    assert "Please answer at least one question." in empty.content.decode()

    response = _answer(client, path)
    assert 'id="followup-received"' in response.content.decode()
    invitation = _invitation(people["aigerim"])
    assert invitation.answers == {
        "applied": "yes",
        "how_often": "monthly",
        "example": "I used the role play.",
    }
    assert invitation.answered_at is not None and invitation.entered_by is None

    again = _answer(client, path, applied="no")
    assert 'id="followup-already"' in again.content.decode()
    assert 'id="followup-already"' in client.get(path).content.decode()
    invitation.refresh_from_db()
    assert invitation.answers["applied"] == "yes"


def test_an_expired_link_says_so_and_stores_nothing(
    client, smtp_server, trained, django_capture_on_commit_callbacks
):
    event, people = trained
    _open_rounds(django_capture_on_commit_callbacks)
    path = _link(smtp_server.to("dana@example.org")[0])
    invitation = _invitation(people["dana"])
    assert invitation.expires_at - invitation.sent_at > timedelta(days=29)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())

    assert client.get(path).status_code == 410
    response = _answer(client, path)
    assert response.status_code == 410
    assert 'id="followup-expired"' in response.content.decode()
    invitation.refresh_from_db()
    assert invitation.answered_at is None and invitation.answers == {}


def test_an_unknown_link_is_not_found(client):
    assert client.get(reverse("followup:answer", args=["x" * 40])).status_code == 404


def test_the_page_speaks_kazakh_and_russian(
    client, smtp_server, trained, django_capture_on_commit_callbacks
):
    _open_rounds(django_capture_on_commit_callbacks)
    path = _link(smtp_server.to("aigerim@example.org")[0])
    assert client.get(path + "?lang=kk").status_code == 302
    assert "Тренингте үйренгеніңізді қолдандыңыз ба?" in client.get(path).content.decode()
    client.get(path + "?lang=ru")
    assert "Применяли ли вы то, чему научились на тренинге?" in client.get(path).content.decode()


def test_one_reminder_to_those_who_did_not_answer(
    client, smtp_server, trained, django_capture_on_commit_callbacks, settings
):
    settings.FOLLOWUP_SMS_BACKEND = ""  # Bolat, phone only, is called instead
    event, people = trained
    _open_rounds(django_capture_on_commit_callbacks)
    _answer(client, _link(smtp_server.to("aigerim@example.org")[0]))
    smtp_server.clear()

    later = timezone.now() + timedelta(days=8)
    assert services.send_reminders(now=timezone.now() + timedelta(days=3)) == 0
    assert services.send_reminders(now=later) == 1
    [reminder] = smtp_server.messages
    assert reminder.rcpt_tos == ["dana@example.org"]
    assert reminder.subject.startswith("[Qadam] Reminder")
    assert _link(reminder)  # the same personal link
    assert services.send_reminders(now=later + timedelta(days=7)) == 0  # once only
    # After expiry, nothing more.
    assert services.send_reminders(now=later + timedelta(days=40)) == 0


def test_refusing_stops_every_contact(
    client, smtp_server, trained, django_capture_on_commit_callbacks
):
    event, people = trained
    _open_rounds(django_capture_on_commit_callbacks)
    mail = smtp_server.to("dana@example.org")[0]
    stop = re.search(r"https?://\S+/fu/[\w-]+/stop/", mail.body).group(0)
    stop_path = urlsplit(stop).path

    confirm = client.get(stop_path)  # a mail scanner opening the link withdraws nothing
    assert confirm.status_code == 200
    assert people["dana"].__class__.objects.get(pk=people["dana"].pk).followup_consent
    done = client.post(stop_path)
    assert 'id="followup-refused"' in done.content.decode()
    dana = people["dana"].__class__.objects.get(pk=people["dana"].pk)
    assert dana.followup_consent is False
    assert dana.followup_withdrawn_on == timezone.localdate()
    assert dana.history.first().followup_consent is False  # the withdrawal is recorded

    # No reminder...
    smtp_server.clear()
    services.send_reminders(now=timezone.now() + timedelta(days=8))
    assert smtp_server.to("dana@example.org") == []
    # ... the link no longer asks...
    assert 'id="followup-refused"' in client.get(_link(mail)).content.decode()
    # ... and no next round (the 6-month round of the same training).
    Round.objects.filter(event_type="training", months=3).update(is_active=False)
    Round.objects.filter(event_type="training", months=6).update(is_active=True)
    with django_capture_on_commit_callbacks(execute=True):
        services.open_due_rounds(today=event.end_date + relativedelta(months=6))
    assert smtp_server.to("dana@example.org") == []
    assert smtp_server.to("aigerim@example.org")  # others are asked again
    assert Invitation.objects.filter(participant=dana).count() == 1


def test_old_events_are_not_asked_when_a_round_is_set_up_later(trained):
    event, people = trained
    assert services.open_due_rounds(today=timezone.localdate() + timedelta(days=60)) == 0
    assert services.open_due_rounds(today=timezone.localdate() - timedelta(days=1)) == 0
    assert services.open_due_rounds(today=timezone.localdate() + timedelta(days=3)) == 3


def test_people_without_email_are_on_their_coordinators_call_list(
    client, login_as, trained, django_capture_on_commit_callbacks, settings
):
    settings.FOLLOWUP_SMS_BACKEND = ""
    event, people = trained
    _open_rounds(django_capture_on_commit_callbacks)
    bolat = _invitation(people["bolat"])
    assert bolat.channel == "call" and bolat.sent_at is None

    login_as("coord.kyzylorda")
    assert "Bolat Test" not in client.get(reverse("followup:calls")).content.decode()
    assert client.get(reverse("followup:call_entry", args=[bolat.pk])).status_code == 404

    login_as("coord.mangystau")
    html = client.get(reverse("followup:calls")).content.decode()
    assert "Bolat Test" in html and 'href="tel:+7 701 000 11 22"' in html
    assert "Aigerim Test" not in html  # reached by e-mail
    entry_url = reverse("followup:call_entry", args=[bolat.pk])
    assert entry_url in html
    entry = client.get(entry_url)
    assert "Have you used what you learned in the training?" in entry.content.decode()
    response = client.post(
        reverse("followup:call_entry", args=[bolat.pk]),
        {"applied": "no", "how_often": "never", "example": ""},
    )
    assert response.status_code == 302
    bolat.refresh_from_db()
    assert bolat.answers == {"applied": "no", "how_often": "never"}
    assert bolat.entered_by.username == "coord.mangystau"
    assert entry_url not in client.get(reverse("followup:calls")).content.decode()


def test_a_person_can_refuse_on_the_phone(
    client, login_as, trained, django_capture_on_commit_callbacks
):
    event, people = trained
    _open_rounds(django_capture_on_commit_callbacks)
    bolat = _invitation(people["bolat"])
    login_as("coord.mangystau")
    client.post(reverse("followup:call_entry", args=[bolat.pk]), {"refuse": "1"})
    people["bolat"].refresh_from_db()
    assert people["bolat"].followup_consent is False
    calls = client.get(reverse("followup:calls")).content.decode()
    assert reverse("followup:call_entry", args=[bolat.pk]) not in calls


def test_sms_goes_through_the_configured_backend(
    trained, django_capture_on_commit_callbacks, settings, caplog
):
    settings.FOLLOWUP_SMS_BACKEND = "followup.sms.ConsoleBackend"
    event, people = trained
    with caplog.at_level(logging.INFO, logger="followup.sms"):
        _open_rounds(django_capture_on_commit_callbacks)
    bolat = _invitation(people["bolat"])
    assert bolat.sent_at is not None
    [line] = [r.getMessage() for r in caplog.records if r.name == "followup.sms"]
    assert line.startswith("SMS to +7 701 000 11 22: ") and "/fu/" in line


def test_people_without_consent_get_nothing(
    trained, smtp_server, django_capture_on_commit_callbacks
):
    event, people = trained
    for person in people.values():
        person.followup_consent = False
        person.save()
    _open_rounds(django_capture_on_commit_callbacks)
    assert smtp_server.messages == []
    assert not Invitation.objects.filter(event=event).exists()


def test_the_follow_up_consent_is_recorded_in_the_person_form(client, login_as):
    person = ParticipantFactory(full_name="Old Name")
    login_as("coord.mangystau")
    url = reverse("participants:person_edit", args=[person.pk])
    form = {
        "full_name": "Old Name",
        "sex": "F",
        "birth_year": "1990",
        "region": region("KZ-47").pk,
        "category": ParticipantCategory.objects.get(code="akimat").pk,
        "followup_consent": "on",
    }
    page = client.get(url).content.decode().lower()
    assert "agrees to be contacted for follow-up surveys" in page
    assert client.post(url, form).status_code == 302
    person.refresh_from_db()
    assert person.followup_consent and person.followup_consent_on == timezone.localdate()
    del form["followup_consent"]
    client.post(url, form)
    person.refresh_from_db()
    assert not person.followup_consent
    assert person.followup_withdrawn_on == timezone.localdate()
    detail = client.get(person.get_absolute_url()).content.decode()
    assert re.search(r'id="followup-consent">Withdrawn on ', detail)


def test_the_default_question_sets_are_shipped_in_three_languages(demo):
    neet = QuestionSet.objects.get(name="NEET youth: use and current status")
    status = next(q for q in neet.questions if q["key"] == "status")
    assert [c["value"] for c in status["choices"]] == [
        "employed",
        "studying",
        "internship",
        "own_business",
        "none",
    ]
    for question_set in QuestionSet.objects.all():
        question_set.full_clean()
    assert set(Round.objects.values_list("event_type", "months")) >= {
        ("training", 3),
        ("training", 6),
        ("camp", 3),
        ("camp", 6),
    }


def test_staff_edit_question_sets_and_rounds_with_validation(client, login_as):
    login_as("coord.mangystau")
    assert client.get(reverse("followup:rounds")).status_code == 403
    login_as("undp.staff")
    assert "NEET youth" in client.get(reverse("followup:rounds")).content.decode()

    bad = [{"key": "used", "kind": "yes_no", "text": {"en": "Used it?"}}]
    response = client.post(
        reverse("followup:question_set_create"),
        {"name": "Short", "questions": json.dumps(bad), "is_active": "on"},
    )
    assert "the text in ru, kk is missing" in response.content.decode()
    response = client.post(
        reverse("followup:question_set_create"), {"name": "Short", "questions": "[{"}
    )
    assert "This is not valid JSON" in response.content.decode()
    good = [{"key": "used", "kind": "yes_no", "text": {"en": "Used?", "ru": "Да?", "kk": "Иә?"}}]
    response = client.post(
        reverse("followup:question_set_create"),
        {"name": "Short", "questions": json.dumps(good), "is_active": "on"},
    )
    assert response.status_code == 302
    short = QuestionSet.objects.get(name="Short")

    response = client.post(
        reverse("followup:round_create"), {"months": "3", "question_set": short.pk}
    )
    assert "Choose an event type or an activity line." in response.content.decode()
    response = client.post(
        reverse("followup:round_create"),
        {"event_type": "workshop", "months": "12", "question_set": short.pk, "is_active": "on"},
    )
    assert response.status_code == 302
    created = Round.objects.get(event_type="workshop", months=12)
    edit = client.post(
        created.get_absolute_url(),
        {"event_type": "workshop", "months": "40", "question_set": short.pk},
    )
    assert "Ensure this value is less than or equal to 36." in edit.content.decode()


def test_round_outcomes_match_the_answers_counted_one_by_one(trained):
    from followup.selectors import round_outcomes

    event, people = trained
    camp = EventFactory(
        title="NEET camp", event_type="camp", start_date=event.start_date, end_date=event.end_date
    )
    youth = [ParticipantFactory(followup_consent=True, email=f"y{i}@example.org") for i in range(6)]
    for person in youth:
        EnrolmentFactory(event=camp, participant=person)
    services.open_due_rounds()
    given = [
        {"status": "employed", "applied": "yes"},
        {"status": "studying", "applied": "no"},
        {"status": "none", "applied": "yes"},
        {"status": "none"},
    ]
    for person, answers in zip(youth, given, strict=False):
        services.record_answers(invitation=_invitation(person), answers=answers)
    services.record_answers(invitation=_invitation(people["aigerim"]), answers={"applied": "yes"})

    # The demo's November 2024 follow-up is in the same rounds: count these two events only.
    outcomes = {o.round_id: o for o in round_outcomes(events=[event, camp])}
    for round_id, outcome in outcomes.items():
        rows = list(
            Invitation.objects.filter(round_id=round_id, event__in=[event, camp]).values(
                "answers", "answered_at"
            )
        )
        answered = [r["answers"] for r in rows if r["answered_at"]]
        assert outcome.invited == len(rows)
        assert outcome.respondents == len(answered)
        with_applied = [a for a in answered if "applied" in a]
        assert outcome.applied_yes == sum(a["applied"] == "yes" for a in with_applied)
        assert outcome.applied_answered == len(with_applied)
        for status, n in outcome.status_counts.items():
            assert n == sum(a.get("status") == status for a in answered)
    camp_round = Round.objects.get(event_type="camp", months=3).pk
    neet = outcomes[camp_round]
    assert (neet.invited, neet.respondents) == (6, 4)
    assert neet.response_rate == pytest.approx(4 / 6)
    assert neet.applied_share == pytest.approx(2 / 3)
    assert neet.in_eet_share == pytest.approx(2 / 4)
    assert neet.status_shares["none"] == pytest.approx(0.5)
    training = outcomes[Round.objects.get(event_type="training", months=3).pk]
    assert (training.invited, training.respondents, training.applied_share) == (3, 1, 1.0)
    assert training.in_eet_share is None
    assert [o.round_id for o in round_outcomes(events=[camp])] == [camp_round]


def test_the_answer_page_is_light_and_has_no_scripts(client, trained):
    event, people = trained
    services.open_due_rounds()
    invitation = _invitation(people["aigerim"])
    page = client.get(reverse("followup:answer", args=[invitation.token]))
    html = page.content.decode()
    assert "<script" not in html and "bootstrap" not in html
    assert page["Referrer-Policy"] == "same-origin"
    assert 'id="id_applied_0"' in html and 'for="id_applied_0"' in html


def test_a_mail_server_that_is_down_leaves_the_link_to_be_sent_later(
    smtp_server, trained, django_capture_on_commit_callbacks, settings
):
    from .smtp import free_port

    event, people = trained
    port, settings.EMAIL_PORT = settings.EMAIL_PORT, free_port()  # nothing listens there
    _open_rounds(django_capture_on_commit_callbacks)
    invitation = _invitation(people["aigerim"])
    assert invitation.sent_at is None and invitation.attempts == 1 and invitation.error
    settings.EMAIL_PORT = port
    tasks.send_pending.apply()
    assert sorted(m.rcpt_tos[0] for m in smtp_server.messages) == [
        "aigerim@example.org",
        "dana@example.org",
    ]
    invitation.refresh_from_db()
    assert invitation.sent_at is not None
    tasks.send_pending.apply()
    assert len(smtp_server.messages) == 2  # sent once


def test_erasing_a_person_forgets_their_sentence_and_keeps_the_counts(trained):
    from participants.privacy import erase_person

    event, people = trained
    services.open_due_rounds()
    invitation = _invitation(people["aigerim"])
    services.record_answers(
        invitation=invitation, answers={"applied": "yes", "example": "Aigerim's story"}
    )
    erase_person(people["aigerim"], None, reason="request")
    invitation.refresh_from_db()
    assert invitation.answers == {"applied": "yes"}
    people["aigerim"].refresh_from_db()
    assert people["aigerim"].followup_consent is False


# In a real browser ---------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_a_person_answers_on_a_phone_in_kazakh_and_a_coordinator_enters_a_call(
    phone, demo, settings
):
    """At 360 px: the personal link in Kazakh, answered by tapping labels; then the
    coordinator's call list and phone entry, both accessible."""
    from .browser_fixtures import assert_accessible, login

    settings.FOLLOWUP_SMS_BACKEND = ""
    last = timezone.localdate() - relativedelta(months=3)
    event = EventFactory(
        title="Counter-narratives", event_type="training", start_date=last, end_date=last
    )
    mail = ParticipantFactory(
        full_name="Aigerim Phone", email="a@example.org", followup_consent=True
    )
    call = ParticipantFactory(full_name="Bolat Phone", phone="+77010001122", followup_consent=True)
    for person in (mail, call):
        EnrolmentFactory(event=event, participant=person)
    services.open_due_rounds()

    phone.goto(phone.base + reverse("followup:answer", args=[_invitation(mail).token]))
    phone.get_by_role("link", name="Қазақша").click()
    phone.wait_for_load_state()
    assert phone.evaluate("document.documentElement.lang") == "kk"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(phone)
    phone.locator("label[for=id_applied_0]").click()
    phone.locator("label[for=id_how_often_0]").click()
    phone.locator("#id_example").fill("Жастармен кездесуде қолдандым.")
    with phone.expect_navigation():
        phone.locator("button[type=submit]").click()
    assert phone.locator("#followup-received").count() == 1
    assert_accessible(phone)
    assert _invitation(mail).answers == {
        "applied": "yes",
        "how_often": "weekly",
        "example": "Жастармен кездесуде қолдандым.",
    }

    phone.get_by_role("link", name="English").click()  # the coordinator reads English
    phone.wait_for_load_state()
    login(phone, "coord.mangystau")
    phone.goto(phone.base + reverse("followup:calls"))
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(phone)
    phone.locator(
        f"a[href='{reverse('followup:call_entry', args=[_invitation(call).pk])}']"
    ).click()
    phone.wait_for_load_state()
    assert_accessible(phone)
    phone.locator("label[for=id_applied_1]").click()
    with phone.expect_navigation():
        phone.get_by_role("button", name="Save the answers").click()
    assert phone.locator(".alert-success").count() == 1
    assert _invitation(call).answers == {"applied": "no"}
