"""Error pages speak the user's language, keep the navigation and offer a way back (issue 19):
never Django's bare English "Not Found"."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation
from django.views.defaults import server_error

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("language", "says"), [("kk", "Бет табылмады"), ("ru", "Страница не найдена")]
)
def test_a_missing_page_is_translated_with_the_menu(demo, client, login_as, language, says):
    login_as("coord.mangystau")
    response = client.get("/events/999999/", HTTP_ACCEPT_LANGUAGE=language)
    html = response.content.decode()
    assert response.status_code == 404
    assert says in html and "Not Found" not in html
    assert reverse("trainings:event_list") in html  # the navigation is there
    assert f'lang="{language}"' in html


def test_a_forbidden_page_says_who_can_help(demo, client, login_as):
    login_as("viewer")
    response = client.get(reverse("trainings:event_create"), HTTP_ACCEPT_LANGUAGE="ru")
    html = response.content.decode()
    assert response.status_code == 403
    assert "Вы не можете открыть эту страницу" in html
    assert "403 Forbidden" not in html and reverse("home") in html


def test_the_server_error_page_is_translated_and_stands_alone():
    request = RequestFactory().get("/")
    with translation.override("kk"):
        response = server_error(request)
    html = response.content.decode()
    assert response.status_code == 500
    assert "Бірдеңе дұрыс болмады" in html and 'lang="kk"' in html
