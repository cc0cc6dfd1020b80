from django.contrib import admin

from .models import Invitation, QuestionSet, Round


@admin.register(QuestionSet)
class QuestionSetAdmin(admin.ModelAdmin):
    list_display = ("name", "is_active", "updated_at")


@admin.register(Round)
class RoundAdmin(admin.ModelAdmin):
    list_display = ("__str__", "event_type", "activity_line", "months", "question_set", "is_active")
    list_filter = ("event_type", "is_active")


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    """The follow-up outbox, read-only: who was asked, how, what failed, what they answered."""

    list_display = (
        "due_on",
        "round",
        "event",
        "participant",
        "channel",
        "sent_at",
        "reminded_at",
        "answered_at",
        "refused_at",
        "attempts",
    )
    list_filter = ("channel", ("answered_at", admin.EmptyFieldListFilter))
    list_select_related = ("round__activity_line", "event", "participant")
    search_fields = ("key", "participant__full_name")
    exclude = ("nonce", "token_hash")
    readonly_fields = [
        f.name for f in Invitation._meta.fields if f.name not in ("nonce", "token_hash")
    ]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
