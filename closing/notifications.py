"""The quarterly close's mail (docs/decisions/0013). A step of the workflow writes one
Notification per recipient in its own transaction: programme staff hear that a region
submitted, the region's coordinators that their quarter was returned or approved. A recipient
who keeps the weekly digest (User.email_digest, the default) gets it with the week's other
steps on Monday; the others get a mail at once, sent by a Celery task after the commit.
Reminders go to the coordinators of regions that have not submitted, a week before the quarter
ends and three days after (CLOSE_REMINDER_DAYS_*), always at once and once each.

Mails are written in the site's language (LANGUAGE_CODE): users have no language of their own."""

from __future__ import annotations

import logging
from datetime import date, timedelta

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.models import Role, User
from accounts.scope import PROGRAMME_ROLES
from core import periods, taskqueue
from core.periods import Period
from trainings.models import Programme, RegionQuarter, RegionQuarterTransition

from . import tasks
from .completeness import quarter_events
from .models import Notification

logger = logging.getLogger(__name__)
Kind = Notification.Kind
# Which step mails whom: submitted -> programme staff, returned/approved -> the coordinators.
KIND_OF_ACTION = {
    "quarter_submitted": Kind.SUBMITTED,
    "quarter_returned": Kind.RETURNED,
    "quarter_approved": Kind.APPROVED,
}
NOT_DONE = (RegionQuarter.Status.OPEN, RegionQuarter.Status.RETURNED)


def _mailable(users):
    return users.filter(is_active=True).exclude(email="")


def staff_recipients():
    return _mailable(User.objects.filter(Q(role__in=PROGRAMME_ROLES) | Q(is_superuser=True)))


def coordinator_recipients(region_id: int):
    return _mailable(User.objects.filter(role=Role.COORDINATOR, regions=region_id))


def queue_for_step(rq: RegionQuarter, step: RegionQuarterTransition, action: str) -> int:
    """Inside the step's transaction: a Notification per recipient of the step (none for
    steps nobody is told of, nor to the person who took it); those not kept for a digest are
    sent once the transaction commits. Returns how many were written."""
    kind = KIND_OF_ACTION.get(action)
    if kind is None:
        return 0
    users = staff_recipients() if kind == Kind.SUBMITTED else coordinator_recipients(rq.region_id)
    if step.by_id:
        users = users.exclude(pk=step.by_id)
    written = []
    for user in users.distinct():
        written.append(
            Notification.objects.create(
                key=f"{kind}:{step.pk}:{user.pk}",
                recipient=user,
                kind=kind,
                programme_id=rq.programme_id,
                region_id=rq.region_id,
                quarter=rq.quarter,
                by_id=step.by_id,
                comment=step.comment,
                digest=user.email_digest,
            )
        )
    at_once = [n.pk for n in written if not n.digest]
    if at_once:
        transaction.on_commit(lambda: [dispatch(pk) for pk in at_once])
    return len(written)


def dispatch(notification_id: int) -> bool:
    """Hand one notification to a worker; if the broker is down it stays unsent and the
    periodic `send_pending` sends it."""
    return taskqueue.send(
        tasks.send_notification, args=[notification_id], task_id=f"notification-{notification_id}"
    )


# What the mails say ----------------------------------------------------------------------------
def _link(n: Notification) -> str:
    path = reverse("closing:region_quarter", args=[n.programme_id, n.quarter, n.region_id])
    return settings.SITE_URL.rstrip("/") + path


def _who(user: User | None) -> str:
    return (user.get_full_name() or user.username) if user else _("someone")


def subject_of(n: Notification) -> str:
    names = {"region": n.region.name, "quarter": n.quarter, "programme": n.programme.code}
    subjects = {
        Kind.SUBMITTED: _("%(region)s submitted %(quarter)s (%(programme)s)"),
        Kind.RETURNED: _("%(quarter)s of %(region)s was returned (%(programme)s)"),
        Kind.APPROVED: _("%(quarter)s of %(region)s was approved (%(programme)s)"),
        Kind.REMINDER_BEFORE: _("%(quarter)s ends soon: submit %(region)s (%(programme)s)"),
        Kind.REMINDER_AFTER: _("%(quarter)s of %(region)s is not submitted yet (%(programme)s)"),
    }
    return "[Qadam] " + subjects[n.kind] % names


def text_of(n: Notification) -> str:
    """The paragraph telling of one notification (a mail of its own or a digest's item)."""
    period = periods.parse(n.quarter)
    names = {
        "region": n.region.name,
        "quarter": n.quarter,
        "programme": n.programme.display_name,
        "who": _who(n.by),
        "end": f"{period.end:%d.%m.%Y}",
    }
    lines = {
        Kind.SUBMITTED: _(
            "%(who)s submitted the quarter %(quarter)s of %(region)s, %(programme)s: it awaits "
            "your review."
        ),
        Kind.RETURNED: _(
            "%(who)s returned the quarter %(quarter)s of %(region)s, %(programme)s: fix what "
            "the comment says and submit it again."
        ),
        Kind.APPROVED: _(
            "%(who)s approved the quarter %(quarter)s of %(region)s, %(programme)s: its events "
            "are locked, reports over it are final."
        ),
        Kind.REMINDER_BEFORE: _(
            "The quarter %(quarter)s ends on %(end)s: %(region)s has not submitted it for "
            "%(programme)s yet."
        ),
        Kind.REMINDER_AFTER: _(
            "The quarter %(quarter)s ended on %(end)s: %(region)s has not submitted it for "
            "%(programme)s yet."
        ),
    }
    parts = [lines[n.kind] % names]
    if n.comment:
        parts.append(_("Comment: %(comment)s") % {"comment": n.comment})
    parts.append(_link(n))
    return "\n".join(parts)


def _send(to: User, subject: str, body: str) -> None:
    EmailMessage(subject, body, settings.DEFAULT_FROM_EMAIL, [to.email]).send()


def _failed(notifications: list[Notification], error: Exception) -> None:
    logger.warning("close notification(s) %s not sent: %s", [n.pk for n in notifications], error)
    for n in notifications:
        n.attempts += 1
        n.error = str(error)[:1000]
        n.save(update_fields=["attempts", "error"])


def _unsent():
    return Notification.objects.select_for_update(skip_locked=True, of=("self",)).select_related(
        "recipient", "programme", "region", "by"
    )


def send_now(notification_id: int) -> bool:
    """Send one notification by itself. Idempotent: one already sent (or being sent by
    another worker) is left alone. A mail server error is recorded on the row (it is tried
    again by `send_pending`), not raised. True when sent."""
    with transaction.atomic():
        n = _unsent().filter(pk=notification_id, sent_at__isnull=True).first()
        if n is None:
            return False
        with translation.override(settings.LANGUAGE_CODE):
            subject, body = subject_of(n), text_of(n)
        try:
            _send(n.recipient, subject, body)
        except (OSError, ValueError) as error:  # smtplib's errors are OSErrors
            _failed([n], error)
            return False
        n.sent_at = timezone.now()
        n.save(update_fields=["sent_at"])
        return True


def send_pending() -> int:
    """Notifications due at once that were not sent (the broker or the mail server was
    down), up to NOTIFICATION_MAX_ATTEMPTS tries each. How many were sent."""
    due = Notification.objects.filter(
        digest=False, sent_at__isnull=True, attempts__lt=settings.NOTIFICATION_MAX_ATTEMPTS
    ).values_list("pk", flat=True)
    return sum(send_now(pk) for pk in list(due))


def send_digests(*, now=None) -> int:
    """Monday's mail: for each user, one mail with every digest notification not yet sent
    (the week's steps, oldest first). How many mails were sent."""
    now = now or timezone.now()
    recipients = (
        Notification.objects.filter(digest=True, sent_at__isnull=True, created_at__lte=now)
        .values_list("recipient", flat=True)
        .distinct()
    )
    sent = 0
    for user_id in list(recipients):
        with transaction.atomic():
            items = list(
                _unsent()
                .filter(recipient=user_id, digest=True, sent_at__isnull=True, created_at__lte=now)
                .order_by("created_at", "pk")
            )
            if not items:
                continue
            with translation.override(settings.LANGUAGE_CODE):
                subject = "[Qadam] " + ngettext(
                    "Quarterly close: %(n)s update this week",
                    "Quarterly close: %(n)s updates this week",
                    len(items),
                ) % {"n": len(items)}
                body = "\n\n".join(text_of(n) for n in items)
                body += "\n\n-- \n" + _(
                    "You receive these as a weekly digest; turn it off to get a mail for "
                    "each: %(url)s"
                ) % {"url": settings.SITE_URL.rstrip("/") + reverse("accounts:mail_preferences")}
            try:
                _send(items[0].recipient, subject, body)
            except (OSError, ValueError) as error:
                _failed(items, error)
                continue
            Notification.objects.filter(pk__in=[n.pk for n in items]).update(sent_at=timezone.now())
            sent += 1
    return sent


# Reminders -------------------------------------------------------------------------------------
def reminders_due(today: date) -> list[tuple[str, Period]]:
    """Which reminders today falls in: before the current quarter's end (from
    CLOSE_REMINDER_DAYS_BEFORE days before it) and after the last quarter's end (from
    CLOSE_REMINDER_DAYS_AFTER days after it). Each is sent once (its key), so a day the
    beat missed is made up the next day."""
    due = []
    current = periods.quarter_of(today)
    if current.end - timedelta(days=settings.CLOSE_REMINDER_DAYS_BEFORE) <= today:
        due.append((Kind.REMINDER_BEFORE, current))
    last = current.previous()
    if last.end + timedelta(days=settings.CLOSE_REMINDER_DAYS_AFTER) <= today:
        due.append((Kind.REMINDER_AFTER, last))
    return due


def send_reminders(*, today: date | None = None) -> int:
    """Remind the coordinators of each region with events of an active programme ending in
    the quarter whose quarter is not submitted (open or returned). How many were sent."""
    today = today or timezone.localdate()
    written = []
    for kind, period in reminders_due(today):
        for programme in Programme.objects.filter(is_active=True):
            done = set(
                RegionQuarter.objects.filter(programme=programme, quarter=period.key)
                .exclude(status__in=NOT_DONE)
                .values_list("region_id", flat=True)
            )
            regions = set(quarter_events(programme, period).values_list("region_id", flat=True))
            for region_id in sorted(regions - done):
                for user in coordinator_recipients(region_id):
                    n, created = Notification.objects.get_or_create(
                        key=f"{kind}:{programme.pk}:{period.key}:{region_id}:{user.pk}",
                        defaults={
                            "recipient": user,
                            "kind": kind,
                            "programme": programme,
                            "region_id": region_id,
                            "quarter": period.key,
                        },
                    )
                    if created:
                        written.append(n.pk)
    return sum(send_now(pk) for pk in written)
