from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.history import HistoricalRecords


class Role(models.TextChoices):
    ADMIN = "admin", _("Administrator")
    STAFF = "staff", _("Programme staff")
    COORDINATOR = "coordinator", _("Regional coordinator")
    VIEWER = "viewer", _("Viewer")


class User(AbstractUser):
    """A person who logs in. What they may see and do follows from `role` and, for
    coordinators, `regions` (see accounts.scope)."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.VIEWER)
    regions = models.ManyToManyField(
        "regions.Region",
        blank=True,
        related_name="coordinators",
        verbose_name=_("regions"),
        help_text=_("The regions a coordinator works in."),
    )
    # Mail of the quarterly close (submitted, returned, approved): one weekly digest instead
    # of a mail per step, unless the user turns it off. Reminders are always sent at once.
    email_digest = models.BooleanField(
        _("weekly digest"),
        default=True,
        help_text=_(
            "Collect the quarterly close's mails (submitted, returned, approved) into one mail "
            "a week. Off: a mail for each."
        ),
    )
    # Role, activation and profile changes are audited; the password hash and last login are not
    # copied into history (the hash is a secret, last login is in SecurityEvent), and a save of
    # only those (every login) leaves no history row (core/history.py).
    history = HistoricalRecords(excluded_fields=["password", "last_login"], m2m_fields=[regions])

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def clean(self) -> None:
        super().clean()
        if self.is_superuser and self.role != Role.ADMIN:
            raise ValidationError({"role": _("A superuser must have the administrator role.")})

    @property
    def is_admin(self) -> bool:
        return self.role == Role.ADMIN or self.is_superuser


class SecurityEvent(models.Model):
    """An audit record of what the model history does not show: logins, logouts, failed
    logins, actions on personal data (export, erasure, merge), event status changes and
    downloads of reports and exports. Written by accounts.audit."""

    class Kind(models.TextChoices):
        LOGIN = "login", _("Logged in")
        LOGOUT = "logout", _("Logged out")
        LOGIN_FAILED = "login_failed", _("Failed login")
        PERSON_EXPORTED = "person_exported", _("Person's data exported")
        PERSON_ERASED = "person_erased", _("Person's data erased")
        USER_CHANGED = "user_changed", _("User account changed")
        EVENT_STATUS = "event_status", _("Event status changed")
        QUARTER_STATUS = "quarter_status", _("Region quarter submitted, approved or unlocked")
        PERSON_MERGED = "person_merged", _("Two records of a person merged")
        REPORT_DOWNLOADED = "report_downloaded", _("Report or export downloaded")

    # Kinds the security log shows and the audit log leaves out unless asked for.
    SESSION_KINDS = (Kind.LOGIN, Kind.LOGOUT, Kind.LOGIN_FAILED)

    kind = models.CharField(_("what"), max_length=20, choices=Kind.choices, db_index=True)
    at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="security_events",
        verbose_name=_("by"),
    )
    username = models.CharField(_("username"), max_length=150, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    object_repr = models.CharField(_("object"), max_length=255, blank=True)
    # The record the action was about, as the audit log names it ("trainings.trainingevent"
    # and its id), so the per-record audit page lists it next to the record's history.
    object_type = models.CharField(_("record type"), max_length=100, blank=True)
    object_id = models.PositiveBigIntegerField(_("record id"), null=True, blank=True)
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="securityevent_object_idx")
        ]
        verbose_name = _("security event")
        verbose_name_plural = _("security events")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.username} {self.at:%Y-%m-%d %H:%M}"

    @property
    def detail_text(self) -> str:
        """The detail as one line for the audit pages ("action: event_held; new: held; ..."):
        what happened first, the rest by name (PostgreSQL's jsonb does not keep key order)."""
        parts = []
        for key in sorted(self.detail, key=lambda k: (k not in ("action", "what"), k)):
            value = self.detail[key]
            if isinstance(value, dict):
                value = ", ".join(f"{k}={v}" for k, v in value.items())
            elif isinstance(value, list):
                value = ", ".join(str(v) for v in value)
            parts.append(f"{key}: {value}")
        return "; ".join(parts)
