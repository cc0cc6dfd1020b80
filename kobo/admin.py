from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import KoboConnection, KoboSubmission


@admin.register(KoboConnection)
class KoboConnectionAdmin(SimpleHistoryAdmin):
    """Read mostly: connect forms and change mappings on the KoboToolbox page (/kobo/), which
    shows the secret once."""

    list_display = ("name", "xform_id", "target", "event", "is_active", "created_at")
    list_filter = ("target", "is_active")
    search_fields = ("name", "xform_id")
    readonly_fields = ("slug", "secret_prefix", "created_by", "created_at")
    raw_id_fields = ("event",)

    def has_add_permission(self, request) -> bool:
        return False  # the secret is made and shown on the KoboToolbox page


@admin.register(KoboSubmission)
class KoboSubmissionAdmin(admin.ModelAdmin):
    list_display = ("uuid", "connection", "status", "versions", "updated_at")
    list_filter = ("status", "connection")
    search_fields = ("uuid",)
    readonly_fields = [f.name for f in KoboSubmission._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
