"""Searched and filtered lists at national scale (issue 23, goal 1): a search that matches few
rows sorts its matches instead of walking the sort index (core.listing `sort_matches`), and a
coordinator's filtered people list is counted per set of people the scope joins
(participants.selectors `count_people_passing`). Both must change nothing a user sees: the
same rows, in the same order, on the same pages, with the same total."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from core import listing
from participants.models import Participant

from .factories import EnrolmentFactory, EventFactory, ParticipantFactory, region

pytestmark = pytest.mark.django_db

# Kazakh order: А, Ә, Б, ... К, Қ: "Аяна" before "Әсел", "Күміс" before "Қаир" (the
# column's collation; most others sort Ә with А and Қ with К, or put them last).
FIRST_NAMES = ["Аяна", "Әсел", "Бота", "Қаир", "Күміс", "Ілияс", "Ирина"]


def _walk(client, url: str, **params) -> tuple[list[str], list[str], int]:
    """Every name the list shows, following "Next"; the page queries' SQL; the total shown."""
    names, sql, number = [], [], 1
    while True:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url, {**params, "page": number})
        assert response.status_code == 200
        page = response.context["page"]
        names += [p.full_name for p in page.object_list]
        sql += [q["sql"] for q in ctx.captured_queries if "participants_participant" in q["sql"]]
        if not page.has_next():
            return names, sql, page.paginator.count
        number += 1


@pytest.fixture
def omarovs(db):
    """60 people named Omarov/Омарова (the search's matches) among others that sort around them."""
    for i in range(60):
        ParticipantFactory(full_name=f"Омарова {FIRST_NAMES[i % len(FIRST_NAMES)]} {i:02d}")
    for i in range(30):
        ParticipantFactory(full_name=f"Ахметова Аида {i:02d}")
        ParticipantFactory(full_name=f"Юсупова Дана {i:02d}")
    return list(
        Participant.objects.filter(full_name__startswith="Омарова")
        .order_by("full_name", "pk")
        .values_list("full_name", flat=True)
    )


@pytest.mark.parametrize("sort", ["", "-name", "birth_year", "-created"])
def test_a_search_with_few_matches_sorts_them_and_pages_them_as_the_index_walk_does(
    client, login_as, omarovs, monkeypatch, sort
):
    login_as("undp.staff")
    url = reverse("participants:person_list")
    params = {"q": "Омарова", **({"sort": sort} if sort else {})}
    sorted_names, sorted_sql, sorted_total = _walk(client, url, **params)
    # The same list with the threshold below its matches: the pages' keys walk the index.
    monkeypatch.setattr(listing, "SORT_MATCHES_BELOW", 10)
    walked_names, walked_sql, walked_total = _walk(client, url, **params)

    assert sorted_total == walked_total == 60
    assert sorted_names == walked_names  # every match once, in one order, page by page
    assert sorted(sorted_names) == sorted(omarovs)
    if sort in ("", "-name"):
        expected = omarovs if sort == "" else omarovs[::-1]
        assert sorted_names == expected  # in the Kazakh alphabet: Аида, Әсел, Бота, ...
    if sort in ("", "-name", "birth_year"):  # a text or number key is written as an expression
        assert any("||" in q or "+ 0" in q for q in sorted_sql)
    assert not any("||" in q or "+ 0" in q for q in walked_sql)


def test_the_whole_list_and_a_broad_search_still_walk_the_index(client, login_as, omarovs):
    login_as("undp.staff")
    url = reverse("participants:person_list")
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)  # no search: the list walks the name index as before
    assert not any("||" in q["sql"] for q in ctx.captured_queries)


def test_a_coordinators_filtered_count_is_the_count_of_the_rows_listed(client, login_as):
    """Residents, visitors (living elsewhere, came to one of the region's events), people who
    came twice, and people of other regions who never came: the total shown is the number of
    rows the list pages through, for a search, a filter and both."""
    here, there = region("KZ-47"), region("KZ-43")
    local_events = [EventFactory(region=here), EventFactory(region=here)]
    away_event = EventFactory(region=there)
    for i in range(7):
        ParticipantFactory(full_name=f"Сериков Resident {i}", region=here, sex="M")
    for i in range(5):
        visitor = ParticipantFactory(full_name=f"Сериков Visitor {i}", region=there, sex="F")
        for event in local_events[: 1 + i % 2]:  # some came to both events: counted once
            EnrolmentFactory(participant=visitor, event=event)
    for i in range(4):
        stranger = ParticipantFactory(full_name=f"Сериков Stranger {i}", region=there, sex="F")
        EnrolmentFactory(participant=stranger, event=away_event)  # not the coordinator's
    login_as("coord.mangystau")
    url = reverse("participants:person_list")
    for params, expected in [
        ({"q": "Сериков"}, 12),
        ({"q": "Сериков", "sex": "F"}, 5),
        ({"q": "Visitor"}, 5),
        ({"q": "Stranger"}, 0),
    ]:
        names, _sql, total = _walk(client, url, **params)
        assert total == len(names) == len(set(names)) == expected, params
    # A filter without a search: the count equals the list's rows, whatever the demo holds.
    names, _sql, total = _walk(client, url, sex="F")
    assert total == len(names) > 5


def test_a_searched_list_sorted_by_a_count_keeps_that_sort(rf, omarovs):
    """A sort key that is no column (an annotation: a count, a latest date) is kept as it is
    (the retention review sorts by the last event; a search there answered 500)."""
    from django.db.models import Count

    rows = (
        Participant.objects.filter(full_name__startswith="Омарова")
        .annotate(n=Count("enrolments"))
        .order_by("-n", "full_name")
    )
    page = listing.paginate(rf.get("/", {"q": "Омарова"}), rows, 25)
    assert page.paginator.sort_matches and page.paginator.count == 60
    assert [p.full_name for p in page.object_list] == omarovs[:25]


def test_an_estimated_search_sorts_its_matches_too(rf, omarovs):
    """A search whose count is estimated ("about N", above ESTIMATE_ABOVE) picks its first
    pages' keys as an exactly counted one does: sorted matches, the same rows in order."""
    from core.listing import Estimate, paginate

    matches = Participant.objects.filter(full_name__startswith="Омарова").order_by("full_name")
    shown, number = [], 1
    while True:
        with CaptureQueriesContext(connection) as ctx:
            page = paginate(
                rf.get("/", {"q": "Омарова", "page": number}), matches, 25, count=Estimate(70)
            )
        sql = [q["sql"] for q in ctx.captured_queries]
        if page.paginator.estimated and page.has_next():
            assert any("||" in q for q in sql)  # the name as an expression: sorted, not walked
        shown += [p.full_name for p in page.object_list]
        if not page.has_next():
            break
        number += 1
    assert shown == omarovs
