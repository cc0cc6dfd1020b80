"""The API fuzzed against its own OpenAPI schema, served live (schemathesis): with a staff
token and with a coordinator's token, every operation, reads and writes, is sent generated
requests (the schema's examples, then property-based data); no answer may be a server error,
every answer must match the schema (status code, content type, body, headers), and nothing
the coordinator gets may belong to another region.

Bounded in time: a few examples per operation and no shrinking (about a minute). It runs
against the live server (the test database is flushed and the seeded data put back after it,
tests/conftest.py), so its writes do not reach other tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import User
from accounts.scope import scope_for
from api.services import create_token
from participants.selectors import people_visible
from regions.models import Region
from trainings.models import TrainingEvent

pytestmark = pytest.mark.django_db(transaction=True)

EXAMPLES_PER_OPERATION = 6
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
]
# A report file is a download (a binary body), not JSON the checks could read; its own tests
# are in tests/test_api.py.
SKIPPED = {"/api/v1/report-runs/{id}/files/{fmt}/"}


def _rows(body) -> Iterator[dict]:
    """Every JSON object in a response body (a list page's rows, a record, nested ones)."""
    if isinstance(body, dict):
        yield body
        for value in body.values():
            yield from _rows(value)
    elif isinstance(body, list):
        for value in body:
            yield from _rows(value)


class OtherRegion(AssertionError):
    pass


def assert_only_own_regions(user: User, path: str, body) -> None:
    """No row of the answer belongs to a region outside the user's: its region (by id or code),
    the region of the event it is about, or a person this user's pages do not show."""
    scope = scope_for(user)
    own = set(scope.region_ids)
    own_codes = set(Region.objects.filter(pk__in=own).values_list("code", flat=True))
    for row in _rows(body):
        if path.startswith("/api/v1/participants/") and "full_name" in row:
            if not people_visible(scope).filter(pk=row["id"]).exists():
                raise OtherRegion(f"{path}: person {row['id']} is outside the scope")
            continue
        region_id = row.get("region")
        if path.startswith("/api/v1/regions/") and "kato" in row:
            region_id = row["id"]
        if isinstance(region_id, int) and region_id not in own:
            # Partners of no region are national ones, shown to everyone (partners_visible).
            raise OtherRegion(f"{path}: a row of region {region_id}: {row}")
        code = row.get("region_code")
        if code is not None and code not in own_codes:
            raise OtherRegion(f"{path}: a row of region {code}: {row}")
        event_id = row.get("event")
        if isinstance(event_id, int):
            event_region = (
                TrainingEvent.objects.filter(pk=event_id)
                .values_list("region_id", flat=True)
                .first()
            )
            if event_region is not None and event_region not in own:
                raise OtherRegion(f"{path}: a row of event {event_id} in region {event_region}")


# Generated ids rarely name a record: half the time the fuzzer is given real ones instead, of
# the coordinator's region (Mangystau) and of another (Kyzylorda), so reads and writes of
# records in and out of scope are both tried.
REGION_OF = {
    "events": "region__code",
    "sessions": "event__region__code",
    "enrolments": "event__region__code",
    "attendance": "session__event__region__code",
    "feedback": "event__region__code",
    "assessments": "enrolment__event__region__code",
    "participants": "region__code",
    "districts": "region__code",
    "partners": "region__code",
    "regions": "code",
}
BODY_IDS = {"event": "events", "session": "sessions", "enrolment": "enrolments"}
BODY_IDS["participant"] = "participants"


def real_ids() -> dict[str, list[int]]:
    from participants.models import Assessment, Attendance, Enrolment, Feedback, Participant
    from regions.models import District, PartnerOrganisation
    from trainings.models import Session

    models = {
        "events": TrainingEvent,
        "sessions": Session,
        "enrolments": Enrolment,
        "attendance": Attendance,
        "feedback": Feedback,
        "assessments": Assessment,
        "participants": Participant,
        "districts": District,
        "partners": PartnerOrganisation,
        "regions": Region,
    }
    pools = {}
    for name, model in models.items():
        ids = []
        for code in ("KZ-47", "KZ-43"):
            rows = model.objects.filter(**{REGION_OF[name]: code}).order_by("pk")
            ids += list(rows.values_list("pk", flat=True)[:3])
        pools[name] = ids
    return pools


def with_real_ids(schema) -> None:
    """Hooks of this schema: path `id`s and the ids named in bodies, half the time real."""
    pools = real_ids()

    def resource(context) -> str:
        return context.operation.path.split("/")[3]  # /api/v1/<resource>/...

    @schema.hook
    def flatmap_path_parameters(context, path_parameters):
        pool = pools.get(resource(context))
        if not pool or not path_parameters or "id" not in path_parameters:
            return st.just(path_parameters)
        ids = st.one_of(st.just(path_parameters["id"]), st.sampled_from(pool))
        return ids.map(lambda pk: {**path_parameters, "id": pk})

    @schema.hook
    def flatmap_body(context, body):
        if not isinstance(body, dict):
            return st.just(body)
        chosen = {
            key: st.one_of(st.just(value), st.sampled_from(pools[BODY_IDS[key]]))
            for key, value in body.items()
            if key in BODY_IDS and pools.get(BODY_IDS[key])
        }
        return st.fixed_dictionaries(chosen).map(lambda ids: {**body, **ids})


def check_operation(schema, operation, *, session, base_url: str, user: User, headers: dict):
    """Send `operation` generated requests (the schema's examples, then fuzzed data) and
    check each answer; raises on the first failure."""
    strategies = [operation.as_strategy(), *schema.get_strategies_from_examples(operation)]
    scoped = scope_for(user).region_ids is not None

    @hypothesis_settings(
        max_examples=EXAMPLES_PER_OPERATION,
        phases=[Phase.explicit, Phase.generate],
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=st.one_of(strategies))
    def check(case):
        response = case.call(base_url=base_url, session=session, headers=headers)
        case.validate_response(response, checks=CHECKS, headers=headers)
        if scoped and response.headers.get("Content-Type", "").startswith("application/json"):
            assert_only_own_regions(user, operation.path, response.json())

    check()


def fuzz(schema, base_url: str, user: User) -> list[str]:
    """Every operation of `schema` with generated requests as `user`; the failures found."""
    _token, secret = create_token(user=user, name="fuzz")
    headers = {"Authorization": f"Bearer {secret}"}
    failures: list[str] = []
    # Closed at the end: a kept-alive connection would keep a server thread, and its database
    # connection, open past the test.
    with requests.Session() as session:
        for result in schema.get_all_operations():
            operation = result.ok()
            if operation.path in SKIPPED:
                continue
            try:
                check_operation(
                    schema,
                    operation,
                    session=session,
                    base_url=base_url,
                    user=user,
                    headers=headers,
                )
            except Exception as error:  # noqa: BLE001 (each operation's failure is reported)
                failures.append(f"{user.username} {operation.label}: {error}")
    return failures


def test_the_api_answers_generated_requests_by_its_schema_and_scope(live_server, settings, demo):
    settings.API_RATE_LIMIT_PER_MINUTE = 1_000_000  # the fuzzer is not what the limit is for
    schema = schemathesis.openapi.from_url(f"{live_server.url}/api/schema/?format=json")
    with_real_ids(schema)
    staff = User.objects.get(username="undp.staff")
    coordinator = User.objects.get(username="coord.mangystau")
    assert scope_for(coordinator).region_ids  # the scope check has regions to compare with
    # The coordinator first: staff's deletes would leave them less to try.
    failures = fuzz(schema, live_server.url, coordinator) + fuzz(schema, live_server.url, staff)
    assert not failures, "\n\n".join(failures)
