"""Follow-up rounds at work (docs/decisions/0025): opening the rounds that fell due (one
Invitation per consenting participant, written in one transaction), mailing the links after
the commit, one reminder, answers (by the link or typed in from a call) and refusals.

Mails are written in the site's language (LANGUAGE_CODE): people have no language of their
own in the registry; the link's page offers kk/ru/en."""

from __future__ import annotations

import logging
import secrets
from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import F, Max, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core import taskqueue
from participants.models import Participant

from . import sms, tasks
from .models import Invitation, Round, hash_token

logger = logging.getLogger(__name__)


class AlreadyAnswered(Exception):
    """The link was used: it answers once."""


class LinkExpired(Exception):
    """The link's time is over."""


def consenting(queryset=None):
    """People who may be contacted for a follow-up survey now."""
    queryset = Participant.objects.all() if queryset is None else queryset
    return queryset.filter(followup_consent=True, is_anonymised=False)


# Opening rounds ---------------------------------------------------------------------------
def _last_day(events):
    return events.annotate(last_day=Coalesce(Max("sessions__date"), F("end_date")))


def open_round_for_event(
    *, round: Round, event, due_on: date, now: datetime | None = None
) -> list[int]:
    """Inside a transaction: one Invitation per consenting participant of `event` not yet
    asked in `round` (the key makes it idempotent); the e-mailed ones (and SMS, when a backend
    is set) are sent once the transaction commits. Returns the new invitations' ids."""
    now = now or timezone.now()
    created = []
    people = consenting(Participant.objects.filter(enrolments__event=event)).distinct()
    for person in people:
        key = f"{round.pk}:{event.pk}:{person.pk}"
        if Invitation.objects.filter(key=key).exists():
            continue
        invitation = Invitation(
            key=key,
            round=round,
            event=event,
            participant=person,
            channel=Invitation.Channel.EMAIL if person.email else Invitation.Channel.CALL,
            nonce=secrets.token_urlsafe(32),
            due_on=due_on,
            expires_at=now + timedelta(days=settings.FOLLOWUP_LINK_DAYS),
            language=settings.LANGUAGE_CODE,
        )
        invitation.token_hash = hash_token(invitation.token)
        invitation.save()
        created.append(invitation.pk)
    if created:
        transaction.on_commit(lambda: [dispatch(pk) for pk in created])
    return created


def open_due_rounds(*, today: date | None = None) -> int:
    """Daily (beat): every active round whose day (the event's last session + N months) came
    in the last FOLLOWUP_CATCH_UP_DAYS days; a day the beat missed is made up, older events
    are never asked (a round set up today does not write to people trained years ago).
    Each (round, event) is written in its own transaction. How many invitations were made."""
    today = today or timezone.localdate()
    earliest = today - timedelta(days=settings.FOLLOWUP_CATCH_UP_DAYS)
    made = 0
    rounds = Round.objects.filter(is_active=True, question_set__is_active=True)
    for round in rounds:
        span = relativedelta(months=round.months)
        events = _last_day(round.events()).filter(
            last_day__gte=earliest - span, last_day__lte=today - span
        )
        for event in events:
            with transaction.atomic():
                made += len(
                    open_round_for_event(round=round, event=event, due_on=event.last_day + span)
                )
    return made


def dispatch(invitation_id: int) -> bool:
    """Hand one invitation to a worker; if the broker is down, `send_pending` sends it."""
    return taskqueue.send(
        tasks.send_invitation, args=[invitation_id], task_id=f"followup-{invitation_id}"
    )


# What the messages say --------------------------------------------------------------------
def answer_url(invitation: Invitation) -> str:
    path = reverse("followup:answer", args=[invitation.token])
    return settings.SITE_URL.rstrip("/") + path


def refuse_url(invitation: Invitation) -> str:
    path = reverse("followup:refuse", args=[invitation.token])
    return settings.SITE_URL.rstrip("/") + path


def _names(invitation: Invitation) -> dict[str, str]:
    return {
        "name": invitation.participant.full_name,
        "event": invitation.event.title,
        "month": date_format(invitation.event.end_date, "F Y"),
        "expires": date_format(timezone.localtime(invitation.expires_at), "j F Y"),
        "link": answer_url(invitation),
        "stop": refuse_url(invitation),
    }


def mail_of(invitation: Invitation, *, reminder: bool = False) -> tuple[str, str]:
    names = _names(invitation)
    if reminder:
        subject = _("Reminder: a few questions about %(event)s") % names
    else:
        subject = _("A few questions about %(event)s") % names
    body = (
        _(
            "Hello %(name)s,\n\n"
            "In %(month)s you took part in %(event)s. Has it been of use since? Three short "
            "questions, about two minutes:\n\n%(link)s\n\n"
            "The link is yours alone, answers once and works until %(expires)s.\n\n"
            "If you do not want to be asked again, one click is enough:\n%(stop)s"
        )
        % names
    )
    return "[Qadam] " + subject, body


def sms_of(invitation: Invitation) -> str:
    return _("Qadam: a few questions about %(event)s (until %(expires)s): %(link)s") % _names(
        invitation
    )


# Sending ----------------------------------------------------------------------------------
def _locked():
    return Invitation.objects.select_for_update(skip_locked=True, of=("self",)).select_related(
        "participant", "event", "round__question_set"
    )


def _deliver(invitation: Invitation, *, reminder: bool = False) -> None:
    with translation.override(invitation.language or settings.LANGUAGE_CODE):
        if invitation.channel == Invitation.Channel.EMAIL:
            subject, body = mail_of(invitation, reminder=reminder)
            EmailMessage(
                subject, body, settings.DEFAULT_FROM_EMAIL, [invitation.participant.email]
            ).send()
        else:
            sms.get_backend().send(to=invitation.participant.phone, text=sms_of(invitation))


def _sendable() -> Q:
    """E-mail always; SMS to people with a phone when an SMS backend is configured."""
    q = Q(channel=Invitation.Channel.EMAIL)
    if sms.is_configured():
        q |= Q(channel=Invitation.Channel.CALL) & ~Q(participant__phone="")
    return q


def _open(now: datetime):
    return Invitation.objects.filter(
        answered_at__isnull=True,
        refused_at__isnull=True,
        expires_at__gt=now,
        participant__followup_consent=True,
    )


def send_now(invitation_id: int) -> bool:
    """Send one invitation's link. Idempotent (sent or being sent by another worker: left
    alone); nothing goes to a person who withdrew consent, nor after the link expired. A mail
    server error is recorded on the row and tried again by `send_pending`. True when sent."""
    now = timezone.now()
    with transaction.atomic():
        invitation = (
            _locked()
            .filter(_sendable(), pk=invitation_id, sent_at__isnull=True)
            .filter(pk__in=_open(now).values("pk"))
            .first()
        )
        if invitation is None:
            return False
        try:
            _deliver(invitation)
        except (OSError, ValueError, sms.SmsError) as error:  # smtplib's errors are OSErrors
            logger.warning("follow-up invitation %s not sent: %s", invitation.pk, error)
            invitation.attempts += 1
            invitation.error = str(error)[:1000]
            invitation.save(update_fields=["attempts", "error"])
            return False
        invitation.sent_at = now
        invitation.save(update_fields=["sent_at"])
        return True


def send_pending(*, now: datetime | None = None) -> int:
    """Invitations not sent (broker or mail server down), up to FOLLOWUP_MAX_ATTEMPTS each."""
    now = now or timezone.now()
    due = (
        _open(now)
        .filter(_sendable(), sent_at__isnull=True, attempts__lt=settings.FOLLOWUP_MAX_ATTEMPTS)
        .values_list("pk", flat=True)
    )
    return sum(send_now(pk) for pk in list(due))


def send_reminders(*, now: datetime | None = None) -> int:
    """One reminder, FOLLOWUP_REMINDER_DAYS after the link was sent, to people who have not
    answered, still consent and whose link still works. How many were sent."""
    now = now or timezone.now()
    due = (
        _open(now)
        .filter(
            _sendable(),
            sent_at__lte=now - timedelta(days=settings.FOLLOWUP_REMINDER_DAYS),
            reminded_at__isnull=True,
        )
        .values_list("pk", flat=True)
    )
    sent = 0
    for pk in list(due):
        with transaction.atomic():
            invitation = _locked().filter(pk=pk, reminded_at__isnull=True).first()
            if invitation is None:
                continue
            try:
                _deliver(invitation, reminder=True)
            except (OSError, ValueError, sms.SmsError) as error:
                logger.warning("follow-up reminder %s not sent: %s", pk, error)
                continue
            invitation.reminded_at = now
            invitation.save(update_fields=["reminded_at"])
            sent += 1
    return sent


def run_daily(*, today: date | None = None, now: datetime | None = None) -> dict[str, int]:
    """The beat's daily work: open the rounds that fell due, then remind."""
    return {
        "invited": open_due_rounds(today=today),
        "reminded": send_reminders(now=now),
    }


# Answers and refusals ---------------------------------------------------------------------
def invitation_for_token(token: str) -> Invitation | None:
    if not token or len(token) > 128:
        return None
    return (
        Invitation.objects.select_related("participant", "event", "round__question_set")
        .filter(token_hash=hash_token(token))
        .first()
    )


@transaction.atomic
def record_answers(*, invitation: Invitation, answers: dict[str, str], by=None) -> Invitation:
    """Store the answers of one invitation, once: by the person through their link, or typed
    in by a coordinator (`by`) from a call. Raises AlreadyAnswered / LinkExpired."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.answered_at is not None:
        raise AlreadyAnswered
    now = timezone.now()
    if invitation.is_expired(now) or invitation.refused_at is not None:
        raise LinkExpired
    invitation.answers = {k: v for k, v in answers.items() if v not in (None, "")}
    invitation.answered_at = now
    invitation.entered_by = by
    invitation.save(update_fields=["answers", "answered_at", "entered_by"])
    return invitation


@transaction.atomic
def refuse_contact(*, invitation: Invitation, by=None) -> Participant:
    """The person does not want to be asked again: the follow-up consent is withdrawn (dated,
    in the person's history), and nothing more is sent: no reminder, no later round."""
    person = Participant.objects.select_for_update().get(pk=invitation.participant_id)
    if person.followup_consent:
        person.followup_consent = False
        person._history_user = by
        person.save()
    Invitation.objects.filter(pk=invitation.pk, refused_at__isnull=True).update(
        refused_at=timezone.now()
    )
    return person


def forget_free_text(*, person: Participant) -> int:
    """Drop the free-text answers of `person` (on erasure); the chosen answers stay.
    How many invitations changed."""
    changed = 0
    invitations = Invitation.objects.filter(participant=person).exclude(answers={})
    for invitation in invitations.select_related("round__question_set"):
        texts = {q["key"] for q in invitation.questions() if q["kind"] == "text"}
        kept = {k: v for k, v in invitation.answers.items() if k not in texts}
        if kept != invitation.answers:
            invitation.answers = kept
            invitation.save(update_fields=["answers"])
            changed += 1
    return changed
