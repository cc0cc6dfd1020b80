"""The REST API (/api/v1/): tokens, the same Scope as the pages, cursor pages for large pulls,
`updated_since`, the OpenAPI schema and its docs page, the per-token rate limit."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from drf_spectacular.validation import validate_schema

from accounts.models import User
from api.models import ApiToken
from api.services import create_token, revoke_token
from participants.models import Participant
from trainings.models import TrainingEvent

from .factories import EventFactory, ParticipantFactory, coordinator, region

pytestmark = pytest.mark.django_db


def api(user_or_secret, *, client: Client | None = None) -> Client:
    """A client sending `Authorization: Bearer <token>` (a new token of the user, or a secret)."""
    if (
        isinstance(user_or_secret, str)
        and not User.objects.filter(username=user_or_secret).exists()
    ):
        secret = user_or_secret
    else:
        user = (
            User.objects.get(username=user_or_secret)
            if isinstance(user_or_secret, str)
            else user_or_secret
        )
        _token, secret = create_token(user=user, name="test")
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def walk(client: Client, url: str) -> list[dict]:
    """Every row of a list, following the cursor's `next` links."""
    rows: list[dict] = []
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.content
        body = response.json()
        rows.extend(body["results"])
        url = body["next"]
    return rows


# Tokens ------------------------------------------------------------------------------------
def test_a_valid_token_reads_the_api_and_is_noted_as_used(demo):
    user = User.objects.get(username="undp.staff")
    token, secret = create_token(user=user, name="Power BI")
    response = api(secret).get("/api/v1/events/")
    assert response.status_code == 200
    assert response.json()["results"]
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_only_the_hash_of_a_token_is_stored(demo):
    token, secret = create_token(user=User.objects.get(username="viewer"), name="x")
    stored = ApiToken.objects.filter(pk=token.pk).values_list()[0]
    assert secret not in [str(value) for value in stored]
    assert token.key_prefix == secret[:8]


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "Authentication credentials were not provided"),
        ({"HTTP_AUTHORIZATION": "Bearer not-a-token"}, "not valid"),
    ],
)
def test_no_token_or_a_wrong_one_is_401(demo, headers, message):
    response = Client(**headers).get("/api/v1/events/")
    assert response.status_code == 401
    assert message in response.json()["detail"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_an_expired_token_is_401_saying_so(demo):
    token, secret = create_token(user=User.objects.get(username="undp.staff"), name="old")
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - timedelta(days=1))
    response = api(secret).get("/api/v1/events/")
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_a_revoked_token_is_401_saying_so(demo):
    user = User.objects.get(username="undp.staff")
    token, secret = create_token(user=user, name="leaked")
    revoke_token(token=token, by=user)
    response = api(secret).get("/api/v1/events/")
    assert response.status_code == 401
    assert "revoked" in response.json()["detail"]


def test_a_logged_in_session_does_not_open_the_api(login_as, demo):
    assert login_as("undp.staff").get("/api/v1/events/").status_code == 401


def test_the_command_prints_a_working_token(demo):
    out = StringIO()
    call_command("api_token", "coord.mangystau", "--name", "nightly", "--days", "7", stdout=out)
    secret = out.getvalue().strip()
    assert re.fullmatch(r"[A-Za-z0-9_-]{40,}", secret)
    token = ApiToken.objects.get(key_prefix=secret[:8])
    assert token.name == "nightly"
    assert token.expires_at.date() == (timezone.now() + timedelta(days=7)).date()
    assert api(secret).get("/api/v1/regions/").status_code == 200


def test_the_tokens_page_shows_a_new_token_once_and_revokes_it(login_as, demo):
    client = login_as("viewer")
    page = client.get("/api/tokens/")
    assert page.status_code == 200
    assert 'for="id_name"' in page.content.decode()
    created = client.post("/api/tokens/", {"name": "Excel", "days": 30})
    html = created.content.decode()
    token = ApiToken.objects.get(user__username="viewer", name="Excel")
    secret = re.search(r'id="new-token" type="text" value="([^"]+)"', html).group(1)
    assert secret.startswith(token.key_prefix)
    assert created.headers["Cache-Control"].startswith("max-age=0")
    # Shown once: the list afterwards holds only the prefix.
    assert secret not in client.get("/api/tokens/").content.decode()
    assert api(secret).get("/api/v1/events/").status_code == 200

    client.post(f"/api/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert token.history.first().history_user.username == "viewer"
    assert api(secret).get("/api/v1/events/").status_code == 401


def test_nobody_revokes_another_users_token_from_the_page(login_as, demo):
    token, _secret = create_token(user=User.objects.get(username="undp.staff"), name="x")
    response = login_as("viewer").post(f"/api/tokens/{token.pk}/revoke/")
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_an_admin_revokes_any_token_in_the_admin(login_as, demo):
    token, secret = create_token(user=User.objects.get(username="viewer"), name="x")
    response = login_as("admin").post(
        "/admin/api/apitoken/",
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    assert response.status_code == 302
    assert api(secret).get("/api/v1/events/").status_code == 401


# The same Scope as the pages -------------------------------------------------------------
def test_a_coordinators_token_sees_only_their_regions_events(demo):
    client = api("coord.mangystau")
    rows = walk(client, "/api/v1/events/?page_size=1000")
    assert rows
    assert {row["region_code"] for row in rows} == {"KZ-47"}
    assert len(rows) == TrainingEvent.objects.filter(region__code="KZ-47").count()
    other = TrainingEvent.objects.filter(region__code="KZ-43").first()
    assert client.get(f"/api/v1/events/{other.pk}/").status_code == 404
    own = TrainingEvent.objects.filter(region__code="KZ-47").first()
    assert client.get(f"/api/v1/events/{own.pk}/").json()["title"] == own.title


def test_a_coordinators_token_sees_no_person_of_another_region(demo):
    client = api("coord.mangystau")
    stranger = (
        Participant.objects.filter(region__code="KZ-43")
        .exclude(enrolments__event__region__code="KZ-47")
        .first()
    )
    assert client.get(f"/api/v1/participants/{stranger.pk}/").status_code == 404
    ids = {row["id"] for row in walk(client, "/api/v1/participants/?page_size=1000")}
    assert stranger.pk not in ids


@pytest.mark.parametrize("resource", ["participants", "enrolments", "attendance", "assessments"])
def test_a_viewers_token_gets_no_people(demo, resource):
    response = api("viewer").get(f"/api/v1/{resource}/")
    assert response.status_code == 403
    assert "aggregates" in response.json()["detail"]


def test_a_viewers_feedback_has_scores_but_no_texts_or_people(demo):
    rows = api("viewer").get("/api/v1/feedback/").json()["results"]
    assert rows
    assert "satisfaction" in rows[0]
    assert not {"comments", "most_useful", "enrolment"} & set(rows[0])
    staff_rows = api("undp.staff").get("/api/v1/feedback/").json()["results"]
    assert {"comments", "enrolment"} <= set(staff_rows[0])


def test_contacts_only_for_roles_that_see_them(demo):
    person = ParticipantFactory(phone="+7 701 000 0000", email="a@example.org")
    row = api("coord.mangystau").get(f"/api/v1/participants/{person.pk}/").json()
    assert row["phone"] == "+7 701 000 0000"
    assert row["email"] == "a@example.org"
    assert "iin_hash" not in row
    partner = api("coord.mangystau").get("/api/v1/partners/").json()["results"][0]
    assert "contact_person" in partner
    assert "contact_person" not in api("viewer").get("/api/v1/partners/").json()["results"][0]


def test_events_filter_like_the_event_list(demo):
    client = api("undp.staff")
    rows = walk(client, "/api/v1/events/?region=KZ-43&status=held&page_size=1000")
    expected = TrainingEvent.objects.filter(region__code="KZ-43", status="held")
    assert sorted(r["id"] for r in rows) == sorted(expected.values_list("pk", flat=True))
    rows = walk(client, "/api/v1/events/?from=2024-08-20&to=2024-08-31&page_size=1000")
    for row in rows:
        assert row["end_date"] >= "2024-08-20" and row["start_date"] <= "2024-08-31"


# Large pulls -------------------------------------------------------------------------------
def test_cursor_pages_walk_every_row_once_in_a_stable_order(demo):
    EventFactory.create_batch(25)
    client = api("undp.staff")
    rows = walk(client, "/api/v1/events/?page_size=7")
    ids = [row["id"] for row in rows]
    assert len(ids) == len(set(ids)) == TrainingEvent.objects.count()
    assert ids == sorted(ids)


def test_page_size_defaults_to_100_and_stops_at_1000(demo, settings):
    ParticipantFactory.create_batch(5)
    client = api("undp.staff")
    assert len(client.get("/api/v1/participants/").json()["results"]) == min(
        100, Participant.objects.count()
    )
    settings.API_MAX_PAGE_SIZE = 3  # the cap, small enough to see with the demo data
    assert len(client.get("/api/v1/participants/?page_size=1000").json()["results"]) == 3


def test_updated_since_returns_what_changed(demo):
    client = api("undp.staff")
    event = TrainingEvent.objects.filter(region__code="KZ-47").first()
    later = timezone.now() + timedelta(seconds=1)
    TrainingEvent.objects.exclude(pk=event.pk).update(updated_at=later - timedelta(days=1))
    event.venue = "Aktau, new venue"
    event.save()
    since = (later - timedelta(hours=1)).isoformat()
    rows = walk(client, f"/api/v1/events/?updated_since={since}")
    assert [r["id"] for r in rows] == [event.pk]
    bad = client.get("/api/v1/events/?updated_since=yesterday")
    assert bad.status_code == 400


def test_a_100_row_page_costs_a_fixed_number_of_queries(demo, django_assert_max_num_queries):
    EventFactory.create_batch(100, region=region("KZ-47"))
    ParticipantFactory.create_batch(100)
    client = api("undp.staff")
    client.get("/api/v1/events/")  # the token's last use is noted once a minute, not counted
    for resource in [
        "events", "participants", "sessions", "attendance", "feedback", "enrolments",
        "assessments", "report-runs", "partners", "districts", "programmes", "deleted",
    ]:  # fmt: skip
        # (indicators compute their actuals: a cost per indicator, tests/test_api_mirror.py)
        # token, page, prefetches (4 on events), nothing per row
        with django_assert_max_num_queries(7):
            response = client.get(f"/api/v1/{resource}/?page_size=100")
        assert response.status_code == 200
        if resource in ("events", "participants"):
            assert len(response.json()["results"]) == 100


# Schema, docs, limits ---------------------------------------------------------------------
def test_the_schema_is_openapi_3_with_every_resource(demo):
    response = Client().get("/api/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    for resource in [
        "programmes", "regions", "districts", "partners", "categories", "events", "sessions",
        "enrolments", "attendance", "feedback", "assessments", "participants", "indicators",
        "report-runs", "deleted-events",
    ]:  # fmt: skip
        assert f"/api/v1/{resource}/" in schema["paths"], resource
    assert "BearerToken" in schema["components"]["securitySchemes"]
    # Fields some roles get are documented: contacts, feedback texts.
    assert {"phone", "email"} <= set(schema["components"]["schemas"]["Participant"]["properties"])
    assert "comments" in schema["components"]["schemas"]["Feedback"]["properties"]
    validate_schema(schema)  # against the OpenAPI 3 JSON schema (raises when invalid)


def test_the_docs_page_loads_everything_from_the_app_itself(demo):
    response = Client().get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui-bundle.js" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    assert "<script>" not in html and "<style" not in html  # CSP forbids inline ones
    script = re.search(r'<script src="([^"]*script=[^"]*)"', html).group(1)
    js = Client().get(script.replace("&amp;", "&"))
    assert js.status_code == 200
    assert "/api/schema/" in js.content.decode()


def test_a_token_over_its_rate_limit_gets_429_with_retry_after(demo, settings):
    settings.API_RATE_LIMIT_PER_MINUTE = 3
    client = api("undp.staff")
    statuses = [client.get("/api/v1/regions/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    response = client.get("/api/v1/regions/")
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    # Another token of the same user has its own count.
    assert api("undp.staff").get("/api/v1/regions/").status_code == 200


def test_report_runs_link_to_their_files_through_the_api(demo):
    from .permission_matrix import OBJECTS

    run = OBJECTS["report_run"]()
    client = api("viewer")
    row = client.get(f"/api/v1/report-runs/{run.pk}/").json()
    link = next(f for f in row["files"] if f["format"] == "xlsx")["download_url"]
    response = client.get(link)
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert api("coord.kyzylorda").get(link).status_code == 404


def test_indicators_come_with_their_targets(demo):
    rows = api("viewer").get("/api/v1/indicators/").json()["results"]
    assert rows
    assert any(row["targets"] for row in rows)
    assert {"period", "value"} <= set(next(r for r in rows if r["targets"])["targets"][0])


def test_a_coordinator_of_another_region_gets_404_on_an_event_made_now(demo):
    event = EventFactory(region=region("KZ-47"))
    assert api(coordinator("KZ-43")).get(f"/api/v1/events/{event.pk}/").status_code == 404


# Tombstones: a mirror following updated_since also learns of deletions and erasures --------
def test_a_deleted_event_shows_up_as_a_tombstone_in_its_regions_only(demo):
    from trainings.services import delete_event

    event = EventFactory(region=region("KZ-47"))
    pk = event.pk
    before = timezone.now() - timedelta(seconds=1)
    delete_event(event=event, by=User.objects.get(username="coord.mangystau"))
    own = api("coord.mangystau")
    assert pk not in {row["id"] for row in walk(own, "/api/v1/events/?page_size=1000")}
    rows = walk(own, f"/api/v1/deleted-events/?updated_since={before.isoformat()}")
    assert [(row["id"], row["region_code"]) for row in rows] == [(pk, "KZ-47")]
    other = walk(api(coordinator("KZ-43")), "/api/v1/deleted-events/")
    assert pk not in {row["id"] for row in other}
    later = (timezone.now() + timedelta(seconds=1)).isoformat()
    assert walk(own, f"/api/v1/deleted-events/?updated_since={later}") == []
    assert own.get(f"/api/v1/deleted-events/{pk}/").status_code == 404  # a list, no records


def test_an_erased_person_shows_up_changed_and_anonymised(demo):
    from participants.privacy import erase_person

    person = ParticipantFactory(full_name="Айгерім Сәрсенова", phone="+7 701 000 0001")
    since = (timezone.now() - timedelta(seconds=1)).isoformat()
    erase_person(person, User.objects.get(username="undp.staff"), reason="asked")
    rows = walk(api("undp.staff"), f"/api/v1/participants/?updated_since={since}")
    row = next(r for r in rows if r["id"] == person.pk)
    assert row["is_anonymised"] is True
    assert row["full_name"] != "Айгерім Сәрсенова"
    assert row["phone"] in ("", None)
