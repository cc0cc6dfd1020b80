"""Issue 17 (4): narratives in the quarterly close. A coordinator writes their region's
narrative from the region-quarter page until the quarter is approved; programme staff write
the explanation of variance of an indicator, which the report shows beside it; the report
build page says which texts a report of the quarter would go out without."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from accounts.models import User
from accounts.scope import scope_for
from closing.services import approve_quarter, submit_quarter
from core import periods
from participants.services import enrol, record_attendance
from regions.models import Region
from reports.builder import build_report_data
from reports.framework import missing_texts
from reports.models import Indicator, IndicatorComment, IndicatorTarget, Narrative
from reports.renderers import docx, pdf
from reports.renderers.tables import report_tables

from .factories import EventFactory, ParticipantFactory, SessionFactory

pytestmark = pytest.mark.django_db

Q3 = periods.parse("2024Q3")


def text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def coord() -> User:
    return User.objects.get(username="coord.mangystau")


@pytest.fixture
def staff() -> User:
    return User.objects.get(username="undp.staff")


@pytest.fixture
def mangystau() -> Region:
    return Region.objects.get(code="KZ-47")


@pytest.fixture
def event(mangystau, coord):
    """A held event of a programme of its own in Mangystau ending in 2024 Q3 (its quarter has
    only warnings, so it can be submitted)."""
    event = EventFactory(region=mangystau, title="Aktau youth workers training")
    session = SessionFactory(event=event, date=event.start_date, title="Day 1")
    enrolment = enrol(person=ParticipantFactory(region=mangystau), event=event)
    record_attendance(enrolment=enrolment, session=session, by=coord)
    return event


def narrative_url(event) -> str:
    return reverse("closing:region_narrative", args=[event.programme_id, "2024Q3", event.region_id])


def quarter_url(event) -> str:
    return reverse("closing:region_quarter", args=[event.programme_id, "2024Q3", event.region_id])


TEXTS = {
    "highlights": "Forty youth workers trained in Aktau",
    "challenges": "Roads closed in August",
    "lessons": "Book halls early",
    "next_steps": "Second cohort in October",
}


def test_coordinator_writes_the_regions_narrative_until_the_quarter_is_approved(
    client, login_as, event, coord, staff, mangystau
):
    login_as(coord)
    page = text(client.get(quarter_url(event)))
    assert "Not written yet" in page and narrative_url(event) in page

    response = client.post(narrative_url(event), TEXTS, follow=True)
    assert "narrative is saved" in text(response)
    narrative = Narrative.objects.get(programme=event.programme, region=mangystau)
    assert narrative.period_label == "2024Q3"
    assert (narrative.period_start, narrative.period_end) == (Q3.start, Q3.end)
    assert narrative.updated_by == coord
    assert "Forty youth workers trained in Aktau" in text(client.get(quarter_url(event)))

    # The fixed fields cannot be moved to another region or quarter by a crafted POST.
    other = Region.objects.exclude(pk=mangystau.pk).first()
    client.post(narrative_url(event), {**TEXTS, "region": other.pk, "period_label": "2024Q4"})
    narrative.refresh_from_db()
    assert (narrative.region, narrative.period_label) == (mangystau, "2024Q3")

    # The region's report shows it.
    data = build_report_data(
        start=Q3.start,
        end=Q3.end,
        region_ids=[mangystau.pk],
        language="en",
        period_label="2024Q3",
        programme=event.programme,
    )
    assert data.narratives[0]["highlights"] == TEXTS["highlights"]

    # Submitted, the coordinator can still correct it; approved, it is locked for them.
    keys = {"programme": event.programme, "region": mangystau, "period": Q3}
    submit_quarter(scope=scope_for(coord), **keys, by=coord, confirm_warnings=True)
    client.post(narrative_url(event), {**TEXTS, "lessons": "Book halls a month early"})
    narrative.refresh_from_db()
    assert narrative.lessons == "Book halls a month early"
    approve_quarter(scope=scope_for(staff), **keys, by=staff)
    assert "Edit the narrative" not in text(client.get(quarter_url(event)))
    response = client.post(narrative_url(event), {**TEXTS, "lessons": "changed"}, follow=True)
    assert "narrative is locked" in text(response)
    narrative.refresh_from_db()
    assert narrative.lessons == "Book halls a month early"

    # Programme staff still may.
    login_as(staff)
    client.post(narrative_url(event), {**TEXTS, "lessons": "Corrected by staff"})
    narrative.refresh_from_db()
    assert (narrative.lessons, narrative.updated_by) == ("Corrected by staff", staff)


def test_coordinator_cannot_write_another_regions_narrative(client, login_as, coord):
    other = EventFactory(region=Region.objects.exclude(coordinators=coord).first())
    login_as(coord)
    assert client.get(narrative_url(other)).status_code == 404
    assert client.post(narrative_url(other), TEXTS).status_code == 404
    assert not Narrative.objects.filter(programme=other.programme).exists()


def test_a_viewer_cannot_write_a_regions_narrative(client, login_as, event):
    login_as(User.objects.filter(role="viewer").first())
    response = client.post(narrative_url(event), TEXTS, follow=True)
    assert "may not write" in text(response)
    assert not Narrative.objects.filter(programme=event.programme).exists()


@pytest.fixture
def off_track(event) -> Indicator:
    """An indicator of the event's programme far below its 2024 Q3 target (red)."""
    indicator = Indicator.objects.create(
        programme=event.programme,
        code="OUT-9",
        name="Youth workers trained",
        level=Indicator.Level.OUTPUT,
        unit=Indicator.Unit.EVENTS,
        rule="events_held",
    )
    IndicatorTarget.objects.create(
        indicator=indicator, period="2024Q3", period_start=Q3.start, period_end=Q3.end, value=50
    )
    return indicator


def test_staff_explain_an_off_track_indicator_and_the_report_shows_it(
    client, login_as, staff, event, off_track
):
    login_as(staff)
    detail = reverse("reports:indicator_detail", args=[off_track.pk])
    page = text(client.get(detail + "?period=2024Q3"))
    assert "Explanations of variance" in page and 'value="2024Q3"' in page
    back = reverse("reports:run_new")
    response = client.post(
        reverse("reports:indicator_comment", args=[off_track.pk]),
        {"period_label": "2024q3", "text": "Two trainings moved to October.", "next": back},
    )
    assert response.url == back
    comment = IndicatorComment.objects.get(indicator=off_track)
    assert (comment.period_label, comment.updated_by) == ("2024Q3", staff)
    assert "Two trainings moved to October." in text(client.get(detail))

    data = build_report_data(
        start=Q3.start,
        end=Q3.end,
        language="en",
        period_label="2024Q3",
        programme=event.programme,
    )
    row = next(r for r in data.indicators if r["code"] == "OUT-9")
    assert row["status"] == "red" and row["comment"] == "Two trainings moved to October."
    table = next(t for t in report_tables(data) if t.key == "indicators")
    assert table.header[-1] == "Explanation of variance"
    assert table.rows[0][-1] == "Two trainings moved to October."
    assert pdf.render(data)[:4] == b"%PDF"
    assert docx.render(data)[:2] == b"PK"

    # An empty text removes it.
    client.post(
        reverse("reports:indicator_comment", args=[off_track.pk]),
        {"period_label": "2024Q3", "text": ""},
    )
    assert not IndicatorComment.objects.filter(indicator=off_track).exists()


def test_coordinators_cannot_write_indicator_comments(client, login_as, coord, off_track):
    login_as(coord)
    response = client.post(
        reverse("reports:indicator_comment", args=[off_track.pk]),
        {"period_label": "2024Q3", "text": "x"},
    )
    assert response.status_code == 403
    assert not IndicatorComment.objects.exists()


def test_build_page_warns_of_missing_narratives_and_explanations(
    client, login_as, staff, event, off_track, mangystau, monkeypatch
):
    # The build page reports on the default programme: make it the event's.
    monkeypatch.setattr("reports.services.default_programme", lambda: event.programme)
    login_as(staff)
    url = reverse("reports:run_new") + "?check=2024Q3"
    page = text(client.get(url))
    assert "programme-level narrative for 2024Q3 is not written" in page
    assert f"narrative of {mangystau.name} for 2024Q3 is not written" in page
    assert "OUT-9 is off track in 2024Q3 and has no explanation" in page
    assert quarter_url(event) + "#narrative" in page

    common = {"programme": event.programme, "period_start": Q3.start, "period_end": Q3.end}
    Narrative.objects.create(**common, period_label="2024Q3", highlights="All regions")
    Narrative.objects.create(**common, period_label="2024Q3", region=mangystau, highlights="M")
    IndicatorComment.objects.create(indicator=off_track, period_label="2024Q3", text="Why")
    page = text(client.get(url))
    assert "would go out without" not in page
    assert "are written" in page


def test_coordinator_sees_only_their_regions_missing_texts(coord, event, off_track):
    scope = scope_for(coord)
    texts = [m.text for m in missing_texts(scope, programme=event.programme, period=Q3)]
    assert not any("programme-level" in t for t in texts)
    assert any(event.region.name in t for t in texts)
    assert any("OUT-9" in t for t in texts)
