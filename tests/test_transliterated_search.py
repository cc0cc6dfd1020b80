"""Search finds a Cyrillic name typed in Latin letters and a Latin one typed in Cyrillic, Kazakh
letters included (issue 19): coordinators type on whatever keyboard the venue has."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.scope import Scope
from participants.identity import name_spellings
from participants.selectors import search_people

from .factories import ParticipantFactory

pytestmark = pytest.mark.django_db
EVERYONE = Scope(region_ids=None, can_see_people=True)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("Dyusenova", "Дюсенова Алия"),
        ("Kasymov", "Қасымов Ерлан"),
        ("Qasymov", "Қасымов Ерлан"),
        ("Zhanbolat", "Жанбол Жанболат"),
        ("Aigul", "Сейтқали Айгүл"),
        ("Shynar", "Шынар Бекова"),
        ("Дюсенова", "Dyusenova Aliya"),
        ("Қасымов", "Kasymov Erlan"),
        ("Айгүл", "Aygul Seitkali"),
    ],
)
def test_a_name_is_found_in_the_other_alphabet(db, typed, stored):
    person = ParticipantFactory(full_name=stored)
    assert person in search_people(EVERYONE, typed)


def test_a_different_name_is_not_found():
    assert not ({"дюсенова", "dyusenova"} & name_spellings("Dosanova"))


def test_the_people_list_search_box_finds_the_latin_spelling(demo, client, login_as):
    ParticipantFactory(full_name="Дүйсенова Гүлнар")
    login_as("admin")
    html = client.get(reverse("participants:person_list"), {"q": "Duisenova"}).content.decode()
    assert "Дүйсенова Гүлнар" in html
