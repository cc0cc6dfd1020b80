"""Case-insensitive matching works for Kazakh and Russian names on every database, the embedded
SQLite default included (its own LIKE and lower() fold ASCII only)."""

import pytest

from config.sqlite import like
from participants.models import Participant

from .factories import ParticipantFactory


@pytest.mark.django_db
def test_search_ignores_case_of_cyrillic_names():
    person = ParticipantFactory(full_name="Әлия Жұмабекова", organisation_name="МРЦ Бейнеу")
    assert person in Participant.objects.filter(full_name__icontains="әлия жұМАБ")
    assert person in Participant.objects.filter(organisation_name__iexact="мрц бейнеу")
    assert person not in Participant.objects.filter(full_name__icontains="Әлия Жұмабеков_")


@pytest.mark.parametrize(
    ("value", "pattern", "escape", "matches"),
    [
        ("Айгуль", "%гуль", None, True),
        ("Айгуль", "АЙГУЛЬ", None, True),
        ("Айгуль", "Ай_уль", None, True),
        ("Ай_уль", r"Ай\_уль", "\\", True),
        ("Айгуль", r"Ай\_уль", "\\", False),
        ("100% сенім", r"100\%%", "\\", True),
        ("a.b", "a_b", None, True),
        ("a\nb", "a%b", None, True),
    ],
)
def test_sqlite_like_follows_sql_semantics(value, pattern, escape, matches):
    assert like(pattern, value, escape) is matches


def test_sqlite_like_keeps_null_unknown():
    assert like(None, "x") is None and like("x", None) is None
