"""The read endpoints of /api/v1/. Each list is a selector of the pages given the token user's
Scope (accounts.scope.scope_for), so the API shows exactly what that user's pages show: another
region's record is a 404, a viewer gets no person (403 on the lists of people)."""

from __future__ import annotations

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, mixins, permissions, viewsets
from rest_framework.filters import BaseFilterBackend
from rest_framework.renderers import JSONRenderer
from rest_framework.views import APIView

from accounts.scope import Scope, scope_for
from participants.models import Assessment, ParticipantCategory
from participants.selectors import (
    attendance_visible,
    enrolments_visible,
    feedback_visible,
    people_visible,
)
from regions.selectors import districts_visible, partners_visible, regions_visible
from reports.framework import indicators_visible
from reports.services import runs_with_details
from reports.views import run_file_response
from trainings.filters import EventFilter
from trainings.models import Programme
from trainings.selectors import events_deleted, events_visible, sessions_visible

from . import serializers
from .csv_lists import CsvRenderer, stream_csv


class UpdatedSinceFilter(BaseFilterBackend):
    """`?updated_since=<ISO 8601 date-time>`: rows changed at or after that moment, on the
    lists whose model keeps a change time (the view's `updated_field`)."""

    param = "updated_since"

    def filter_queryset(self, request, queryset, view):
        field = getattr(view, "updated_field", None)
        value = request.query_params.get(self.param)
        if not field or not value:
            return queryset
        moment = parse_datetime(value.replace(" ", "+"))
        if moment is None:
            raise exceptions.ValidationError(
                {self.param: _("Give a date and time such as 2024-08-23T00:00:00Z.")}
            )
        return queryset.filter(**{f"{field}__gte": moment})

    def get_schema_operation_parameters(self, view):
        if not getattr(view, "updated_field", None):
            return []
        return [
            {
                "name": self.param,
                "required": False,
                "in": "query",
                "description": "Only rows changed at or after this moment (ISO 8601).",
                "schema": {"type": "string", "format": "date-time"},
            }
        ]


class SeesPeople(permissions.BasePermission):
    """Lists of people and what they did: not for scopes without personal data (viewers)."""

    message = _("Your role sees aggregates only, not people.")

    def has_permission(self, request, view) -> bool:
        return scope_for(request.user).can_see_people


class ScopedListViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """A read-only list whose rows come from `rows(scope)`, a selector over the Scope.
    It also answers as CSV (`?format=csv` or `Accept: text/csv`): the same rows, filters
    and checks, the whole list streamed in one response (api/csv_lists.py). Every list takes
    `updated_since` on its records' change time (`updated_field`)."""

    updated_field: str | None = "updated_at"
    filter_backends = [UpdatedSinceFilter]

    def get_renderers(self):
        renderers = super().get_renderers()
        if self.action == "list":
            renderers.append(CsvRenderer())
        return renderers

    def list(self, request, *args, **kwargs):
        if isinstance(request.accepted_renderer, CsvRenderer):
            queryset = self.filter_queryset(self.get_queryset())
            filename = request.path.rstrip("/").rsplit("/", 1)[-1] + ".csv"  # events.csv
            return stream_csv(self.get_serializer(), queryset, filename)
        return super().list(request, *args, **kwargs)

    def finalize_response(self, request, response, *args, **kwargs):
        # A refusal (401, 403, 400, 429) asked for as CSV is still answered as JSON: a client
        # reads the reason, never a CSV file of it.
        if isinstance(getattr(request, "accepted_renderer", None), CsvRenderer):
            request.accepted_renderer = JSONRenderer()
            request.accepted_media_type = JSONRenderer.media_type
        return super().finalize_response(request, response, *args, **kwargs)

    @property
    def scope(self) -> Scope:
        return scope_for(self.request.user)

    def rows(self, scope: Scope):
        raise NotImplementedError

    def get_queryset(self):
        return self.rows(self.scope)

    def get_serializer_context(self):
        context = super().get_serializer_context()
        # drf-spectacular describes every field a role may get: it marks its fake views.
        context["schema"] = getattr(self, "swagger_fake_view", False)
        context["scope"] = None if context["schema"] else self.scope
        return context


class ScopedViewSet(mixins.RetrieveModelMixin, ScopedListViewSet):
    """A read-only resource: its list and each of its records (outside the Scope: 404)."""


class ProgrammeViewSet(ScopedViewSet):
    """Programmes (programme-level data, the same for every role)."""

    serializer_class = serializers.ProgrammeSerializer

    def rows(self, scope):
        return Programme.objects.all()


class RegionViewSet(ScopedViewSet):
    """Regions the user works in (every region for staff, admins and viewers)."""

    serializer_class = serializers.RegionSerializer

    def rows(self, scope):
        return regions_visible(scope)


class DistrictViewSet(ScopedViewSet):
    serializer_class = serializers.DistrictSerializer

    def rows(self, scope):
        return districts_visible(scope)


class PartnerViewSet(ScopedViewSet):
    """Partners of the user's regions and the national and international ones."""

    serializer_class = serializers.PartnerSerializer

    def rows(self, scope):
        return partners_visible(scope)


class CategoryViewSet(ScopedViewSet):
    """Participant categories (cohorts)."""

    serializer_class = serializers.CategorySerializer

    def rows(self, scope):
        return ParticipantCategory.objects.all()


class EventViewSet(ScopedViewSet):
    """Training events of the user's regions; filters as on the event list (region, district,
    from, to, type, status, programme, q)."""

    serializer_class = serializers.EventSerializer
    updated_field = "updated_at"
    filter_backends = [UpdatedSinceFilter, DjangoFilterBackend]
    filterset_class = EventFilter

    def rows(self, scope):
        return (
            events_visible(scope)
            .select_related("region")
            .prefetch_related("topics", "facilitators", "host_partners", "implementing_partners")
        )


class DeletedEventViewSet(ScopedListViewSet):
    """Tombstones of deleted events of the user's regions (`updated_since` on the deletion
    time), so a mirror following /events/?updated_since= can drop them too."""

    serializer_class = serializers.DeletedEventSerializer
    updated_field = "history_date"

    def rows(self, scope):
        return events_deleted(scope).select_related("region")


class SessionViewSet(ScopedViewSet):
    serializer_class = serializers.SessionSerializer

    def rows(self, scope):
        return sessions_visible(scope)


class EnrolmentViewSet(ScopedViewSet):
    """Who is on which event's roster (personal data: not for viewers)."""

    serializer_class = serializers.EnrolmentSerializer
    permission_classes = [permissions.IsAuthenticated, SeesPeople]

    def rows(self, scope):
        return enrolments_visible(scope)


class AttendanceViewSet(ScopedViewSet):
    """Who was present at which session (personal data: not for viewers)."""

    serializer_class = serializers.AttendanceSerializer
    permission_classes = [permissions.IsAuthenticated, SeesPeople]

    def rows(self, scope):
        return attendance_visible(scope).select_related("session", "enrolment")


class FeedbackViewSet(ScopedViewSet):
    """Feedback forms of the user's regions; viewers get the scores without the free texts
    and without the link to a person."""

    serializer_class = serializers.FeedbackSerializer

    def rows(self, scope):
        return feedback_visible(scope)


class AssessmentViewSet(ScopedViewSet):
    """Pre/post test scores per person and event (personal data: not for viewers)."""

    serializer_class = serializers.AssessmentSerializer
    permission_classes = [permissions.IsAuthenticated, SeesPeople]

    def rows(self, scope):
        # The assessments of the enrolments this scope sees (one rule: enrolments_visible).
        return Assessment.objects.filter(enrolment__in=enrolments_visible(scope)).select_related(
            "enrolment"
        )


class ParticipantViewSet(ScopedViewSet):
    """People of the user's regions (living there or came to an event there); phone and e-mail
    only for roles that see contacts. Not for viewers."""

    serializer_class = serializers.ParticipantSerializer
    permission_classes = [permissions.IsAuthenticated, SeesPeople]
    updated_field = "updated_at"

    def rows(self, scope):
        return people_visible(scope)


class IndicatorViewSet(ScopedViewSet):
    """The results framework: indicators with their targets per period and the computed
    actuals over the token's Scope (the dashboard's rules: a coordinator gets their regions')."""

    serializer_class = serializers.IndicatorSerializer

    def rows(self, scope):
        return indicators_visible(scope).select_related("programme").prefetch_related("targets")


class ReportRunViewSet(ScopedViewSet):
    """Report runs the user may see (viewers: finished ones), with links to their files."""

    serializer_class = serializers.ReportRunSerializer

    def rows(self, scope):
        return runs_with_details(scope)


class ReportFileView(APIView):
    """One file of a finished report run: the same checks and audit as the report page's
    download link (reports.views.run_file_response)."""

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request, pk: int, fmt: str):
        return run_file_response(request._request, scope_for(request.user), pk, fmt)
