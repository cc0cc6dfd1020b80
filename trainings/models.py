from __future__ import annotations

import secrets
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from core.names import LocalisedName, name_in
from core.urls import id_url


class Programme(LocalisedName, models.Model):
    """A funded programme (e.g. the Japan-funded PVE project) that activities report to."""

    name = models.CharField(_("name"), max_length=255)
    name_kk = name_in("kk", 255)
    name_ru = name_in("ru", 255)
    code = models.CharField(_("code"), max_length=40, unique=True)
    donor = models.ForeignKey(
        "regions.PartnerOrganisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="funded_programmes",
        verbose_name=_("donor"),
    )
    budget_code = models.CharField(_("budget code"), max_length=60, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    sdg_target = models.CharField(_("SDG target"), max_length=40, blank=True)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # The change time `updated_since` follows (API); kept out of the history: it is not a change.
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["code"]
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(start_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="programme_dates_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.code}: {self.display_name}"

    def clean(self) -> None:
        if self.start_date and self.end_date and self.end_date < self.start_date:
            raise ValidationError({"end_date": _("The end date cannot be before the start date.")})


class ActivityLine(LocalisedName, models.Model):
    """A line of work inside a programme, e.g. "PVE training for youth workers"."""

    programme = models.ForeignKey(
        Programme,
        on_delete=models.PROTECT,
        related_name="activity_lines",
        verbose_name=_("programme"),
    )
    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=255)
    name_kk = name_in("kk", 255)
    name_ru = name_in("ru", 255)
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["programme__code", "code"]
        verbose_name = _("activity line")
        verbose_name_plural = _("activity lines")
        constraints = [
            models.UniqueConstraint(fields=["programme", "code"], name="activity_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.display_name}"


class Topic(LocalisedName, models.Model):
    name = models.CharField(_("name"), max_length=200, unique=True)
    name_kk = name_in("kk", 200)
    name_ru = name_in("ru", 200)
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")

    def __str__(self) -> str:
        return self.display_name


class Facilitator(models.Model):
    """A trainer or expert who leads sessions."""

    name = models.CharField(_("name"), max_length=200)
    expertise = models.CharField(_("expertise"), max_length=255, blank=True)
    organisation = models.ForeignKey(
        "regions.PartnerOrganisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="facilitators",
        verbose_name=_("organisation"),
    )
    is_active = models.BooleanField(_("active"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("facilitator")
        verbose_name_plural = _("facilitators")

    def __str__(self) -> str:
        return self.name


def new_feedback_token() -> str:
    return secrets.token_urlsafe(16)


class TrainingEvent(models.Model):
    """One training, camp or workshop: where, when, who ran it, with its sessions."""

    class Type(models.TextChoices):
        TRAINING = "training", _("Training")
        CAMP = "camp", _("Camp")
        WORKSHOP = "workshop", _("Workshop")

    class Modality(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        ONLINE = "online", _("Online")
        HYBRID = "hybrid", _("Hybrid")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        HELD = "held", _("Held")
        REPORTED = "reported", _("Reported")

    programme = models.ForeignKey(
        Programme, on_delete=models.PROTECT, related_name="events", verbose_name=_("programme")
    )
    activity_line = models.ForeignKey(
        ActivityLine,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("activity line"),
    )
    title = models.CharField(_("title"), max_length=255)
    event_type = models.CharField(
        _("type"), max_length=20, choices=Type.choices, default=Type.TRAINING
    )
    description = models.TextField(_("description"), blank=True)
    start_date = models.DateField(_("start date"))
    end_date = models.DateField(_("end date"))
    region = models.ForeignKey(
        "regions.Region", on_delete=models.PROTECT, related_name="events", verbose_name=_("region")
    )
    district = models.ForeignKey(
        "regions.District",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="events",
        verbose_name=_("district or city"),
    )
    venue = models.CharField(_("venue"), max_length=255, blank=True)
    modality = models.CharField(
        _("modality"), max_length=20, choices=Modality.choices, default=Modality.IN_PERSON
    )
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PLANNED, db_index=True
    )
    planned_participants = models.PositiveIntegerField(
        _("planned participants"), null=True, blank=True
    )
    topics = models.ManyToManyField(
        Topic, blank=True, related_name="events", verbose_name=_("topics")
    )
    facilitators = models.ManyToManyField(
        Facilitator, blank=True, related_name="events", verbose_name=_("facilitators")
    )
    host_partners = models.ManyToManyField(
        "regions.PartnerOrganisation",
        blank=True,
        related_name="hosted_events",
        verbose_name=_("host partners"),
    )
    implementing_partners = models.ManyToManyField(
        "regions.PartnerOrganisation",
        blank=True,
        related_name="implemented_events",
        verbose_name=_("implementing partners"),
    )
    feedback_token = models.CharField(
        _("feedback link token"), max_length=40, unique=True, default=new_feedback_token
    )
    feedback_open = models.BooleanField(_("feedback form open"), default=True)
    feedback_closes_on = models.DateField(_("feedback closes on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-start_date", "title"]
        verbose_name = _("training event")
        verbose_name_plural = _("training events")
        indexes = [
            models.Index(fields=["region", "start_date"], name="event_region_start"),
            models.Index(fields=["start_date"], name="event_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")),
                name="event_dates_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return id_url("trainings:event_detail", self.pk)

    def clean(self) -> None:
        errors = {}
        if self.start_date and self.end_date and self.end_date < self.start_date:
            errors["end_date"] = _("The end date cannot be before the start date.")
        if self.district_id and self.region_id and self.district.region_id != self.region_id:
            errors["district"] = _("%(district)s is not in %(region)s.") % {
                "district": self.district,
                "region": self.region,
            }
        if (
            self.activity_line_id
            and self.programme_id
            and self.activity_line.programme_id != self.programme_id
        ):
            errors["activity_line"] = _("This activity line belongs to another programme.")
        if errors:
            raise ValidationError(errors)

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1


def day_title(n: int) -> str:
    """The name of an untitled session on day `n` of its event, in the active language."""
    return _("Day %(n)s") % {"n": n}


class Session(models.Model):
    """A day or module of an event; attendance is taken per session."""

    event = models.ForeignKey(
        TrainingEvent, on_delete=models.CASCADE, related_name="sessions", verbose_name=_("event")
    )
    date = models.DateField(_("date"))
    title = models.CharField(_("title"), max_length=255, blank=True)
    start_time = models.TimeField(_("starts at"), null=True, blank=True)
    end_time = models.TimeField(_("ends at"), null=True, blank=True)
    # The change time `updated_since` follows (API); kept out of the history: it is not a change.
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["date", "start_time", "pk"]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        constraints = [
            models.UniqueConstraint(fields=["event", "date", "title"], name="session_unique")
        ]

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.display_title}".strip()

    @property
    def display_title(self) -> str:
        """The title as typed; an untitled session is "Day N" of its event in the reader's
        language (sessions made one per day are stored untitled, so a Kazakh page never shows
        the English "Day 1" its creator's page stored)."""
        if self.title:
            return self.title
        if not (self.date and self.event_id):
            return ""
        n = (self.date - self.event.start_date).days + 1
        return day_title(n) if n >= 1 else ""

    def clean(self) -> None:
        event = self.event if self.event_id else None
        if event and self.date and not (event.start_date <= self.date <= event.end_date):
            raise ValidationError(
                {
                    "date": _(
                        "The session must fall within the event's dates (%(start)s to %(end)s)."
                    )
                    % {"start": event.start_date, "end": event.end_date}
                }
            )
        if self.start_time and self.end_time and self.end_time <= self.start_time:
            raise ValidationError({"end_time": _("The session must end after it starts.")})


class RegionQuarter(models.Model):
    """One region's quarter of one programme: the unit of the quarterly close
    (docs/decisions/0012). open -> submitted (by the region's coordinator) -> approved or
    returned (by programme staff, with a comment); returned and unlocked go back to work.
    An approved region-quarter locks its events (those ending in the quarter, in the region, of
    the programme) for coordinators: trainings.selectors.event_lock_reason. A row exists once
    someone has acted on it; no row means open."""

    class Status(models.TextChoices):
        # "quarter": Russian and Kazakh agree the words with "квартал/тоқсан".
        OPEN = "open", pgettext_lazy("quarter", "Open")
        SUBMITTED = "submitted", pgettext_lazy("quarter", "Submitted")
        APPROVED = "approved", pgettext_lazy("quarter", "Approved")
        RETURNED = "returned", pgettext_lazy("quarter", "Returned")

    programme = models.ForeignKey(
        Programme,
        on_delete=models.PROTECT,
        related_name="region_quarters",
        verbose_name=_("programme"),
    )
    region = models.ForeignKey(
        "regions.Region",
        on_delete=models.PROTECT,
        related_name="region_quarters",
        verbose_name=_("region"),
    )
    quarter = models.CharField(_("quarter"), max_length=6, help_text=_("e.g. 2024Q3"))
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.OPEN
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-quarter", "region"]
        verbose_name = _("region quarter")
        verbose_name_plural = _("region quarters")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "region", "quarter"], name="region_quarter_once"
            ),
            models.CheckConstraint(
                condition=models.Q(quarter__regex=r"^[0-9]{4}Q[1-4]$"),
                name="region_quarter_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.region} {self.quarter}"

    def get_absolute_url(self) -> str:
        return reverse(
            "closing:region_quarter", args=[self.programme_id, self.quarter, self.region_id]
        )


class RegionQuarterTransition(models.Model):
    """One step of a region-quarter's thread: who moved it from what to what, when, and why
    (a comment: required when returning or unlocking). A plain comment keeps the status."""

    region_quarter = models.ForeignKey(
        RegionQuarter,
        on_delete=models.CASCADE,
        related_name="transitions",
        verbose_name=_("region quarter"),
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("when"), auto_now_add=True)
    from_status = models.CharField(_("from"), max_length=12, choices=RegionQuarter.Status.choices)
    to_status = models.CharField(_("to"), max_length=12, choices=RegionQuarter.Status.choices)
    comment = models.TextField(_("comment"), blank=True)

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("region quarter step")
        verbose_name_plural = _("region quarter steps")

    def __str__(self) -> str:
        return f"{self.region_quarter}: {self.from_status} -> {self.to_status}"


def event_file_path(instance: EventFile, filename: str) -> str:
    """Where an event's file is stored: its event, a random name and the extension of what the
    file really is (never the uploaded name, which may say who is on a sign-in sheet)."""
    extension = PurePosixPath(filename).suffix.lower()
    return f"events/{instance.event_id}/{secrets.token_hex(16)}{extension}"


class EventFile(models.Model):
    """A file kept with an event: a scanned sign-in sheet, a photo, the agenda. Stored under a
    random name on the configured storage; it leaves only through trainings:event_file_download,
    which checks the user's Scope (sign-in sheets hold personal data: never for viewers)."""

    class Kind(models.TextChoices):
        SIGN_IN_SHEET = "sign_in_sheet", _("Sign-in sheet")
        PHOTO = "photo", _("Photo")
        AGENDA = "agenda", _("Agenda")
        OTHER = "other", _("Other document")

    event = models.ForeignKey(
        TrainingEvent, on_delete=models.CASCADE, related_name="files", verbose_name=_("event")
    )
    kind = models.CharField(_("what it is"), max_length=20, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to=event_file_path, max_length=255)
    thumbnail = models.FileField(
        _("thumbnail"), upload_to=event_file_path, max_length=255, blank=True
    )
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    width = models.PositiveIntegerField(_("width (pixels)"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height (pixels)"), null=True, blank=True)
    caption = models.CharField(_("caption"), max_length=300, blank=True)
    people_consent = models.BooleanField(
        _("the people shown agreed to the photo being used in reports"), default=False
    )
    in_report = models.BooleanField(_("show in the donor report"), default=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["event", "kind", "uploaded_at", "pk"]
        verbose_name = _("event file")
        verbose_name_plural = _("event files")
        constraints = [
            # Only photos go into the donor report, and only with the people's agreement.
            models.CheckConstraint(
                condition=models.Q(in_report=False) | models.Q(kind="photo", people_consent=True),
                name="eventfile_report_needs_consented_photo",
            )
        ]
        indexes = [models.Index(fields=["event", "in_report"], name="eventfile_event_report")]

    def __str__(self) -> str:
        return self.caption or self.original_name

    @property
    def is_image(self) -> bool:
        return self.content_type.startswith("image/")

    def clean(self) -> None:
        if self.in_report and self.kind != self.Kind.PHOTO:
            raise ValidationError({"in_report": _("Only photos can be shown in the report.")})
        if self.in_report and not self.people_consent:
            raise ValidationError(
                {
                    "in_report": _(
                        "Confirm first that the people shown agreed to the photo being used "
                        "in reports."
                    )
                }
            )
