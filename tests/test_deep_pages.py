"""Paging of long lists (issue 23): pages are read "ids first" (core.listing.IdsFirstPaginator),
so walking every page of a list must show each row exactly once, in the order of the whole list,
whatever the sort, search and filters; the last page costs the same queries as the first."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from accounts.scope import scope_for
from core.listing import with_total_order
from participants.models import Enrolment, Participant
from participants.selectors import people_visible
from trainings.models import TrainingEvent
from trainings.selectors import event_list_rows, events_visible

from .factories import EnrolmentFactory, EventFactory, ParticipantFactory, region

pytestmark = pytest.mark.django_db

PEOPLE_PER_PAGE = 25
EVENTS_PER_PAGE = 25


@pytest.fixture
def crowd():
    """70 people named alike in groups of seven (ties for every sort), 18 living in Almaty but
    coming to one of Mangystau's events (the coordinator sees them through it), and 30
    events in Mangystau with rosters of a few sizes and shared dates (ties again)."""
    almaty, mangystau = region("KZ-75"), region("KZ-47")
    people = [
        ParticipantFactory(
            full_name=f"Deep Page Person {i % 10}",
            birth_year=1980 + i % 3,
            region=almaty if i % 4 == 1 else mangystau,
        )
        for i in range(70)
    ]
    events = [
        EventFactory(
            title=f"Deep Page Event {i % 5}",
            start_date=dt.date(2026, 2, 1 + i % 4),
            end_date=dt.date(2026, 2, 5),
            region=mangystau,
            status=TrainingEvent.Status.HELD,
        )
        for i in range(30)
    ]
    for i, person in enumerate(people):
        for event in events[: i % 4]:
            EnrolmentFactory(participant=person, event=event)
    return people, events


def _walk(client, url: str, params: str = "") -> list[list[int]]:
    """The primary keys of every page of a list, page by page."""
    first = client.get(f"{url}?{params}")
    assert first.status_code == 200
    pages = [[row.pk for row in first.context["page"].object_list]]
    for number in range(2, first.context["page"].paginator.num_pages + 1):
        response = client.get(f"{url}?{params}&page={number}")
        assert response.context["page"].number == number
        pages.append([row.pk for row in response.context["page"].object_list])
    return pages


def _flat(pages: list[list[int]]) -> list[int]:
    return [pk for page in pages for pk in page]


PEOPLE_SORTS = {
    "": ("full_name", "pk"),
    "name": ("full_name", "pk"),
    "-name": ("-full_name", "-pk"),
    "birth_year": ("birth_year", "pk"),
    "-birth_year": ("-birth_year", "-pk"),
    "region": ("region__code", "pk"),
    "-region": ("-region__code", "-pk"),
    "created": ("created_at", "pk"),
    "-created": ("-created_at", "-pk"),
}


@pytest.mark.parametrize("sort", PEOPLE_SORTS)
@pytest.mark.parametrize("username", ["undp.staff", "coord.mangystau"])
def test_every_person_appears_once_across_pages_in_the_list_order(
    client, login_as, crowd, sort, username
):
    login_as(username)
    pages = _walk(client, reverse("participants:person_list"), f"sort={sort}")
    shown = _flat(pages)
    visible = people_visible(scope_for(User.objects.get(username=username)))
    # The whole list in one query, in the order asked (ties broken by the key, as the pages do).
    expected = list(visible.order_by(*PEOPLE_SORTS[sort]).values_list("pk", flat=True))
    assert len(shown) == len(set(shown)), "a person shows on two pages"
    assert shown == expected
    assert all(len(page) == PEOPLE_PER_PAGE for page in pages[:-1])
    assert 1 <= len(pages[-1]) <= PEOPLE_PER_PAGE


def test_search_and_filters_page_through_exactly_the_matching_people(client, login_as, crowd):
    login_as("coord.mangystau")
    url = reverse("participants:person_list")
    pages = _walk(client, url, "q=Deep+Page&region=KZ-47&sort=-birth_year")
    shown = _flat(pages)
    people, _events = crowd
    expected = {p.pk for p in people if p.region.code == "KZ-47"}
    assert len(shown) == len(set(shown)) == len(expected) > PEOPLE_PER_PAGE
    assert set(shown) == expected
    years = [Participant.objects.get(pk=pk).birth_year for pk in shown]
    assert years == sorted(years, reverse=True)


def test_the_last_page_shows_each_persons_events_in_scope(client, login_as, crowd):
    """The per-row count (the reason for ids-first pages) is right on the last page too."""
    login_as("coord.mangystau")
    url = reverse("participants:person_list")
    first = client.get(url + "?q=Deep+Page")
    last = client.get(url + f"?q=Deep+Page&page={first.context['page'].paginator.num_pages}")
    rows = list(last.context["page"].object_list)
    assert rows
    for person in rows:
        in_mangystau = Enrolment.objects.filter(participant=person, event__region__code="KZ-47")
        assert person.n_events == in_mangystau.count()
        assert f">{person.n_events}</td>" in last.content.decode()


def test_a_page_past_the_end_shows_the_last_page_and_a_bad_number_the_first(
    client, login_as, crowd
):
    login_as("undp.staff")
    url = reverse("participants:person_list")
    first = client.get(url)
    num_pages = first.context["page"].paginator.num_pages
    last = client.get(url + f"?page={num_pages}")
    past = client.get(url + "?page=99999")
    assert past.context["page"].number == num_pages
    assert [p.pk for p in past.context["page"]] == [p.pk for p in last.context["page"]]
    bad = client.get(url + "?page=abc")
    assert [p.pk for p in bad.context["page"]] == [p.pk for p in first.context["page"]]


def test_a_search_with_no_match_shows_an_empty_list(client, login_as, crowd):
    login_as("undp.staff")
    response = client.get(reverse("participants:person_list") + "?q=Nobody+Is+Called+This")
    assert response.status_code == 200
    assert list(response.context["page"].object_list) == []
    assert response.context["page"].paginator.count == 0


EVENT_SORTS = ["", "date", "-date", "title", "-title", "region", "status", "people", "-people"]


@pytest.mark.parametrize("sort", EVENT_SORTS)
def test_every_event_appears_once_across_pages(client, login_as, crowd, sort):
    login_as("coord.mangystau")
    pages = _walk(client, reverse("trainings:event_list"), f"sort={sort}")
    shown = _flat(pages)
    scope = scope_for(User.objects.get(username="coord.mangystau"))
    expected = list(event_list_rows(events_visible(scope), sort).values_list("pk", flat=True))
    assert len(shown) == len(set(shown)), "an event shows on two pages"
    assert shown == expected
    assert len(pages) > 1
    if sort in ("people", "-people"):  # the sort by roster size holds across the pages
        sizes = [TrainingEvent.objects.get(pk=pk).enrolments.count() for pk in shown]
        assert sizes == sorted(sizes, reverse=sort == "-people")


@pytest.mark.parametrize(
    ("url_name", "params"),
    [
        ("participants:person_list", ""),
        ("participants:person_list", "sort=-birth_year&q=Deep"),
        ("trainings:event_list", ""),
        ("trainings:event_list", "sort=-people"),
    ],
)
@pytest.mark.parametrize("username", ["undp.staff", "coord.mangystau"])
def test_the_last_page_costs_the_queries_of_the_first(
    client, login_as, crowd, url_name, params, username
):
    login_as(username)
    url = reverse(url_name)
    client.get(f"{url}?{params}")  # session, caches
    with CaptureQueriesContext(connection) as first:
        response = client.get(f"{url}?{params}")
    num_pages = response.context["page"].paginator.num_pages
    assert num_pages > 1
    with CaptureQueriesContext(connection) as last:
        response = client.get(f"{url}?{params}&page={num_pages}")
    assert response.context["page"].number == num_pages
    assert len(last.captured_queries) == len(first.captured_queries)


def test_ties_are_ordered_by_key_so_pages_do_not_overlap(db):
    """A list sorted by a column with ties gets the primary key as the last sort key."""
    assert with_total_order(Participant.objects.order_by("birth_year")).query.order_by == (
        "birth_year",
        "pk",
    )
    assert with_total_order(Participant.objects.order_by("-birth_year")).query.order_by == (
        "-birth_year",
        "-pk",
    )
    assert with_total_order(Participant.objects.order_by("-pk")).query.order_by == ("-pk",)
    assert with_total_order(Participant.objects.order_by("full_name", "-id")).query.order_by == (
        "full_name",
        "-id",
    )
    # The model's default ordering counts as the list's ordering.
    assert with_total_order(Participant.objects.all()).query.order_by == ("full_name", "pk")


@pytest.mark.parametrize("username", ["undp.staff", "coord.mangystau", "viewer"])
def test_the_count_from_the_indexes_is_the_count_of_the_people_visible(crowd, username):
    from participants.selectors import count_people_visible

    user = User.objects.filter(username=username).first() or User.objects.get(role="viewer")
    scope = scope_for(user)
    assert count_people_visible(scope) == people_visible(scope).count()


def test_the_whole_list_says_how_many_people_the_coordinator_sees(client, login_as, crowd):
    login_as("coord.mangystau")
    url = reverse("participants:person_list")
    whole = client.get(url).context["page"].paginator.count
    mangystau = User.objects.get(username="coord.mangystau")
    assert whole == people_visible(scope_for(mangystau)).count()
    # The 18 people from Almaty who came to one of Mangystau's events are counted too.
    almaty_visitors = Participant.objects.filter(
        full_name__startswith="Deep Page", region__code="KZ-75"
    )
    assert almaty_visitors.count() == 18
    living_there = people_visible(scope_for(mangystau)).filter(region__code="KZ-47").count()
    assert whole == living_there + 18
    assert f"{whole} people" in client.get(url + "?sort=-birth_year").content.decode()
    assert client.get(url + "?q=Deep+Page").context["page"].paginator.count == 70
