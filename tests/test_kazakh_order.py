"""People are listed in the Kazakh alphabet (Ә after А, Қ after К, Ү after У, Ұ before Ү...),
not with every Kazakh letter after Я, on PostgreSQL (ICU) and on the SQLite default alike."""

from __future__ import annotations

import pytest
from django.urls import reverse

from config.sqlite import kazakh_key
from participants.models import Participant

from .factories import ParticipantFactory

pytestmark = pytest.mark.django_db

IN_ORDER = [
    "Абаев",
    "Әбенова",
    "Бекова",
    "Кенжеев",
    "Қасымов",
    "Уалиев",
    "Ұлықбек",
    "Үсенов",
    "Яхина",
]


def test_the_sort_key_follows_the_kazakh_alphabet():
    shuffled = [IN_ORDER[i] for i in (4, 8, 1, 6, 0, 7, 3, 5, 2)]
    assert sorted(shuffled, key=kazakh_key) == IN_ORDER
    assert sorted(["Ivanov", "Иванов", "Ілияс", "Ыбыраев"], key=kazakh_key) == [
        "Иванов",
        "Ыбыраев",
        "Ілияс",
        "Ivanov",
    ]


def test_the_database_orders_names_in_the_kazakh_alphabet(db):
    for name in reversed(IN_ORDER):
        ParticipantFactory(full_name=f"{name} Тест")
    names = list(
        Participant.objects.filter(full_name__endswith=" Тест")
        .order_by("full_name")
        .values_list("full_name", flat=True)
    )
    assert names == [f"{name} Тест" for name in IN_ORDER]


def test_the_people_list_is_in_kazakh_order(demo, client, login_as):
    for name in reversed(IN_ORDER):
        ParticipantFactory(full_name=f"{name} Сорттау")
    login_as("admin")
    html = client.get(reverse("participants:person_list"), {"q": "Сорттау"}).content.decode()
    positions = [html.index(f"{name} Сорттау") for name in IN_ORDER]
    assert positions == sorted(positions)
