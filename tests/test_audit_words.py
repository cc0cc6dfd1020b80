"""The audit log reads as sentences an administrator understands: who created, changed or
deleted which record by its name, each changed field by its name with the old and new value in
words (choices by label, related records by name, Yes/No, dates as the language writes them), in
the user's language; a person's contacts only as "changed"; no login noise (logins are on the
security log); filters by user, kind of record, dates and text; a bounded number of queries."""

from __future__ import annotations

import html
import importlib
import re
from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.models import Role, SecurityEvent, User
from regions.models import District
from trainings.models import TrainingEvent
from trainings.services import update_event

from .browser_fixtures import assert_accessible, login
from .factories import EventFactory, ParticipantFactory, UserFactory, region

pytestmark = pytest.mark.django_db

AUDIT = reverse("accounts:audit_log")


def page_text(client, params=None, language="en") -> str:
    """The page as a sighted reader sees it: text without tags, one space between words."""
    response = client.get(AUDIT, params or {}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    body = response.content.decode()
    body = re.sub(r'<span class="visually-hidden">.*?</span>', "", body)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split()).replace(" :", ":")


@pytest.fixture
def editor() -> User:
    return UserFactory(
        username="a.seitkali", first_name="Aigerim", last_name="Seitkali", role=Role.STAFF
    )


@pytest.fixture
def changed_event(editor) -> TrainingEvent:
    """An Aktau training whose dates, district, status and feedback switch an editor changed."""
    event = EventFactory(
        title="Training for akimat staff, Aktau",
        start_date=date(2025, 3, 12),
        end_date=date(2025, 3, 15),
        venue="Akimat hall",
    )
    district = District.objects.filter(region=region("KZ-47")).order_by("name_en").first()
    event._history_user = editor
    update_event(
        event=event,
        start_date=date(2025, 3, 14),
        venue="Yessenov University",
        district=district,
        status=TrainingEvent.Status.HELD,
        feedback_open=False,
    )
    event.district = district
    return event


def test_a_change_to_an_event_reads_as_a_sentence_with_names_and_values(
    admin_client, changed_event
):
    text = page_text(admin_client, {"model": "trainings.trainingevent"})
    assert "Aigerim Seitkali changed the training event «Training for akimat staff, Aktau»:" in text
    assert "Start date: 12/03/2025 → 14/03/2025" in text
    assert "Venue: Akimat hall → Yessenov University" in text
    assert f"District or city: — → {changed_event.district.name_en}" in text
    assert "Status: Planned → Held" in text  # the choice's label, not "planned"
    assert "Feedback form open: Yes → No" in text
    assert "Updated" not in text  # not kept in the history, so never a "change"
    assert "#" + str(changed_event.district_id) not in text
    # The event's name links to its page, and its own history is one click away.
    response = admin_client.get(AUDIT, {"model": "trainings.trainingevent"})
    assert f'href="{changed_event.get_absolute_url()}"' in response.content.decode()


def test_related_records_are_named_not_numbered(admin_client, editor):
    coordinator = UserFactory(username="coord.new", role=Role.COORDINATOR)
    coordinator._history_user = editor
    coordinator.regions.set([region("KZ-43")])
    text = page_text(admin_client, {"model": "accounts.user", "q": "coord.new"})
    assert "Aigerim Seitkali changed the user «coord.new»:" in text
    assert "Regions: — → Kyzylorda" in text
    assert "User #" not in text


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_kazakh_and_russian_pages_tell_the_change_in_their_language(
    admin_client, changed_event, language
):
    text = page_text(admin_client, {"model": "trainings.trainingevent"}, language=language)
    with translation.override(language):
        start_date = gettext("start date")
        status = gettext("status")
        held, planned = gettext("Held"), gettext("Planned")
        sentence = gettext("%(who)s changed the %(kind)s %(object)s") % {
            "who": "Aigerim Seitkali",
            "kind": gettext("training event"),
            "object": gettext("«%(name)s»") % {"name": "Training for akimat staff, Aktau"},
        }
        district = changed_event.district.name
    assert start_date != "start date" and held != "Held"  # the catalogue has them
    assert sentence in text
    assert f"{start_date[0].upper()}{start_date[1:]}: 12.03.2025 → 14.03.2025" in text
    assert f"{status[0].upper()}{status[1:]}: {planned} → {held}" in text
    assert district in text and district != changed_event.district.name_en
    # django-simple-history's own English words are never shown.
    for english in ("Changed", "Created", "Deleted", "Start date", "Planned → Held"):
        assert english not in text, english


def test_logins_are_left_out_of_the_audit_log_and_kept_on_the_security_log(client, login_as):
    viewer = User.objects.get(username="viewer")
    entries_before = viewer.history.filter(history_type="~").count()
    for _ in range(3):
        client.post("/login/", {"username": "viewer", "password": "demo-pass-123"})
        client.post("/logout/")
    client.post("/login/", {"username": "viewer", "password": "wrong"})
    assert SecurityEvent.objects.filter(username="viewer").count() == 7
    login_as("admin")
    # A login saves the user's last login: no "changed the user «viewer»" with nothing changed.
    text = page_text(client, {"model": "accounts.user", "object_id": viewer.pk})
    assert text.count("changed the user «viewer»") == entries_before
    assert "Logged in" not in text and "Failed login" not in text
    text = page_text(client, {"user": viewer.pk})
    assert "Logged in" not in text and "Logged out" not in text
    # Asked for, they are there; and the security log shows them.
    text = page_text(client, {"user": viewer.pk, "logins": "on"})
    assert text.count("Logged in") == 3 and text.count("Logged out") == 3
    security = html.unescape(client.get(reverse("accounts:security_log")).content.decode())
    assert "Logged in" in security and "Failed login" in security


def test_a_persons_contacts_are_said_to_have_changed_without_their_values(admin_client):
    person = ParticipantFactory(full_name="Асель Омарова", phone="+7 701 111 2233")
    person.phone = "+7 701 999 8877"
    person.email = "asel@example.kz"
    person.position = "Youth worker"
    person.save()
    text = page_text(admin_client, {"model": "participants.participant", "object_id": person.pk})
    assert "changed the participant «Асель Омарова»:" in text
    assert "Phone: changed (personal data, not shown)" in text
    assert "Email: changed (personal data, not shown)" in text
    assert "Position: — → Youth worker" in text
    for secret in ("111 2233", "999 8877", "asel@example.kz"):
        assert secret not in text
    # A search cannot tell a phone number was ever stored either.
    assert "Асель" not in page_text(admin_client, {"q": "999 8877"})


def test_filters_by_user_kind_of_record_dates_and_text(admin_client, editor, changed_event):
    other = ParticipantFactory(full_name="Ержан Нурланов")
    other.position = "Teacher"
    other._history_user = editor
    other.save()
    by_editor = page_text(admin_client, {"user": editor.pk})
    assert "«Training for akimat staff, Aktau»" in by_editor and "«Ержан Нурланов»" in by_editor
    events_only = page_text(admin_client, {"user": editor.pk, "model": "trainings.trainingevent"})
    assert "«Training for akimat staff, Aktau»" in events_only
    assert "Ержан" not in events_only
    found = page_text(admin_client, {"q": "Yessenov"})
    assert "«Training for akimat staff, Aktau»" in found and "Ержан" not in found
    today = timezone.localdate(changed_event.history.first().history_date)
    assert "Yessenov" in page_text(admin_client, {"date_from": today, "q": "Aktau"})
    assert "No changes match." in page_text(admin_client, {"date_to": date(2000, 1, 1)})


def test_newest_first_and_paginated(admin_client, editor):
    event = EventFactory(title="Camp at SDU")
    for n in range(30):
        event._history_user = editor
        update_event(event=event, venue=f"Hall {n}")
    text = page_text(admin_client, {"model": "trainings.trainingevent", "q": "Camp at SDU"})
    assert text.index("Hall 28 → Hall 29") < text.index("Hall 27 → Hall 28")
    assert "Page 1 of 2" in text and "Hall 3 → Hall 4" not in text
    second = page_text(
        admin_client, {"model": "trainings.trainingevent", "q": "Camp at SDU", "page": 2}
    )
    assert "Hall 3 → Hall 4" in second and "created the training event «Camp at SDU»" in second


def test_deleted_records_are_named_and_not_linked(admin_client, editor):
    event = EventFactory(title="Cancelled workshop")
    url = event.get_absolute_url()
    event._history_user = editor
    event.delete()
    text = page_text(admin_client, {"q": "Cancelled workshop"})
    assert "Aigerim Seitkali deleted the training event «Cancelled workshop»" in text
    response = admin_client.get(AUDIT, {"q": "Cancelled workshop"})
    assert f'href="{url}"' not in response.content.decode()


def test_query_count_does_not_grow_with_the_entries_on_the_page(
    admin_client, editor, django_assert_max_num_queries
):
    def one_event_changed(n: int) -> None:
        event = EventFactory(title=f"Scale test {n}", region=region("KZ-43"))
        event._history_user = UserFactory(first_name=f"Editor{n}", last_name="Test")
        update_event(event=event, venue=f"Venue {n}", district=kyzylorda_district)

    kyzylorda_district = District.objects.filter(region=region("KZ-43")).first()

    one_event_changed(0)
    params = {"model": "trainings.trainingevent", "q": "Scale test"}
    with django_assert_max_num_queries(16) as few:
        assert "Venue 0" in page_text(admin_client, params)
    for n in range(1, 12):
        one_event_changed(n)
    with django_assert_max_num_queries(len(few)) as many:
        text = page_text(admin_client, params)
    assert "Editor11 Test changed the training event «Scale test 11»" in text
    assert text.count("→ Venue") == 12 and len(many) == len(few)
    # Every kind of record at once: one count for all, then a page query per kind on the page.
    with django_assert_max_num_queries(60):
        page_text(admin_client)


@pytest.mark.parametrize("username", ["undp.staff", "coord.mangystau", "viewer"])
def test_only_administrators_read_the_audit_log(client, login_as, username):
    login_as(username)
    assert client.get(AUDIT).status_code == 403
    assert client.get(reverse("accounts:security_log")).status_code == 403


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_the_audit_log_reads_on_a_phone_and_filters_by_kind_of_record(phone, changed_event):
    """At 360 px: no sideways scrolling, every field labelled (axe), and a filter narrows it."""
    login(phone, "admin")
    phone.goto(phone.base + AUDIT)
    assert_accessible(phone)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    phone.get_by_label("Kind of record").select_option("trainings.trainingevent")
    phone.get_by_label("Word or name").fill("Yessenov")
    with phone.expect_navigation():
        phone.get_by_role("button", name="Filter").click()
    entries = [" ".join(t.split()) for t in phone.locator("main ol > li").all_inner_texts()]
    assert entries and all("the training event «" in entry for entry in entries)
    assert "Venue: Akimat hall → becomes Yessenov University" in entries[0]  # with the hidden word
    assert_accessible(phone)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360


def test_old_login_noise_is_removed_and_real_changes_kept():
    """The migration that removes the rows every login left before: only rows equal to the
    user's previous row go (regions compared too)."""
    from django.apps import apps

    migration = importlib.import_module("accounts.migrations.0007_user_history_without_login_noise")
    account = UserFactory(username="noisy", role=Role.VIEWER)
    account.save()  # what a login did: a row equal to the one before
    account.save()
    account.role = Role.STAFF
    account.save()
    account.save()
    account.regions.set([region("KZ-43")])  # a change of regions only: kept
    before = list(account.history.order_by("history_date").values_list("history_type", "role"))
    migration.drop_unchanged_rows(apps, None)
    after = list(account.history.order_by("history_date").values_list("history_type", "role"))
    assert len(before) > len(after)
    assert after == [("+", "viewer"), ("~", "staff"), ("~", "staff")]


def test_a_name_with_markup_is_shown_as_text_in_the_sentence():
    """A record or user name that holds HTML is written out, never run, in the log's sentence
    (the sentence is assembled from a translation, a user's name and a record's name)."""
    from types import SimpleNamespace

    from accounts.templatetags.audit_words import audit_sentence

    entry = SimpleNamespace(
        created=False,
        deleted=False,
        object_name='<script>alert("x")</script>',
        url="/events/1/",
        who="<b>Aigerim</b>",
        model_name="training event",
    )
    html_out = str(audit_sentence(entry))
    assert "<script>" not in html_out and "<b>" not in html_out
    assert "&lt;script&gt;" in html_out and "&lt;b&gt;Aigerim&lt;/b&gt;" in html_out
    assert '<a href="/events/1/">' in html_out
