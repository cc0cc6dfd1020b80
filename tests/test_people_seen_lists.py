"""A coordinator's people list and its counts are read from the summaries' "seen" rows (one per
person and region they live in or came to an event in: participants.selectors `people_listed`)
instead of testing "lives here OR came here" on every person in the country (issue 23,
goal 1). A user must see exactly what the records give: the same people, order, pages and
totals, after moves and enrolments, and never a person the records no longer show."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from accounts.scope import scope_for
from participants import summaries
from participants.models import Enrolment, Participant, ParticipantCategory, Reach
from participants.selectors import count_people_visible, people_visible
from regions.models import PartnerOrganisation

from .factories import EnrolmentFactory, EventFactory, ParticipantFactory, region

pytestmark = pytest.mark.django_db

URL = reverse("participants:person_list")


@pytest.fixture
def seen(db, django_capture_on_commit_callbacks):
    """Mangystau residents (women and men, some in its events), people from Almaty who came to
    a Mangystau event (one of them twice), Almaty people who never did; the summaries refreshed
    after the commit, as in production."""
    mangystau, almaty = region("KZ-47"), region("KZ-75")
    with django_capture_on_commit_callbacks(execute=True):
        events = [EventFactory(region=mangystau) for _ in range(2)]
        other = EventFactory(region=almaty)
        for i in range(30):
            person = ParticipantFactory(
                full_name=f"Seen Resident {i % 6}",
                sex="F" if i % 3 else "M",
                birth_year=1980 + i % 5,
                region=mangystau,
            )
            if i % 4 == 0:
                EnrolmentFactory(participant=person, event=events[0])
        for i in range(12):
            visitor = ParticipantFactory(
                full_name=f"Seen Visitor {i % 4}",
                sex="F" if i % 2 else "M",
                birth_year=None if i % 3 == 0 else 1990,  # the list by birth year: no year
                region=almaty,
            )
            EnrolmentFactory(participant=visitor, event=events[i % 2])
            if i == 0:
                EnrolmentFactory(participant=visitor, event=events[1])
        for i in range(9):
            stranger = ParticipantFactory(full_name=f"Seen Stranger {i}", region=almaty)
            EnrolmentFactory(participant=stranger, event=other)
    assert not summaries.has_pending()
    return events


def _walk(client, params: dict) -> tuple[list[int], int, list[str]]:
    """Every person's key the list shows, page by page; the total it says; its SQL."""
    keys, sql, number = [], [], 1
    while True:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(URL, {**params, "page": number})
        assert response.status_code == 200
        page = response.context["page"]
        keys += [person.pk for person in page.object_list]
        sql += [q["sql"] for q in ctx.captured_queries]
        if not page.has_next():
            return keys, page.paginator.count, sql
        number += 1


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"sort": "name"},
        {"sort": "-name"},
        {"q": "Seen"},
        {"q": "Visitor"},
        {"sex": "F"},
        {"sex": "M", "sort": "-name"},
        {"q": "", "region": "", "category": "", "sex": "F", "age_band": "", "event": ""},
        {"sex": "F", "sort": "-birth_year"},
        {"sort": "-birth_year"},
        {"sort": "birth_year"},
        {"q": "Visitor", "sort": "birth_year"},
        {"sort": "region"},
        {"sex": "M", "age_band": "unknown"},
        {"q": "nobody"},
    ],
)
def test_the_list_from_the_summaries_is_the_list_from_the_records(
    client, login_as, seen, monkeypatch, params
):
    login_as("coord.mangystau")
    from_summaries, total, sql = _walk(client, params)
    assert any("participants_reach" in q for q in sql)
    # The same list read from the records (as while a transaction's writes are not yet in
    # the summaries).
    monkeypatch.setattr(summaries, "has_pending", lambda: True)
    from_records, records_total, records_sql = _walk(client, params)
    assert not any("participants_reach" in q for q in records_sql)

    # The whole list by name or birth year picks its pages' keys from the "seen" rows' copy
    # of them; so does that list searched or of one sex or category (the form sends empty
    # fields too).
    by_seen_keys = any(
        re.search(r'FROM "participants_reach" U\d.* ORDER BY U\d\."(name|birth_year)"', q)
        for q in sql
    )
    given = {name for name, value in params.items() if value}
    copied = params.get("sort", "name").lstrip("-") in ("name", "birth_year")
    if total:  # an empty list reads no page
        assert by_seen_keys == (given <= {"sort", "q", "sex", "category"} and copied)
    assert from_summaries == from_records  # the same people, order and pages
    assert total == records_total == len(from_records)
    assert len(set(from_summaries)) == len(from_summaries)  # the visitor who came twice: once
    names = set(
        Participant.objects.filter(pk__in=from_summaries).values_list("full_name", flat=True)
    )
    assert not any(name.startswith("Seen Stranger") for name in names)
    if params == {"q": "Visitor"}:
        assert total == 12


def test_the_count_is_the_summaries_count_of_the_people_seen(seen):
    scope = scope_for(User.objects.get(username="coord.mangystau"))
    assert count_people_visible(scope) == people_visible(scope).count()
    with CaptureQueriesContext(connection) as ctx:
        count_people_visible(scope)
    assert len(ctx.captured_queries) == 1
    assert "participants_reachcount" in ctx.captured_queries[0]["sql"]


def test_the_list_follows_a_move_and_an_enrolment_once_committed(
    client, login_as, seen, django_capture_on_commit_callbacks
):
    login_as("coord.mangystau")
    before, total_before, _ = _walk(client, {})
    resident = Participant.objects.filter(full_name__startswith="Seen Resident").first()
    # A resident in none of Mangystau's events moves to Almaty; a stranger comes to one.
    mover = (
        Participant.objects.filter(full_name__startswith="Seen Resident")
        .exclude(pk__in=Enrolment.objects.values("participant_id"))
        .first()
    )
    stranger = Participant.objects.filter(full_name__startswith="Seen Stranger").first()
    with django_capture_on_commit_callbacks(execute=True):
        mover.region = region("KZ-75")
        mover.save()
        EnrolmentFactory(participant=stranger, event=seen[0])
    after, total_after, _ = _walk(client, {})
    assert mover.pk in before and mover.pk not in after
    assert stranger.pk not in before and stranger.pk in after
    assert resident.pk in after
    assert total_after == total_before == len(after)
    scope = scope_for(User.objects.get(username="coord.mangystau"))
    assert sorted(after) == sorted(people_visible(scope).values_list("pk", flat=True))


def test_a_person_the_records_no_longer_show_is_never_listed(client, login_as, seen):
    """A "seen" row the refresh has not removed yet (still running, or failed): the page leaves
    the person out, and their page stays closed."""
    login_as("coord.mangystau")
    stranger = Participant.objects.filter(full_name__startswith="Seen Stranger").first()
    Reach.objects.create(
        participant_id=stranger.pk,
        place=summaries.region_place(region("KZ-47").pk),
        period=summaries.SEEN,
        sex=stranger.sex,
        category_id=stranger.category_id,
        wgss="",
    )
    assert not summaries.has_pending()  # a row written behind the signals' back
    shown, _, _ = _walk(client, {"q": "Seen Stranger"})
    assert shown == []
    shown, _, _ = _walk(client, {})
    assert stranger.pk not in shown
    detail = client.get(reverse("participants:person_detail", args=[stranger.pk]))
    assert detail.status_code == 404


def _count_queries(client, params: dict) -> tuple[int, int]:
    """The total the list says, and how many COUNT queries it ran to say it."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(URL, params)
    assert response.status_code == 200
    counts = [q for q in ctx.captured_queries if q["sql"].startswith("SELECT COUNT(")]
    return response.context["page"].paginator.count, len(counts)


@pytest.mark.django_db(transaction=True)
def test_a_searched_count_is_kept_until_the_regions_data_changes(client, login_as, demo, seen):
    """Committed writes, as on the site: the count of a search is read again only after a
    write to the people the coordinator's regions see; a write elsewhere keeps it."""
    login_as("coord.mangystau")
    search = {"q": "Seen Resident"}
    total, counted = _count_queries(client, search)
    assert total == 30 and counted == 1
    assert _count_queries(client, search) == (30, 0)  # kept
    assert _count_queries(client, {"q": "Seen Visitor"}) == (12, 1)  # another search: its own

    ParticipantFactory(full_name="Seen Resident Elsewhere", region=region("KZ-43"))
    assert _count_queries(client, search) == (30, 0)  # Kyzylorda's data: still kept

    ParticipantFactory(full_name="Seen Resident New", region=region("KZ-47"))
    assert _count_queries(client, search) == (31, 1)  # counted again
    assert _count_queries(client, search) == (31, 0)

    login_as("coord.kyzylorda")  # the same search in other regions is counted for them
    assert (
        _count_queries(client, search)[0]
        == people_visible(scope_for(User.objects.get(username="coord.kyzylorda")))
        .filter(full_name__startswith="Seen Resident")
        .count()
    )


def test_the_list_by_name_follows_a_renaming_once_committed(
    client, login_as, seen, django_capture_on_commit_callbacks
):
    """The pages of the list by name are picked from the names the summaries keep: a person
    renamed moves to their new place in the list (both ways), once and only once."""
    login_as("coord.mangystau")
    scope = scope_for(User.objects.get(username="coord.mangystau"))
    person = Participant.objects.filter(full_name="Seen Resident 3").order_by("pk").first()
    before, _, _ = _walk(client, {"sort": "name"})
    with django_capture_on_commit_callbacks(execute=True):
        person.full_name = "Seen Aaron"  # from among the residents to before them
        person.save()
    for sort in ("name", "-name"):
        shown, total, _ = _walk(client, {"sort": sort})
        records = people_visible(scope).order_by(
            *(("full_name", "pk") if sort == "name" else ("-full_name", "-pk"))
        )
        assert shown == list(records.values_list("pk", flat=True))
        assert len(shown) == len(set(shown)) == total
    after, _, _ = _walk(client, {"sort": "name"})
    assert after.index(person.pk) < before.index(person.pk)
    names = Reach.objects.filter(participant_id=person.pk, period=summaries.SEEN)
    assert set(names.values_list("name", flat=True)) == {"Seen Aaron"}


def test_the_list_by_birth_year_follows_a_change_once_committed(
    client, login_as, seen, monkeypatch, django_capture_on_commit_callbacks
):
    """The pages of the list by birth year are picked from the years the summaries keep: a
    year corrected, or taken away, moves the person to their new place, both ways."""
    login_as("coord.mangystau")
    older, unknown = Participant.objects.filter(full_name="Seen Resident 2").order_by("pk")[:2]
    with django_capture_on_commit_callbacks(execute=True):
        older.birth_year = 1950
        older.save()
        unknown.birth_year = None
        unknown.save()
    for sort in ("birth_year", "-birth_year"):
        _seen_list_is_records_list(client, monkeypatch, {"sort": sort})
    shown, _, _ = _walk(client, {"sort": "birth_year"})
    # First of those with a year (people with none go last on PostgreSQL, first on SQLite,
    # as in the records' list).
    born = set(Participant.objects.filter(birth_year__isnull=False).values_list("pk", flat=True))
    assert [pk for pk in shown if pk in born][0] == older.pk
    assert unknown.pk in shown
    years = Reach.objects.filter(participant_id=older.pk, period=summaries.SEEN)
    assert set(years.values_list("birth_year", flat=True)) == {1950}
    assert not Reach.objects.filter(
        participant_id=unknown.pk, period=summaries.SEEN, birth_year__isnull=False
    ).exists()


def _seen_list_is_records_list(client, monkeypatch, params: dict) -> int:
    """The list paged from the seen rows' name or birth-year index shows what the records'
    list shows (the same people, order, pages and total); returns the total."""
    from_summaries, total, sql = _walk(client, params)
    assert any(re.search(r'ORDER BY U\d\."(name|birth_year)"', q) for q in sql)
    monkeypatch.setattr(summaries, "has_pending", lambda: True)
    from_records, records_total, _ = _walk(client, params)
    monkeypatch.undo()
    assert from_summaries == from_records
    assert total == records_total == len(from_records)
    return total


def test_the_list_of_one_category_is_the_list_from_the_records(
    client, login_as, seen, monkeypatch, django_capture_on_commit_callbacks
):
    login_as("coord.mangystau")
    residents = Participant.objects.filter(full_name__startswith="Seen Resident")
    moved = list(residents.order_by("pk")[:7])
    other = ParticipantCategory.objects.exclude(pk=moved[0].category_id).filter(is_active=True)[0]
    with django_capture_on_commit_callbacks(execute=True):  # refreshed after the commit
        for person in moved:
            person.category = other
            person.save()
    for sort in ("name", "-name", "birth_year", "-birth_year"):
        total = _seen_list_is_records_list(
            client, monkeypatch, {"category": other.code, "sort": sort}
        )
        assert total >= len(moved)


@pytest.mark.parametrize(
    "params",
    [
        {"sex": "F"},
        {"sex": "M", "sort": "-name"},
        {"sex": "F", "sort": "-birth_year"},
        {"sex": "M", "sort": "birth_year"},
    ],
)
def test_the_countrys_list_of_one_sex_is_the_list_from_the_records(
    client, login_as, seen, monkeypatch, params
):
    """Staff's list of one sex by name or birth year pages through the country's "seen" rows
    (every person once) and says the exact count; the same people, order and pages as the
    records."""
    login_as("undp.staff")
    from_summaries, total, sql = _walk(client, params)
    by_seen_keys = any(
        re.search(r'FROM "participants_reach" U\d.* ORDER BY U\d\."(name|birth_year)"', q)
        for q in sql
    )
    assert by_seen_keys
    monkeypatch.setattr(summaries, "has_pending", lambda: True)
    from_records, records_total, _ = _walk(client, params)
    assert from_summaries == from_records
    assert total == records_total == len(from_records)
    assert total == Participant.objects.filter(sex=params["sex"]).count()


@pytest.mark.parametrize(
    "params", [{"q": "Seen"}, {"q": "Seen", "sort": "-name"}, {"q": "seen", "sex": "F"}]
)
def test_the_countrys_broad_search_is_the_list_from_the_records(
    client, login_as, seen, monkeypatch, params
):
    """Staff's search matching more than SORT_MATCHES_BELOW people by the planner's
    estimate (both made up here: a test's tables are small) pages through
    the country's seen rows in name order (index only); the same people, order, pages and
    total as the records, the estimate said as "about" until the list's end is read."""
    from core import listing
    from participants import selectors

    everyone = summaries.people_seen(None)
    monkeypatch.setattr(listing, "planner_estimate", lambda rows: everyone // 2)
    monkeypatch.setattr(listing, "ESTIMATE_ABOVE", 5)
    monkeypatch.setattr(selectors, "SORT_MATCHES_BELOW", 5)
    login_as("undp.staff")
    first_sql = []

    def record(execute, statement, *args):
        first_sql.append(statement)
        return execute(statement, *args)

    with connection.execute_wrapper(record):
        first = client.get(URL, params)
    assert first.context["page"].paginator.estimated  # "about N"
    # The first half's pages (estimated) read the seen rows too, not only the counted half.
    assert any(re.search(r'FROM "participants_reach" .*ORDER BY .*"name"', q) for q in first_sql)
    from_summaries, total, sql = _walk(client, params)
    assert any(re.search(r'FROM "participants_reach" U\d.* ORDER BY U\d\."name"', q) for q in sql)
    monkeypatch.setattr(summaries, "has_pending", lambda: True)
    from_records, records_total, records_sql = _walk(client, params)
    assert not any('"participants_reach"' in q for q in records_sql)
    assert from_summaries == from_records
    assert total == records_total == len(from_records) > 25
    names = Participant.objects.filter(pk__in=from_summaries).values_list("full_name", flat=True)
    assert any(name.startswith("Seen Stranger") for name in names)  # the whole country's


def test_a_narrow_search_of_the_country_keeps_the_trigram_indexes(
    client, login_as, seen, monkeypatch
):
    """An estimate of at most SORT_MATCHES_BELOW matches (said as "about" above
    ESTIMATE_ABOVE): the records' trigram indexes find them (the seen rows have none)."""
    from core import listing
    from participants import selectors

    monkeypatch.setattr(listing, "planner_estimate", lambda rows: 20)
    monkeypatch.setattr(listing, "ESTIMATE_ABOVE", 5)
    monkeypatch.setattr(selectors, "SORT_MATCHES_BELOW", 20)
    login_as("undp.staff")
    _, _, sql = _walk(client, {"q": "Seen"})
    assert not any('"participants_reach"' in q for q in sql)  # (its counts table may be read)


def test_a_search_by_organisation_is_the_list_from_the_records(
    client, login_as, seen, monkeypatch, django_capture_on_commit_callbacks
):
    """A region's search reads the seen rows' copy of the organisation, as typed and chosen
    from the partners, and follows a change of it once committed."""
    login_as("coord.mangystau")
    partner = PartnerOrganisation.objects.create(
        name="Seaside Youth Centre", region=region("KZ-47")
    )
    residents = list(Participant.objects.filter(full_name__startswith="Seen Resident")[:4])
    visitor = Participant.objects.filter(full_name__startswith="Seen Visitor").first()
    with django_capture_on_commit_callbacks(execute=True):
        for person in residents[:2]:
            person.organisation_name = "Seaside akimat"
            person.save()
        visitor.organisation = partner
        visitor.save()
    for params in ({"q": "seaside"}, {"q": "Seaside Youth", "sort": "-name"}, {"q": "akimat"}):
        _seen_list_is_records_list(client, monkeypatch, params)
    assert sorted(_walk(client, {"q": "seaside"})[0]) == sorted(
        [residents[0].pk, residents[1].pk, visitor.pk]
    )
    with django_capture_on_commit_callbacks(execute=True):
        residents[0].organisation_name = ""
        residents[0].save()
    assert sorted(_walk(client, {"q": "seaside"})[0]) == sorted([residents[1].pk, visitor.pk])
