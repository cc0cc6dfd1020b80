"""Webhook endpoints and their deliveries (docs/decisions/0020)."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core import domain_events

LABELS = {
    domain_events.EVENT_CREATED: _("Event created"),
    domain_events.EVENT_HELD: _("Event held"),
    domain_events.EVENT_REPORTED: _("Event reported"),
    domain_events.ATTENDANCE_CHANGED: _("Attendance changed"),
    domain_events.QUARTER_SUBMITTED: _("Quarter submitted"),
    domain_events.QUARTER_APPROVED: _("Quarter approved"),
    domain_events.REPORT_FINISHED: _("Report finished"),
}
KIND_CHOICES = [(kind, LABELS[kind]) for kind in domain_events.KINDS]


def new_secret() -> str:
    """256 random bits, the key the endpoint's deliveries are signed with."""
    return "whsec_" + secrets.token_urlsafe(32)


class WebhookEndpoint(models.Model):
    """A URL of another system that hears of the kinds of change it chose. Deliveries are
    signed with `secret` (HMAC-SHA256), which admins read on the endpoint's page."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(
        _("URL"), max_length=500, help_text=_("Where Qadam posts: an http:// or https:// address.")
    )
    secret = models.CharField(_("secret"), max_length=100, default=new_secret, editable=False)
    kinds = models.JSONField(_("events"), default=list, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    # Who changed an endpoint shows in the audit log; the secret does not.
    history = HistoricalRecords(excluded_fields=["secret"])

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("webhooks:endpoint_edit", args=[self.pk])

    def wants(self, kind: str) -> bool:
        return self.is_active and kind in (self.kinds or [])

    def kind_labels(self) -> list[str]:
        return [str(LABELS[k]) for k in domain_events.KINDS if k in (self.kinds or [])]


class WebhookDelivery(models.Model):
    """One change to post to one endpoint (an outbox row): written in the transaction of the
    change, so a rolled-back change is never announced and a committed one never lost.
    `payload` is the record as it was then; the body sent is always the same bytes, under the
    same `delivery_id`, whether it is a retry or a replay."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        on_delete=models.CASCADE,
        related_name="deliveries",
        verbose_name=_("endpoint"),
    )
    kind = models.CharField(_("event"), max_length=30, choices=KIND_CHOICES)
    delivery_id = models.UUIDField(_("delivery id"), default=uuid.uuid4, unique=True)
    payload = models.JSONField(_("payload"))
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    response_code = models.PositiveSmallIntegerField(_("last response code"), null=True, blank=True)
    error = models.TextField(_("last error"), blank=True)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    replays = models.PositiveSmallIntegerField(_("replays"), default=0)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="webhookdelivery_due_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.delivery_id}"

    def get_absolute_url(self) -> str:
        return reverse("webhooks:delivery_detail", args=[self.pk])


class WebhookAttempt(models.Model):
    """One POST of a delivery: when, what the receiver answered (or why nothing), how long
    it took; a replay's attempts are marked so the log tells them apart from retries."""

    delivery = models.ForeignKey(
        WebhookDelivery,
        on_delete=models.CASCADE,
        related_name="attempt_log",
        verbose_name=_("delivery"),
    )
    at = models.DateTimeField(_("when"), default=timezone.now)
    response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    replay = models.BooleanField(_("replay"), default=False)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.at:%Y-%m-%d %H:%M:%S} {self.response_code or '-'}"
