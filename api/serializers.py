"""What each resource returns. Related records are given by id (and region by its ISO code)
so a client can mirror the tables; personal fields are left out for scopes that may not see
them (`contacts_for` below), never filtered on the client."""

from __future__ import annotations

from django.urls import reverse
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from participants.models import (
    Assessment,
    Attendance,
    Enrolment,
    Feedback,
    Participant,
    ParticipantCategory,
)
from regions.models import District, PartnerOrganisation, Region
from reports.models import Indicator, IndicatorTarget, ReportFile, ReportRun
from trainings.models import Programme, Session, TrainingEvent


def _contacts(serializer) -> bool:
    """Whether this response may hold phone numbers, e-mail addresses and contact names
    (Scope.can_see_contacts; the schema documents them). No scope: no contacts."""
    scope = serializer.context.get("scope")
    return serializer.context.get("schema", False) or bool(scope and scope.can_see_contacts)


def _without(fields: dict, names, *, unless: bool) -> dict:
    if not unless:
        for name in names:
            fields.pop(name, None)
    return fields


class ProgrammeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Programme
        fields = [
            "id", "code", "name", "name_kk", "name_ru", "donor", "budget_code", "outcome",
            "sdg_target", "start_date", "end_date", "is_active",
        ]  # fmt: skip


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = ["id", "code", "kato", "kind", "name_kk", "name_ru", "name_en", "is_active"]


class DistrictSerializer(serializers.ModelSerializer):
    class Meta:
        model = District
        fields = ["id", "region", "kind", "name_kk", "name_ru", "name_en", "is_active"]


class PartnerSerializer(serializers.ModelSerializer):
    """A partner organisation; its contact person only for roles that see contacts."""

    CONTACTS = ("contact_person", "contact_role")

    class Meta:
        model = PartnerOrganisation
        fields = [
            "id", "name", "name_kk", "name_ru", "short_name", "short_name_kk", "short_name_ru",
            "type", "region", "address", "contact_person",
            "contact_role", "mou_start", "mou_end", "iati_identifier", "is_active",
        ]  # fmt: skip

    def get_fields(self):
        return _without(super().get_fields(), self.CONTACTS, unless=_contacts(self))


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = ParticipantCategory
        fields = ["id", "code", "group", "name_kk", "name_ru", "name_en", "order", "is_active"]


class EventSerializer(serializers.ModelSerializer):
    region_code = serializers.CharField(source="region.code", read_only=True)

    class Meta:
        model = TrainingEvent
        fields = [
            "id", "programme", "activity_line", "title", "event_type", "description",
            "start_date", "end_date", "region", "region_code", "district", "venue", "modality",
            "status", "planned_participants", "topics", "facilitators", "host_partners",
            "implementing_partners", "created_at", "updated_at",
        ]  # fmt: skip


class DeletedEventSerializer(serializers.ModelSerializer):
    """A tombstone: a deleted event's id, its last region and when it was deleted."""

    region_code = serializers.CharField(source="region.code", read_only=True, allow_null=True)
    deleted_at = serializers.DateTimeField(source="history_date", read_only=True)

    class Meta:
        model = TrainingEvent.history.model
        fields = ["id", "region", "region_code", "deleted_at"]


class SessionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Session
        fields = ["id", "event", "date", "title", "start_time", "end_time"]


class EnrolmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Enrolment
        fields = ["id", "participant", "event", "created_at"]


class AttendanceSerializer(serializers.ModelSerializer):
    event = serializers.IntegerField(source="session.event_id", read_only=True)
    participant = serializers.IntegerField(source="enrolment.participant_id", read_only=True)

    class Meta:
        model = Attendance
        fields = ["id", "enrolment", "session", "event", "participant", "recorded_at"]


class FeedbackSerializer(serializers.ModelSerializer):
    """Scores for everyone; the link to a person and the free texts only for scopes that see
    people (a comment may name someone)."""

    PERSONAL = ("enrolment", "most_useful", "comments")

    class Meta:
        model = Feedback
        fields = [
            "id", "event", "enrolment", "satisfaction", "relevance", "usefulness",
            "intent_to_apply", "most_useful", "comments", "consent_to_quote", "quote_status",
            "source", "language", "submitted_at", "is_duplicate",
        ]  # fmt: skip

    def get_fields(self):
        scope = self.context.get("scope")
        shown = self.context.get("schema", False) or bool(scope and scope.can_see_people)
        return _without(super().get_fields(), self.PERSONAL, unless=shown)


class AssessmentSerializer(serializers.ModelSerializer):
    event = serializers.IntegerField(source="enrolment.event_id", read_only=True)
    participant = serializers.IntegerField(source="enrolment.participant_id", read_only=True)

    class Meta:
        model = Assessment
        fields = ["id", "enrolment", "event", "participant", "pre_score", "post_score"]


class ParticipantSerializer(serializers.ModelSerializer):
    """A person; phone and e-mail only for roles that see contacts (Scope.can_see_contacts)."""

    CONTACTS = ("phone", "email")

    class Meta:
        model = Participant
        fields = [
            "id", "full_name", "sex", "birth_year", "region", "district", "organisation",
            "organisation_name", "position", "category", "phone", "email", "is_anonymised",
            "created_at", "updated_at",
        ]  # fmt: skip

    def get_fields(self):
        return _without(super().get_fields(), self.CONTACTS, unless=_contacts(self))


class IndicatorTargetSerializer(serializers.ModelSerializer):
    class Meta:
        model = IndicatorTarget
        fields = ["period", "period_start", "period_end", "value"]


class IndicatorSerializer(serializers.ModelSerializer):
    targets = IndicatorTargetSerializer(many=True, read_only=True)

    class Meta:
        model = Indicator
        fields = [
            "id", "programme", "code", "name", "name_kk", "name_ru", "level", "unit",
            "baseline", "lop_target", "method", "higher_is_better", "completion",
            "completion_percent", "rule", "disaggregations", "description", "order", "targets",
        ]  # fmt: skip


class ReportFileSerializer(serializers.ModelSerializer):
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = ReportFile
        fields = ["format", "size", "sha256", "created_at", "download_url"]

    @extend_schema_field(serializers.URLField)
    def get_download_url(self, report_file: ReportFile) -> str:
        url = reverse("api:report_file", args=[report_file.run_id, report_file.format])
        request = self.context.get("request")
        return request.build_absolute_uri(url) if request is not None else url


class ReportRunSerializer(serializers.ModelSerializer):
    files = serializers.SerializerMethodField()

    class Meta:
        model = ReportRun
        fields = [
            "id", "programme", "period_label", "period_start", "period_end", "regions",
            "formats", "language", "status", "percent", "error", "created_at", "started_at",
            "finished_at", "files",
        ]  # fmt: skip

    @extend_schema_field(ReportFileSerializer(many=True))
    def get_files(self, run: ReportRun) -> list[dict]:
        """Files of finished runs only (a file of a run still building is not final)."""
        if run.status != ReportRun.Status.DONE:
            return []
        files = sorted(run.files.all(), key=lambda f: f.format)
        return ReportFileSerializer(files, many=True, context=self.context).data
