"""One way in for "who may see what": every selector takes the Scope of the user asking.

A Scope carries every capability a page, selector, export or report asks about, so role sets
live here and nowhere else: callers ask `scope.can_see_contacts`, never `role in (...)`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q

from core.access import capability_required

from .models import Role

# Roles that see every region, may unlock reported events, edit the results framework and use
# two-factor login (programme staff and administrators).
PROGRAMME_ROLES = frozenset({Role.ADMIN, Role.STAFF})
# Roles that see people's phone numbers and e-mail addresses (when they see people at all).
CONTACT_ROLES = frozenset({Role.ADMIN, Role.STAFF, Role.COORDINATOR})


@dataclass(frozen=True, kw_only=True)
class Scope:
    """What a user may see and do.

    `region_ids` is None for "every region"; otherwise the regions the user works in (possibly
    none, which means nothing is visible). The stored flags are set by `scope_for`; the
    properties below derive the finer rights from them and the role."""

    region_ids: frozenset[int] | None
    role: str = Role.VIEWER
    can_see_people: bool = False
    can_edit: bool = False
    can_build_reports: bool = False
    can_manage: bool = False  # manage users, the audit trail and the reference data
    user_id: int | None = None

    @classmethod
    def for_regions(cls, region_ids: Iterable[int] | None, **capabilities) -> Scope:
        """A Scope of these regions (None: every region) asked for by no user: a stored report
        run or the command line. It sees aggregates only unless `capabilities` say more."""
        ids = None if region_ids is None else frozenset(int(pk) for pk in region_ids)
        return cls(region_ids=ids, **capabilities)

    # Regions -----------------------------------------------------------------------------------
    @property
    def all_regions(self) -> bool:
        return self.region_ids is None

    def region_q(self, field: str = "region", *, include_global: bool = False) -> Q:
        """A filter limiting a queryset to the scope's regions through `field`.

        `include_global` also admits records with no region (national partners, categories,
        programme-wide narratives). Every region: an empty Q (do not OR it with another Q: an
        empty Q vanishes from `Q() | Q(x)`)."""
        if self.region_ids is None:
            return Q()
        q = Q(**{f"{field}__in": self.region_ids})
        if include_global:
            q |= Q(**{f"{field}__isnull": True})
        return q

    def covers_region(self, region_id: int | None) -> bool:
        return self.region_ids is None or region_id in self.region_ids

    # Capabilities ------------------------------------------------------------------------------
    @property
    def can_see_contacts(self) -> bool:
        """Phone numbers and e-mail addresses in lists and exports (never viewers)."""
        return self.can_see_people and self.role in CONTACT_ROLES

    @property
    def can_unlock(self) -> bool:
        """Programme staff and admins may change and unlock a reported event."""
        return self.can_edit and self.role in PROGRAMME_ROLES

    @property
    def can_edit_framework(self) -> bool:
        """Programme staff and admins edit indicators, targets, narratives and review quotes;
        coordinators and viewers read them."""
        return self.role in PROGRAMME_ROLES

    @property
    def can_review_duplicates(self) -> bool:
        """Possible cross-region duplicates are reviewed by those who see every region's people
        and may edit (programme staff and admins)."""
        return self.all_regions and self.can_see_people and self.can_edit

    @property
    def sees_finished_runs_only(self) -> bool:
        """Viewers read finished report runs but build none."""
        return self.role == Role.VIEWER and not self.can_build_reports

    @property
    def can_download_reports(self) -> bool:
        return self.can_build_reports or self.role == Role.VIEWER

    @property
    def can_use_two_factor(self) -> bool:
        """Programme staff and admins may (and are asked to) add a second factor to their login."""
        return self.role in PROGRAMME_ROLES


NOBODY = Scope(region_ids=frozenset())


def scope_for(user) -> Scope:
    """The Scope of a user: admins and programme staff see every region, a coordinator the
    regions assigned to them, a viewer every region but aggregates only."""
    if user is None or not user.is_authenticated or not user.is_active:
        return NOBODY
    cached = getattr(user, "_qadam_scope", None)
    if cached is not None:
        return cached
    writer = {"can_see_people": True, "can_edit": True, "can_build_reports": True}
    if user.is_superuser or user.role == Role.ADMIN:
        scope = Scope(region_ids=None, role=Role.ADMIN, can_manage=True, user_id=user.pk, **writer)
    elif user.role == Role.STAFF:
        scope = Scope(region_ids=None, role=Role.STAFF, user_id=user.pk, **writer)
    elif user.role == Role.COORDINATOR:
        ids = frozenset(user.regions.values_list("pk", flat=True))
        scope = Scope(region_ids=ids, role=Role.COORDINATOR, user_id=user.pk, **writer)
    else:
        scope = Scope(region_ids=None, role=Role.VIEWER, user_id=user.pk)
    user._qadam_scope = scope
    return scope


# Logged in and allowed to manage users, the audit trail and the reference data (else 403).
admin_required = capability_required("can_manage", scope_of=scope_for)
