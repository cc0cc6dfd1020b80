"""Importing partners' spreadsheets: encodings, separators, dates, sex spellings, preview,
confirmation in one transaction, idempotent re-import, and bad files refused clearly."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import pytest
from django.urls import reverse
from openpyxl import Workbook

from accounts.models import User
from participants.identity import normalise_name
from participants.imports.columns import parse_date, parse_sex
from participants.imports.parse import FileRejected, read_table
from participants.imports.services import confirm_import, start_import
from participants.models import Attendance, Enrolment, Feedback, ImportBatch, Participant
from trainings.models import TrainingEvent

from .data.imports.samples import BEYNEU, HEADER_RU, ROWS, csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    return TrainingEvent.objects.get(title=BEYNEU)


@pytest.fixture
def coord():
    return User.objects.get(username="coord.mangystau")


def upload(event, data: bytes, user, name="sheet.csv") -> ImportBatch:
    return start_import(event=event, data=data, filename=name, user=user)


def snapshot():
    return (
        Participant.objects.count(),
        Enrolment.objects.count(),
        Attendance.objects.count(),
        Feedback.objects.count(),
    )


def messages(batch: ImportBatch) -> list[str]:
    return [
        f"row {e['row']}, {e['column']}: {e['message']}" if e["row"] else e["message"]
        for e in batch.errors
    ]


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1251", "utf-16"])
@pytest.mark.parametrize("delimiter", [";", ","])
def test_csv_in_every_encoding_and_separator_imports_kazakh_names(
    event, coord, encoding, delimiter
):
    before = snapshot()
    batch = upload(event, csv_bytes(encoding=encoding, delimiter=delimiter), coord)
    assert batch.status == ImportBatch.Status.PREVIEW, messages(batch)
    assert snapshot() == before  # the preview writes nothing
    assert batch.counts["create"] == 4
    first = "Абилкасымова Гулнур" if encoding == "cp1251" else "Әбілқасымова Гүлнұр"
    assert [r["name"] for r in batch.preview][0] == first
    batch = confirm_import(batch)
    assert batch.status == ImportBatch.Status.DONE, batch.message
    person = Participant.objects.get(name_normalised=normalise_name("Оңғарова Әсел"))
    assert (person.sex, person.birth_year, person.region.code) == ("F", 2001, "KZ-47")
    assert Participant.objects.get(name_normalised=normalise_name("Қуанышев Ерғали")).sex == "M"
    assert event.enrolments.count() == 4
    present = Attendance.objects.filter(session__event=event)
    assert present.count() == 5  # 1/1, +/-, 1/0, 1/blank


def test_a_written_import_keeps_no_copy_of_the_sheet_or_its_names(event, coord):
    from django.core.files.storage import default_storage

    batch = upload(event, csv_bytes(), coord)
    stored = batch.file.name
    assert default_storage.exists(stored) and batch.preview
    batch = confirm_import(batch)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE
    assert not default_storage.exists(stored)
    assert batch.preview == []
    assert batch.counts["people_created"] == 4  # the outcome is still on record


def test_reimporting_the_same_file_creates_no_duplicates(event, coord):
    data = csv_bytes(encoding="cp1251")
    confirm_import(upload(event, data, coord))
    after_first = snapshot()
    again = upload(event, data, coord)
    assert again.counts["create"] == 0 and again.counts["match"] == 4
    assert confirm_import(again).status == ImportBatch.Status.DONE
    assert snapshot() == after_first


def test_xlsx_with_merged_two_row_header_blank_rows_and_date_cells(event, coord):
    header = [*HEADER_RU[:5], date(2024, 11, 12), date(2024, 11, 13)]
    rows = [[*r[:5], 1, 0] for r in ROWS]
    rows.insert(2, [None] * 7)  # a blank row in the middle
    data = xlsx_bytes(header=header, rows=rows, merged_title=True, blank_lead=True)
    batch = confirm_import(upload(event, data, coord, "sheet.xlsx"))
    assert batch.status == ImportBatch.Status.DONE, messages(batch)
    assert Attendance.objects.filter(session__event=event).count() == 4


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("13.08.2024", date(2024, 8, 13)),
        ("2024-08-13", date(2024, 8, 13)),
        (45517, date(2024, 8, 13)),
        ("45517", date(2024, 8, 13)),
        ("13/08/2024", date(2024, 8, 13)),
        ("soon", None),
    ],
)
def test_date_spellings(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("М", "M"),
        ("Ж", "F"),
        ("Е", "M"),
        ("Ә", "F"),
        ("ер", "M"),
        ("Әйел", "F"),
        ("M", "M"),
        ("f", "F"),
        ("Male", "M"),
        ("FEMALE", "F"),
        ("мужской", "M"),
        ("женский", "F"),
        ("x", None),
    ],
)
def test_sex_spellings(value, expected):
    assert parse_sex(value) == expected


def test_attendance_columns_as_excel_serials_in_csv(event, coord):
    header = [*HEADER_RU[:5], "45608", "45609"]  # 12.11.2024, 13.11.2024 as Excel serials
    batch = upload(event, csv_bytes(header=header), coord)
    assert batch.status == ImportBatch.Status.PREVIEW, messages(batch)


def test_errors_name_row_column_and_cause_and_nothing_is_written(event, coord):
    rows = [list(r) for r in ROWS]
    rows[1][2] = 2031
    rows[2][1] = "?"
    rows[3][5] = "maybe"
    before = snapshot()
    batch = upload(event, csv_bytes(rows=rows), coord)
    assert batch.status == ImportBatch.Status.INVALID
    text = messages(batch)
    assert "row 3, Год рождения: 2031 is in the future." in text
    assert any(m.startswith("row 4, Пол:") for m in text)
    assert any(m.startswith("row 5, 12.11.2024:") for m in text)
    assert confirm_import(batch).status == ImportBatch.Status.INVALID
    assert snapshot() == before


def test_a_bad_row_in_a_1000_row_file_leaves_the_database_unchanged(event, coord):
    rows = [[f"Тестов Адам{i:04d}", "М", 1990, "ЖРО", "", "1", "1"] for i in range(1000)]
    rows[777][2] = 2031
    before = snapshot()
    batch = upload(event, csv_bytes(rows=rows), coord)
    assert batch.status == ImportBatch.Status.INVALID
    assert batch.counts["errors"] == 1 and batch.errors[0]["row"] == 779
    assert snapshot() == before


def test_a_known_person_is_matched_by_name_and_birth_year(event, coord):
    # Someone the Mangystau coordinator may see (people of other regions are never matched:
    # tests/test_import_scope.py).
    known = Participant.objects.filter(birth_year__isnull=False, region__code="KZ-47").first()
    rows = [[known.full_name.upper(), "", known.birth_year, "", "", "1", "1"]]
    batch = upload(event, csv_bytes(rows=rows), coord)
    assert batch.counts["match"] + batch.counts["update"] == 1, messages(batch)
    confirm_import(batch)
    assert Enrolment.objects.filter(event=event, participant=known).exists()


def test_feedback_and_scores_from_xlsx(event, coord):
    confirm_import(upload(event, csv_bytes(), coord))
    header = [
        "Full name",
        "Birth year",
        "Satisfaction (1-5)",
        "Relevance (1-5)",
        "Usefulness (1-5)",
        "Intent to apply (1-5)",
        "Comments",
        "Consent to quote",
        "Pre-test (0-100)",
        "Post-test (0-100)",
    ]
    rows = [["Серікбаев Нұржан", 1985, 5, 4, 5, 5, "Өте пайдалы", "иә", 40, "85,5"]]
    batch = confirm_import(upload(event, xlsx_bytes(header=header, rows=rows), coord, "f.xlsx"))
    assert batch.status == ImportBatch.Status.DONE, messages(batch)
    feedback = Feedback.objects.get(
        event=event, enrolment__participant__full_name="Серікбаев Нұржан"
    )
    assert (feedback.satisfaction, feedback.consent_to_quote, feedback.source) == (
        5,
        True,
        "import",
    )
    assert str(feedback.enrolment.assessment.post_score) == "85.50"


# Bad files -------------------------------------------------------------------------------------
def _zip(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b"", "empty"),
        (b"   \n\n", "empty"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "password-protected"),
        (bytes(range(256)) * 20, "not a spreadsheet"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00\x01" * 300, "not a spreadsheet"),
        (_zip({"word/document.xml": b"<w/>"}), "not an Excel workbook"),
        (_zip({"xl/workbook.xml": b"<w/>", "xl/big.xml": b"\x00" * 50_000_000}), "far more"),
        (b"PK\x03\x04garbage", "damaged"),
    ],
)
def test_bad_files_are_refused_with_a_clear_message(data, needle):
    with pytest.raises(FileRejected) as caught:
        read_table(data)
    assert needle in caught.value.message


def test_too_large_and_too_many_rows(settings):
    settings.IMPORT_MAX_BYTES = 1000
    with pytest.raises(FileRejected, match="too large"):
        read_table(csv_bytes(rows=ROWS * 20))
    settings.IMPORT_MAX_BYTES = 10_000_000
    settings.IMPORT_MAX_ROWS = 10
    with pytest.raises(FileRejected, match="more than 10 rows"):
        read_table(csv_bytes(rows=ROWS * 5))


def test_wrong_headers_say_what_is_missing_and_unknown(event, coord):
    batch = upload(event, csv_bytes(header=["Имя?", "Цвет", "Пол"], rows=[["a", "b", "М"]]), coord)
    assert batch.status == ImportBatch.Status.INVALID
    assert "full name is missing" in messages(batch)[0]
    assert "Цвет" in messages(batch)[0]


def test_formulas_use_the_saved_value_with_a_warning_and_text_formulas_are_refused(event, coord):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["ФИО", "Пол", "Год рождения"])
    sheet.append(["Тестова Айгүл", "Ж", "=1980+10"])  # no cached value: openpyxl never computes
    buffer = io.BytesIO()
    workbook.save(buffer)
    batch = upload(event, buffer.getvalue(), coord, "f.xlsx")
    assert batch.status == ImportBatch.Status.INVALID
    assert "row 2, Год рождения: a formula without a saved result" in messages(batch)[0]
    batch = upload(event, csv_bytes(header=["ФИО", "Пол"], rows=[["=HYPERLINK(1)", "Ж"]]), coord)
    assert batch.status == ImportBatch.Status.INVALID
    assert "formula" in messages(batch)[0]


# Pages -------------------------------------------------------------------------------------------
def test_coordinator_uploads_previews_and_confirms_in_the_browser(client, login_as, event, coord):
    login_as(coord)
    page = client.get(reverse("imports:upload", args=[event.pk]))
    assert page.status_code == 200
    sheet = io.BytesIO(csv_bytes(encoding="cp1251"))
    sheet.name = "signin.csv"
    response = client.post(reverse("imports:upload", args=[event.pk]), {"file": sheet}, follow=True)
    assert "Абилкасымова Гулнур" in response.content.decode()
    batch = ImportBatch.objects.get(event=event)
    response = client.post(reverse("imports:batch_confirm", args=[batch.pk]), follow=True)
    assert "Imported: 4 new people" in response.content.decode()


def test_bad_upload_page_never_500(client, login_as, event, coord):
    login_as(coord)
    sheet = io.BytesIO(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600)
    sheet.name = "secret.xlsx"
    response = client.post(reverse("imports:upload", args=[event.pk]), {"file": sheet}, follow=True)
    assert response.status_code == 200
    assert "password-protected" in response.content.decode()


def test_other_regions_coordinator_and_viewer_cannot_import(client, login_as, event):
    login_as("coord.kyzylorda")
    assert client.get(reverse("imports:upload", args=[event.pk])).status_code == 404
    login_as("viewer")
    assert client.get(reverse("imports:upload", args=[event.pk])).status_code == 403


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_templates_download_and_import_back(client, login_as, event, coord, lang, fmt):
    login_as(coord)
    response = client.get(
        reverse("imports:template"),
        {"kind": "attendance", "lang": lang, "fmt": fmt, "event": event.pk},
    )
    assert response.status_code == 200
    data = b"".join(response.streaming_content) if response.streaming else response.content
    table = read_table(data)
    assert "12.11.2024" in [str(h) for h in table.header]
    batch = upload(event, data, coord, f"t.{fmt}")
    # The template's only row is its example: recognised, skipped and said (issue 18 point 10).
    assert batch.warnings == ["Row 2 is the template's example and was skipped."]
    assert messages(batch) == ["No row has a name: there is nothing to import."]


def _with_cached_value(data: bytes, formula: str, value: str) -> bytes:
    """Give a formula the result Excel would have saved with the file (openpyxl writes none)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(
                    f"<f>{formula}</f><v></v>".encode(), f"<f>{formula}</f><v>{value}</v>".encode()
                )
            target.writestr(item, content)
    return out.getvalue()


def test_a_formula_with_a_saved_value_is_imported_with_a_warning(event, coord):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["ФИО", "Пол", "Год рождения"])
    sheet.append(["Формулова Айгүл", "Ж", "=1980+10"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    data = _with_cached_value(buffer.getvalue(), "1980+10", "1990")
    batch = upload(event, data, coord, "f.xlsx")
    assert batch.status == ImportBatch.Status.PREVIEW, messages(batch)
    assert batch.warnings == ["Row 2, column Год рождения: a formula; its saved value was used."]
    confirm_import(batch)
    assert Participant.objects.get(full_name="Формулова Айгүл").birth_year == 1990


def test_only_people_of_the_events_region_may_confirm(client, login_as, event, coord):
    batch = upload(event, csv_bytes(), coord)
    for username in ("coord.kyzylorda", "viewer"):
        login_as(username)
        assert client.post(reverse("imports:batch_confirm", args=[batch.pk])).status_code == 404
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PREVIEW


def test_a_stray_nul_deep_in_a_csv_is_dropped(event, coord):
    rows = [[f"Нөлов Адам{i:03d}", "М", 1990, "", "", "1", "1"] for i in range(300)]
    rows[-1][3] = "ЖРО\x00"
    batch = confirm_import(upload(event, csv_bytes(rows=rows), coord))
    assert batch.status == ImportBatch.Status.DONE, messages(batch) or batch.message


@pytest.mark.parametrize("n_batches", [1, 12])
def test_import_pages_query_count_does_not_grow(
    client, login_as, event, coord, django_assert_max_num_queries, n_batches
):
    for _i in range(n_batches):
        batch = upload(event, csv_bytes(), coord)
    login_as(coord)
    with django_assert_max_num_queries(12):
        assert client.get(reverse("imports:home")).status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(batch.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("year", ["1990.0", "1990,0", "1990", " 1990 "])
def test_a_birth_year_written_as_a_decimal_in_a_csv_is_a_year(event, coord, year):
    """docs/imports.md accepts 1990.0; a CSV saved from a number column has it as text (found
    by the browser journey, tests/test_journey_staff.py)."""
    sheet = f"ФИО;Пол;Год рождения\r\nДесятичная Анна;Ж;{year}\r\n".encode("cp1251")
    batch = upload(event, sheet, coord)
    assert batch.status == ImportBatch.Status.PREVIEW, messages(batch)
    confirm_import(batch)
    assert Participant.objects.get(full_name="Десятичная Анна").birth_year == 1990


# (A five-digit number such as 19900 is an Excel date number: tests/test_import_real_files.py.)
@pytest.mark.parametrize("year", ["1990.5", "199000", "199O", "1990.0.0"])
def test_a_birth_year_that_is_not_a_whole_year_is_flagged(event, coord, year):
    sheet = f"ФИО;Пол;Год рождения\r\nДесятичная Анна;Ж;{year}\r\n".encode("cp1251")
    batch = upload(event, sheet, coord)
    assert batch.status == ImportBatch.Status.INVALID
    assert messages(batch) == [f"row 2, Год рождения: “{year}” is not a year."]


def test_a_sex_that_is_not_understood_is_one_error_not_two(event, coord):
    """A new person with "?" as sex: the preview says once what is wrong with that cell."""
    sheet = "ФИО;Пол;Год рождения\r\nНеясная Анна;?;1990\r\nБезполая Ольга;;1991\r\n"
    batch = upload(event, sheet.encode("cp1251"), coord)
    assert messages(batch) == [
        "row 2, Пол: “?” is not understood; write М or Ж (also Е/Ә, M/F).",
        "row 3, Пол / Sex: this person is new to the registry: their sex is needed (М or Ж).",
    ]
    assert batch.counts["errors"] == 2


def test_a_title_line_above_the_header_is_not_read_as_part_of_it():
    """A sign-in sheet with a title, a date line and a blank line above the header: the header
    is line 4 and its "№" column keeps its name (found by the browser journey)."""
    sheet = (
        "Лист регистрации;;;\r\nКызылорда, ноябрь 2024;;;\r\n\r\n"
        "№;ФИО;Пол;Год рождения\r\n1;Заголовкова Анна;Ж;1990\r\n"
    ).encode("cp1251")
    table = read_table(sheet)
    assert table.header_row == 4
    assert table.header == ["№", "ФИО", "Пол", "Год рождения"]
    assert [number for number, _cells in table.rows] == [5]


def test_a_two_row_header_is_still_read_as_one():
    """ "ФИО" merged over two rows beside "Посещаемость" over the session dates."""
    sheet = "ФИО;Посещаемость;\r\n;13.11.2024;14.11.2024\r\nДвухстрочная Анна;1;0\r\n"
    table = read_table(sheet.encode("utf-8"))
    assert table.header_row == 1
    assert table.header == ["ФИО", "13.11.2024", "14.11.2024"]
    assert [number for number, _cells in table.rows] == [3]
