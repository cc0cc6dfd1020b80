"""A person's rights over their data: export everything held about them, erase on request
(anonymise, keeping what the counts need), and list people kept longer than the retention period.

Erasure keeps only what report figures read of a person: sex, birth year (as
anonymised_birth_year says: exact while a report could need it for an age band), region and
category, and the disability classification their WG-SS answers gave (ADR 0024), so every
report, for any period, stays identical; it drops the name, contacts, IIN hash, district,
organisation (as chosen and as written), position, the answers to the disability questions
and the free text of their feedback, in the live rows and in the history rows. Before that,
their name is scrubbed from every free-text field where someone else may have written it (a
comment "thanks to ...", an event's description, a narrative): FREE_TEXT below, plus what
higher layers register (reports/apps.py)."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from accounts.audit import record_event
from accounts.models import SecurityEvent
from core.change_time import with_change_time

from . import summaries
from .disability import DOMAINS, classify_record
from .models import (
    AGE_BANDS,
    Assessment,
    Attendance,
    Consent,
    DisabilityAnswers,
    Enrolment,
    Feedback,
    ImportBatch,
    Participant,
    Tombstone,
)
from .names import person_name_regex, person_name_words, scrub_person_name, word_pattern
from .tombstones import record_tombstone

PERSONAL_FIELDS = ("full_name", "phone", "email", "iin_hash", "organisation_name", "position")
FEEDBACK_TEXT_FIELDS = ("most_useful", "comments", "quote_text_reviewed")

# Free text anyone may have written a person's name in (model label -> fields; text or JSON).
# The history rows of these models are scrubbed too. Higher layers add theirs at start-up
# with register_free_text (reports: narratives, indicator descriptions, report runs).
FREE_TEXT: dict[str, tuple[str, ...]] = {
    "participants.Feedback": FEEDBACK_TEXT_FIELDS,
    "participants.ImportBatch": ("message",),
    "trainings.Programme": ("outcome",),
    "trainings.TrainingEvent": ("title", "description", "venue"),
    "trainings.Session": ("title",),
    "regions.PartnerOrganisation": ("contact_person", "notes"),
}


def register_free_text(label: str, *fields: str) -> None:
    """Name free-text fields of a model (of any app) that erasure must scrub names from."""
    FREE_TEXT[label] = tuple(dict.fromkeys((*FREE_TEXT.get(label, ()), *fields)))


def anonymised_name(person_id: int) -> str:
    return f"Anonymised #{person_id}"


def birth_year_band(year: int | None) -> int | None:
    """The first year of the 5-year band `year` falls in (1987 -> 1985)."""
    return None if year is None else year - year % 5


def activity_years(person_id: int) -> set[int]:
    """The years a report counting the person is about: those of the sessions they attended
    and of the events they enrolled in (start and end)."""
    years = {
        d.year
        for d in Attendance.objects.filter(enrolment__participant_id=person_id).values_list(
            "session__date", flat=True
        )
    }
    for start, end in Enrolment.objects.filter(participant_id=person_id).values_list(
        "event__start_date", "event__end_date"
    ):
        years |= {d.year for d in (start, end) if d}
    return years


def anonymised_birth_year(year: int | None, years: set[int]) -> int | None:
    """The birth year an erased record keeps, so that every report stays identical.

    Reports place a person in the age band of the report period's end year, and a period that
    counts them can end in any year from the first year they took part in (`years`, see
    activity_years) on: a custom range from their training to the programme's end, say. Their
    band in every one of those years is fixed only by the exact birth year (someone born in
    2001 is 24 in 2025 and 25 in 2026; "born in 2000" would be 25 in 2025). So the exact year
    stays, unless they were already in the oldest band (55+) in their first year of activity,
    where the first year of the 5-year band (birth_year_band) keeps them 55+ in every later
    year; a record with no activity at all is in no report and keeps the band's first year."""
    if year is None:
        return None
    band_start = birth_year_band(year)
    if not years:
        return band_start
    oldest = AGE_BANDS[-1][0]
    if min(years) - year >= oldest:
        return band_start
    return year


def _history_rows(model, **filters) -> list[dict[str, Any]]:
    rows = []
    for h in (
        model.history.filter(**filters).select_related("history_user").order_by("history_date")
    ):
        rows.append(
            {
                "when": h.history_date,
                "type": h.get_history_type_display(),
                "by": h.history_user.get_username() if h.history_user else None,
                "changed": list(h.diff_against(h.prev_record).changed_fields)
                if h.prev_record
                else [],
            }
        )
    return rows


def export_person(person: Participant, *, by=None, request=None) -> dict[str, Any]:
    """Everything Qadam holds about one person, as JSON-ready data (a subject access request).
    The export itself is audited."""
    enrolments = Enrolment.objects.filter(participant=person).select_related(
        "event", "event__region"
    )
    attendance = Attendance.objects.filter(enrolment__participant=person).select_related(
        "session", "session__event"
    )
    feedback = Feedback.objects.filter(enrolment__participant=person).select_related("event")
    scores = Assessment.objects.filter(enrolment__participant=person).select_related(
        "enrolment__event"
    )
    data = {
        "exported_at": timezone.now(),
        "person": {
            "id": person.pk,
            "full_name": person.full_name,
            "sex": person.get_sex_display(),
            "birth_year": person.birth_year,
            "region": person.region.name_en,
            "district": person.district.name_en if person.district_id else None,
            "organisation": str(person.organisation) if person.organisation_id else None,
            "organisation_name": person.organisation_name,
            "position": person.position,
            "category": person.category.name_en,
            "phone": person.phone,
            "email": person.email,
            "iin_recorded": bool(person.iin_hash),
            "is_anonymised": person.is_anonymised,
            "created_at": person.created_at,
        },
        "disability_questions": _disability_export(person),
        "consents": [
            {
                "given": c.given,
                "date": c.given_on,
                "version": c.version,
                "method": c.get_method_display(),
            }
            for c in Consent.objects.filter(participant=person)
        ],
        "enrolments": [
            {
                "event": e.event.title,
                "region": e.event.region.name_en,
                "start_date": e.event.start_date,
                "end_date": e.event.end_date,
            }
            for e in enrolments
        ],
        "attendance": [
            {"event": a.session.event.title, "session_date": a.session.date} for a in attendance
        ],
        "feedback": [
            {
                "event": f.event.title,
                "satisfaction": f.satisfaction,
                "relevance": f.relevance,
                "usefulness": f.usefulness,
                "intent_to_apply": f.intent_to_apply,
                "most_useful": f.most_useful,
                "comments": f.comments,
                "consent_to_quote": f.consent_to_quote,
                "submitted_at": f.submitted_at,
            }
            for f in feedback
        ],
        "scores": [
            {"event": s.enrolment.event.title, "pre_score": s.pre_score, "post_score": s.post_score}
            for s in scores
        ],
        "history": _history_rows(Participant, id=person.pk),
    }
    record_event(
        SecurityEvent.Kind.PERSON_EXPORTED,
        user=by,
        request=request,
        obj=person,
        object_repr=f"Participant #{person.pk}",
        detail={"participant_id": person.pk},
    )
    return data


def _disability_export(person: Participant) -> dict[str, Any] | None:
    row = DisabilityAnswers.objects.filter(participant=person).first()
    if row is None:
        return None
    return {
        "consent_given_on": row.consent_given_on,
        "consent_version": row.consent_version,
        "answers": {d: getattr(row, f"get_{d}_display")() if getattr(row, d) else None
                    for d in DOMAINS},
        "classification": classify_record(row),
    }  # fmt: skip


def _erase_disability_answers(person_id: int) -> bool:
    """Drop a person's WG-SS answers, live and in the history rows, keeping only the
    classification they gave (what the counts read). Returns whether answers were held."""
    row = DisabilityAnswers.objects.filter(participant_id=person_id).first()
    if row is None:
        return False
    held = any(getattr(row, d) is not None for d in DOMAINS)
    kept = classify_record(row)
    blank = dict.fromkeys(DOMAINS)
    DisabilityAnswers.objects.filter(pk=row.pk).update(kept_status=kept, **blank)
    DisabilityAnswers.history.filter(id=row.pk).update(kept_status=kept, **blank)
    return held


def export_person_json(person: Participant, **kwargs: Any) -> str:
    return json.dumps(
        export_person(person, **kwargs), cls=DjangoJSONEncoder, ensure_ascii=False, indent=2
    )


@transaction.atomic
def erase_person(person: Participant, by, *, request=None, reason: str = "") -> Participant:
    """Anonymise a person on request: drop name, contacts, IIN hash, district, organisation,
    position, disability answers and feedback free text, in the live rows and in every history
    row; keep what report figures read (sex, birth year, region, category, the disability
    classification, their activity). Idempotent.
    Audited as a SecurityEvent (who, when, which record)."""
    person = Participant.objects.select_for_update().get(pk=person.pk)
    pk = person.pk
    if not person.is_anonymised:  # erased once, one tombstone (the erasure is idempotent)
        record_tombstone(person, reason=Tombstone.Reason.ERASED)
    full_names = {person.full_name}
    full_names |= set(Participant.history.filter(id=pk).values_list("full_name", flat=True))
    full_names = sorted(n for n in full_names if n and n != anonymised_name(pk))
    # First the name wherever someone else wrote it, while it is still known.
    scrubbed = scrub_name_from_free_text(full_names)
    old_names = {*full_names, person.phone, person.email}
    anonymous = {
        "full_name": anonymised_name(pk),
        "phone": "",
        "email": "",
        "iin_hash": None,
        "organisation_name": "",
        "position": "",
        # No figure reads them, and with the exact birth year they would narrow a record
        # down to a handful of people (one unit of one police department).
        "district": None,
        "organisation": None,
        # An erased person is never contacted again for follow-up surveys.
        "followup_consent": False,
    }
    for name, value in anonymous.items():
        setattr(person, name, value)
    person.birth_year = anonymised_birth_year(person.birth_year, activity_years(pk))
    person.is_anonymised = True
    person._history_user = by
    person.save()
    # The summaries' copy of the name (the people list's order) goes in this transaction too.
    summaries.copy_to_seen(person)
    # History rows of this person keep no trace of the name or contacts either.
    Participant.history.filter(id=pk).update(
        birth_year=person.birth_year, is_anonymised=True, **anonymous
    )
    # The Django admin's change log names the object too.
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Participant), object_id=str(pk)
    ).update(object_repr=anonymised_name(pk))
    _scrub_import_batches(pk, names=[n for n in old_names if n], replacement=anonymised_name(pk))
    disability_erased = _erase_disability_answers(pk)
    feedback_ids = list(
        Feedback.objects.filter(enrolment__participant_id=pk).values_list("pk", flat=True)
    )
    blank_text = dict.fromkeys(FEEDBACK_TEXT_FIELDS, "")
    Feedback.objects.filter(pk__in=feedback_ids).update(**with_change_time(Feedback, blank_text))
    # A blanked comment is no longer quotable: the events' summaries are recounted (an update
    # sends no signals).
    summaries.touch(
        events=Feedback.objects.filter(pk__in=feedback_ids).values_list("event_id", flat=True)
    )
    Feedback.history.filter(id__in=feedback_ids).update(**blank_text)
    record_event(
        SecurityEvent.Kind.PERSON_ERASED,
        user=by,
        request=request,
        obj=person,
        object_repr=f"Participant #{pk}",
        detail={
            "participant_id": pk,
            "reason": reason[:500],
            "feedback_blanked": len(feedback_ids),
            "disability_answers_erased": disability_erased,
            "free_text_scrubbed": scrubbed,
        },
    )
    return person


def _scrub_json(value: Any, pattern, full_names: list[str]) -> Any:
    if isinstance(value, str):
        return scrub_person_name(value, pattern, full_names)
    if isinstance(value, list):
        return [_scrub_json(v, pattern, full_names) for v in value]
    if isinstance(value, dict):
        return {k: _scrub_json(v, pattern, full_names) for k, v in value.items()}
    return value


def scrub_name_from_free_text(full_names: list[str]) -> int:
    """Replace a person's name (two or more words of one of `full_names` next to each other,
    in any order, case and Kazakh/Russian spelling) by "[name]" in every field of FREE_TEXT,
    live rows and history rows. Rows are found by the database (a regular expression per word
    of the name), rewritten with update() so no new history row keeps the old text. Returns
    how many rows changed."""
    pattern = person_name_regex(full_names)
    if pattern is None:
        return 0
    words = person_name_words(full_names)
    changed = 0
    for label, fields in FREE_TEXT.items():
        model = apps.get_model(label)
        targets = [model]
        if hasattr(model, "history"):
            targets.append(model.history.model)
        for target in targets:
            manager = target._base_manager
            for name in fields:
                try:
                    field = target._meta.get_field(name)
                except FieldDoesNotExist:  # left out of the history: nothing kept there
                    continue
                if isinstance(field, models.JSONField):
                    rows = manager.exclude(**{f"{name}__isnull": True}).values_list("pk", name)
                    for row_pk, value in rows.iterator(chunk_size=50):
                        new = _scrub_json(value, pattern, full_names)
                        if new != value:
                            manager.filter(pk=row_pk).update(
                                **with_change_time(target, {name: new})
                            )
                            changed += 1
                    continue
                found = Q()
                for word in words:
                    found |= Q(**{f"{name}__regex": word_pattern(word)})
                for row_pk, value in manager.filter(found).values_list("pk", name).iterator():
                    new = scrub_person_name(value, pattern, full_names)
                    if new != value:
                        manager.filter(pk=row_pk).update(**with_change_time(target, {name: new}))
                        changed += 1
    return changed


def _replace_in(value: Any, names: list[str], replacement: str) -> Any:
    if isinstance(value, str):
        for name in names:
            value = value.replace(name, replacement)
        return value
    if isinstance(value, list):
        return [_replace_in(v, names, replacement) for v in value]
    if isinstance(value, dict):
        return {k: _replace_in(v, names, replacement) for k, v in value.items()}
    return value


def _scrub_import_batches(person_id: int, *, names: list[str], replacement: str) -> None:
    """Spreadsheet imports keep a preview and error list of the rows they read: replace the
    person's name and contacts there too. (The uploaded file itself is not rewritten.)"""
    text_fields = ("preview", "errors", "warnings", "message")
    events = Enrolment.objects.filter(participant_id=person_id).values("event_id")
    for batch in ImportBatch.objects.filter(event__in=events).only("pk", *text_fields):
        changed = []
        for field in text_fields:
            old = getattr(batch, field)
            new = _replace_in(old, names, replacement)
            if new != old:
                setattr(batch, field, new)
                changed.append(field)
        if changed:
            batch.save(update_fields=changed)


def retention_cutoff(today: date | None = None) -> date:
    today = today or timezone.localdate()
    years = settings.PERSONAL_DATA_RETENTION_YEARS
    try:
        return today.replace(year=today.year - years)
    except ValueError:  # 29 February
        return today.replace(year=today.year - years, day=28)


def _day_start(day: date) -> datetime:
    """Midnight starting `day` in the current time zone (the zone `__date` lookups use)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def people_due_for_review(
    people: QuerySet[Participant], today: date | None = None
) -> QuerySet[Participant]:
    """People (of an already scoped queryset) not anonymised and with no activity since the
    retention cutoff: no event of theirs ended (or started) after it, and not added after it."""
    cutoff = retention_cutoff(today)
    recent = Enrolment.objects.filter(participant=OuterRef("pk"), event__start_date__gte=cutoff)
    recent_end = Enrolment.objects.filter(participant=OuterRef("pk"), event__end_date__gte=cutoff)
    return (
        # "Added before the cutoff day" as a time (the day's start here), not as the date of
        # created_at: a comparison the (created_at, id) index answers, so at 200,000 people
        # with none due the page reads no row (the date of each row read them all: 1.8 s).
        people.filter(is_anonymised=False, created_at__lt=_day_start(cutoff))
        .exclude(Exists(recent))
        .exclude(Exists(recent_end))
        .annotate(last_event=Max("enrolments__event__start_date"))
        .select_related("region", "category")
        .order_by("last_event", "pk")
    )
