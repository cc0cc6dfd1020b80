"""Malformed query strings and form posts never answer 500.

A scanner sent 546 malformed requests and 26 came back 500: a non-integer `event=` on exports
and import templates, a NUL byte in `q`, `period` or `region`. Here every URL of the project
(the same list as tests/test_permission_matrix.py) is requested as programme staff and as a
regional coordinator (as an administrator where staff are refused), with every query parameter
the app reads set to a non-number, to a NUL byte, to a number followed by a NUL byte, to a huge
number, to a negative one and to control characters: each answer must be below 500 (a 400, a
404, or the page with the bad value ignored). Every URL also gets a POST of NUL bytes, and a
NUL in the path or in the session cookie is handled too."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest
from django.urls import reverse

from .permission_matrix import MATRIX
from .test_permission_matrix import CASES, _resolve_kwargs

pytestmark = pytest.mark.django_db

ROLES = {
    "staff": "undp.staff",
    "coordinator": "coord.mangystau",
    "admin": "admin",  # the only role that reaches the administration lists
}

# Every query parameter a list, export, template download or htmx fragment of the app reads.
PARAMS = (
    "event",
    "page",
    "events_page",
    "q",
    "period",
    "period_label",
    "region",
    "district",
    "programme",
    "category",
    "organisation",
    "sort",
    "status",
    "type",
    "kind",
    "sex",
    "age_band",
    "user",
    "model",
    "object_id",
    "date_from",
    "date_to",
    "from",
    "to",
    "start",
    "end",
    "year",
    "quarter",
    "export",
    "list",
    "lang",
    "fmt",
    "download",
    "other",
    "keep",
    "person",
    "session",
    "enrolment",
    "next",
)

BAD_VALUES = {
    "not a number": "abc",
    "NUL byte": "\x00",
    "number then NUL": "1\x00",
    "huge number": "99999999999999999999999",
    "negative": "-1",
    "control characters": "\x0b\x1b\u202e",
}

# The exact requests of the scanner's report, one parameter at a time.
SCANNER = (
    {"event": "abc"},
    {"event": "1\x00"},
    {"q": "\x00"},
    {"period": "\x00"},
    {"region": "\x00"},
    {"page": "x"},
    {"sort": "\x00"},
)


def _url(name: str) -> str:
    entry = MATRIX[name]
    return reverse(name, kwargs=_resolve_kwargs(entry.kwargs))


def _with(url: str, params: dict[str, str]) -> str:
    return f"{url}?{urlencode(params)}"


def _query_of(name: str) -> dict[str, str]:
    """The entry's own query string (e.g. a valid template kind), so the bad value is not
    refused for another reason before the view reaches it."""
    query = MATRIX[name].query.lstrip("?")
    return dict(pair.split("=", 1) for pair in query.split("&") if "=" in pair)


def _roles_reaching(name: str) -> list[str]:
    """The roles for whom the page answers (200 in the matrix): a refused request never gets
    to read its parameters. An administrator only where programme staff are refused."""
    expected = MATRIX[name].expect
    if expected["anonymous"] == 200:
        # A public page (the IATI file, feedback forms): the same for everyone, read once.
        return ["staff"]
    roles = [
        r
        for r, key in (("staff", "staff"), ("coordinator", "coordinator_own"))
        if expected[key] == 200
    ]
    if expected["staff"] != 200 and expected["admin"] == 200:
        roles.append("admin")
    return roles


@pytest.mark.parametrize("name", CASES)
def test_no_malformed_query_string_answers_500(client, login_as, demo, name):
    client.raise_request_exception = False
    url = _url(name)
    base = _query_of(name)
    every_param_at_once = [
        {**base, **dict.fromkeys(PARAMS, value)} for value in BAD_VALUES.values()
    ]
    failures = []
    for role in _roles_reaching(name):
        login_as(ROLES[role])
        requests = list(every_param_at_once)
        if role == "staff":  # the scanner's own requests, one parameter at a time
            requests += [{**base, **one} for one in SCANNER]
        for params in requests:
            response = client.get(_with(url, params))
            if response.streaming:
                b"".join(response.streaming_content)
            if response.status_code >= 500:
                failures.append(f"{role} GET {name} {params!r}: {response.status_code}")
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("name", CASES)
def test_a_nul_byte_in_a_post_never_answers_500(client, login_as, demo, name):
    client.raise_request_exception = False
    url = _url(name)
    body = dict.fromkeys((*PARAMS, "title", "full_name", "comments", "name"), "1\x00")
    for role in _roles_reaching(name) or ["staff"]:  # POST-only URLs: as staff
        login_as(ROLES[role])
        response = client.post(url, body)
        assert response.status_code < 500, f"{role} POST {name}: {response.status_code}"


def test_scanner_requests_on_exports_and_templates_are_refused_or_ignored(client, login_as, demo):
    """The 26 requests of the report: exports and the template download with `event=abc`
    answer 404 (no such event), never 500; NUL bytes in q/period/region are ignored."""
    login_as("undp.staff")
    template = reverse("imports:template") + "?kind=attendance&lang=kk&fmt=xlsx&event=abc"
    assert client.get(template).status_code == 404
    for name in ("imports:export_participants", "imports:export_attendance"):
        export = reverse(name, kwargs={"fmt": "csv"}) + "?event=abc"
        assert client.get(export).status_code == 404, name
    narratives = _with(reverse("reports:narrative_list"), {"period": "\x00", "region": "\x00"})
    assert client.get(narratives).status_code == 200
    people = _with(reverse("participants:person_list"), {"q": "\x00"})
    assert client.get(people).status_code == 200


def test_a_nul_byte_in_the_path_is_a_bad_request(client, demo):
    event = MATRIX["feedback:form"]
    token = _resolve_kwargs(event.kwargs)["token"]
    response = client.get(f"/f/{token}%00/")
    assert response.status_code == 400


def test_a_nul_byte_in_the_session_cookie_is_ignored(client, demo):
    client.cookies["sessionid"] = "abcdefgh\x00ijkl"
    response = client.get(reverse("login"))
    assert response.status_code == 200
