"""Every UI string has a Kazakh and a Russian translation, the compiled catalogues are the ones
the .po files give, and the language a user picks shows on the pages."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from reports.renderers.tables import disclosure_note

from .services import unavailable

ROOT = Path(settings.BASE_DIR)
TRANSLATED = ("kk", "ru")  # English is the source language: its catalogue may echo the msgid
SOURCES = (
    "core",
    "accounts",
    "config",
    "regions",
    "trainings",
    "participants",
    "reports",
    "manage",
    "demo",
    "dashboard",
    "closing",
    "followup",
    "api",
    "webhooks",
    "kobo",
    "templates",
)


def _msgfmt() -> str:
    path = shutil.which("msgfmt")
    if not path:
        unavailable("GNU gettext (msgfmt) is not installed: apt-get install gettext")
    return path


def _statistics(po: Path) -> tuple[int, int, int]:
    """(translated, fuzzy, untranslated) as msgfmt counts them."""
    out = subprocess.run(
        [_msgfmt(), "--check-format", "--statistics", "-o", "/dev/null", str(po)],
        capture_output=True,
        text=True,
        check=True,
    ).stderr
    numbers = {}
    for kind in ("translated", "fuzzy", "untranslated"):
        found = re.search(rf"(\d+) {kind}", out)
        numbers[kind] = int(found.group(1)) if found else 0
    return numbers["translated"], numbers["fuzzy"], numbers["untranslated"]


@pytest.fixture(scope="module")
def fresh_catalogues(tmp_path_factory) -> Path:
    """The catalogues as `makemessages` makes them from today's code, in a copy of the project
    (so the working tree is never touched): strings added since the last translation pass show
    up here as untranslated."""
    _msgfmt()
    copy = tmp_path_factory.mktemp("project")
    for name in SOURCES:
        shutil.copytree(ROOT / name, copy / name, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "locale", copy / "locale")
    shutil.copy(ROOT / "manage.py", copy / "manage.py")
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "kk", "-l", "ru", "-l", "en"],
        cwd=copy,
        capture_output=True,
        check=True,
    )
    return copy / "locale"


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_string_of_the_code_is_translated(fresh_catalogues, language):
    translated, fuzzy, untranslated = _statistics(
        fresh_catalogues / language / "LC_MESSAGES" / "django.po"
    )
    assert translated > 300
    assert (fuzzy, untranslated) == (0, 0), (
        f"{language}: {untranslated} untranslated and {fuzzy} fuzzy strings: run "
        f"`manage.py makemessages -l {language}`, translate them, then `compilemessages`"
    )


def test_no_message_is_written_with_an_escape_gettext_cannot_match(fresh_catalogues):
    """xgettext keeps a Python escape such as \\u201c as it is written, while the running code
    asks for the character itself, so such a message is never found and shows in English (the
    report's disclosure note did). Write the character (“<5”) in the source instead."""
    catalogue = (fresh_catalogues / "ru" / "LC_MESSAGES" / "django.po").read_text("utf-8")
    escaped = [line for line in catalogue.splitlines() if re.search(r"\\\\[uUxN]", line)]
    assert escaped == []
    with translation.override("ru"):
        assert disclosure_note().startswith("Контроль раскрытия данных")


@pytest.mark.parametrize("language", (*TRANSLATED, "en"))
def test_compiled_catalogue_matches_its_source(tmp_path, language):
    folder = ROOT / "locale" / language / "LC_MESSAGES"
    compiled = tmp_path / "django.mo"
    subprocess.run(
        [_msgfmt(), "-o", str(compiled), str(folder / "django.po")], check=True, capture_output=True
    )
    assert compiled.read_bytes() == (folder / "django.mo").read_bytes(), (
        f"locale/{language}/LC_MESSAGES/django.mo is stale: run `manage.py compilemessages`"
    )


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("language", "sign_in"), [("kk", "Кіру"), ("ru", "Войти"), ("en", "Log in")]
)
def test_the_login_page_speaks_the_chosen_language_and_remembers_it(client, language, sign_in):
    response = client.post(reverse("set_language"), {"language": language, "next": "/login/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == language
    page = client.get("/login/")
    assert f'lang="{language}"' in page.text
    assert sign_in in page.text
