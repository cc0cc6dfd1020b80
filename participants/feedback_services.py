"""Writes of the feedback link and of pre/post scores typed in from paper forms."""

from __future__ import annotations

import hashlib
import hmac
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scope import NOBODY
from trainings.models import TrainingEvent
from trainings.selectors import event_is_locked_for

from .models import Assessment, Enrolment, Feedback
from .services import record_feedback, record_scores


def device_token_hash(token: str) -> str:
    """A keyed hash of a device's cookie: the database alone cannot link answers to a phone."""
    return hmac.new(settings.SECRET_KEY.encode(), token.encode(), hashlib.sha256).hexdigest()


def form_token_hash(nonce: str) -> str:
    """A keyed hash of the nonce of a public form's one-time token (one answer per token)."""
    return device_token_hash(f"feedback-form:{nonce}")


def feedback_is_open(event: TrainingEvent) -> bool:
    """Whether the public form takes answers today: not for an event locked for anyone but
    programme staff (reported, or in an approved region-quarter), whose figures are final."""
    if not event.feedback_open or event_is_locked_for(NOBODY, event):
        return False
    return not (event.feedback_closes_on and event.feedback_closes_on < timezone.localdate())


def already_answered(event: TrainingEvent, device_token: str) -> bool:
    return (
        bool(device_token)
        and Feedback.objects.filter(
            event=event, device_token_hash=device_token_hash(device_token)
        ).exists()
    )


def answer_already_sent(event: TrainingEvent, *, device_token: str, form_token: str) -> bool:
    """Whether this device, or the form with this one-time token (its nonce), has already
    given its answer to the event."""
    return Feedback.objects.filter(
        Q(device_token_hash=device_token_hash(device_token))
        | Q(form_token_hash=form_token_hash(form_token)),
        event=event,
    ).exists()


def feedback_answer_limit(event: TrainingEvent) -> int:
    """How many public answers the event's link takes per FEEDBACK_RATE_WINDOW: generous (a
    flood is stopped, every person on the roster can answer even if some send twice), at
    least FEEDBACK_EVENT_LIMIT for events whose roster is typed in later."""
    roster = event.enrolments.count()
    return max(settings.FEEDBACK_EVENT_LIMIT, settings.FEEDBACK_EVENT_LIMIT_PER_PERSON * roster)


def submit_public_feedback(
    *, event: TrainingEvent, device_token: str, form_token: str, language: str, **answers: Any
) -> Feedback | None:
    """Store an answer from the public form, once per device and once per form shown: a second
    answer from the same device (a double click, a resubmitted form) or with the one-time token
    of a form already sent (a replay, with or without the device cookie) stores nothing and
    returns None. `form_token` is the nonce of the form's signed token, already checked to be
    this event's (PublicFeedbackForm)."""
    if not form_token:
        raise ValueError("a public answer needs the nonce of its form token")
    digest = device_token_hash(device_token)
    form_digest = form_token_hash(form_token)
    if answer_already_sent(event, device_token=device_token, form_token=form_token):
        return None
    try:
        with transaction.atomic():
            return record_feedback(
                event=event,
                source=Feedback.Source.ONLINE,
                language=language,
                device_token_hash=digest,
                form_token_hash=form_digest,
                **answers,
            )
    except (IntegrityError, ValidationError):
        # Two requests at the same moment (the unique constraints): the other one was stored.
        if answer_already_sent(event, device_token=device_token, form_token=form_token):
            return None
        raise


def record_kiosk_feedback(*, event: TrainingEvent, language: str, **answers: Any) -> Feedback:
    """Store an answer given on a coordinator's device in kiosk mode as the public form stores
    one: anonymous (no enrolment), in the language it was shown in, with the consent to quote
    as given, its source `kiosk`. No device or form token: the coordinator's outbox key
    (participants.offline, SyncedChange) makes each answer count once."""
    with transaction.atomic():
        return record_feedback(
            event=event, source=Feedback.Source.KIOSK, language=language, **answers
        )


@transaction.atomic
def set_feedback_open(*, event: TrainingEvent, is_open: bool) -> TrainingEvent:
    """Open or close an event's public feedback link. Reopening clears a closing date that
    has passed (otherwise the link would stay closed)."""
    event.feedback_open = is_open
    fields = ["feedback_open", "updated_at"]
    if is_open and event.feedback_closes_on and event.feedback_closes_on < timezone.localdate():
        event.feedback_closes_on = None
        fields.append("feedback_closes_on")
    event.save(update_fields=fields)
    return event


@transaction.atomic
def set_feedback_closing(*, event: TrainingEvent, closes_on) -> TrainingEvent:
    """Set (or clear, with None) the last day the public link takes answers."""
    event.feedback_closes_on = closes_on
    event.save(update_fields=["feedback_closes_on", "updated_at"])
    return event


@transaction.atomic
def save_scores(
    rows: list[tuple[Enrolment, Decimal | None, Decimal | None]],
) -> tuple[int, int]:
    """Record the pre/post scores of several people of one event at once (one transaction):
    both scores empty removes a person's test record. Returns (saved, removed)."""
    saved = removed = 0
    for enrolment, pre, post in rows:
        if pre is None and post is None:
            for assessment in Assessment.objects.filter(enrolment=enrolment):
                assessment.delete()  # one by one so the history records it
                removed += 1
            continue
        record_scores(enrolment=enrolment, pre_score=pre, post_score=post)
        saved += 1
    return saved, removed


@transaction.atomic
def review_quote(*, feedback: Feedback, by, approve: bool, text: str = "") -> Feedback:
    """Programme staff decide whether a consented comment may be quoted in donor reports.
    Approving stores the text as approved (the reviewer may have edited or shortened it);
    rejecting keeps the comment out of every report. Who and when are kept (and the change
    in the feedback's history)."""
    feedback = Feedback.objects.select_for_update().get(pk=feedback.pk)
    if not feedback.consent_to_quote or not feedback.comments.strip():
        raise ValidationError(_("Only a comment its author allowed to be quoted can be reviewed."))
    if approve:
        text = (text or "").strip()
        if not text:
            raise ValidationError(
                {"quote_text_reviewed": _("Write the text to approve, or reject the quote.")}
            )
        feedback.quote_status = Feedback.QuoteStatus.APPROVED
        feedback.quote_text_reviewed = text
    else:
        feedback.quote_status = Feedback.QuoteStatus.REJECTED
        feedback.quote_text_reviewed = ""
    feedback.quote_reviewed_by = by
    feedback.quote_reviewed_at = timezone.now()
    feedback._history_user = by
    feedback.full_clean()
    feedback.save()
    return feedback
