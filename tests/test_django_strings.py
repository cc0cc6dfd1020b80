"""Django's own texts on our pages (the user form's help, the password rules, the login error)
are in the reader's language: Django's Kazakh catalogue lacks them, so core/django_strings.py
puts them in ours (issue 19)."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from accounts.models import User
from accounts.services import set_password_link
from core.django_strings import MESSAGES, PLURAL_MESSAGES

pytestmark = pytest.mark.django_db

# The English a Kazakh or Russian page must not show: the start of each of Django's texts.
ENGLISH = [
    "Required. 150 characters or fewer",
    "Enter a valid username",
    "Enter a valid email address",
    "Email address",
    "Ensure this value has at most",
    "Your password can’t be",
    "Your password must contain",
    "This password is too",
    "The password is too similar",
    "The two password fields",
    "Enter the same password as before",
    "Please enter a correct",
]


def test_the_listed_texts_are_djangos_own():
    """A msgid that drifts from Django's would be translated in our catalogue but never asked
    for: Django's complete Russian catalogue translates each of them."""
    with translation.override("ru"):
        for message in MESSAGES:
            assert gettext(message) != message, message
    for plural in PLURAL_MESSAGES:
        with translation.override("en"):
            english = str(plural)
        with translation.override("ru"):
            assert str(plural) != english, english


def _english_on(text: str) -> list[str]:
    return [phrase for phrase in ENGLISH if phrase in text]


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_user_form_password_and_login_pages_show_no_english_django_text(
    client, admin_client, demo, language
):
    header = {"HTTP_ACCEPT_LANGUAGE": language}
    form = admin_client.get(reverse("accounts:user_create"), **header)
    refused = admin_client.post(
        reverse("accounts:user_create"),
        {
            "username": "no spaces allowed",
            "email": "not-an-address",
            "first_name": "x" * 200,
            "role": "viewer",
            "password1": "12345",
            "password2": "12345",
        },
        **header,
    )
    assert refused.status_code == 200
    user = User.objects.create_user("new.staff", password=None)
    link = set_password_link(user, "")
    choose = client.get(link, follow=True, **header)
    mismatch = client.post(
        choose.redirect_chain[-1][0],
        {"new_password1": "12345", "new_password2": "54321"},
        **header,
    )
    login = client.post("/login/", {"username": "nobody", "password": "wrong"}, **header)
    for response in (form, refused, choose, mismatch, login):
        shown = html.unescape(response.content.decode())
        assert _english_on(shown) == [], response.request["PATH_INFO"]
