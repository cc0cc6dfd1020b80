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
