from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


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
    # Role, activation and profile changes are audited; the password hash and last login are not
    # copied into history (the hash is a secret, last login is in SecurityEvent).
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
    logins, and actions on personal data (export, erasure). Written by accounts.audit."""

    class Kind(models.TextChoices):
        LOGIN = "login", _("Logged in")
        LOGOUT = "logout", _("Logged out")
        LOGIN_FAILED = "login_failed", _("Failed login")
        PERSON_EXPORTED = "person_exported", _("Person's data exported")
        PERSON_ERASED = "person_erased", _("Person's data erased")
        USER_CHANGED = "user_changed", _("User account changed")

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
    detail = models.JSONField(_("detail"), default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("security event")
        verbose_name_plural = _("security events")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.username} {self.at:%Y-%m-%d %H:%M}"
