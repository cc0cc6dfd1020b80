"""A person's data: exported as JSON on request, erased on request (counts unchanged, the name
gone from every table including history), and listed for review after the retention period."""

import json
from datetime import UTC, date, datetime

import pytest
from django.apps import apps
from django.db import models
from django.db.models import Count

from accounts.models import SecurityEvent, User
from accounts.scope import scope_for
from participants import summaries
from participants.aggregates import people_reached
from participants.models import Feedback, Participant, Reach
from participants.privacy import (
    activity_years,
    anonymised_birth_year,
    birth_year_band,
    erase_person,
    people_due_for_review,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(demo):
    return User.objects.get(username="admin")


@pytest.fixture
def person(demo):
    """A demo person who attended sessions and has history."""
    return (
        Participant.objects.filter(enrolments__attendances__isnull=False, birth_year__isnull=False)
        .distinct()
        .order_by("pk")
        .first()
    )


def _counts():
    scope = scope_for(User.objects.get(username="admin"))
    by_group = list(
        Participant.objects.values("sex", "category__code", "region__code")
        .annotate(n=Count("pk"))
        .order_by("sex", "category__code", "region__code")
    )
    return people_reached(scope), by_group


def _tables_containing(text: str) -> list[str]:
    """Every text column of every table (history tables included) that holds `text`."""
    found = []
    for model in apps.get_models():
        fields = [
            f.name
            for f in model._meta.concrete_fields
            if isinstance(f, (models.CharField, models.TextField, models.JSONField))
        ]
        for name in fields:
            if isinstance(model._meta.get_field(name), models.JSONField):
                # Read JSON back: SQLite stores non-ASCII text escaped (\\u0410...).
                values = model._default_manager.values_list(name, flat=True)
                if any(text in json.dumps(v, ensure_ascii=False) for v in values):
                    found.append(f"{model._meta.label}.{name}")
            elif model._default_manager.filter(**{f"{name}__contains": text}).exists():
                found.append(f"{model._meta.label}.{name}")
    return found


def test_export_holds_everything_about_the_person_and_is_audited(client, login_as, admin, person):
    login_as(admin)
    response = client.get(f"/privacy/people/{person.pk}/export/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    data = json.loads(response.content)
    assert data["person"]["full_name"] == person.full_name
    assert len(data["enrolments"]) == person.enrolments.count()
    assert data["attendance"]
    assert data["history"] and data["history"][0]["type"]
    assert "consents" in data and "feedback" in data and "scores" in data
    event = SecurityEvent.objects.get(kind="person_exported")
    assert event.user == admin and event.detail["participant_id"] == person.pk
    assert person.full_name not in event.object_repr


def test_erasure_keeps_counts_and_removes_the_name_everywhere(admin, person):
    name = person.full_name
    person.phone = "+7 701 000 00 00"
    person.save()  # one more history row with the phone
    Feedback.objects.filter(enrolment__participant=person).update(comments=f"Thanks, {name}")
    # A spreadsheet import of one of their events keeps a preview of the rows it read.
    from participants.imports.services import start_import

    event = person.enrolments.first().event
    start_import(
        event=event,
        data=f"ФИО;Пол;Год рождения\n{name};М;1990\n".encode(),
        filename="roster.csv",
        user=admin,
    )
    born = person.birth_year
    assert person.district_id and person.organisation_id
    before = _counts()
    holding = _tables_containing(name)
    assert "participants.Participant.full_name" in holding
    assert "participants.ImportBatch.preview" in holding

    erase_person(person, admin, reason="Request of 2026-11-20 No. 7")

    assert _counts() == before
    assert _tables_containing(name) == []
    assert _tables_containing("+7 701 000 00 00") == []
    person.refresh_from_db()
    assert person.full_name == f"Anonymised #{person.pk}"
    assert person.is_anonymised and person.iin_hash is None
    # Read by no report figure: gone, in the history too.
    assert person.district_id is None and person.organisation_id is None
    assert not Participant.history.filter(id=person.pk, organisation__isnull=False).exists()
    assert not Participant.history.filter(id=person.pk, district__isnull=False).exists()
    assert birth_year_band(person.birth_year) == birth_year_band(born)
    assert person.birth_year == anonymised_birth_year(born, activity_years(person.pk))
    assert all(h.full_name == person.full_name for h in Participant.history.filter(id=person.pk))
    event = SecurityEvent.objects.get(kind="person_erased")
    assert event.user == admin and event.detail["participant_id"] == person.pk


def test_erasure_coarsens_the_birth_year_in_the_summaries_copy_in_its_transaction(admin, person):
    """The people list's copy of the birth year (the summaries' "seen" rows) is coarsened
    with the record when the erasure commits, not by the refresh after it (not run here)."""
    Participant.objects.filter(pk=person.pk).update(birth_year=1931)  # 55+ when they came
    summaries.refresh_people([person.pk])
    seen = Reach.objects.filter(participant_id=person.pk, period=summaries.SEEN)
    assert set(seen.values_list("birth_year", flat=True)) == {1931}

    erase_person(person, admin, reason="Request of 2026-12-04 No. 9")

    person.refresh_from_db()
    assert person.birth_year == 1930
    assert set(seen.values_list("birth_year", flat=True)) == {1930}


def test_erasure_through_the_page_needs_confirmation(client, login_as, admin, person):
    login_as(admin)
    url = f"/privacy/people/{person.pk}/erase/"
    assert client.get(url).status_code == 200
    response = client.post(url, {"reason": "written request"})
    assert response.status_code == 200  # the confirmation box was not ticked
    person.refresh_from_db()
    assert not person.is_anonymised
    response = client.post(url, {"reason": "written request", "confirm": "on"})
    assert response.status_code == 302
    person.refresh_from_db()
    assert person.is_anonymised


def test_the_person_page_links_to_export_and_erase_for_administrators_only(
    client, login_as, person
):
    export = f'href="/privacy/people/{person.pk}/export/"'
    erase = f'href="/privacy/people/{person.pk}/erase/"'
    login_as("admin")
    page = client.get(person.get_absolute_url()).content.decode()
    assert export in page and erase in page
    # The erase link opens the page that asks for the request reference and a confirmation.
    confirm = client.get(f"/privacy/people/{person.pk}/erase/").content.decode()
    assert 'name="confirm"' in confirm and 'name="reason"' in confirm
    for username in ("undp.staff", "coord.mangystau", "coord.kyzylorda"):
        login_as(username)
        response = client.get(person.get_absolute_url())
        if response.status_code == 404:  # another region's coordinator does not see the person
            continue
        page = response.content.decode()
        assert response.status_code == 200 and person.full_name in page, username
        assert export not in page and erase not in page, username
    login_as("viewer")
    assert client.get(person.get_absolute_url()).status_code in (403, 404)
    # Once erased, only the export is offered.
    erase_person(person, User.objects.get(username="admin"), reason="request")
    login_as("admin")
    page = client.get(person.get_absolute_url()).content.decode()
    assert export in page and erase not in page


def test_only_admins_export_or_erase(client, login_as, demo, person):
    for username in ("undp.staff", "coord.mangystau", "viewer"):
        login_as(username)
        assert client.get(f"/privacy/people/{person.pk}/export/").status_code == 403
        assert (
            client.post(f"/privacy/people/{person.pk}/erase/", {"confirm": "on"}).status_code == 403
        )
    person.refresh_from_db()
    assert not person.is_anonymised


def test_birth_year_band():
    assert birth_year_band(1987) == 1985
    assert birth_year_band(1990) == 1990
    assert birth_year_band(None) is None


def test_anonymised_birth_year_keeps_the_age_band_of_every_later_year():
    # No activity: no report counts them, the first year of the 5-year band.
    assert anonymised_birth_year(1987, set()) == 1985
    # 1987 is 37 in 2024 and turns 45 in 2032: a period from 2024 to 2032 needs 1987 itself
    # ("1985" would be 45 in 2030 and move them to 45-54 in a report ending then).
    assert anonymised_birth_year(1987, {2024}) == 1987
    # 2008 is 16 in 2024 (under 18): 2005 would make them 19.
    assert anonymised_birth_year(2008, {2024}) == 2008
    # 1962 is 62 in 2024, 55+ in every later year as "1960" too.
    assert anonymised_birth_year(1962, {2024, 2025}) == 1960
    # 1970 is 54 in 2024 (45-54), 55 in 2025: the exact year is needed.
    assert anonymised_birth_year(1970, {2024}) == 1970
    assert anonymised_birth_year(None, {2024}) is None


def test_people_without_activity_for_the_retention_period_are_listed(
    client, login_as, admin, settings
):
    settings.PERSONAL_DATA_RETENTION_YEARS = 3
    everyone = Participant.objects.all()
    Participant.objects.update(created_at=datetime(2020, 1, 1, tzinfo=UTC))
    # The demo events are in 2024: within three years in 2026, all past it by December 2028.
    assert not people_due_for_review(everyone, today=date(2026, 11, 25)).exists()
    due = people_due_for_review(everyone, today=date(2028, 12, 1))
    assert due.count() == Participant.objects.filter(is_anonymised=False).count()
    login_as(admin)
    page = client.get("/privacy/retention/")
    assert page.status_code == 200


def test_retention_review_command_lists_ids_not_names(demo, settings):
    from io import StringIO

    from django.core.management import call_command

    settings.PERSONAL_DATA_RETENTION_YEARS = 0
    Participant.objects.update(created_at=datetime(2020, 1, 1, tzinfo=UTC))
    out = StringIO()
    call_command("retention_review", stdout=out)
    text = out.getvalue()
    person = Participant.objects.order_by("pk").first()
    assert f"#{person.pk}\t" in text
    assert person.full_name not in text
