"""Tombstones: a row for every event, session, person, enrolment, attendance mark, feedback form
or set of test scores that went away, so a mirror following the API's `updated_since` can drop
it too. They are written by a pre_delete receiver (connected in apps.py for the trainings and
participants models: trainings may not import participants, so participants subscribes), inside
the deletion's own transaction, so a deletion that rolls back leaves no tombstone. A service
that deletes for a reason other than "deleted" (a merge) says so on the instance first with
`mark_merged`; an erasure leaves the row in place and calls `record_tombstone` itself."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Model
from django.db.models.signals import pre_delete
from django.utils import timezone

from trainings.models import Session, TrainingEvent

from .models import Assessment, Attendance, Enrolment, Feedback, Participant, Tombstone

Resource = Tombstone.Resource
Reason = Tombstone.Reason


def _regions_of(instance: Model) -> set[int]:
    """The regions whose users saw `instance` (the Scope a tombstone is shown to): the event's
    region for what belongs to an event; for a person, where they live and every region they
    came to an event in (people_visible's rule)."""
    if isinstance(instance, TrainingEvent):
        ids = [instance.region_id]
    elif isinstance(instance, Session | Enrolment | Feedback):
        ids = TrainingEvent.objects.filter(pk=instance.event_id).values_list("region_id", flat=True)
    elif isinstance(instance, Attendance):
        ids = Session.objects.filter(pk=instance.session_id).values_list(
            "event__region_id", flat=True
        )
    elif isinstance(instance, Assessment):
        ids = Enrolment.objects.filter(pk=instance.enrolment_id).values_list(
            "event__region_id", flat=True
        )
    elif isinstance(instance, Participant):
        ids = [instance.region_id]
        ids += Enrolment.objects.filter(participant_id=instance.pk).values_list(
            "event__region_id", flat=True
        )
    else:
        raise TypeError(f"no tombstone for {type(instance).__name__}")
    return {pk for pk in ids if pk is not None}


RESOURCES: dict[type[Model], str] = {
    TrainingEvent: Resource.EVENT,
    Session: Resource.SESSION,
    Participant: Resource.PARTICIPANT,
    Enrolment: Resource.ENROLMENT,
    Attendance: Resource.ATTENDANCE,
    Feedback: Resource.FEEDBACK,
    Assessment: Resource.ASSESSMENT,
}


def record_tombstone(
    instance: Model,
    *,
    reason: str = Reason.DELETED,
    merged_into: int | None = None,
    regions: set[int] | None = None,
) -> Tombstone:
    """Keep a tombstone of `instance` (before it is deleted, or when it is erased in place),
    shown to the scopes of `regions` (by default the regions that see it now)."""
    tombstone = Tombstone.objects.create(
        resource=RESOURCES[type(instance)],
        object_id=instance.pk,
        reason=reason,
        merged_into=merged_into,
        deleted_at=timezone.now(),
    )
    Tombstone.regions.through.objects.bulk_create(
        Tombstone.regions.through(tombstone_id=tombstone.pk, region_id=region_id)
        for region_id in sorted(_regions_of(instance) if regions is None else regions)
    )
    return tombstone


def mark_merged(instance: Model, into: Model) -> Model:
    """Let the coming deletion of `instance` be recorded as merged into `into`, shown to the
    regions that see it now (a merge first moves a person's enrolments to the kept record:
    call this before, so every region that saw the person learns it went away)."""
    instance._tombstone_merged = (into.pk, _regions_of(instance))
    return instance


def _on_delete(sender, instance, **kwargs) -> None:
    merged = getattr(instance, "_tombstone_merged", None)
    if merged is None:
        record_tombstone(instance)
    else:
        into, regions = merged
        record_tombstone(instance, reason=Reason.MERGED, merged_into=into, regions=regions)


def connect(models: Iterable[type[Model]] = tuple(RESOURCES)) -> None:
    for model in models:
        pre_delete.connect(_on_delete, sender=model, dispatch_uid=f"tombstone-{model.__name__}")
