from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .forms import EndpointForm
from .models import WebhookAttempt, WebhookDelivery, WebhookEndpoint


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(SimpleHistoryAdmin):
    """Endpoints (their secret is on the endpoint's page under /manage/webhooks/)."""

    list_display = ("name", "url", "is_active", "created_at")
    list_filter = ("is_active",)
    search_fields = ("name", "url")
    form = EndpointForm
    readonly_fields = ("created_at", "created_by")


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    readonly_fields = [f.name for f in WebhookAttempt._meta.fields]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    """The delivery log, read-only (replay from /manage/webhooks/deliveries/)."""

    list_display = ("created_at", "kind", "endpoint", "status", "attempts", "response_code")
    list_filter = ("status", "kind", "endpoint")
    list_select_related = ("endpoint",)
    search_fields = ("delivery_id",)
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    inlines = [AttemptInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
