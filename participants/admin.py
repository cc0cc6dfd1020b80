from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.admin import ScopedAdmin

from .imports.selectors import batches_visible
from .models import (
    Assessment,
    Attendance,
    Consent,
    DisabilityAnswers,
    Enrolment,
    EventFigures,
    ExportJob,
    Feedback,
    ImportBatch,
    Participant,
    ParticipantCategory,
    PossibleDuplicate,
    Reach,
    ReachCount,
    SyncedChange,
    Tombstone,
)
from .selectors import (
    attendance_visible,
    enrolments_visible,
    feedback_visible,
    people_visible,
    tombstones_visible,
)


@admin.register(ParticipantCategory)
class ParticipantCategoryAdmin(ScopedAdmin):
    list_display = ("code", "name_en", "name_ru", "name_kk", "group", "order", "is_active")
    list_filter = ("group", "is_active")
    search_fields = ("code", "name_en", "name_ru", "name_kk")

    def scoped_queryset(self, scope):
        return ParticipantCategory.objects.all()


class ConsentInline(admin.TabularInline):
    model = Consent
    extra = 0
    readonly_fields = ("recorded_by", "recorded_at")


@admin.register(Participant)
class ParticipantAdmin(ScopedAdmin):
    list_display = ("full_name", "sex", "birth_year", "region", "category", "organisation")
    list_filter = ("sex", "region", "category", "is_anonymised")
    list_select_related = ("region", "category", "organisation")
    search_fields = ("full_name", "name_normalised", "organisation_name", "position")
    autocomplete_fields = ("region", "district", "organisation", "category")
    readonly_fields = ("iin_hash", "created_by", "created_at", "updated_at")
    inlines = [ConsentInline]

    def scoped_queryset(self, scope):
        return people_visible(scope)


@admin.register(Enrolment)
class EnrolmentAdmin(ScopedAdmin):
    list_display = ("participant", "event", "created_at")
    list_select_related = ("participant", "event")
    search_fields = ("participant__full_name", "event__title")
    autocomplete_fields = ("participant", "event")

    def scoped_queryset(self, scope):
        return enrolments_visible(scope)


@admin.register(Attendance)
class AttendanceAdmin(ScopedAdmin):
    list_display = ("enrolment", "session", "recorded_at")
    # session__event: an untitled session is named "Day N" from its event (Session.display_title).
    list_select_related = ("enrolment__participant", "enrolment__event", "session__event")
    search_fields = ("enrolment__participant__full_name", "session__event__title")
    autocomplete_fields = ("enrolment", "session")

    def scoped_queryset(self, scope):
        return attendance_visible(scope)


@admin.register(Feedback)
class FeedbackAdmin(ScopedAdmin):
    list_display = ("event", "satisfaction", "relevance", "usefulness", "source", "submitted_at")
    list_filter = ("source", "satisfaction", "consent_to_quote")
    list_select_related = ("event",)
    search_fields = ("event__title", "comments", "most_useful")
    autocomplete_fields = ("event", "enrolment")

    def scoped_queryset(self, scope):
        return feedback_visible(scope)


@admin.register(Assessment)
class AssessmentAdmin(ScopedAdmin):
    list_display = ("enrolment", "pre_score", "post_score")
    list_select_related = ("enrolment__participant", "enrolment__event")
    search_fields = ("enrolment__participant__full_name", "enrolment__event__title")
    autocomplete_fields = ("enrolment",)

    def scoped_queryset(self, scope):
        return Assessment.objects.filter(enrolment__in=enrolments_visible(scope))


@admin.register(Consent)
class ConsentAdmin(ScopedAdmin):
    list_display = ("participant", "given", "given_on", "version", "method")
    list_filter = ("given", "version", "method")
    list_select_related = ("participant",)
    search_fields = ("participant__full_name", "version")
    autocomplete_fields = ("participant",)
    readonly_fields = ("recorded_by", "recorded_at")

    def scoped_queryset(self, scope):
        return Consent.objects.filter(participant__in=people_visible(scope))


@admin.register(DisabilityAnswers)
class DisabilityAnswersAdmin(ScopedAdmin):
    """Answers to the WG-SS; the list shows only the consent, never the answers (health data)."""

    list_display = ("participant", "consent_given_on", "consent_version")
    list_select_related = ("participant",)
    search_fields = ("participant__full_name",)
    autocomplete_fields = ("participant",)
    readonly_fields = ("kept_status", "recorded_by", "updated_at")

    def scoped_queryset(self, scope):
        return DisabilityAnswers.objects.filter(participant__in=people_visible(scope))


@admin.register(ImportBatch)
class ImportBatchAdmin(ScopedAdmin):
    """Spreadsheet imports (read-mostly: uploads and confirmations happen on /imports/)."""

    list_display = ("original_name", "event", "status", "total_rows", "created_by", "created_at")
    list_filter = ("status",)
    list_select_related = ("event", "created_by")
    readonly_fields = (
        "uploaded_file",
        "sha256",
        "counts",
        "errors",
        "warnings",
        "preview",
        "created_at",
    )
    # Not "file": the admin would link its raw storage URL (and let a file in unchecked). The
    # sheet leaves only through the download view, which checks access and records it.
    exclude = ("file",)

    def scoped_queryset(self, scope):
        return batches_visible(scope)

    def has_add_permission(self, request):
        return False  # uploads go through /imports/, which checks the file

    @admin.display(description=_("file"))
    def uploaded_file(self, obj):
        if not obj.file or not obj.file.storage.exists(obj.file.name):
            return "-"
        url = reverse("imports:batch_file", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download"))


@admin.register(PossibleDuplicate)
class PossibleDuplicateAdmin(ScopedAdmin):
    """Pairs found by imports and registrations across regions (read-only here: staff merge or
    dismiss them on /people/duplicates/, which records who decided)."""

    list_display = ("existing", "new_person", "how", "found_at", "resolution", "resolved_at")
    list_filter = ("how", "resolution")
    list_select_related = ("existing", "new_person")
    readonly_fields = (
        "existing",
        "new_person",
        "how",
        "batch",
        "found_by",
        "found_at",
        "resolution",
        "resolved_by",
        "resolved_at",
    )

    def scoped_queryset(self, scope):
        if not scope.can_review_duplicates:
            return PossibleDuplicate.objects.none()
        return PossibleDuplicate.objects.all()

    def has_add_permission(self, request):
        return False


@admin.register(SyncedChange)
class SyncedChangeAdmin(ScopedAdmin):
    """Changes sent from browsers' offline outboxes and their results (read-only: the record of
    what the sync endpoint did with each idempotency key, ADR 0018). Administrators only."""

    list_display = ("created", "user", "kind", "status", "key", "message")
    list_filter = ("kind", "status")
    list_select_related = ("user",)
    search_fields = ("key", "user__username")
    readonly_fields = ("user", "key", "kind", "status", "message", "created")

    def scoped_queryset(self, scope):
        return SyncedChange.objects.all() if scope.can_manage else SyncedChange.objects.none()

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Tombstone)
class TombstoneAdmin(ScopedAdmin):
    """Records that went away, as the API's /api/v1/deleted/ lists them (read-only: written
    with each deletion, erasure and merge)."""

    list_display = ("deleted_at", "resource", "object_id", "reason", "merged_into")
    list_filter = ("resource", "reason")
    search_fields = ("object_id",)
    readonly_fields = ("resource", "object_id", "reason", "merged_into", "deleted_at", "regions")

    def scoped_queryset(self, scope):
        return tombstones_visible(scope)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(ExportJob)
class ExportJobAdmin(ScopedAdmin):
    """Background list exports (read-only: who asked for what, its status and reason). The
    files themselves leave only through "My exports", to their owner."""

    list_display = ("created_at", "user", "kind", "format", "status", "rows_total", "expires_at")
    list_filter = ("kind", "format", "status")
    list_select_related = ("user",)
    search_fields = ("user__username",)
    exclude = ("file",)
    readonly_fields = (
        "user",
        "kind",
        "format",
        "params",
        "scope",
        "language",
        "status",
        "rows_done",
        "rows_total",
        "error",
        "filename",
        "size",
        "created_at",
        "started_at",
        "finished_at",
        "expires_at",
        "attempts",
        "downloaded_at",
    )

    def scoped_queryset(self, scope):
        return ExportJob.objects.all() if scope.can_manage else ExportJob.objects.none()

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class SummaryAdmin(ScopedAdmin):
    """The dashboard's summaries (participants/summaries.py), read-only and for administrators:
    aggregates kept by the code, shown to check them against the records."""

    def scoped_queryset(self, scope):
        return self.model.objects.all() if scope.can_manage else self.model.objects.none()

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EventFigures)
class EventFiguresAdmin(SummaryAdmin):
    list_display = ("event_id", "roster", "sessions", "present", "fb_n", "sc_n")


@admin.register(Reach)
class ReachAdmin(SummaryAdmin):
    list_display = ("participant_id", "place", "period", "sex", "category_id", "wgss")
    list_filter = ("period",)


@admin.register(ReachCount)
class ReachCountAdmin(SummaryAdmin):
    list_display = ("place", "period", "sex", "category_id", "wgss", "n")
    list_filter = ("period",)
