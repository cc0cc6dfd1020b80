"""A long list's "Next" and "Previous" links name the row the page reads on from (core.listing
`IdsFirstPaginator.seek`, issue 23): a user paging through a two-letter search of the whole
country reads each page from one index range instead of walking (and testing) every row before
it. The pages must be exactly the pages the numbers give: the same rows, order and ends, both
ways, whatever the link names (another scope's person, a deleted one, garbage)."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.db import connection
from django.urls import reverse

from core import listing
from participants.models import Participant

from .factories import EventFactory, ParticipantFactory, region

pytestmark = pytest.mark.django_db

URL = reverse("participants:person_list")


@pytest.fixture
def many(db, monkeypatch, django_capture_on_commit_callbacks):
    """110 people born in the late 1980s (a few with no birth year) in two regions, many
    sharing a name (ties go by id), a few with another name, women and men; lists of more than
    10 rows read on from a row (10,000 in production)."""
    monkeypatch.setattr(listing, "SEEK_ABOVE", 10)
    mangystau, almaty = region("KZ-47"), region("KZ-75")
    with django_capture_on_commit_callbacks(execute=True):
        EventFactory(region=mangystau)
        for i in range(110):
            ParticipantFactory(
                full_name=f"Seek Person {i % 7}" if i % 10 else f"Другой Адам {i}",
                birth_year=None if i % 11 == 0 else 1985 + i % 4,
                sex="F" if i % 2 else "M",
                region=mangystau if i % 3 else almaty,
            )


def _links(response) -> dict[str, str]:
    """The pager's links ("Next", "Previous") as query strings."""
    html = response.content.decode()
    found = re.findall(r'<a class="page-link" href="([^"]*)">(Next|Previous)</a>', html)
    return {label: unescape(href) for href, label in found}


def _keys(response) -> list[int]:
    return [person.pk for person in response.context["page"].object_list]


def _by_number(client, params: dict) -> list[list[int]]:
    """Every page of the list asked for by its number alone (read by offset)."""
    pages, number = [], 1
    while True:
        response = client.get(URL, {**params, "page": number})
        assert response.status_code == 200
        pages.append(_keys(response))
        if not response.context["page"].has_next():
            return pages
        number += 1


def _by_links(client, params: dict, *, start: str = "") -> tuple[list[list[int]], list[str]]:
    """Every page reached by following "Next" from the first, then "Previous" back to it."""
    response = client.get(URL + start, params if not start else None)
    forward, hrefs = [_keys(response)], []
    while "Next" in (links := _links(response)):
        hrefs.append(links["Next"])
        response = client.get(URL + links["Next"])
        assert response.status_code == 200
        forward.append(_keys(response))
    backward = [_keys(response)]
    while "Previous" in (links := _links(response)):
        hrefs.append(links["Previous"])
        response = client.get(URL + links["Previous"])
        assert response.status_code == 200
        backward.append(_keys(response))
    assert backward[::-1] == forward  # back the same way, page by page
    return forward, hrefs


@pytest.mark.parametrize(
    ("user", "params", "seeks"),
    [
        ("undp.staff", {}, True),
        ("undp.staff", {"sort": "-name"}, True),
        ("undp.staff", {"q": "Seek"}, True),
        ("undp.staff", {"q": "Person", "sort": "-name"}, True),
        # Paged from the summaries' seen rows (one index range already): numbered links.
        ("undp.staff", {"sex": "F"}, False),
        ("coord.mangystau", {}, False),
        # A coordinator's search with another filter reads the records (born 1990).
        ("coord.mangystau", {"q": "Seek", "age_band": "35-44"}, True),
    ],
)
def test_pages_reached_by_the_links_are_the_pages_of_the_numbers(
    client, login_as, many, user, params, seeks
):
    login_as(user)
    numbered = _by_number(client, params)
    assert len(numbered) > 2
    linked, hrefs = _by_links(client, params)
    assert linked == numbered
    people = [pk for page in linked for pk in page]
    assert len(people) == len(set(people))  # nobody twice, whatever the ties
    # Past the second page the links name a row of the list: the page reads on from it.
    assert any("after=" in href for href in hrefs) == seeks
    assert any("before=" in href for href in hrefs) == seeks
    assert all(re.search(r"[?&]page=\d+", href) for href in hrefs)


def test_a_page_read_on_from_a_row_skips_no_rows_by_offset(client, login_as, many):
    """The point of the links: the page's keys are read from the row on (no OFFSET)."""
    login_as("undp.staff")
    third = client.get(URL, {"q": "Seek", "page": 2})
    after = _links(third)["Next"]
    assert "after=" in after
    sql = []

    def record(execute, statement, params, many, context):
        sql.append(statement)
        return execute(statement, params, many, context)

    with connection.execute_wrapper(record):
        response = client.get(URL + after)
    assert _keys(response) == _keys(client.get(URL, {"q": "Seek", "page": 3}))
    people = [q for q in sql if "participants_participant" in q]
    assert people and not any("OFFSET" in q for q in people)
    # By number, the same page skips the rows before it.
    seen = len(sql)
    with connection.execute_wrapper(record):
        client.get(URL, {"q": "Seek", "page": 3})
    assert any("OFFSET" in q for q in sql[seen:])


@pytest.mark.parametrize("who", ["other scope", "deleted", "garbage", "huge", "negative"])
def test_a_link_naming_a_row_not_in_the_list_gives_the_page_of_its_number(
    client, login_as, many, who
):
    """A coordinator's link naming a person of another region (or none at all) shows the page
    its number gives: the list never reads on from a row it does not hold, so nothing of
    that person (where their name sorts) shows."""
    login_as("coord.mangystau")
    stranger = Participant.objects.filter(region__code="KZ-75").exclude(
        enrolments__event__region__code="KZ-47"
    )[0]
    gone = Participant.objects.filter(region__code="KZ-47").order_by("-pk")[0]
    token = {
        "other scope": stranger.pk,
        "deleted": gone.pk,
        "garbage": "1;DROP",
        "huge": 10**30,
        "negative": -5,
    }[who]
    if who == "deleted":
        gone.delete()
    expected = client.get(URL, {"page": 2})
    for direction in ("after", "before"):
        response = client.get(URL, {"page": 2, direction: token})
        assert response.status_code == 200
        assert _keys(response) == _keys(expected)


def test_a_number_past_the_end_with_a_row_is_the_last_page(client, login_as, many):
    login_as("undp.staff")
    numbered = _by_number(client, {})
    last = Participant.objects.order_by("full_name", "pk").first()
    response = client.get(URL, {"page": 10_000, "after": last.pk})
    assert response.status_code == 200
    assert _keys(response) == numbered[-1]


def test_the_list_goes_on_after_the_named_row_is_renamed_away(
    client, login_as, many, django_capture_on_commit_callbacks
):
    """The row a link names was renamed out of the search meanwhile: the page is the page of
    its number, not an error and not an empty page."""
    login_as("undp.staff")
    second = client.get(URL, {"q": "Seek", "page": 2})
    after = _links(second)["Next"]
    edge = Participant.objects.get(pk=_keys(second)[-1])
    edge.full_name = "Renamed Elsewhere"
    edge.save()
    response = client.get(URL + after)
    assert response.status_code == 200
    assert _keys(response) == _keys(client.get(URL, {"q": "Seek", "page": 3}))


@pytest.mark.parametrize("params", [{"sort": "region"}, {"sort": "birth_year"}])
def test_lists_in_other_orders_keep_numbered_links(client, login_as, many, params):
    """An order by a joined column or one with NULLs is not read on from a row: its links
    are the page number alone, and its pages are still whole."""
    login_as("undp.staff")
    _, hrefs = _by_links(client, params)
    assert hrefs and not any("after=" in h or "before=" in h for h in hrefs)


def test_short_lists_keep_numbered_links(client, login_as, many, monkeypatch):
    monkeypatch.setattr(listing, "SEEK_ABOVE", listing.ESTIMATE_ABOVE)
    login_as("undp.staff")
    _, hrefs = _by_links(client, {})
    assert hrefs and not any("after=" in h or "before=" in h for h in hrefs)


def test_the_link_is_no_filter(client, login_as, many):
    """`after` is the pager's, not a filter: the whole list read on from a row keeps the
    count of the whole list (not counted or estimated again as a filtered list)."""
    login_as("undp.staff")
    first = client.get(URL)
    after = _links(client.get(URL, {"page": 2}))["Next"]
    third = client.get(URL + after)
    assert third.context["page"].paginator.count == first.context["page"].paginator.count
    assert not listing.has_filters(third.wsgi_request)


# A page asked for by its number deep in a long list reads on from the last row of the page
# before, found in the list's kept page edges (core.listing `IdsFirstPaginator.keep_edges`).


def _page_sql(client, params: dict) -> tuple[list[int], list[str]]:
    """The page's people and the SQL it ran."""
    sql = []

    def record(execute, statement, params, many, context):
        sql.append(statement)
        return execute(statement, params, many, context)

    with connection.execute_wrapper(record):
        response = client.get(URL, params)
    assert response.status_code == 200
    return _keys(response), sql


def _reads_every_key(sql: list[str]) -> bool:
    """Did the page read every key of the list (its edges), not one page of them?"""
    return any("ROW_NUMBER() OVER" in q for q in sql)


@pytest.mark.parametrize(
    ("user", "params"),
    [
        ("undp.staff", {}),
        ("undp.staff", {"sort": "-name"}),
        ("undp.staff", {"q": "Seek"}),
        ("undp.staff", {"q": "Person", "sort": "-name"}),
        # Paged from the summaries' seen rows: read on from their edges there.
        ("undp.staff", {"sex": "F"}),
        ("coord.mangystau", {}),
        ("coord.mangystau", {"q": "Seek", "sort": "-name"}),
        # Birth years with NULLs, both ways (the seen rows' order, where each database
        # puts NULLs).
        ("coord.mangystau", {"sort": "birth_year"}),
        ("coord.mangystau", {"sort": "-birth_year"}),
    ],
)
def test_deep_pages_by_number_are_read_on_from_their_edges(
    client, login_as, many, monkeypatch, user, params
):
    """Every page the numbers give is the page offset paging gives, and a deep one reads its
    rows on from the row before it (no OFFSET), the list's edges read once."""
    login_as(user)
    monkeypatch.setattr(listing, "EDGES_UPTO", 0)  # no edges: every page by its offset
    by_offset = _by_number(client, params)
    assert len(by_offset) > 2
    monkeypatch.setattr(listing, "EDGES_UPTO", 250_000)
    monkeypatch.setattr(listing, "EDGES_FROM", 10)  # 10,000 rows in production
    assert _by_number(client, params) == by_offset
    for number in range(2, len(by_offset)):
        keys, sql = _page_sql(client, {**params, "page": number})
        assert keys == by_offset[number - 1]
        assert not any("OFFSET" in q for q in sql)
    # Past the end: the last page, as before.
    keys, _ = _page_sql(client, {**params, "page": 10_000})
    assert keys == by_offset[-1]


def test_pages_near_either_end_are_read_by_offset(client, login_as, many, monkeypatch):
    """The edges are for deep pages only: near either end the offset is short."""
    login_as("undp.staff")
    monkeypatch.setattr(listing, "EDGES_FROM", 30)
    numbered = _by_number(client, {})
    for number, deep in [(2, False), (3, True), (len(numbered), False)]:
        keys, sql = _page_sql(client, {"page": number})
        assert keys == numbered[number - 1]
        assert _reads_every_key(sql) == deep


def test_an_estimated_search_deep_page_is_the_page_of_its_number(
    client, login_as, many, monkeypatch
):
    """A search whose count is the planner's estimate (here: too high) asked for a deep page:
    the page of its number in the real list, and the list then says its exact count."""
    login_as("undp.staff")
    params = {"q": "Seek"}
    numbered = _by_number(client, params)
    exact = sum(map(len, numbered))
    monkeypatch.setattr(listing, "ESTIMATE_ABOVE", 10)
    monkeypatch.setattr(listing, "planner_estimate", lambda rows: 400)
    monkeypatch.setattr(listing, "EDGES_FROM", 10)
    first = client.get(URL, params)
    assert first.context["page"].paginator.estimated
    response = client.get(URL, {**params, "page": 2})
    assert _keys(response) == numbered[1]
    paginator = response.context["page"].paginator
    assert not paginator.estimated and paginator.count == exact
    assert response.context["page"].has_next() == (len(numbered) > 2)


@pytest.mark.django_db(transaction=True)
def test_the_edges_are_kept_until_the_list_may_change(
    client, login_as, many, monkeypatch, django_capture_on_commit_callbacks
):
    """Committed, as on the site: the first deep page reads the list's edges, the next deep
    pages read on from them; a new person in the list makes the next deep page read them
    again, and the pages move by that person."""
    login_as("undp.staff")
    monkeypatch.setattr(listing, "EDGES_FROM", 10)
    params = {"q": "Seek"}
    _, sql = _page_sql(client, {**params, "page": 2})
    assert _reads_every_key(sql)
    keys, sql = _page_sql(client, {**params, "page": 3})
    assert not _reads_every_key(sql)
    assert keys == _by_number_offset(client, monkeypatch, params)[2]

    with django_capture_on_commit_callbacks(execute=True):
        ParticipantFactory(full_name="Seek Person 0", birth_year=1990, region=region("KZ-47"))
    keys, sql = _page_sql(client, {**params, "page": 3})
    assert _reads_every_key(sql)
    assert keys == _by_number_offset(client, monkeypatch, params)[2]


def _by_number_offset(client, monkeypatch, params: dict) -> list[list[int]]:
    """Every page by its offset alone (no edges)."""
    with monkeypatch.context() as patch:
        patch.setattr(listing, "EDGES_UPTO", 0)
        return _by_number(client, params)
