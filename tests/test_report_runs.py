"""Report runs in-process (tasks eager): request, build, progress, retry, recovery of runs
whose worker died, the quarterly draft, and who may see and download what."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import OperationalError
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerDown

from accounts.models import User
from core import periods
from regions.models import Region
from reports import services
from reports.models import ReportFile, ReportRun
from reports.tasks import build_report_run

pytestmark = pytest.mark.django_db
Q3 = {"period_label": "2024Q3", "start": date(2024, 7, 1), "end": date(2024, 9, 30)}
FAST = ["xlsx", "csv"]


def user(name: str) -> User:
    return User.objects.get(username=name)


def region_pk(code: str) -> int:
    return Region.objects.get(code=code).pk


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run what request_report leaves for after the commit (the task, in-process)."""

    def run(func, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            result = func(*args, **kwargs)
        if isinstance(result, ReportRun):
            result.refresh_from_db()
        return result

    return run


def request(on_commit, who="undp.staff", regions=None, formats=FAST, language="en"):
    return on_commit(
        services.request_report,
        user=user(who),
        region_ids=regions,
        formats=formats,
        language=language,
        **Q3,
    )


def make_run(status=ReportRun.Status.RUNNING, regions=("KZ-47",), **fields) -> ReportRun:
    run = ReportRun.objects.create(
        requested_by=user("coord.mangystau"),
        period_label="2024Q3",
        period_start=Q3["start"],
        period_end=Q3["end"],
        formats=FAST,
        status=status,
        **fields,
    )
    run.regions.set([Region.objects.get(code=c) for c in regions])
    return run


# Periods ------------------------------------------------------------------------------------
def test_quarters_years_and_the_previous_quarter():
    assert periods.quarter(2024, 3) == ("2024Q3", date(2024, 7, 1), date(2024, 9, 30))
    assert periods.quarter(2024, 4)[2] == date(2024, 12, 31)
    assert periods.year(2024) == ("2024", date(2024, 1, 1), date(2024, 12, 31))
    assert periods.last_ended_quarter(date(2024, 10, 1))[0] == "2024Q3"
    assert periods.last_ended_quarter(date(2025, 2, 14))[0] == "2024Q4"


# Building -----------------------------------------------------------------------------------
def test_staff_request_is_built_with_snapshot_hash_and_files(on_commit):
    run = request(on_commit)
    assert run.status == ReportRun.Status.DONE, run.error
    assert run.percent == 100 and run.attempts == 1
    assert run.started_at <= run.finished_at
    assert run.snapshot and run.snapshot["period_label"] == "2024Q3"
    assert len(run.inputs_hash) == 64
    assert not run.regions.exists()  # all regions
    files = {f.format: f for f in run.files.all()}
    assert set(files) == set(FAST)
    for report_file in files.values():
        with report_file.file.open("rb") as handle:
            content = handle.read()
        assert report_file.size == len(content) > 0
        assert report_file.sha256 == hashlib.sha256(content).hexdigest()


def test_a_done_run_is_never_built_again(on_commit):
    run = request(on_commit)
    before = (run.snapshot, run.inputs_hash, list(run.files.values_list("pk", "sha256")))
    services.run_report(run.pk)
    build_report_run.apply(args=[run.pk])
    run.refresh_from_db()
    assert run.attempts == 1
    assert (run.snapshot, run.inputs_hash, list(run.files.values_list("pk", "sha256"))) == before


def test_a_transient_database_error_is_retried_by_the_task(on_commit, monkeypatch):
    run = make_run(status=ReportRun.Status.QUEUED, regions=())
    real_build = services._build
    calls = []

    def flaky(run, progress):
        calls.append(1)
        if len(calls) == 1:
            raise OperationalError("server closed the connection unexpectedly")
        return real_build(run, progress)

    monkeypatch.setattr(services, "_build", flaky)
    # throw=False: an eager task's retry is then run at once, as a worker would run it later.
    build_report_run.apply(args=[run.pk], throw=False)
    run.refresh_from_db()
    assert run.status == ReportRun.Status.DONE, run.error
    assert run.attempts == 2 and len(calls) == 2


def test_an_error_fails_the_run_with_the_reason_and_retry_builds_it(
    on_commit, client, login_as, monkeypatch
):
    import reports.renderers

    real_render = reports.renderers.render

    def broken(data, fmt, **options):
        raise ValueError("the chart library is missing")

    monkeypatch.setattr(reports.renderers, "render", broken)
    run = request(on_commit, who="coord.mangystau")
    assert run.status == ReportRun.Status.FAILED
    assert "the chart library is missing" in run.error
    assert run.finished_at is not None
    login_as("coord.mangystau")
    page = client.get(f"/reports/{run.pk}/")
    assert "the chart library is missing" in page.content.decode()
    assert f'action="/reports/{run.pk}/retry/"' in page.content.decode()
    assert b"hx-trigger" not in page.content  # nothing to poll for

    monkeypatch.setattr(reports.renderers, "render", real_render)
    with pytest.raises(PermissionDenied):
        services.retry_run(run, by=user("viewer"))
    response = on_commit(client.post, f"/reports/{run.pk}/retry/")
    assert response.status_code == 302
    run.refresh_from_db()
    assert run.status == ReportRun.Status.DONE and run.error == ""
    assert run.files.count() == len(FAST)


def test_a_done_run_cannot_be_retried(on_commit):
    run = request(on_commit)
    with pytest.raises(ValidationError):
        services.retry_run(run, by=user("undp.staff"))


# Broker down --------------------------------------------------------------------------------
def test_broker_down_keeps_the_request_and_it_can_be_sent_again(
    on_commit, client, login_as, monkeypatch
):
    def refuse(*args, **kwargs):
        raise BrokerDown("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(build_report_run, "apply_async", refuse)
    login_as("undp.staff")
    response = on_commit(
        client.post,
        "/reports/new/",
        {
            "period_kind": "quarter",
            "quarter": "2024Q3",
            "scope": "all",
            "formats": FAST,
            "language": "en",
        },
        follow=True,
    )
    text = response.content.decode()
    assert "Reports are unavailable right now" in text
    assert "Send the request again" in text
    run = ReportRun.objects.get()
    assert run.status == ReportRun.Status.QUEUED and run.task_id == ""

    monkeypatch.undo()
    response = on_commit(client.post, f"/reports/{run.pk}/retry/", follow=True)
    run.refresh_from_db()
    assert run.status == ReportRun.Status.DONE, run.error
    assert ReportRun.objects.count() == 1


def test_recovery_resends_requests_the_broker_never_got(on_commit, settings):
    settings.TASK_STALE_AFTER = 60
    run = make_run(status=ReportRun.Status.QUEUED, error=str(services.UNAVAILABLE))
    ReportRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    counts = on_commit(services.recover_stale_runs)
    run.refresh_from_db()
    assert counts["resent"] == 1
    assert run.status == ReportRun.Status.DONE, run.error


# Recovery of runs whose worker died ---------------------------------------------------------
def test_a_stale_running_run_is_built_again(on_commit, settings):
    settings.TASK_STALE_AFTER = 60
    long_ago = timezone.now() - timedelta(minutes=10)
    run = make_run(attempts=1, started_at=long_ago, heartbeat_at=long_ago, stage="people")
    counts = on_commit(services.recover_stale_runs)
    run.refresh_from_db()
    assert counts["requeued"] == 1
    assert run.status == ReportRun.Status.DONE, run.error
    assert run.attempts == 2


def test_a_stale_run_out_of_attempts_fails_with_a_reason(on_commit, settings):
    settings.TASK_STALE_AFTER = 60
    settings.TASK_MAX_ATTEMPTS = 2
    long_ago = timezone.now() - timedelta(minutes=10)
    run = make_run(attempts=2, started_at=long_ago, heartbeat_at=long_ago)
    counts = on_commit(services.recover_stale_runs)
    run.refresh_from_db()
    assert counts["failed"] == 1
    assert run.status == ReportRun.Status.FAILED
    assert "worker was lost" in run.error


def test_a_run_with_a_fresh_heartbeat_is_left_running(on_commit, settings):
    settings.TASK_STALE_AFTER = 60
    now = timezone.now()
    run = make_run(attempts=1, started_at=now, heartbeat_at=now)
    assert on_commit(services.recover_stale_runs) == {"requeued": 0, "failed": 0, "resent": 0}
    # A second delivery of its task while the first worker is alive does nothing either.
    services.run_report(run.pk)
    run.refresh_from_db()
    assert run.status == ReportRun.Status.RUNNING and run.attempts == 1


# Requests and scope -------------------------------------------------------------------------
def test_coordinator_can_build_a_report_for_their_own_regions_only(on_commit, client, login_as):
    coordinator = user("coord.mangystau")
    with pytest.raises(ValidationError) as refused:
        services.request_report(
            user=coordinator,
            region_ids=[region_pk("KZ-43")],
            formats=FAST,
            language="ru",
            **Q3,
        )
    assert "your own regions only" in str(refused.value)
    assert not ReportRun.objects.exists()

    # "All regions" for a coordinator is all of their regions.
    run = request(on_commit, who="coord.mangystau", regions=None, language="ru")
    assert list(run.regions.values_list("code", flat=True)) == ["KZ-47"]
    assert run.status == ReportRun.Status.DONE, run.error

    login_as(coordinator)
    form = client.get("/reports/new/").content.decode()
    assert "Mangystau" in form and "Kyzylorda" not in form
    response = client.post(
        "/reports/new/",
        {
            "period_kind": "quarter",
            "quarter": "2024Q3",
            "scope": "chosen",
            "regions": [region_pk("KZ-43")],
            "formats": FAST,
            "language": "en",
        },
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert ReportRun.objects.count() == 1


def test_viewers_cannot_request_reports(client, login_as):
    with pytest.raises(PermissionDenied):
        services.request_report(
            user=user("viewer"), region_ids=None, formats=FAST, language="en", **Q3
        )
    login_as("viewer")
    assert client.get("/reports/new/").status_code == 403


def test_the_request_form_explains_its_errors_and_keeps_the_input(client, login_as):
    login_as("undp.staff")
    response = client.post(
        "/reports/new/",
        {
            "period_kind": "custom",
            "start": "2024-09-30",
            "end": "2024-07-01",
            "scope": "chosen",
            "language": "kk",
        },
    )
    text = response.content.decode()
    assert response.status_code == 200
    assert "The period cannot end before it starts." in text
    assert "Choose at least one region, or all regions." in text
    assert "This field is required." in text  # formats
    assert 'value="2024-09-30"' in text
    response = client.post(
        "/reports/new/",
        {"period_kind": "custom", "scope": "all", "formats": FAST, "language": "en"},
    )
    assert "Enter the first day of the period." in response.content.decode()
    assert not ReportRun.objects.exists()


def test_staff_build_a_custom_range_for_chosen_regions_from_the_page(on_commit, client, login_as):
    login_as("undp.staff")
    response = on_commit(
        client.post,
        "/reports/new/",
        {
            "period_kind": "custom",
            "start": "2024-08-01",
            "end": "2024-08-31",
            "scope": "chosen",
            "regions": [region_pk("KZ-47"), region_pk("KZ-43")],
            "formats": ["csv"],
            "language": "kk",
        },
    )
    run = ReportRun.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/reports/{run.pk}/"
    run.refresh_from_db()
    assert run.period_label == "2024-08-01..2024-08-31"
    assert run.language == "kk" and run.formats == ["csv"]
    assert sorted(run.regions.values_list("code", flat=True)) == ["KZ-43", "KZ-47"]
    assert run.status == ReportRun.Status.DONE, run.error


# Pages: progress, list, downloads -----------------------------------------------------------
def test_progress_is_polled_while_running_and_stops_when_done(client, login_as, on_commit):
    run = make_run(attempts=1, percent=40, stage="people", heartbeat_at=timezone.now())
    login_as("coord.mangystau")
    fragment = client.get(f"/reports/{run.pk}/progress/").content.decode()
    assert 'hx-trigger="every 1500ms"' in fragment
    assert 'value="40"' in fragment and "Counting people reached" in fragment
    assert f'href="/reports/{run.pk}/"' in fragment  # refresh link without JavaScript
    page = client.get(f"/reports/{run.pk}/").content.decode()  # a reload shows the same
    assert 'value="40"' in page and f'hx-get="/reports/{run.pk}/progress/"' in page
    done = request(on_commit)
    fragment = client.get(f"/reports/{done.pk}/progress/")
    assert fragment.status_code == 404  # a programme-wide run is not the coordinator's
    login_as("undp.staff")
    fragment = client.get(f"/reports/{done.pk}/progress/").content.decode()
    assert "hx-get" not in fragment
    assert f"/reports/{done.pk}/files/xlsx/" in fragment


def test_report_list_is_scoped_and_its_queries_do_not_grow(
    client, login_as, on_commit, django_assert_max_num_queries
):
    own = request(on_commit, who="coord.mangystau")
    wide = request(on_commit)
    for _ in range(5):
        make_run(status=ReportRun.Status.QUEUED, regions=("KZ-43",))
    pending = make_run(status=ReportRun.Status.QUEUED)

    login_as("coord.kyzylorda")
    with django_assert_max_num_queries(14):
        page = client.get("/reports/")
    text = page.content.decode()
    assert f"/reports/{own.pk}/" not in text and f"/reports/{wide.pk}/" not in text
    assert text.count('href="/reports/') - text.count('href="/reports/new/') >= 5
    assert client.get(f"/reports/{own.pk}/").status_code == 404
    assert client.get(f"/reports/{own.pk}/files/xlsx/").status_code == 404

    login_as("viewer")
    text = client.get("/reports/").content.decode()
    assert f"/reports/{own.pk}/" in text and f"/reports/{wide.pk}/" in text
    assert f"/reports/{pending.pk}/" not in text  # viewers see finished reports only
    assert "Build a report" not in text

    login_as("undp.staff")
    with django_assert_max_num_queries(14):
        text = client.get("/reports/").content.decode()
    assert "Nurlan Mangystau" in text and "Aida Programme" in text
    text = client.get("/reports/?status=done").content.decode()
    assert f"/reports/{pending.pk}/" not in text and f"/reports/{own.pk}/" in text


def test_files_download_only_for_users_allowed_to_see_the_run(client, login_as, on_commit):
    run = request(on_commit, who="coord.mangystau")
    stored = run.files.get(format="xlsx")
    with stored.file.open("rb") as handle:
        content = handle.read()
    url = f"/reports/{run.pk}/files/xlsx/"
    assert client.get(url).status_code == 302  # anonymous: to the login page
    for name, status in (
        ("coord.mangystau", 200),
        ("viewer", 200),
        ("undp.staff", 200),
        ("coord.kyzylorda", 404),
    ):
        login_as(name)
        response = client.get(url)
        assert response.status_code == status, name
        if status == 200:
            assert b"".join(response.streaming_content) == content
            assert response["Content-Disposition"].startswith("attachment")
            assert "spreadsheetml" in response["Content-Type"]
    login_as("undp.staff")
    assert client.get(f"/reports/{run.pk}/files/pdf/").status_code == 404  # not asked for
    running = make_run(status=ReportRun.Status.RUNNING)
    ReportFile.objects.create(run=running, format="xlsx", file=stored.file.name)
    assert client.get(f"/reports/{running.pk}/files/xlsx/").status_code == 404


# The quarterly draft ------------------------------------------------------------------------
def test_the_quarterly_draft_is_built_once_and_staff_get_a_link(on_commit, settings):
    settings.SITE_URL = "https://qadam.example.org"
    User.objects.filter(username="undp.staff").update(email="aida@example.org")
    User.objects.filter(username="admin").update(email="admin@example.org")
    User.objects.filter(username="coord.mangystau").update(email="nurlan@example.org")
    run = on_commit(services.draft_quarterly_report, today=date(2024, 10, 2))
    assert run.period_label == "2024Q3" and run.requested_by is None
    assert run.status == ReportRun.Status.DONE, run.error
    assert sorted(run.formats) == sorted(services.available_formats())
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert sorted(message.to) == ["admin@example.org", "aida@example.org"]
    assert f"https://qadam.example.org/reports/{run.pk}/" in message.body
    assert "2024Q3" in message.subject

    assert on_commit(services.draft_quarterly_report, today=date(2024, 10, 3)) is None
    assert ReportRun.objects.filter(period_label="2024Q3").count() == 1
    assert len(mail.outbox) == 1


def test_the_beat_schedule_runs_the_draft_and_the_recovery(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {"reports.draft_quarterly_report", "reports.recover_stale_runs"} <= tasks
    from config.celery import app

    app.loader.import_default_modules()
    assert {"reports.draft_quarterly_report", "reports.recover_stale_runs"} <= set(app.tasks)


def _work_mem() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW work_mem")
        return cursor.fetchone()[0]


@pytest.mark.postgres
def test_a_report_is_built_with_more_sort_memory_and_the_connection_gets_its_default_back(
    on_commit, monkeypatch, settings
):
    """The quarter's sorts spill to disk with PostgreSQL's default 4 MB (docs/performance.md):
    a run is built with REPORT_WORK_MEM, and the worker's connection is given back as it was."""
    settings.REPORT_WORK_MEM = "48MB"
    default = _work_mem()
    assert default != "48MB"
    seen = []
    real_build = services._build

    def build(run, progress):
        seen.append(_work_mem())
        return real_build(run, progress)

    monkeypatch.setattr(services, "_build", build)
    run = request(on_commit)
    assert run.status == ReportRun.Status.DONE, run.error
    assert seen == ["48MB"]
    assert _work_mem() == default
