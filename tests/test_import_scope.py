"""Issue 13 (1, 4): the spreadsheet import and the registration form see only the people the
user may see, a likely match in another region is never revealed (a new record, and a
PossibleDuplicate for programme staff), and a reported event refuses imports at upload, at
confirm and when the rows are written."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import User
from accounts.scope import scope_for
from participants.identity import hash_iin, iin_checksum_ok
from participants.imports.apply import EventNotEditable, apply_plan
from participants.imports.parse import read_table
from participants.imports.services import confirm_import, start_import
from participants.imports.validate import build_plan
from participants.models import (
    Attendance,
    Enrolment,
    ImportBatch,
    Participant,
    PossibleDuplicate,
)
from participants.selectors import people_visible
from trainings.models import TrainingEvent

from .data.imports.samples import BEYNEU, csv_bytes
from .factories import EnrolmentFactory, EventFactory, ParticipantFactory, coordinator, region

pytestmark = pytest.mark.django_db

HEADER = ["ФИО", "ИИН", "Пол", "Год рождения", "Телефон", "Эл. почта"]
NAME = "Жұмабекова Мереке"


def _valid_iin(prefix: str = "85031540000") -> str:
    for last in range(10):
        if iin_checksum_ok(f"{prefix}{last}"):
            return f"{prefix}{last}"
    return _valid_iin(prefix[:-1] + str((int(prefix[-1]) + 1) % 10))


IIN = _valid_iin()


@pytest.fixture
def mangystau_person():
    """Someone who lives in Mangystau and only ever attended Mangystau events, with contacts
    on file and an IIN."""
    person = ParticipantFactory(
        full_name=NAME,
        birth_year=1985,
        phone="+7 701 111 22 33",
        email="mereke@example.kz",
        iin_hash=hash_iin(IIN),
    )
    EnrolmentFactory(participant=person, event=EventFactory(region=region("KZ-47")))
    return person


@pytest.fixture
def kyzylorda_event():
    return EventFactory(region=region("KZ-43"), title="Kyzylorda seminar")


@pytest.fixture
def kyz():
    return User.objects.get(username="coord.kyzylorda")


def _sheet(*rows) -> bytes:
    return csv_bytes(header=HEADER, rows=list(rows))


def _contacts(person: Participant) -> tuple:
    person.refresh_from_db()
    return (person.full_name, person.phone, person.email, person.iin_hash, person.region_id)


def _preview_text(batch: ImportBatch) -> str:
    return repr((batch.counts, batch.preview, batch.errors, batch.warnings, batch.message))


# 1. Name and birth year of a person of another region ---------------------------------------


def test_coordinator_importing_a_namesake_of_another_region_learns_nothing_and_changes_nothing(
    client, login_as, kyz, kyzylorda_event, mangystau_person
):
    before = _contacts(mangystau_person)
    sheet = _sheet([NAME, "", "Ж", 1985, "+7 777 000 00 00", "attacker@example.com"])
    batch = start_import(event=kyzylorda_event, data=sheet, filename="s.csv", user=kyz)

    # The preview says what it says for anyone unknown: a new person, no hint.
    assert batch.status == ImportBatch.Status.PREVIEW, batch.errors
    assert batch.counts["create"] == 1
    assert batch.counts["match"] == batch.counts["update"] == 0
    assert batch.preview == [{"row": 2, "name": NAME, "action": "create", "note": "new person"}]
    login_as(kyz)
    page = client.get(batch.get_absolute_url()).content.decode()
    assert "match existing" not in page and "known person" not in page

    batch = confirm_import(batch, user=kyz)
    assert batch.status == ImportBatch.Status.DONE, batch.message
    assert "possible_duplicates" not in batch.counts  # nothing in the batch hints either

    # A new Kyzylorda record holds what the sheet said; the Mangystau person is untouched,
    # not on the Kyzylorda roster, and still invisible to the coordinator.
    new = Participant.objects.get(
        name_normalised=mangystau_person.name_normalised, region__code="KZ-43"
    )
    assert (new.phone, new.email) == ("+7 777 000 00 00", "attacker@example.com")
    assert _contacts(mangystau_person) == before
    assert not Enrolment.objects.filter(
        event=kyzylorda_event, participant=mangystau_person
    ).exists()
    assert not people_visible(scope_for(kyz)).filter(pk=mangystau_person.pk).exists()
    assert client.get(mangystau_person.get_absolute_url()).status_code == 404

    # Programme staff get the pair to review.
    pair = PossibleDuplicate.objects.get(existing=mangystau_person)
    assert (pair.new_person, pair.how, pair.batch, pair.found_by) == (new, "name", batch, kyz)
    assert pair.is_open

    # A second import with other contacts changes the coordinator's own record only.
    again = _sheet([NAME, "", "Ж", 1985, "+7 777 999 99 99", "second@example.com"])
    second = confirm_import(
        start_import(event=kyzylorda_event, data=again, filename="s.csv", user=kyz), user=kyz
    )
    assert second.status == ImportBatch.Status.DONE
    assert _contacts(mangystau_person) == before
    new.refresh_from_db()
    assert new.phone == "+7 777 999 99 99"
    assert PossibleDuplicate.objects.filter(existing=mangystau_person).count() == 1


# 2. Another region's IIN ---------------------------------------------------------------------


def test_coordinator_importing_another_regions_iin_gets_a_new_record_without_that_iin(
    client, login_as, kyz, kyzylorda_event, mangystau_person
):
    before = _contacts(mangystau_person)
    sheet = _sheet(["Другое Имя", IIN, "М", 1990, "+7 700 000 00 01", "x@example.com"])
    batch = start_import(event=kyzylorda_event, data=sheet, filename="s.csv", user=kyz)
    assert batch.status == ImportBatch.Status.PREVIEW, batch.errors
    assert batch.preview == [
        {"row": 2, "name": "Другое Имя", "action": "create", "note": "new person"}
    ]
    assert mangystau_person.full_name not in _preview_text(batch)

    batch = confirm_import(batch, user=kyz)
    assert batch.status == ImportBatch.Status.DONE, batch.message
    new = Participant.objects.get(full_name="Другое Имя")
    assert new.iin_hash is None  # the unique hash stays with the record they cannot see
    assert _contacts(mangystau_person) == before
    assert not Enrolment.objects.filter(
        event=kyzylorda_event, participant=mangystau_person
    ).exists()
    pair = PossibleDuplicate.objects.get(existing=mangystau_person, new_person=new)
    assert pair.how == "iin"
    login_as(kyz)
    assert client.get(mangystau_person.get_absolute_url()).status_code == 404


def test_a_visible_person_given_another_regions_iin_reads_as_any_update_but_never_gets_it(
    kyz, kyzylorda_event, mangystau_person
):
    mine = ParticipantFactory(
        full_name="Сәрсенов Бауыржан", birth_year=1980, region=region("KZ-43")
    )
    other = ParticipantFactory(full_name="Әлиев Дәурен", birth_year=1981, region=region("KZ-43"))
    free_iin = _valid_iin("91020230000")
    sheet = _sheet(
        ["Сәрсенов Бауыржан", IIN, "М", 1980, "", ""],
        ["Әлиев Дәурен", free_iin, "М", 1981, "", ""],
    )
    batch = start_import(event=kyzylorda_event, data=sheet, filename="s.csv", user=kyz)
    taken, free = batch.preview
    # The preview does not tell a taken IIN from a free one.
    assert (taken["action"], taken["note"]) == (free["action"], free["note"])
    assert taken["action"] == "update"
    batch = confirm_import(batch, user=kyz)
    assert batch.status == ImportBatch.Status.DONE, batch.message or batch.errors
    assert batch.counts["people_updated"] == 2
    mine.refresh_from_db()
    other.refresh_from_db()
    assert mine.iin_hash is None and other.iin_hash == hash_iin(free_iin)
    assert _contacts(mangystau_person)[3] == hash_iin(IIN)
    assert Enrolment.objects.filter(event=kyzylorda_event, participant=mine).exists()
    assert PossibleDuplicate.objects.filter(existing=mangystau_person, new_person=mine).exists()


def test_staff_importing_the_same_rows_match_the_person_as_before(
    kyzylorda_event, mangystau_person
):
    staff = User.objects.get(username="undp.staff")
    sheet = _sheet([NAME, IIN, "Ж", 1985, "", ""])
    batch = start_import(event=kyzylorda_event, data=sheet, filename="s.csv", user=staff)
    assert batch.counts["create"] == 0 and batch.counts["match"] == 1
    assert confirm_import(batch, user=staff).status == ImportBatch.Status.DONE
    assert Enrolment.objects.filter(event=kyzylorda_event, participant=mangystau_person).exists()
    assert not PossibleDuplicate.objects.exists()


def test_the_background_import_checks_and_writes_with_the_uploaders_scope(
    settings, kyz, kyzylorda_event, mangystau_person, django_capture_on_commit_callbacks
):
    """Files above IMPORT_SYNC_MAX_BYTES go to the Celery task (run in-process here): it has no
    request, and must use the scope of the batch's uploader."""
    settings.IMPORT_SYNC_MAX_BYTES = 10
    before = _contacts(mangystau_person)
    sheet = _sheet([NAME, IIN, "Ж", 1985, "+7 777 000 00 00", "attacker@example.com"])
    with django_capture_on_commit_callbacks(execute=True):
        batch = start_import(event=kyzylorda_event, data=sheet, filename="s.csv", user=kyz)
    batch.refresh_from_db()
    assert batch.preview[0]["action"] == "create" and batch.counts["match"] == 0
    with django_capture_on_commit_callbacks(execute=True):
        confirm_import(batch, user=kyz)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE, batch.message
    assert _contacts(mangystau_person) == before
    assert PossibleDuplicate.objects.filter(existing=mangystau_person, how="iin").exists()


def test_a_batch_whose_uploader_is_gone_writes_nothing(kyzylorda_event):
    uploader = coordinator("KZ-43")
    batch = start_import(
        event=kyzylorda_event,
        data=_sheet(["Новый Человек", "", "М", 1990, "", ""]),
        filename="s.csv",
        user=uploader,
    )
    uploader.delete()  # created_by is set to NULL: no scope, no rights
    batch.refresh_from_db()
    batch = confirm_import(batch)
    assert batch.status == ImportBatch.Status.INVALID
    assert not Participant.objects.filter(full_name="Новый Человек").exists()


# Staff review the pairs ------------------------------------------------------------------------


def _flagged_pair(kyz, kyzylorda_event) -> PossibleDuplicate:
    sheet = _sheet([NAME, "", "Ж", 1985, "", ""])
    confirm_import(
        start_import(event=kyzylorda_event, data=sheet, filename="s.csv", user=kyz), user=kyz
    )
    return PossibleDuplicate.objects.get()


def test_staff_see_the_possible_duplicate_and_merge_the_pair(
    client, login_as, kyz, kyzylorda_event, mangystau_person
):
    pair = _flagged_pair(kyz, kyzylorda_event)
    login_as("undp.staff")
    people = client.get(reverse("participants:person_list")).content.decode()
    assert reverse("participants:possible_duplicates") in people
    listing = client.get(reverse("participants:possible_duplicates"))
    assert listing.status_code == 200
    html = listing.content.decode()
    merge = reverse("participants:person_merge", args=[mangystau_person.pk])
    assert f"{merge}?other={pair.new_person_id}" in html

    page = client.get(merge, {"other": pair.new_person_id})
    assert page.status_code == 200
    assert page.context["keep"] == mangystau_person and page.context["remove"] == pair.new_person
    client.post(merge, {"other": pair.new_person_id, "keep": mangystau_person.pk})
    assert not Participant.objects.filter(pk=pair.new_person_id).exists()
    assert Enrolment.objects.filter(event=kyzylorda_event, participant=mangystau_person).exists()
    pair.refresh_from_db()
    assert pair.resolution == "merged" and pair.resolved_at is not None
    listing = client.get(reverse("participants:possible_duplicates"))
    assert list(listing.context["page"].object_list) == []


def test_staff_dismiss_a_pair_that_is_two_people_after_confirming(
    client, login_as, kyz, kyzylorda_event, mangystau_person
):
    pair = _flagged_pair(kyz, kyzylorda_event)
    staff = User.objects.get(username="undp.staff")
    login_as(staff)
    url = reverse("participants:possible_duplicate_dismiss", args=[pair.pk])
    confirm = client.get(url)
    assert confirm.status_code == 200 and "different people" in confirm.content.decode()
    pair.refresh_from_db()
    assert pair.is_open  # opening the confirmation changes nothing
    response = client.post(url, follow=True)
    assert "are recorded as different people" in response.content.decode()
    pair.refresh_from_db()
    assert (pair.resolution, pair.resolved_by) == ("dismissed", staff)
    assert Participant.objects.filter(pk__in=[pair.existing_id, pair.new_person_id]).count() == 2
    assert client.post(url).status_code == 404  # no longer open


def test_the_duplicate_list_query_count_does_not_grow(
    client, login_as, django_assert_max_num_queries
):
    people = list(ParticipantFactory.create_batch(12, region=region("KZ-43")))
    existing = ParticipantFactory(region=region("KZ-47"))
    for person in people:
        PossibleDuplicate.objects.create(existing=existing, new_person=person, how="name")
    login_as("undp.staff")
    with django_assert_max_num_queries(10):
        response = client.get(reverse("participants:possible_duplicates"))
    assert len(response.context["page"].object_list) == 12


@pytest.mark.parametrize("username", ["coord.kyzylorda", "coord.mangystau", "viewer"])
def test_the_duplicate_review_does_not_exist_for_coordinators_and_viewers(
    client, login_as, kyz, kyzylorda_event, mangystau_person, username
):
    pair = _flagged_pair(kyz, kyzylorda_event)
    login_as(username)
    assert client.get(reverse("participants:possible_duplicates")).status_code == 404
    url = reverse("participants:possible_duplicate_dismiss", args=[pair.pk])
    assert client.post(url).status_code == 404
    pair.refresh_from_db()
    assert pair.is_open
    people = client.get(reverse("participants:person_list")).content.decode()
    assert reverse("participants:possible_duplicates") not in people


# The registry's own forms ---------------------------------------------------------------------


def _register_form(**overrides) -> dict:
    from participants.models import ParticipantCategory

    data = {
        "full_name": "Ким Алина",
        "sex": "F",
        "birth_year": "1992",
        "region": str(region("KZ-43").pk),
        "category": str(ParticipantCategory.objects.get(code="akimat").pk),
        "organisation_name": "Акимат",
        "consent_given": "on",
        "consent_method": "paper",
        "consent_date": "2024-08-13",
        "consent_version": "1",
        "iin": IIN,
    }
    data.update(overrides)
    return data


def test_registering_someone_with_another_regions_iin_does_not_say_it_exists(
    client, login_as, kyz, kyzylorda_event, mangystau_person
):
    login_as(kyz)
    url = reverse("participants:roster_new", args=[kyzylorda_event.pk])
    response = client.post(url, _register_form(), follow=True)
    html = response.content.decode()
    assert "already exists" not in html and mangystau_person.full_name not in html
    new = Participant.objects.get(full_name="Ким Алина")
    assert new.iin_hash is None
    assert Enrolment.objects.filter(event=kyzylorda_event, participant=new).exists()
    assert PossibleDuplicate.objects.filter(
        existing=mangystau_person, new_person=new, how="iin"
    ).exists()


def test_editing_a_person_with_another_regions_iin_does_not_say_it_exists(
    client, login_as, kyz, mangystau_person
):
    mine = ParticipantFactory(full_name="Ким Алина", region=region("KZ-43"))
    login_as(kyz)
    form = _register_form(organisation_name="Акимат")
    response = client.post(reverse("participants:person_edit", args=[mine.pk]), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    mine.refresh_from_db()
    assert mine.iin_hash is None
    assert PossibleDuplicate.objects.filter(existing=mangystau_person, new_person=mine).exists()


# 4. The reported-event lock ------------------------------------------------------------------


@pytest.fixture
def beyneu():
    return TrainingEvent.objects.get(title=BEYNEU)


@pytest.fixture
def mangystau_coord():
    return User.objects.get(username="coord.mangystau")


def _report(event: TrainingEvent) -> None:
    TrainingEvent.objects.filter(pk=event.pk).update(status=TrainingEvent.Status.REPORTED)
    event.refresh_from_db()


def _snapshot():
    return (
        Participant.objects.count(),
        Enrolment.objects.count(),
        Attendance.objects.count(),
        ImportBatch.objects.count(),
    )


def test_a_coordinator_cannot_upload_to_a_reported_event(client, login_as, beyneu, mangystau_coord):
    _report(beyneu)
    before = _snapshot()
    login_as(mangystau_coord)
    url = reverse("imports:upload", args=[beyneu.pk])
    page = client.get(url, follow=True)
    assert "reported and locked" in page.content.decode()
    upload = client.post(url, {"file": _upload_file()}, follow=True)
    assert "reported and locked" in upload.content.decode()
    assert _snapshot() == before
    with pytest.raises(Exception, match="reported and locked"):
        start_import(event=beyneu, data=csv_bytes(), filename="s.csv", user=mangystau_coord)
    assert _snapshot() == before


def _upload_file():
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("sheet.csv", csv_bytes(), content_type="text/csv")


def test_an_event_reported_after_the_preview_refuses_the_confirmation(
    client, login_as, beyneu, mangystau_coord
):
    batch = start_import(event=beyneu, data=csv_bytes(), filename="s.csv", user=mangystau_coord)
    assert batch.status == ImportBatch.Status.PREVIEW
    _report(beyneu)
    before = _snapshot()
    login_as(mangystau_coord)
    detail = client.get(batch.get_absolute_url()).content.decode()
    assert "reported and locked" in detail
    assert reverse("imports:batch_confirm", args=[batch.pk]) not in detail
    page = client.post(reverse("imports:batch_confirm", args=[batch.pk]), follow=True)
    assert "reported and locked" in page.content.decode()
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.PREVIEW
    assert _snapshot() == before

    # The worker path (no request): the uploader's right is asked again before writing.
    batch = confirm_import(batch)
    assert batch.status == ImportBatch.Status.INVALID
    assert "reported and locked" in batch.message
    assert _snapshot() == before


def test_the_write_itself_refuses_an_event_locked_after_the_check(beyneu, mangystau_coord):
    scope = scope_for(mangystau_coord)
    plan = build_plan(read_table(csv_bytes(), "s.csv"), beyneu, scope)
    assert plan.ok
    _report(beyneu)  # reported while the file was being checked
    before = _snapshot()
    with pytest.raises(EventNotEditable):
        apply_plan(plan, beyneu, mangystau_coord, scope=scope)
    assert _snapshot() == before


def test_staff_may_still_import_into_a_reported_event(beyneu):
    staff = User.objects.get(username="undp.staff")
    _report(beyneu)
    batch = start_import(event=beyneu, data=csv_bytes(), filename="s.csv", user=staff)
    assert confirm_import(batch, user=staff).status == ImportBatch.Status.DONE
