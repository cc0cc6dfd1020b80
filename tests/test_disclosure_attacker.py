"""The attacker (reports/disclosure_audit.py) recovers no "<5" from a published report: on the
demo data for every region scope, and on synthetic data at several sizes and scopes. Without
complementary suppression it does recover cells (the issue's examples), so it is not
toothless."""

from __future__ import annotations

import json
from datetime import date

import pytest

from demo import synthetic
from regions.models import Region
from reports import disclosure
from reports.builder import build_report_data
from reports.disclosure_audit import attack, read_report
from trainings.models import TrainingEvent

pytestmark = pytest.mark.django_db
Q3 = {"start": date(2024, 7, 1), "end": date(2024, 9, 30)}


def published(region_ids=None, **kw) -> dict:
    """A report as a reader gets it: its JSON."""
    kw = {"period_label": "2024Q3", **Q3, **kw}
    data = build_report_data(region_ids=region_ids, language="en", **kw)
    return json.loads(json.dumps(data.to_json()))


def demo_scopes() -> list:
    return [None] + [
        [pk]
        for pk in Region.objects.filter(events__isnull=False)
        .distinct()
        .values_list("pk", flat=True)
    ]


def row(report: dict, category: str) -> dict:
    return next(r for r in report["people"]["category_by_sex"] if r["key"] == category)


def test_the_attacker_recovers_nothing_from_the_demo_reports(demo):
    withheld = 0
    for region_ids in demo_scopes():
        report = published(region_ids)
        withheld += len(read_report(report).small)
        assert attack(report) == {}, region_ids
    assert withheld >= 10  # the reports do have small cells to protect


def test_the_issues_examples_are_recovered_without_complementary_suppression(demo, monkeypatch):
    monkeypatch.setattr(disclosure, "COMPLEMENTARY", False)
    national = published()
    found = attack(national)
    # "Police: extremism unit": total 12, men 10, women "<5": women = 2; GBV unit: women = 4.
    assert row(national, "police-extremism")["M"] == 10
    assert found[("people", "category_by_sex", "police-extremism", "F")] == (2, 2)
    assert found[("people", "category_by_sex", "police-gbv", "F")] == (4, 4)
    # An age band from the other bands and the total.
    assert any(key[-2] == "age_band" and lo == hi for key, (lo, hi) in found.items())
    # A region-scoped report: two "<5" of a total of 7 are 3 and 4 (total 8: both 4, see
    # tests/test_disclosure_rules.py).
    mangystau = published([Region.objects.get(code="KZ-47").pk])
    assert row(mangystau, "theologian") | {"label": ""} == {
        "key": "theologian",
        "label": "",
        "F": "<5",
        "M": "<5",
        "total": 7,
    }
    found = attack(mangystau)
    assert found[("people", "category_by_sex", "theologian", "F")] == (3, 4)
    assert found[("people", "category_by_sex", "theologian", "M")] == (3, 4)


def test_with_it_the_same_cells_show_only_that_they_are_small(demo):
    national = published()
    for category in ("police-extremism", "police-gbv"):
        assert row(national, category)["F"] == "<5"
        assert row(national, category)["M"] == "x"  # withheld so that women stay "<5"
    assert attack(national) == {}


@pytest.mark.parametrize(
    "size", [{"participants": 250, "events": 12}, {"participants": 900, "events": 40}]
)
def test_the_attacker_recovers_nothing_from_synthetic_reports(size):
    synthetic.generate(seed=11, progress=None, **size)
    events = TrainingEvent.objects.filter(programme__code=synthetic.PROGRAMME_CODE)
    region = events.values_list("region_id", flat=True).order_by("region_id").first()
    withheld = 0
    for start, end, label in (
        (date(2026, 1, 1), date(2026, 6, 30), "2026H1"),
        (date(2026, 7, 1), date(2026, 12, 31), "2026H2"),
    ):
        for region_ids in (None, [region]):
            report = published(
                region_ids,
                programme=synthetic.PROGRAMME_CODE,
                start=start,
                end=end,
                period_label=label,
            )
            withheld += len(read_report(report).small)
            assert attack(report) == {}, (label, region_ids)
    assert withheld >= 5
