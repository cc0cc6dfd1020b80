"""The event form offers only active districts and partners, plus the ones an event being
edited already has (so editing an old event does not silently lose them)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from accounts.models import User
from accounts.scope import scope_for
from regions.models import District
from trainings.forms import EventForm

from .factories import EventFactory, PartnerFactory, region

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed():
    """A district of Mangystau and a partner there, both deactivated, next to active ones."""
    district, other = District.objects.filter(region__code="KZ-47").order_by("pk")[:2]
    district.is_active = False
    district.save()
    partner = PartnerFactory(name="Closed youth centre", is_active=False)
    active = PartnerFactory(name="Open youth centre")
    return {"district": district, "active_district": other, "partner": partner, "active": active}


def _form(instance=None, data=None) -> EventForm:
    scope = scope_for(User.objects.get(username="coord.mangystau"))
    return EventForm(data, instance=instance, scope=scope)


def test_a_new_event_offers_only_active_districts_and_partners(closed):
    form = _form()
    districts = set(form.fields["district"].queryset.values_list("pk", flat=True))
    assert closed["active_district"].pk in districts
    assert closed["district"].pk not in districts
    shown = {pk for _group, options in form.fields["district"].choices[1:] for pk, _ in options}
    assert shown == districts  # the grouped <select> shows exactly that queryset
    for name in ("host_partners", "implementing_partners"):
        partners = set(form.fields[name].queryset.values_list("pk", flat=True))
        assert closed["active"].pk in partners and closed["partner"].pk not in partners, name


def test_editing_keeps_the_events_own_inactive_district_and_partner(closed):
    event = EventFactory(region=region("KZ-47"), district=closed["district"])
    event.host_partners.set([closed["partner"]])
    form = _form(instance=event)
    districts = set(form.fields["district"].queryset.values_list("pk", flat=True))
    assert closed["district"].pk in districts
    inactive = set(
        District.objects.filter(region__code="KZ-47", is_active=False).values_list("pk", flat=True)
    )
    assert districts & inactive == {closed["district"].pk}
    hosts = set(form.fields["host_partners"].queryset.values_list("pk", flat=True))
    implementers = set(form.fields["implementing_partners"].queryset.values_list("pk", flat=True))
    assert closed["partner"].pk in hosts  # already chosen there
    assert closed["partner"].pk not in implementers  # not chosen there: not offered


def test_an_inactive_district_or_partner_is_refused_on_a_new_event(client, login_as, closed):
    login_as("coord.mangystau")
    page = client.get(reverse("trainings:event_create")).content.decode()
    assert "Open youth centre" in page and "Closed youth centre" not in page
    district_select = re.search(r'<select name="district".*?</select>', page, re.S).group(0)
    assert f'value="{closed["active_district"].pk}"' in district_select
    assert f'value="{closed["district"].pk}"' not in district_select
    form = _form(
        data={
            "title": "Media literacy",
            "event_type": "training",
            "start_date": "2024-10-01",
            "end_date": "2024-10-02",
            "region": region("KZ-47").pk,
            "district": closed["district"].pk,
            "host_partners": [closed["partner"].pk],
            "modality": "in_person",
        }
    )
    assert not form.is_valid()
    assert "district" in form.errors and "host_partners" in form.errors
