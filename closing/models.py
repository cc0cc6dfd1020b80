from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Notification(models.Model):
    """One mail of the quarterly close to one user (docs/decisions/0013): written in the same
    transaction as the step it tells of, so no step goes unannounced and none is announced
    that did not happen (an outbox). Sent at once by a Celery task, or with the user's other
    notifications in their weekly digest; `key` keeps a step or a reminder from being mailed
    twice, `sent_at` marks it delivered, `attempts` and `error` show what went wrong."""

    class Kind(models.TextChoices):
        SUBMITTED = "submitted", _("Quarter submitted")
        RETURNED = "returned", _("Quarter returned")
        APPROVED = "approved", _("Quarter approved")
        REMINDER_BEFORE = "reminder_before", _("Reminder before the quarter ends")
        REMINDER_AFTER = "reminder_after", _("Reminder after the quarter ended")

    key = models.CharField(max_length=150, unique=True)
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="close_notifications",
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("what"), max_length=20, choices=Kind.choices)
    programme = models.ForeignKey(
        "trainings.Programme",
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("programme"),
    )
    region = models.ForeignKey(
        "regions.Region", on_delete=models.CASCADE, related_name="+", verbose_name=_("region")
    )
    quarter = models.CharField(_("quarter"), max_length=6)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    comment = models.TextField(_("comment"), blank=True)
    digest = models.BooleanField(_("in the weekly digest"), default=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    error = models.TextField(_("last error"), blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("close notification")
        verbose_name_plural = _("close notifications")
        indexes = [
            models.Index(
                fields=["recipient", "created_at"],
                condition=models.Q(sent_at__isnull=True),
                name="notification_unsent_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.region_id} {self.quarter} -> {self.recipient_id}"
