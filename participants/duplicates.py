"""Possible duplicates across regions. A coordinator who imports or registers someone whom
they may not see (the same IIN, or the same name and birth year as a person of another
region) must learn nothing about that person: they get a new record, and the pair is kept
here for programme staff, who see every region, to merge or dismiss. The IIN hash is unique,
so a new record whose IIN belongs to a hidden person is stored without it (the hidden record
keeps it; a merge moves it as usual)."""

from __future__ import annotations

import logging
from collections.abc import Iterable

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from accounts.scope import Scope

from .identity import normalise_name
from .models import Participant, PossibleDuplicate
from .selectors import people_visible

logger = logging.getLogger(__name__)
How = PossibleDuplicate.How
MAX_PER_PERSON = 5  # namesakes of a common name: a few pairs are enough to start a review


def _chunks(items: list, size: int = 1000):
    for start in range(0, len(items), size):
        yield items[start : start + size]


# Reads ----------------------------------------------------------------------------------------


def outside_scope(scope: Scope, ids: Iterable[int]) -> set[int]:
    """Of these people, the ones the scope may not see (none for staff and admins)."""
    wanted = sorted(set(ids))
    if not wanted or (scope.all_regions and scope.can_see_people):
        return set()
    visible: set[int] = set()
    for chunk in _chunks(wanted):
        visible.update(people_visible(scope).filter(pk__in=chunk).values_list("pk", flat=True))
    return set(wanted) - visible


def hidden_matches(
    scope: Scope,
    *,
    iin_hash: str = "",
    full_name: str = "",
    birth_year: int | None = None,
    exclude_pk: int | None = None,
) -> list[tuple[int, str]]:
    """People outside the scope who are probably this person, as (id, how): the same IIN hash,
    or the same normalised name and birth year. For recording a PossibleDuplicate, never for
    showing to the user whose scope this is."""
    if scope.all_regions and scope.can_see_people:
        return []
    found: dict[int, str] = {}
    if iin_hash:
        owner = Participant.objects.filter(iin_hash=iin_hash).values_list("pk", flat=True).first()
        if owner is not None and owner != exclude_pk:
            found[owner] = How.IIN
    name = normalise_name(full_name)
    if name and birth_year:
        namesakes = (
            Participant.objects.filter(name_normalised=name, birth_year=birth_year)
            .exclude(pk=exclude_pk)
            .order_by("pk")
            .values_list("pk", flat=True)[:MAX_PER_PERSON]
        )
        for pk in namesakes:
            found.setdefault(pk, How.NAME)
    hidden = outside_scope(scope, found)
    return [(pk, how) for pk, how in found.items() if pk in hidden]


def possible_duplicates_open(scope: Scope) -> QuerySet[PossibleDuplicate]:
    """Pairs still to review whose two records both exist, newest first (none for anyone but
    programme staff and admins: `scope.can_review_duplicates`)."""
    if not scope.can_review_duplicates:
        return PossibleDuplicate.objects.none()
    return (
        PossibleDuplicate.objects.filter(
            resolution="", existing__isnull=False, new_person__isnull=False
        )
        .select_related("existing__region", "new_person__region", "batch__event", "found_by")
        .order_by("-found_at", "-pk")
    )


# Writes ---------------------------------------------------------------------------------------


def record_possible_duplicates(
    *, pairs: Iterable[tuple[int, int, str]], batch=None, found_by=None
) -> int:
    """Store (existing id, new person id, how) pairs; a pair already on file is left alone."""
    rows = [
        PossibleDuplicate(
            existing_id=existing, new_person_id=new, how=how, batch=batch, found_by=found_by
        )
        for existing, new, how in dict.fromkeys(pairs)
        if existing != new
    ]
    if not rows:
        return 0
    PossibleDuplicate.objects.bulk_create(rows, ignore_conflicts=True)
    logger.info(
        "possible cross-region duplicates recorded: %s (batch %s)",
        len(rows),
        getattr(batch, "pk", None),
    )
    return len(rows)


@transaction.atomic
def dismiss_possible_duplicate(*, duplicate: PossibleDuplicate, by) -> PossibleDuplicate:
    """Staff say the two records are different people: the pair leaves the list."""
    duplicate.resolution = PossibleDuplicate.Resolution.DISMISSED
    duplicate.resolved_at = timezone.now()
    duplicate.resolved_by = by
    duplicate.full_clean()
    duplicate.save(update_fields=["resolution", "resolved_at", "resolved_by"])
    return duplicate


def resolve_merged(*, keep: Participant, remove: Participant, by=None) -> None:
    """Called by merge_people before `remove` is deleted: the pair of these two records is
    resolved as merged; other pairs of `remove` now concern `keep`."""
    now = timezone.now()
    pair = PossibleDuplicate.objects.filter(
        existing__in=[keep, remove], new_person__in=[keep, remove], resolution=""
    )
    pair.update(resolution=PossibleDuplicate.Resolution.MERGED, resolved_at=now, resolved_by=by)
    for field, other in (("existing", "new_person"), ("new_person", "existing")):
        for item in PossibleDuplicate.objects.filter(**{field: remove}, resolution=""):
            if getattr(item, f"{other}_id") == keep.pk:
                continue
            clash = PossibleDuplicate.objects.filter(
                **{field: keep, other: getattr(item, f"{other}_id")}
            ).exists()
            if clash:  # the same pair is already on file for the kept record
                item.delete()
            else:
                setattr(item, field, keep)
                item.save(update_fields=[field])
