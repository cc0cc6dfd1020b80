import secrets
from pathlib import PurePosixPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.urls import id_url

from .disability import DOMAINS, Answer, Status, classify_record
from .identity import normalise_name

LIKERT_SCALE = [MinValueValidator(1), MaxValueValidator(5)]
SCORE = [MinValueValidator(0), MaxValueValidator(100)]


class Sex(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")


AGE_BANDS = [
    (0, 17, "<18"),
    (18, 24, "18-24"),
    (25, 34, "25-34"),
    (35, 44, "35-44"),
    (45, 54, "45-54"),
    (55, 200, "55+"),
]


def age_band(birth_year: int | None, on_year: int) -> str:
    """The age band of someone born in `birth_year`, in `on_year` ("unknown" without a year)."""
    if not birth_year:
        return "unknown"
    age = on_year - birth_year
    for low, high, label in AGE_BANDS:
        if low <= age <= high:
            return label
    return "unknown"


class ParticipantCategory(models.Model):
    """A cohort reports group by: akimat staff, YRC staff, theologian, police units, NEET..."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_kk = models.CharField(_("name (Kazakh)"), max_length=200)
    name_ru = models.CharField(_("name (Russian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)
    group = models.CharField(
        _("group"), max_length=40, blank=True, help_text=_("e.g. 'police' for all police units")
    )
    order = models.PositiveSmallIntegerField(_("order"), default=100)
    is_active = models.BooleanField(_("active"), default=True)
    # The change time `updated_since` follows (API); kept out of the history: it is not a change.
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("participant category")
        verbose_name_plural = _("participant categories")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        lang = (get_language() or "en")[:2]
        return getattr(self, f"name_{lang}", "") or self.name_en


class Participant(models.Model):
    """A person who took part in at least one event. Counted once however often they come."""

    # Sorted in the Kazakh alphabet (Ә after А, Қ after К...) on both databases (config/sqlite.py).
    full_name = models.CharField(_("full name"), max_length=255, db_collation="kazakh")
    name_normalised = models.CharField(max_length=255, editable=False, db_index=True)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    birth_year = models.PositiveSmallIntegerField(
        _("birth year"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1920), MaxValueValidator(2100)],
    )
    region = models.ForeignKey(
        "regions.Region",
        on_delete=models.PROTECT,
        related_name="participants",
        verbose_name=_("region"),
    )
    district = models.ForeignKey(
        "regions.District",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="participants",
        verbose_name=_("district or city"),
    )
    organisation = models.ForeignKey(
        "regions.PartnerOrganisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="people",
        verbose_name=_("organisation"),
    )
    organisation_name = models.CharField(_("organisation (as written)"), max_length=255, blank=True)
    position = models.CharField(_("position"), max_length=200, blank=True)
    category = models.ForeignKey(
        ParticipantCategory,
        on_delete=models.PROTECT,
        related_name="participants",
        verbose_name=_("category"),
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    # Follow-up surveys months after a training (followup/, docs/decisions/0025) need their own
    # consent, apart from the consent to keep the data: the flag, when it was given and when it
    # was withdrawn (set by `save`; the history keeps every change).
    followup_consent = models.BooleanField(
        _("agrees to be contacted for follow-up surveys"), default=False
    )
    followup_consent_on = models.DateField(
        _("follow-up consent given on"), null=True, blank=True, editable=False
    )
    followup_withdrawn_on = models.DateField(
        _("follow-up consent withdrawn on"), null=True, blank=True, editable=False
    )
    iin_hash = models.CharField(
        _("IIN (keyed hash)"), max_length=64, null=True, blank=True, unique=True, editable=False
    )
    is_anonymised = models.BooleanField(_("anonymised"), default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    history = HistoricalRecords(excluded_fields=["updated_at", "name_normalised"])
    # The audit log says these changed, never to what (a person's contacts are personal data
    # the log must not repeat to everyone who reads it; accounts/audit_trail.py).
    AUDIT_MASKED_FIELDS = ("phone", "email", "iin_hash")

    class Meta:
        ordering = ["full_name"]
        verbose_name = _("participant")
        verbose_name_plural = _("participants")
        indexes = [
            models.Index(fields=["region", "category"], name="participant_region_cat"),
            # The people list (25 a page, by name): read in index order, no sort of every row.
            # The region is included so that a coordinator's page keys (people of the region
            # or of its events, by name) come from the index alone, without reading every
            # person's row: an index-only scan instead of 200,000 heap fetches (issue 23).
            models.Index(
                fields=["full_name", "id"], include=["region"], name="participant_name_id_region"
            ),
            # The list's other sorts by a column of the person (the key breaks ties, both in
            # the sort's direction: core.listing.with_total_order).
            models.Index(
                fields=["birth_year", "id"], include=["region"], name="participant_born_id_region"
            ),
            models.Index(
                fields=["created_at", "id"], include=["region"], name="participant_added_id_region"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(birth_year__isnull=True)
                | models.Q(birth_year__gte=1920, birth_year__lte=2100),
                name="participant_birth_year_range",
            )
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args, **kwargs):
        self.name_normalised = normalise_name(self.full_name)
        self._date_followup_consent()
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return id_url("participants:person_detail", self.pk)

    def clean(self) -> None:
        errors = {}
        this_year = timezone.localdate().year
        if self.birth_year and self.birth_year > this_year:
            errors["birth_year"] = _("%(year)s is in the future.") % {"year": self.birth_year}
        elif self.birth_year and self.birth_year > this_year - 10:
            errors["birth_year"] = _("Participants are at least 10 years old.")
        if self.district_id and self.region_id and self.district.region_id != self.region_id:
            errors["district"] = _("%(district)s is not in %(region)s.") % {
                "district": self.district,
                "region": self.region,
            }
        if errors:
            raise ValidationError(errors)

    def _date_followup_consent(self) -> None:
        """Record when the follow-up consent was given (again) or withdrawn."""
        today = timezone.localdate()
        if self.followup_consent:
            if self.followup_consent_on is None or self.followup_withdrawn_on is not None:
                self.followup_consent_on, self.followup_withdrawn_on = today, None
        elif self.followup_consent_on is not None and self.followup_withdrawn_on is None:
            self.followup_withdrawn_on = today


class Consent(models.Model):
    """A person's consent to the processing of their data: given or not, when, which text."""

    class Method(models.TextChoices):
        PAPER = "paper", _("Paper form")
        ONLINE = "online", _("Online form")
        IMPORT = "import", _("Imported sign-in sheet")
        VERBAL = "verbal", _("Verbal, recorded by staff")

    participant = models.ForeignKey(
        Participant,
        on_delete=models.CASCADE,
        related_name="consents",
        verbose_name=_("participant"),
    )
    given = models.BooleanField(_("consent given"))
    given_on = models.DateField(_("date"))
    version = models.CharField(_("consent text version"), max_length=20)
    method = models.CharField(_("how"), max_length=20, choices=Method.choices, default=Method.PAPER)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-given_on", "-pk"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")

    def __str__(self) -> str:
        return f"{self.participant} {self.version} {self.given_on}"


class DisabilityAnswers(models.Model):
    """A person's answers to the Washington Group Short Set (participants/disability.py): one
    code per domain, never a "disabled" label, stored only with the person's own consent to
    these questions (distinct from the consent to registration; ADR 0024). Reports read the
    classification through `disability.status_expression`."""

    participant = models.OneToOneField(
        Participant,
        on_delete=models.CASCADE,
        related_name="disability_answers",
        verbose_name=_("participant"),
    )
    seeing = models.PositiveSmallIntegerField(
        _("seeing"), choices=Answer.choices, null=True, blank=True
    )
    hearing = models.PositiveSmallIntegerField(
        _("hearing"), choices=Answer.choices, null=True, blank=True
    )
    mobility = models.PositiveSmallIntegerField(
        _("walking or climbing steps"), choices=Answer.choices, null=True, blank=True
    )
    cognition = models.PositiveSmallIntegerField(
        _("remembering or concentrating"), choices=Answer.choices, null=True, blank=True
    )
    self_care = models.PositiveSmallIntegerField(
        _("self-care"), choices=Answer.choices, null=True, blank=True
    )
    communication = models.PositiveSmallIntegerField(
        _("communicating"), choices=Answer.choices, null=True, blank=True
    )
    consent_given_on = models.DateField(_("consent to the disability questions given on"))
    consent_version = models.CharField(_("consent text version"), max_length=20)
    # Erasure drops the answers and keeps only what the counts read: the classification they
    # gave (participants/privacy.py). Empty while the answers are held.
    kept_status = models.CharField(
        _("classification kept after erasure"),
        max_length=10,
        choices=Status.choices,
        blank=True,
        editable=False,
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])
    # Health data: the audit log says an answer changed, never to what.
    AUDIT_MASKED_FIELDS = (*DOMAINS, "kept_status")

    class Meta:
        verbose_name = _("disability questions (WG-SS)")
        verbose_name_plural = _("disability questions (WG-SS)")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(
                    *[
                        models.Q(**{f"{d}__isnull": True}) | models.Q(**{f"{d}__in": Answer.values})
                        for d in DOMAINS
                    ]
                ),
                name="disability_answers_wg_codes",
            )
        ]

    def __str__(self) -> str:
        return f"{self.participant} (WG-SS)"

    @property
    def status(self) -> str:
        return classify_record(self)


class Enrolment(models.Model):
    """A person on the roster of an event."""

    participant = models.ForeignKey(
        Participant,
        on_delete=models.CASCADE,
        related_name="enrolments",
        verbose_name=_("participant"),
    )
    event = models.ForeignKey(
        "trainings.TrainingEvent",
        on_delete=models.CASCADE,
        related_name="enrolments",
        verbose_name=_("event"),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # The change time `updated_since` follows (API); kept out of the history: it is not a change.
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["event", "participant__full_name"]
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        indexes = [
            # "Who came to the events of these regions" (a coordinator's people) and roster
            # sizes, read from the index alone.
            models.Index(fields=["event", "participant"], name="enrolment_event_participant")
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["participant", "event"],
                name="enrolment_once_per_event",
                violation_error_message=_("This person is already on the event's roster."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.participant} @ {self.event}"


class Attendance(models.Model):
    """Presence of an enrolled person at one session (the row exists = they were there)."""

    enrolment = models.ForeignKey(
        Enrolment, on_delete=models.CASCADE, related_name="attendances", verbose_name=_("enrolment")
    )
    session = models.ForeignKey(
        "trainings.Session",
        on_delete=models.CASCADE,
        related_name="attendances",
        verbose_name=_("session"),
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    # The change time `updated_since` follows (API); kept out of the history: it is not a change.
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        constraints = [
            models.UniqueConstraint(fields=["enrolment", "session"], name="attendance_once")
        ]
        # Per-region "people reached" reads attendance by session: index-only (docs/performance.md)
        indexes = [
            models.Index(fields=["session", "enrolment"], name="attendance_session_enrolment")
        ]

    def __str__(self) -> str:
        return f"{self.enrolment.participant} @ {self.session}"

    def clean(self) -> None:
        if (
            self.enrolment_id
            and self.session_id
            and (self.enrolment.event_id != self.session.event_id)
        ):
            raise ValidationError(_("This session belongs to another event."))


class Feedback(models.Model):
    """What a participant thought of an event (Likert 1-5 items and comments). Linked to the
    enrolment when typed in from a named paper form; anonymous when sent through the public
    link (then a hashed device token prevents double submissions)."""

    class Source(models.TextChoices):
        ONLINE = "online", _("Online form")
        PAPER = "paper", _("Paper form")
        IMPORT = "import", _("Import")
        # Answered by a participant on a coordinator's device in kiosk mode (anonymous).
        KIOSK = "kiosk", _("Kiosk (coordinator's device)")

    class QuoteStatus(models.TextChoices):
        PENDING = "pending", _("Awaiting review")
        APPROVED = "approved", _("Approved for reports")
        REJECTED = "rejected", _("Not to be quoted")

    event = models.ForeignKey(
        "trainings.TrainingEvent",
        on_delete=models.CASCADE,
        related_name="feedback",
        verbose_name=_("event"),
    )
    enrolment = models.OneToOneField(
        Enrolment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="feedback",
        verbose_name=_("participant"),
    )
    satisfaction = models.PositiveSmallIntegerField(
        _("overall satisfaction"), validators=LIKERT_SCALE
    )
    relevance = models.PositiveSmallIntegerField(_("relevance to my work"), validators=LIKERT_SCALE)
    usefulness = models.PositiveSmallIntegerField(_("usefulness"), validators=LIKERT_SCALE)
    intent_to_apply = models.PositiveSmallIntegerField(
        _("I intend to apply what I learned"), validators=LIKERT_SCALE
    )
    most_useful = models.TextField(_("what was most useful"), blank=True)
    comments = models.TextField(_("comments"), blank=True)
    consent_to_quote = models.BooleanField(_("may be quoted anonymously in reports"), default=False)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    language = models.CharField(_("language"), max_length=5, blank=True)
    # A consented comment reaches a donor report only once programme staff approved it; the
    # text they approved (possibly edited) is what reports quote (reports/disclosure.py).
    quote_status = models.CharField(
        _("quote review"), max_length=10, choices=QuoteStatus.choices, default=QuoteStatus.PENDING
    )
    quote_text_reviewed = models.TextField(_("quote as approved"), blank=True)
    quote_reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("quote reviewed by"),
    )
    quote_reviewed_at = models.DateTimeField(_("quote reviewed"), null=True, blank=True)
    device_token_hash = models.CharField(max_length=64, blank=True, editable=False)
    # A keyed hash of the one-time token of the public form that was sent (one answer each).
    form_token_hash = models.CharField(max_length=64, blank=True, editable=False)
    submitted_at = models.DateTimeField(_("submitted"), default=timezone.now)
    # A second form of one person at one event, left when their two records were merged: kept
    # (nothing is lost), not counted again (reports count one form per person and event).
    is_duplicate = models.BooleanField(_("second form of a merged person"), default=False)
    # The change time `updated_since` follows (API); kept out of the history: it is not a change.
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["-submitted_at"]
        verbose_name = _("feedback")
        verbose_name_plural = _("feedback")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(satisfaction__gte=1, satisfaction__lte=5)
                & models.Q(relevance__gte=1, relevance__lte=5)
                & models.Q(usefulness__gte=1, usefulness__lte=5)
                & models.Q(intent_to_apply__gte=1, intent_to_apply__lte=5),
                name="feedback_likert_1_5",
            ),
            models.UniqueConstraint(
                fields=["event", "device_token_hash"],
                condition=~models.Q(device_token_hash=""),
                name="feedback_once_per_device",
            ),
            models.UniqueConstraint(
                fields=["event", "form_token_hash"],
                condition=~models.Q(form_token_hash=""),
                name="feedback_once_per_form_token",
            ),
        ]
        indexes = [
            # The "Quotes to review" queue: consented comments by review status, newest first.
            models.Index(
                fields=["quote_status", "-submitted_at"],
                condition=models.Q(consent_to_quote=True),
                name="feedback_quote_queue",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} ({self.satisfaction}/5)"

    def clean(self) -> None:
        if self.enrolment_id and self.event_id and self.enrolment.event_id != self.event_id:
            raise ValidationError(_("This person is not on this event's roster."))


class Assessment(models.Model):
    """A person's knowledge test scores (0-100) before and after an event."""

    enrolment = models.OneToOneField(
        Enrolment,
        on_delete=models.CASCADE,
        related_name="assessment",
        verbose_name=_("participant"),
    )
    pre_score = models.DecimalField(
        _("score before"), max_digits=5, decimal_places=2, null=True, blank=True, validators=SCORE
    )
    post_score = models.DecimalField(
        _("score after"), max_digits=5, decimal_places=2, null=True, blank=True, validators=SCORE
    )
    # The change time `updated_since` follows (API); kept out of the history: it is not a change.
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        verbose_name = _("pre/post test")
        verbose_name_plural = _("pre/post tests")
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(pre_score__isnull=True)
                    | models.Q(pre_score__gte=0, pre_score__lte=100)
                )
                & (
                    models.Q(post_score__isnull=True)
                    | models.Q(post_score__gte=0, post_score__lte=100)
                ),
                name="assessment_scores_0_100",
            )
        ]

    def __str__(self) -> str:
        return f"{self.enrolment}: {self.pre_score} -> {self.post_score}"

    def clean(self) -> None:
        if self.pre_score is None and self.post_score is None:
            raise ValidationError(_("Enter at least one score."))


def _import_upload_path(instance, filename: str) -> str:
    """`imports/<year>/<month>/<32 random hex>.<ext>`: the uploaded sheet holds names, so its
    stored name must not be guessable (it leaves only through `imports:batch_file`)."""
    extension = PurePosixPath(filename).suffix.lower() or ".upload"
    return f"imports/{timezone.now():%Y/%m}/{secrets.token_hex(16)}{extension}"


class ImportBatch(models.Model):
    """One uploaded spreadsheet for an event: parsed and checked (preview), then written in one
    transaction when a person confirms. The file stays in storage so the confirmation re-reads
    exactly what was previewed (see participants/imports/)."""

    class Status(models.TextChoices):
        VALIDATING = "validating", _("Checking the file")
        PREVIEW = "preview", _("Ready to import")
        INVALID = "invalid", _("Has errors")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")

    event = models.ForeignKey(
        "trainings.TrainingEvent",
        on_delete=models.CASCADE,
        related_name="import_batches",
        verbose_name=_("event"),
    )
    file = models.FileField(_("file"), upload_to=_import_upload_path, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(max_length=64, editable=False)
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.VALIDATING
    )
    percent = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    warnings = models.JSONField(_("warnings"), default=list, blank=True)
    preview = models.JSONField(_("preview"), default=list, blank=True)
    # How the file was read (encoding, separator, sheet, visible sheets with data, rows read),
    # shown above the preview; `sheet` is the sheet the uploader picked ("" = the first
    # visible sheet holding data).
    file_info = models.JSONField(_("how the file was read"), default=dict, blank=True)
    sheet = models.CharField(_("sheet"), max_length=100, blank=True)
    # How the header is read: "" = Qadam's column names; otherwise a column source registered
    # by a feature app (participants/imports/sources.py), e.g. "kobo:3" for the export of a
    # connected KoboToolbox form, whose question paths it maps to Qadam's columns.
    columns = models.CharField(_("columns"), max_length=40, blank=True)
    message = models.TextField(_("message"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    # Background work (participants/imports/services.py): the task sent to the workers, when a
    # worker took the batch (empty while it waits in the queue), its latest sign of life (or
    # when it was sent), and how many times a worker took it.
    task_id = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self) -> str:
        return f"{self.original_name} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("imports:batch_detail", args=[self.pk])

    @property
    def is_running(self) -> bool:
        return self.status in (self.Status.VALIDATING, self.Status.IMPORTING)


class PossibleDuplicate(models.Model):
    """A record created (or matched) in one user's regions that is probably a person this user
    may not see: found by an import or a registration, never shown to that user (their preview
    says "new person"), for programme staff to merge or dismiss (see participants/duplicates.py)."""

    class How(models.TextChoices):
        IIN = "iin", _("same IIN")
        NAME = "name", _("same name and birth year")

    class Resolution(models.TextChoices):
        MERGED = "merged", _("Merged into one record")
        DISMISSED = "dismissed", _("Not the same person")
        KEPT = "kept", _("Kept as two records")

    existing = models.ForeignKey(
        Participant,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("record outside the user's regions"),
    )
    new_person = models.ForeignKey(
        Participant,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("record created by the import"),
    )
    how = models.CharField(_("matched by"), max_length=8, choices=How.choices)
    batch = models.ForeignKey(
        ImportBatch,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("import"),
    )
    found_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("found while working as"),
    )
    found_at = models.DateTimeField(_("found"), auto_now_add=True)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("resolved by"),
    )
    resolution = models.CharField(
        _("resolution"), max_length=10, choices=Resolution.choices, blank=True
    )

    class Meta:
        ordering = ["-found_at", "-pk"]
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        constraints = [
            models.UniqueConstraint(
                fields=["existing", "new_person"], name="possible_duplicate_pair"
            ),
            models.CheckConstraint(
                condition=models.Q(resolution="", resolved_at__isnull=True)
                | (~models.Q(resolution="") & models.Q(resolved_at__isnull=False)),
                name="possible_duplicate_resolved_with_date",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.existing_id} ~ #{self.new_person_id} ({self.how})"

    @property
    def is_open(self) -> bool:
        return not self.resolution


class SyncedChange(models.Model):
    """One change sent from a browser's outbox (static/js/outbox.js) and what became of it, kept
    by its idempotency key so that sending it again changes nothing and gets the same answer
    (participants/offline.py, ADR 0018). Keys are the user's own: another user's key is another
    change."""

    class Status(models.TextChoices):
        APPLIED = "applied", _("applied")
        REFUSED = "refused", _("refused")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("user"),
    )
    key = models.CharField(_("idempotency key"), max_length=64)
    kind = models.CharField(_("kind"), max_length=20)
    status = models.CharField(_("result"), max_length=10, choices=Status.choices)
    message = models.TextField(_("reason"), blank=True)
    created = models.DateTimeField(_("received"), auto_now_add=True)

    class Meta:
        verbose_name = _("change sent from offline")
        verbose_name_plural = _("changes sent from offline")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="synced_change_once_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.key} ({self.status})"


class Tombstone(models.Model):
    """A record that went away (deleted, erased or merged into another), kept so that a mirror
    following the API's `updated_since` can drop it too (docs/api.md). Written in the same
    transaction as the deletion (participants/tombstones.py); `regions` are the regions whose
    users saw the record, so each scope gets only its own tombstones."""

    class Resource(models.TextChoices):
        EVENT = "events", _("event")
        SESSION = "sessions", _("session")
        PARTICIPANT = "participants", _("participant")
        ENROLMENT = "enrolments", _("enrolment")
        ATTENDANCE = "attendance", _("attendance")
        FEEDBACK = "feedback", _("feedback")
        ASSESSMENT = "assessments", _("test scores")

    class Reason(models.TextChoices):
        DELETED = "deleted", _("deleted")
        ERASED = "erased", _("erased")
        MERGED = "merged", _("merged into another record")

    # Records about people: their tombstones are personal data too (not for viewers).
    PERSONAL = frozenset({Resource.PARTICIPANT, Resource.ENROLMENT, Resource.ATTENDANCE,
                          Resource.ASSESSMENT})  # fmt: skip

    resource = models.CharField(_("resource"), max_length=20, choices=Resource.choices)
    object_id = models.PositiveBigIntegerField(_("record id"))
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    merged_into = models.PositiveBigIntegerField(_("merged into"), null=True, blank=True)
    deleted_at = models.DateTimeField(_("deleted"), default=timezone.now, db_index=True)
    regions = models.ManyToManyField(
        "regions.Region", blank=True, related_name="+", verbose_name=_("regions")
    )

    class Meta:
        verbose_name = _("tombstone")
        verbose_name_plural = _("tombstones")
        indexes = [models.Index(fields=["resource", "deleted_at"], name="tombstone_resource_time")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(reason="merged", merged_into__isnull=False)
                | ~models.Q(reason="merged"),
                name="tombstone_merge_names_the_kept_record",
            )
        ]

    def __str__(self) -> str:
        return f"{self.resource} {self.object_id} ({self.reason})"


def _export_path(instance, filename: str) -> str:
    """`exports/<year>/<month>/job<id>-<32 random hex>.<ext>`: the file holds names, so its
    stored name must not be guessable; it leaves only through `exports:download`, which checks
    the owner and their scope and records the download."""
    extension = PurePosixPath(filename).suffix.lower()
    return f"exports/{timezone.now():%Y/%m}/job{instance.pk}-{secrets.token_hex(16)}{extension}"


class ExportJob(models.Model):
    """One export of a list (events, people, attendance) written to a file by a background
    worker (participants/export_jobs.py), so no web request holds a worker while it is written.

    `params` are the list's filters as submitted; `scope` the requester's Scope at request time
    (the rows are those they could see then; the download checks that they still may).
    Only its owner sees it; it is deleted with its file `EXPORT_KEEP_DAYS` after it is done."""

    class Kind(models.TextChoices):
        EVENTS = "events", _("Events")
        PARTICIPANTS = "participants", _("People")
        ATTENDANCE = "attendance", _("Attendance")

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "Excel (XLSX)"

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="export_jobs",
        verbose_name=_("requested by"),
    )
    kind = models.CharField(_("export"), max_length=20, choices=Kind.choices)
    format = models.CharField(_("format"), max_length=5, choices=Format.choices)
    params = models.JSONField(_("filters"), default=dict, blank=True)
    scope = models.JSONField(_("scope when requested"), default=dict)
    language = models.CharField(_("language"), max_length=5, default="en")
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.QUEUED
    )
    rows_done = models.PositiveIntegerField(_("rows written"), default=0)
    rows_total = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    error = models.TextField(_("reason"), blank=True)
    file = models.FileField(_("file"), upload_to=_export_path, max_length=255, blank=True)
    filename = models.CharField(_("file name"), max_length=120, blank=True)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    expires_at = models.DateTimeField(_("kept until"), null=True, blank=True, db_index=True)
    # Background work, as for report runs and imports: the task sent, the latest sign of life,
    # how many times a worker took the job; when the owner was told it ended and downloaded it.
    task_id = models.CharField(max_length=64, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    notified_at = models.DateTimeField(null=True, blank=True)
    downloaded_at = models.DateTimeField(_("downloaded"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        indexes = [models.Index(fields=["user", "-created_at"], name="exportjob_user_recent")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.format} ({self.get_status_display()})"

    def get_absolute_url(self) -> str:
        return reverse("exports:list") + f"#export-{self.pk}"

    @property
    def is_active(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        return min(100, int(100 * self.rows_done / self.rows_total))


# Summaries (participants/summaries.py) ---------------------------------------------------------
# Kept by participants/summaries.py after every commit that changes what they count, so the
# dashboard and the regions overview read a few hundred rows instead of a million attendance
# rows. Never edited by hand: `manage.py rebuild_summaries` recounts them from the records.
class EventFigures(models.Model):
    """The countable figures of one event: its roster, sessions and attendance, and the sums
    its feedback and test averages are made of (an average of several events is the sum of
    their sums over the sum of their counts, which is exactly the average over their rows)."""

    event = models.OneToOneField(
        "trainings.TrainingEvent",
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="figures",
        verbose_name=_("event"),
    )
    # The event's region when last counted: a move to another region changes both regions.
    region_id_counted = models.BigIntegerField(null=True)
    roster = models.IntegerField(default=0)
    sessions = models.IntegerField(default=0)
    present = models.IntegerField(default=0)
    fb_n = models.IntegerField(default=0)
    fb_online = models.IntegerField(default=0)
    fb_paper = models.IntegerField(default=0)
    fb_quotable = models.IntegerField(default=0)
    fb_satisfied = models.IntegerField(default=0)
    fb_sum_satisfaction = models.BigIntegerField(default=0)
    fb_cnt_satisfaction = models.BigIntegerField(default=0)
    fb_sum_relevance = models.BigIntegerField(default=0)
    fb_cnt_relevance = models.BigIntegerField(default=0)
    fb_sum_usefulness = models.BigIntegerField(default=0)
    fb_cnt_usefulness = models.BigIntegerField(default=0)
    fb_sum_intent_to_apply = models.BigIntegerField(default=0)
    fb_cnt_intent_to_apply = models.BigIntegerField(default=0)
    sc_n = models.IntegerField(default=0)
    sc_pre = models.IntegerField(default=0)
    sc_post = models.IntegerField(default=0)
    sc_improved = models.IntegerField(default=0)
    sc_sum_pre = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    sc_sum_post = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    sc_sum_gain = models.DecimalField(max_digits=16, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("event figures")
        verbose_name_plural = _("event figures")

    def __str__(self) -> str:
        return f"figures of event {self.event_id}"


class Reach(models.Model):
    """One person reached in one place and period (each once): `place` is "r:<region id>",
    "d:<district id>" or "all" (the whole country), `period` a quarter ("2024Q3"), a year
    ("2024"), "ever" (reached at any time) or "seen" (not a reach: where the person lives or
    was enrolled, the dashboard's "people registered"); the person's sex, category and
    disability status are copied so the counts group without joining the people. Plain ids,
    not foreign keys: a deletion is counted out by the refresh after its commit, never by a
    cascade behind its back."""

    participant_id = models.BigIntegerField()
    place = models.CharField(max_length=24)
    period = models.CharField(max_length=8)
    sex = models.CharField(max_length=1)
    category_id = models.BigIntegerField()
    wgss = models.CharField(max_length=8)
    # The person's name on "seen" rows (None on the others): a region's people by name, all,
    # searched or of one sex or category, are paged through `reach_seen_name`, one index range
    # of that region, instead of the whole country's name index tested row by row against the
    # region (participants.selectors `listed_from_seen`). What the people search reads is
    # copied too (participants.selectors `search_terms`): the folded name and the
    # organisation, as typed and chosen. The birth year too: the list by birth year pages
    # through `reach_seen_born` the same way.
    name = models.CharField(max_length=255, db_collation="kazakh", null=True, blank=True)
    name_normalised = models.CharField(max_length=255, null=True, blank=True)
    organisation_name = models.CharField(max_length=255, null=True, blank=True)
    organisation_id = models.BigIntegerField(null=True, blank=True)
    birth_year = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        verbose_name = _("person reached")
        verbose_name_plural = _("people reached")
        constraints = [
            models.UniqueConstraint(
                fields=["place", "period", "participant_id"],
                include=["sex", "category_id", "wgss"],
                name="reach_once",
            )
        ]
        indexes = [
            models.Index(fields=["participant_id"], name="reach_participant"),
            models.Index(
                fields=["place", "name", "participant_id"],
                include=[
                    "sex",
                    "category_id",
                    "name_normalised",
                    "organisation_name",
                    "organisation_id",
                ],
                condition=models.Q(period="seen"),
                name="reach_seen_name",
            ),
            models.Index(
                fields=["place", "birth_year", "participant_id"],
                include=["sex", "category_id"],
                condition=models.Q(period="seen"),
                name="reach_seen_born",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.participant_id} reached in {self.place} {self.period}"


class ReachCount(models.Model):
    """How many people (Reach rows) a place and period has per sex, category and disability
    status: the dashboard reads these few rows."""

    place = models.CharField(max_length=24)
    period = models.CharField(max_length=8)
    sex = models.CharField(max_length=1)
    category_id = models.BigIntegerField()
    wgss = models.CharField(max_length=8)
    n = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("people reached count")
        verbose_name_plural = _("people reached counts")
        constraints = [
            models.UniqueConstraint(
                fields=["place", "period", "sex", "category_id", "wgss"], name="reach_count_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.place} {self.period}: {self.n}"
