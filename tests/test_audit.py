"""Every kind of change leaves an audit record (who, when, changed fields) that admins can
browse per object and per user; logins, logouts and failed logins are recorded."""

from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import Role, SecurityEvent, User
from participants.models import Attendance, Feedback, Participant
from participants.services import record_attendance, record_feedback
from reports.models import Indicator, ReportRun
from trainings.models import TrainingEvent

from .factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "demo-pass-123"


def _last(model, pk):
    return model.history.filter(id=pk).order_by("-history_date", "-history_id").first()


def test_event_change_records_who_and_the_changed_fields(admin_client):
    event = TrainingEvent.objects.filter(region__code="KZ-47").first()
    editor = User.objects.get(username="undp.staff")
    event.title = "Renamed for the audit test"
    event._history_user = editor
    event.save()
    record = _last(TrainingEvent, event.pk)
    assert record.history_type == "~"
    assert record.history_user == editor
    assert "title" in record.diff_against(record.prev_record).changed_fields
    page = admin_client.get(f"/audit/?model=trainings.trainingevent&object_id={event.pk}")
    assert page.status_code == 200
    html = page.content.decode()
    assert "undp.staff" in html and "title" in html


def test_person_change_is_audited(demo):
    person = Participant.objects.filter(region__code="KZ-47").first()
    person.position = "Senior officer"
    person.save()
    assert (
        "position"
        in _last(Participant, person.pk)
        .diff_against(_last(Participant, person.pk).prev_record)
        .changed_fields
    )


def test_attendance_marked_and_unmarked_is_audited(demo):
    attendance = Attendance.objects.filter(session__event__region__code="KZ-47").first()
    enrolment, session = attendance.enrolment, attendance.session
    record_attendance(enrolment=enrolment, session=session, present=False)
    assert Attendance.history.filter(id=attendance.pk, history_type="-").exists()
    record_attendance(enrolment=enrolment, session=session, present=True)
    new = Attendance.objects.get(enrolment=enrolment, session=session)
    assert Attendance.history.filter(id=new.pk, history_type="+").exists()


def test_feedback_is_audited(demo):
    event = TrainingEvent.objects.filter(region__code="KZ-47").first()
    feedback = record_feedback(
        event=event,
        satisfaction=5,
        relevance=4,
        usefulness=4,
        intent_to_apply=5,
        source=Feedback.Source.PAPER,
    )
    assert Feedback.history.filter(id=feedback.pk, history_type="+").exists()


def test_indicator_change_is_audited(demo):
    indicator = Indicator.objects.first()
    indicator.name = indicator.name + " (revised)"
    indicator.save()
    assert (
        "name"
        in _last(Indicator, indicator.pk)
        .diff_against(_last(Indicator, indicator.pk).prev_record)
        .changed_fields
    )


def test_report_run_is_audited(demo):
    run = ReportRun.objects.create(
        period_label="2024Q3", period_start=date(2024, 7, 1), period_end=date(2024, 9, 30)
    )
    run.status = ReportRun.Status.FAILED
    run.save()
    assert ReportRun.history.filter(id=run.pk).count() == 2
    # Who asked and the status are in the history; the computed snapshot (megabytes of JSON
    # per run, written once) is not, so the audit log does not read it twice per row.
    run.snapshot = {"people": list(range(1000))}
    run.status = ReportRun.Status.DONE
    run.save()
    last = ReportRun.history.filter(id=run.pk).first()
    assert last.status == ReportRun.Status.DONE
    assert "snapshot" not in {f.name for f in last._meta.concrete_fields}


def test_user_role_change_through_the_ui_is_audited_with_the_admin(admin_client):
    account = UserFactory(username="to.promote", role=Role.VIEWER)
    response = admin_client.post(
        f"/users/{account.pk}/",
        {"username": "to.promote", "first_name": "", "last_name": "", "email": "", "role": "staff"},
    )
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.role == Role.STAFF
    record = _last(User, account.pk)
    assert record.history_user.username == "admin"
    assert "role" in record.diff_against(record.prev_record).changed_fields
    assert not hasattr(record, "password")  # the hash is never copied into history
    page = admin_client.get(f"/audit/?user={User.objects.get(username='admin').pk}")
    assert "to.promote" in page.content.decode()


def test_audit_log_pages_are_admin_only(client, login_as, demo):
    login_as("undp.staff")
    assert client.get("/audit/").status_code == 403
    assert client.get("/audit/security/").status_code == 403


def test_audit_log_query_count_does_not_grow_with_rows(admin_client, django_assert_max_num_queries):
    # One count for every audited model, a page query per model with rows, one query per model
    # for the previous versions and per related model for the names; nothing per row.
    for url in ("/audit/", "/audit/?page=3"):
        with django_assert_max_num_queries(49):
            assert admin_client.get(url).status_code == 200
    with django_assert_max_num_queries(12):
        assert admin_client.get("/audit/?model=participants.participant").status_code == 200


def test_logins_logouts_and_failed_logins_are_recorded(client, login_as, demo):
    client.post("/login/", {"username": "viewer", "password": "nope"}, REMOTE_ADDR="10.1.1.1")
    client.post("/login/", {"username": "viewer", "password": PASSWORD}, REMOTE_ADDR="10.1.1.1")
    client.post("/logout/", REMOTE_ADDR="10.1.1.1")
    kinds = list(
        SecurityEvent.objects.filter(username="viewer")
        .order_by("at", "pk")
        .values_list("kind", flat=True)
    )
    assert kinds == ["login_failed", "login", "logout"]
    failed = SecurityEvent.objects.get(username="viewer", kind="login_failed")
    assert failed.ip_address == "10.1.1.1"
    assert "nope" not in str(failed.detail)
    login_as("admin")
    page = client.get("/audit/security/?kind=login_failed")
    assert "viewer" in page.content.decode()


# Users managed in the UI and by command ----------------------------------------------------
def test_admin_creates_a_coordinator_with_a_set_password_link(admin_client):
    response = admin_client.post(
        "/users/new/",
        {
            "username": "coord.new",
            "role": "coordinator",
            "regions": [_region_pk("KZ-47")],
            "first_name": "A",
            "last_name": "B",
            "email": "",
            "password1": "",
            "password2": "",
        },
    )
    assert response.status_code == 200
    link = response.context["link"]
    user = User.objects.get(username="coord.new")
    assert not user.has_usable_password()
    assert list(user.regions.values_list("code", flat=True)) == ["KZ-47"]
    admin_client.logout()
    page = admin_client.get(link, follow=True)
    assert page.status_code == 200 and page.context["validlink"]
    post = admin_client.post(
        page.redirect_chain[-1][0] if page.redirect_chain else link,
        {"new_password1": "Caspian-sea-2026!", "new_password2": "Caspian-sea-2026!"},
    )
    assert post.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Caspian-sea-2026!")


def test_coordinator_without_region_is_refused_with_a_message(admin_client):
    response = admin_client.post(
        "/users/new/",
        {"username": "coord.none", "role": "coordinator", "password1": "", "password2": ""},
    )
    assert response.status_code == 200
    assert "Choose at least one region" in response.content.decode()
    assert not User.objects.filter(username="coord.none").exists()


def test_admin_deactivates_a_user_after_confirming(admin_client):
    account = UserFactory(username="leaving", role=Role.STAFF)
    assert admin_client.post(f"/users/{account.pk}/deactivate/", {}).status_code == 200
    account.refresh_from_db()
    assert account.is_active
    admin_client.post(f"/users/{account.pk}/deactivate/", {"confirm": "on"})
    account.refresh_from_db()
    assert not account.is_active


def _region_pk(code):
    from regions.models import Region

    return Region.objects.get(code=code).pk


def test_add_user_command_takes_the_password_from_the_environment(monkeypatch, demo):
    monkeypatch.setenv("QADAM_USER_PASSWORD", "Steppe-wind-2026!")
    call_command("add_user", "coord.cmd", "--role", "coordinator", "--region", "KZ-43")
    user = User.objects.get(username="coord.cmd")
    assert user.check_password("Steppe-wind-2026!")
    assert list(user.regions.values_list("code", flat=True)) == ["KZ-43"]


def test_add_user_command_errors_are_clear(monkeypatch, demo):
    monkeypatch.delenv("QADAM_USER_PASSWORD", raising=False)
    with pytest.raises(CommandError, match="QADAM_USER_PASSWORD"):
        call_command("add_user", "nobody", "--role", "viewer")
    monkeypatch.setenv("QADAM_USER_PASSWORD", "Steppe-wind-2026!")
    with pytest.raises(CommandError, match="Unknown region"):
        call_command("add_user", "x", "--role", "coordinator", "--region", "KZ-99")
    with pytest.raises(CommandError, match="at least one"):
        call_command("add_user", "x", "--role", "coordinator")
    monkeypatch.setenv("QADAM_USER_PASSWORD", "123")
    with pytest.raises(CommandError, match="Password refused"):
        call_command("add_user", "x", "--role", "viewer")


def test_users_list_shows_role_regions_and_activity_in_few_queries(
    admin_client, django_assert_max_num_queries
):
    with django_assert_max_num_queries(10):
        few = admin_client.get("/users/")
    for i in range(30):
        UserFactory(username=f"many{i}", role=Role.COORDINATOR, regions=[_region_obj("KZ-43")])
    with django_assert_max_num_queries(10):
        many = admin_client.get("/users/")
    html = many.content.decode()
    assert few.status_code == many.status_code == 200
    assert "many7" in html and "Regional coordinator" in html and "Kyzylorda" in html


def _region_obj(code):
    from regions.models import Region

    return Region.objects.get(code=code)


def test_an_admin_cannot_demote_themselves(client, login_as, demo):
    me = UserFactory(username="second.admin", role=Role.ADMIN)
    login_as(me)
    response = client.post(
        f"/users/{me.pk}/",
        {
            "username": "second.admin",
            "first_name": "",
            "last_name": "",
            "email": "",
            "role": "viewer",
        },
    )
    assert response.status_code == 200
    assert "cannot take the administrator role" in response.content.decode()
    me.refresh_from_db()
    assert me.role == Role.ADMIN
