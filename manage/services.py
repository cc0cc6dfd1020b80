"""Writes of the data admins manage: regions, districts, partners and the programme's reference
lists (programmes, activity lines, categories, topics, facilitators). Each runs in a
transaction, validates with `full_clean()`, and leaves its trace in the model's history
(django-simple-history, with the acting user)."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Model, ProtectedError, RestrictedError
from django.utils.translation import gettext as _
from simple_history.utils import bulk_update_with_history

from core.change_time import stamp_changed
from core.dataversion import data_changed
from participants import summaries
from participants.models import Participant
from regions.models import District
from trainings.models import TrainingEvent

logger = logging.getLogger(__name__)


def _attribute(obj: Model, by, reason: str = "") -> None:
    """Who made the change and why, for the history record simple-history writes on save."""
    if by is not None:
        obj._history_user = by
    if reason:
        obj._change_reason = reason


@transaction.atomic
def save_record(obj: Model, *, by=None, reason: str = "") -> Model:
    """Validate and save a new or changed record (a form's instance), audited."""
    obj.full_clean()
    _attribute(obj, by, reason)
    obj.save()
    return obj


@transaction.atomic
def set_active(obj: Model, *, active: bool, by=None) -> Model:
    """Deactivate (no longer offered in pickers; history and reports keep it) or reactivate."""
    obj.is_active = active
    _attribute(obj, by, "reactivated" if active else "deactivated")
    obj.save()
    return obj


def references(obj: Model) -> list[tuple[str, int]]:
    """What still points at `obj` (events, people, programmes...), as (label, count) pairs.
    Many-to-many links count too: deleting a topic would silently drop it from its events."""
    found = []
    for rel in obj._meta.related_objects:
        accessor = rel.get_accessor_name()
        if not accessor or rel.one_to_one:
            continue
        n = getattr(obj, accessor).count()
        if n:
            label = str(rel.related_model._meta.verbose_name_plural)
            if rel.many_to_many:
                label = f"{label} ({rel.field.verbose_name})"
            found.append((label, n))
    return found


def protected_message(obj: Model, refs: list[tuple[str, int]]) -> str:
    used = ", ".join(f"{label}: {n}" for label, n in refs)
    return _(
        "%(obj)s cannot be deleted because it is in use (%(used)s). Deactivate it instead."
    ) % {
        "obj": obj,
        "used": used,
    }


def delete_record(obj: Model, *, by=None) -> None:
    """Delete a record nothing refers to. A referenced one raises a ValidationError saying
    what uses it, and nothing changes: such records are deactivated instead."""
    refs = references(obj)
    if refs:
        raise ValidationError(protected_message(obj, refs))
    try:
        with transaction.atomic():
            _attribute(obj, by, "deleted")
            obj.delete()
    except (ProtectedError, RestrictedError) as exc:
        # A reference added between the check and the delete: the transaction rolled back.
        logger.info("delete of %r refused: %s", obj, exc)
        raise ValidationError(protected_message(obj, references(obj))) from exc


@dataclass
class MergeResult:
    events: int
    people: int
    source_deleted: bool


def merge_districts(*, source: District, target: District, by=None) -> MergeResult:
    """Merge `source` into `target` (same region): its events and people move to `target` in
    one transaction, each move kept in history; `source` is then deleted (or deactivated if
    something else still refers to it). Region-level counts do not change."""
    if source.pk == target.pk:
        raise ValidationError(_("A district cannot be merged into itself."))
    if source.region_id != target.region_id:
        raise ValidationError(_("Districts can only be merged within the same region."))
    reason = f"district {source.pk} ({source.name_en}) merged into {target.pk} ({target.name_en})"
    with transaction.atomic():
        # Lock both rows so a concurrent edit cannot attach new records to the source midway.
        list(District.objects.select_for_update().filter(pk__in=[source.pk, target.pk]))
        events = list(TrainingEvent.objects.select_for_update().filter(district=source))
        for event in events:
            event.district = target
        people = list(Participant.objects.select_for_update().filter(district=source))
        for person in people:
            person.district = target
        for model, rows in ((TrainingEvent, events), (Participant, people)):
            if rows:
                bulk_update_with_history(
                    rows,
                    model,
                    stamp_changed(rows, ["district"]),
                    batch_size=1000,
                    default_user=by,
                    default_change_reason=reason,
                )
        # Bulk updates send no signals: the cached per-district counts must be recomputed.
        data_changed()
        summaries.touch(
            event_people=[event.pk for event in events],
            participants=[person.pk for person in people],
            regions=[target.region_id],
        )
        source.refresh_from_db()
        if references(source):
            set_active(source, active=False, by=by)
            deleted = False
        else:
            _attribute(source, by, reason)
            source.delete()
            deleted = True
    logger.info("%s: %d events, %d people", reason, len(events), len(people))
    return MergeResult(events=len(events), people=len(people), source_deleted=deleted)
