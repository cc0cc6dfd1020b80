"""Small security fixes (issue 13): admin history pages, two-factor set-up, event unlock
reasons and the attendance grid's empty POST."""

from datetime import date

import pytest
from django.apps import apps
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.utils import timezone

from accounts.models import Role

from .factories import EventFactory, UserFactory, coordinator

pytestmark = pytest.mark.django_db


# --- Admin "History" ----------------------------------------------------------------------


def _registered_models():
    return sorted(admin.site._registry, key=lambda m: m._meta.label)


def _small_png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (32, 32), "white").save(out, "PNG")
    return out.getvalue()


def _one_of_each_registered_model(user):
    """Rows for the registered models the demo data leaves empty, so every History page has
    an object to open."""
    from axes.models import AccessAttempt, AccessFailureLog
    from django.contrib.auth.models import Group
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from api.services import create_token
    from closing.models import Notification
    from participants.models import ImportBatch, Participant
    from reports.models import Narrative, ReportFile, ReportRun
    from trainings.models import RegionQuarter

    create_token(user=user, name="History")
    from api.models import IdempotencyKey

    IdempotencyKey.objects.create(
        user=user,
        key="retry-1",
        method="POST",
        path="/api/v1/sessions/",
        body_hash="0" * 64,
        status_code=201,
        response={"id": 1},
    )
    Group.objects.get_or_create(name="History readers")
    AccessAttempt.objects.create(username="someone", ip_address="10.0.0.1", failures_since_start=1)
    AccessFailureLog.objects.create(username="someone", ip_address="10.0.0.1")
    TOTPDevice.objects.create(user=UserFactory(), name="phone", confirmed=True)
    ImportBatch.objects.create(
        event=EventFactory(), file="imports/x.xlsx", original_name="x.xlsx", created_by=user
    )
    run = ReportRun.objects.create(
        period_label="2024Q3",
        period_start=date(2024, 7, 1),
        period_end=date(2024, 9, 30),
        formats=["csv"],
        requested_by=user,
    )
    ReportFile.objects.create(run=run, format="csv", file="reports/x.csv", size=1)
    Narrative.objects.create(
        period_label="2024Q3", period_start=date(2024, 7, 1), period_end=date(2024, 9, 30)
    )
    from reports.models import Indicator, IndicatorComment

    IndicatorComment.objects.create(
        indicator=Indicator.objects.order_by("pk").first(),
        period_label="2024Q3",
        text="Camps moved to October.",
        updated_by=user,
    )
    event = EventFactory()
    from reports.branding import set_logo
    from trainings.services import add_event_file

    add_event_file(
        event=event, kind="agenda", data=b"%PDF-1.4\n%%EOF\n", filename="agenda.pdf", by=user
    )
    set_logo(role="donor", name="Donor", data=_small_png())
    quarter, _ = RegionQuarter.objects.get_or_create(
        programme=event.programme, region=event.region, quarter="2024Q3"
    )
    quarter.transitions.create(by=user, from_status="open", to_status="open", comment="Hello")
    Notification.objects.create(
        key="reminder_before:test",
        recipient=user,
        kind=Notification.Kind.REMINDER_BEFORE,
        programme=event.programme,
        region=event.region,
        quarter="2024Q3",
    )
    try:  # being added to the registry in parallel work (participants/duplicates.py)
        duplicate = apps.get_model("participants", "PossibleDuplicate")
    except LookupError:
        duplicate = None
    from participants.models import SyncedChange

    SyncedChange.objects.create(user=user, key="k-1", kind="attendance", status="applied")
    from participants.models import ExportJob

    ExportJob.objects.create(user=user, kind="events", format="csv", scope={"regions": None})
    from webhooks.models import WebhookDelivery, WebhookEndpoint

    endpoint = WebhookEndpoint.objects.create(name="Hook", url="https://example.org/hook")
    WebhookDelivery.objects.create(endpoint=endpoint, kind="event.created", payload={})
    event.sessions.create(date=event.start_date).delete()  # leaves a tombstone
    from kobo.models import KoboSubmission
    from kobo.services import connect_form

    connection, _secret = connect_form(
        name="Kobo survey",
        target="event",
        event=event,
        questions={"full_name": "name", "satisfaction": "q1"},
        by=user,
    )
    KoboSubmission.objects.create(connection=connection, uuid="u-1", payload={"name": "X"})
    from followup.models import Invitation, Round, hash_token

    follow_up = Invitation(
        key="history",
        round=Round.objects.order_by("pk").first(),
        event=event,
        participant=Participant.objects.order_by("pk").first(),
        channel=Invitation.Channel.CALL,
        nonce="history",
        due_on=date(2024, 11, 15),
        expires_at=timezone.now(),
        language="en",
    )
    follow_up.token_hash = hash_token(follow_up.token)
    follow_up.save()
    if duplicate is not None and not duplicate.objects.exists():
        people = Participant.objects.order_by("pk")[:2]
        duplicate.objects.create(existing=people[0], new_person=people[1], how="name")


def test_admin_can_open_the_history_of_every_registered_model(client, login_as, demo):
    user = UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True)
    _one_of_each_registered_model(user)
    login_as(user)
    failures = []
    for model in _registered_models():
        obj = model._default_manager.order_by("pk").first()
        assert obj is not None, f"give {model._meta.label} a row in this test"
        url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/{obj.pk}/history/"
        response = client.get(url)
        if response.status_code != 200:
            failures.append((url, response.status_code))
    assert failures == []


def test_import_batch_history_lists_the_admin_log(client, login_as, demo):
    """Import batches keep no simple_history table: their History is Django's admin log."""
    from participants.models import ImportBatch

    user = UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True)
    batch = ImportBatch.objects.create(
        event=EventFactory(), file="imports/y.xlsx", original_name="y.xlsx", created_by=user
    )
    login_as(user)
    response = client.get(f"/admin/participants/importbatch/{batch.pk}/history/")
    assert response.status_code == 200
    assert "y.xlsx" in response.content.decode()


def test_regional_admin_user_cannot_read_history_of_another_region(client, login_as, demo):
    """simple_history looked history up outside the admin queryset: a coordinator with admin
    access could read (and open revert forms of) events of other regions by id."""
    from trainings.models import TrainingEvent

    other = TrainingEvent.objects.exclude(region__code="KZ-47").first()
    own = TrainingEvent.objects.filter(region__code="KZ-47").first()
    user = coordinator("KZ-47", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_trainingevent", "change_trainingevent"])
    )
    login_as(user)
    assert client.get(f"/admin/trainings/trainingevent/{own.pk}/history/").status_code == 200
    assert client.get(f"/admin/trainings/trainingevent/{other.pk}/history/").status_code == 404
    version = other.history.first()
    url = f"/admin/trainings/trainingevent/{other.pk}/history/{version.history_id}/"
    assert client.get(url).status_code == 404


# --- Two-factor set-up ----------------------------------------------------------------------

PASSWORD = "demo-pass-123"


def _code(device):
    from django_otp.oath import totp

    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def _logged_in_client(username):
    """A client of its own logged in through the login form, not `login_as`: these tests are
    about sessions and the second factor, which a real login sets up."""
    from django.test import Client

    client = Client()
    response = client.post("/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def test_opening_the_two_factor_page_creates_no_device(client, demo):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client.post("/login/", {"username": "undp.staff", "password": PASSWORD})
    for _ in range(2):
        page = client.get("/account/two-factor/")
        assert page.status_code == 200
        assert page.context["qr"] is None
        assert "Set up two-factor login" in page.content.decode()
    assert not TOTPDevice.objects.filter(user__username="undp.staff").exists()
    assert client.post("/account/two-factor/", {"token": "123456"}).status_code == 302
    assert not TOTPDevice.objects.filter(user__username="undp.staff").exists()

    # The explicit "Set up" step makes one device; doing it again keeps that one.
    client.post("/account/two-factor/", {"action": "start"})
    client.post("/account/two-factor/", {"action": "start"})
    assert TOTPDevice.objects.filter(user__username="undp.staff", confirmed=False).count() == 1
    assert client.get("/account/two-factor/").context["qr"].startswith("data:image/svg+xml")


def test_turning_two_factor_on_logs_out_the_users_other_sessions(demo):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import SecurityEvent

    elsewhere = _logged_in_client("undp.staff")  # e.g. someone who knows the password
    here = _logged_in_client("undp.staff")
    other_user = _logged_in_client("coord.mangystau")
    assert elsewhere.get("/events/").status_code == 200
    old_key = here.session.session_key

    here.post("/account/two-factor/", {"action": "start"})
    device = TOTPDevice.objects.get(user__username="undp.staff", confirmed=False)
    response = here.post("/account/two-factor/", {"token": _code(device)})
    assert response.status_code == 302

    assert here.get("/events/").status_code == 200  # the confirming browser stays in
    assert here.session.session_key != old_key  # under a new session key
    gone = elsewhere.get("/events/")
    assert gone.status_code == 302 and gone.url.startswith("/login/")
    assert other_user.get("/events/").status_code == 200  # other people are not touched
    event = SecurityEvent.objects.filter(username="undp.staff", kind="user_changed").first()
    assert event.detail == {"two_factor": "on", "other_sessions_ended": 1}


def test_a_wrong_code_turns_nothing_on_and_ends_no_session(demo):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    elsewhere = _logged_in_client("undp.staff")
    here = _logged_in_client("undp.staff")
    here.post("/account/two-factor/", {"action": "start"})
    response = here.post("/account/two-factor/", {"token": "000000"})
    assert response.status_code == 200
    assert "This code is not right" in response.content.decode()
    assert not TOTPDevice.objects.filter(user__username="undp.staff", confirmed=True).exists()
    assert elsewhere.get("/events/").status_code == 200


def test_removing_an_authenticator_logs_its_user_out_everywhere(
    demo, django_capture_on_commit_callbacks
):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.models import User

    user = User.objects.get(username="undp.staff")
    device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    phone = _logged_in_client("undp.staff")
    assert phone.get("/events/").status_code == 302  # asks for the code
    with django_capture_on_commit_callbacks(execute=True):
        device.delete()
    response = phone.get("/events/")
    assert response.status_code == 302 and response.url.startswith("/login/?")


def test_changing_the_password_logs_out_other_sessions_and_keeps_this_one(demo):
    elsewhere = _logged_in_client("admin")
    here = _logged_in_client("admin")
    response = here.post(
        "/admin/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "a-New-pass-4567",
            "new_password2": "a-New-pass-4567",
        },
    )
    assert response.status_code == 302
    assert here.get("/events/").status_code == 200
    gone = elsewhere.get("/events/")
    assert gone.status_code == 302 and gone.url.startswith("/login/")


# --- Unlocking a reported event needs a reason --------------------------------------------


def _reported_event():
    from tests.factories import region
    from trainings.models import TrainingEvent

    return EventFactory(region=region("KZ-47"), status=TrainingEvent.Status.REPORTED)


@pytest.mark.parametrize("reason", ["", "   ", "\t\n"], ids=["empty", "spaces", "whitespace"])
def test_staff_cannot_unlock_an_event_without_a_reason(client, login_as, demo, reason):
    from django.urls import reverse

    from accounts.models import SecurityEvent
    from trainings.models import TrainingEvent

    event = _reported_event()
    login_as("undp.staff")
    response = client.post(
        reverse("trainings:event_unlock", args=[event.pk]), {"reason": reason}, follow=True
    )
    assert "Say why the event is unlocked" in response.content.decode()
    event.refresh_from_db()
    assert event.status == TrainingEvent.Status.REPORTED
    assert not SecurityEvent.objects.filter(detail__event_id=event.pk).exists()

    # A post without the field at all is refused the same way.
    client.post(reverse("trainings:event_unlock", args=[event.pk]))
    event.refresh_from_db()
    assert event.status == TrainingEvent.Status.REPORTED


def test_the_unlock_service_itself_refuses_a_blank_reason(demo):
    from django.core.exceptions import ValidationError

    from accounts.models import User
    from trainings.models import TrainingEvent
    from trainings.services import unlock_event

    event = _reported_event()
    staff = User.objects.get(username="undp.staff")
    for reason in ("", "   ", None):
        with pytest.raises(ValidationError, match="Say why the event is unlocked"):
            unlock_event(event=event, reason=reason, by=staff)
    with pytest.raises(TypeError):
        unlock_event(event=event, by=staff)  # every caller has to pass a reason
    with pytest.raises(ValidationError, match="500 characters"):
        unlock_event(event=event, reason="x" * 501, by=staff)
    event.refresh_from_db()
    assert event.status == TrainingEvent.Status.REPORTED

    unlock_event(event=event, reason="  Sheet from day 2 found  ", by=staff)
    event.refresh_from_db()
    assert event.status == TrainingEvent.Status.HELD
    assert event.history.first().history_user == staff


def test_the_unlock_form_asks_for_a_reason(client, login_as, demo):

    event = _reported_event()
    login_as("undp.staff")
    html = client.get(event.get_absolute_url()).content.decode()
    assert 'name="reason"' in html and "required" in html and "Reason (required)" in html


# --- The attendance grid's empty post ------------------------------------------------------


@pytest.fixture
def grid_event(demo):
    """A Mangystau event with two sessions, three people, and everyone present at both."""
    from participants.services import record_attendance
    from tests.factories import EnrolmentFactory, SessionFactory, region
    from trainings.models import TrainingEvent

    event = EventFactory(region=region("KZ-47"), status=TrainingEvent.Status.HELD)
    sessions = [SessionFactory(event=event), SessionFactory(event=event)]
    for _ in range(3):
        enrolment = EnrolmentFactory(event=event)
        for session in sessions:
            record_attendance(enrolment=enrolment, session=session)
    return event


def _attendance(event):
    from participants.models import Attendance

    return set(
        Attendance.objects.filter(session__event=event).values_list("enrolment_id", "session_id")
    )


def _grid_form(client, event) -> dict[str, list[str]]:
    """What the browser would send from the grid as rendered: its hidden fields and ticks."""
    import re

    from django.urls import reverse

    html = client.get(reverse("participants:attendance_grid", args=[event.pk])).content.decode()
    data: dict[str, list[str]] = {}
    for name, value in re.findall(r'type="hidden" name="(shown_\w+)" value="(\d+)"', html):
        data.setdefault(name, []).append(value)
    data["p"] = re.findall(r'name="p" value="([\d-]+)"[^>]*? checked', html)
    return data


def test_an_empty_post_to_the_grid_changes_nothing_and_says_so(client, login_as, grid_event):
    from django.urls import reverse

    before = _attendance(grid_event)
    assert len(before) == 6
    login_as("coord.mangystau")
    url = reverse("participants:attendance_grid", args=[grid_event.pk])
    for forged in ({}, {"p": []}, {"shown_enrolment": ["x"], "shown_session": ["999999"]}):
        response = client.post(url, forged, follow=True)
        assert "Nothing was changed" in response.content.decode()
        assert _attendance(grid_event) == before


def test_unticking_every_box_in_the_real_form_clears_the_grid(client, login_as, grid_event):
    from django.urls import reverse

    login_as("coord.mangystau")
    data = _grid_form(client, grid_event)
    assert len(data["p"]) == 6 and len(data["shown_enrolment"]) == 3
    data["p"] = []  # the coordinator unticks everything on purpose
    url = reverse("participants:attendance_grid", args=[grid_event.pk])
    response = client.post(url, data, follow=True)
    assert "0 marked present, 6 marked absent" in response.content.decode()
    assert _attendance(grid_event) == set()


def test_saving_an_old_grid_leaves_people_added_since_alone(client, login_as, grid_event):
    """A person enrolled (and ticked) after the page was opened is not on the old form: saving
    it must not mark them absent."""
    from django.urls import reverse

    from participants.services import record_attendance
    from tests.factories import EnrolmentFactory

    login_as("coord.mangystau")
    data = _grid_form(client, grid_event)
    late = EnrolmentFactory(event=grid_event)
    record_attendance(enrolment=late, session=grid_event.sessions.first())
    client.post(reverse("participants:attendance_grid", args=[grid_event.pk]), data)
    assert (late.pk, grid_event.sessions.first().pk) in _attendance(grid_event)


def test_a_toggle_post_without_the_grid_form_changes_nothing(client, login_as, grid_event):
    from django.urls import reverse

    before = _attendance(grid_event)
    enrolment_id, session_id = sorted(before)[0]
    login_as("coord.mangystau")
    url = reverse("participants:attendance_toggle", args=[grid_event.pk])
    cell = {"enrolment": enrolment_id, "session": session_id}
    response = client.post(url, cell, HTTP_HX_REQUEST="true")
    assert response.status_code == 400
    assert "Nothing was changed" in response.content.decode()
    response = client.post(url, {**cell, "present": "maybe"}, follow=True)
    assert "Nothing was changed" in response.content.decode()
    assert _attendance(grid_event) == before

    # The grid form (hidden fields, box unticked) and an explicit present=0 do untick it.
    form = _grid_form(client, grid_event)
    form["p"] = [p for p in form["p"] if p != f"{enrolment_id}-{session_id}"]
    assert client.post(url, {**form, **cell}, HTTP_HX_REQUEST="true").status_code == 200
    assert (enrolment_id, session_id) not in _attendance(grid_event)
    client.post(url, {**cell, "present": "1"})
    client.post(url, {**cell, "present": "0"})
    assert (enrolment_id, session_id) not in _attendance(grid_event)


def test_an_empty_post_to_the_feedback_link_toggle_leaves_the_link_open(
    client, login_as, grid_event
):
    """The same class on the event page: a post without `open` used to close the link."""
    from django.urls import reverse

    grid_event.feedback_open = True
    grid_event.save(update_fields=["feedback_open"])
    login_as("coord.mangystau")
    url = reverse("participants:event_feedback_toggle", args=[grid_event.pk])
    response = client.post(url, {}, follow=True)
    assert "Nothing was changed" in response.content.decode()
    grid_event.refresh_from_db()
    assert grid_event.feedback_open
    client.post(url, {"open": "0"})
    grid_event.refresh_from_db()
    assert not grid_event.feedback_open
