"""Merging two districts moves their events and people in one transaction and changes no count
in the reports (issue 10)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import User
from accounts.scope import Scope, scope_for
from manage import selectors, services
from participants.aggregates import people_reached
from participants.forms import PersonForm
from participants.models import Participant
from regions import selectors as regions_selectors
from regions.models import District, Region
from trainings.models import TrainingEvent

pytestmark = pytest.mark.django_db


def _report_counts() -> dict:
    """What the reports count, per region and in total."""
    counts = {"people_all": people_reached(Scope(region_ids=None))}
    for region in Region.objects.all():
        scope = Scope(region_ids=frozenset({region.pk}))
        counts[f"people {region.code}"] = people_reached(scope)
        counts[f"events {region.code}"] = TrainingEvent.objects.filter(region=region).count()
        counts[f"registered {region.code}"] = Participant.objects.filter(region=region).count()
    counts["events_all"] = TrainingEvent.objects.count()
    counts["people_registered"] = Participant.objects.count()
    return counts


def test_merging_through_the_pages_moves_everything_and_keeps_every_count(admin_client):
    aktau = District.objects.get(name_en="Aktau")
    target = District.objects.get(name_en="Munaily District")
    moved_events = set(TrainingEvent.objects.filter(district=aktau).values_list("pk", flat=True))
    moved_people = set(Participant.objects.filter(district=aktau).values_list("pk", flat=True))
    assert moved_events and moved_people
    before = _report_counts()
    overview = {r.code: r for r in selectors.region_overview()}["KZ-47"]
    by_district = {d.pk: (d.n_events, d.n_people) for d in overview.district_list}

    url = reverse("manage:district_merge", args=[aktau.pk])
    assert admin_client.get(url).status_code == 200
    # Step 1: choose the target; a confirmation with the counts comes back, nothing moves yet.
    confirm = admin_client.post(url, {"target": target.pk})
    assert confirm.status_code == 200 and confirm.context["confirm"]
    assert "cannot be undone" in confirm.content.decode()
    assert TrainingEvent.objects.filter(district=aktau).count() == len(moved_events)
    # Step 2: confirm.
    done = admin_client.post(url, {"target": target.pk, "confirm": "yes"}, follow=True)
    assert any("merged into" in str(m) for m in done.context["messages"])

    assert not District.objects.filter(pk=aktau.pk).exists()
    assert (
        set(TrainingEvent.objects.filter(district=target).values_list("pk", flat=True))
        >= moved_events
    )
    assert set(Participant.objects.filter(district=target).values_list("pk", flat=True)) >= (
        moved_people
    )
    assert _report_counts() == before
    after = {r.code: r for r in selectors.region_overview()}["KZ-47"]
    assert after.n_events == overview.n_events and after.n_people == overview.n_people
    merged = {d.pk: (d.n_events, d.n_people) for d in after.district_list}[target.pk]
    assert merged[0] == by_district[aktau.pk][0] + by_district[target.pk][0]
    # Audited: each moved event and person has a history record by the admin with the reason.
    event = TrainingEvent.objects.get(pk=next(iter(moved_events)))
    record = event.history.first()
    assert record.district_id == target.pk
    assert record.history_user.username == "admin"
    assert "merged into" in record.history_change_reason
    person = Participant.objects.get(pk=next(iter(moved_people)))
    assert person.history.first().district_id == target.pk
    deleted = District.history.filter(id=aktau.pk, history_type="-").get()
    assert deleted.history_user.username == "admin"


def test_merge_is_all_or_nothing(demo, monkeypatch):
    """If anything fails midway, no event or person has moved."""
    aktau = District.objects.get(name_en="Aktau")
    target = District.objects.get(name_en="Zhanaozen")
    n_events = TrainingEvent.objects.filter(district=aktau).count()
    n_people = Participant.objects.filter(district=aktau).count()

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(services, "set_active", boom)
    monkeypatch.setattr(services, "references", lambda obj: [("x", 1)])
    with pytest.raises(RuntimeError):
        services.merge_districts(source=aktau, target=target)
    assert TrainingEvent.objects.filter(district=aktau).count() == n_events
    assert Participant.objects.filter(district=aktau).count() == n_people
    assert District.objects.filter(pk=aktau.pk, is_active=True).exists()


def test_districts_merge_only_within_their_region(admin_client):
    aktau = District.objects.get(name_en="Aktau")
    kyzylorda_city = District.objects.get(name_en="Kyzylorda")
    with pytest.raises(ValidationError, match="same region"):
        services.merge_districts(source=aktau, target=kyzylorda_city)
    with pytest.raises(ValidationError, match="into itself"):
        services.merge_districts(source=aktau, target=aktau)
    # The page does not offer another region's districts, and refuses one posted anyway.
    url = reverse("manage:district_merge", args=[aktau.pk])
    offered = admin_client.get(url).context["form"].fields["target"].queryset
    assert kyzylorda_city not in offered and aktau not in offered
    response = admin_client.post(url, {"target": kyzylorda_city.pk, "confirm": "yes"})
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert TrainingEvent.objects.filter(district=aktau).exists()


def test_a_district_with_events_is_deactivated_not_deleted(admin_client):
    beyneu = District.objects.get(name_en="Beyneu District")
    response = admin_client.post(reverse("manage:district_delete", args=[beyneu.pk]), follow=True)
    assert any("cannot be deleted" in str(m) for m in response.context["messages"])
    assert District.objects.filter(pk=beyneu.pk).exists()
    admin_client.post(reverse("manage:district_deactivate", args=[beyneu.pk]))
    beyneu.refresh_from_db()
    assert not beyneu.is_active
    assert TrainingEvent.objects.filter(district=beyneu).exists()  # events keep it
    scope = scope_for(User.objects.get(username="coord.mangystau"))
    assert beyneu not in regions_selectors.active_districts()
    assert beyneu not in PersonForm(scope=scope).fields["district"].queryset


def test_renaming_a_district_keeps_its_events(admin_client):
    beyneu = District.objects.get(name_en="Beyneu District")
    n = TrainingEvent.objects.filter(district=beyneu).count()
    response = admin_client.post(
        reverse("manage:district_edit", args=[beyneu.pk]),
        {
            "region": beyneu.region_id,
            "kind": "district",
            "name_kk": "Бейнеу ауданы",
            "name_ru": "Бейнеуский район",
            "name_en": "Beineu District",
        },
    )
    assert response.status_code == 302
    beyneu.refresh_from_db()
    assert beyneu.name_en == "Beineu District"
    assert TrainingEvent.objects.filter(district=beyneu).count() == n


def test_a_duplicate_district_name_is_refused_with_a_message(admin_client):
    beyneu = District.objects.get(name_en="Beyneu District")
    before = District.objects.count()
    response = admin_client.post(
        reverse("manage:district_create"),
        {
            "region": beyneu.region_id,
            "kind": "district",
            "name_kk": "x",
            "name_ru": "x",
            "name_en": "Beyneu District",
        },
    )
    assert response.status_code == 200
    assert "already exists" in response.content.decode()
    assert District.objects.count() == before
