"""Spreadsheets as other programs write them (issue 18): a workbook whose stored size is "A1"
(WPS Office, web exports), a small workbook unpacking to a flood of empty rows, a hidden first
sheet and several sheets with data, a ";" file with a comma in a header, a cp1251 file that
lost its Kazakh letters, Latin look-alike letters in names, IINs without their leading zero,
sign-in sheets numbered in advance, dates of birth as Excel serial numbers and "1979 г.", the
template's own example row, and a web page saved as .xls."""

from __future__ import annotations

import io
import time
import tracemalloc
from datetime import date

import pytest
from django.urls import reverse

from accounts.models import User
from accounts.scope import scope_for
from participants.identity import hash_iin, iin_checksum_ok, normalise_name
from participants.imports.parse import FileRejected, read_table, work_size
from participants.imports.services import confirm_import, run_batch, start_import
from participants.models import Enrolment, ImportBatch, Participant
from participants.selectors import likely_duplicates
from trainings.models import TrainingEvent

from .data.imports.samples import BEYNEU, csv_bytes
from .data.imports.xlsx_xml import Sheet, workbook

pytestmark = pytest.mark.django_db
Status = ImportBatch.Status
HEADER = ["ФИО", "Пол", "Год рождения", "Организация"]


def people(n: int, prefix: str = "Жолдасова") -> list[list]:
    return [
        [f"{prefix} Айгүл{chr(0x430 + i % 32)}{i:03d}", "Ж", 1980 + i % 20, "ЖРО"] for i in range(n)
    ]


@pytest.fixture
def event():
    return TrainingEvent.objects.get(title=BEYNEU)


@pytest.fixture
def coord():
    return User.objects.get(username="coord.mangystau")


def upload(event, data: bytes, user, name="sheet.xlsx") -> ImportBatch:
    return start_import(event=event, data=data, filename=name, user=user)


def messages(batch: ImportBatch) -> list[str]:
    return [
        f"row {e['row']}, {e['column']}: {e['message']}" if e["row"] else e["message"]
        for e in batch.errors
    ]


def notes(batch: ImportBatch) -> dict[int, str]:
    return {r["row"]: r["note"] for r in batch.preview}


# 1. The stored sheet size is wrong or missing -----------------------------------------------------
@pytest.mark.parametrize(
    "sheet",
    [
        Sheet("Лист1", dimension="A1"),  # WPS Office, some libraries
        Sheet("Лист1", dimension="A1:D3"),  # stale: the sheet grew after it was stored
        Sheet("Sheet1", dimension=None),  # none at all
        Sheet("Sheet1", dimension="A1", prefix="x:"),  # .NET writers: <x:row>
        Sheet("export", dimension="A1", cell_refs=False),  # web export: <c> without r="A1"
    ],
    ids=["a1", "stale", "missing", "x-prefix", "no-cell-refs"],
)
@pytest.mark.parametrize("shared", [True, False], ids=["shared-strings", "inline-strings"])
def test_a_workbook_is_read_whole_whatever_size_it_claims(event, coord, sheet, shared):
    sheet.rows = [HEADER, *people(25)]
    batch = upload(event, workbook(sheet, shared_strings=shared), coord)
    assert batch.status == Status.PREVIEW, messages(batch)
    assert batch.counts["rows"] == 25 and batch.file_info["rows_read"] == 26
    done = confirm_import(batch)
    assert done.status == Status.DONE and done.counts["people_created"] == 25
    assert Participant.objects.filter(full_name__startswith="Жолдасова").count() == 25


# 2. A small workbook that unpacks to a flood of empty rows ----------------------------------------
def test_a_flood_of_empty_rows_after_the_data_is_not_read_and_goes_to_the_worker(
    event, coord, django_capture_on_commit_callbacks
):
    sheet = Sheet(
        "Лист1", [HEADER, *people(5)], dimension="A1:XFD1048576", empty_rows_after=300_000
    )
    data = workbook(sheet)
    # A few MB (within every limit) that unpack to tens of MB of empty rows.
    assert len(data) < 4_000_000 and work_size(data) > 30_000_000
    tracemalloc.start()
    started = time.monotonic()
    table = read_table(data)
    elapsed = time.monotonic() - started
    _now, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert [n for n, _cells in table.rows] == [2, 3, 4, 5, 6]
    assert table.info["rows_in_file"] == 300_006 and table.info["rows_read"] == 6
    assert "300,000 empty rows after the last row of data were not read" in table.notes[0]
    assert elapsed < 20 and peak < 40 * 1024 * 1024, (elapsed, peak)
    # Too big to check inside the request: the worker does it (in-process in the tests).
    with django_capture_on_commit_callbacks(execute=True):
        batch = upload(event, data, coord)
        assert batch.status == Status.VALIDATING
    batch.refresh_from_db()
    assert batch.status == Status.PREVIEW and batch.counts["rows"] == 5
    assert any("not read" in w for w in batch.warnings)


def test_data_after_a_flood_of_empty_rows_is_refused_quickly_not_dropped(settings):
    settings.IMPORT_MAX_ROWS = 1000
    sheet = Sheet(
        "Лист1",
        [HEADER, *people(5)],
        empty_rows_after=20_000,
        rows_after_empty=people(1, "Потерянная"),
    )
    started = time.monotonic()
    with pytest.raises(FileRejected, match="far more than its data"):
        read_table(workbook(sheet))
    assert time.monotonic() - started < 10


def test_a_csv_of_empty_lines_is_refused_and_trailing_ones_are_not_read(settings):
    settings.IMPORT_MAX_ROWS = 1000
    data = (
        "ФИО;Пол\r\nПустая Анна;Ж\r\n".encode() + b";;;;\r\n" * 5000 + "Дальняя Анна;Ж\r\n".encode()
    )
    with pytest.raises(FileRejected, match="far more than its data"):
        read_table(data)
    table = read_table("ФИО;Пол\r\nПустая Анна;Ж\r\n".encode() + b";;;;\r\n" * 5000)
    assert len(table.rows) == 1 and table.info["rows_in_file"] == 5002


# 3. The wrong sheet -------------------------------------------------------------------------------
def test_a_hidden_first_sheet_of_drop_down_lists_is_not_read(event, coord):
    lists = Sheet("Lists", [["Пол"], ["М"], ["Ж"]], state="hidden")
    also_hidden = Sheet("codes", [["ФИО"], ["Скрытая Анна"]], state="veryHidden")
    data = workbook(lists, also_hidden, Sheet("Регистрация", [HEADER, *people(3)]))
    batch = upload(event, data, coord)
    assert batch.status == Status.PREVIEW, messages(batch)
    assert batch.file_info["sheet"] == "Регистрация" and batch.file_info["sheets"] == [
        "Регистрация"
    ]
    assert batch.counts["rows"] == 3


def test_only_hidden_sheets_with_data_are_refused_with_a_reason():
    data = workbook(Sheet("Лист1", []), Sheet("Data", [HEADER, *people(2)], state="hidden"))
    with pytest.raises(FileRejected, match="hidden"):
        read_table(data)


def test_several_visible_sheets_let_the_user_pick_one_in_the_preview(
    client, login_as, event, coord
):
    day1 = Sheet("День 1", [HEADER, *people(3, "Первая")])
    empty = Sheet("Пустой", [])
    day2 = Sheet("День 2", [HEADER, *people(2, "Вторая")])
    batch = upload(event, workbook(day1, empty, day2), coord)
    assert batch.status == Status.PREVIEW
    assert batch.file_info["sheets"] == ["День 1", "День 2"]
    login_as(coord)
    page = client.get(batch.get_absolute_url()).content.decode()
    assert 'name="sheet"' in page and "День 2" in page and "Пустой" not in page
    response = client.post(
        reverse("imports:batch_sheet", args=[batch.pk]), {"sheet": "День 2"}, follow=True
    )
    assert "Вторая" in response.content.decode()
    batch.refresh_from_db()
    assert batch.status == Status.PREVIEW and batch.sheet == "День 2" and batch.counts["rows"] == 2
    # A sheet the file does not offer changes nothing.
    client.post(reverse("imports:batch_sheet", args=[batch.pk]), {"sheet": "Пустой"})
    batch.refresh_from_db()
    assert batch.sheet == "День 2"
    confirm_import(batch)  # the confirmation reads the sheet picked
    assert Participant.objects.filter(full_name__startswith="Вторая").count() == 2
    assert not Participant.objects.filter(full_name__startswith="Первая").exists()


# 4. Delimiter -------------------------------------------------------------------------------------
def test_a_semicolon_file_with_a_comma_in_a_header_is_split_on_semicolons(
    client, login_as, event, coord
):
    sheet = (
        "ФИО;Пол;Год рождения;Место работы, должность\r\n"
        "Запятова Анна;Ж;1990;ЖРО, маман\r\n"
        "Точкова Зарина;Ж;1991;Мешіт, имам\r\n"
    ).encode("cp1251")
    batch = upload(event, sheet, coord, "list.csv")
    assert batch.status == Status.PREVIEW, messages(batch)
    assert batch.file_info["delimiter"] == ";" and batch.file_info["encoding"] == "Windows-1251"
    assert batch.counts["rows"] == 2
    login_as(coord)
    page = client.get(batch.get_absolute_url()).content.decode()
    assert "separator “;”" in page and "Windows-1251" in page


@pytest.mark.parametrize("delimiter", [";", ",", "\t"])
def test_the_separator_is_guessed_from_the_shape_of_the_table(delimiter):
    rows = [["Пятая, Анна", "Ж", 1990, "ЖРО; филиал"], ["Шестая Анна", "Ж", 1991, "ЖРО"]]
    table = read_table(csv_bytes(header=HEADER, rows=rows, delimiter=delimiter))
    assert table.header == HEADER and table.rows[0][1][0] == "Пятая, Анна"


# 5. Letters already lost --------------------------------------------------------------------------
def test_question_marks_for_kazakh_letters_are_flagged_with_how_to_save_as_utf8(event, coord):
    text = "ФИО;Пол;Год рождения\r\nНұрланова Әсел;Ж;1990\r\nИванова Анна;Ж;1991\r\n"
    data = text.encode("cp1251", errors="replace")  # what Excel writes: "?" for ұ and Ә
    assert b"?" in data
    batch = upload(event, data, coord, "list.csv")
    assert batch.status == Status.PREVIEW
    assert "letters lost when the file was saved" in notes(batch)[2]
    assert "letters lost" not in notes(batch)[3]
    warning = next(w for w in batch.warnings if "letters were lost" in w)
    assert warning.startswith("Rows 2:") and "CSV UTF-8" in warning


# 6. Latin look-alike letters ----------------------------------------------------------------------
def test_latin_look_alikes_in_a_name_match_the_same_person(event, coord):
    confirm_import(upload(event, csv_bytes(), coord, "first.csv"))
    before = Participant.objects.count()
    rows = [
        ["Ceрiкбаев Нұржан", "М", 1985, "ЖРО Бейнеу", "директор", "1", "1"],  # Latin C, e? i
        ["Әбiлқасымова Гүлнұр", "Ж", 1990, "Бейнеу аудандық әкімдігі", "маман", "1", "1"],
    ]
    again = upload(event, csv_bytes(rows=rows), coord, "fixed.csv")
    assert again.counts["create"] == 0 and again.counts["match"] == 2, again.preview
    confirm_import(again)
    assert Participant.objects.count() == before
    kept = Participant.objects.get(name_normalised=normalise_name("Серікбаев Нұржан"))
    assert kept.full_name == "Серікбаев Нұржан"  # the record keeps the name as it was typed


def test_the_registrys_duplicate_check_sees_through_look_alikes(event, coord):
    confirm_import(upload(event, csv_bytes(), coord, "first.csv"))
    found = likely_duplicates(scope_for(coord), full_name="Оңғарова Әсеl", birth_year=2001)
    assert not found.exists()  # a Latin "l" has no Cyrillic twin: a different word
    found = likely_duplicates(scope_for(coord), full_name="Oңғарова Әcел", birth_year=2001)
    assert [p.full_name for p in found] == ["Оңғарова Әсел"]


@pytest.mark.parametrize(
    ("typed", "same_as"),
    [
        ("Aсқар Hұрланов", "Нұрланов Асқар"),
        ("Иванoв Иван", "Иванов Иван"),
        ("ТEMIРЛАН", "Темірлан"),
        ("Ivanоv Ivan", "Ivanov Ivan"),  # a Cyrillic о in a Latin name
    ],
)
def test_normalised_names_fold_look_alike_letters(typed, same_as):
    assert normalise_name(typed) == normalise_name(same_as)


def test_names_in_one_script_are_left_alone():
    assert normalise_name("Pak Oleg") == "oleg pak"
    assert normalise_name("Пак Олег") != normalise_name("Pak Oleg")


# 7. IINs without their leading zero ---------------------------------------------------------------
def _iin(born: str, serial: str) -> str:
    stem = born + serial
    return next(stem + str(d) for d in range(10) if iin_checksum_ok(stem + str(d)))


def test_an_iin_that_lost_its_leading_zero_is_restored_in_csv_and_xlsx(event, coord):
    first, second = _iin("0503155", "0012"), _iin("0711206", "0345")
    assert first.startswith("0") and second.startswith("0")
    csv_data = (
        "ФИО;ИИН;Пол;Год рождения\r\n"
        f"Нөлова Айым;{first[1:]};Ж;2005\r\n"
        f"Екінші Адам;{_iin('8501153', '0077')};М;1985\r\n"
    ).encode()
    batch = upload(event, csv_data, coord, "iin.csv")
    assert batch.status == Status.PREVIEW, messages(batch)
    assert "IIN: leading zero restored" in notes(batch)[2]
    assert "IIN" not in notes(batch)[3]
    assert any("lost its leading zero" in w and "Rows 2" in w for w in batch.warnings)
    sheet = Sheet(
        "Лист1", [["ФИО", "ИИН", "Пол", "Год рождения"], ["Нөлова Бота", int(second), "Ж", 2007]]
    )
    batch2 = upload(event, workbook(sheet), coord)
    assert batch2.status == Status.PREVIEW, messages(batch2)
    confirm_import(batch)
    confirm_import(batch2)
    assert Participant.objects.get(full_name="Нөлова Айым").iin_hash == hash_iin(first)
    assert Participant.objects.get(full_name="Нөлова Бота").iin_hash == hash_iin(second)


def test_an_eleven_digit_iin_whose_zero_does_not_help_is_an_error(event, coord):
    wrong = _iin("0503155", "0012")[1:-1] + "9"
    if iin_checksum_ok("0" + wrong):
        wrong = wrong[:-1] + "8"
    data = f"ФИО;ИИН;Пол\r\nНеверная Айым;{wrong};Ж\r\n".encode()
    batch = upload(event, data, coord, "iin.csv")
    assert batch.status == Status.INVALID
    assert "12 digits" in messages(batch)[0]


# 8. Sign-in sheets numbered in advance ------------------------------------------------------------
def test_rows_with_only_their_running_number_are_blank(event, coord):
    rows = [["№", *HEADER]]
    rows += [[i + 1, *person] for i, person in enumerate(people(7))]
    rows += [[i] for i in range(8, 21)]
    batch = upload(event, workbook(Sheet("Лист регистрации", rows)), coord)
    assert batch.status == Status.PREVIEW, messages(batch)
    assert batch.counts["rows"] == 7
    assert not any("not known" in w for w in batch.warnings)  # "№" is a known column
    assert any("13 rows hold only their running number" in w for w in batch.warnings)
    csv_data = ("№;ФИО;Пол\r\n1;Первая Анна;Ж\r\n2;;\r\n3.;;\r\n4;;Ж\r\n").encode()
    batch = upload(event, csv_data, coord, "s.csv")
    assert messages(batch) == ["row 5, ФИО: the name is empty."]  # a sex is more than a number


# 9. Dates of birth as Excel serial numbers, years with their word ---------------------------------
def test_dates_of_birth_as_serial_numbers_and_years_with_a_word(event, coord):
    sheet = Sheet(
        "Лист1",
        [HEADER, ["Серийная Анна", "Ж", 29221, "ЖРО"], ["Годовая Анна", "Ж", "1979 г.", "ЖРО"]],
    )
    batch = upload(event, workbook(sheet), coord)
    assert batch.status == Status.PREVIEW, messages(batch)
    assert "01.01.1980" in notes(batch)[2]
    data = (
        "ФИО;Пол;Год рождения\r\nЖылова Айым;Ж;1979 ж.\r\nГодова Анна;Ж;1985 г.р.\r\n"
        "Датова Анна;Ж;12.03.1979г.\r\nСерийная Бота;Ж;29221\r\nЖылова Бота;Ж;1990 жылы\r\n"
    ).encode()
    batch2 = upload(event, data, coord, "s.csv")
    assert batch2.status == Status.PREVIEW, messages(batch2)
    confirm_import(batch)
    confirm_import(batch2)
    years = dict(
        Participant.objects.filter(organisation_name__in=["ЖРО", ""]).values_list(
            "full_name", "birth_year"
        )
    )
    assert years["Серийная Анна"] == 1980 and years["Годовая Анна"] == 1979
    assert [
        years[n]
        for n in ("Жылова Айым", "Годова Анна", "Датова Анна", "Серийная Бота", "Жылова Бота")
    ] == [1979, 1985, 1979, 1980, 1990]


# 10. The template's own example row ---------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_the_templates_example_row_left_in_the_file_is_skipped_with_a_note(
    client, login_as, event, coord, fmt, lang
):
    login_as(coord)
    response = client.get(
        reverse("imports:template"), {"kind": "participants", "lang": lang, "fmt": fmt}
    )
    data = b"".join(response.streaming_content) if response.streaming else response.content
    table = read_table(data)
    header = [str(h) for h in table.header]
    filled = [None] * len(header)
    filled[0], filled[2], filled[3] = "Толтырылған Айгүл", "Ж", 1992
    batch = upload(event, csv_bytes(header=header, rows=[table.rows[0][1], filled]), coord, "t.csv")
    assert batch.status == Status.PREVIEW, messages(batch)
    assert [r["name"] for r in batch.preview] == ["Толтырылған Айгүл"]
    assert batch.warnings[0] == "Row 2 is the template's example and was skipped."


def test_the_unmarked_example_of_older_templates_is_skipped_too(event, coord):
    rows = [
        ["Нұрланов Асқар", "Е", 1994, "Ақтау қаласының әкімдігі"],
        ["Нақты Адам", "Е", 1994, "ЖРО"],
    ]
    batch = upload(event, csv_bytes(header=HEADER, rows=rows), coord, "old.csv")
    assert [r["name"] for r in batch.preview] == ["Нақты Адам"]
    assert "template's example" in batch.warnings[0]


# 11. A web page saved as .xls ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "page",
    [
        b'<html xmlns:o="urn:schemas-microsoft-com:office:office"><head><meta charset="utf-8">'
        b"</head><body><table><tr><td>\xd0\xa4\xd0\x98\xd0\x9e</td></tr></table></body></html>",
        b"\xef\xbb\xbf<!DOCTYPE html>\r\n<html><body><table><tr><th>Name</th></tr></table>",
        b"\r\n<table border=1><tr><td>\xd4\xc8\xce</td><td>\xcf\xee\xeb</td></tr></table>",
    ],
    ids=["excel-web-page", "portal-html", "bare-table-cp1251"],
)
def test_a_web_page_saved_as_xls_says_what_it_is(client, login_as, event, coord, page):
    with pytest.raises(FileRejected, match="web page") as refused:
        read_table(page)
    assert "Save As" in refused.value.message
    login_as(coord)
    upload_file = io.BytesIO(page)
    upload_file.name = "report.xls"
    response = client.post(
        reverse("imports:upload", args=[event.pk]), {"file": upload_file}, follow=True
    )
    assert response.status_code == 200 and "web page" in response.content.decode()


def test_an_xml_spreadsheet_2003_says_how_to_save_it():
    data = (
        b'<?xml version="1.0"?>\r\n<?mso-application progid="Excel.Sheet"?>\r\n<Workbook '
        b'xmlns="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="1"/></Workbook>'
    )
    with pytest.raises(FileRejected, match="XML Spreadsheet 2003"):
        read_table(data)


def test_nothing_is_written_by_a_preview_of_any_of_these(event, coord):
    before = (Participant.objects.count(), Enrolment.objects.count())
    upload(event, workbook(Sheet("Лист1", [HEADER, *people(4)], dimension="A1")), coord)
    assert (Participant.objects.count(), Enrolment.objects.count()) == before
    assert run_batch  # the worker path is the same service (tested above)
    assert date.today().year > 2000


class _Trickle:
    """A stream that hands out a few bytes at a time, whatever is asked: every tag of the
    sheet falls across a chunk boundary somewhere."""

    def __init__(self, data: bytes, step: int):
        self.data, self.step, self.at = data, step, 0

    def read(self, _size: int = -1) -> bytes:
        piece = self.data[self.at : self.at + self.step]
        self.at += len(piece)
        return piece


@pytest.mark.parametrize("step", [1, 3, 7, 16, 17, 33, 1000])
def test_the_sheet_scan_counts_every_row_across_chunk_boundaries(step):
    import zipfile

    from participants.imports.parse import _scan_sheet

    sheet = Sheet("Лист1", [HEADER, *people(30)], prefix="x:", empty_rows_after=40)
    sheet.rows_after_empty = people(2, "Поздняя")
    with zipfile.ZipFile(io.BytesIO(workbook(sheet))) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml")
    assert _scan_sheet(_Trickle(xml, step)) == (73, 73)
    empty_tail = Sheet("Лист1", [HEADER, *people(3)], empty_rows_after=50)
    with zipfile.ZipFile(io.BytesIO(workbook(empty_tail))) as archive:
        xml = archive.read("xl/worksheets/sheet1.xml")
    assert _scan_sheet(_Trickle(xml, step)) == (54, 4)
