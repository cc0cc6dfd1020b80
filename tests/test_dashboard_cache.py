"""The dashboard's aggregates are cached (dashboard.figures.cached_figures) and every kind of
change shows at once: inserts (bulk ones too, which send no signals), updates and deletions.

Transactional: the cache is only used outside a transaction (as in production requests), so
these tests commit their writes like the running site does."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from core.dataversion import VERSION_KEY
from core.dataversion import new_version as _new_version
from participants.models import Attendance, Enrolment, Participant
from participants.services import mark_all_present
from trainings.models import Session

from .test_dashboard import Q3, assert_same, expected, shown

pytestmark = pytest.mark.django_db(transaction=True)


def _get(client):
    with CaptureQueriesContext(connection) as ctx:
        page = client.get("/")
    assert page.status_code == 200
    return page, len(ctx.captured_queries)


def _absent(region_code: str) -> tuple[Enrolment, Session]:
    """An enrolment of the region in Q3 and a session of its event it was not present at."""
    for enrolment in Enrolment.objects.filter(
        event__region__code=region_code, event__start_date__range=Q3
    ).exclude(event__status="planned"):
        present = set(enrolment.attendances.values_list("session_id", flat=True))
        for session in enrolment.event.sessions.all():
            if session.pk not in present:
                return enrolment, session
    raise AssertionError("the demo data has no absence to fill")


@pytest.mark.parametrize(
    "username, regions", [("undp.staff", None), ("coord.mangystau", ["KZ-47"])]
)
def test_cached_figures_change_with_inserts_updates_and_deletions(
    client, login_as, demo, username, regions
):
    login_as(username)
    first, cold = _get(client)
    again, warm = _get(client)
    assert warm < cold - 4  # the aggregates came from the cache
    assert shown(again) == shown(first)
    assert_same(again, expected(regions))

    # A bulk insert ("everyone present", as imports do): no signal, the service says what it
    # touched (participants/summaries.py).
    _enrolment, session = _absent("KZ-47")
    mark_all_present(session=session)
    page, queries = _get(client)
    assert queries == cold
    assert shown(page)["rate"] > shown(first)["rate"]
    assert_same(page, expected(regions))

    # An update: the person reached changes sex (saved, so a signal bumps the version).
    person = Participant.objects.filter(
        enrolments__attendances__session__date__range=Q3,
        enrolments__event__region__code="KZ-47",
        sex="M",
    ).first()
    person.sex = "F"
    person.save()
    page, _queries = _get(client)
    assert shown(page)["female"] == shown(first)["female"] + 1
    assert_same(page, expected(regions))

    # A deletion of a row that is not the newest: only the signal can tell.
    oldest = Attendance.objects.filter(
        session__event__region__code="KZ-47", session__date__range=Q3
    ).earliest("pk")
    oldest.delete()
    page, _queries = _get(client)
    assert_same(page, expected(regions))
    assert _get(client)[1] == warm  # cached again until the next change


def test_a_period_and_a_scope_are_cached_apart(client, login_as, demo):
    login_as("coord.kyzylorda")
    kyzylorda = shown(client.get("/"))
    login_as("coord.mangystau")
    mangystau = shown(client.get("/"))
    assert mangystau != kyzylorda
    assert shown(client.get("/", {"period": "2024"}))["events_held"] >= mangystau["events_held"]


def test_the_version_moves_once_after_a_commit_and_never_after_a_rollback(demo):
    people = list(Participant.objects.order_by("pk")[:3])
    before = cache.get(VERSION_KEY, 0)
    with transaction.atomic():
        for person in people:
            person.save()
        assert cache.get(VERSION_KEY, 0) == before  # other requests still see the old data
        assert sum(entry[1] is _new_version for entry in connection.run_on_commit) == 1
    after = cache.get(VERSION_KEY, 0)
    assert after != before

    with pytest.raises(RuntimeError), transaction.atomic():
        people[0].save()
        raise RuntimeError("rolled back")
    assert cache.get(VERSION_KEY, 0) == after


def test_an_import_that_corrects_feedback_shows_at_once(client, login_as, demo):
    """Imports write with bulk updates (no signals): the figures must still change at once."""
    from participants.imports.services import confirm_import, start_import
    from participants.models import Feedback

    from .data.imports.samples import xlsx_bytes

    coordinator = User.objects.get(username="coord.mangystau")
    login_as(coordinator)
    page, cold = _get(client)
    first = shown(page)
    _page, warm = _get(client)
    assert warm < cold  # the figures are served from the cache now
    feedback = (
        Feedback.objects.filter(
            event__region__code="KZ-47",
            event__start_date__range=Q3,
            enrolment__participant__birth_year__isnull=False,
            satisfaction__gt=1,
        )
        .select_related("enrolment__participant", "event")
        .first()
    )
    person = feedback.enrolment.participant
    header = [
        "Full name",
        "Birth year",
        "Satisfaction (1-5)",
        "Relevance (1-5)",
        "Usefulness (1-5)",
        "Intent to apply (1-5)",
    ]
    rows = [[person.full_name, person.birth_year, 1, 1, 1, 1]]
    batch = start_import(
        event=feedback.event,
        data=xlsx_bytes(header=header, rows=rows),
        filename="feedback.xlsx",
        user=coordinator,
    )
    assert not batch.errors, batch.errors
    confirm_import(batch)
    feedback.refresh_from_db()
    assert feedback.satisfaction == 1
    page = client.get("/")
    assert shown(page)["satisfaction"] < first["satisfaction"]
    assert_same(page, expected(["KZ-47"]))


def test_a_district_merge_shows_at_once_on_the_regions_overview(demo):
    """A merge moves events with bulk updates (no signals): the cached per-district counts of
    the regions overview must follow at once."""
    from manage.selectors import region_overview
    from manage.services import merge_districts
    from regions.models import District

    def district_events():
        return {d.pk: d.n_events for r in region_overview() for d in r.district_list}

    before = district_events()
    assert district_events() == before  # served from the cache now
    source = District.objects.filter(events__isnull=False).distinct().first()
    target = District.objects.filter(region=source.region).exclude(pk=source.pk).first()
    moved, kept = source.pk, target.pk
    assert before[moved] > 0
    merge_districts(source=source, target=target)
    after = district_events()
    assert after[kept] == before[kept] + before[moved]
    assert after.get(moved, 0) == 0
