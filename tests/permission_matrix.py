"""Who may open which page: the expectations walked by tests/test_permission_matrix.py.

The test introspects EVERY named URL pattern of the project (config.urls, recursively, with
namespaces) and requests it as each role. A URL name missing from MATRIX fails the test, so a
new page cannot ship without deciding who may see it.

HOW TO ADD AN ENTRY (one line per URL name, "namespace:name"):

    "trainings:event_detail": page({"pk": "event"}, REGION_OBJECT),
    "reports:run_download": page({"pk": "report_run", "fmt": "=xlsx"}, REGION_OBJECT),
    "trainings:session_toggle": page({"pk": "session"}, POST_ONLY),

- kwargs: each value names an object built by OBJECTS below ("event" -> its pk;
  "event.feedback_token" -> that attribute; "=xlsx" -> the literal string "xlsx").
  Every object is of region A (Mangystau, KZ-47). Need another kind of object? Add a builder
  to OBJECTS (a function returning one object of region A, preferably from the demo data).
- expect: the status per role. Roles: anonymous, viewer, coordinator_own (coordinator of
  Mangystau = the object's region), coordinator_other (coordinator of Kyzylorda), staff, admin.
  Use a preset (LOGIN, REGION_OBJECT, PERSONAL, MANAGE, ADMIN_ONLY, PUBLIC...) or
  `expect(ANON=302, viewer=403, ...)`. Rules of the project: outside the user's scope is 404,
  not 403 (existence must not leak); a viewer never gets personal data (404 on a person's
  page, 403 on a page that only lists people); a GET on a POST-only view is 405.
- query: optional query string appended to the URL ("?q=..." ).
Viewers' 200 responses are also checked for the name of a demo person (never shown to them),
and every response carries the Content-Security-Policy header.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

ROLES = ("anonymous", "viewer", "coordinator_own", "coordinator_other", "staff", "admin")


def expect(
    anonymous=302, viewer=200, coordinator_own=200, coordinator_other=200, staff=200, admin=200
):
    """Expected status per role; defaults: anonymous is sent to the login page, others 200."""
    return {
        "anonymous": anonymous,
        "viewer": viewer,
        "coordinator_own": coordinator_own,
        "coordinator_other": coordinator_other,
        "staff": staff,
        "admin": admin,
    }


# Presets ------------------------------------------------------------------------------------
PUBLIC = expect(anonymous=200)  # anyone, logged in or not
LOGIN = expect()  # any logged-in user; anonymous -> login page
# An object of region A that aggregates-only viewers may see (events, sessions, reports).
REGION_OBJECT = expect(coordinator_other=404)
# An object of region A that viewers may not see either (a person, an enrolment, feedback text).
PERSONAL = expect(viewer=404, coordinator_other=404)
# A page listing people (no object in the URL): viewers are refused, coordinators see their own.
PEOPLE_LIST = expect(viewer=403)
# Edits of region data: viewers refused, coordinators of other regions 404.
REGION_EDIT = expect(viewer=403, coordinator_other=404)
# Pages for editors without an object: viewers refused.
EDITORS = expect(viewer=403)
# Administration pages of Qadam itself (users, audit log).
ADMIN_ONLY = expect(viewer=403, coordinator_own=403, coordinator_other=403, staff=403)
# Admins and programme staff (reference data, settings of the programme).
STAFF_ONLY = expect(viewer=403, coordinator_own=403, coordinator_other=403)
# Staff review pages whose very existence says something about other regions: 404 for others.
STAFF_ONLY_HIDDEN = expect(viewer=404, coordinator_own=404, coordinator_other=404)
# Django admin: only is_staff users (demo: the admin) get in; others go to the admin login.
DJANGO_ADMIN = expect(viewer=302, coordinator_own=302, coordinator_other=302, staff=302)
# The REST API (/api/v1/, api/): the matrix sends each role's own Bearer token there (a session
# cookie does not open it), so anonymous is 401 and the rest is the pages' Scope; a viewer is
# refused (403) every list and record of people.
API = expect(anonymous=401)
API_REGION_OBJECT = expect(anonymous=401, coordinator_other=404)
API_PEOPLE = expect(anonymous=401, viewer=403)
API_PERSONAL = expect(anonymous=401, viewer=403, coordinator_other=404)
# Something of the Mangystau coordinator's own (an export job): 404 for everyone else.
OWNER_ONLY = expect(viewer=404, coordinator_other=404, staff=404, admin=404)
# A POST-only endpoint opened with GET.
POST_ONLY = expect(
    anonymous=405, viewer=405, coordinator_own=405, coordinator_other=405, staff=405, admin=405
)
POST_ONLY_LOGIN = expect(
    viewer=405, coordinator_own=405, coordinator_other=405, staff=405, admin=405
)


@dataclass
class Page:
    kwargs: dict[str, str] = field(default_factory=dict)
    expect: dict[str, int] = field(default_factory=lambda: dict(LOGIN))
    query: str = ""


def page(
    kwargs: dict[str, str] | None = None, expected: dict[str, int] | None = None, query: str = ""
) -> Page:
    return Page(kwargs or {}, dict(expected or LOGIN), query)


# Objects of region A (Mangystau) the kwargs refer to ---------------------------------------
def _event():
    from trainings.models import TrainingEvent

    return (
        TrainingEvent.objects.filter(region__code="KZ-47", enrolments__isnull=False)
        .order_by("start_date", "pk")
        .first()
    )


def _session():
    return _event().sessions.order_by("date", "pk").first()


def _person():
    """A person living in Mangystau who only went to Mangystau events: a coordinator of
    Kyzylorda must not see them."""
    from participants.models import Participant

    return (
        Participant.objects.filter(region__code="KZ-47", enrolments__isnull=False)
        .exclude(enrolments__event__region__code__in=["KZ-43"])
        .order_by("pk")
        .first()
    )


def _enrolment():
    return _event().enrolments.order_by("pk").first()


def _feedback():
    from participants.models import Feedback

    return Feedback.objects.filter(event__region__code="KZ-47").order_by("pk").first()


def _attendance():
    return _enrolment().attendances.order_by("pk").first()


def _assessment():
    from participants.models import Assessment

    return (
        Assessment.objects.filter(enrolment__event__region__code="KZ-47")
        .exclude(enrolment__event__region__code="KZ-43")
        .order_by("pk")
        .first()
    )


def _region():
    from regions.models import Region

    return Region.objects.get(code="KZ-47")


def _user():
    """A user to administer: the Mangystau coordinator."""
    from accounts.models import User

    return User.objects.get(username="coord.mangystau")


def _programme():
    from trainings.models import Programme

    return Programme.objects.order_by("pk").first()


def _indicator():
    from reports.models import Indicator

    return Indicator.objects.order_by("pk").first()


def _report_run():
    """A finished report run requested by the Mangystau coordinator for their region, with its
    xlsx file (viewers may see finished runs and download them)."""
    from reports.models import ReportFile, ReportRun

    run = (
        ReportRun.objects.filter(
            requested_by__username="coord.mangystau", status="done", files__format="xlsx"
        )
        .order_by("pk")
        .first()
    )
    if run is not None:
        return run
    from datetime import date

    from django.core.files.base import ContentFile
    from django.utils import timezone

    from accounts.models import User

    run = ReportRun.objects.create(
        requested_by=User.objects.get(username="coord.mangystau"),
        period_label="2024Q3",
        period_start=date(2024, 7, 1),
        period_end=date(2024, 9, 30),
        formats=["xlsx"],
        status="done",
        percent=100,
        started_at=timezone.now(),
        finished_at=timezone.now(),
    )
    run.regions.set([_region()])
    report_file = ReportFile(run=run, format="xlsx", size=6)
    report_file.file.save("matrix.xlsx", ContentFile(b"matrix"), save=True)
    return run


def _narrative():
    """The Q3 2024 narrative of Mangystau (region A)."""
    from datetime import date

    from reports.models import Narrative

    narrative, _created = Narrative.objects.get_or_create(
        programme=_programme(),
        period_label="2024Q3",
        region=_region(),
        defaults={
            "period_start": date(2024, 7, 1),
            "period_end": date(2024, 9, 30),
            "highlights": "Two trainings held in Aktau.",
        },
    )
    return narrative


def _district():
    """A district of region A with events and people (Beyneu)."""
    from regions.models import District

    return District.objects.get(region__code="KZ-47", name_en="Beyneu District")


def _partner():
    from regions.models import PartnerOrganisation

    return PartnerOrganisation.objects.filter(region__code="KZ-47").order_by("pk").first()


def _activity_line():
    from trainings.models import ActivityLine

    return ActivityLine.objects.order_by("pk").first()


def _category():
    from participants.models import ParticipantCategory

    return ParticipantCategory.objects.order_by("pk").first()


def _topic():
    from trainings.models import Topic

    return Topic.objects.order_by("pk").first()


def _facilitator():
    from trainings.models import Facilitator

    return Facilitator.objects.order_by("pk").first()


def _import_batch():
    """An import uploaded by the Mangystau coordinator for a Mangystau event."""
    from participants.imports.services import start_import

    coord = _user()
    data = "ФИО;Пол;Год рождения\nТестов Матрица;М;1990\n".encode()
    return start_import(event=_event(), data=data, filename="matrix.csv", user=coord)


def _export_job():
    """A finished export of the Mangystau coordinator (the event list, as CSV): only its owner
    sees it (404 for everyone else, admins included)."""
    from django.core.files.base import ContentFile

    from accounts.scope import scope_for
    from participants.export_jobs import scope_to_json
    from participants.models import ExportJob

    coord = _user()
    job = ExportJob.objects.create(
        user=coord, kind="events", format="csv", scope=scope_to_json(scope_for(coord))
    )
    job.file.save("matrix.csv", ContentFile(b"ID\n"), save=False)
    job.status = ExportJob.Status.DONE
    job.filename = "qadam-events-matrix.csv"
    job.save()
    return job


def _possible_duplicate():
    """A pair of Mangystau records an import flagged as perhaps the same person."""
    from participants.models import Participant, PossibleDuplicate

    existing = _person()
    other = Participant.objects.filter(region__code="KZ-47").exclude(pk=existing.pk)
    return PossibleDuplicate.objects.create(
        existing=existing, new_person=other.order_by("pk").first(), how="name"
    )


def _image() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (0, 90, 170)).save(out, "JPEG")
    return out.getvalue()


def _event_photo():
    """A photo the Mangystau coordinator kept with a Mangystau event."""
    from trainings.services import add_event_file

    return add_event_file(event=_event(), kind="photo", data=_image(), filename="room.jpg")


def _event_sheet():
    """A scanned sign-in sheet of a Mangystau event: personal data (never for viewers)."""
    from trainings.services import add_event_file

    pdf = b"%PDF-1.4\n%%EOF\n"
    return add_event_file(event=_event(), kind="sign_in_sheet", data=pdf, filename="s.pdf")


def _report_logo():
    from reports.branding import set_logo

    return set_logo(role="donor", name="Government of Japan", data=_image())


def _webhook_endpoint():
    from webhooks.models import WebhookEndpoint

    return WebhookEndpoint.objects.create(
        name="Power BI gateway", url="https://example.org/hook", kinds=["event.created"]
    )


def _webhook_delivery():
    from webhooks.models import WebhookDelivery

    return WebhookDelivery.objects.create(
        endpoint=_webhook_endpoint(), kind="event.created", payload={"data": {}}
    )


def _kobo_connection():
    """A KoboToolbox form connected to a Mangystau event."""
    from kobo.services import connect_form

    connection, _secret = connect_form(
        name="Post-training survey",
        target="event",
        event=_event(),
        questions={"full_name": "p/name", "birth_year": "p/year", "pre_score": "t/pre"},
        by=None,
    )
    return connection


def _kobo_submission():
    """A submission of that form waiting in the queue (its person is not in the registry)."""
    from kobo.models import KoboSubmission

    return KoboSubmission.objects.create(
        connection=_kobo_connection(),
        uuid="b5c1e6c2-5f1a-4a7e-9d0e-1f2a3b4c5d6e",
        payload={"p/name": "Nobody Known", "p/year": "1990", "t/pre": "40"},
        status=KoboSubmission.Status.WAITING,
        reason="No person in the registry matches Nobody Known (1990).",
    )


def _followup_round():
    from followup.models import Round

    return Round.objects.filter(event_type="training").order_by("months", "pk").first()


def _question_set():
    from followup.models import QuestionSet

    return QuestionSet.objects.order_by("pk").first()


def _followup_call():
    """A follow-up invitation of a Mangystau participant to be called (no e-mail, open): its
    own row, whatever the demo's follow-up holds (the demo's invitation of the same person,
    event and round, answered or expired, is made open again for the call)."""
    from datetime import timedelta

    from django.utils import timezone

    from followup.models import Invitation, hash_token

    enrolment = _enrolment()
    person = enrolment.participant
    person.followup_consent = True
    person.save()
    round = _followup_round()
    nonce = "permission-matrix"
    invitation, _created = Invitation.objects.update_or_create(
        key=f"{round.pk}:{enrolment.event_id}:{person.pk}",
        defaults={
            "round": round,
            "event": enrolment.event,
            "participant": person,
            "channel": Invitation.Channel.CALL,
            "nonce": nonce,
            "token_hash": hash_token(Invitation(nonce=nonce).token),
            "due_on": timezone.localdate(),
            "expires_at": timezone.now() + timedelta(days=30),
            "language": "en",
            "answered_at": None,
            "answers": {},
            "refused_at": None,
            "entered_by": None,
        },
    )
    return invitation


OBJECTS: dict[str, Callable[[], object]] = {
    "followup_round": _followup_round,
    "question_set": _question_set,
    "followup_call": _followup_call,
    "webhook_endpoint": _webhook_endpoint,
    "webhook_delivery": _webhook_delivery,
    "kobo_connection": _kobo_connection,
    "kobo_submission": _kobo_submission,
    "event_photo": _event_photo,
    "event_sheet": _event_sheet,
    "report_logo": _report_logo,
    "import_batch": _import_batch,
    "export_job": _export_job,
    "possible_duplicate": _possible_duplicate,
    "event": _event,
    "session": _session,
    "person": _person,
    "enrolment": _enrolment,
    "attendance": _attendance,
    "assessment": _assessment,
    "feedback": _feedback,
    "region": _region,
    "user": _user,
    "programme": _programme,
    "indicator": _indicator,
    "report_run": _report_run,
    "narrative": _narrative,
    "district": _district,
    "partner": _partner,
    "activity_line": _activity_line,
    "category": _category,
    "topic": _topic,
    "facilitator": _facilitator,
}

# URL name patterns not walked (with the reason). Django admin's own pages are many and
# generated; a few representative changelists are in MATRIX instead.
SKIP_PREFIXES = {
    "admin:": "Django admin internals (representative changelists are in MATRIX)",
}
ADMIN_SAMPLES = {
    "admin:index",
    "admin:trainings_trainingevent_changelist",
    "admin:participants_participant_changelist",
    "admin:accounts_user_changelist",
}

# The matrix -------------------------------------------------------------------------------
MATRIX: dict[str, Page] = {
    # Project-level
    "home": page(),
    "login": page(
        expected=expect(
            anonymous=200,
            viewer=302,
            coordinator_own=302,
            coordinator_other=302,
            staff=302,
            admin=302,
        )
    ),
    # Django 5: logout is POST-only.
    "logout": page(expected=POST_ONLY),
    # Language switcher: a GET just redirects back.
    "set_language": page(
        expected=expect(
            anonymous=302,
            viewer=302,
            coordinator_own=302,
            coordinator_other=302,
            staff=302,
            admin=302,
        )
    ),
    "healthz": page(expected=expect(anonymous=200)),
    # Working offline (ADR 0018): the service worker and manifest are public files; the list of
    # pages to keep is the user's own (empty for viewers); the sync endpoint takes POST only.
    "service_worker": page(expected=PUBLIC),
    "web_manifest": page(expected=PUBLIC),
    "offline:pages": page(),
    "offline:sync": page(expected=POST_ONLY_LOGIN),
    # Django admin samples (index + changelists; ScopedAdmin filters the rows)
    "admin:index": page(expected=DJANGO_ADMIN),
    "admin:trainings_trainingevent_changelist": page(expected=DJANGO_ADMIN),
    "admin:participants_participant_changelist": page(expected=DJANGO_ADMIN),
    "admin:accounts_user_changelist": page(expected=DJANGO_ADMIN),
    # Events
    "trainings:event_list": page(),
    "trainings:event_detail": page({"pk": "event"}, REGION_OBJECT),
    "trainings:event_create": page(expected=EDITORS),
    "trainings:event_edit": page({"pk": "event"}, REGION_EDIT),
    # The demo event is held: the page explains why it cannot be deleted (no delete button).
    "trainings:event_delete": page({"pk": "event"}, REGION_EDIT),
    "trainings:event_mark_held": page({"pk": "event"}, POST_ONLY_LOGIN),
    # GET: the confirmation page saying what reporting locks.
    "trainings:event_mark_reported": page({"pk": "event"}, REGION_EDIT),
    "trainings:event_unlock": page({"pk": "event"}, POST_ONLY_LOGIN),
    "trainings:event_sessions": page({"pk": "event"}, REGION_EDIT),
    "trainings:sessions_per_day": page({"pk": "event"}, POST_ONLY_LOGIN),
    "trainings:session_edit": page({"pk": "session"}, REGION_EDIT),
    "trainings:event_files": page({"pk": "event"}, REGION_EDIT),
    "trainings:event_file_download": page({"pk": "event_sheet"}, PERSONAL),
    "trainings:event_file_thumbnail": page({"pk": "event_photo"}, REGION_OBJECT),
    "trainings:event_file_edit": page({"pk": "event_photo"}, REGION_EDIT),
    "trainings:event_file_delete": page({"pk": "event_photo"}, REGION_EDIT),
    "trainings:session_delete": page({"pk": "session"}, REGION_EDIT),
    # People
    "participants:person_detail": page({"pk": "person"}, PERSONAL),
    # People list, edit and merge; roster and attendance of an event (participants/urls.py)
    "participants:person_list": page(expected=PEOPLE_LIST),
    "participants:person_edit": page({"pk": "person"}, PERSONAL),
    "participants:person_merge": page({"pk": "person"}, PERSONAL),
    "participants:person_consent": page({"pk": "person"}, PERSONAL),
    # Possible cross-region duplicates: programme staff and admins only, absent for others
    "participants:possible_duplicates": page(expected=STAFF_ONLY_HIDDEN),
    "participants:possible_duplicate_dismiss": page(
        {"pk": "possible_duplicate"}, STAFF_ONLY_HIDDEN
    ),
    "participants:roster_add": page({"event_pk": "event"}, REGION_EDIT, query="?q=a"),
    "participants:roster_new": page({"event_pk": "event"}, REGION_EDIT),
    "participants:roster_many": page({"event_pk": "event"}, REGION_EDIT),
    "participants:roster_remove": page({"event_pk": "event", "pk": "enrolment"}, REGION_EDIT),
    "participants:attendance_grid": page({"event_pk": "event"}, REGION_EDIT),
    "participants:attendance_toggle": page({"event_pk": "event"}, POST_ONLY_LOGIN),
    "participants:attendance_all_present": page({"event_pk": "event"}, POST_ONLY_LOGIN),
    # Qadam administration (accounts/urls.py): admins only
    "accounts:user_list": page(expected=ADMIN_ONLY),
    "accounts:user_create": page(expected=ADMIN_ONLY),
    "accounts:user_edit": page({"pk": "user"}, ADMIN_ONLY),
    "accounts:user_password_link": page({"pk": "user"}, ADMIN_ONLY),
    "accounts:user_deactivate": page({"pk": "user"}, ADMIN_ONLY),
    # A set-password link with a wrong token: a page saying so, for anyone.
    "accounts:set_password": page({"uidb64": "=MQ", "token": "=bad-token"}, PUBLIC),
    "accounts:two_factor_setup": page(expected=STAFF_ONLY),
    "accounts:mail_preferences": page(),
    "two_factor_verify": page(),
    "accounts:audit_log": page(expected=ADMIN_ONLY),
    "accounts:security_log": page(expected=ADMIN_ONLY),
    "privacy:person_export": page({"pk": "person"}, ADMIN_ONLY),
    "privacy:person_erase": page({"pk": "person"}, ADMIN_ONLY),
    "privacy:retention": page(expected=ADMIN_ONLY),
    # Spreadsheet import and list exports (participants/import_urls.py)
    "imports:home": page(expected=EDITORS),
    "imports:template": page(expected=EDITORS, query="?kind=attendance&lang=kk&fmt=xlsx"),
    "imports:upload": page({"pk": "event"}, REGION_EDIT),
    "imports:batch_detail": page({"pk": "import_batch"}, PERSONAL),
    "imports:batch_progress": page({"pk": "import_batch"}, PERSONAL),
    "imports:batch_file": page({"pk": "import_batch"}, PERSONAL),
    "imports:batch_confirm": page({"pk": "import_batch"}, POST_ONLY_LOGIN),
    "imports:batch_sheet": page({"pk": "import_batch"}, POST_ONLY_LOGIN),
    "imports:export_events": page({"fmt": "=csv"}, LOGIN),
    "imports:export_participants": page({"fmt": "=xlsx"}, PEOPLE_LIST),
    "imports:export_attendance": page({"fmt": "=csv"}, PEOPLE_LIST),
    # "My exports": everyone's own list; a job is its owner's only (the Mangystau coordinator).
    "exports:list": page(expected=LOGIN),
    "exports:progress": page({"pk": "export_job"}, OWNER_ONLY),
    "exports:download": page({"pk": "export_job"}, OWNER_ONLY),
    "exports:delete": page({"pk": "export_job"}, OWNER_ONLY),
    "exports:retry": page({"pk": "export_job"}, POST_ONLY_LOGIN),
    # Report runs (reports/views.py): viewers see finished runs and download their files.
    "reports:run_list": page(),
    "reports:run_new": page(expected=EDITORS),
    "reports:run_detail": page({"pk": "report_run"}, REGION_OBJECT),
    "reports:run_progress": page({"pk": "report_run"}, REGION_OBJECT),
    "reports:run_retry": page({"pk": "report_run"}, POST_ONLY_LOGIN),
    "reports:run_download": page({"pk": "report_run", "fmt": "=xlsx"}, REGION_OBJECT),
    # Results framework and narratives (reports/framework_views.py): all read, staff edit.
    "reports:indicator_list": page(),
    "reports:indicator_detail": page({"pk": "indicator"}),
    "reports:indicator_create": page(expected=STAFF_ONLY),
    "reports:indicator_edit": page({"pk": "indicator"}, STAFF_ONLY),
    "reports:indicator_delete": page({"pk": "indicator"}, STAFF_ONLY),
    "reports:narrative_list": page(),
    "closing:overview": page(),
    # The dashboard's progress section (dashboard/views.py, loaded by htmx): every signed-in role.
    "on_track": page(),
    "closing:region_quarter": page(
        {"programme": "programme", "quarter": "=2024Q3", "region": "region"}, REGION_OBJECT
    ),
    # A region's narrative for its quarter: its coordinators (and staff) write it; a viewer is
    # sent back to the quarter's page with the reason.
    "closing:region_narrative": page(
        {"programme": "programme", "quarter": "=2024Q3", "region": "region"},
        expect(viewer=302, coordinator_other=404),
    ),
    # The explanation of variance: staff and admins, by POST only.
    "reports:indicator_comment": page(
        {"pk": "indicator"},
        expect(viewer=403, coordinator_own=403, coordinator_other=403, staff=405, admin=405),
    ),
    "reports:narrative_create": page(expected=STAFF_ONLY),
    "reports:narrative_edit": page({"pk": "narrative"}, STAFF_ONLY),
    # Quotes to review before donor reports use them (reports/quote_views.py): staff and admins.
    "reports:quote_review": page(expected=STAFF_ONLY),
    "reports:quote_decide": page({"pk": "feedback"}, POST_ONLY_LOGIN),
    # Follow-up surveys (followup/urls.py): staff set rounds and question sets; coordinators
    # call people of their regions' events; the personal links are public (no account).
    "followup:rounds": page(expected=STAFF_ONLY),
    "followup:round_create": page(expected=STAFF_ONLY),
    "followup:round_edit": page({"pk": "followup_round"}, STAFF_ONLY),
    "followup:question_set_create": page(expected=STAFF_ONLY),
    "followup:question_set_edit": page({"pk": "question_set"}, STAFF_ONLY),
    "followup:calls": page(expected=EDITORS),
    "followup:call_entry": page({"pk": "followup_call"}, REGION_EDIT),
    "followup:answer": page({"token": "followup_call.token"}, PUBLIC),
    "followup:refuse": page({"token": "followup_call.token"}, PUBLIC),
    # Feedback: the public link (no account), an event's feedback pages (participants/urls.py)
    "feedback:form": page({"token": "event.feedback_token"}, PUBLIC),
    "feedback:thanks": page({"token": "event.feedback_token"}, PUBLIC),
    # The programme's IATI file for the IATI Registry (reports/public_views.py): anyone.
    "iati_activity": page({"code": "=PVE-KZ-JP"}, PUBLIC),
    "participants:event_feedback": page({"event_pk": "event"}, REGION_EDIT),
    "participants:event_feedback_qr": page({"event_pk": "event"}, REGION_EDIT),
    "participants:event_feedback_print": page({"event_pk": "event"}, REGION_EDIT),
    "participants:event_feedback_toggle": page({"event_pk": "event"}, POST_ONLY_LOGIN),
    "participants:event_feedback_entry": page({"event_pk": "event"}, REGION_EDIT),
    "participants:event_feedback_kiosk": page({"event_pk": "event"}, REGION_EDIT),
    "participants:event_scores_entry": page({"event_pk": "event"}, REGION_EDIT),
    # Management of regions, partners and reference data (regions/manage_urls.py): admins only
    "manage:index": page(expected=ADMIN_ONLY),
    "manage:region_list": page(expected=ADMIN_ONLY),
    "manage:region_edit": page({"pk": "region"}, ADMIN_ONLY),
    "manage:district_merge": page({"pk": "district"}, ADMIN_ONLY),
    "manage:partner_detail": page({"pk": "partner"}, ADMIN_ONLY),
    "manage:report_logos": page(expected=ADMIN_ONLY),
    "manage:report_logo_image": page({"pk": "report_logo"}, ADMIN_ONLY),
    "manage:report_logo_remove": page(
        {"pk": "report_logo"},
        expect(viewer=403, coordinator_own=403, coordinator_other=403, staff=403, admin=405),
    ),
    "manage:district_list": page(expected=ADMIN_ONLY),
    # Webhooks (webhooks/): endpoints, their secrets and the delivery log are for admins only.
    "webhooks:endpoint_list": page(expected=ADMIN_ONLY),
    "webhooks:endpoint_create": page(expected=ADMIN_ONLY),
    "webhooks:endpoint_edit": page({"pk": "webhook_endpoint"}, ADMIN_ONLY),
    "webhooks:delivery_list": page(expected=ADMIN_ONLY),
    "webhooks:delivery_detail": page({"pk": "webhook_delivery"}, ADMIN_ONLY),
    "webhooks:delivery_replay": page({"pk": "webhook_delivery"}, ADMIN_ONLY),
    "manage:district_create": page(expected=ADMIN_ONLY),
    "manage:district_edit": page({"pk": "district"}, ADMIN_ONLY),
    "manage:district_deactivate": page({"pk": "district"}, ADMIN_ONLY),
    "manage:district_delete": page({"pk": "district"}, ADMIN_ONLY),
    "manage:partner_list": page(expected=ADMIN_ONLY),
    "manage:partner_create": page(expected=ADMIN_ONLY),
    "manage:partner_edit": page({"pk": "partner"}, ADMIN_ONLY),
    "manage:partner_deactivate": page({"pk": "partner"}, ADMIN_ONLY),
    "manage:partner_delete": page({"pk": "partner"}, ADMIN_ONLY),
    "manage:programme_list": page(expected=ADMIN_ONLY),
    "manage:programme_create": page(expected=ADMIN_ONLY),
    "manage:programme_edit": page({"pk": "programme"}, ADMIN_ONLY),
    "manage:programme_deactivate": page({"pk": "programme"}, ADMIN_ONLY),
    "manage:programme_delete": page({"pk": "programme"}, ADMIN_ONLY),
    "manage:activityline_list": page(expected=ADMIN_ONLY),
    "manage:activityline_create": page(expected=ADMIN_ONLY),
    "manage:activityline_edit": page({"pk": "activity_line"}, ADMIN_ONLY),
    "manage:activityline_deactivate": page({"pk": "activity_line"}, ADMIN_ONLY),
    "manage:activityline_delete": page({"pk": "activity_line"}, ADMIN_ONLY),
    "manage:category_list": page(expected=ADMIN_ONLY),
    "manage:category_create": page(expected=ADMIN_ONLY),
    "manage:category_edit": page({"pk": "category"}, ADMIN_ONLY),
    "manage:category_deactivate": page({"pk": "category"}, ADMIN_ONLY),
    "manage:category_delete": page({"pk": "category"}, ADMIN_ONLY),
    "manage:topic_list": page(expected=ADMIN_ONLY),
    "manage:topic_create": page(expected=ADMIN_ONLY),
    "manage:topic_edit": page({"pk": "topic"}, ADMIN_ONLY),
    "manage:topic_deactivate": page({"pk": "topic"}, ADMIN_ONLY),
    "manage:topic_delete": page({"pk": "topic"}, ADMIN_ONLY),
    "manage:facilitator_list": page(expected=ADMIN_ONLY),
    "manage:facilitator_create": page(expected=ADMIN_ONLY),
    "manage:facilitator_edit": page({"pk": "facilitator"}, ADMIN_ONLY),
    "manage:facilitator_deactivate": page({"pk": "facilitator"}, ADMIN_ONLY),
    "manage:facilitator_delete": page({"pk": "facilitator"}, ADMIN_ONLY),
    # The REST API (api/views.py): reads here, see the API presets above; the writes on the
    # same URLs (api/write_views.py) are tested per role in tests/test_api_writes.py.
    "api:programme-list": page(expected=API),
    "api:programme-detail": page({"pk": "programme"}, API),
    "api:region-list": page(expected=API),
    "api:region-detail": page({"pk": "region"}, API_REGION_OBJECT),
    "api:district-list": page(expected=API),
    "api:district-detail": page({"pk": "district"}, API_REGION_OBJECT),
    "api:partner-list": page(expected=API),
    "api:partner-detail": page({"pk": "partner"}, API_REGION_OBJECT),
    "api:category-list": page(expected=API),
    "api:category-detail": page({"pk": "category"}, API),
    "api:event-list": page(expected=API),
    "api:event-detail": page({"pk": "event"}, API_REGION_OBJECT),
    "api:deletedevent-list": page(expected=API),
    "api:deleted-list": page(expected=API),
    "api:session-list": page(expected=API),
    "api:session-detail": page({"pk": "session"}, API_REGION_OBJECT),
    "api:enrolment-list": page(expected=API_PEOPLE),
    "api:enrolment-detail": page({"pk": "enrolment"}, API_PERSONAL),
    "api:attendance-list": page(expected=API_PEOPLE),
    "api:attendance-detail": page({"pk": "attendance"}, API_PERSONAL),
    # Viewers read the scores of feedback forms, never their texts or who wrote them.
    "api:feedback-list": page(expected=API),
    "api:feedback-detail": page({"pk": "feedback"}, API_REGION_OBJECT),
    "api:assessment-list": page(expected=API_PEOPLE),
    "api:assessment-detail": page({"pk": "assessment"}, API_PERSONAL),
    "api:participant-list": page(expected=API_PEOPLE),
    "api:participant-detail": page({"pk": "person"}, API_PERSONAL),
    "api:indicator-list": page(expected=API),
    "api:indicator-detail": page({"pk": "indicator"}, API),
    "api:reportrun-list": page(expected=API),
    "api:reportrun-detail": page({"pk": "report_run"}, API_REGION_OBJECT),
    "api:report_file": page({"pk": "report_run", "fmt": "=xlsx"}, API_REGION_OBJECT),
    # The schema and its docs page describe the API, not data: public like docs/api.md.
    "api:schema": page(expected=PUBLIC),
    "api:docs": page(expected=PUBLIC),
    # The signed-in user's own API tokens (session login, like every page).
    "api:tokens": page(),
    "api:token_revoke": page({"pk": "=1"}, POST_ONLY_LOGIN),
    # KoboToolbox (kobo/): Kobo posts submissions to the intake with the form's secret (a GET
    # is 405 for everyone); connecting forms and the waiting queue are programme staff's.
    "kobo:intake": page({"slug": "kobo_connection.slug"}, POST_ONLY),
    "kobo:connections": page(expected=STAFF_ONLY),
    "kobo:connection_new": page(expected=STAFF_ONLY),
    "kobo:connection": page({"pk": "kobo_connection"}, STAFF_ONLY),
    "kobo:connection_secret": page({"pk": "kobo_connection"}, POST_ONLY_LOGIN),
    "kobo:waiting": page(expected=STAFF_ONLY),
    "kobo:submission": page({"pk": "kobo_submission"}, STAFF_ONLY),
    "kobo:submission_apply": page({"pk": "kobo_submission"}, POST_ONLY_LOGIN),
    "kobo:submission_discard": page({"pk": "kobo_submission"}, POST_ONLY_LOGIN),
}
