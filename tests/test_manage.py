"""Admins manage regions, partners and the programme's reference data at /manage/ (issue 10)."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook

from accounts.models import User
from accounts.scope import scope_for
from participants.forms import PersonForm
from participants.models import Participant, ParticipantCategory
from regions.models import District, PartnerOrganisation, Region
from trainings.forms import EventForm
from trainings.models import Facilitator, Topic, TrainingEvent

from .factories import PartnerFactory

pytestmark = pytest.mark.django_db


def _messages(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# Who may come in ----------------------------------------------------------------------------
@pytest.mark.parametrize("username", ["coord.kyzylorda", "coord.mangystau", "undp.staff", "viewer"])
@pytest.mark.parametrize(
    "url",
    [
        "/manage/",
        "/manage/regions/",
        "/manage/partners/",
        "/manage/categories/new/",
        "/manage/partners/?export=csv",
    ],
)
def test_only_admins_reach_the_management_pages(client, login_as, demo, username, url):
    login_as(username)
    assert client.get(url).status_code == 403


def test_a_coordinator_cannot_add_a_category_by_posting(client, login_as, demo):
    login_as("coord.kyzylorda")
    before = ParticipantCategory.objects.count()
    response = client.post(
        reverse("manage:category_create"),
        {"name_kk": "x", "name_ru": "x", "name_en": "School psychologists", "order": 5},
    )
    assert response.status_code == 403
    assert ParticipantCategory.objects.count() == before


def test_admin_sees_the_manage_link_and_the_index_links_users(admin_client):
    home = admin_client.get("/").content.decode()
    assert reverse("manage:index") in home
    index = admin_client.get(reverse("manage:index")).content.decode()
    assert reverse("accounts:user_list") in index
    assert reverse("manage:partner_list") in index
    assert reverse("manage:category_list") in index


def test_coordinators_do_not_see_the_manage_link(client, login_as, demo):
    login_as("coord.mangystau")
    assert reverse("manage:index") not in client.get("/").content.decode()


def test_users_page_shows_role_regions_last_login_and_active(admin_client):
    body = admin_client.get(reverse("accounts:user_list")).content.decode()
    for text in (
        "coord.kyzylorda",
        "Regional coordinator",
        "Kyzylorda Region",
        "Last login",
        "Active",
    ):
        assert text in body


# Done when ----------------------------------------------------------------------------------
def test_admin_adds_partner_district_and_category_and_a_coordinator_picks_them(
    client, login_as, demo
):
    kyzylorda = Region.objects.get(code="KZ-43")
    login_as("admin")
    response = client.post(
        reverse("manage:partner_create"),
        {
            "name": "Kyzylorda Youth Initiative",
            "type": "ngo",
            "region": kyzylorda.pk,
            "address": "Kyzylorda, Abai 12",
            "contact_person": "Aigerim S.",
            "contact_role": "Director",
            "mou_start": "2024-01-10",
            "mou_end": "2025-12-31",
            "notes": "Works with NEET youth",
        },
    )
    assert response.status_code == 302  # to the new partner's page
    assert (
        response.url
        == PartnerOrganisation.objects.get(name="Kyzylorda Youth Initiative").get_absolute_url()
    )
    response = client.post(
        reverse("manage:district_create"),
        {
            "region": kyzylorda.pk,
            "kind": "district",
            "name_kk": "Жаңа аудан",
            "name_ru": "Новый район",
            "name_en": "New District",
        },
    )
    assert response.status_code == 302
    assert response.url == kyzylorda.get_absolute_url()  # back to the region's page
    response = client.post(
        reverse("manage:category_create"),
        {
            "name_kk": "Мектеп психологтары",
            "name_ru": "Школьные психологи",
            "name_en": "School psychologists",
            "group": "",
            "order": 75,
        },
        follow=True,
    )
    assert "School psychologists saved." in _messages(response)
    ngo = PartnerOrganisation.objects.get(name="Kyzylorda Youth Initiative")
    district = District.objects.get(name_en="New District", region=kyzylorda)
    category = ParticipantCategory.objects.get(name_en="School psychologists")
    assert category.code == "school-psychologists" and category.is_active

    coordinator = User.objects.get(username="coord.kyzylorda")
    scope = scope_for(coordinator)
    event_form = EventForm(scope=scope)
    assert ngo in event_form.fields["host_partners"].queryset
    assert ngo in event_form.fields["implementing_partners"].queryset
    assert district in event_form.fields["district"].queryset
    person_form = PersonForm(scope=scope)
    assert category in person_form.fields["category"].queryset
    assert district in person_form.fields["district"].queryset
    assert ngo in person_form.fields["organisation"].queryset
    # ...and the pages the coordinator opens offer them.
    login_as("coord.kyzylorda")
    page = client.get(reverse("trainings:event_create")).content.decode()
    assert "Kyzylorda Youth Initiative" in page and "New District" in page


def test_deactivated_items_are_no_longer_offered_but_stay_on_records(admin_client):
    category = ParticipantCategory.objects.get(code="theologian")
    topic = Topic.objects.filter(events__isnull=False).first()
    facilitator = Facilitator.objects.filter(events__isnull=False).first()
    for key, obj in (("category", category), ("topic", topic), ("facilitator", facilitator)):
        confirm = admin_client.get(reverse(f"manage:{key}_deactivate", args=[obj.pk]))
        assert confirm.status_code == 200  # a confirmation page first
        admin_client.post(reverse(f"manage:{key}_deactivate", args=[obj.pk]))
        obj.refresh_from_db()
        assert not obj.is_active
    scope = scope_for(User.objects.get(username="coord.mangystau"))
    assert category not in PersonForm(scope=scope).fields["category"].queryset
    event_form = EventForm(scope=scope)
    assert topic not in event_form.fields["topics"].queryset
    assert facilitator not in event_form.fields["facilitators"].queryset
    assert category.participants.exists()  # people keep their category
    # Reactivating offers it again.
    admin_client.post(reverse("manage:category_deactivate", args=[category.pk]))
    category.refresh_from_db()
    assert category.is_active and category in PersonForm(scope=scope).fields["category"].queryset


# Protected deletes --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "key, lookup",
    [
        ("category", lambda: ParticipantCategory.objects.get(code="neet")),
        ("district", lambda: District.objects.get(name_en="Aktau")),
        ("partner", lambda: PartnerOrganisation.objects.get(short_name="SDU")),
        ("topic", lambda: Topic.objects.filter(events__isnull=False).first()),
        ("facilitator", lambda: Facilitator.objects.filter(events__isnull=False).first()),
        ("programme", lambda: TrainingEvent.objects.first().programme),
    ],
)
def test_deleting_something_in_use_is_refused_and_changes_nothing(admin_client, key, lookup):
    obj = lookup()
    model = type(obj)
    links = sorted(TrainingEvent.objects.filter(topics__isnull=False).values_list("pk", "topics"))
    before = model.objects.count()
    page = admin_client.get(reverse(f"manage:{key}_delete", args=[obj.pk])).content.decode()
    assert "cannot be deleted because it is in use" in page
    assert "Deactivate instead" in page
    response = admin_client.post(reverse(f"manage:{key}_delete", args=[obj.pk]), follow=True)
    [message] = _messages(response)
    assert "cannot be deleted because it is in use" in message and "Deactivate it" in message
    assert model.objects.count() == before
    obj.refresh_from_db()
    assert obj.is_active
    # A topic or facilitator on events stays on them (M2M links are not silently dropped).
    assert (
        sorted(TrainingEvent.objects.filter(topics__isnull=False).values_list("pk", "topics"))
        == links
    )


def test_something_unused_can_be_deleted(admin_client):
    topic = Topic.objects.create(name="Unused topic")
    response = admin_client.post(reverse("manage:topic_delete", args=[topic.pk]), follow=True)
    assert "Unused topic deleted." in _messages(response)
    assert not Topic.objects.filter(pk=topic.pk).exists()
    # ...and the deletion is in the audit trail, by the admin.
    record = Topic.history.filter(id=topic.pk, history_type="-").get()
    assert record.history_user.username == "admin"


# Lists: search, filters, sorting, empty states, query counts, exports ----------------------
def test_partner_directory_search_filters_and_sorting(admin_client):
    url = reverse("manage:partner_list")
    body = admin_client.get(url, {"q": "kyzylorda"}).content.decode()
    assert "Youth Resource Center of Kyzylorda" in body
    assert "Youth Resource Center of Mangystau" not in body
    body = admin_client.get(url, {"type": "police"}).content.decode()
    assert "Police Department of Kyzylorda Region" in body and "SDU" not in body
    region = Region.objects.get(code="KZ-47")
    response = admin_client.get(url, {"region": region.pk, "sort": "-name"})
    names = [row["obj"].name for row in response.context["rows"]]
    assert names == sorted(names, reverse=True) and names
    assert all(row["obj"].region_id == region.pk for row in response.context["rows"])
    empty = admin_client.get(url, {"q": "no such partner anywhere"}).content.decode()
    assert "Nothing matches this search." in empty


def test_partner_page_lists_events_and_people_it_sent(admin_client):
    police = PartnerOrganisation.objects.get(name="Police Department of Kyzylorda Region")
    response = admin_client.get(police.get_absolute_url())
    body = response.content.decode()
    hosted = TrainingEvent.objects.filter(host_partners=police) | TrainingEvent.objects.filter(
        implementing_partners=police
    )
    assert hosted.exists()
    for event in hosted:
        assert event.title in body
    person = Participant.objects.filter(organisation=police).first()
    assert person.full_name in body
    assert response.context["people"].paginator.count == police.people.count()


def test_a_partner_form_error_keeps_what_was_typed(admin_client):
    before = PartnerOrganisation.objects.count()
    response = admin_client.post(
        reverse("manage:partner_create"),
        {
            "name": "Typed NGO name",
            "type": "ngo",
            "mou_start": "2025-01-01",
            "mou_end": "2024-01-01",
        },
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "The agreement cannot end before it starts." in body
    assert 'value="Typed NGO name"' in body
    assert PartnerOrganisation.objects.count() == before


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _more_rows():
    PartnerFactory.create_batch(30)
    kyzylorda = Region.objects.get(code="KZ-43")
    for i in range(30):
        District.objects.create(
            region=kyzylorda, name_kk=f"a{i}", name_ru=f"r{i}", name_en=f"Extra {i}"
        )
        Topic.objects.create(name=f"Extra topic {i}")
        Facilitator.objects.create(name=f"Extra facilitator {i}")
        ParticipantCategory.objects.create(
            code=f"extra-{i}", name_kk="k", name_ru="r", name_en=f"Extra {i}"
        )


@pytest.mark.parametrize(
    "name",
    [
        "manage:region_list",
        "manage:district_list",
        "manage:partner_list",
        "manage:programme_list",
        "manage:activityline_list",
        "manage:category_list",
        "manage:topic_list",
        "manage:facilitator_list",
    ],
)
def test_list_pages_use_a_constant_number_of_queries(
    admin_client, django_assert_max_num_queries, name
):
    url = reverse(name)
    few = _queries(admin_client, url)
    _more_rows()
    with django_assert_max_num_queries(few):
        admin_client.get(url)
    assert few <= 20


def test_region_page_shows_district_and_people_counts(admin_client):
    response = admin_client.get(reverse("manage:region_list"))
    regions = {r.code: r for r in response.context["regions"]}
    assert len(regions) == 20
    from participants.aggregates import people_reached

    for code in ("KZ-47", "KZ-43", "KZ-75"):
        region = regions[code]
        scope = scope_for(User.objects.get(username="admin"))
        limited = type(scope)(region_ids=frozenset({region.pk}))
        assert region.n_people == people_reached(limited) > 0
        assert region.n_events == TrainingEvent.objects.filter(region=region).count()
    assert "Beyneu District" in response.content.decode()


def test_reference_lists_count_what_refers_to_each_row(demo, monkeypatch):
    """The numbers the districts, partners, programmes, activity lines and categories pages
    show: each row's events and people, as counting them one by one gives."""
    from manage import selectors
    from participants import summaries

    def plain(model, **lookup):
        return model.objects.filter(**lookup).count()

    for row in selectors.districts_with_counts():
        assert row.n_events == plain(TrainingEvent, district=row)
        assert row.n_people == plain(Participant, district=row)
    assert any(row.n_people for row in selectors.districts_with_counts())
    for row in selectors.partners_with_counts():
        assert row.n_people == plain(Participant, organisation=row)
        hosted_or_implemented = TrainingEvent.objects.filter(
            pk__in=TrainingEvent.objects.filter(host_partners=row).values("pk")
        ) | TrainingEvent.objects.filter(implementing_partners=row)
        assert row.n_events == hosted_or_implemented.distinct().count()
    assert any(row.n_people for row in selectors.partners_with_counts())
    for row in selectors.programmes_with_counts():
        assert row.n_events == plain(TrainingEvent, programme=row)
    assert any(row.n_events for row in selectors.programmes_with_counts())
    for row in selectors.activity_lines_with_counts():
        assert row.n_events == plain(TrainingEvent, activity_line=row)
    monkeypatch.setattr(summaries, "has_pending", lambda: True)  # counted from the records
    monkeypatch.setattr(selectors, "has_pending", lambda: True)
    for row in selectors.categories_with_counts():
        assert row.n_people == plain(Participant, category=row)
    assert any(row.n_people for row in selectors.categories_with_counts())


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize(
    "name",
    [
        "manage:region_list",
        "manage:district_list",
        "manage:partner_list",
        "manage:programme_list",
        "manage:activityline_list",
        "manage:category_list",
        "manage:topic_list",
        "manage:facilitator_list",
    ],
)
def test_every_list_exports(admin_client, name, fmt):
    response = admin_client.get(reverse(name), {"export": fmt})
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    if fmt == "csv":
        assert response["Content-Type"].startswith("text/csv")
        assert len(body.decode("utf-8-sig").strip().splitlines()) > 1
    else:
        rows = list(load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True))
        assert len(rows) > 1


def test_export_keeps_the_filters_and_neutralises_formulas(admin_client):
    PartnerFactory(name='=HYPERLINK("http://evil")', type="ngo")
    response = admin_client.get(reverse("manage:partner_list"), {"type": "ngo", "export": "csv"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "'=HYPERLINK" in text
    assert "Police Department" not in text  # the type filter applies to the export
    response = admin_client.get(reverse("manage:partner_list"), {"type": "ngo", "export": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    names = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert names == ['\'=HYPERLINK("http://evil")']


def test_partner_page_exports_its_events_and_people(admin_client):
    police = PartnerOrganisation.objects.get(name="Police Department of Kyzylorda Region")
    response = admin_client.get(police.get_absolute_url(), {"export": "csv", "list": "people"})
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert len(text.strip().splitlines()) == police.people.count() + 1


# Regions: names in three languages, audited -------------------------------------------------
def test_region_names_edited_show_in_each_language(admin_client):
    region = Region.objects.get(code="KZ-43")
    response = admin_client.post(
        reverse("manage:region_edit", args=[region.pk]),
        {
            "name_kk": "Қызылорда облысы (жаңа)",
            "name_ru": "Кызылординская область (новая)",
            "name_en": "Kyzylorda Region (new)",
            "kato": region.kato,
            "kind": region.kind,
        },
    )
    assert response.status_code == 302
    region.refresh_from_db()
    expected = {
        "kk": "Қызылорда облысы (жаңа)",
        "ru": "Кызылординская область (новая)",
        "en": "Kyzylorda Region (new)",
    }
    for lang, name in expected.items():
        with translation.override(lang):
            assert region.name == name
        admin_client.cookies[settings.LANGUAGE_COOKIE_NAME] = lang
        body = admin_client.get(reverse("manage:region_list")).content.decode()
        assert name in body
        others = [n for other, n in expected.items() if other != lang]
        assert not any(f">{n}</a>" in body for n in others)
    latest = region.history.first()
    assert latest.history_user.username == "admin"
    assert latest.name_en == "Kyzylorda Region (new)"


def test_every_managed_model_keeps_a_history():
    from trainings.models import ActivityLine, Programme

    for model in (
        Region,
        District,
        PartnerOrganisation,
        Programme,
        ActivityLine,
        ParticipantCategory,
        Topic,
        Facilitator,
    ):
        assert hasattr(model, "history"), model


def test_a_partner_edit_is_audited_with_the_admin(admin_client):
    partner = PartnerOrganisation.objects.get(short_name="SDU")
    data = {
        "name": partner.name,
        "short_name": "SDU",
        "type": partner.type,
        "region": partner.region_id,
        "address": "Almaty, Abylai Khan 1/1",
        "contact_person": "Career centre",
        "contact_role": "Head",
        "mou_start": "",
        "mou_end": "",
        "notes": "",
    }
    assert (
        admin_client.post(reverse("manage:partner_edit", args=[partner.pk]), data).status_code
        == 302
    )
    record = partner.history.first()
    assert record.address == "Almaty, Abylai Khan 1/1"
    assert record.history_user.username == "admin"
    audit = admin_client.get(
        reverse("accounts:audit_log"),
        {"model": "regions.partnerorganisation", "object_id": partner.pk},
    )
    assert audit.status_code == 200


def test_partner_page_uses_a_constant_number_of_queries(
    admin_client, django_assert_max_num_queries
):
    from .factories import EventFactory, ParticipantFactory

    partner = PartnerFactory(region=Region.objects.get(code="KZ-43"))
    EventFactory(region=partner.region).implementing_partners.add(partner)
    ParticipantFactory(region=partner.region, organisation=partner)
    url = partner.get_absolute_url()
    few = _queries(admin_client, url)
    for _ in range(29):
        EventFactory(region=partner.region).host_partners.add(partner)
        ParticipantFactory(region=partner.region, organisation=partner)
    with django_assert_max_num_queries(few):
        body = admin_client.get(url).content.decode()
    assert "30 events hosted or implemented" in body and "30 people sent" in body


def test_a_category_code_is_made_from_the_english_name_and_must_be_unique(admin_client):
    data = {"name_kk": "Жастар", "name_ru": "Молодёжь", "name_en": "NEET", "order": 1}
    before = ParticipantCategory.objects.count()
    response = admin_client.post(reverse("manage:category_create"), data)
    assert response.status_code == 200  # "neet" exists already
    assert "Participant category with this Code already exists." in response.content.decode()
    assert ParticipantCategory.objects.count() == before


def test_live_search_answers_htmx_and_plain_requests_alike(admin_client):
    url = reverse("manage:topic_list")
    plain = admin_client.get(url, {"q": "literacy"}).content.decode()
    htmx = admin_client.get(url, {"q": "literacy"}, HTTP_HX_REQUEST="true").content.decode()
    for body in (plain, htmx):
        assert 'id="manage-results"' in body
        assert "Media literacy" in body and "Criminal profiling" not in body
