from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.names import NAME_LANGUAGES, LocalisedName, active_language, localised, name_in


class TranslatedName(models.Model):
    """A name kept in Kazakh, Russian and English; `name` gives it in the active language."""

    name_kk = models.CharField(_("name (Kazakh)"), max_length=200)
    name_ru = models.CharField(_("name (Russian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        lang = (get_language() or "en")[:2]
        return getattr(self, f"name_{lang}", "") or self.name_en


class Region(TranslatedName):
    """A top-level unit of Kazakhstan: one of 17 regions (oblys) or 3 cities of republican
    significance, identified by its ISO 3166-2:KZ code."""

    class Kind(models.TextChoices):
        REGION = "region", _("Region")
        CITY = "city", _("City of republican significance")

    code = models.CharField(_("ISO 3166-2 code"), max_length=8, unique=True)
    kato = models.CharField(_("KATO code"), max_length=9, blank=True)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.REGION)
    is_active = models.BooleanField(_("active"), default=True)
    # The change time `updated_since` follows (API); kept out of the history: it is not a change.
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def get_absolute_url(self) -> str:
        return reverse("manage:region_edit", args=[self.pk])


class District(TranslatedName):
    """A district (audan) or a city inside a region."""

    class Kind(models.TextChoices):
        DISTRICT = "district", _("District")
        CITY = "city", _("City")

    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="districts", verbose_name=_("region")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.DISTRICT)
    is_active = models.BooleanField(_("active"), default=True)
    # The change time `updated_since` follows (API); kept out of the history: it is not a change.
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["region__code", "name_en"]
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        constraints = [
            models.UniqueConstraint(fields=["region", "name_en"], name="district_unique_in_region")
        ]

    def get_absolute_url(self) -> str:
        return reverse("manage:district_edit", args=[self.pk])


# An IATI organisation identifier: a registration agency prefix (two letters: a country, or XI/XM
# for international registers), a hyphen, then letters, digits, dots, underscores, colons or
# hyphens. No spaces and none of / & | ? (IATI rules 1.x.1 and 1.x.13).
IATI_ORGANISATION_ID = RegexValidator(
    r"^[A-Z]{2}-[A-Za-z0-9._:-]*[A-Za-z0-9]$",
    _(
        "Enter an IATI organisation identifier such as XM-DAC-701-8: two capital letters, a "
        "hyphen, then letters, digits, dots, underscores or hyphens, without spaces."
    ),
)


class PartnerOrganisation(LocalisedName, models.Model):
    """An organisation the programme works with: hosts events, implements them, sends people."""

    class Type(models.TextChoices):
        AKIMAT = "akimat", _("Akimat")
        YRC = "yrc", _("Youth Resource Center")
        POLICE = "police", _("Police department")
        UNIVERSITY = "university", _("University")
        NGO = "ngo", _("NGO")
        DONOR = "donor", _("Donor")
        UN_AGENCY = "un_agency", _("UN agency")
        RELIGIOUS = "religious", _("Religious organisation")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=255)
    name_kk = name_in("kk", 255)
    name_ru = name_in("ru", 255)
    short_name = models.CharField(_("short name"), max_length=60, blank=True)
    short_name_kk = name_in("kk", 60, short=True)
    short_name_ru = name_in("ru", 60, short=True)
    type = models.CharField(_("type"), max_length=20, choices=Type.choices)
    region = models.ForeignKey(
        Region,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="partners",
        verbose_name=_("region"),
        help_text=_("Empty for national or international organisations."),
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    contact_person = models.CharField(_("contact person"), max_length=200, blank=True)
    contact_role = models.CharField(_("contact person's role"), max_length=200, blank=True)
    mou_start = models.DateField(_("agreement (MoU) from"), null=True, blank=True)
    mou_end = models.DateField(_("agreement (MoU) until"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    iati_identifier = models.CharField(
        _("IATI organisation identifier"),
        max_length=100,
        blank=True,
        validators=[IATI_ORGANISATION_ID],
        help_text=_(
            "Its identifier in the IATI organisation registry, e.g. XM-DAC-701-8 or "
            "JP-JCN-1234567890123: the registration agency's prefix (a country or XI/XM code "
            "and the register), a hyphen, then the organisation's number. Donor reports (IATI) "
            "name the organisation by it."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    # The change time `updated_since` follows (API); kept out of the history: it is not a change.
    updated_at = models.DateTimeField(_("updated"), auto_now=True, db_index=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["name"]
        verbose_name = _("partner organisation")
        verbose_name_plural = _("partner organisations")
        constraints = [
            models.UniqueConstraint(fields=["name", "region"], name="partner_unique_name_region"),
            models.CheckConstraint(
                condition=models.Q(mou_end__isnull=True)
                | models.Q(mou_start__isnull=True)
                | models.Q(mou_end__gte=models.F("mou_start")),
                name="partner_mou_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        # The short name in the reader's language; an English short name only when the full
        # name has no translation either ("Beyneu akimat" on a Kazakh page reads worse than
        # the Kazakh full name).
        lang = active_language()
        if lang in NAME_LANGUAGES:
            translated = getattr(self, f"short_name_{lang}") or getattr(self, f"name_{lang}")
            if translated:
                return translated
        return self.short_name or self.name

    def get_absolute_url(self) -> str:
        return reverse("manage:partner_detail", args=[self.pk])

    @property
    def display_short_name(self) -> str:
        """The short name in the active language ("" when it has none)."""
        return localised(self, "short_name")

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.mou_start and self.mou_end and self.mou_end < self.mou_start:
            raise ValidationError({"mou_end": _("The agreement cannot end before it starts.")})
