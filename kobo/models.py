"""Connected KoboToolbox forms and the inbox of their submissions (docs/decisions/0021)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

# What a form's questions can be mapped to: who the person is, which event (by its code), and
# the values the intake writes (the import's column keys, participants/imports/columns.py).
IDENTITY_KEYS = ("iin", "full_name", "birth_year", "phone")
FEEDBACK_KEYS = (
    "satisfaction",
    "relevance",
    "usefulness",
    "intent_to_apply",
    "most_useful",
    "comments",
    "consent_to_quote",
)
SCORE_KEYS = ("pre_score", "post_score")
VALUE_KEYS = FEEDBACK_KEYS + SCORE_KEYS
EVENT_CODE = "event_code"
QUESTION_KEYS = (EVENT_CODE, *IDENTITY_KEYS, *VALUE_KEYS)


class KoboConnection(models.Model):
    """A KoboToolbox form connected to Qadam: where its submissions go (one event, or the event
    whose code a question holds), which question answers what (`questions`: key -> question
    path such as "group/question"), and the secret its REST Service sends. Only the secret's
    SHA-256 is stored; the secret is shown once."""

    class Target(models.TextChoices):
        EVENT = "event", _("One event")
        EVENT_CODE = "code", _("The event whose code a question holds")

    name = models.CharField(_("name"), max_length=120)
    slug = models.CharField(max_length=32, unique=True, editable=False)
    xform_id = models.CharField(
        _("Kobo form id"),
        max_length=100,
        blank=True,
        help_text=_(
            "The form's id string (_xform_id_string); submissions of another form are refused."
        ),
    )
    target = models.CharField(_("submissions go to"), max_length=8, choices=Target.choices)
    event = models.ForeignKey(
        "trainings.TrainingEvent",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("event"),
    )
    questions = models.JSONField(_("mapping of questions"), default=dict, blank=True)
    secret_prefix = models.CharField(_("secret starts with"), max_length=8, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    is_active = models.BooleanField(_("takes submissions"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    history = HistoricalRecords(excluded_fields=["secret_hash"])

    class Meta:
        ordering = ["name", "pk"]
        verbose_name = _("connected Kobo form")
        verbose_name_plural = _("connected Kobo forms")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("kobo:connection", args=[self.pk])


class KoboSubmission(models.Model):
    """One submission as KoboToolbox posted it, keyed by its `_uuid` within the connection: an
    edited submission that Kobo sends again with the same `_uuid` updates this row and is
    applied again (values replaced, never added). Written in the request's transaction before
    anything is applied, so a submission is never lost; applied by a Celery task."""

    class Status(models.TextChoices):
        RECEIVED = "received", _("Received")
        APPLIED = "applied", _("Applied")
        WAITING = "waiting", _("Waiting")
        FAILED = "failed", _("Failed")
        DISCARDED = "discarded", _("Discarded")

    connection = models.ForeignKey(
        KoboConnection,
        on_delete=models.CASCADE,
        related_name="submissions",
        verbose_name=_("connected form"),
    )
    uuid = models.CharField(_("Kobo uuid"), max_length=64)
    kobo_id = models.BigIntegerField(_("Kobo id"), null=True, blank=True)
    payload = models.JSONField(_("submission"), default=dict)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.RECEIVED
    )
    reason = models.TextField(_("reason"), blank=True)
    # What applying wrote: {"event": id, "rows": [{"person", "enrolment", "feedback",
    # "assessment"}]}, so an edit that moves the answers elsewhere removes the old ones.
    applied = models.JSONField(_("applied records"), default=dict, blank=True)
    # Chosen by an admin fixing a waiting submission (override the form's event code / the
    # person the answers identify).
    event = models.ForeignKey(
        "trainings.TrainingEvent",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("event chosen"),
    )
    person = models.ForeignKey(
        "participants.Participant",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person chosen"),
    )
    versions = models.PositiveIntegerField(_("times received"), default=1)
    received_at = models.DateTimeField(_("received"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last received"), auto_now=True)
    applied_at = models.DateTimeField(_("applied"), null=True, blank=True)

    class Meta:
        ordering = ["-updated_at", "-pk"]
        verbose_name = _("Kobo submission")
        verbose_name_plural = _("Kobo submissions")
        constraints = [
            models.UniqueConstraint(
                fields=["connection", "uuid"], name="kobo_submission_uuid_once_per_form"
            )
        ]
        indexes = [models.Index(fields=["status", "updated_at"])]

    def __str__(self) -> str:
        return f"{self.connection} · {self.uuid}"

    def get_absolute_url(self) -> str:
        return reverse("kobo:submission", args=[self.pk])
