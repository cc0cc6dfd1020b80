"""The CSV flavour of the API's lists (`?format=csv`, `Accept: text/csv`): for Power BI and Excel,
the whole filtered list streamed in one response, with the JSON's Scope, filters and fields."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.http import StreamingHttpResponse
from django.utils import timezone

from participants.models import Participant
from trainings.models import TrainingEvent

from .factories import EventFactory, ParticipantFactory, region
from .test_api import api, walk

pytestmark = pytest.mark.django_db


def read_csv(response) -> list[dict]:
    """The rows of a streamed CSV response, checking it is UTF-8 with a BOM (for Excel)."""
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"].startswith("text/csv")
    raw = b"".join(response.streaming_content)
    assert raw.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))


def test_a_coordinators_events_csv_has_only_their_regions_whole_list(demo):
    EventFactory.create_batch(3, region=region("KZ-47"))
    client = api("coord.mangystau")
    response = client.get("/api/v1/events/?format=csv")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="events.csv"'
    rows = read_csv(response)
    assert {row["region_code"] for row in rows} == {"KZ-47"}
    # No page cap: every row in one response, in id order, like walking the JSON pages.
    json_rows = walk(client, "/api/v1/events/?page_size=2")
    assert [int(row["id"]) for row in rows] == [row["id"] for row in json_rows]


def test_the_csv_header_is_the_json_fields_and_related_rows_are_ids(demo):
    client = api("undp.staff")
    event = TrainingEvent.objects.filter(topics__isnull=False).first()
    json_row = client.get(f"/api/v1/events/{event.pk}/").json()
    response = client.get("/api/v1/events/", HTTP_ACCEPT="text/csv")
    rows = read_csv(response)
    assert list(rows[0]) == list(json_row)
    row = next(r for r in rows if r["id"] == str(event.pk))
    assert row["title"] == json_row["title"]
    assert row["region"] == str(json_row["region"])
    assert row["topics"] == "; ".join(str(pk) for pk in json_row["topics"])


def test_every_list_answers_as_csv(demo):
    client = api("undp.staff")
    for resource in [
        "programmes", "regions", "districts", "partners", "categories", "events", "sessions",
        "enrolments", "attendance", "feedback", "assessments", "participants", "indicators",
        "report-runs", "deleted-events",
    ]:  # fmt: skip
        response = client.get(f"/api/v1/{resource}/?format=csv")
        assert response.status_code == 200, resource
        header = next(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
        assert header[0] == "\ufeffid", resource


def test_filters_and_updated_since_apply_to_the_csv(demo):
    client = api("undp.staff")
    rows = read_csv(client.get("/api/v1/events/?format=csv&region=KZ-43&status=held"))
    expected = TrainingEvent.objects.filter(region__code="KZ-43", status="held")
    assert sorted(int(r["id"]) for r in rows) == sorted(expected.values_list("pk", flat=True))

    event = TrainingEvent.objects.filter(region__code="KZ-47").first()
    later = timezone.now() + timedelta(seconds=1)
    TrainingEvent.objects.exclude(pk=event.pk).update(updated_at=later - timedelta(days=1))
    event.venue = "Aktau, new venue"
    event.save()
    since = (later - timedelta(hours=1)).isoformat()
    rows = read_csv(client.get(f"/api/v1/events/?format=csv&updated_since={since}"))
    assert [int(r["id"]) for r in rows] == [event.pk]
    # A wrong value is refused as JSON with the reason, not as a CSV file.
    bad = client.get("/api/v1/events/?format=csv&updated_since=yesterday")
    assert bad.status_code == 400
    assert "updated_since" in bad.json()


def test_cyrillic_round_trips_and_formulas_are_neutralised(demo):
    person = ParticipantFactory(
        full_name="Әсем Жұмабаева", organisation_name='=HYPERLINK("http://x")', position="@SUM"
    )
    response = api("undp.staff").get("/api/v1/participants/?format=csv")
    row = next(r for r in read_csv(response) if r["id"] == str(person.pk))
    assert row["full_name"] == "Әсем Жұмабаева"
    assert row["organisation_name"] == '\'=HYPERLINK("http://x")'
    assert row["position"] == "'@SUM"


@pytest.mark.parametrize("resource", ["participants", "enrolments", "attendance", "assessments"])
def test_a_viewers_token_gets_no_people_as_csv_either(demo, resource):
    response = api("viewer").get(f"/api/v1/{resource}/?format=csv")
    assert response.status_code == 403
    assert "aggregates" in response.json()["detail"]


def test_a_viewers_feedback_csv_has_no_texts_or_people(demo):
    rows = read_csv(api("viewer").get("/api/v1/feedback/?format=csv"))
    assert rows
    assert "satisfaction" in rows[0]
    assert not {"comments", "most_useful", "enrolment"} & set(rows[0])


def test_contacts_in_the_csv_only_for_roles_that_see_them(demo):
    rows = read_csv(api("viewer").get("/api/v1/partners/?format=csv"))
    assert "contact_person" not in rows[0]
    rows = read_csv(api("coord.mangystau").get("/api/v1/participants/?format=csv"))
    assert {"phone", "email"} <= set(rows[0])


def test_the_csv_counts_against_the_rate_limit(demo, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 2
    client = api("undp.staff")
    statuses = [client.get("/api/v1/regions/?format=csv").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]


def test_no_token_no_csv(demo):
    from django.test import Client

    assert Client().get("/api/v1/events/?format=csv").status_code == 401


def test_a_detail_has_no_csv_flavour(demo):
    event = TrainingEvent.objects.first()
    response = api("undp.staff").get(f"/api/v1/events/{event.pk}/?format=csv")
    assert response.status_code == 404


def test_the_csv_streams_in_a_fixed_number_of_queries(demo):
    client = api("undp.staff")
    client.get("/api/v1/regions/")  # the token's last use is noted once a minute, not counted

    def pull(resource: str) -> tuple[int, int]:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/api/v1/{resource}/?format=csv")
            rows = read_csv(response)  # the queries run while the body streams
        return len(rows), len(queries)

    EventFactory.create_batch(10, region=region("KZ-47"))
    ParticipantFactory.create_batch(10)
    small = {resource: pull(resource) for resource in ("events", "participants")}
    EventFactory.create_batch(190, region=region("KZ-47"))
    ParticipantFactory.create_batch(190)
    for resource in ("events", "participants"):
        rows, queries = pull(resource)
        assert rows == small[resource][0] + 190
        # token, rows, prefetches (4 on events): the same however many rows
        assert queries == small[resource][1] <= 7, resource
    assert Participant.objects.count() >= 200


def test_tombstones_of_deleted_events_come_as_csv_too(demo):
    from trainings.services import delete_event

    event = EventFactory(region=region("KZ-47"))
    pk = event.pk
    delete_event(event=event)
    rows = read_csv(api("coord.mangystau").get("/api/v1/deleted-events/?format=csv"))
    assert list(rows[0]) == ["id", "region", "region_code", "deleted_at"]
    assert str(pk) in {row["id"] for row in rows}
