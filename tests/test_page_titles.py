"""The browser tab reads "<page> · Qadam" (it used to run the words together: "UsersQadam")."""

from __future__ import annotations

import re

import pytest
from django.template import engines
from django.urls import reverse

pytestmark = pytest.mark.django_db


def title(content: bytes) -> str:
    return re.search(r"<title>(.*?)</title>", content.decode(), re.S).group(1)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (reverse("accounts:user_list"), "Users · Qadam"),
        (reverse("trainings:event_list"), "Events · Qadam"),
        (reverse("accounts:audit_log"), "Audit log · Qadam"),
    ],
)
def test_page_titles_separate_the_page_from_the_site(client, login_as, url, expected):
    login_as("admin")
    response = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert title(response.content) == expected


def test_the_login_page(client):
    assert title(client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en").content) == (
        "Log in · Qadam"
    )


def test_a_page_without_a_title_is_just_qadam_and_titles_are_escaped_once():
    page = engines["django"].from_string('{% extends "base.html" %}').render({})
    assert title(page.encode()) == "Qadam"
    named = engines["django"].from_string(
        '{% extends "base.html" %}{% block title %}Q&amp;A {{ name }}{% endblock %}'
    )
    assert title(named.render({"name": "<b>"}).encode()) == "Q&amp;A &lt;b&gt; · Qadam"
