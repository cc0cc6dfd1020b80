"""Erasing a person on request leaves every number of the reports that counted them unchanged,
for any period (people reached and each disaggregation, the age bands included), and no report
file built afterwards, in any format, holds their name, contacts or the words of their
feedback."""

from __future__ import annotations

from datetime import date

import pytest

from accounts.models import User
from participants.models import Participant
from participants.privacy import erase_person
from participants.services import register_person
from reports.builder import build_report_data
from reports.renderers import FORMATS, render
from trainings.models import TrainingEvent

from .factories import attend_with_feedback
from .test_report_formats import text_of

pytestmark = pytest.mark.django_db

PHONE = "+7 702 444 90 90"
EMAIL = "d.zhanuzakov@example.kz"
# Born in 2008 and 2007 (16 and 17 in 2024, under 18): rounding the birth year down to a 5-year
# band (2005) would make them 19 and move them to the 18-24 band of every 2024 report. Born in
# 2001 (23 in 2024, 24 in 2025): "2000" would be 25, 25-34, in a period ending in 2025. Born in
# 1987 (37 in 2024): "1985" would be 45, 45-54, in a period ending in 2030.
PEOPLE = [
    ("Жанұзақов Дәурен", "M", 2008),
    ("Тлеубердина Сәуле", "F", 2007),
    ("Оспанов Ерлан", "M", 2001),
    ("Байжанова Гүлмира", "F", 1987),
]
# The quarter and the year the people attended in, and custom periods ending in later years
# (a fiscal year, the life of the programme), each computing ages on its own end year.
PERIODS = [
    ("2024Q3", date(2024, 7, 1), date(2024, 9, 30)),
    ("2024", date(2024, 1, 1), date(2024, 12, 31)),
    ("FY2024-25", date(2024, 7, 1), date(2025, 6, 30)),
    ("2024-2026", date(2024, 1, 1), date(2026, 12, 31)),
    ("LoP", date(2024, 1, 1), date(2030, 12, 31)),
]


@pytest.fixture
def people(demo):
    """Two people at a held Q3 2024 event, present at a session, with a consented quote that
    names a colleague's contacts and says something only this person said."""
    event = TrainingEvent.objects.get(
        title__startswith="Emotional intelligence for police officers (Kyzylorda)"
    )
    category = event.enrolments.first().participant.category
    made = []
    for i, (name, sex, born) in enumerate(PEOPLE):
        person = register_person(
            full_name=name,
            sex=sex,
            birth_year=born,
            region=event.region,
            category=category,
            phone=PHONE if i == 0 else "",
            email=EMAIL if i == 0 else "",
            position="Inspector",
        )
        attend_with_feedback(
            person,
            event,
            comments=f"Unforgettable role plays number {i}, thank you.",
            consent_to_quote=True,
            approved_by=User.objects.get(username="undp.staff"),
        )
        made.append(person)
    return made


def _build(label: str, start: date, end: date):
    return build_report_data(
        start=start, end=end, region_ids=None, language="en", period_label=label
    )


def _numbers(data) -> dict:
    """Everything a report counts: all of it except when it was built, the fingerprint of its
    inputs and the quotes (the erased person's words must go)."""
    out = data.to_json()
    for key in ("generated_at", "inputs_hash", "quotes"):
        out.pop(key)
    return out


def test_erasure_keeps_every_report_identical_for_any_period(people):
    admin = User.objects.get(username="admin")
    built = {label: _build(label, start, end) for label, start, end in PERIODS}
    before = {label: _numbers(data) for label, data in built.items()}
    quarter = before["2024Q3"]["people"]
    assert any(row["key"] == "<18" for row in quarter["by_age_band"])  # the 2008-born counts

    for person in people:
        erase_person(person, admin, reason="Written request 2026-11-20 No. 9")

    for label, start, end in PERIODS:
        after = _build(label, start, end)
        assert _numbers(after) == before[label], label
        assert after.people["by_age_band"] == before[label]["people"]["by_age_band"], label
        # Only their own words go: every other quote stays as it was.
        assert after.quotes == [
            q for q in built[label].quotes if not q["text"].startswith("Unforgettable")
        ], label
    for person in people:
        person.refresh_from_db()
        assert person.is_anonymised and person.full_name == f"Anonymised #{person.pk}"


def test_the_old_five_year_band_would_have_moved_people_to_another_age_band(people):
    """Why the exact year stays: with the birth year rounded down to its 5-year band, the
    fiscal year and the life-of-programme reports would put two of the people one band up."""
    from participants.models import age_band
    from participants.privacy import birth_year_band

    moved = {
        (born, end.year)
        for _name, _sex, born in PEOPLE
        for _label, _start, end in PERIODS
        if age_band(born, end.year) != age_band(birth_year_band(born), end.year)
    }
    assert {(2001, 2025), (1987, 2030)} <= moved


@pytest.mark.parametrize("fmt", FORMATS)
def test_report_files_built_after_an_erasure_hold_nothing_of_the_person(people, fmt):
    label, start, end = PERIODS[0]
    quote = "Unforgettable role plays number 0"
    before = text_of(fmt, render(_build(label, start, end), fmt).content)
    if fmt != "iati":  # the IATI file has no quotes
        assert quote in before  # the extraction reads the file: the quote is found in it

    erase_person(people[0], User.objects.get(username="admin"), reason="request No. 9")

    after = text_of(fmt, render(_build(label, start, end), fmt).content)
    name, sex, born = PEOPLE[0]
    secrets = [name, *name.split(), PHONE, "444 90 90", EMAIL, quote]
    found = [s for s in secrets if s in after]
    assert not found, f"{fmt} built after the erasure shows {found}"
    assert Participant.objects.filter(full_name=name).count() == 0
    if fmt != "iati":
        assert "Unforgettable role plays number 1" in after  # the other person's quote stays
