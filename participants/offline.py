"""Changes made offline and sent later from the browser's outbox (static/js/outbox.js).

Each change carries an idempotency key made by the browser. It is applied through the same
service and the same checks as online (an attendance tap, a scores row, a paper feedback form,
a new person with the duplicate check of the registration page; the Scope,
trainings.selectors.edit_refusal, the page's own form, full_clean), and its result is
stored with the key (SyncedChange), so a change sent twice (a lost answer, a second tab) is
applied once and answered the same both times.
See docs/decisions/0018-offline-outbox-exactly-once.md."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scope import Scope
from core.params import MAX_ID, int_param
from trainings.models import Session
from trainings.selectors import edit_refusal, events_visible

from .feedback_forms import KioskFeedbackForm, PaperFeedbackForm, ScoreRowForm
from .feedback_services import record_kiosk_feedback, save_scores
from .forms import RegisterPersonForm
from .identity import hash_iin
from .models import Feedback, SyncedChange
from .selectors import enrolments_visible, likely_duplicates
from .services import enrol, record_attendance, record_feedback, register_person

MAX_CHANGES = 200  # per request; the outbox sends its queue in batches of this size
KINDS = ("attendance", "scores", "paper_feedback", "register", "kiosk_feedback")
# Kinds that name an event (not an enrolment): the events are read once per batch.
EVENT_KINDS = ("paper_feedback", "register", "kiosk_feedback")
LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}


def _int(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value <= MAX_ID else None
    return int_param(value) if isinstance(value, str) else None


def _result(key, status, message="") -> dict[str, str]:
    return {"key": key, "status": status, "message": str(message)}


def apply_changes(*, user, scope: Scope, changes: list[Any], request=None) -> list[dict[str, str]]:
    """Apply the changes in the order given; return one result per change:
    {"key", "status": "applied" | "refused", "message"}."""
    keys = [c["key"] for c in changes if isinstance(c, dict) and isinstance(c.get("key"), str)]
    done = {s.key: s for s in SyncedChange.objects.filter(user=user, key__in=keys)}
    # Everything the changes point at, read once (and only what the Scope lets the user see).
    enrolment_ids = {_int(c.get("enrolment")) for c in changes if isinstance(c, dict)}
    session_ids = {_int(c.get("session")) for c in changes if isinstance(c, dict)}
    enrolments = {
        e.pk: e
        for e in enrolments_visible(scope)
        .filter(pk__in=enrolment_ids - {None})
        .select_related("event__region", "participant")
    }
    sessions = {s.pk: s for s in Session.objects.filter(pk__in=session_ids - {None})}
    event_ids = {
        _int(c.get("event"))
        for c in changes
        if isinstance(c, dict) and c.get("kind") in EVENT_KINDS
    }
    events = {
        e.pk: e
        for e in events_visible(scope).filter(pk__in=event_ids - {None}).select_related("region")
    }
    refusals: dict[int, str] = {}  # event id -> edit_refusal

    results = []
    for change in changes:
        if not isinstance(change, dict) or not _valid_key(change.get("key")):
            results.append(_result(None, "refused", _("This change could not be read.")))
            continue
        key = change["key"]
        if key in done:
            results.append(_result(key, done[key].status, done[key].message))
            continue
        outcome = _apply_one(change, scope, enrolments, sessions, events, refusals, user, request)
        results.append(outcome)
        done[key] = SyncedChange(status=outcome["status"], message=outcome["message"])
    return results


def _valid_key(key) -> bool:
    return isinstance(key, str) and 0 < len(key) <= 64


def _refusal(scope, event, refusals) -> str:
    if event.pk not in refusals:
        refusals[event.pk] = str(edit_refusal(scope, event))
    return refusals[event.pk]


def _attendance(change, scope, enrolments, sessions, events, refusals, user, request) -> str:
    """A tap on the attendance grid; returns the reason it is refused ("" when applied)."""
    enrolment = enrolments.get(_int(change.get("enrolment")))
    session = sessions.get(_int(change.get("session")))
    present = change.get("present")
    if not isinstance(present, bool):
        return _("This change could not be read.")
    if enrolment is None or session is None or session.event_id != enrolment.event_id:
        # What the Scope hides is refused like a missing record: its existence does not
        # leak (the online toggle answers 404).
        return _("This person or session is not on an event you can change.")
    event = enrolment.event
    if refusal := _refusal(scope, event, refusals):
        return refusal
    session.event = event  # the services read the event through the session
    record_attendance(
        enrolment=enrolment, session=session, present=present, by=user, request=request
    )
    return ""


def _scores(change, scope, enrolments, sessions, events, refusals, user, request) -> str:
    """One row of the scores grid: validated by the grid's own row form, saved by save_scores
    (both empty removes the person's test record), as the online form does."""
    enrolment = enrolments.get(_int(change.get("enrolment")))
    pre, post = change.get("pre_score"), change.get("post_score")
    if not (isinstance(pre, str) and isinstance(post, str)):  # as typed in the grid
        return _("This change could not be read.")
    if enrolment is None:
        return _("This person or session is not on an event you can change.")
    if refusal := _refusal(scope, enrolment.event, refusals):
        return refusal
    form = ScoreRowForm(
        {
            "enrolment": enrolment.pk,
            "pre_score": pre,
            "post_score": post,
        }
    )
    if not form.is_valid():
        return _field_errors(form, enrolment.participant.full_name)
    save_scores(
        [(enrolment, form.cleaned_data.get("pre_score"), form.cleaned_data.get("post_score"))]
    )
    return ""


def _answers(change) -> dict[str, str] | None:
    """A form's fields as posted ({name: value}, all strings), or None when it is not that."""
    answers = change.get("answers")
    if not isinstance(answers, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in answers.items()
    ):
        return None
    return answers


def _paper_feedback(change, scope, enrolments, sessions, events, refusals, user, request) -> str:
    """One paper feedback form: validated by the online page's form, saved by record_feedback."""
    event = events.get(_int(change.get("event")))
    answers = _answers(change)
    if answers is None:
        return _("This change could not be read.")
    if event is None or not scope.can_see_people:
        return _("This event is not one you can change.")
    if refusal := _refusal(scope, event, refusals):
        return refusal
    form = PaperFeedbackForm(answers, event=event)
    if not form.is_valid():
        return _field_errors(form)
    record_feedback(event=event, source=Feedback.Source.PAPER, **form.answers())
    return ""


def _register(change, scope, enrolments, sessions, events, refusals, user, request) -> str:
    """A new person registered offline on the event's registration page (roster_new): validated
    by that page's form, checked for likely duplicates as the page checks them, and registered
    (with the consent given) and enrolled through the same services.

    Where the online page would stop and show people who may be the same (the same IIN, the
    same name and birth year or organisation, among the people the user may see) the change is
    refused with those people named, unless the form was sent with "create anyway"
    (confirm_new) after the page had shown them: the coordinator decides online, on the
    registration form filled in again from the refused change. Matches the user may not see
    are never named; register_person records them for programme staff, as online."""
    event = events.get(_int(change.get("event")))
    answers = _answers(change)
    if answers is None:
        return _("This change could not be read.")
    if event is None or not scope.can_see_people:
        return _("This event is not one you can change.")
    if refusal := _refusal(scope, event, refusals):
        return refusal
    form = RegisterPersonForm(answers, scope=scope)
    name = (answers.get("full_name") or "").strip()
    if not form.is_valid():
        return _field_errors(form, name)
    data = form.cleaned_data
    iin_hash = hash_iin(data["iin"]) if data["iin"] else ""
    duplicates = list(
        likely_duplicates(
            scope,
            full_name=data["full_name"],
            birth_year=data["birth_year"],
            organisation_id=data["organisation"].pk if data["organisation"] else None,
            organisation_name=data["organisation_name"],
            iin_hash=iin_hash,
        )[:10]
    )
    if duplicates and answers.get("confirm_new") != "1":
        return _(
            "%(name)s may already be in the registry: %(people)s. Open the registration form "
            "to add the existing person or to create a new one."
        ) % {"name": data["full_name"], "people": "; ".join(_who(p, iin_hash) for p in duplicates)}
    person = register_person(
        iin=data["iin"] or None,
        consent_given=True,
        consent_date=data["consent_date"],
        consent_version=data["consent_version"],
        consent_method=data["consent_method"],
        created_by=user,
        scope=scope,
        disability=form.disability_answers(),
        **form.person_fields(),
    )
    enrol(person=person, event=event)
    return ""


def _who(person, iin_hash: str) -> str:
    """A likely match as the registration page lists it: name, birth year, region,
    organisation (and whether the IIN is the same)."""
    details = [
        str(person.birth_year or "—"),
        person.region.name,
        str(person.organisation or person.organisation_name or "—"),
    ]
    if iin_hash and person.iin_hash == iin_hash:
        details.append(_("the same IIN"))
    return f"{person.full_name} ({', '.join(details)})"


def _kiosk_feedback(change, scope, enrolments, sessions, events, refusals, user, request) -> str:
    """One answer given on the coordinator's device in kiosk mode: validated with the public
    form's questions and messages (KioskFeedbackForm), stored anonymously as the public form
    stores it (record_kiosk_feedback). Not held to the public link's per-device and rate
    limits (the coordinator is signed in), only to FEEDBACK_KIOSK_DAILY_LIMIT per user."""
    event = events.get(_int(change.get("event")))
    answers = change.get("answers")
    language = change.get("language", "")
    if (
        not isinstance(answers, dict)
        or not all(isinstance(k, str) and isinstance(v, str) for k, v in answers.items())
        or not isinstance(language, str)
    ):
        return _("This change could not be read.")
    if event is None or not scope.can_see_people:
        return _("This event is not one you can change.")
    if refusal := _refusal(scope, event, refusals):
        return refusal
    form = KioskFeedbackForm(answers)
    if not form.is_valid():
        return _field_errors(form)
    if kiosk_answers_in_last_day(user) >= settings.FEEDBACK_KIOSK_DAILY_LIMIT:
        return _(
            "This account has sent %(n)s kiosk answers in the last 24 hours, the most allowed. "
            "Ask an administrator if more are needed."
        ) % {"n": settings.FEEDBACK_KIOSK_DAILY_LIMIT}
    record_kiosk_feedback(
        event=event,
        language=language[:5] if language[:5] in LANGUAGE_CODES else "",
        **form.answers(),
    )
    return ""


def kiosk_answers_in_last_day(user) -> int:
    """How many kiosk answers this user's devices had stored in the last 24 hours."""
    return SyncedChange.objects.filter(
        user=user,
        kind="kiosk_feedback",
        status=SyncedChange.Status.APPLIED,
        created__gte=timezone.now() - timedelta(days=1),
    ).count()


def _field_errors(form, name: str = "") -> str:
    """A form's errors in one line: "Field: message" (and the person's name first)."""
    parts = []
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        parts += [f"{label}: {e}" if label else str(e) for e in errors]
    text = " ".join(parts)
    return f"{name}: {text}" if name else text


APPLY = {
    "attendance": _attendance,
    "scores": _scores,
    "paper_feedback": _paper_feedback,
    "register": _register,
    "kiosk_feedback": _kiosk_feedback,
}


def _apply_one(change, scope, enrolments, sessions, events, refusals, user, request):
    key = change["key"]
    kind = change.get("kind")
    status, message = SyncedChange.Status.APPLIED, ""
    try:
        with transaction.atomic():
            if kind not in KINDS:
                status, message = SyncedChange.Status.REFUSED, _("This change could not be read.")
            else:
                try:
                    with transaction.atomic():
                        message = APPLY[kind](
                            change, scope, enrolments, sessions, events, refusals, user, request
                        )
                except ValidationError as error:
                    message = " ".join(error.messages)
                if message:
                    status = SyncedChange.Status.REFUSED
            SyncedChange.objects.create(
                user=user, key=key, kind=str(kind)[:20], status=status, message=str(message)
            )
    except IntegrityError:
        # The same key arrived at the same moment from another tab: that one was applied.
        stored = SyncedChange.objects.get(user=user, key=key)
        return _result(key, stored.status, stored.message)
    return _result(key, status, str(message))
