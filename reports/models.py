import secrets
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.names import LocalisedName, name_in


class Indicator(LocalisedName, models.Model):
    """An outcome or output indicator of a programme's results framework. Its actual value is
    computed from the data by the rule named in `rule` (see reports/indicators.py)."""

    class Level(models.TextChoices):
        OUTCOME = "outcome", _("Outcome")
        OUTPUT = "output", _("Output")

    class Unit(models.TextChoices):
        PEOPLE = "people", _("people")
        EVENTS = "events", _("events")
        SESSIONS = "sessions", _("sessions")
        PERCENT = "percent", _("percent")
        POINTS = "points", _("points")
        ORGANISATIONS = "organisations", _("organisations")

    class Method(models.TextChoices):
        """How the value is aggregated: what a period's, a year's and the programme's values
        mean, and whether they may be added up (docs/indicator-definitions.md)."""

        UNIQUE = "unique", _("Unique count")
        SUM = "sum", _("Sum")
        RATIO = "ratio", _("Ratio (numerator / denominator)")
        MEAN = "mean", _("Mean")

    class Completion(models.TextChoices):
        REACHED = "reached", _("Reached: attended at least one session")
        COMPLETED = "completed", _("Completed: attended at least the set share of the sessions")

    programme = models.ForeignKey(
        "trainings.Programme",
        on_delete=models.PROTECT,
        related_name="indicators",
        verbose_name=_("programme"),
    )
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("name"), max_length=255)
    name_kk = name_in("kk", 255)
    name_ru = name_in("ru", 255)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices)
    unit = models.CharField(_("unit"), max_length=20, choices=Unit.choices)
    baseline = models.DecimalField(_("baseline"), max_digits=12, decimal_places=2, default=0)
    lop_target = models.DecimalField(
        _("life-of-programme target"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        help_text=_("The target for the whole programme, from its start to its end."),
    )
    method = models.CharField(
        _("method"),
        max_length=10,
        choices=Method.choices,
        default=Method.UNIQUE,
        help_text=_("Follows from the rule that computes the indicator."),
    )
    higher_is_better = models.BooleanField(_("higher is better"), default=True)
    completion = models.CharField(
        _("people counted"),
        max_length=10,
        choices=Completion.choices,
        default=Completion.REACHED,
        help_text=_("For indicators of people trained: who counts as trained."),
    )
    completion_percent = models.PositiveSmallIntegerField(
        _("share of sessions to complete (%)"),
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
    )
    rule = models.CharField(_("computed by"), max_length=40, blank=True)
    rule_params = models.JSONField(_("rule parameters"), default=dict, blank=True)
    disaggregations = models.JSONField(
        _("disaggregated by"),
        default=list,
        blank=True,
        help_text=_("sex, age_band, region, category"),
    )
    description = models.TextField(_("description"), blank=True)
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    # The change time `updated_since` follows (API); kept out of the history: it is not a change.
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["programme", "order", "code"]
        verbose_name = _("indicator")
        verbose_name_plural = _("indicators")
        constraints = [
            models.UniqueConstraint(fields=["programme", "code"], name="indicator_code_unique")
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.display_name}"


class IndicatorTarget(models.Model):
    """The target of an indicator for one period (a quarter or a year)."""

    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="targets", verbose_name=_("indicator")
    )
    period = models.CharField(_("period"), max_length=10, help_text=_("e.g. 2024Q3 or 2024"))
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    value = models.DecimalField(_("target"), max_digits=12, decimal_places=2)
    history = HistoricalRecords()

    class Meta:
        ordering = ["indicator", "period_start"]
        verbose_name = _("indicator target")
        verbose_name_plural = _("indicator targets")
        constraints = [
            models.UniqueConstraint(fields=["indicator", "period"], name="target_once_per_period"),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="target_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.period}: {self.value}"

    def clean(self) -> None:
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValidationError({"period_end": _("The period cannot end before it starts.")})


class ReportRun(models.Model):
    """One build of a donor report: what was asked, its progress, and the frozen result."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    programme = models.ForeignKey(
        "trainings.Programme", on_delete=models.PROTECT, related_name="report_runs", null=True
    )
    period_label = models.CharField(_("period"), max_length=30)
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    regions = models.ManyToManyField("regions.Region", blank=True, verbose_name=_("regions"))
    formats = models.JSONField(_("formats"), default=list)
    language = models.CharField(_("language"), max_length=5, default="en")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="report_runs"
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    stage = models.CharField(_("stage"), max_length=40, blank=True)
    percent = models.PositiveSmallIntegerField(_("progress"), default=0)
    error = models.TextField(_("error"), blank=True)
    inputs_hash = models.CharField(max_length=64, blank=True)
    snapshot = models.JSONField(null=True, blank=True)
    # What the IATI check found in the run's IATI file (reports/iati_validation.py Finding's
    # JSON): an error keeps the file from being offered; warnings are shown with it.
    iati_findings = models.JSONField(_("IATI check"), default=list, blank=True)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    task_id = models.CharField(max_length=64, blank=True)
    # The change time `updated_since` follows (API); kept out of the history: it is not a change.
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    # The snapshot (the report's computed data, up to megabytes of JSON, written once when the
    # run is done) is not a change anyone makes: the history records who asked, when, and the
    # status; reading the snapshot twice per row was most of the audit log's time.
    history = HistoricalRecords(
        excluded_fields=["updated_at", "heartbeat_at", "percent", "stage", "snapshot"]
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("report run")
        verbose_name_plural = _("report runs")

    def __str__(self) -> str:
        return f"{self.period_label} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("reports:run_detail", args=[self.pk])


class ReportFile(models.Model):
    """One rendered file of a report run (one per format), kept through Django's storage."""

    run = models.ForeignKey(
        ReportRun, on_delete=models.CASCADE, related_name="files", verbose_name=_("report run")
    )
    format = models.CharField(_("format"), max_length=10)
    file = models.FileField(_("file"), upload_to="reports/%Y/%m/")
    size = models.PositiveBigIntegerField(_("size"), default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["run", "format"]
        verbose_name = _("report file")
        verbose_name_plural = _("report files")
        constraints = [
            models.UniqueConstraint(fields=["run", "format"], name="report_file_once_per_format")
        ]

    def __str__(self) -> str:
        return f"{self.run} {self.format}"


class Narrative(models.Model):
    """What programme staff write for a period and scope: highlights, challenges, lessons and
    next steps. `region` empty means the whole programme."""

    programme = models.ForeignKey(
        "trainings.Programme",
        on_delete=models.PROTECT,
        related_name="narratives",
        null=True,
        blank=True,
        verbose_name=_("programme"),
    )
    period_label = models.CharField(_("period"), max_length=30, help_text=_("e.g. 2024Q3"))
    period_start = models.DateField(_("from"))
    period_end = models.DateField(_("to"))
    region = models.ForeignKey(
        "regions.Region",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="narratives",
        verbose_name=_("region"),
        help_text=_("Leave empty for the whole programme."),
    )
    highlights = models.TextField(_("highlights"), blank=True)
    challenges = models.TextField(_("challenges"), blank=True)
    lessons = models.TextField(_("lessons learned"), blank=True)
    next_steps = models.TextField(_("next steps"), blank=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-period_start", "region"]
        verbose_name = _("narrative")
        verbose_name_plural = _("narratives")
        constraints = [
            models.UniqueConstraint(
                fields=["programme", "period_label", "region"], name="narrative_once_per_scope"
            ),
            models.UniqueConstraint(
                fields=["programme", "period_label"],
                condition=models.Q(region__isnull=True),
                name="narrative_once_per_period_programme_wide",
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="narrative_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period_label} {self.region or _('all regions')}"


class IndicatorComment(models.Model):
    """Programme staff's explanation of an indicator's figure for one period (the "explanation
    of variance" a donor asks for when an indicator is off track). Reports show it beside the
    indicator."""

    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="comments", verbose_name=_("indicator")
    )
    period_label = models.CharField(_("period"), max_length=30, help_text=_("e.g. 2024Q3"))
    text = models.TextField(_("explanation of variance"))
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["indicator", "-period_label"]
        verbose_name = _("indicator comment")
        verbose_name_plural = _("indicator comments")
        constraints = [
            models.UniqueConstraint(
                fields=["indicator", "period_label"], name="indicator_comment_once_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.indicator.code} {self.period_label}"

    def get_absolute_url(self) -> str:
        return reverse("reports:indicator_detail", args=[self.indicator_id]) + "#comments"


def logo_path(instance, filename: str) -> str:
    """Where a logo is stored: a random name with the extension of what the image really is."""
    extension = PurePosixPath(filename).suffix.lower()
    return f"logos/{secrets.token_hex(16)}{extension}"


class ReportLogo(models.Model):
    """The logo of the implementing agency or of the donor, printed on the donor report's first
    page (docs/decisions/0014). Uploaded by admins (/manage/report-logos/ or the Django admin);
    none is shipped, and a report without one prints no empty slot."""

    class Role(models.TextChoices):
        IMPLEMENTING_AGENCY = "implementing_agency", _("Implementing agency")
        DONOR = "donor", _("Donor")

    role = models.CharField(_("whose logo"), max_length=30, choices=Role.choices, unique=True)
    name = models.CharField(
        _("name"), max_length=200, help_text=_("Whose logo it is, e.g. “UNDP Kazakhstan”.")
    )
    image = models.FileField(_("image"), upload_to=logo_path, max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    width = models.PositiveIntegerField(_("width (pixels)"))
    height = models.PositiveIntegerField(_("height (pixels)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["uploaded_at"])

    class Meta:
        ordering = ["role"]
        verbose_name = _("report logo")
        verbose_name_plural = _("report logos")

    def __str__(self) -> str:
        return f"{self.get_role_display()}: {self.name}"
