"""Stored files (donor reports, uploaded spreadsheets) never leave as plain media URLs, not even
under `make run` (DEBUG): only through views that check the user's access and record the
download. Their stored names are random, so knowing a run or an upload does not name its file."""

from __future__ import annotations

import importlib
import re
from datetime import date

import pytest
from django.urls import clear_url_caches, reverse

from accounts.models import SecurityEvent, User
from participants.imports.services import confirm_import, start_import
from participants.models import ImportBatch
from reports import services
from reports.models import ReportFile, ReportRun
from trainings.models import TrainingEvent

from .data.imports.samples import BEYNEU, csv_bytes

pytestmark = pytest.mark.django_db

RANDOM = r"[0-9a-f]{32}"


def user(name: str) -> User:
    return User.objects.get(username=name)


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


@pytest.fixture
def debug_urls(settings):
    """The URLconf as `make run` loads it: DEBUG on while config/urls.py is imported."""
    import config.urls

    settings.DEBUG = True
    importlib.reload(config.urls)
    clear_url_caches()
    yield
    settings.DEBUG = False
    importlib.reload(config.urls)
    clear_url_caches()


@pytest.fixture
def report_run(django_capture_on_commit_callbacks) -> ReportRun:
    """A Mangystau report the Mangystau coordinator asked for, built in-process."""
    from regions.models import Region

    with django_capture_on_commit_callbacks(execute=True):
        run = services.request_report(
            user=user("coord.mangystau"),
            region_ids=[Region.objects.get(code="KZ-47").pk],
            formats=["xlsx"],
            language="en",
            period_label="2024Q3",
            start=date(2024, 7, 1),
            end=date(2024, 9, 30),
        )
    run.refresh_from_db()
    assert run.status == ReportRun.Status.DONE, run.error
    return run


@pytest.fixture
def import_batch() -> ImportBatch:
    """A spreadsheet of names uploaded for a Mangystau event, checked and waiting to be
    confirmed (the file stays in storage until then)."""
    batch = start_import(
        event=TrainingEvent.objects.get(title=BEYNEU),
        data=csv_bytes(),
        filename="Beyneu roster.csv",
        user=user("coord.mangystau"),
    )
    assert batch.status == ImportBatch.Status.PREVIEW
    return batch


def stored_bytes(field_file) -> bytes:
    with field_file.open("rb") as handle:
        return handle.read()


# The attack: guess /media/<path> -------------------------------------------------------------
@pytest.mark.parametrize("who", [None, "admin"])
def test_media_urls_give_no_file_even_in_debug_mode(
    client, login_as, debug_urls, report_run, import_batch, who
):
    if who:
        login_as(who)
    report_file = report_run.files.get(format="xlsx")
    for stored in (report_file.file, import_batch.file):
        secret = stored_bytes(stored)
        for url in (f"/media/{stored.name}", stored.url):
            response = client.get(url)
            assert response.status_code == 404, url
            assert secret not in body(response)


def test_stored_report_and_upload_names_have_a_random_part(report_run, import_batch):
    report_file = report_run.files.get(format="xlsx")
    assert re.fullmatch(
        rf"reports/\d{{4}}/\d{{2}}/run{report_run.pk}-{RANDOM}\.xlsx", report_file.file.name
    )
    assert re.fullmatch(rf"imports/\d{{4}}/\d{{2}}/{RANDOM}\.upload", import_batch.file.name)
    # The same sheet uploaded again is stored under another name: nothing derives from content.
    again = start_import(
        event=import_batch.event, data=csv_bytes(), filename="x.csv", user=user("undp.staff")
    )
    assert again.file.name != import_batch.file.name
    assert import_batch.sha256[:16] not in import_batch.file.name


# Report files: through reports:run_download only ----------------------------------------------
def test_report_file_downloads_only_for_users_who_may_see_the_run(
    client, login_as, debug_urls, report_run
):
    report_file = report_run.files.get(format="xlsx")
    content = stored_bytes(report_file.file)
    url = reverse("reports:run_download", args=[report_run.pk, "xlsx"])

    anonymous = client.get(url)
    assert anonymous.status_code == 302 and content not in body(anonymous)  # to the login page
    for name, status in (
        ("coord.mangystau", 200),
        ("viewer", 200),  # aggregates only: viewers may download finished reports
        ("undp.staff", 200),
        ("coord.kyzylorda", 404),  # a Mangystau report: not in a Kyzylorda coordinator's scope
    ):
        login_as(name)
        response = client.get(url)
        assert response.status_code == status, name
        if status == 200:
            assert body(response) == content
            # The readable name, not the random stored one.
            disposition = response["Content-Disposition"]
            assert "qadam-report-" in disposition and "KZ-47" in disposition
            assert re.search(RANDOM, disposition) is None
        else:
            assert content not in body(response)
    downloads = SecurityEvent.objects.filter(
        kind=SecurityEvent.Kind.REPORT_DOWNLOADED, object_id=report_run.pk
    )
    assert sorted(e.username for e in downloads) == ["coord.mangystau", "undp.staff", "viewer"]


# Uploaded sheets: through imports:batch_file only ---------------------------------------------
def test_uploaded_sheet_downloads_only_for_users_who_may_see_the_events_people(
    client, login_as, debug_urls, import_batch
):
    content = stored_bytes(import_batch.file)
    url = reverse("imports:batch_file", args=[import_batch.pk])

    anonymous = client.get(url)
    assert anonymous.status_code == 302 and content not in body(anonymous)
    for name, status in (
        ("coord.mangystau", 200),
        ("undp.staff", 200),
        ("admin", 200),
        ("viewer", 404),  # aggregates only: never a sheet of names
        ("coord.kyzylorda", 404),  # a Mangystau event
    ):
        login_as(name)
        response = client.get(url)
        assert response.status_code == status, name
        if status == 200:
            assert body(response) == content
            assert response["Content-Type"] == "application/octet-stream"
            assert response["Content-Disposition"].startswith("attachment")
            assert "Beyneu roster.csv" in response["Content-Disposition"]
        else:
            assert content not in body(response)

    downloads = SecurityEvent.objects.filter(
        kind=SecurityEvent.Kind.REPORT_DOWNLOADED, object_type="participants.importbatch"
    )
    assert sorted(e.username for e in downloads) == ["admin", "coord.mangystau", "undp.staff"]
    # Named by id; the uploader's file name (which may hold a name) is not copied.
    assert all(
        e.object_id == import_batch.pk
        and "Beyneu" not in e.object_repr
        and "Beyneu" not in str(e.detail)
        for e in downloads
    )


def test_a_written_import_has_no_sheet_left_to_download(client, login_as, import_batch):
    batch = confirm_import(import_batch)
    assert batch.status == ImportBatch.Status.DONE
    login_as("coord.mangystau")
    assert client.get(reverse("imports:batch_file", args=[batch.pk])).status_code == 404


# The Django admin shows the checked download link, never the storage URL ----------------------
def test_admin_change_forms_link_the_checked_downloads_not_media(
    client, login_as, report_run, import_batch
):
    login_as("admin")
    report_file = report_run.files.get(format="xlsx")
    pages = (
        (
            reverse("admin:reports_reportfile_change", args=[report_file.pk]),
            report_file.file.name,
            reverse("reports:run_download", args=[report_run.pk, "xlsx"]),
        ),
        (
            reverse("admin:participants_importbatch_change", args=[import_batch.pk]),
            import_batch.file.name,
            reverse("imports:batch_file", args=[import_batch.pk]),
        ),
    )
    for url, stored_name, download_url in pages:
        page = client.get(url).content.decode()
        assert download_url in page
        assert stored_name not in page and "/media/" not in page
    # Files come only from the report pipeline and the checked upload page.
    assert client.get(reverse("admin:reports_reportfile_add")).status_code == 403
    assert client.get(reverse("admin:participants_importbatch_add")).status_code == 403


def test_reports_stored_before_random_names_keep_their_download_name(client, login_as):
    """A file stored as `run<id>-<name>` by an earlier version (no snapshot needed)."""
    from django.core.files.base import ContentFile

    from regions.models import Region

    run = ReportRun.objects.create(
        requested_by=user("coord.mangystau"),
        period_label="2024Q3",
        period_start=date(2024, 7, 1),
        period_end=date(2024, 9, 30),
        formats=["pdf"],
        status=ReportRun.Status.DONE,
    )
    run.regions.set([Region.objects.get(code="KZ-47")])
    old = ReportFile(run=run, format="pdf")
    old.file.save(f"run{run.pk}-old-report.pdf", ContentFile(b"%PDF-old"), save=True)
    login_as("coord.mangystau")
    response = client.get(reverse("reports:run_download", args=[run.pk, "pdf"]))
    assert response.status_code == 200
    assert 'filename="old-report.pdf"' in response["Content-Disposition"]
