"""What a mirror needs besides the lists' `updated_since`: the tombstones of records that went
away (deleted, erased, merged into another), per resource, for the token's Scope."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django_filters import rest_framework as filters

from participants.models import Tombstone
from participants.selectors import tombstones_visible

from . import serializers
from .views import ScopedListViewSet, UpdatedSinceFilter


class DeletedSinceFilter(UpdatedSinceFilter):
    """`?deleted_since=` (the same as `updated_since` here): tombstones written at or after."""

    param = "deleted_since"


class TombstoneFilter(filters.FilterSet):
    resource = filters.MultipleChoiceFilter(
        choices=Tombstone.Resource.choices,
        help_text=_("Only these lists' tombstones (repeat the parameter for more than one)."),
    )
    reason = filters.ChoiceFilter(choices=Tombstone.Reason.choices)

    class Meta:
        model = Tombstone
        fields = ["resource", "reason"]


class TombstoneViewSet(ScopedListViewSet):
    """Records that went away, so a mirror following `updated_since` can drop them: `resource`
    (the list it was in: events, sessions, participants, enrolments, attendance, feedback,
    assessments), its `id`, `deleted_at` and `reason` (deleted, erased, or merged, with
    `merged_into`: the id of the record that kept its data). Only the token's regions'; none
    about people for roles that see aggregates only."""

    serializer_class = serializers.TombstoneSerializer
    updated_field = "deleted_at"
    filter_backends = [UpdatedSinceFilter, DeletedSinceFilter, filters.DjangoFilterBackend]
    filterset_class = TombstoneFilter

    def rows(self, scope):
        return tombstones_visible(scope)
