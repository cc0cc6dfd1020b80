from django.contrib import admin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """The quarterly close's mail, read-only: what went to whom, when, and what failed."""

    list_display = ("created_at", "kind", "recipient", "region", "quarter", "digest", "sent_at")
    list_filter = ("kind", "digest", ("sent_at", admin.EmptyFieldListFilter))
    search_fields = ("recipient__username", "recipient__email", "key")
    readonly_fields = [f.name for f in Notification._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
