"""Files and photos on an event (issue 19): a coordinator keeps the scanned sign-in sheets, the
agenda and photos with the event; files are checked by what they are, photos lose their GPS
position, files leave only through a view that checks who asks, and the photos staff choose
(with the people's agreement) go into the donor report next to the two logos."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.urls import reverse
from docx import Document
from PIL import Image

from accounts.models import SecurityEvent, User
from reports import branding
from reports.builder import ReportData, build_report_data, inputs_hash
from reports.models import ReportLogo
from reports.renderers import render
from trainings import services
from trainings.models import EventFile, RegionQuarter, TrainingEvent

from .factories import EventFactory

pytestmark = pytest.mark.django_db

GPS_IFD = 0x8825
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def jpeg(*, gps: bool = False, size=(640, 480), colour=(200, 40, 40)) -> bytes:
    """A real JPEG made by Pillow, with a GPS position in its EXIF when asked."""
    image = Image.new("RGB", size, colour)
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    if gps:
        exif[GPS_IFD] = {1: "N", 2: (43.0, 39.0, 0.0), 3: "E", 4: (51.0, 10.0, 0.0)}
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def png_logo() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (300, 120), (0, 90, 170, 255)).save(out, "PNG")
    return out.getvalue()


@pytest.fixture
def event(demo) -> TrainingEvent:
    """A Mangystau event of the demo's programme, open for its coordinator."""
    programme = TrainingEvent.objects.filter(region__code="KZ-47").first().programme
    return EventFactory(programme=programme, title="Youth workers' workshop, Aktau")


def upload(client, event, name: str, data: bytes, kind: str = "photo", **extra):
    return client.post(
        reverse("trainings:event_files", args=[event.pk]),
        {"kind": kind, "file": _named(name, data), "caption": "", **extra},
    )


def _named(name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def coordinator() -> User:
    return User.objects.get(username="coord.mangystau")


# Upload ---------------------------------------------------------------------------------------
def test_coordinator_uploads_a_photo_stored_without_its_gps_position(login_as, event):
    original = jpeg(gps=True)
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS_IFD)  # the camera's position
    client = login_as("coord.mangystau")

    response = upload(client, event, "Айгерим at the camp.jpg", original, caption="Group work")

    assert response.status_code == 302
    photo = EventFile.objects.get(event=event)
    assert photo.kind == "photo" and photo.content_type == "image/jpeg"
    assert photo.original_name == "Айгерим at the camp.jpg"
    assert "Айгерим" not in photo.file.name and photo.file.name.endswith(".jpg")
    assert photo.uploaded_by == coordinator() and (photo.width, photo.height) == (640, 480)
    with default_storage.open(photo.file.name) as handle:
        stored = Image.open(io.BytesIO(handle.read()))
    exif = stored.getexif()
    assert not exif.get_ifd(GPS_IFD) and 0x010F not in exif
    assert photo.thumbnail and default_storage.exists(photo.thumbnail.name)
    # The event page shows the thumbnail, served by the checked view.
    page = client.get(event.get_absolute_url()).content.decode()
    assert reverse("trainings:event_file_thumbnail", args=[photo.pk]) in page
    assert photo.file.name not in page
    assert photo.history.count() == 1  # audited: who added it, when


def test_a_scanned_sign_in_sheet_as_pdf_is_kept(login_as, event):
    client = login_as("coord.mangystau")
    response = upload(client, event, "sheet day 1.pdf", PDF, kind="sign_in_sheet")
    assert response.status_code == 302
    sheet = EventFile.objects.get(event=event)
    assert sheet.content_type == "application/pdf" and sheet.file.name.endswith(".pdf")
    assert not sheet.thumbnail


def test_a_text_file_renamed_to_jpg_is_refused(login_as, event):
    client = login_as("coord.mangystau")
    response = upload(client, event, "photo.jpg", b"name;phone\nAsel;+7 701 000 00 00\n")
    assert response.status_code == 200
    assert "is not a JPEG, PNG or WebP file" in response.content.decode()
    assert not EventFile.objects.filter(event=event).exists()


def test_a_pdf_is_no_photo(event):
    with pytest.raises(ValidationError, match="JPEG, PNG or WebP"):
        services.add_event_file(event=event, kind="photo", data=PDF, filename="x.pdf")


def test_a_file_over_the_limit_is_refused_with_the_limit_in_words(login_as, event, settings):
    settings.EVENT_FILE_MAX_BYTES = 2048
    client = login_as("coord.mangystau")
    response = upload(client, event, "big.jpg", jpeg(size=(800, 800)))
    assert "the limit is 2 KB" in response.content.decode()
    assert not EventFile.objects.filter(event=event).exists()


def test_upload_with_htmx_swaps_the_section(login_as, event):
    client = login_as("coord.mangystau")
    response = client.post(
        reverse("trainings:event_files", args=[event.pk]),
        {"kind": "agenda", "file": _named("agenda.pdf", PDF), "caption": "Programme"},
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200 and '<section id="files"' in html
    assert "agenda.pdf" in html and "<html" not in html


# Who sees and downloads what --------------------------------------------------------------------
@pytest.fixture
def sheet_and_photo(event):
    by = coordinator()
    sheet = services.add_event_file(
        event=event, kind="sign_in_sheet", data=PDF, filename="signatures.pdf", by=by
    )
    photo = services.add_event_file(
        event=event, kind="photo", data=jpeg(), filename="room.jpg", caption="The room", by=by
    )
    return sheet, photo


def test_download_goes_through_the_checked_view(login_as, sheet_and_photo, client):
    sheet, _photo = sheet_and_photo
    url = reverse("trainings:event_file_download", args=[sheet.pk])
    assert client.get(url).status_code == 302  # not logged in: the login page
    assert client.get(f"/media/{sheet.file.name}").status_code == 404  # storage is not served
    response = login_as("coord.mangystau").get(url)
    assert response.status_code == 200 and body(response) == PDF
    assert 'filename="signatures.pdf"' in response["Content-Disposition"]
    # A sheet with people's names on it: its download is in the audit log.
    assert SecurityEvent.objects.filter(
        kind=SecurityEvent.Kind.REPORT_DOWNLOADED, detail__what="event_file"
    ).exists()


def test_viewer_sees_the_photo_but_never_the_sign_in_sheet(login_as, event, sheet_and_photo):
    sheet, photo = sheet_and_photo
    client = login_as("viewer")
    page = client.get(event.get_absolute_url()).content.decode()
    assert reverse("trainings:event_file_thumbnail", args=[photo.pk]) in page
    assert "signatures.pdf" not in page
    assert client.get(reverse("trainings:event_file_download", args=[photo.pk])).status_code == 200
    assert client.get(reverse("trainings:event_file_download", args=[sheet.pk])).status_code == 404
    assert client.get(reverse("trainings:event_file_edit", args=[photo.pk])).status_code == 403


def test_coordinator_of_another_region_gets_404(login_as, event, sheet_and_photo):
    _sheet, photo = sheet_and_photo
    client = login_as("coord.kyzylorda")
    for name in ("event_file_download", "event_file_thumbnail", "event_file_edit"):
        assert client.get(reverse(f"trainings:{name}", args=[photo.pk])).status_code == 404
    assert client.post(reverse("trainings:event_file_delete", args=[photo.pk])).status_code == 404
    assert upload(client, event, "x.jpg", jpeg()).status_code == 404
    assert EventFile.objects.filter(event=event).count() == 2


def test_an_approved_quarter_refuses_upload_and_delete(login_as, event, sheet_and_photo):
    _sheet, photo = sheet_and_photo
    RegionQuarter.objects.create(
        programme=event.programme,
        region=event.region,
        quarter="2024Q3",
        status=RegionQuarter.Status.APPROVED,
    )
    client = login_as("coord.mangystau")
    response = upload(client, event, "late.jpg", jpeg(), follow=False)
    assert response.status_code == 302
    delete = client.post(reverse("trainings:event_file_delete", args=[photo.pk]), follow=True)
    assert "is approved and locked" in delete.content.decode()
    assert EventFile.objects.filter(event=event).count() == 2
    assert default_storage.exists(photo.file.name)
    # The page offers no upload form and no delete links to the coordinator.
    page = client.get(event.get_absolute_url()).content.decode()
    assert reverse("trainings:event_file_delete", args=[photo.pk]) not in page
    assert 'name="file"' not in page


def test_delete_asks_first_then_removes_the_file_from_storage(
    login_as, sheet_and_photo, django_capture_on_commit_callbacks
):
    _sheet, photo = sheet_and_photo
    client = login_as("coord.mangystau")
    url = reverse("trainings:event_file_delete", args=[photo.pk])
    assert "Delete the file" in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url).status_code == 302
    assert not EventFile.objects.filter(pk=photo.pk).exists()
    assert not default_storage.exists(photo.file.name)
    assert not default_storage.exists(photo.thumbnail.name)


def test_deleting_a_planned_event_removes_its_files_from_storage(
    login_as, event, sheet_and_photo, django_capture_on_commit_callbacks
):
    names = [f.file.name for f in sheet_and_photo]
    with django_capture_on_commit_callbacks(execute=True):
        services.delete_event(event=event, by=coordinator())
    assert not EventFile.objects.filter(event_id=event.pk).exists()
    assert not any(default_storage.exists(name) for name in names)


# The donor report's photos -----------------------------------------------------------------------
def test_a_photo_goes_into_the_report_only_with_the_peoples_agreement(login_as, sheet_and_photo):
    sheet, photo = sheet_and_photo
    client = login_as("coord.mangystau")
    url = reverse("trainings:event_file_edit", args=[photo.pk])
    response = client.post(url, {"caption": "The room", "in_report": "on"})
    assert "agreed to the photo being used in reports" in response.content.decode()
    photo.refresh_from_db()
    assert not photo.in_report
    client.post(url, {"caption": "The room", "in_report": "on", "people_consent": "on"})
    photo.refresh_from_db()
    assert photo.in_report and photo.people_consent
    # Only photos go into the report.
    with pytest.raises(ValidationError):
        services.update_event_file(
            event_file=sheet, caption="", people_consent=True, in_report=True
        )


@pytest.fixture
def chosen_photo(demo) -> EventFile:
    """A photo of a held Q3 2024 event, chosen for the report with the people's agreement."""
    event = TrainingEvent.objects.get(
        title__startswith="Emotional intelligence for police officers (Kyzylorda)"
    )
    return services.add_event_file(
        event=event,
        kind="photo",
        data=jpeg(size=(1200, 800), colour=(30, 120, 60)),
        filename="role play.jpg",
        caption="Negotiation role play",
        people_consent=True,
        in_report=True,
    )


def q3(**kw) -> ReportData:
    data = build_report_data(
        start=date(2024, 7, 1),
        end=date(2024, 9, 30),
        language="en",
        period_label="2024Q3",
        **kw,
    )
    return ReportData.from_json(data.to_json())  # as a stored snapshot


def pdf_images(content: bytes) -> int:
    return content.count(b"/Subtype /Image")


def docx_pictures(doc) -> list:
    """The DOCX's pictures but its charts (named "Chart n")."""
    return [s for s in doc.inline_shapes if not s._inline.docPr.get("name").startswith("Chart")]


def test_report_prints_the_logos_and_the_chosen_photo(chosen_photo):
    branding.set_logo(role=ReportLogo.Role.IMPLEMENTING_AGENCY, name="UNDP", data=png_logo())
    branding.set_logo(role=ReportLogo.Role.DONOR, name="Japan", data=jpeg(size=(200, 120)))

    data = q3()

    assert [logo["name"] for logo in data.logos] == ["UNDP", "Japan"]
    assert [p["caption"] for p in data.photos] == ["Negotiation role play"]
    assert data.photos[0]["path"] == chosen_photo.file.name
    pdf = render(data, "pdf").content
    assert pdf_images(pdf) == 3
    doc = Document(io.BytesIO(render(data, "docx").content))
    assert len(docx_pictures(doc)) == 3
    assert any(p.text == "Photos from the events" for p in doc.paragraphs)
    assert any("Negotiation role play" in p.text for p in doc.paragraphs)


def test_no_logos_and_no_chosen_photos_print_no_picture(demo):
    data = q3()
    assert data.logos == [] and data.photos == []
    assert pdf_images(render(data, "pdf").content) == 0
    doc = Document(io.BytesIO(render(data, "docx").content))
    assert len(docx_pictures(doc)) == 0
    assert not any(p.text == "Photos from the events" for p in doc.paragraphs)


def test_a_photo_not_chosen_or_outside_the_scope_is_not_in_the_report(chosen_photo):
    mangystau = chosen_photo.event.region.__class__.objects.get(code="KZ-47")
    assert q3(region_ids=[mangystau.pk]).photos == []  # the photo is of a Kyzylorda event
    services.update_event_file(
        event_file=chosen_photo, caption="x", people_consent=True, in_report=False
    )
    assert q3().photos == []


def test_choosing_a_photo_changes_the_reports_fingerprint(chosen_photo):
    def digest():
        return inputs_hash(
            start=date(2024, 7, 1), end=date(2024, 9, 30), region_ids=None, language="en"
        )

    before = digest()
    services.update_event_file(
        event_file=chosen_photo, caption="", people_consent=True, in_report=False
    )
    assert digest() != before


# Logos --------------------------------------------------------------------------------------------
def test_admin_uploads_the_donors_logo_on_the_manage_page(login_as, demo):
    client = login_as("admin")
    url = reverse("manage:report_logos")
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "role": "donor",
            "donor-name": "Government of Japan",
            "donor-image": _named("j.png", png_logo()),
        },
    )
    assert response.status_code == 302
    logo = ReportLogo.objects.get(role="donor")
    assert logo.name == "Government of Japan" and logo.content_type == "image/png"
    page = client.get(url).content.decode()
    image_url = reverse("manage:report_logo_image", args=[logo.pk])
    assert image_url in page
    assert body(client.get(image_url)).startswith(b"\x89PNG")
    # A text file is no logo.
    refused = client.post(
        url, {"role": "donor", "donor-name": "X", "donor-image": _named("x.png", b"hello")}
    )
    assert "not a JPEG, PNG or WebP image" in refused.content.decode()
    assert login_as("coord.mangystau").get(url).status_code == 403


def test_no_logo_is_shipped(demo):
    assert not ReportLogo.objects.exists()
