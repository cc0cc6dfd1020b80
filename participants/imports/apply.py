"""Writing a checked plan: all rows in one transaction or none, with bulk queries so 50,000
rows take seconds, and idempotent (people are matched, existing enrolments, attendance,
feedback and scores are reused), so uploading the same file twice changes nothing."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from simple_history.utils import bulk_create_with_history, bulk_update_with_history

from accounts.scope import Scope
from core import dataversion
from core.change_time import stamp_changed
from participants import summaries
from participants.duplicates import outside_scope, record_possible_duplicates
from participants.identity import normalise_name
from participants.models import (
    Assessment,
    Attendance,
    Consent,
    Enrolment,
    Feedback,
    ImportBatch,
    Participant,
)
from participants.services import attendance_changed
from trainings.models import TrainingEvent
from trainings.selectors import can_edit_event
from trainings.services import hold_attended_event

from .validate import Plan

BATCH = 2000
CONSENT_VERSION = "1"


class EventNotEditable(Exception):
    """The importer may not change the event (any more): reported and locked, or not theirs."""


class OutsideScope(Exception):
    """The plan names a person the importer may not see (the registry changed under it)."""


@transaction.atomic
def apply_plan(
    plan: Plan,
    event: TrainingEvent,
    user=None,
    *,
    scope: Scope | None = None,
    batch: ImportBatch | None = None,
) -> dict[str, int]:
    """Write `plan` (which must have no errors) for `event`; returns what was written.

    With the importer's `scope`, the lock rule (`can_edit_event`) is asked again on the event
    row locked for this transaction, and every known person of the plan must be in the scope:
    either fails with nothing written. Likely matches outside the scope that the check found
    become PossibleDuplicates of the new records (for staff)."""
    if not plan.ok:
        raise ValueError("a plan with errors cannot be applied")
    # One import of an event at a time: a double click waits and then finds everything there.
    locked = TrainingEvent.objects.select_for_update().filter(pk=event.pk).first()
    if scope is not None:
        if locked is None or not can_edit_event(scope, locked):
            raise EventNotEditable(event.pk)
        known = [r.person_id for r in plan.rows if r.person_id]
        if outside_scope(scope, known):
            raise OutsideScope(event.pk)
    # Bulk updates send no signals: tell the dashboard's cache itself (after the commit).
    dataversion.data_changed()
    written = {
        "people_created": 0,
        "people_updated": 0,
        "enrolments": 0,
        "attendance_added": 0,
        "attendance_removed": 0,
        "feedback": 0,
        "scores": 0,
        "consents": 0,
    }
    person_of_row: dict[int, int] = {}
    touched_regions: set[int] = set()

    new_rows = [r for r in plan.rows if r.action == "create"]
    people = []
    for row in new_rows:
        person = Participant(created_by=user, iin_hash=row.iin_hash, **row.fields)
        person.name_normalised = normalise_name(person.full_name)  # save() is bypassed
        people.append(person)
    created = bulk_create_with_history(people, Participant, batch_size=BATCH, default_user=user)
    if created and created[0].pk is None:  # backends that do not return ids
        created = list(Participant.objects.filter(created_by=user).order_by("-pk")[: len(people)])
        created.reverse()
    for row, person in zip(new_rows, created, strict=True):
        person_of_row[row.number] = person.pk
    written["people_created"] = len(created)

    updates = [r for r in plan.rows if r.action == "update"]
    # Counted as the preview said, also a row whose only change (an IIN that is someone
    # else's outside the scope) was withheld: the outcome must not tell either.
    written["people_updated"] = len(updates)
    updates = [r for r in updates if r.fields]
    if updates:
        fields = sorted({name for r in updates for name in r.fields})
        current = Participant.objects.in_bulk([r.person_id for r in updates])
        changed = []
        for row in updates:
            person = current[row.person_id]
            touched_regions.add(person.region_id)  # where they lived: "people registered"
            for name, value in row.fields.items():
                setattr(person, name, value)
            changed.append(person)
        fields = stamp_changed(changed, fields)
        bulk_update_with_history(changed, Participant, fields, batch_size=BATCH, default_user=user)
    for row in plan.rows:
        if row.person_id:
            person_of_row[row.number] = row.person_id
    # Bulk writes send no signals: the dashboard's summaries are told what to recount (after
    # the commit): this event, everyone it names, the regions they live(d) in.
    touched_regions.update(p.region_id for p in created)
    people_named = Participant.objects.filter(pk__in=person_of_row.values())
    touched_regions.update(people_named.values_list("region_id", flat=True))
    summaries.touch(
        event_people=[event.pk], participants=person_of_row.values(), regions=touched_regions
    )
    for row in plan.rows:
        if row.same_as:
            person_of_row[row.number] = person_of_row[row.same_as]
    # Not in `written`: the batch's counts are the importer's to read, and must not hint.
    record_possible_duplicates(
        pairs=[
            (existing, person_of_row[row.number], how)
            for row in plan.rows
            for existing, how in row.hidden
        ],
        batch=batch,
        found_by=user,
    )

    # Consent: recorded once for a person who has none on file yet.
    with_consent = {person_of_row[r.number]: r.consent for r in plan.rows if r.consent is not None}
    if with_consent:
        known = set()
        for chunk in _chunks(list(with_consent)):
            known.update(
                Consent.objects.filter(participant_id__in=chunk).values_list(
                    "participant_id", flat=True
                )
            )
        consents = [
            Consent(
                participant_id=pid,
                given=given,
                given_on=date.today(),
                version=CONSENT_VERSION,
                method=Consent.Method.IMPORT,
                recorded_by=user,
            )
            for pid, given in with_consent.items()
            if pid not in known
        ]
        bulk_create_with_history(consents, Consent, batch_size=BATCH, default_user=user)
        written["consents"] = len(consents)

    # Enrolments
    roster = dict(Enrolment.objects.filter(event=event).values_list("participant_id", "id"))
    missing = []
    for pid in dict.fromkeys(person_of_row.values()):
        if pid not in roster:
            missing.append(Enrolment(participant_id=pid, event=event))
    if missing:
        bulk_create_with_history(missing, Enrolment, batch_size=BATCH, default_user=user)
        roster = dict(Enrolment.objects.filter(event=event).values_list("participant_id", "id"))
    written["enrolments"] = len(missing)
    enrolment_of_row = {n: roster[pid] for n, pid in person_of_row.items()}

    # Attendance: 1 adds (once), 0 removes, blank leaves as it is.
    marks: dict[tuple[int, int], bool] = {}
    for row in plan.rows:
        for session_id, present in row.attendance.items():
            marks[(enrolment_of_row[row.number], session_id)] = present
    if marks:
        existing = {
            (enrolment_id, session_id): pk
            for enrolment_id, session_id, pk in Attendance.objects.filter(
                session__event=event
            ).values_list("enrolment_id", "session_id", "id")
        }
        add = [
            Attendance(enrolment_id=e, session_id=s)
            for (e, s), present in marks.items()
            if present and (e, s) not in existing
        ]
        bulk_create_with_history(add, Attendance, batch_size=BATCH, default_user=user)
        removed_cells = [p for p, present in marks.items() if not present and p in existing]
        remove = [existing[pair] for pair in removed_cells]
        for attendance in Attendance.objects.filter(pk__in=remove):
            attendance.delete()  # one by one so the audit trail records each removal
        written["attendance_added"], written["attendance_removed"] = len(add), len(remove)
        attendance_changed(
            event,
            present=[(a.enrolment_id, a.session_id) for a in add],
            absent=removed_cells,
        )
        if add:
            # People attended: a planned event whose day has come is held (ADR 0010).
            hold_attended_event(event=locked or event, by=user)

    written["feedback"] = _upsert(
        Feedback,
        {enrolment_of_row[r.number]: r.feedback for r in plan.rows if r.feedback},
        extra={"event": event, "source": Feedback.Source.IMPORT},
        user=user,
        queryset=Feedback.objects.filter(event=event, enrolment__isnull=False),
    )
    written["scores"] = _upsert(
        Assessment,
        {enrolment_of_row[r.number]: r.scores for r in plan.rows if r.scores},
        extra={},
        user=user,
        queryset=Assessment.objects.filter(enrolment__event=event),
    )
    return written


def _upsert(model, values: dict[int, dict[str, Any]], extra, user, queryset) -> int:
    """Create or update the one-per-enrolment record (feedback, test scores) of each row."""
    if not values:
        return 0
    existing = {obj.enrolment_id: obj for obj in queryset.filter(enrolment_id__in=list(values))}
    new, changed, fields = [], [], set()
    for enrolment_id, data in values.items():
        obj = existing.get(enrolment_id)
        if obj is None:
            new.append(model(enrolment_id=enrolment_id, **extra, **data))
            continue
        differs = {k: v for k, v in data.items() if getattr(obj, k) != v}
        if differs:
            for k, v in differs.items():
                setattr(obj, k, v)
            fields.update(differs)
            changed.append(obj)
    bulk_create_with_history(new, model, batch_size=BATCH, default_user=user)
    if changed:
        fields = stamp_changed(changed, sorted(fields))
        bulk_update_with_history(changed, model, fields, batch_size=BATCH, default_user=user)
    return len(new) + len(changed)


def _chunks(items: list, size: int = 1000):
    for start in range(0, len(items), size):
        yield items[start : start + size]
