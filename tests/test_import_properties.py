"""Property-based tests: random and malformed rows and files give a clear error or a correct
import, never a partial write and never an unexpected exception (a 500)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE as ILLEGAL

from accounts.models import User
from participants.imports.parse import FileRejected, read_table
from participants.imports.services import confirm_import, start_import
from participants.models import Attendance, Enrolment, ImportBatch, Participant
from trainings.models import TrainingEvent

from .data.imports.samples import BEYNEU, csv_bytes, xlsx_bytes

pytestmark = pytest.mark.django_db
FAST = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

cell = st.one_of(
    st.none(),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12),
    st.sampled_from(
        [
            "М",
            "Ж",
            "Е",
            "Ә",
            "male",
            "x",
            "1",
            "0",
            "+",
            "-",
            "=1+1",
            "2031",
            "1990",
            "13.08.2024",
            "",
            " ",
            "Әсел Қуанова",
            "\x00",
        ]
    ),
    st.integers(min_value=-5, max_value=50000),
    st.floats(allow_nan=True, allow_infinity=True),
)
HEADER = [
    "ФИО",
    "Пол",
    "Год рождения",
    "Организация",
    "12.11.2024",
    "Satisfaction (1-5)",
    "Pre-test (0-100)",
]


def snapshot():
    return (Participant.objects.count(), Enrolment.objects.count(), Attendance.objects.count())


@FAST
@given(
    rows=st.lists(st.lists(cell, min_size=0, max_size=8), min_size=1, max_size=8),
    as_xlsx=st.booleans(),
)
def test_random_rows_import_fully_or_not_at_all(rows, as_xlsx):
    event = TrainingEvent.objects.get(title=BEYNEU)
    user = User.objects.get(username="coord.mangystau")
    clean = [[None if isinstance(v, float) and v != v else v for v in r] for r in rows]
    if as_xlsx:
        safe = [[ILLEGAL.sub("", v) if isinstance(v, str) else v for v in r] for r in clean]
        data = xlsx_bytes(header=HEADER, rows=safe)
    else:
        data = csv_bytes(header=HEADER, rows=clean)
    before = snapshot()
    batch = start_import(event=event, data=data, filename="random", user=user)
    assert batch.status in (ImportBatch.Status.PREVIEW, ImportBatch.Status.INVALID), batch.message
    if batch.status == ImportBatch.Status.INVALID:
        assert batch.errors and all(e["message"] for e in batch.errors)
        assert snapshot() == before
        return
    assert snapshot() == before  # the preview writes nothing
    done = confirm_import(batch)
    assert done.status == ImportBatch.Status.DONE, done.message
    assert Participant.objects.count() == before[0] + done.counts["people_created"]


@FAST
@given(data=st.binary(max_size=3000))
def test_random_bytes_are_read_or_refused_clearly(data):
    try:
        table = read_table(data)
    except FileRejected as rejected:
        assert rejected.message
    else:
        assert table.rows


@FAST
@given(cut=st.integers(min_value=1, max_value=4000), flip=st.integers(min_value=0, max_value=255))
def test_damaged_xlsx_is_refused_clearly(cut, flip):
    data = bytearray(xlsx_bytes())
    position = cut % len(data)
    data[position] = flip
    try:
        read_table(bytes(data[: max(len(data) - cut, 10)]))
    except FileRejected as rejected:
        assert rejected.message


# Files as partners' programs write them (issue 18), their traits mixed -----------------------
SURNAMES = ["Гипотезова", "Свойствова", "Қасиетова", "Үлгілова", "Өрнекова"]
GIVEN = ["Айгүл", "Мария", "Әсел", "Анна", "Гүлнұр"]
TO_RUSSIAN = str.maketrans("әғқңөұүһіӘҒҚҢӨҰҮҺІ", "агкноуухиАГКНОУУХИ")
LATIN_TWIN = {"а": "a", "е": "e", "о": "o", "с": "c", "р": "p", "х": "x"}


def _tag(n: int) -> str:
    """A unique Cyrillic word per row, so rows are different people."""
    letters = "бвгджзклмнпрстф"
    return "".join(letters[int(d)] for d in f"{n:03d}").capitalize()


def _valid_iin(born: str, century: str, n: int) -> str:
    """A valid IIN for this date of birth (some serial numbers have no valid control digit)."""
    from participants.identity import iin_checksum_ok

    for serial in range(n * 10, n * 10 + 10):
        stem = f"{born}{century}{serial:04d}"
        for digit in "0123456789":
            if iin_checksum_ok(stem + digit):
                return stem + digit
    raise AssertionError("no valid IIN")


person = st.fixed_dictionaries(
    {
        "surname": st.sampled_from(SURNAMES),
        "given": st.sampled_from(GIVEN),
        "sex": st.sampled_from(["Ж", "Ә", "F", "ж"]),
        "year": st.integers(min_value=1925, max_value=2009),
        "birth_as": st.sampled_from(["number", "text", "word", "serial"]),
        "iin": st.booleans(),
        "look_alike": st.booleans(),
    }
)
traits = st.fixed_dictionaries(
    {
        "fmt": st.sampled_from(["csv", "xlsx", "xlsx-xml"]),
        "encoding": st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1251"]),
        "delimiter": st.sampled_from([";", ",", "\t"]),
        "comma_header": st.booleans(),
        "numbered": st.integers(min_value=0, max_value=12),  # blank numbered rows at the end
        "example": st.booleans(),
        "dimension": st.sampled_from(["A1", None, "A1:B2", "auto"]),
        "hidden_first": st.booleans(),
        "prefix": st.sampled_from(["", "x:"]),
        "cell_refs": st.booleans(),
        "shared": st.booleans(),
        "trailing_empty": st.sampled_from([0, 5, 1500]),
        "broken_row": st.booleans(),  # a new person without a sex: the file must be refused
    }
)


def _file(people: list[dict], t: dict) -> tuple[bytes, list[dict]]:
    """The file and, per person, what the registry must hold after the import."""
    from datetime import date

    from .data.imports.xlsx_xml import Sheet, workbook

    header = ["№", "ФИО", "ИИН", "Пол", "Год рождения", "Организация"]
    if t["comma_header"]:
        header.append("Место работы, должность")
    rows, expected = [], []
    if t["example"]:
        rows.append(
            [None, "ОБРАЗЕЦ: Нұрланов Асқар", None, "Е", 1994, "Ақтау", None][: len(header)]
        )
    for i, p in enumerate(people):
        name = f"{p['surname']} {p['given']} {_tag(i)}"
        if t["fmt"] == "csv" and t["encoding"] == "cp1251":
            name = name.translate(TO_RUSSIAN)  # what such a file can hold
        if p["look_alike"]:
            first = next((c for c in name if c in LATIN_TWIN), None)
            if first:
                name = name.replace(first, LATIN_TWIN[first], 1)
        year = p["year"]
        birth: object = year
        if p["birth_as"] == "text" or t["fmt"] == "csv":
            birth = str(year)
        if p["birth_as"] == "word":
            birth = f"{year} г."
        if p["birth_as"] == "serial" and year >= 1920:
            serial = (date(year, 6, 1) - date(1899, 12, 30)).days
            birth = serial if t["fmt"] != "csv" else str(serial)
        iin = None
        if p["iin"]:
            born = date(year, 6, 1)
            century = "5" if year >= 2000 else "3"
            iin = _valid_iin(f"{born:%y%m%d}", century, i)
        cell_iin: object = iin
        if iin and iin.startswith("0"):  # what Excel does to it
            cell_iin = int(iin) if t["fmt"] != "csv" else iin.lstrip("0")
        sex = p["sex"]
        if t["fmt"] == "csv" and t["encoding"] == "cp1251" and sex == "Ә":
            sex = "Ж"
        row = [i + 1, name, cell_iin, sex, birth, "ЖРО Бейнеу"]
        if t["comma_header"]:
            row.append("маман, ЖРО")
        rows.append(row)
        expected.append(
            {"full_name": name, "sex": "F", "birth_year": year, "iin": iin, "org": "ЖРО Бейнеу"}
        )
    if t["broken_row"]:
        rows.append(
            [len(people) + 1, "Бессполова Анна Ххх", None, None, 1990, "ЖРО"][: len(header)]
        )
    rows += [[len(people) + 2 + k] for k in range(t["numbered"])]
    if t["fmt"] == "csv":
        data = csv_bytes(header=header, rows=rows, encoding=t["encoding"], delimiter=t["delimiter"])
        data += b"" if t["encoding"] == "utf-16" else b";;;;\r\n" * t["trailing_empty"]
    elif t["fmt"] == "xlsx":
        data = xlsx_bytes(header=header, rows=rows)
    else:
        sheets = []
        if t["hidden_first"]:
            sheets.append(Sheet("Lists", [["М"], ["Ж"]], state="hidden"))
        sheets.append(
            Sheet(
                "Тіркеу",
                [header, *rows],
                dimension=t["dimension"],
                prefix=t["prefix"],
                cell_refs=t["cell_refs"],
                empty_rows_after=t["trailing_empty"],
            )
        )
        data = workbook(*sheets, shared_strings=t["shared"])
    return data, expected


@pytest.fixture
def checked_in_process(settings):
    """Every generated file is checked during the request (the worker path is the same
    service, tested in tests/test_import_real_files.py)."""
    settings.IMPORT_SYNC_MAX_BYTES = 50_000_000


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(people=st.lists(person, min_size=1, max_size=8), t=traits)
def test_partners_files_import_every_valid_row_intact_or_nothing(people, t, checked_in_process):
    from django.db import transaction

    from participants.identity import hash_iin

    event = TrainingEvent.objects.get(title=BEYNEU)
    user = User.objects.get(username="coord.mangystau")
    data, expected = _file(people, t)
    with transaction.atomic():
        before = snapshot()
        batch = start_import(event=event, data=data, filename="partner.xls", user=user)
        if t["broken_row"]:
            assert batch.status == ImportBatch.Status.INVALID, batch.preview
            assert [e["message"] for e in batch.errors] == [
                "this person is new to the registry: their sex is needed (М or Ж)."
            ]
            assert snapshot() == before  # never a partial write
            transaction.set_rollback(True)
            return
        assert batch.status == ImportBatch.Status.PREVIEW, (batch.errors, batch.message)
        assert snapshot() == before
        # Never a silently dropped row: every person is in the preview, every skipped row said.
        assert batch.counts["rows"] == len(expected) and batch.counts["create"] == len(expected)
        if t["example"]:
            assert any("template's example" in w for w in batch.warnings)
        if t["numbered"]:
            assert any(f"{t['numbered']} rows hold only" in w for w in batch.warnings)
        done = confirm_import(batch)
        assert done.status == ImportBatch.Status.DONE, done.message
        for want in expected:
            stored = Participant.objects.get(full_name=want["full_name"])
            assert (stored.sex, stored.birth_year, stored.organisation_name) == (
                want["sex"],
                want["birth_year"],
                want["org"],
            )
            assert stored.iin_hash == (hash_iin(want["iin"]) if want["iin"] else None)
            assert Enrolment.objects.filter(participant=stored, event=event).exists()
        transaction.set_rollback(True)
