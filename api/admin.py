from django.contrib import admin
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .models import ApiToken, IdempotencyKey
from .services import revoke_token


@admin.register(ApiToken)
class ApiTokenAdmin(SimpleHistoryAdmin):
    """Every user's API tokens (never their secrets): admins see who holds which and revoke
    any of them. Tokens are created by their owner (the API tokens page) or `api_token`."""

    list_display = (
        "name",
        "user",
        "key_prefix",
        "created",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = (("revoked_at", admin.EmptyFieldListFilter),)
    list_select_related = ("user",)
    search_fields = ("name", "user__username", "key_prefix")
    readonly_fields = (
        "user",
        "name",
        "key_prefix",
        "created",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    actions = ["revoke"]

    def has_add_permission(self, request) -> bool:
        return False

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request, queryset):
        for token in queryset.filter(revoked_at__isnull=True):
            revoke_token(token=token, by=request.user)


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin):
    """Answers kept for retried creates (read only; old keys may be deleted)."""

    list_display = ("key", "user", "method", "path", "status_code", "created")
    list_select_related = ("user",)
    search_fields = ("key", "user__username", "path")
    readonly_fields = [f.name for f in IdempotencyKey._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
