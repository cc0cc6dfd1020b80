"""Reads of regions, districts and partners, limited to a Scope."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import QuerySet

from .models import District, PartnerOrganisation, Region

if TYPE_CHECKING:  # the Scope lives a layer up (accounts); regions only reads its fields
    from accounts.scope import Scope


def regions_visible(scope: Scope) -> QuerySet[Region]:
    """Regions the user works in (all of them for staff, admins and viewers)."""
    return Region.objects.filter(scope.region_q("pk"))


def districts_visible(scope: Scope) -> QuerySet[District]:
    return District.objects.filter(scope.region_q("region")).select_related("region")


def partners_visible(scope: Scope) -> QuerySet[PartnerOrganisation]:
    """Partners of the user's regions plus national and international ones (no region)."""
    qs = PartnerOrganisation.objects.select_related("region")
    return qs.filter(scope.region_q("region", include_global=True))


# What coordinators pick from (event and person forms): active items only -------------------
def active_districts(region: Region | int | None = None) -> QuerySet[District]:
    qs = District.objects.filter(is_active=True, region__is_active=True).select_related("region")
    return qs.filter(region=region) if region is not None else qs


def active_partners(scope: Scope | None = None) -> QuerySet[PartnerOrganisation]:
    qs = PartnerOrganisation.objects.filter(is_active=True).select_related("region")
    if scope is not None:
        qs = qs.filter(scope.region_q("region", include_global=True))
    return qs
