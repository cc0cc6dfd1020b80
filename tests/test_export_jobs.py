"""Export jobs: the export buttons record a background job (run in-process here, as without a
broker), whose file holds exactly the rows of the list, with progress, a notice when it is
ready, a download for its owner only (and only while their scope still covers it), retry of a
failed job, delete with confirmation, expiry, and a list page of constant query count."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from accounts.models import SecurityEvent, User
from participants import export_jobs
from participants.models import Attendance, ExportJob, Participant
from regions.models import Region

from .factories import ParticipantFactory

pytestmark = pytest.mark.django_db


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_of(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.fixture
def export(client, django_capture_on_commit_callbacks):
    """Press an export button (POST, with the list's filters in the query string) and let the
    job run as it does without a broker; returns (response, job)."""

    def press(name: str, fmt: str, query: dict | None = None):
        url = reverse(f"imports:export_{name}", args=[fmt])
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url + ("?" + _qs(query) if query else ""))
        return response, ExportJob.objects.order_by("-pk").first()

    return press


def _qs(query: dict) -> str:
    from urllib.parse import urlencode

    return urlencode(query)


def test_people_job_file_holds_the_listed_people_with_progress_at_total(client, login_as, export):
    login_as("undp.staff")
    response, job = export("participants", "csv", {"sex": "F"})
    assert response.status_code == 302 and response["Location"] == reverse("exports:list")
    assert job.status == ExportJob.Status.DONE, job.error
    assert job.user.username == "undp.staff" and job.params == {"sex": ["F"]}
    download = client.get(reverse("exports:download", args=[job.pk]))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith('attachment; filename="qadam-participants-')
    rows = csv_of(body(download))
    expected = set(Participant.objects.filter(sex="F").values_list("pk", flat=True))
    assert {int(r[0]) for r in rows[1:]} == expected
    assert len(rows) - 1 == len(expected)  # each person once
    assert job.rows_total == job.rows_done == len(expected) and job.percent == 100
    assert "Phone" in rows[0]  # staff see contacts, as in the direct export


def test_job_file_equals_the_direct_export_of_the_same_filters(client, login_as, export):
    login_as("coord.mangystau")
    query = {"from": "2024-01-01"}
    direct = csv_of(body(client.get(reverse("imports:export_attendance", args=["csv"]), query)))
    _response, job = export("attendance", "csv", query)
    rows = csv_of(body(client.get(reverse("exports:download", args=[job.pk]))))
    assert rows == direct
    independent = Attendance.objects.filter(
        session__event__region__code="KZ-47", session__date__gte="2024-01-01"
    )
    assert len(rows) - 1 == independent.count() == job.rows_total == job.rows_done
    assert {(int(r[0]), int(r[3])) for r in rows[1:]} == set(
        independent.values_list("session__event_id", "enrolment__participant_id")
    )


def test_xlsx_job_has_the_direct_exports_sheet(client, login_as, export):
    login_as("coord.kyzylorda")
    direct = load_workbook(
        io.BytesIO(body(client.get(reverse("imports:export_events", args=["xlsx"])))),
        read_only=True,
    ).active
    _response, job = export("events", "xlsx")
    data = body(client.get(reverse("exports:download", args=[job.pk])))
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows == list(direct.iter_rows(values_only=True))
    assert job.rows_total == len(rows) - 1 > 0


def test_viewer_cannot_ask_for_a_people_export(client, login_as, export):
    login_as("viewer")
    response, job = export("participants", "xlsx")
    assert response.status_code == 403 and job is None


def test_viewers_people_columns_never_include_names_even_from_a_job(client, login_as, export):
    """The column rules are the direct export's: a coordinator gets names and contacts, and a
    job stored with a viewer's scope could not read people at all."""
    person = ParticipantFactory(phone="+77011234567", region=Region.objects.get(code="KZ-47"))
    login_as("coord.mangystau")
    _response, job = export("participants", "csv", {"q": person.full_name})
    rows = csv_of(body(client.get(reverse("exports:download", args=[job.pk]))))
    assert rows[0][-2:] == ["Phone", "Email"] and rows[1][1] == person.full_name
    job.scope = {**job.scope, "role": "viewer", "can_see_people": False}
    job.status = ExportJob.Status.FAILED
    job.save()
    export_jobs.retry_job(job)
    export_jobs.run_export(job.pk)
    job.refresh_from_db()
    assert job.status == ExportJob.Status.FAILED and not job.file
    assert job.error.startswith("The export is not allowed")


def test_the_owner_is_told_once_and_the_menu_counts_ready_exports(client, login_as, export):
    login_as("coord.mangystau")
    export("events", "csv")
    page = client.get(reverse("exports:list"))
    notices = [str(m) for m in get_messages(page.wsgi_request)]
    assert any("is ready" in m for m in notices)
    assert 'text-bg-warning">1<' in page.content.decode()
    again = client.get(reverse("home"))
    assert not any("is ready" in str(m) for m in get_messages(again.wsgi_request))
    job = ExportJob.objects.get()
    client.get(reverse("exports:download", args=[job.pk]))
    assert 'text-bg-warning">1<' not in client.get(reverse("exports:list")).content.decode()


def test_only_the_owner_downloads_and_only_within_their_scope(client, login_as, export):
    login_as("coord.mangystau")
    _response, job = export("participants", "csv")
    for other in ("coord.kyzylorda", "undp.staff", "admin"):
        login_as(other)
        for name in ("exports:download", "exports:progress", "exports:delete"):
            assert client.get(reverse(name, args=[job.pk])).status_code == 404, (other, name)
        assert client.post(reverse("exports:delete", args=[job.pk])).status_code == 404
    assert ExportJob.objects.filter(pk=job.pk).exists()
    coord = User.objects.get(username="coord.mangystau")
    login_as("coord.mangystau")
    assert client.get(reverse("exports:download", args=[job.pk])).status_code == 200
    coord.regions.set([Region.objects.get(code="KZ-43")])  # moved to another region
    assert client.get(reverse("exports:download", args=[job.pk])).status_code == 404
    coord.regions.set([Region.objects.get(code="KZ-47")])
    coord.role = "viewer"
    coord.save()
    assert client.get(reverse("exports:download", args=[job.pk])).status_code == 404


def test_the_download_of_names_is_audited_with_the_filters(client, login_as, export):
    login_as("coord.mangystau")
    _response, job = export("participants", "csv", {"q": "Иван", "sex": "M"})
    client.get(reverse("exports:download", args=[job.pk]))
    event = SecurityEvent.objects.filter(kind=SecurityEvent.Kind.REPORT_DOWNLOADED).latest("pk")
    assert event.user.username == "coord.mangystau"
    assert event.detail["what"] == "participants" and event.detail["job"] == job.pk
    assert event.detail["filters"] == {"sex": "M", "q": "…"}
    assert "Иван" not in str(event.detail)


def test_a_failed_job_shows_its_reason_and_retry_writes_it(
    client, login_as, export, settings, tmp_path, django_capture_on_commit_callbacks
):
    good_media = settings.MEDIA_ROOT
    blocker = tmp_path / "not-a-directory"
    blocker.write_text("x")
    settings.MEDIA_ROOT = blocker / "media"  # storage cannot write: the job fails
    login_as("coord.mangystau")
    _response, job = export("events", "csv")
    assert job.status == ExportJob.Status.FAILED
    assert job.error.startswith("The export could not be written")
    listing = client.get(reverse("exports:list")).content.decode()
    assert job.error.split(":")[0] in listing and reverse("exports:retry", args=[job.pk]) in listing
    settings.MEDIA_ROOT = good_media
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("exports:retry", args=[job.pk]))
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE and job.error == "" and job.attempts == 1
    assert client.get(reverse("exports:download", args=[job.pk])).status_code == 200


def test_delete_asks_first_then_removes_the_job_and_its_file(client, login_as, export):
    login_as("coord.mangystau")
    _response, job = export("events", "csv")
    path = job.file.path
    confirm = client.get(reverse("exports:delete", args=[job.pk]))
    assert confirm.status_code == 200 and b'method="post"' in confirm.content
    assert ExportJob.objects.filter(pk=job.pk).exists()
    response = client.post(reverse("exports:delete", args=[job.pk]))
    assert response.status_code == 302
    assert not ExportJob.objects.filter(pk=job.pk).exists()
    import os

    assert not os.path.exists(path)


def test_expired_jobs_are_deleted_with_their_files(client, login_as, export):
    login_as("coord.mangystau")
    _response, job = export("events", "csv")
    assert job.expires_at > timezone.now() + timedelta(days=6)
    storage, name = job.file.storage, job.file.name
    assert export_jobs.recover_and_clean()["expired"] == 0
    counts = export_jobs.recover_and_clean(now=job.expires_at + timedelta(seconds=1))
    assert counts["expired"] == 1 and not ExportJob.objects.exists()
    assert not storage.exists(name)


def test_a_job_whose_worker_was_lost_is_written_again(
    client, login_as, settings, django_capture_on_commit_callbacks
):
    user = User.objects.get(username="coord.mangystau")
    from accounts.scope import scope_for

    job = ExportJob.objects.create(
        user=user,
        kind="events",
        format="csv",
        scope=export_jobs.scope_to_json(scope_for(user)),
        status=ExportJob.Status.RUNNING,
        attempts=1,
        task_id="lost",
        heartbeat_at=timezone.now() - timedelta(seconds=settings.TASK_STALE_AFTER + 5),
    )
    with django_capture_on_commit_callbacks(execute=True):
        counts = export_jobs.recover_and_clean()
    assert counts["requeued"] == 1
    job.refresh_from_db()
    assert job.status == ExportJob.Status.DONE and job.attempts == 2


def test_a_large_get_offers_a_background_job_instead_of_answering(client, login_as, settings):
    settings.EXPORT_DIRECT_MAX_ROWS = 2
    login_as("undp.staff")
    url = reverse("imports:export_participants", args=["xlsx"])
    response = client.get(url, {"sex": "M"})
    assert response.status_code == 200 and not response.streaming
    assert response.templates[0].name == "participants/export_confirm.html"
    assert f'action="{url}?sex=M"' in response.content.decode()
    assert not ExportJob.objects.exists()


def test_a_running_job_polls_its_progress(client, login_as):
    user = User.objects.get(username="coord.mangystau")
    job = ExportJob.objects.create(
        user=user,
        kind="events",
        format="csv",
        scope={"regions": None},
        status=ExportJob.Status.RUNNING,
        rows_total=10,
        rows_done=4,
    )
    login_as("coord.mangystau")
    row = client.get(reverse("exports:progress", args=[job.pk])).content.decode()
    assert f'hx-get="{reverse("exports:progress", args=[job.pk])}"' in row
    assert "4 of 10" in row and 'value="40"' in row


def test_list_page_query_count_does_not_grow_with_jobs(
    client, login_as, django_assert_max_num_queries
):
    user = User.objects.get(username="coord.mangystau")
    login_as("coord.mangystau")

    def add(n):
        ExportJob.objects.bulk_create(
            ExportJob(user=user, kind="events", format="csv", scope={}, status="done")
            for _ in range(n)
        )

    add(2)
    with django_assert_max_num_queries(12) as few:
        assert client.get(reverse("exports:list")).status_code == 200
    add(30)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(reverse("exports:list"))
    assert page.content.decode().count('id="export-') == 20
