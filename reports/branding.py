"""The pictures of the donor report: the two logos (implementing agency, donor) and the photos
the staff chose on the events' pages (docs/decisions/0014).

Writes: `set_logo` and `remove_logo` (admins, through /manage/report-logos/ and the Django
admin). Reads for the builder: `report_logos()` and `report_photos(...)` return plain dicts for
the ReportData snapshot, each naming its image by its path in the default storage; the
renderers read the images from there (reports/renderers/images.py), never the database."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import QuerySet

from accounts.scope import Scope
from core import uploads
from trainings.models import EventFile

from .indicators import held_events
from .models import ReportLogo

# At most this many photos go into one report (a page or two of pictures, not an album).
MAX_REPORT_PHOTOS = 12
# Logos are printed a few centimetres wide: stored no larger than this (long side, pixels).
LOGO_MAX_SIDE = 1200


# Logos ----------------------------------------------------------------------------------------
def logos() -> dict[str, ReportLogo]:
    """The uploaded logos by role."""
    return {logo.role: logo for logo in ReportLogo.objects.all()}


def check_logo(data: bytes) -> uploads.CleanImage:
    """The logo's image cleaned (see core.uploads.clean_image), or a ValidationError: not a
    JPEG, PNG or WebP image, or over settings.REPORT_LOGO_MAX_BYTES."""
    uploads.check_size(len(data), settings.REPORT_LOGO_MAX_BYTES)
    return uploads.clean_image(data, max_side=LOGO_MAX_SIDE)


@transaction.atomic
def set_logo(*, role: str, name: str, data: bytes, by=None) -> ReportLogo:
    """Upload (or replace) the logo of a role: a JPEG, PNG or WebP image up to
    settings.REPORT_LOGO_MAX_BYTES, stored again without its metadata. Reports already built
    keep the logo they were rendered with (their files are stored); the replaced image is
    removed from storage once the change is committed."""
    try:
        image = check_logo(data)
    except ValidationError as error:
        raise ValidationError({"image": error.messages}) from error
    logo = ReportLogo.objects.select_for_update().filter(role=role).first() or ReportLogo(role=role)
    logo.name = name
    logo.content_type = image.content_type
    logo.width, logo.height = image.width, image.height
    logo.uploaded_by = by
    logo.full_clean(exclude=["image"])
    replaced = logo.image.name if logo.image else ""
    logo.image.save(f"logo.{image.extension}", ContentFile(image.content), save=False)
    logo.save()
    if replaced:
        transaction.on_commit(lambda: _delete_stored(replaced))
    return logo


@transaction.atomic
def remove_logo(*, role: str) -> bool:
    """Remove a role's logo: the report prints none (no empty slot). True when there was one."""
    logo = ReportLogo.objects.select_for_update().filter(role=role).first()
    if logo is None:
        return False
    name = logo.image.name
    logo.delete()
    transaction.on_commit(lambda: _delete_stored(name))
    return True


def _delete_stored(name: str) -> None:
    storage = ReportLogo._meta.get_field("image").storage
    if name and storage.exists(name):
        storage.delete(name)


# For the report builder ----------------------------------------------------------------------
def report_logos() -> list[dict[str, Any]]:
    """The logos for a report's first page, implementing agency first."""
    order = [ReportLogo.Role.IMPLEMENTING_AGENCY, ReportLogo.Role.DONOR]
    found = logos()
    return [
        {
            "role": role,
            "name": found[role].name,
            "path": found[role].image.name,
            "width": found[role].width,
            "height": found[role].height,
        }
        for role in order
        if role in found and found[role].image
    ]


def report_photo_files(scope: Scope, start: date, end: date, basis: dict) -> QuerySet[EventFile]:
    """The photos chosen for the report (with the people's agreement) of the events it counts
    (held events of the scope ending in the period), in the events' order."""
    return EventFile.objects.filter(
        event__in=held_events(scope, start, end, basis),
        kind=EventFile.Kind.PHOTO,
        in_report=True,
        people_consent=True,
    )


def report_photos(scope: Scope, start: date, end: date, basis: dict) -> list[dict[str, Any]]:
    """At most MAX_REPORT_PHOTOS chosen photos, each with its caption and event."""
    files = (
        report_photo_files(scope, start, end, basis)
        .select_related("event", "event__region")
        .order_by("event__start_date", "event__title", "uploaded_at", "pk")[:MAX_REPORT_PHOTOS]
    )
    return [
        {
            "path": f.file.name,
            "caption": f.caption,
            "event": f.event.title,
            "region": f.event.region.name,
            "start": f.event.start_date.isoformat(),
            "end": f.event.end_date.isoformat(),
            "width": f.width,
            "height": f.height,
        }
        for f in files
    ]


def pictures_fingerprint(scope: Scope, start: date, end: date, basis: dict) -> dict[str, Any]:
    """What changes the report's pictures: the chosen photos and the logos."""
    chosen = report_photo_files(scope, start, end, basis).order_by("pk")
    return {
        "photos": list(chosen.values_list("pk", "caption")),
        "logos": list(ReportLogo.objects.order_by("role").values_list("role", "name", "image")),
    }
