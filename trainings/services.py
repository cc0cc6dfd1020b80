"""Writes of events and sessions. Views, imports, commands and the seed all call these."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.audit import record_event
from accounts.models import SecurityEvent
from core import domain_events, uploads

from .models import EventFile, Session, TrainingEvent

M2M_FIELDS = ("topics", "facilitators", "host_partners", "implementing_partners")


@transaction.atomic
def create_event(*, created_by=None, **fields: Any) -> TrainingEvent:
    """Create a training event after validating it; many-to-many fields (topics, facilitators,
    host_partners, implementing_partners) may be passed as iterables."""
    related = {name: fields.pop(name) for name in M2M_FIELDS if name in fields}
    event = TrainingEvent(created_by=created_by, **fields)
    event.full_clean()
    event.save()
    for name, values in related.items():
        getattr(event, name).set(values)
    domain_events.emit(domain_events.EVENT_CREATED, event)
    return event


@transaction.atomic
def add_session(*, event: TrainingEvent, date, title: str = "", **fields: Any) -> Session:
    session = Session(event=event, date=date, title=title, **fields)
    session.full_clean()
    session.save()
    return session


@transaction.atomic
def add_sessions_per_day(*, event: TrainingEvent) -> list[Session]:
    """One session for each day of the event that has none yet ("Day 1", "Day 2", ...)."""
    existing = set(event.sessions.values_list("date", flat=True))
    created = []
    for i in range(event.days):
        day = event.start_date + timedelta(days=i)
        if day not in existing:
            # Untitled: Session.display_title names it "Day N" in each reader's language.
            created.append(add_session(event=event, date=day))
    return created


# Editing, status flow and deletion -----------------------------------------------------------
def _audit(event: TrainingEvent, action: str, *, by=None, request=None, **detail: Any) -> None:
    record_event(
        SecurityEvent.Kind.EVENT_STATUS,
        user=by,
        request=request,
        obj=event,
        object_repr=f"{event._meta.label_lower}:{event.pk} {event.title}",
        detail={"action": action, "event_id": event.pk, **detail},
    )


def event_has_attendance(event: TrainingEvent) -> bool:
    """True once anyone's presence has been recorded at any session of the event."""
    return event.sessions.filter(attendances__isnull=False).exists()


@transaction.atomic
def update_event(*, event: TrainingEvent, **fields: Any) -> TrainingEvent:
    """Change an event's fields (and many-to-many pickers) after validating them. Sessions must
    still fall within the event's dates: shrinking the dates past a session is refused."""
    related = {name: fields.pop(name) for name in M2M_FIELDS if name in fields}
    for name, value in fields.items():
        setattr(event, name, value)
    event.full_clean()
    outside = event.sessions.exclude(date__range=(event.start_date, event.end_date))
    if outside.exists():
        days = ", ".join(f"{d:%Y-%m-%d}" for d in outside.values_list("date", flat=True)[:5])
        raise ValidationError(
            {
                "start_date": _(
                    "Sessions on %(days)s fall outside these dates: move or delete them first."
                )
                % {"days": days}
            }
        )
    event.save()
    for name, values in related.items():
        getattr(event, name).set(values)
    return event


def _lock_row(event: TrainingEvent) -> TrainingEvent:
    """Re-read the event with a row lock so two status changes cannot interleave."""
    return TrainingEvent.objects.select_for_update().get(pk=event.pk)


@transaction.atomic
def mark_held(*, event: TrainingEvent, by=None, request=None) -> TrainingEvent:
    """planned -> held. An event is only "held" once attendance has been recorded for it."""
    locked = _lock_row(event)
    if locked.status != TrainingEvent.Status.PLANNED:
        raise ValidationError(_("Only a planned event can be marked as held."))
    if not event_has_attendance(locked):
        raise ValidationError(
            _(
                "This event has no attendance recorded yet. Record who came to at least one "
                "session before marking it as held."
            )
        )
    return _set_status(locked, TrainingEvent.Status.HELD, "event_held", by=by, request=request)


@transaction.atomic
def mark_reported(*, event: TrainingEvent, by=None, request=None) -> TrainingEvent:
    """held -> reported. A reported event is locked for coordinators (see
    trainings.selectors.can_edit_event); staff or an admin can unlock it."""
    locked = _lock_row(event)
    if locked.status != TrainingEvent.Status.HELD:
        raise ValidationError(_("Only a held event can be marked as reported."))
    return _set_status(
        locked, TrainingEvent.Status.REPORTED, "event_reported", by=by, request=request
    )


UNLOCK_REASON_MAX = 500


@transaction.atomic
def unlock_event(*, event: TrainingEvent, reason: str, by=None, request=None) -> TrainingEvent:
    """reported -> held, so the event can be corrected again. Only staff and admins may do this
    (checked by the caller with scope.can_unlock); audited with the reason,
    which every caller must give (a blank or whitespace-only reason is refused)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError(
            _("Say why the event is unlocked: the reason is kept in the audit log."),
            code="reason_required",
        )
    if len(reason) > UNLOCK_REASON_MAX:
        raise ValidationError(
            _("Keep the reason to %(max)d characters.") % {"max": UNLOCK_REASON_MAX},
            code="reason_too_long",
        )
    locked = _lock_row(event)
    if locked.status != TrainingEvent.Status.REPORTED:
        raise ValidationError(_("Only a reported event can be unlocked."))
    return _set_status(
        locked, TrainingEvent.Status.HELD, "event_unlocked", by=by, request=request, reason=reason
    )


def _attended_by(today: date) -> Exists:
    """Someone was present at a session of the event dated `today` or earlier (through the
    reverse relation: trainings imports nothing of participants)."""
    return Exists(
        Session.objects.filter(event=OuterRef("pk"), date__lte=today, attendances__isnull=False)
    )


@transaction.atomic
def hold_attended_event(
    *, event: TrainingEvent, by=None, request=None, today: date | None = None
) -> bool:
    """planned -> held once someone's presence is recorded at a session of the event dated
    today or earlier: people attended it, so it took place (docs/decisions/0010). Every
    service that records attendance calls this; a planned event whose attended sessions are
    all still to come stays planned. Audited like mark_held, as "event_held_by_attendance".
    One query when nothing changes. Returns whether the event moved to held."""
    today = today or timezone.localdate()
    locked = (
        TrainingEvent.objects.select_for_update()
        .filter(_attended_by(today), pk=event.pk, status=TrainingEvent.Status.PLANNED)
        .first()
    )
    if locked is None:
        return False
    _set_status(
        locked, TrainingEvent.Status.HELD, "event_held_by_attendance", by=by, request=request
    )
    event.status = locked.status
    return True


@transaction.atomic
def hold_attended_events(*, today: date | None = None) -> int:
    """Every planned event with attendance at a session dated today or earlier, moved to held
    (hold_attended_event, audited one by one without a user): attendance recorded ahead of a
    session, once its day has come, and rows written before this rule. Daily (beat) and
    `python manage.py hold_attended_events`. Returns how many events moved."""
    today = today or timezone.localdate()
    planned = TrainingEvent.objects.filter(_attended_by(today), status=TrainingEvent.Status.PLANNED)
    return sum(hold_attended_event(event=event, today=today) for event in planned.order_by("pk"))


def _set_status(
    event: TrainingEvent, status: str, action: str, *, by=None, request=None, **detail: Any
) -> TrainingEvent:
    old = event.status
    event.status = status
    if by is not None and getattr(by, "pk", None):
        event._history_user = by  # simple-history: who made the change, also outside requests
    event.save(update_fields=["status", "updated_at"])
    _audit(event, action, by=by, request=request, old=old, new=status, **detail)
    # Other systems hear of the steps forward (docs/decisions/0020); an unlock is not one.
    if old == TrainingEvent.Status.PLANNED and status == TrainingEvent.Status.HELD:
        domain_events.emit(domain_events.EVENT_HELD, event, action=action)
    elif status == TrainingEvent.Status.REPORTED:
        domain_events.emit(domain_events.EVENT_REPORTED, event, action=action)
    return event


def event_delete_problem(event: TrainingEvent) -> str:
    """Why the event cannot be deleted ("" when it can): only a planned event without any
    attendance may go; a held or reported event is part of what was reported."""
    if event.status != TrainingEvent.Status.PLANNED:
        return _(
            "Only a planned event can be deleted; this one is %(status)s and part of the record."
        ) % {"status": event.get_status_display().lower()}
    if event_has_attendance(event):
        return _("Attendance has been recorded for this event, so it cannot be deleted.")
    return ""


@transaction.atomic
def delete_event(*, event: TrainingEvent, by=None, request=None) -> None:
    """Delete a planned event without attendance (its sessions and roster go with it)."""
    locked = _lock_row(event)
    problem = event_delete_problem(locked)
    if problem:
        raise ValidationError(problem)
    _audit(locked, "event_deleted", by=by, request=request)
    stored = [name for f in locked.files.all() for name in (f.file.name, f.thumbnail.name)]
    locked.delete()
    transaction.on_commit(lambda: _delete_stored(stored))


# Sessions ---------------------------------------------------------------------------------
@transaction.atomic
def update_session(*, session: Session, by=None, request=None, **fields: Any) -> Session:
    """Change a session's date, title or times after validating them. A session with
    attendance moved to today or earlier makes its planned event held (hold_attended_event)."""
    for name, value in fields.items():
        setattr(session, name, value)
    session.full_clean()
    session.save()
    if "date" in fields and session.date <= timezone.localdate():
        hold_attended_event(event=session.event, by=by, request=request)
    return session


@transaction.atomic
def delete_session(*, session: Session) -> None:
    """Delete a session with the attendance recorded at it."""
    session.delete()


# Files kept with an event -----------------------------------------------------------------
# What each kind of file may really be (by its content, core.uploads.sniff): a photo is an
# image; a sign-in sheet a scan (image or PDF); an agenda or other document also Word or Excel.
ACCEPTED_KINDS: dict[str, frozenset[str]] = {
    EventFile.Kind.PHOTO: uploads.IMAGE_KINDS,
    EventFile.Kind.SIGN_IN_SHEET: uploads.IMAGE_KINDS | {"pdf"},
    EventFile.Kind.AGENDA: uploads.IMAGE_KINDS | {"pdf", "docx", "xlsx"},
    EventFile.Kind.OTHER: uploads.IMAGE_KINDS | {"pdf", "docx", "xlsx"},
}
KIND_NAMES = {
    "jpeg": "JPEG",
    "png": "PNG",
    "webp": "WebP",
    "pdf": "PDF",
    "docx": "Word (.docx)",
    "xlsx": "Excel (.xlsx)",
}


def accepted_in_words(kind: str) -> str:
    """'JPEG, PNG, WebP or PDF': what a kind of event file may be, for messages and help."""
    names = [KIND_NAMES[k] for k in KIND_NAMES if k in ACCEPTED_KINDS[kind]]
    return _("%(list)s or %(last)s") % {"list": ", ".join(names[:-1]), "last": names[-1]}


def _readable_name(filename: str) -> str:
    # Only the last part of a path a browser may send; kept for the download, never in storage.
    name = filename.replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name[:255] or "file"


@transaction.atomic
def add_event_file(
    *,
    event: TrainingEvent,
    kind: str,
    data: bytes,
    filename: str,
    caption: str = "",
    people_consent: bool = False,
    in_report: bool = False,
    by=None,
) -> EventFile:
    """Keep a file with an event after checking what it really is (not what it is called) and
    its size (settings.EVENT_FILE_MAX_BYTES). Images are saved again without their metadata
    (EXIF: camera, time, GPS position) and get a thumbnail. Raises ValidationError on "file"."""
    if kind not in ACCEPTED_KINDS:
        raise ValidationError({"kind": _("Choose what the file is.")})
    try:
        uploads.check_size(len(data), settings.EVENT_FILE_MAX_BYTES)
        found = uploads.sniff(data)
        if found not in ACCEPTED_KINDS[kind]:
            raise ValidationError(
                _("This file is not a %(accepted)s file (whatever its name says).")
                % {"accepted": accepted_in_words(kind)},
                code="wrong_type",
            )
        width = height = None
        small = b""
        if found in uploads.IMAGE_KINDS:
            image = uploads.clean_image(data)
            data, width, height = image.content, image.width, image.height
            small = uploads.thumbnail(data)
    except ValidationError as error:
        raise ValidationError({"file": error.messages}) from error
    content_type, extension = uploads.KINDS[found]
    event_file = EventFile(
        event=event,
        kind=kind,
        original_name=_readable_name(filename),
        content_type=content_type,
        size=len(data),
        width=width,
        height=height,
        caption=caption,
        people_consent=people_consent,
        in_report=in_report,
        uploaded_by=by,
    )
    event_file.full_clean(exclude=["file", "thumbnail"])
    event_file.file.save(f"upload.{extension}", ContentFile(data), save=False)
    if small:
        event_file.thumbnail.save("thumb.jpg", ContentFile(small), save=False)
    stored = [event_file.file.name, event_file.thumbnail.name or ""]
    try:
        event_file.save()
    except Exception:
        _delete_stored(stored)
        raise
    return event_file


@transaction.atomic
def update_event_file(
    *, event_file: EventFile, caption: str, people_consent: bool, in_report: bool
) -> EventFile:
    """Change a file's caption, the people's agreement and whether the photo is in the donor
    report (only a photo whose people agreed may be)."""
    event_file.caption = caption
    event_file.people_consent = people_consent
    event_file.in_report = in_report
    event_file.full_clean(exclude=["file", "thumbnail"])
    event_file.save(update_fields=["caption", "people_consent", "in_report"])
    return event_file


def _delete_stored(names) -> None:
    storage = EventFile._meta.get_field("file").storage
    for name in names:
        if name and storage.exists(name):
            storage.delete(name)


@transaction.atomic
def delete_event_file(*, event_file: EventFile) -> None:
    """Remove a file from its event, and from storage once the removal is committed (the
    history keeps who removed what, when)."""
    names = [event_file.file.name, event_file.thumbnail.name]
    event_file.delete()
    transaction.on_commit(lambda: _delete_stored(names))
