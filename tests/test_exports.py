"""List exports: streamed CSV/XLSX, scoped to what the user may see, contacts only for roles
that may see them, constant query counts, and a roster that can be imported back."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import User
from participants.imports.services import confirm_import, start_import
from participants.models import ImportBatch, Participant
from trainings.models import TrainingEvent

from .factories import ParticipantFactory

pytestmark = pytest.mark.django_db


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body(response).decode("utf-8-sig"))))


def test_events_csv_is_streamed_and_scoped_to_the_coordinators_region(login_as):
    response = login_as("coord.mangystau").get(reverse("imports:export_events", args=["csv"]))
    assert response.status_code == 200 and response.streaming
    rows = csv_rows(response)
    visible = TrainingEvent.objects.filter(region__code="KZ-47").count()
    assert len(rows) - 1 == visible
    assert all("Kyzylorda)" not in r[1] for r in rows[1:])


def test_events_filters_as_query_parameters(login_as):
    response = login_as("undp.staff").get(
        reverse("imports:export_events", args=["csv"]), {"region": "KZ-43", "q": "police"}
    )
    rows = csv_rows(response)
    assert [r[1] for r in rows[1:]] == ["Emotional intelligence for police officers (Kyzylorda)"]


def test_viewer_gets_events_but_no_people_exports(client, login_as):
    login_as("viewer")
    assert client.get(reverse("imports:export_events", args=["xlsx"])).status_code == 200
    for name in ("imports:export_participants", "imports:export_attendance"):
        for fmt in ("csv", "xlsx"):
            assert client.get(reverse(name, args=[fmt])).status_code == 403


def test_participants_xlsx_with_contacts_for_staff(login_as):
    person = ParticipantFactory(phone="+77011234567", email="a@example.kz")
    response = login_as("undp.staff").get(
        reverse("imports:export_participants", args=["xlsx"]), {"q": person.full_name}
    )
    sheet = load_workbook(io.BytesIO(body(response)), read_only=True).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    # Exported neutralised (a leading + would make a spreadsheet formula); import strips it.
    assert "Phone" in rows[0] and "'+77011234567" in rows[1]


def test_coordinator_sees_only_people_of_their_scope(login_as):
    rows = csv_rows(
        login_as("coord.kyzylorda").get(reverse("imports:export_participants", args=["csv"]))
    )
    ids = {int(r[0]) for r in rows[1:]}
    outsiders = set(
        Participant.objects.filter(region__code="KZ-47")
        .exclude(enrolments__event__region__code="KZ-43")
        .values_list("pk", flat=True)
    )
    assert ids and not ids & outsiders


def test_coordinator_gets_contacts_viewer_never(client, login_as):
    person = ParticipantFactory(email="b@example.kz")
    login_as("admin")
    rows = csv_rows(
        client.get(reverse("imports:export_participants", args=["csv"]), {"q": person.full_name})
    )
    assert "b@example.kz" in rows[1]


def test_unknown_format_is_404(client, login_as):
    login_as("admin")
    assert client.get("/imports/export/events.pdf").status_code == 404


@pytest.mark.parametrize("n_extra", [0, 40])
def test_query_count_does_not_grow_with_rows(
    client, login_as, django_assert_max_num_queries, n_extra
):
    ParticipantFactory.create_batch(n_extra)
    login_as("undp.staff")
    with django_assert_max_num_queries(8):
        body(client.get(reverse("imports:export_participants", args=["csv"])))
    with django_assert_max_num_queries(8):
        body(client.get(reverse("imports:export_attendance", args=["csv"])))


def test_an_events_roster_exports_as_an_attendance_sheet_that_imports_back(login_as):
    event = (
        TrainingEvent.objects.filter(region__code="KZ-47", enrolments__isnull=False)
        .distinct()
        .first()
    )
    response = login_as("coord.mangystau").get(
        reverse("imports:export_attendance", args=["xlsx"]), {"event": event.pk}
    )
    data = body(response)
    before = (event.enrolments.count(), Participant.objects.count())
    batch = start_import(
        event=event,
        data=data,
        filename="roster.xlsx",
        user=User.objects.get(username="coord.mangystau"),
    )
    assert batch.status == ImportBatch.Status.PREVIEW, batch.errors
    assert batch.counts["create"] == 0
    assert confirm_import(batch).status == ImportBatch.Status.DONE
    assert (event.enrolments.count(), Participant.objects.count()) == before


def test_other_regions_event_roster_is_404(login_as):
    event = TrainingEvent.objects.filter(region__code="KZ-47").first()
    response = login_as("coord.kyzylorda").get(
        reverse("imports:export_attendance", args=["csv"]), {"event": event.pk}
    )
    assert response.status_code == 404


def test_contacts_need_a_role_that_may_see_them():
    from accounts.scope import Scope

    assert Scope(region_ids=None, role="coordinator", can_see_people=True).can_see_contacts
    assert not Scope(region_ids=None, role="viewer", can_see_people=True).can_see_contacts
    assert not Scope(region_ids=None, role="admin", can_see_people=False).can_see_contacts


def test_list_and_event_pages_link_to_exports_and_import(client, login_as):
    event = TrainingEvent.objects.filter(region__code="KZ-47").first()
    login_as("coord.mangystau")
    listing = client.get(reverse("trainings:event_list"), {"q": "Aktau"}).content.decode()
    assert reverse("imports:export_events", args=["csv"]) + "?q=Aktau" in listing
    detail = client.get(event.get_absolute_url()).content.decode()
    assert reverse("imports:upload", args=[event.pk]) in detail
    login_as("viewer")
    detail = client.get(event.get_absolute_url()).content.decode()
    assert reverse("imports:upload", args=[event.pk]) not in detail
    assert "export/attendance" not in detail
