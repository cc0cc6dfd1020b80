"""Follow-up surveys (docs/decisions/0025): staff set rounds (N months after an event's last
session, for an event type or an activity line) with a question set; when a round falls due,
each consenting participant of the event gets one Invitation: an outbox row that carries the
personal link (stored hashed), is mailed (or put on the coordinator's call list) and finally
holds the answers."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from trainings.models import TrainingEvent

from .questions import localised, validate_questions


class QuestionSet(models.Model):
    """A few questions asked in a round, each in kk/ru/en (followup/questions.py)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    questions = models.JSONField(_("questions"), default=list)
    is_active = models.BooleanField(_("active"), default=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("follow-up question set")
        verbose_name_plural = _("follow-up question sets")

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("followup:question_set_edit", args=[self.pk])

    def clean(self) -> None:
        try:
            validate_questions(self.questions)
        except ValidationError as error:
            raise ValidationError({"questions": error.messages}) from error


class Round(models.Model):
    """ "Ask the people of these events N months after the last session"."""

    months = models.PositiveSmallIntegerField(
        _("months after the last session"),
        validators=[MinValueValidator(1), MaxValueValidator(36)],
    )
    event_type = models.CharField(
        _("event type"), max_length=20, choices=TrainingEvent.Type.choices, blank=True
    )
    activity_line = models.ForeignKey(
        "trainings.ActivityLine",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="followup_rounds",
        verbose_name=_("activity line"),
    )
    question_set = models.ForeignKey(
        QuestionSet,
        on_delete=models.PROTECT,
        related_name="rounds",
        verbose_name=_("question set"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["event_type", "activity_line", "months"]
        verbose_name = _("follow-up round")
        verbose_name_plural = _("follow-up rounds")
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(event_type="") | models.Q(activity_line__isnull=False),
                name="followup_round_has_target",
                violation_error_message=_("Choose an event type or an activity line."),
            ),
            models.CheckConstraint(
                condition=models.Q(months__gte=1, months__lte=36),
                name="followup_round_months_range",
            ),
        ]

    def __str__(self) -> str:
        target = self.activity_line or self.get_event_type_display()
        return _("%(target)s, %(months)s months") % {"target": target, "months": self.months}

    def get_absolute_url(self) -> str:
        return reverse("followup:round_edit", args=[self.pk])

    def clean(self) -> None:
        if not self.event_type and not self.activity_line_id:
            raise ValidationError(_("Choose an event type or an activity line."))

    def events(self):
        """The events this round follows up."""
        events = TrainingEvent.objects.all()
        if self.event_type:
            events = events.filter(event_type=self.event_type)
        if self.activity_line_id:
            events = events.filter(activity_line_id=self.activity_line_id)
        return events


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Invitation(models.Model):
    """One person asked in one round about one event: the outbox row of the mail (written in
    the round's transaction, sent after the commit, retried), the personal link (kept only as
    a hash; the link itself is derived from `nonce` with the SECRET_KEY when it is mailed),
    and the answers."""

    class Channel(models.TextChoices):
        EMAIL = "email", _("E-mail")
        CALL = "call", _("Phone call")

    key = models.CharField(max_length=100, unique=True, editable=False)
    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="invitations")
    event = models.ForeignKey(
        "trainings.TrainingEvent", on_delete=models.CASCADE, related_name="followup_invitations"
    )
    participant = models.ForeignKey(
        "participants.Participant",
        on_delete=models.CASCADE,
        related_name="followup_invitations",
        verbose_name=_("participant"),
    )
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    nonce = models.CharField(max_length=64, editable=False)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    due_on = models.DateField(_("due on"))
    expires_at = models.DateTimeField(_("expires"))
    language = models.CharField(_("language"), max_length=5)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("reminded"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    answered_at = models.DateTimeField(_("answered"), null=True, blank=True)
    answers = models.JSONField(_("answers"), default=dict, blank=True)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by phone by"),
    )
    refused_at = models.DateTimeField(_("contact refused"), null=True, blank=True)

    class Meta:
        ordering = ["-due_on", "pk"]
        verbose_name = _("follow-up invitation")
        verbose_name_plural = _("follow-up invitations")
        indexes = [models.Index(fields=["channel", "answered_at"], name="followup_inv_open")]

    def __str__(self) -> str:
        return f"{self.round} / {self.event_id} / {self.participant_id}"

    @property
    def token(self) -> str:
        """The link's secret, derived again when the mail is written (never stored)."""
        return salted_hmac("followup.invitation", self.nonce, algorithm="sha256").hexdigest()

    def is_expired(self, now=None) -> bool:
        return (now or timezone.now()) >= self.expires_at

    def questions(self) -> list[dict]:
        return self.round.question_set.questions

    def answer_lines(self) -> list[tuple[str, str]]:
        """(question, answer) in the active language, for pages and the admin."""
        from .questions import answer_label

        return [
            (localised(q["text"]), answer_label(q, self.answers[q["key"]]))
            for q in self.questions()
            if self.answers.get(q["key"]) not in (None, "")
        ]
