"""Following Qadam from another system (issue 21): `updated_since` on every list, bulk writes
that bump the change time too, tombstones of what went away (deleted, erased, merged) for the
token's Scope, and indicators with their computed actuals (the dashboard's figures)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from urllib.parse import quote

import pytest
from django.utils import timezone

from accounts.models import User
from accounts.scope import scope_for
from manage.services import merge_districts
from participants.feedback_services import save_scores
from participants.models import Assessment, Attendance, Enrolment, Tombstone
from participants.privacy import erase_person
from participants.services import merge_people, set_attendance
from regions.models import District
from reports.builder import indicator_progress
from reports.models import Indicator
from trainings.models import Session

from .factories import (
    EnrolmentFactory,
    EventFactory,
    ParticipantFactory,
    SessionFactory,
    region,
)
from .test_api import api, walk

pytestmark = pytest.mark.django_db

LISTS = [
    "programmes", "regions", "districts", "partners", "categories", "events", "sessions",
    "participants", "enrolments", "attendance", "feedback", "assessments", "indicators",
    "report-runs", "deleted",
]  # fmt: skip


def since(moment) -> str:
    return quote(moment.isoformat())


def changed_since(client, resource: str, moment) -> set[int]:
    return {
        row["id"]
        for row in walk(client, f"/api/v1/{resource}/?page_size=1000&updated_since={since(moment)}")
    }


# updated_since on every list -----------------------------------------------------------------
def test_every_list_takes_updated_since_and_says_so_in_its_schema(demo, client):
    staff = api("undp.staff")
    later = timezone.now() + timedelta(days=1)
    for resource in LISTS:
        response = staff.get(f"/api/v1/{resource}/?updated_since={since(later)}")
        assert response.status_code == 200, resource
        assert response.json()["results"] == [], resource
        assert staff.get(f"/api/v1/{resource}/?updated_since=yesterday").status_code == 400
    schema = client.get("/api/schema/?format=json").json()
    for resource in LISTS:
        params = schema["paths"][f"/api/v1/{resource}/"]["get"]["parameters"]
        assert "updated_since" in {p["name"] for p in params}, resource


def test_an_edited_session_shows_up_in_updated_since_and_the_others_do_not(demo):
    staff = api("undp.staff")
    before = timezone.now()
    session = Session.objects.order_by("pk").first()
    session.title = "Module 1, moved"
    session.save()
    assert changed_since(staff, "sessions", before) == {session.pk}


def test_the_attendance_grid_save_shows_new_marks_and_tombstones_the_removed(demo):
    event = EventFactory(region=region("KZ-47"))
    first, second = SessionFactory(event=event), SessionFactory(event=event)
    ann, ben = EnrolmentFactory(event=event), EnrolmentFactory(event=event)
    cells = {(e.pk, s.pk) for e in (ann, ben) for s in (first, second)}
    set_attendance(
        event=event, present={(ann.pk, first.pk)}, enrolment_ids={ann.pk, ben.pk},
        session_ids={first.pk, second.pk},
    )  # fmt: skip
    gone = Attendance.objects.get(enrolment=ann, session=first)
    before = timezone.now()
    set_attendance(
        event=event, present=cells - {(ann.pk, first.pk)}, enrolment_ids={ann.pk, ben.pk},
        session_ids={first.pk, second.pk},
    )  # fmt: skip
    coordinator = api("coord.mangystau")
    marked = changed_since(coordinator, "attendance", before)
    assert marked == set(
        Attendance.objects.filter(session__event=event).values_list("pk", flat=True)
    )
    assert len(marked) == 3
    tombstones = walk(
        coordinator, f"/api/v1/deleted/?resource=attendance&deleted_since={since(before)}"
    )
    assert [(t["id"], t["reason"]) for t in tombstones] == [(gone.pk, "deleted")]


def test_saving_scores_shows_them_as_updated_and_clearing_them_leaves_a_tombstone(demo):
    event = EventFactory(region=region("KZ-47"))
    ann, ben = EnrolmentFactory(event=event), EnrolmentFactory(event=event)
    save_scores([(ann, Decimal(40), Decimal(70)), (ben, Decimal(50), None)])
    bens = Assessment.objects.get(enrolment=ben)
    before = timezone.now()
    save_scores([(ann, Decimal(45), Decimal(70)), (ben, None, None)])
    staff = api("undp.staff")
    assert changed_since(staff, "assessments", before) == {Assessment.objects.get(enrolment=ann).pk}
    tombstones = walk(staff, f"/api/v1/deleted/?resource=assessments&updated_since={since(before)}")
    assert [(t["id"], t["reason"]) for t in tombstones] == [(bens.pk, "deleted")]


def test_a_merge_shows_the_moved_enrolments_and_tombstones_the_merged_away_records(demo):
    kept, removed = ParticipantFactory(), ParticipantFactory()
    shared = EventFactory(region=region("KZ-47"))
    only_removed = EventFactory(region=region("KZ-43"))
    EnrolmentFactory(participant=kept, event=shared)
    twice = EnrolmentFactory(participant=removed, event=shared)
    moved = EnrolmentFactory(participant=removed, event=only_removed)
    before = timezone.now()
    merge_people(keep=kept, remove=removed)
    staff = api("undp.staff")
    assert moved.pk in changed_since(staff, "enrolments", before)
    assert Enrolment.objects.get(pk=moved.pk).participant_id == kept.pk
    tombstones = {
        (t["resource"], t["id"]): t
        for t in walk(staff, f"/api/v1/deleted/?updated_since={since(before)}")
    }
    assert tombstones[("participants", removed.pk)]["reason"] == "merged"
    assert tombstones[("participants", removed.pk)]["merged_into"] == kept.pk
    into = Enrolment.objects.get(participant=kept, event=shared)
    assert tombstones[("enrolments", twice.pk)]["merged_into"] == into.pk
    # Kyzylorda's coordinator saw the removed record (it came to an event there): they learn
    # it went away too; the shared enrolment was Mangystau's only.
    theirs = walk(api("coord.kyzylorda"), f"/api/v1/deleted/?updated_since={since(before)}")
    assert {(t["resource"], t["id"]) for t in theirs} == {("participants", removed.pk)}


def test_an_erasure_shows_in_updated_since_and_as_an_erased_tombstone(demo):
    person = ParticipantFactory(region=region("KZ-47"))
    before = timezone.now()
    erase_person(person, User.objects.get(username="admin"))
    erase_person(person, User.objects.get(username="admin"))  # again: still one tombstone
    coordinator = api("coord.mangystau")
    assert person.pk in changed_since(coordinator, "participants", before)
    tombstones = walk(
        coordinator, f"/api/v1/deleted/?resource=participants&updated_since={since(before)}"
    )
    assert [(t["id"], t["reason"]) for t in tombstones] == [(person.pk, "erased")]


def test_tombstones_follow_the_scope(demo):
    here = EventFactory(region=region("KZ-47"))
    there = EventFactory(region=region("KZ-43"))
    here_pk, there_pk = here.pk, there.pk
    before = timezone.now()
    for event in (here, there):
        EnrolmentFactory(event=event)
        SessionFactory(event=event)
        event.delete()  # cascades: sessions and enrolments go with the event
    url = f"/api/v1/deleted/?updated_since={since(before)}"

    def seen(username):
        return {(t["resource"], t["id"]) for t in walk(api(username), url)}

    staff = seen("undp.staff")
    assert {r for r, _ in staff} == {"events", "sessions", "enrolments"}
    assert ("events", here_pk) in staff and ("events", there_pk) in staff
    mine = seen("coord.mangystau")
    assert ("events", here_pk) in mine and ("events", there_pk) not in mine
    assert {r for r, _ in mine} == {"events", "sessions", "enrolments"}
    # A viewer follows events and sessions, never records of people.
    assert {r for r, _ in seen("viewer")} == {"events", "sessions"}
    # The CSV flavour, as on every list.
    csv = api("coord.mangystau").get(
        f"/api/v1/deleted/?format=csv&resource=events&updated_since={since(before)}"
    )
    lines = b"".join(csv.streaming_content).decode("utf-8-sig").splitlines()
    assert lines == ["resource,id,reason,merged_into,deleted_at", lines[1]]
    assert lines[1].startswith(f"events,{here_pk},deleted,,")
    # The old list of deleted events still answers.
    old = walk(api("coord.mangystau"), f"/api/v1/deleted-events/?updated_since={since(before)}")
    assert [row["id"] for row in old] == [here_pk]


def test_a_deletion_that_rolls_back_leaves_no_tombstone(demo):
    from django.db import transaction

    session = SessionFactory(event=EventFactory())
    with pytest.raises(RuntimeError), transaction.atomic():
        session.delete()
        raise RuntimeError
    assert not Tombstone.objects.filter(resource="sessions", object_id=session.pk).exists()


def test_bulk_writes_bump_the_change_time(demo):
    """A district merge rewrites events and people with bulk_update (no save()): they still
    come back in updated_since."""
    source = District.objects.filter(region__code="KZ-47").order_by("pk")[0]
    target = District.objects.filter(region__code="KZ-47").order_by("pk")[1]
    event = EventFactory(region=source.region, district=source)
    person = ParticipantFactory(region=source.region, district=source)
    before = timezone.now()
    merge_districts(source=source, target=target, by=User.objects.get(username="admin"))
    staff = api("undp.staff")
    assert event.pk in changed_since(staff, "events", before)
    assert person.pk in changed_since(staff, "participants", before)


# Indicators with computed actuals ------------------------------------------------------------
def _dashboard_actual(indicator: Indicator, scope, target: dict):
    start, end = target["period_start"], target["period_end"]
    rows = indicator_progress(
        indicator.programme, scope, _date(start), _date(end), target["period"]
    )
    return next(row["period"]["actual"] for row in rows if row["code"] == indicator.code)


def _date(text: str):
    from datetime import date

    return date.fromisoformat(text)


def test_indicators_carry_the_dashboards_actuals_for_the_tokens_scope(demo):
    indicator = (
        Indicator.objects.filter(rule="people_trained", targets__period__contains="Q")
        .order_by("pk")
        .first()
    )
    assert indicator is not None
    for username in ("undp.staff", "coord.mangystau"):
        row = api(username).get(f"/api/v1/indicators/{indicator.pk}/").json()
        target = next(t for t in row["targets"] if t["actual"])
        scope = scope_for(User.objects.get(username=username))
        assert target["actual"] == _dashboard_actual(indicator, scope, target)
        assert target["value"] == target["target"]
        assert row["life_of_programme"]["status"] in {"green", "amber", "red", "grey"}
    staff = api("undp.staff").get(f"/api/v1/indicators/{indicator.pk}/").json()
    mine = api("coord.mangystau").get(f"/api/v1/indicators/{indicator.pk}/").json()
    # A coordinator's token counts their region only.
    assert mine["life_of_programme"]["actual"] < staff["life_of_programme"]["actual"]


def test_the_indicator_list_costs_queries_per_indicator_and_period_not_per_row(
    demo, django_assert_max_num_queries
):
    client = api("coord.mangystau")
    client.get("/api/v1/events/")  # the token's last use is noted once a minute
    periods = sum(1 + i.targets.count() for i in Indicator.objects.all())
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as first:
        assert client.get("/api/v1/indicators/?page_size=1000").status_code == 200
    # More data to count does not cost more queries.
    event = EventFactory(region=region("KZ-47"))
    session = SessionFactory(event=event)
    for enrolment in EnrolmentFactory.create_batch(30, event=event):
        Attendance.objects.create(enrolment=enrolment, session=session)
    with django_assert_max_num_queries(len(first)):
        client.get("/api/v1/indicators/?page_size=1000")
    # token, page, targets, programme; then at most a few queries per rule and period.
    assert len(first) <= 4 + 4 * periods
