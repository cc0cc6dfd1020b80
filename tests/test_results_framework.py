"""Programme staff keep the results framework (indicators, rules, targets) and the narratives;
everyone else reads them. What they enter is what the next report computes and shows."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from regions.models import Region
from reports.builder import build_report_data
from reports.models import Indicator, IndicatorTarget, Narrative
from trainings.models import Programme

pytestmark = pytest.mark.django_db


def indicator_post(programme: Programme, **overrides) -> dict:
    data = {
        "programme": programme.pk,
        "code": "op9",
        "name": "Women police officers trained",
        "level": "output",
        "unit": "people",
        "baseline": "0",
        "lop_target": "120",
        "higher_is_better": "on",
        "rule": "people_trained",
        "disaggregations": ["sex", "region"],
        "categories": [],
        "category_group": "police",
        "event_types": [],
        "regions": [],
        "partner_types": [],
        "description": "",
        "order": "50",
        "targets-TOTAL_FORMS": "2",
        "targets-INITIAL_FORMS": "0",
        "targets-MIN_NUM_FORMS": "0",
        "targets-MAX_NUM_FORMS": "1000",
        "targets-0-period": "2024q3",
        "targets-0-period_start": "",
        "targets-0-period_end": "",
        "targets-0-value": "25",
        "targets-1-period": "2024",
        "targets-1-period_start": "",
        "targets-1-period_end": "",
        "targets-1-value": "50",
    }
    data.update(overrides)
    return data


@pytest.fixture
def programme(demo) -> Programme:
    return Programme.objects.get(code="PVE-KZ-JP")


def test_staff_add_an_indicator_with_targets_and_the_report_computes_it(
    client, login_as, programme
):
    login_as("undp.staff")
    response = client.post(reverse("reports:indicator_create"), indicator_post(programme))
    indicator = Indicator.objects.get(programme=programme, code="OP9")
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:indicator_detail", args=[indicator.pk])
    assert indicator.rule_params == {"category_group": "police"}
    assert indicator.disaggregations == ["sex", "region"]
    targets = {t.period: (t.period_start, t.period_end, t.value) for t in indicator.targets.all()}
    assert targets["2024Q3"][:2] == (date(2024, 7, 1), date(2024, 9, 30))
    assert targets["2024"][:2] == (date(2024, 1, 1), date(2024, 12, 31))
    page = client.get(reverse("reports:indicator_detail", args=[indicator.pk]))
    assert "Unique people trained" in page.content.decode()
    data = build_report_data(
        start=date(2024, 7, 1),
        end=date(2024, 9, 30),
        region_ids=None,
        language="en",
        period_label="2024Q3",
    )
    row = next(i for i in data.indicators if i["code"] == "OP9")
    police = next(i for i in data.indicators if i["code"] == "OP2")
    # OP9 counts police reached; the demo's OP2 police who completed an EI training, and it
    # shows those reached next to them.
    assert row["actual"] == police["reached"] and row["target"] == 25
    assert row["method"] == "unique" and row["lop"]["target"] == 120
    assert row["reached"] is None
    assert set(row["disaggregations"]) == {"sex", "region"}


def test_form_explains_what_is_wrong_and_keeps_the_input(client, login_as, programme):
    login_as("undp.staff")
    response = client.post(
        reverse("reports:indicator_create"),
        indicator_post(
            programme,
            unit="percent",
            disaggregations=["partner_type"],
            **{"targets-0-period": "summer", "targets-1-period": "2024"},
        ),
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "gives a value in people" in html
    assert "cannot be broken down by" in html
    assert "Write a quarter (2024Q3) or a year (2024)" in html
    assert 'value="Women police officers trained"' in html
    assert not Indicator.objects.filter(code="OP9").exists()


def test_code_is_unique_in_a_programme_and_targets_once_per_period(client, login_as, programme):
    login_as("undp.staff")
    response = client.post(
        reverse("reports:indicator_create"), indicator_post(programme, code="OP1")
    )
    assert "already exists" in response.content.decode()
    response = client.post(
        reverse("reports:indicator_create"),
        indicator_post(programme, **{"targets-1-period": "2024Q3"}),
    )
    html = response.content.decode()
    assert "Please correct the duplicate data for period" in html
    assert not Indicator.objects.filter(code="OP9").exists()


def test_editing_changes_targets_and_deleting_asks_first(client, login_as, programme):
    login_as("admin")
    indicator = Indicator.objects.get(programme=programme, code="OP4")
    targets = list(indicator.targets.order_by("period_start"))
    form = indicator_post(
        programme,
        code="OP4",
        name=indicator.name,
        unit="events",
        rule="events_held",
        disaggregations=["region"],
        category_group="",
        **{
            "targets-TOTAL_FORMS": "2",
            "targets-INITIAL_FORMS": "2",
            "targets-0-id": str(targets[0].pk),
            "targets-0-indicator": str(indicator.pk),
            "targets-0-period": targets[0].period,
            "targets-0-value": "12",
            "targets-1-id": str(targets[1].pk),
            "targets-1-indicator": str(indicator.pk),
            "targets-1-period": targets[1].period,
            "targets-1-value": "5",
            "targets-1-DELETE": "on",
        },
    )
    response = client.post(reverse("reports:indicator_edit", args=[indicator.pk]), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert list(indicator.targets.values_list("period", "value")) == [("2024", 12)]
    confirm = client.get(reverse("reports:indicator_delete", args=[indicator.pk]))
    assert "Delete indicator OP4?" in confirm.content.decode()
    assert Indicator.objects.filter(pk=indicator.pk).exists()
    client.post(reverse("reports:indicator_delete", args=[indicator.pk]))
    assert not Indicator.objects.filter(pk=indicator.pk).exists()
    assert not IndicatorTarget.objects.filter(indicator_id=indicator.pk).exists()


@pytest.mark.parametrize("username", ["coord.mangystau", "viewer"])
def test_others_read_the_framework_but_cannot_edit_it(client, login_as, programme, username):
    login_as(username)
    indicator = Indicator.objects.filter(programme=programme).first()
    listing = client.get(reverse("reports:indicator_list"))
    assert listing.status_code == 200
    assert indicator.name in listing.content.decode()
    assert reverse("reports:indicator_create") not in listing.content.decode()
    assert client.get(reverse("reports:indicator_create")).status_code == 403
    assert client.post(reverse("reports:indicator_edit", args=[indicator.pk])).status_code == 403
    assert client.post(reverse("reports:narrative_create")).status_code == 403


def test_indicator_list_queries_do_not_grow_with_rows(
    client, login_as, programme, django_assert_max_num_queries
):
    login_as("undp.staff")
    for n in range(30):
        Indicator.objects.create(
            programme=programme,
            code=f"X{n}",
            name=f"Extra {n}",
            level="output",
            unit="events",
            rule="events_held",
        )
    with django_assert_max_num_queries(12):
        response = client.get(reverse("reports:indicator_list"), {"sort": "code"})
    assert response.status_code == 200
    assert "Page 1 of 2" in response.content.decode()
    found = client.get(reverse("reports:indicator_list"), {"q": "Extra 2"})
    assert "Extra 29" in found.content.decode() and "Extra 5<" not in found.content.decode()


def test_staff_write_a_narrative_and_the_report_includes_it(client, login_as, programme):
    login_as("undp.staff")
    form = {
        "programme": programme.pk,
        "period_label": "2024q3",
        "period_start": "",
        "period_end": "",
        "region": "",
        "highlights": "Five trainings held in August.",
        "challenges": "",
        "lessons": "Recruit NEET youth through YRCs.",
        "next_steps": "",
    }
    response = client.post(reverse("reports:narrative_create"), form)
    assert response.status_code == 302
    narrative = Narrative.objects.get(programme=programme, period_label="2024Q3")
    assert (narrative.period_start, narrative.period_end) == (date(2024, 7, 1), date(2024, 9, 30))
    assert narrative.updated_by.username == "undp.staff"
    again = client.post(reverse("reports:narrative_create"), form)
    assert "There is already a narrative for 2024Q3" in again.content.decode()
    empty = client.post(
        reverse("reports:narrative_create"),
        form | {"highlights": "", "lessons": "", "region": Region.objects.get(code="KZ-47").pk},
    )
    assert "Write at least one of the four sections." in empty.content.decode()
    data = build_report_data(
        start=date(2024, 7, 1),
        end=date(2024, 9, 30),
        region_ids=None,
        language="en",
        period_label="2024Q3",
    )
    assert data.narratives[0]["lessons"] == "Recruit NEET youth through YRCs."
    edit = client.post(
        reverse("reports:narrative_edit", args=[narrative.pk]),
        form | {"challenges": "Heat in August."},
    )
    assert edit.status_code == 302
    narrative.refresh_from_db()
    assert narrative.challenges == "Heat in August."


def test_coordinators_see_programme_wide_and_own_region_narratives(client, login_as, programme):
    q3 = {"period_start": date(2024, 7, 1), "period_end": date(2024, 9, 30)}
    for code, text in (("KZ-47", "Mangystau note"), ("KZ-43", "Kyzylorda note")):
        Narrative.objects.create(
            programme=programme,
            period_label="2024Q3",
            region=Region.objects.get(code=code),
            highlights=text,
            **q3,
        )
    Narrative.objects.create(
        programme=programme, period_label="2024Q3", highlights="Everywhere note", **q3
    )
    login_as("coord.kyzylorda")
    html = client.get(reverse("reports:narrative_list")).content.decode()
    assert "Kyzylorda note" in html and "Everywhere note" in html
    assert "Mangystau note" not in html
