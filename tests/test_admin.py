"""The Django admin: every model registered, changelists with data in a fixed number of queries."""

import pytest
from django.apps import apps
from django.contrib import admin

from accounts.models import Role

from .factories import UserFactory

pytestmark = pytest.mark.django_db

PROJECT_APPS = {"accounts", "regions", "trainings", "participants", "reports", "api"}


def project_models():
    return [
        m
        for m in apps.get_models()
        if m._meta.app_label in PROJECT_APPS and not m.__name__.startswith("Historical")
    ]


def test_every_model_is_in_the_admin():
    missing = [m.__name__ for m in project_models() if not admin.site.is_registered(m)]
    assert missing == []


@pytest.fixture
def admin_client_with_demo(login_as, demo):
    return login_as(UserFactory(role=Role.ADMIN, is_staff=True, is_superuser=True))


@pytest.mark.parametrize("model", project_models(), ids=lambda m: m._meta.label)
def test_changelist_shows_data_within_a_query_budget(
    admin_client_with_demo, model, django_assert_max_num_queries
):
    url = f"/admin/{model._meta.app_label}/{model._meta.model_name}/"
    # Budget: session, user, count(s), page, related rows; no query per row (pages show 100).
    with django_assert_max_num_queries(12):
        response = admin_client_with_demo.get(url)
    assert response.status_code == 200


def test_participant_search_finds_by_name(admin_client_with_demo):
    from participants.models import Participant

    person = Participant.objects.first()
    response = admin_client_with_demo.get(
        "/admin/participants/participant/", {"q": person.full_name}
    )
    assert person in response.context["cl"].result_list
