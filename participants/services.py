"""Writes of people, enrolments, attendance, feedback and test scores."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from accounts.audit import record_event
from accounts.models import SecurityEvent
from accounts.scope import Scope
from core import domain_events
from trainings.models import Session, TrainingEvent
from trainings.selectors import edit_refusal
from trainings.services import hold_attended_event

from . import summaries
from .disability import CONSENT_VERSION as DISABILITY_CONSENT_VERSION
from .disability import DOMAINS
from .duplicates import hidden_matches, record_possible_duplicates, resolve_merged
from .identity import hash_iin
from .models import (
    Assessment,
    Attendance,
    Consent,
    DisabilityAnswers,
    Enrolment,
    Feedback,
    Participant,
    PossibleDuplicate,
)
from .selectors import merge_plan, merge_refusal
from .tombstones import mark_merged


@transaction.atomic
def register_person(
    *,
    iin: str | None = None,
    consent_given: bool | None = None,
    consent_date: date | None = None,
    consent_version: str = "",
    consent_method: str = Consent.Method.PAPER,
    created_by=None,
    scope: Scope | None = None,
    disability: dict | None = None,
    **fields: Any,
) -> Participant:
    """Add a person to the registry. The IIN, if given, is validated and kept only as a keyed
    hash; consent, if given, is recorded with its date and version.

    With the `scope` of the user registering, people outside it are never revealed: an IIN
    that belongs to someone the user may not see is not stored (the unique hash would say
    "exists"), and such likely matches are recorded as PossibleDuplicates for staff."""
    person = Participant(created_by=created_by, **fields)
    iin_hash = hash_iin(iin) if iin else ""
    hidden = []
    if scope is not None:
        hidden = hidden_matches(
            scope,
            iin_hash=iin_hash,
            full_name=person.full_name,
            birth_year=person.birth_year,
        )
    if iin_hash and not any(how == PossibleDuplicate.How.IIN for _pk, how in hidden):
        person.iin_hash = iin_hash
    person.full_clean()
    person.save()
    record_possible_duplicates(
        pairs=[(pk, person.pk, how) for pk, how in hidden], found_by=created_by
    )
    if consent_given is not None:
        record_consent(
            person=person,
            given=consent_given,
            given_on=consent_date or date.today(),
            version=consent_version or "1",
            method=consent_method,
            recorded_by=created_by,
        )
    if disability is not None:
        record_disability_answers(person=person, answers=disability, by=created_by)
    return person


@transaction.atomic
def record_disability_answers(*, person: Participant, answers: dict | None, by=None):
    """Keep a person's answers to the disability questions (WG-SS) with their consent to them:
    `answers` is {domain: code or None, "consent_date": date} (DisabilityQuestionsFields), or
    None when the person did not consent or withdrew their consent: then answers held before
    are deleted, from the history rows too (health data kept without consent is not kept).
    An erased record is left alone. Returns the row kept, or None."""
    held = DisabilityAnswers.objects.select_for_update().filter(participant=person).first()
    if held is not None and held.kept_status:
        return held
    if answers is None:
        if held is not None:
            pk = held.pk
            _by(held, by).delete()
            DisabilityAnswers.history.filter(id=pk).update(**dict.fromkeys(DOMAINS))
        return None
    row = held or DisabilityAnswers(participant=person)
    for domain in DOMAINS:
        setattr(row, domain, answers.get(domain))
    given_on = answers.get("consent_date") or date.today()
    if held is None or held.consent_given_on != given_on:
        row.consent_given_on = given_on
        row.consent_version = answers.get("consent_version") or DISABILITY_CONSENT_VERSION
        row.recorded_by = by
    row.full_clean()
    _by(row, by).save()
    return row


@transaction.atomic
def register_and_enrol_many(
    *,
    event: TrainingEvent,
    rows: list[dict[str, Any]],
    scope: Scope,
    consent_date: date,
    consent_version: str,
    consent_method: str = Consent.Method.PAPER,
    by=None,
) -> dict[str, int]:
    """The multi-row entry's save, all or nothing: each row is either {"person": an existing
    Participant} or {"fields": a new person's fields (register_person, with the consent they
    gave)}, and everyone is put on `event`'s roster. Refused with nothing written when the
    user may not change the event (`edit_refusal`: scope, rights, the quarter lock).

    Returns {"added": people put on the roster, "known": of them, people already in the
    registry, "already": people who were on the roster before}."""
    refusal = edit_refusal(scope, event)
    if refusal:
        raise ValidationError(refusal, code="event_locked")
    on_roster = set(event.enrolments.values_list("participant_id", flat=True))
    counts = {"added": 0, "known": 0, "already": 0}
    for row in rows:
        person = row.get("person")
        if person is None:
            person = register_person(
                consent_given=True,
                consent_date=consent_date,
                consent_version=consent_version,
                consent_method=consent_method,
                created_by=by,
                scope=scope,
                **row["fields"],
            )
        elif person.pk in on_roster:
            counts["already"] += 1
            continue
        else:
            counts["known"] += 1
        enrol(person=person, event=event)
        on_roster.add(person.pk)
        counts["added"] += 1
    return counts


@transaction.atomic
def record_consent(
    *,
    person: Participant,
    given: bool,
    given_on: date,
    version: str,
    method: str = Consent.Method.PAPER,
    recorded_by=None,
) -> Consent:
    consent = Consent(
        participant=person,
        given=given,
        given_on=given_on,
        version=version,
        method=method,
        recorded_by=recorded_by,
    )
    consent.full_clean()
    consent.save()
    return consent


@transaction.atomic
def enrol(*, person: Participant, event: TrainingEvent) -> Enrolment:
    """Put a person on an event's roster (once: a second call raises a ValidationError)."""
    enrolment = Enrolment(participant=person, event=event)
    enrolment.full_clean()
    enrolment.save()
    return enrolment


@transaction.atomic
def record_attendance(
    *, enrolment: Enrolment, session: Session, present: bool = True, by=None, request=None
) -> bool:
    """Mark a person present at (or absent from) a session; returns whether they are present.
    Presence at a session dated today or earlier makes a planned event held (ADR 0010)."""
    cell = [(enrolment.pk, session.pk)]
    if present:
        attendance = Attendance(enrolment=enrolment, session=session)
        # Already present (a double click, a second tab) is not an error: get_or_create below.
        attendance.full_clean(validate_unique=False, validate_constraints=False)
        _, created = Attendance.objects.get_or_create(enrolment=enrolment, session=session)
        if created:
            attendance_changed(session.event, present=cell)
        _hold_if_attended(session.event, by=by, request=request)
    else:
        removed = 0
        for attendance in Attendance.objects.filter(enrolment=enrolment, session=session):
            attendance.delete()  # one by one, so the audit trail records each deletion
            removed += 1
        if removed:
            attendance_changed(session.event, absent=cell)
    return present


def attendance_changed(
    event: TrainingEvent,
    *,
    present: list[tuple[int, int]] = (),
    absent: list[tuple[int, int]] = (),
) -> None:
    """Announce one save's attendance changes at `event` (docs/decisions/0020): the cells,
    as (enrolment id, session id), newly marked present and newly marked absent. One
    announcement per save, however many cells it changed; none when nothing changed."""
    if present or absent:
        domain_events.emit(
            domain_events.ATTENDANCE_CHANGED,
            event,
            present=sorted(present),
            absent=sorted(absent),
        )


@transaction.atomic
def record_feedback(*, event: TrainingEvent, **fields: Any) -> Feedback:
    feedback = Feedback(event=event, **fields)
    feedback.full_clean()
    feedback.save()
    return feedback


@transaction.atomic
def record_scores(*, enrolment: Enrolment, pre_score=None, post_score=None) -> Assessment:
    """Set a person's pre/post test scores for an event (creating or updating the record)."""
    assessment = Assessment.objects.filter(enrolment=enrolment).first() or Assessment(
        enrolment=enrolment
    )
    assessment.pre_score = pre_score
    assessment.post_score = post_score
    assessment.full_clean()
    assessment.save()
    return assessment


def _hold_if_attended(event: TrainingEvent, *, by=None, request=None) -> None:
    """After presence was recorded: a planned event people attended on a day that has come
    is held (trainings.services.hold_attended_event, ADR 0010). An event is never planned
    again once held, so recording attendance at a held or reported event asks nothing."""
    if event.status == TrainingEvent.Status.PLANNED:
        hold_attended_event(event=event, by=by, request=request)


# Registry and roster edits from the event pages ---------------------------------------------


def _by(obj, by):
    """Name the user in the audit history when a service runs outside a request."""
    if by is not None:
        obj._history_user = by
    return obj


@transaction.atomic
def update_person(
    *,
    person: Participant,
    by=None,
    iin: str | None = None,
    scope: Scope | None = None,
    disability: dict | None | bool = False,
    **fields: Any,
):
    """Change a person's details (validated); a new IIN replaces the stored hash. With the
    editor's `scope`, an IIN that belongs to someone outside it is not stored (nothing says
    it exists) and the pair is recorded for staff as a PossibleDuplicate. `disability`, when
    given (answers or None), goes to record_disability_answers; False leaves them as they
    are."""
    for name, value in fields.items():
        setattr(person, name, value)
    hidden = []
    if iin:
        iin_hash = hash_iin(iin)
        if scope is not None and iin_hash != person.iin_hash:
            hidden = hidden_matches(scope, iin_hash=iin_hash, exclude_pk=person.pk)
        if not hidden:
            person.iin_hash = iin_hash
    person.full_clean()
    _by(person, by).save()
    record_possible_duplicates(pairs=[(pk, person.pk, how) for pk, how in hidden], found_by=by)
    if disability is not False:
        record_disability_answers(person=person, answers=disability, by=by)
    return person


@transaction.atomic
def unenrol(*, enrolment: Enrolment, by=None) -> int:
    """Take a person off an event's roster; their attendance there goes too (each deletion in
    the history), their feedback stays with the event, unlinked. Returns attendance removed."""
    attendances = list(enrolment.attendances.all())
    for attendance in attendances:
        _by(attendance, by).delete()
    feedback = Feedback.objects.filter(enrolment=enrolment).first()
    if feedback is not None:
        feedback.enrolment = None
        _by(feedback, by).save()
    _by(enrolment, by).delete()
    return len(attendances)


@transaction.atomic
def set_attendance(
    *,
    event: TrainingEvent,
    present: set[tuple[int, int]],
    enrolment_ids: set[int],
    session_ids: set[int],
    by=None,
) -> tuple[int, int]:
    """Set the cells a form showed (`enrolment_ids` x `session_ids`, limited to the event's own)
    to exactly `present` ((enrolment id, session id) pairs), as the plain attendance form sends
    it. Cells it did not show are left alone: a person or session added since the page opened,
    or everything when a post names nothing (an empty or forged post is not "all absent").
    Returns (marked present, marked absent)."""
    enrolment_ids = set(event.enrolments.filter(pk__in=enrolment_ids).values_list("pk", flat=True))
    session_ids = set(event.sessions.filter(pk__in=session_ids).values_list("pk", flat=True))
    wanted = {(e, s) for e, s in present if e in enrolment_ids and s in session_ids}
    current = {
        (a.enrolment_id, a.session_id): a
        for a in Attendance.objects.filter(
            enrolment_id__in=enrolment_ids, session_id__in=session_ids
        )
    }
    new = [Attendance(enrolment_id=e, session_id=s) for e, s in wanted if (e, s) not in current]
    bulk_create_with_history(new, Attendance, default_user=by)
    summaries.touch(enrolments={a.enrolment_id for a in new})  # bulk: no signals
    gone = [a for key, a in current.items() if key not in wanted]
    for attendance in gone:
        _by(attendance, by).delete()
    attendance_changed(
        event,
        present=[(a.enrolment_id, a.session_id) for a in new],
        absent=[(a.enrolment_id, a.session_id) for a in gone],
    )
    if new:
        _hold_if_attended(event, by=by)
    return len(new), len(gone)


@transaction.atomic
def mark_all_present(*, session: Session, by=None) -> int:
    """Everyone on the roster was at `session`. Returns how many were added."""
    there = set(session.attendances.values_list("enrolment_id", flat=True))
    new = [
        Attendance(enrolment=e, session=session)
        for e in session.event.enrolments.all()
        if e.pk not in there
    ]
    bulk_create_with_history(new, Attendance, default_user=by)
    summaries.touch(enrolments={a.enrolment_id for a in new})  # bulk: no signals
    attendance_changed(session.event, present=[(a.enrolment_id, session.pk) for a in new])
    if new:
        _hold_if_attended(session.event, by=by)
    return len(new)


@transaction.atomic
def merge_people(
    *, keep: Participant, remove: Participant, by=None, request=None, scope: Scope | None = None
):
    """Merge two records of the same person into `keep` and delete `remove`, in one
    transaction: enrolments, attendance, feedback, scores and consents move as
    `participants.selectors.merge_plan` lists (the preview shows that same plan). Every row
    change is in the model history; the merge itself is a SecurityEvent."""
    if keep.pk == remove.pk:
        raise ValidationError(_("A record cannot be merged with itself."))
    locked = {
        p.pk: p for p in Participant.objects.select_for_update().filter(pk__in=[keep.pk, remove.pk])
    }
    keep, remove = locked[keep.pk], locked[remove.pk]
    if scope is not None:  # the merger's right to change every event the merge touches
        refusal = merge_refusal(scope, keep, remove)
        if refusal:
            raise ValidationError(refusal, code="event_locked")
    plan = merge_plan(keep, remove)
    mark_merged(remove, keep)  # before its enrolments move: every region that saw it
    for step in plan.events:
        enrolment = step.enrolment
        if step.into is None:
            enrolment.participant = keep
            _by(enrolment, by).save()
            continue
        into = step.into
        moved = {s.pk for s in step.attendance_moved}
        for attendance in list(enrolment.attendances.all()):
            if attendance.session_id in moved:
                attendance.enrolment = into
                _by(attendance, by).save()
            else:
                _by(attendance, by).delete()
        feedback = Feedback.objects.filter(enrolment=enrolment).first()
        if feedback is not None:
            feedback.enrolment = into if step.feedback == "move" else None
            feedback.is_duplicate = step.feedback != "move"
            _by(feedback, by).save()
        scores = Assessment.objects.filter(enrolment=enrolment).first()
        if scores is not None:
            if step.assessment == "move":
                scores.enrolment = into
                _by(scores, by).save()
            else:
                kept_scores = Assessment.objects.get(enrolment=into)
                if kept_scores.pre_score is None:
                    kept_scores.pre_score = scores.pre_score
                if kept_scores.post_score is None:
                    kept_scores.post_score = scores.post_score
                mark_merged(scores, kept_scores)
                _by(scores, by).delete()
                _by(kept_scores, by).save()
        mark_merged(enrolment, into)
        _by(enrolment, by).delete()
    for consent in plan.consents:
        consent.participant = keep
        _by(consent, by).save()
    # The disability answers (one row a person) follow the consents: the removed record's
    # move only when the kept one has none.
    theirs = DisabilityAnswers.objects.filter(participant=remove).first()
    if theirs is not None and not DisabilityAnswers.objects.filter(participant=keep).exists():
        theirs.participant = keep
        _by(theirs, by).save()
    for name, _label, value in plan.fields:
        setattr(keep, name, value)
    if plan.iin:
        keep.iin_hash = remove.iin_hash
        remove.iin_hash = None
        _by(remove, by).save()  # the hash is unique: free it before the kept record takes it
    keep.full_clean()
    _by(keep, by).save()
    resolve_merged(keep=keep, remove=remove, by=by)
    removed_pk = remove.pk
    _by(remove, by).delete()
    summary = {
        "kept_id": keep.pk,
        "removed_id": removed_pk,
        "enrolments_moved": len(plan.moved),
        "enrolments_combined": len(plan.combined),
        "attendance_moved": plan.n_attendance,
        "attendance_duplicates_dropped": sum(len(e.attendance_duplicate) for e in plan.events),
        "feedback": plan.n_feedback,
        "assessments": plan.n_assessments,
        "consents_moved": len(plan.consents),
        "fields_filled": [name for name, _label, _value in plan.fields],
    }
    record_event(
        SecurityEvent.Kind.PERSON_MERGED,
        user=by,
        request=request,
        obj=keep,
        object_repr=f"Participant #{keep.pk} <- #{removed_pk}",
        detail=summary,
    )
    return summary
