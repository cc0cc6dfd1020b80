"""A coordinator sees their own region's events and people only: on the home page, on detail
pages and in the Django admin."""

import pytest
from django.contrib.auth.models import Permission

from accounts.models import Role
from accounts.scope import scope_for
from participants.models import Participant
from participants.selectors import people_visible
from trainings.models import TrainingEvent
from trainings.selectors import events_visible

from .factories import UserFactory, coordinator

pytestmark = pytest.mark.django_db


def test_mangystau_coordinator_sees_only_mangystau_events(demo):
    user = coordinator("KZ-47")
    visible = events_visible(scope_for(user))
    assert visible.exists()
    assert set(visible.values_list("region__code", flat=True)) == {"KZ-47"}


def test_coordinator_sees_people_of_their_region_only(demo):
    user = coordinator("KZ-47")
    people = people_visible(scope_for(user))
    assert people.exists()
    assert not people.filter(region__code="KZ-43").exists()
    # The Mangystau youth who went to the Almaty camp are still theirs; Kyzylorda's are not.
    assert people.filter(category__code="neet").count() == 52


def test_home_page_shows_coordinators_region_and_its_counts(client, login_as, demo):
    login_as(coordinator("KZ-47"))
    page = client.get("/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Mangystau Region" in html
    assert "Kyzylorda Region" not in html
    mangystau_events = TrainingEvent.objects.filter(region__code="KZ-47").count()
    assert page.context["events_total"] == mangystau_events
    assert "(Aktau)" in html and "(Kyzylorda)" not in html


def test_coordinator_gets_404_for_another_regions_event_and_person(client, login_as, demo):
    login_as(coordinator("KZ-43"))
    mangystau_event = TrainingEvent.objects.filter(region__code="KZ-47").first()
    mangystau_person = Participant.objects.filter(region__code="KZ-47").first()
    assert client.get(mangystau_event.get_absolute_url()).status_code == 404
    assert client.get(mangystau_person.get_absolute_url()).status_code == 404
    own = TrainingEvent.objects.filter(region__code="KZ-43").first()
    assert client.get(own.get_absolute_url()).status_code == 200


def test_viewer_sees_counts_but_no_people(client, login_as, demo):
    viewer = UserFactory(role=Role.VIEWER)
    assert not people_visible(scope_for(viewer)).exists()
    login_as(viewer)
    page = client.get("/")
    assert page.context["people_reached"] > 0
    assert page.context["people_registered"] is None
    person = Participant.objects.first()
    assert client.get(person.get_absolute_url()).status_code == 404


def test_coordinator_with_admin_access_sees_only_their_region_in_the_admin(client, login_as, demo):
    user = coordinator("KZ-47", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(codename__in=["view_trainingevent", "view_participant"])
    )
    login_as(user)
    events = client.get("/admin/trainings/trainingevent/")
    assert events.status_code == 200
    shown = list(events.context["cl"].result_list)
    assert shown and {e.region.code for e in shown} == {"KZ-47"}
    people = client.get("/admin/participants/participant/?all=")
    assert {p.region.code for p in people.context["cl"].queryset} <= {"KZ-47"}
    other = TrainingEvent.objects.filter(region__code="KZ-43").first()
    response = client.get(f"/admin/trainings/trainingevent/{other.pk}/change/")
    assert response.status_code == 302  # admin redirects to the index: "does not exist"


def test_anonymous_user_is_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
