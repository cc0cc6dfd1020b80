"""The KoboToolbox intake's writes: connecting a form (and its secret), receiving a submission
into the inbox, applying it through the import's checks and writes, and the waiting queue's
fix / apply again / discard. The lock rule and the person matching are the import's
(participants/imports), asked with the intake's scope below."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets
from datetime import timedelta
from typing import Any

from celery import uuid as task_uuid
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import Role
from accounts.scope import Scope
from core import taskqueue
from participants.identity import hash_iin
from participants.imports import columns as C
from participants.imports.apply import EventNotEditable, OutsideScope, apply_plan
from participants.imports.parse import Table
from participants.imports.validate import build_plan
from participants.models import Assessment, Enrolment, Feedback, Participant
from trainings.models import TrainingEvent
from trainings.selectors import edit_refusal

from .models import IDENTITY_KEYS, KoboConnection, KoboSubmission
from .payload import event_code, submission_rows, submission_uuid

logger = logging.getLogger(__name__)
Status = KoboSubmission.Status

# The intake is a system path with no user behind a request: it sees every region and every
# person (to match them as programme staff would) but is held by the lock rule like a
# coordinator: a reported event, or one of an approved region-quarter, is not changed by a
# form arriving from the field; the submission waits with the reason.
INTAKE_SCOPE = Scope(region_ids=None, role=Role.COORDINATOR, can_see_people=True, can_edit=True)
MAX_ROWS = 500  # people in one submission's repeat group
UNSENT_GRACE = timedelta(minutes=2)  # a task sent on commit has had its chance by then


class Rejected(Exception):
    """A post that is not a submission of this form: nothing is stored (HTTP 400)."""


# Secrets -----------------------------------------------------------------------------------
def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def secret_matches(connection: KoboConnection, secret: str) -> bool:
    """Whether `secret` is the connection's, compared in constant time."""
    return bool(secret) and hmac.compare_digest(secret_hash(secret), connection.secret_hash)


def _new_secret(connection: KoboConnection) -> str:
    secret = secrets.token_urlsafe(32)
    connection.secret_prefix = secret[:8]
    connection.secret_hash = secret_hash(secret)
    return secret


@transaction.atomic
def connect_form(
    *, name: str, target: str, questions: dict[str, str], by, xform_id: str = "", event=None
) -> tuple[KoboConnection, str]:
    """Connect a Kobo form; returns it and its secret (shown once, only its hash is kept)."""
    connection = KoboConnection(
        name=name,
        xform_id=xform_id,
        target=target,
        event=event,
        questions=questions,
        created_by=by,
        slug=secrets.token_hex(8),
    )
    secret = _new_secret(connection)
    connection._history_user = by
    connection.full_clean()
    connection.save()
    return connection, secret


@transaction.atomic
def update_connection(connection: KoboConnection, *, by, **fields: Any) -> KoboConnection:
    """Change a connection's name, form id, target or mapping (the secret stays)."""
    for name, value in fields.items():
        setattr(connection, name, value)
    connection._history_user = by
    connection.full_clean()
    connection.save()
    return connection


@transaction.atomic
def regenerate_secret(connection: KoboConnection, *, by) -> str:
    """A new secret for the connection (the old one stops working at once)."""
    secret = _new_secret(connection)
    connection._history_user = by
    connection.save(update_fields=["secret_prefix", "secret_hash"])
    return secret


# Receiving ---------------------------------------------------------------------------------
def receive_submission(*, connection: KoboConnection, payload: Any) -> tuple[KoboSubmission, bool]:
    """Record a posted submission in the inbox (created, or updated when Kobo sends an edit
    with the same `_uuid`) and have it applied after the commit. Returns (row, created).
    Raises Rejected for a post that is not a submission of this form."""
    if not isinstance(payload, dict):
        raise Rejected(_("A submission is a JSON object."))
    key = submission_uuid(payload)
    if not key:
        raise Rejected(_("The submission has no _uuid."))
    form = str(payload.get("_xform_id_string") or "")
    if connection.xform_id and form and form != connection.xform_id:
        raise Rejected(_("This submission is of another form (%(form)s).") % {"form": form[:100]})
    kobo_id = payload.get("_id")
    kobo_id = kobo_id if isinstance(kobo_id, int) and 0 <= kobo_id < 2**63 else None
    for attempt in range(2):
        try:
            with transaction.atomic():
                submission, created = _store(connection, key, kobo_id, payload)
            break
        except IntegrityError:  # the same uuid posted twice at once: the other one is stored
            if attempt:
                raise
    transaction.on_commit(lambda: send_submission(submission.pk))
    return submission, created


def _store(connection, key, kobo_id, payload) -> tuple[KoboSubmission, bool]:
    submission = (
        KoboSubmission.objects.select_for_update().filter(connection=connection, uuid=key).first()
    )
    if submission is None:
        submission = KoboSubmission.objects.create(
            connection=connection, uuid=key, kobo_id=kobo_id, payload=payload
        )
        return submission, True
    # An edit (Kobo keeps `_uuid` and sets meta/deprecatedID) or a resend: the new answers
    # replace the old ones, and are applied again, also over a discarded or applied row.
    submission.payload = payload
    submission.kobo_id = kobo_id or submission.kobo_id
    submission.status = Status.RECEIVED
    submission.reason = ""
    submission.versions += 1
    submission.save()
    return submission, False


def send_submission(submission_id: int) -> bool:
    """Hand a received submission to the workers (in-process without a broker). False when
    the broker does not answer: the row stays "received" and "Apply again" sends it."""
    from .tasks import apply_kobo_submission

    return taskqueue.send(apply_kobo_submission, args=[submission_id], task_id=task_uuid())


def send_received(*, now=None) -> int:
    """Submissions received more than UNSENT_GRACE ago and not applied yet (their task was
    never sent, or was lost with the broker's data) are sent again; applying is idempotent (a
    row already applied is left alone), so a second delivery changes nothing."""
    now = now or timezone.now()
    stale = KoboSubmission.objects.filter(
        status=Status.RECEIVED, updated_at__lt=now - UNSENT_GRACE
    ).values_list("pk", flat=True)
    return sum(send_submission(pk) for pk in list(stale[:1000]))


# Applying ----------------------------------------------------------------------------------
class Waits(Exception):
    """The submission cannot be applied as it is: it waits in the queue with this reason."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _event_for(submission: KoboSubmission) -> TrainingEvent:
    if submission.event_id:
        return TrainingEvent.objects.get(pk=submission.event_id)
    connection = submission.connection
    if connection.target == KoboConnection.Target.EVENT:
        if connection.event_id is None:
            raise Waits(_("The connected form has no event any more: choose one."))
        return connection.event
    code = event_code(submission.payload, connection.questions)
    if not code:
        raise Waits(_("The submission gives no event code: choose the event."))
    number = re.sub(r"\D", "", code)
    event = TrainingEvent.objects.filter(pk=int(number)).first() if 0 < len(number) < 12 else None
    if event is None:
        raise Waits(_("No event has the code “%(code)s”: choose the event.") % {"code": code[:50]})
    return event


def _identified(rows: list[dict[str, Any]], person: Participant | None) -> list[dict[str, Any]]:
    """Rows whose person is known by IIN only get that person's name (the import's check reads
    a name); the person an admin chose replaces what the single row says about identity."""
    if person is not None:
        if len(rows) != 1:
            raise Waits(_("A person can be chosen for a submission about one person only."))
        row = {key: value for key, value in rows[0].items() if key not in IDENTITY_KEYS}
        return [{**row, "full_name": person.full_name, "birth_year": person.birth_year}]
    for row in rows:
        if row.get("full_name") or not row.get("iin"):
            continue
        try:
            digest = hash_iin(str(row["iin"]))
        except ValidationError as error:
            raise Waits(_("IIN: %(why)s") % {"why": " ".join(error.messages)}) from None
        found = Participant.objects.filter(iin_hash=digest).first()
        if found is None:
            raise Waits(_("No person in the registry has this IIN: choose the person."))
        row["full_name"] = found.full_name
    return rows


def _plan(
    rows: list[dict[str, Any]],
    event: TrainingEvent,
    *,
    chosen: Participant | None,
    questions: dict[str, str],
):
    """The import's check of the rows (values, ranges, who is who) for `event`; raises Waits
    with every reason (the question path named) when a row cannot be applied."""
    keys = sorted({key for row in rows for key in row})
    table = Table(
        header=keys,
        rows=[(number, [row.get(key) for key in keys]) for number, row in enumerate(rows, 1)],
        header_row=0,
    )
    plan = build_plan(table, event, INTAKE_SCOPE)
    unmatched = {row.number: row for row in plan.rows if row.action == "create" or row.same_as}
    if chosen is not None:  # the admin's choice is the person, whatever the name matched
        for row in plan.rows:
            row.person_id, row.action, row.fields, row.same_as = chosen.pk, "match", {}, None
            row.iin_hash, row.hidden = None, []
    sex_column = C.BY_KEY["sex"].label("ru") + " / Sex"
    reasons = [
        (
            _("person %(n)s, %(column)s: %(message)s")
            if len(rows) > 1
            else _("%(column)s: %(message)s")
        )
        % {
            "n": error["row"],
            "column": questions.get(error["column"], error["column"]),
            "message": error["message"],
        }
        if error["column"]
        else error["message"]
        for error in plan.errors
        if not (error["row"] in unmatched and error["column"] == sex_column)
    ]
    for row in unmatched.values():
        if chosen is not None:
            continue
        who = row.name + (f" ({row.fields['birth_year']})" if row.fields.get("birth_year") else "")
        reasons.append(
            _("No person in the registry matches %(who)s: choose the person.") % {"who": who}
        )
    if reasons:
        raise Waits(" ".join(reasons[:10]))
    plan.errors, plan.n_errors = [], 0  # only "a new person needs a sex" for the chosen one
    return plan


def _refs(event: TrainingEvent, plan) -> dict[str, Any]:
    """What the applied plan wrote, per person: their enrolment, feedback and scores."""
    people = [row.person_id for row in plan.rows]
    enrolments = dict(
        Enrolment.objects.filter(event=event, participant_id__in=people).values_list(
            "participant_id", "pk"
        )
    )
    feedback = dict(
        Feedback.objects.filter(event=event, enrolment_id__in=enrolments.values()).values_list(
            "enrolment_id", "pk"
        )
    )
    scores = dict(
        Assessment.objects.filter(enrolment_id__in=enrolments.values()).values_list(
            "enrolment_id", "pk"
        )
    )
    rows = []
    for row in plan.rows:
        enrolment = enrolments.get(row.person_id)
        rows.append(
            {
                "person": row.person_id,
                "enrolment": enrolment,
                "feedback": feedback.get(enrolment) if row.feedback else None,
                "assessment": scores.get(enrolment) if row.scores else None,
            }
        )
    return {"event": event.pk, "rows": rows}


def _remove_moved(before: dict[str, Any], after: dict[str, Any]) -> None:
    """An edit that names another person or event: the answers the earlier version wrote
    elsewhere are removed (one by one, so the history records it), not left doubled."""
    kept = {(after.get("event"), row.get("enrolment")) for row in after.get("rows", [])}
    for row in before.get("rows", []):
        if (before.get("event"), row.get("enrolment")) in kept:
            continue
        if row.get("feedback"):
            for feedback in Feedback.objects.filter(pk=row["feedback"]):
                feedback.delete()
        if row.get("assessment"):
            for assessment in Assessment.objects.filter(pk=row["assessment"]):
                assessment.delete()


def _redacted(payload: dict[str, Any], questions: dict[str, str]) -> dict[str, Any]:
    """The payload without the answers that identify the person (IIN, name, birth year,
    phone): once applied, the registry holds them (the IIN as its hash only), and the inbox
    must not keep a second copy that an erasure would not reach."""
    paths = {questions[key] for key in IDENTITY_KEYS if questions.get(key)}
    names = {path.rsplit("/", 1)[-1] for path in paths}

    def clean(values: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for key, value in values.items():
            if isinstance(value, list):
                value = [clean(v) if isinstance(v, dict) else v for v in value]
            elif key in paths or key.rsplit("/", 1)[-1] in names:
                value = "(removed)"
            out[key] = value
        return out

    return clean(payload) if paths else payload


def apply_submission(submission_id: int) -> KoboSubmission | None:
    """Apply a received (or waiting) submission: find its event and people, check its values
    as the import does, and write them in one transaction (feedback and scores replaced, never
    added). What cannot be applied waits with the reason; nothing of it is written."""
    with transaction.atomic():
        submission = (
            KoboSubmission.objects.select_for_update(of=("self",))
            .select_related("connection", "connection__event", "person")
            .filter(pk=submission_id)
            .first()
        )
        if submission is None or submission.status in (Status.APPLIED, Status.DISCARDED):
            return submission
        try:
            with transaction.atomic():  # a savepoint: what cannot be applied leaves nothing
                written = _apply(submission)
                _remove_moved(submission.applied, written)
        except Waits as waiting:
            submission.status = Status.WAITING
            submission.reason = waiting.reason
            submission.save(update_fields=["status", "reason", "updated_at"])
            return submission
        except Exception:
            logger.exception("kobo submission %s failed", submission_id)
            submission.status = Status.FAILED
            submission.reason = _("Applying it failed unexpectedly; the team has been notified.")
            submission.save(update_fields=["status", "reason", "updated_at"])
            return submission
        submission.applied = written
        submission.status = Status.APPLIED
        submission.reason = ""
        submission.applied_at = timezone.now()
        submission.payload = _redacted(submission.payload, submission.connection.questions)
        submission.save()
        return submission


def _apply(submission: KoboSubmission) -> dict[str, Any]:
    connection = submission.connection
    rows = submission_rows(submission.payload, connection.questions)
    if not rows:
        raise Waits(_("The submission answers none of the mapped questions: check the mapping."))
    if len(rows) > MAX_ROWS:
        raise Waits(_("The submission holds more than %(n)s people.") % {"n": MAX_ROWS})
    event = _event_for(submission)
    refusal = edit_refusal(INTAKE_SCOPE, event)
    if refusal:
        raise Waits(refusal)
    rows = _identified(rows, submission.person)
    plan = _plan(rows, event, chosen=submission.person, questions=connection.questions)
    try:
        apply_plan(plan, event, None, scope=INTAKE_SCOPE)
    except EventNotEditable:  # locked in between
        raise Waits(edit_refusal(INTAKE_SCOPE, TrainingEvent.objects.get(pk=event.pk))) from None
    except OutsideScope:  # cannot happen with every region; kept for the record
        raise Waits(_("The person is not in the intake's scope.")) from None
    return _refs(event, plan)


# The waiting queue -------------------------------------------------------------------------
def fix_submission(
    submission: KoboSubmission, *, event: TrainingEvent | None, person: Participant | None
) -> KoboSubmission:
    """Choose the event and/or the person of a waiting submission and apply it again."""
    with transaction.atomic():
        KoboSubmission.objects.filter(pk=submission.pk).exclude(status=Status.APPLIED).update(
            event=event, person=person, status=Status.RECEIVED
        )
    return apply_submission(submission.pk)


def apply_again(submission: KoboSubmission) -> KoboSubmission:
    """Apply a waiting, failed or unsent submission again (after the mapping or the event
    changed)."""
    KoboSubmission.objects.filter(
        pk=submission.pk, status__in=(Status.WAITING, Status.FAILED, Status.RECEIVED)
    ).update(status=Status.RECEIVED)
    return apply_submission(submission.pk)


@transaction.atomic
def discard_submission(submission: KoboSubmission) -> KoboSubmission:
    """Leave a waiting submission out for good (a test, a duplicate form); its answers are
    dropped. Kobo sending an edit of it later brings it back."""
    KoboSubmission.objects.filter(pk=submission.pk).exclude(status=Status.APPLIED).update(
        status=Status.DISCARDED, payload={}, reason=""
    )
    submission.refresh_from_db()
    return submission
