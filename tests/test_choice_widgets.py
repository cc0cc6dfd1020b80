"""Every page of the matrix as the roles that fill in forms: no Ctrl-click <select multiple>,
no "---------" for an empty choice (filters say "All", forms "Choose…")."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from .permission_matrix import MATRIX
from .test_permission_matrix import CASES, USERS, _resolve_kwargs

pytestmark = pytest.mark.django_db

MULTIPLE = re.compile(r"<select[^>]*\smultiple", re.I)
PAGES = [n for n in CASES if not n.startswith("admin:")]


@pytest.mark.parametrize("role", ["coordinator_own", "admin"])
def test_no_ctrl_click_lists_and_no_dashes_on_any_page(client, login_as, demo, role):
    login_as(USERS[role])
    found = []
    for name in PAGES:
        entry = MATRIX[name]
        if entry.expect[role] != 200:
            continue
        url = reverse(name, kwargs=_resolve_kwargs(entry.kwargs)) + entry.query
        response = client.get(url)
        if response.status_code != 200 or response.streaming:
            continue
        if "html" not in response.get("Content-Type", ""):
            continue
        text = response.content.decode()
        if "---------" in text:
            i = text.index("---------")
            found.append(f"{url} ({name}): --------- {text[i - 300 : i]!r}")
        if MULTIPLE.search(text):
            found.append(f"{url} ({name}): <select multiple>")
    assert not found, "\n".join(found)


def test_event_form_offers_topics_and_partners_as_checkboxes(client, login_as, demo):
    from trainings.models import Topic

    login_as("coord.mangystau")
    html = client.get(reverse("trainings:event_create")).content.decode()
    topic = Topic.objects.filter(is_active=True).first()
    assert f'type="checkbox" class="form-check-input"  name="topics" value="{topic.pk}"' in html
    # Each of the four lists scrolls in its own box (static/css/qadam.css .choice-box).
    assert html.count("choice-box") == 4
    assert "Ctrl" not in html and "Choose…" in html
