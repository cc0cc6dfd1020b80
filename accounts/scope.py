"""One way in for "who may see what": every selector takes the Scope of the user asking."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q

from .models import Role


@dataclass(frozen=True)
class Scope:
    """What a user may see and do.

    `region_ids` is None for "every region"; otherwise the regions the user works in (possibly
    none, which means nothing is visible)."""

    region_ids: frozenset[int] | None
    role: str = Role.VIEWER
    can_see_people: bool = False
    can_edit: bool = False
    can_build_reports: bool = False
    can_manage: bool = False
    user_id: int | None = None

    @property
    def all_regions(self) -> bool:
        return self.region_ids is None

    def region_q(self, field: str = "region") -> Q:
        """A filter limiting a queryset to the scope's regions through `field`."""
        if self.region_ids is None:
            return Q()
        return Q(**{f"{field}__in": self.region_ids})

    def covers_region(self, region_id: int | None) -> bool:
        return self.region_ids is None or region_id in self.region_ids


NOBODY = Scope(region_ids=frozenset())


def scope_for(user) -> Scope:
    """The Scope of a user: admins and programme staff see every region, a coordinator the
    regions assigned to them, a viewer every region but aggregates only."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NOBODY
    cached = getattr(user, "_qadam_scope", None)
    if cached is not None:
        return cached
    if user.is_superuser or user.role == Role.ADMIN:
        scope = Scope(None, Role.ADMIN, True, True, True, True, user.pk)
    elif user.role == Role.STAFF:
        scope = Scope(None, Role.STAFF, True, True, True, False, user.pk)
    elif user.role == Role.COORDINATOR:
        ids = frozenset(user.regions.values_list("pk", flat=True))
        scope = Scope(ids, Role.COORDINATOR, True, True, True, False, user.pk)
    else:
        scope = Scope(None, Role.VIEWER, False, False, False, False, user.pk)
    user._qadam_scope = scope
    return scope
