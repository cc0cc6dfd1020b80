from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from accounts.admin import ScopedAdmin

from .models import (
    ActivityLine,
    EventFile,
    Facilitator,
    Programme,
    RegionQuarter,
    RegionQuarterTransition,
    Session,
    Topic,
    TrainingEvent,
)
from .selectors import event_files_visible, events_visible, sessions_visible


@admin.register(Programme)
class ProgrammeAdmin(ScopedAdmin):
    list_display = ("code", "name", "name_kk", "name_ru", "donor", "start_date", "is_active")
    list_filter = ("is_active",)
    list_select_related = ("donor",)
    search_fields = ("code", "name", "name_kk", "name_ru", "budget_code")
    autocomplete_fields = ("donor",)

    def scoped_queryset(self, scope):
        return Programme.objects.all()


@admin.register(ActivityLine)
class ActivityLineAdmin(ScopedAdmin):
    list_display = ("code", "name", "name_kk", "name_ru", "programme", "is_active")
    list_filter = ("programme", "is_active")
    list_select_related = ("programme",)
    search_fields = ("code", "name", "name_kk", "name_ru")
    autocomplete_fields = ("programme",)

    def scoped_queryset(self, scope):
        return ActivityLine.objects.all()


@admin.register(Topic)
class TopicAdmin(admin.ModelAdmin):
    list_display = ("name", "name_kk", "name_ru", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "name_kk", "name_ru")


@admin.register(Facilitator)
class FacilitatorAdmin(ScopedAdmin):
    list_display = ("name", "expertise", "organisation", "is_active")
    list_filter = ("is_active",)
    list_select_related = ("organisation",)
    search_fields = ("name", "expertise")
    autocomplete_fields = ("organisation",)

    def scoped_queryset(self, scope):
        return Facilitator.objects.all()


class SessionInline(admin.TabularInline):
    model = Session
    extra = 0


@admin.register(TrainingEvent)
class TrainingEventAdmin(ScopedAdmin):
    list_display = ("title", "event_type", "start_date", "end_date", "region", "district", "status")
    list_filter = ("status", "event_type", "modality", "region", "programme")
    list_select_related = ("region", "district")
    search_fields = ("title", "venue")
    date_hierarchy = "start_date"
    autocomplete_fields = (
        "programme",
        "activity_line",
        "region",
        "district",
        "topics",
        "facilitators",
        "host_partners",
        "implementing_partners",
    )
    readonly_fields = ("feedback_token", "created_by", "created_at", "updated_at")
    inlines = [SessionInline]

    def scoped_queryset(self, scope):
        return events_visible(scope)


@admin.register(Session)
class SessionAdmin(ScopedAdmin):
    list_display = ("event", "date", "shown_title")
    list_select_related = ("event",)
    search_fields = ("title", "event__title")
    autocomplete_fields = ("event",)
    date_hierarchy = "date"

    def scoped_queryset(self, scope):
        return sessions_visible(scope)

    @admin.display(description=_("title"), ordering="title")
    def shown_title(self, session: Session) -> str:
        # Untitled sessions read "Day N" in the reader's language, as on the pages.
        return session.display_title


class _ReadOnlyAdmin(admin.ModelAdmin):
    """The quarterly close changes only through its pages (closing/services.py: transactions,
    the thread and the audit log); the admin shows it, read-only."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(RegionQuarter)
class RegionQuarterAdmin(_ReadOnlyAdmin):
    list_display = ("programme", "region", "quarter", "status", "updated_at")
    list_filter = ("status", "programme", "region")
    list_select_related = ("programme", "region")
    search_fields = ("quarter",)


@admin.register(RegionQuarterTransition)
class RegionQuarterTransitionAdmin(_ReadOnlyAdmin):
    list_display = ("region_quarter", "from_status", "to_status", "by", "at")
    list_filter = ("to_status",)
    list_select_related = ("region_quarter__programme", "region_quarter__region", "by")


@admin.register(EventFile)
class EventFileAdmin(ScopedAdmin):
    """Files of events, within the user's scope. Uploads and deletions go through the event
    page (it checks what a file really is, strips photos' metadata and asks the lock rule);
    here the caption and the report choice may be corrected."""

    list_display = ("original_name", "kind", "event", "size", "in_report", "uploaded_at")
    list_filter = ("kind", "in_report")
    list_select_related = ("event",)
    search_fields = ("original_name", "caption", "event__title")
    fields = (
        "event",
        "kind",
        "download",
        "original_name",
        "content_type",
        "size",
        "caption",
        "people_consent",
        "in_report",
        "uploaded_by",
        "uploaded_at",
    )
    # Not "file": the admin would link its raw storage URL, which is never served.
    readonly_fields = (
        "event",
        "kind",
        "download",
        "original_name",
        "content_type",
        "size",
        "uploaded_by",
        "uploaded_at",
    )

    def scoped_queryset(self, scope):
        return event_files_visible(scope)

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("file"))
    def download(self, obj):
        if not obj.pk or not obj.file:
            return "-"
        url = reverse("trainings:event_file_download", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Download"))
