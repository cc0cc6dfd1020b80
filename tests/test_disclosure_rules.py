"""Disclosure control that holds (issue 16): the issue's examples of a "<5" worked out by
subtraction are no longer possible, events, sessions and partners are never withheld, a quote
needs a group of at least 5 people, and the CSV leaves withheld cells empty with a marker."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest

from accounts.models import User
from accounts.scope import Scope
from participants.models import ParticipantCategory
from regions.models import Region
from reports import disclosure
from reports.builder import build_report_data, quote_groups
from reports.disclosure_audit import feasible_ranges
from reports.renderers import render
from trainings.models import Programme, TrainingEvent

from .factories import ParticipantFactory, attend_with_feedback
from .test_report_formats import csv_files

Q3 = {"start": date(2024, 7, 1), "end": date(2024, 9, 30)}


def protected(counts: dict, total: int, *, complementary: bool = True):
    """One breakdown through disclosure control: what it shows and what a reader can work
    out of each "<5" (its feasible range)."""
    tables = disclosure.LinkedCounts(complementary=complementary)
    cells = tables.breakdown("sex", counts, total)
    tables.protect()
    shown = {key: tables.shown(cell) for key, cell in cells.items()}
    small = [cell.id for cell in cells.values() if shown[cell.id[-1]] == "<5"]
    ranges = feasible_ranges(tables.system(), small)
    return shown, {cell_id[-1]: ranges[cell_id] for cell_id in small}


def test_a_lone_small_cell_is_not_the_total_less_the_others():
    # "Police: extremism unit": total 12, men 10, women "<5" gave women = 2.
    shown, ranges = protected({"F": 2, "M": 10}, 12, complementary=False)
    assert shown == {"F": "<5", "M": 10} and ranges == {"F": (2, 2)}
    shown, ranges = protected({"F": 2, "M": 10}, 12)
    assert shown == {"F": "<5", "M": "x"} and ranges == {"F": (1, 4)}
    # "Police: gender-based violence unit": total 10, men 6 gave women = 4.
    shown, ranges = protected({"F": 4, "M": 6}, 10)
    assert shown == {"F": "<5", "M": "x"} and ranges == {"F": (1, 4)}


def test_an_age_band_or_a_region_is_not_the_total_less_the_others():
    bands = {"<18": 24, "18-24": 2, "25-34": 35, "35-44": 47, "45-54": 16}
    shown, ranges = protected(bands, 124, complementary=False)
    assert ranges == {"18-24": (2, 2)}
    shown, ranges = protected(bands, 124)
    # The next smallest band goes with it; the others stay.
    assert shown == bands | {"18-24": "<5", "45-54": "x"} and ranges == {"18-24": (1, 4)}
    # A single suppressed region in a national total.
    regions = {"KZ-43": 102, "KZ-47": 3, "KZ-55": 40}
    assert protected(regions, 145, complementary=False)[1] == {"KZ-47": (3, 3)}
    shown, ranges = protected(regions, 145)
    assert shown == {"KZ-43": 102, "KZ-47": "<5", "KZ-55": "x"} and ranges == {"KZ-47": (1, 4)}


def test_two_small_cells_of_a_small_total_are_not_pinned():
    # Two "<5" with a total of 8 are both 4: such a breakdown is withheld whole.
    assert protected({"F": 4, "M": 4}, 8, complementary=False)[1] == {"F": (4, 4), "M": (4, 4)}
    assert protected({"F": 4, "M": 4}, 8)[0] == {"F": "x", "M": "x"}
    # A "<5" next to a 5 would be the total less at least 5: withheld whole too.
    assert protected({"F": 1, "M": 5}, 6)[0] == {"F": "x", "M": "x"}
    # Two "<5" that can each still be anything from 1 to 4 stay as they are.
    assert protected({"F": 2, "M": 3, "X": 0}, 5) == (
        {"F": "<5", "M": "<5", "X": 0},
        {
            "F": (1, 4),
            "M": (1, 4),
        },
    )


def test_linked_tables_are_withheld_alike():
    """Category by sex: a cell withheld in a row is withheld in its column too, and the same
    breakdown published twice (an indicator of everyone and the people section) shows the
    same cells."""
    tables = disclosure.LinkedCounts()
    total = 60
    by_sex = tables.breakdown("sex", {"F": 22, "M": 38}, total)
    by_category = tables.breakdown("category", {"a": 12, "b": 20, "c": 28}, total)
    again = tables.breakdown("sex", {"F": 22, "M": 38}, total)
    cross = {"a": (2, 10), "b": (10, 10), "c": (10, 18)}
    cells = {}
    for code, (women, men) in cross.items():
        cells[code] = (
            tables.count(("x", code, "F"), women),
            tables.count(("x", code, "M"), men),
        )
        tables.adds_up(by_category[code], list(cells[code]))
    tables.adds_up(by_sex["F"], [cells[c][0] for c in cross])
    tables.adds_up(by_sex["M"], [cells[c][1] for c in cross])
    tables.protect()
    shown = {c: tuple(tables.shown(cell) for cell in pair) for c, pair in cells.items()}
    assert shown["a"] == ("<5", "x")
    # Column F has the "<5" and one more withheld cell, row b or c has two.
    assert sum(s[0] == "x" for s in shown.values()) >= 1
    assert again == by_sex
    small = [cells["a"][0].id]
    assert feasible_ranges(tables.system(), small) == {cells["a"][0].id: (1, 4)}


def test_a_rate_is_hidden_with_its_count():
    tables = disclosure.LinkedCounts()
    lines = tables.breakdown("activity_line", {"1.1": 3, "1.2": 7, "2.1": 30}, 40)
    rates = [tables.rate(55.0, lines[key]) for key in ("1.1", "1.2", "2.1")]
    tables.protect()
    assert tables.resolve(rates) == ["<5", "x", 55.0]


@pytest.mark.django_db
def test_events_sessions_and_partners_are_never_withheld(demo):
    mangystau = Region.objects.get(code="KZ-47")
    data = build_report_data(region_ids=[mangystau.pk], language="en", period_label="2024Q3", **Q3)
    activity = [i for i in data.indicators if i["unit"] in ("events", "sessions", "organisations")]
    assert "events_held" in {i["rule"] for i in activity}
    values = [
        row["value"] for i in activity for rows in i["disaggregations"].values() for row in rows
    ]
    assert values and all(isinstance(v, int) for v in values)
    assert any(1 <= v <= 4 for v in values)  # small, and shown
    codes = {i["code"] for i in activity}
    for row in data.iptt["rows"]:
        if row["code"] in codes:
            for group in row["disaggregations"]:
                assert not any(disclosure.is_withheld(v) for v in group["cells"])
    assert all(isinstance(e["days"], int) for e in data.events)


def test_a_quote_needs_a_group_of_at_least_five():
    ok = {"consent_to_quote": True, "quote_status": "approved"}
    rows = [
        {"text": "Small group", "group": ("theologian", "KZ-47", "training"), **ok},
        {"text": "Large group", "group": ("neet", "KZ-47", "camp"), **ok},
    ]
    sizes = {("theologian", "KZ-47", "training"): 4, ("neet", "KZ-47", "camp"): 5}
    quotes = disclosure.quotable(rows, group_sizes=sizes, redact_names=list)
    assert [q["text"] for q in quotes] == ["Large group"]
    assert "group" not in quotes[0]


@pytest.mark.django_db
def test_a_report_leaves_out_a_quote_from_a_group_of_fewer_than_five(demo):
    programme = Programme.objects.filter(is_active=True).order_by("code").first()
    basis = {"programme": programme.pk}
    groups = quote_groups(Scope.for_regions(None), Q3["start"], Q3["end"], basis)
    assert sum(groups.values()) > 100
    event = TrainingEvent.objects.get(
        title__startswith="Emotional intelligence for police officers (Aktau)"
    )
    large = event.enrolments.first().participant.category
    key = (large.code, event.region.code, event.event_type)
    assert groups[key] >= 5
    # The one NEET young person at this police training: a group of 1.
    small = ParticipantCategory.objects.get(code="neet")
    assert groups.get((small.code, event.region.code, event.event_type), 0) == 0
    staff = User.objects.get(username="undp.staff")
    for category, text in ((small, "Quote from a small group."), (large, "From a large one.")):
        person = ParticipantFactory(region=event.region, category=category)
        attend_with_feedback(person, event, comments=text, consent_to_quote=True, approved_by=staff)
    data = build_report_data(language="en", period_label="2024Q3", **Q3)
    texts = [q["text"] for q in data.quotes]
    assert "From a large one." in texts
    assert "Quote from a small group." not in texts


@pytest.mark.django_db
def test_the_csv_leaves_withheld_cells_empty_and_names_them(demo):
    data = build_report_data(language="en", period_label="2024Q3", **Q3)
    files = csv_files(render(data, "csv").content)
    name = next(k for k in files if k.endswith("-people_category_by_sex.csv"))
    rows = list(csv.reader(io.StringIO(files[name])))
    assert rows[0] == ["Category", "Women", "Men", "Total", "Withheld (fewer than 5)"]
    by_key = {r["label"]: r for r in data.people["category_by_sex"]}
    marked = 0
    for line in rows[1:]:
        expected = by_key[line[0]]
        names = []
        for column, key in ((1, "F"), (2, "M"), (3, "total")):
            if disclosure.is_withheld(expected[key]):
                assert line[column] == ""
                x = expected[key] == "x"
                names.append(f"{rows[0][column]} (x)" if x else rows[0][column])
            else:
                assert line[column] == str(expected[key])
        assert line[4] == "; ".join(names)
        marked += bool(names)
    assert marked >= 2
    assert not any(v in ("<5", "x") for line in rows for v in line)
    assert "is an empty cell here" in files["README.txt"]
