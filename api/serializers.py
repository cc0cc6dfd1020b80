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
    Tombstone,
)
from regions.models import District, PartnerOrganisation, Region
from reports.builder import IndicatorActuals
from reports.models import Indicator, ReportFile, ReportRun
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
            "sdg_target", "start_date", "end_date", "is_active", "updated_at",
        ]  # fmt: skip


class RegionSerializer(serializers.ModelSerializer):
    class Meta:
        model = Region
        fields = [
            "id", "code", "kato", "kind", "name_kk", "name_ru", "name_en", "is_active",
            "updated_at",
        ]  # fmt: skip


class DistrictSerializer(serializers.ModelSerializer):
    class Meta:
        model = District
        fields = [
            "id", "region", "kind", "name_kk", "name_ru", "name_en", "is_active", "updated_at",
        ]  # fmt: skip


class PartnerSerializer(serializers.ModelSerializer):
    """A partner organisation; its contact person only for roles that see contacts."""

    CONTACTS = ("contact_person", "contact_role")

    class Meta:
        model = PartnerOrganisation
        fields = [
            "id", "name", "name_kk", "name_ru", "short_name", "short_name_kk", "short_name_ru",
            "type", "region", "address", "contact_person",
            "contact_role", "mou_start", "mou_end", "iati_identifier", "is_active", "updated_at",
        ]  # fmt: skip

    def get_fields(self):
        return _without(super().get_fields(), self.CONTACTS, unless=_contacts(self))


class CategorySerializer(serializers.ModelSerializer):
    class Meta:
        model = ParticipantCategory
        fields = [
            "id", "code", "group", "name_kk", "name_ru", "name_en", "order", "is_active",
            "updated_at",
        ]  # fmt: skip


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
        fields = ["id", "event", "date", "title", "start_time", "end_time", "updated_at"]


class EnrolmentSerializer(serializers.ModelSerializer):
    class Meta:
        model = Enrolment
        fields = ["id", "participant", "event", "created_at", "updated_at"]


class AttendanceSerializer(serializers.ModelSerializer):
    event = serializers.IntegerField(source="session.event_id", read_only=True)
    participant = serializers.IntegerField(source="enrolment.participant_id", read_only=True)

    class Meta:
        model = Attendance
        fields = [
            "id", "enrolment", "session", "event", "participant", "recorded_at", "updated_at",
        ]  # fmt: skip


class FeedbackSerializer(serializers.ModelSerializer):
    """Scores for everyone; the link to a person and the free texts only for scopes that see
    people (a comment may name someone)."""

    PERSONAL = ("enrolment", "most_useful", "comments")

    class Meta:
        model = Feedback
        fields = [
            "id", "event", "enrolment", "satisfaction", "relevance", "usefulness",
            "intent_to_apply", "most_useful", "comments", "consent_to_quote", "quote_status",
            "source", "language", "submitted_at", "is_duplicate", "updated_at",
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
        fields = [
            "id", "enrolment", "event", "participant", "pre_score", "post_score", "updated_at",
        ]  # fmt: skip


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


class IndicatorFiguresSerializer(serializers.Serializer):
    """A target and its computed actual for one period, counted as the dashboard and the
    report count it (the indicator's rule over the token's Scope)."""

    period_start = serializers.DateField()
    period_end = serializers.DateField()
    target = serializers.FloatField(allow_null=True)
    actual = serializers.FloatField(
        allow_null=True, help_text="None: no rule, or the period has not begun."
    )
    percent_of_target = serializers.FloatField(allow_null=True)
    status = serializers.ChoiceField(
        choices=["green", "amber", "red", "grey"],
        help_text="On track (green), behind (amber), far behind (red), no target or actual (grey).",
    )


class IndicatorTargetSerializer(IndicatorFiguresSerializer):
    period = serializers.CharField(help_text="e.g. 2024Q3 or 2024")
    value = serializers.FloatField(help_text="The target (the same as `target`).")


def _figures(values: dict) -> dict:
    return {
        "period_start": values["period_start"],
        "period_end": values["period_end"],
        "target": values["target"],
        "actual": values["actual"],
        "percent_of_target": values["percent"],
        "status": values["status"],
    }


class IndicatorSerializer(serializers.ModelSerializer):
    """An indicator with its targets per period and the computed actual of each, and the life
    of the programme to date (reports.builder.IndicatorActuals: the dashboard's rules)."""

    targets = serializers.SerializerMethodField()
    life_of_programme = serializers.SerializerMethodField()

    class Meta:
        model = Indicator
        fields = [
            "id", "programme", "code", "name", "name_kk", "name_ru", "level", "unit",
            "baseline", "lop_target", "method", "higher_is_better", "completion",
            "completion_percent", "rule", "disaggregations", "description", "order", "targets",
            "life_of_programme", "updated_at",
        ]  # fmt: skip

    def _actuals(self, indicator: Indicator) -> dict:
        # One IndicatorActuals per response: each rule and period is computed once.
        if not hasattr(indicator, "_actuals"):
            actuals = self.context.get("indicator_actuals")
            if actuals is None:
                actuals = IndicatorActuals(self.context["scope"])
                self.context["indicator_actuals"] = actuals
            indicator._actuals = actuals(indicator, indicator.targets.all())
        return indicator._actuals

    @extend_schema_field(IndicatorTargetSerializer(many=True))
    def get_targets(self, indicator: Indicator) -> list[dict]:
        return [
            {"period": t["period"], "value": t["target"], **_figures(t)}
            for t in self._actuals(indicator)["targets"]
        ]

    @extend_schema_field(IndicatorFiguresSerializer)
    def get_life_of_programme(self, indicator: Indicator) -> dict:
        return _figures(self._actuals(indicator)["life_of_programme"])


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
            "finished_at", "updated_at", "files",
        ]  # fmt: skip

    @extend_schema_field(ReportFileSerializer(many=True))
    def get_files(self, run: ReportRun) -> list[dict]:
        """Files of finished runs only (a file of a run still building is not final)."""
        if run.status != ReportRun.Status.DONE:
            return []
        files = sorted(run.files.all(), key=lambda f: f.format)
        return ReportFileSerializer(files, many=True, context=self.context).data


class TombstoneSerializer(serializers.ModelSerializer):
    """A record that went away: which list it was in, its id, when and why (`merged` names
    the record it was merged into)."""

    id = serializers.IntegerField(source="object_id", read_only=True)

    class Meta:
        model = Tombstone
        fields = ["resource", "id", "reason", "merged_into", "deleted_at"]
