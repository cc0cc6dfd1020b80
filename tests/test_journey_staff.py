"""Journeys of programme staff, admins, coordinators and participants in a real browser
(Chromium via Playwright), with axe-core on every page they see:

- staff build the Q3 2024 donor report in every format through a real Celery worker on Redis
  and download each file (issue 5);
- a participant answers the feedback form on a phone, in Kazakh;
- an admin adds a partner, a district and a participant category that a coordinator can pick
  at once (issue 10);
- a coordinator imports a partner's messy sign-in sheet and feedback file, fixes them and
  exports the roster again (issue 7)."""

from __future__ import annotations

import io
import os
import re
import time
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest

from .browser_fixtures import assert_accessible, login, screenshot

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def shared_media(settings):
    """The session's worker was started before the per-test media folder existed: the live
    server shares its storage, as web and worker share it in production."""
    settings.MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", ROOT / "media"))


def _click_and_load(page, locator) -> None:
    with page.expect_navigation():
        locator.click()


def _menu(page, name: str) -> None:
    """Follow a link of the main menu, opening the drop-down that holds it first."""
    menu = page.get_by_role("navigation", name="Main menu")
    link = menu.get_by_role("link", name=name, exact=True)
    if not link.is_visible():
        # A closed menu's links are hidden: matched inside each menu, hidden ones included.
        held = page.get_by_role("link", name=name, exact=True, include_hidden=True)
        menu.locator(".dropdown", has=held).locator(".dropdown-toggle").click()
    _click_and_load(page, link)


# 1. Staff build the quarterly donor report ---------------------------------------------------
def _zip_names(content: bytes) -> set[str]:
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert archive.testzip() is None
        return set(archive.namelist())


def _check_report_file(fmt: str, name: str, content: bytes) -> None:
    """The downloaded file is a real file of its format, not an error page."""
    if fmt == "pdf":
        assert name.endswith(".pdf") and content.startswith(b"%PDF-")
        assert b"%%EOF" in content[-1024:]
    elif fmt == "xlsx":
        names = _zip_names(content)
        assert name.endswith(".xlsx")
        assert {"[Content_Types].xml", "xl/workbook.xml"} <= names
        assert any(n.startswith("xl/worksheets/sheet") for n in names)
    elif fmt == "docx":
        assert name.endswith(".docx")
        assert {"[Content_Types].xml", "word/document.xml"} <= _zip_names(content)
    elif fmt == "csv":
        names = _zip_names(content)
        assert name.endswith(".zip")
        assert "README.txt" in names and sum(n.endswith(".csv") for n in names) >= 3
    elif fmt == "iati":
        assert name.endswith(".xml")
        root = ElementTree.fromstring(content)
        assert root.tag == "iati-activities" and root.get("version") == "2.03"
        assert root.find("iati-activity") is not None
    else:
        raise AssertionError(f"unexpected format {fmt}")


@pytest.mark.celery
def test_staff_build_the_q3_2024_report_in_every_format_and_download_each_file(
    page, demo, celery_worker, shared_media
):
    from reports.models import ReportRun
    from reports.renderers import FORMATS
    from reports.run_forms import format_label

    login(page, "undp.staff")
    _menu(page, "Reports")
    assert page.url.endswith("/reports/")
    assert_accessible(page)

    _click_and_load(page, page.get_by_role("link", name="Build a report"))
    assert page.url.endswith("/reports/new/")
    assert page.get_by_label("A quarter").is_checked()
    page.get_by_label("Quarter", exact=True).select_option("2024Q3")
    assert page.get_by_label("All regions").is_checked()
    for fmt in FORMATS:  # every format is offered and ticked
        assert page.get_by_label(str(format_label(fmt))).is_checked(), fmt
    page.get_by_label("Language of the report").select_option("en")
    assert_accessible(page)
    screenshot(page, "report-new")

    _click_and_load(page, page.get_by_role("button", name="Build the report"))
    assert re.search(r"/reports/\d+/$", page.url)
    assert page.get_by_role("heading", level=1).inner_text() == "Report for 2024Q3"
    assert page.get_by_text("Your report has been requested.").is_visible()
    assert_accessible(page)  # while queued or running: progress bar and live status

    # Watch the page as the user does: htmx swaps the progress in until the run is over.
    seen, deadline = [], time.monotonic() + 240
    while time.monotonic() < deadline:
        if page.locator("#report-run .badge", has_text="Done").count():
            break
        value = page.evaluate("document.querySelector('#report-run progress')?.value ?? null")
        if value is not None:
            seen.append(int(value))
        page.wait_for_timeout(300)
    else:
        raise AssertionError(f"report not done in 240 s; progress seen {seen}")
    assert seen and seen == sorted(seen), seen  # a progress bar that never goes back
    run = ReportRun.objects.get()
    assert run.status == ReportRun.Status.DONE, run.error
    assert page.get_by_text(re.compile(r"Finished .*, in ")).is_visible()
    assert page.get_by_role("heading", name="Key numbers of this version").is_visible()
    assert_accessible(page)
    screenshot(page, "report-run-done")

    links = page.locator("#report-run a[download]")
    assert links.count() == len(FORMATS)
    files = {}
    for fmt in run.formats:
        link = page.get_by_role("link", name=f"Download {format_label(fmt)}")
        with page.expect_download() as info:
            link.click()
        download = info.value
        assert download.failure() is None
        files[fmt] = (download.suggested_filename, Path(download.path()).read_bytes())
    for fmt, (name, content) in files.items():
        _check_report_file(fmt, name, content)
    assert sorted(files) == sorted(FORMATS)

    # The run is listed with its files for everyone who comes later.
    _menu(page, "Reports")
    row = page.locator("main table tbody tr", has_text="2024Q3")
    assert row.get_by_role("link", name="PDF").is_visible()
    assert_accessible(page)
    for report_file in run.files.all():
        report_file.file.delete(save=False)


# 2. A participant answers the feedback form on a phone, in Kazakh ----------------------------
def test_participant_answers_feedback_on_a_phone_in_kazakh(phone, demo):
    from django.utils import translation

    from participants.models import Feedback
    from trainings.models import TrainingEvent

    event = TrainingEvent.objects.get(
        title__startswith="Emotional intelligence", region__code="KZ-47"
    )
    before = Feedback.objects.filter(event=event).count()
    phone.goto(phone.base + f"/f/{event.feedback_token}/")
    assert phone.get_by_role("heading", level=1).inner_text() == "Your feedback"
    assert_accessible(phone)

    _click_and_load(phone, phone.get_by_role("link", name="Қазақша"))
    assert phone.url == phone.base + f"/f/{event.feedback_token}/"  # clean URL, choice kept
    assert phone.locator("html").get_attribute("lang") == "kk"
    with translation.override("kk"):
        heading, send = translation.gettext("Your feedback"), translation.gettext("Send")
        thanks = translation.gettext("Thank you!")
        received = translation.gettext(
            "Your feedback has been received. It helps us improve the next trainings."
        )
    assert heading != "Your feedback" and thanks != "Thank you!"  # really translated
    assert phone.get_by_role("heading", level=1).inner_text() == heading
    assert phone.get_by_role("link", name="Қазақша").get_attribute("aria-current") == "true"
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    with translation.override("kk"):
        answer = translation.gettext("Very dissatisfied")
    assert phone.get_by_label(f"1 – {answer}").count() == 1  # the answers too, not only questions
    assert_accessible(phone)

    for fieldset, value in ((0, "5"), (1, "4"), (2, "4"), (3, "5")):
        phone.locator("fieldset.likert").nth(fieldset).locator(f"input[value='{value}']").tap()
    phone.locator("textarea").first.fill("Жағдайлық ойындар")
    phone.locator("textarea").last.fill("Тренинг өте пайдалы болды, рахмет!")
    phone.wait_for_timeout(4000)  # a person reads the questions: the form refuses bots' speed
    _click_and_load(phone, phone.get_by_role("button", name=send))

    assert phone.url == phone.base + f"/f/{event.feedback_token}/thanks/"
    assert phone.locator("html").get_attribute("lang") == "kk"
    assert phone.get_by_role("heading", level=1).inner_text() == thanks
    assert phone.get_by_role("status").inner_text() == received
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert_accessible(phone)
    stored = Feedback.objects.filter(event=event).order_by("-pk").first()
    assert Feedback.objects.filter(event=event).count() == before + 1
    assert (stored.satisfaction, stored.relevance, stored.language) == (5, 4, "kk")

    # Opening the link again on the same phone: already answered, still in Kazakh.
    phone.goto(phone.base + f"/f/{event.feedback_token}/")
    assert phone.get_by_role("heading", level=1).inner_text() == thanks
    assert Feedback.objects.filter(event=event).count() == before + 1


# 3. An admin extends the reference lists; a coordinator picks the new items at once ---------
def _field(page, label: str):
    """A form field by its label, as crispy-forms writes it (a * after required ones)."""
    return page.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*\*?\s*$"))


def _save(page, button: str = "Save") -> None:
    _click_and_load(page, page.locator("main form").get_by_role("button", name=button))
    assert not page.locator(".invalid-feedback, .alert-danger").count(), page.inner_text("main")


def test_admin_adds_a_partner_district_and_category_a_coordinator_picks_at_once(page, demo):
    from participants.models import Participant, ParticipantCategory
    from regions.models import District, PartnerOrganisation
    from trainings.models import TrainingEvent

    login(page, "admin")
    _menu(page, "Reference data")
    assert page.url.endswith("/manage/")
    assert_accessible(page)
    screenshot(page, "manage-index")

    # A partner NGO in Kyzylorda.
    _click_and_load(page, page.get_by_role("link", name=re.compile("^Partner organisations")))
    assert_accessible(page)
    _click_and_load(page, page.get_by_role("link", name="Add a partner organisation"))
    _field(page, "Name").fill("Syr Tolqyny youth initiatives")
    _field(page, "Short name").fill("Syr Tolqyny")
    _field(page, "Type").select_option(label="NGO")
    _field(page, "Region").select_option(label="Kyzylorda Region")
    _field(page, "Contact person").fill("Aizhan Tursyn")
    assert_accessible(page)
    screenshot(page, "manage-partner-new")
    _save(page)
    partner = PartnerOrganisation.objects.get(name="Syr Tolqyny youth initiatives")
    assert (partner.type, partner.region.code, partner.is_active) == ("ngo", "KZ-43", True)
    assert page.get_by_role("heading", level=1).inner_text().startswith("Syr Tolqyny")
    assert_accessible(page)

    # A new district (a city) of Kyzylorda.
    _menu(page, "Reference data")
    _click_and_load(page, page.get_by_role("link", name=re.compile("^Districts")))
    assert_accessible(page)
    _click_and_load(page, page.get_by_role("link", name="Add a district"))
    _field(page, "Region").select_option(label="Kyzylorda Region")
    _field(page, "Kind").select_option(label="City")
    _field(page, "Name (Kazakh)").fill("Байқоңыр қаласы")
    _field(page, "Name (Russian)").fill("город Байконыр")
    _field(page, "Name (English)").fill("Baikonur")
    assert_accessible(page)
    screenshot(page, "manage-district-new")
    _save(page)
    district = District.objects.get(name_en="Baikonur")
    assert district.region.code == "KZ-43" and district.is_active
    assert page.url.endswith(f"/manage/regions/{district.region_id}/")  # the region's districts
    assert page.locator("main").get_by_text("Baikonur").count()
    assert_accessible(page)

    # A participant category, its code made from the English name.
    _menu(page, "Reference data")
    _click_and_load(page, page.get_by_role("link", name=re.compile("^Participant categories")))
    assert_accessible(page)
    _click_and_load(page, page.get_by_role("link", name="Add a participant category"))
    _field(page, "Name (Kazakh)").fill("Мектеп психологтары")
    _field(page, "Name (Russian)").fill("Школьные психологи")
    _field(page, "Name (English)").fill("School psychologists")
    _field(page, "Group").fill("education")
    assert_accessible(page)
    screenshot(page, "manage-category-new")
    _save(page)
    category = ParticipantCategory.objects.get(name_en="School psychologists")
    assert category.code == "school-psychologists" and category.is_active
    assert page.get_by_role("link", name="School psychologists").is_visible()
    assert_accessible(page)
    screenshot(page, "manage-categories")

    # The Kyzylorda coordinator, without anyone restarting anything, picks all three.
    page.get_by_role("button", name="Log out").click()
    page.wait_for_load_state()
    login(page, "coord.kyzylorda")
    _menu(page, "Events")
    _click_and_load(page, page.get_by_role("link", name="Add an event"))
    _field(page, "Title").fill("Early signs of radicalisation: school psychologists")
    _field(page, "Start date").fill("2024-11-20")
    _field(page, "End date").fill("2024-11-21")
    _field(page, "Region").select_option(label="Kyzylorda Region")
    _field(page, "District or city").select_option(label="Baikonur")
    # Its short name, among the partners' checkboxes.
    page.get_by_role("group", name="Host partners").get_by_label("Syr Tolqyny").check()
    assert_accessible(page)
    _save(page, "Add the event")
    event = TrainingEvent.objects.get(title__startswith="Early signs of radicalisation")
    assert event.district == district and list(event.host_partners.all()) == [partner]
    assert re.search(rf"/events/{event.pk}/$", page.url)
    assert page.get_by_text("Baikonur").count() and page.get_by_text("Syr Tolqyny").count()

    _click_and_load(page, page.get_by_role("link", name="Add people").first)
    # The registration form opens inline, below the search (htmx), on the same page.
    page.get_by_role("link", name="Register a new person").click()
    panel = page.get_by_role("region", name="Register a new person")
    _field(panel, "Full name").fill("Мадина Серікбайқызы")
    _field(panel, "Sex").select_option(label="Female")
    _field(panel, "Birth year").fill("1991")
    _field(panel, "Region").select_option(label="Kyzylorda Region")
    _field(panel, "District or city").select_option(label="Baikonur")
    _field(panel, "Category").select_option(label="School psychologists")
    _field(panel, "Organisation").select_option(label="Syr Tolqyny")
    panel.get_by_label(re.compile("agreed to the processing")).check()
    assert_accessible(page)
    panel.get_by_role("button", name="Register and add").click()
    page.locator(
        "#new-person [role=status]", has_text="Мадина Серікбайқызы is registered and on the roster"
    ).wait_for()
    person = Participant.objects.get(full_name="Мадина Серікбайқызы")
    assert (person.district, person.category, person.organisation) == (district, category, partner)
    assert event.enrolments.filter(participant=person).exists()
    assert_accessible(page)


# 4. A coordinator imports a partner's messy files, fixes them, exports the roster -----------
SIGN_IN_HEADER = (
    "№;ФИО;Пол;Год рождения;Организация;Должность;Категория;Телефон;Согласие на обработку данных"
)
SIGN_IN_ROWS = [
    "1;Жумабаева Айгуль Сериковна;Ж;1988;Аппарат акима г. Кызылорда;главный специалист;"
    "Сотрудник акимата;+7 701 555 12 34;да",
    "2;  ИВАНОВ  Сергей Петрович ;м;1979.0;УП Кызылординской области;участковый инспектор;"
    "police-inspector;87015551235;да",
    ";;;;;;;;",
    "3;Оспанов Ерлан Маратович;М;{year};МРЦ Шиели;специалист;"
    "сотрудник молодёжного ресурсного центра;;+",
    "4;Ким Анна Викторовна;{sex};1995;МРЦ Шиели;психолог;;8 (724) 555-66-77;да",
]


def _sign_in_sheet(year: str, sex: str) -> bytes:
    """A partner's registration sheet as Excel saves CSV on a Russian Windows: Windows-1251,
    `;`, CRLF, a title above the header, a numbering column and an empty line."""
    lines = ["Лист регистрации участников;;;;;;;;", "Кызылорда, ноябрь 2024;;;;;;;;", ""]
    lines += [SIGN_IN_HEADER, *(row.format(year=year, sex=sex) for row in SIGN_IN_ROWS)]
    return ("\r\n".join(lines) + "\r\n").encode("cp1251")


def _feedback_workbook(satisfaction) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "Анкеты"
    sheet.append(["Обратная связь участников"])
    sheet.append([])
    sheet.append(
        [
            "ФИО",
            "Общая удовлетворённость (1-5)",
            "Актуальность для работы (1-5)",
            "Полезность (1-5)",
            "Намерение применить (1-5)",
            "Комментарии",
            "Согласие на цитирование",
        ]
    )
    for cell in sheet[3]:
        cell.font = Font(bold=True)
    sheet.append(["Жумабаева Айгуль Сериковна", 5, 4, 5, "5", "Очень полезно", "да"])
    sheet.append(["Иванов Сергей Петрович", satisfaction, 4, 4, 4, None, "нет"])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _upload(page, name: str, content: bytes, mime: str) -> None:
    _click_and_load(page, page.get_by_role("link", name="Import a spreadsheet"))
    assert_accessible(page)
    page.get_by_label(re.compile("Spreadsheet")).set_input_files(
        {"name": name, "mimeType": mime, "buffer": content}
    )
    _click_and_load(page, page.get_by_role("button", name="Check the file"))
    assert re.search(r"/imports/\d+/$", page.url)
    assert_accessible(page)


def _upload_corrected(page, name: str, content: bytes, mime: str) -> None:
    _click_and_load(page, page.get_by_role("link", name="Upload a corrected file"))
    page.get_by_label(re.compile("Spreadsheet")).set_input_files(
        {"name": name, "mimeType": mime, "buffer": content}
    )
    _click_and_load(page, page.get_by_role("button", name="Check the file"))
    assert_accessible(page)


def _status(page) -> str:
    return page.locator("#import-batch p").first.inner_text()


def test_coordinator_imports_messy_files_fixes_them_and_exports_the_roster(page, demo):
    from openpyxl import load_workbook

    from participants.identity import normalise_name
    from participants.models import Feedback, Participant
    from trainings.models import TrainingEvent

    event = (
        TrainingEvent.objects.filter(region__code="KZ-43", sessions__isnull=False)
        .distinct()
        .order_by("start_date")
        .first()
    )
    people_before = Participant.objects.count()
    feedback_before = Feedback.objects.filter(event=event).count()
    csv_mime, xlsx_mime = (
        "text/csv",
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    )

    login(page, "coord.kyzylorda")
    _menu(page, "Events")
    _click_and_load(page, page.locator("main table").get_by_role("link", name=event.title))

    # The sign-in sheet: two bad rows are flagged with their line, column and cause.
    _upload(page, "регистрация.csv", _sign_in_sheet(year="2031", sex="?"), csv_mime)
    assert _status(page) == "Status: Has errors"
    errors = page.locator("#import-batch .list-group-item-danger")
    texts = errors.all_inner_texts()
    assert len(texts) == 2, texts
    assert texts[0].startswith("row 8, Год рождения:") and "2031" in texts[0]
    assert texts[1].startswith("row 9, Пол:")
    assert page.get_by_role("button", name=re.compile("^Import")).count() == 0  # cannot confirm
    screenshot(page, "import-errors")
    assert Participant.objects.count() == people_before  # nothing written

    # Fixed in the file (as the page asks) and uploaded again: a clean preview.
    _upload_corrected(page, "регистрация.csv", _sign_in_sheet(year="1993", sex="Ж"), csv_mime)
    assert _status(page) == "Status: Ready to import"
    preview = page.locator("#import-batch table tbody tr")
    assert preview.count() == 4
    assert preview.get_by_text("create").count() == 4
    assert page.get_by_text("Ким Анна Викторовна").is_visible()
    # The running-number column "№" is known and not read; the preview says how it read the file.
    assert "separator “;”" in page.locator("#import-batch").inner_text()
    screenshot(page, "import-preview")
    assert Participant.objects.count() == people_before  # still nothing written
    _click_and_load(page, page.get_by_role("button", name="Import 4 rows"))
    assert _status(page) == "Status: Imported"
    assert page.get_by_text(re.compile(r"Imported: 4 new people, 0 updated, 4 added")).is_visible()
    assert_accessible(page)
    assert Participant.objects.count() == people_before + 4
    ivanov = Participant.objects.get(full_name__icontains="Сергей Петрович")
    assert normalise_name(ivanov.full_name) == normalise_name("Иванов Сергей Петрович")
    assert (ivanov.sex, ivanov.birth_year, ivanov.category.code) == ("M", 1979, "police-inspector")
    assert ivanov.region.code == "KZ-43"  # the event's region by default
    assert event.enrolments.filter(participant=ivanov).exists()

    # The feedback forms, typed into Excel by the partner: one answer out of range.
    _click_and_load(page, page.get_by_role("link", name="Back to the event"))
    _upload(page, "анкеты.xlsx", _feedback_workbook(satisfaction=7), xlsx_mime)
    assert _status(page) == "Status: Has errors"
    texts = page.locator("#import-batch .list-group-item-danger").all_inner_texts()
    assert len(texts) == 1 and texts[0].startswith("row 5, Общая удовлетворённость"), texts
    _upload_corrected(page, "анкеты.xlsx", _feedback_workbook(satisfaction=3), xlsx_mime)
    assert _status(page) == "Status: Ready to import"
    assert page.locator("#import-batch table tbody tr").get_by_text("match existing").count() == 2
    _click_and_load(page, page.get_by_role("button", name="Import 2 rows"))
    assert page.get_by_text(re.compile(r"0 new people.* 2 feedback forms")).is_visible()
    assert Participant.objects.count() == people_before + 4  # matched, not created again
    answers = Feedback.objects.filter(event=event, enrolment__participant=ivanov).get()
    assert (answers.satisfaction, answers.relevance, answers.consent_to_quote) == (3, 4, False)
    assert Feedback.objects.filter(event=event).count() == feedback_before + 2

    # The roster goes out again, with the people just imported.
    _click_and_load(page, page.get_by_role("link", name="Back to the event"))
    with page.expect_download() as info:
        page.get_by_role("link", name="Participants (Excel)").click()
    download = info.value
    assert download.suggested_filename.endswith(".xlsx")
    rows = list(
        load_workbook(io.BytesIO(Path(download.path()).read_bytes())).active.iter_rows(
            values_only=True
        )
    )
    names = {str(cell) for row in rows[1:] for cell in row if cell}
    for name in ("Жумабаева Айгуль Сериковна", "Оспанов Ерлан Маратович", "Ким Анна Викторовна"):
        assert name in names
    assert len(rows) - 1 == event.enrolments.count()
    with page.expect_download() as info:
        page.get_by_role("group", name="Export the roster").get_by_role("link", name="CSV").click()
    text = Path(info.value.path()).read_bytes().decode("utf-8-sig")
    assert "Ким Анна Викторовна,F,1995,МРЦ Шиели,0,0,0" in text  # no attendance marked yet
    assert ivanov.full_name in text
