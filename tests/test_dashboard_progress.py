"""The dashboard's "are we on track?": each indicator against its targets, the trend by quarter,
the regions side by side and the tile map, counted as the donor report counts them, for the
user's regions only, in a fixed number of queries."""

from __future__ import annotations

import re
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core import periods
from participants.models import Attendance, Enrolment, Feedback, Participant, ParticipantCategory
from regions.models import Region
from reports.builder import build_report_data
from reports.models import Indicator
from trainings.models import Programme, TrainingEvent

from .factories import EventFactory, SessionFactory, region

pytestmark = pytest.mark.django_db

Q3 = periods.parse("2024Q3")


def _report(period, region_codes=None):
    ids = list(Region.objects.filter(code__in=region_codes or []).values_list("pk", flat=True))
    return build_report_data(
        start=period.start,
        end=period.end,
        region_ids=ids or None,
        language="en",
        period_label=period.key,
    )


def _on_track(client, period="2024Q3", **headers):
    page = client.get("/on-track/", {"period": period}, **headers)
    assert page.status_code == 200
    return page


@pytest.mark.parametrize("username, codes", [("undp.staff", None), ("coord.mangystau", ["KZ-47"])])
def test_indicators_equal_the_report_for_the_same_period_and_scope(login_as, demo, username, codes):
    page = _on_track(login_as(username))
    shown = page.context["on_track"]["indicators"]
    report = _report(Q3, codes)
    assert [i["code"] for i in shown] == [row["code"] for row in report.indicators]
    # Both list every indicator of the programme (one rule: `indicator_progress` and the
    # report's rows read the same indicators in the same order), with a target for the quarter
    # or not: the six with Q3 targets and the follow-up outcomes OC3-OC5, due from Q4 on.
    assert len(shown) == Indicator.objects.filter(programme__code="PVE-KZ-JP").count() == 9
    no_target = {ind["code"] for ind in shown if ind["period"]["target"] is None}
    assert no_target == {"OC3", "OC4", "OC5"}
    for ind, row in zip(shown, report.indicators, strict=True):
        assert ind["period"] == {
            "actual": row["actual"],
            "target": row["target"],
            "percent": row["percent_of_target"],
            "status": row["status"],
        }, ind["code"]
        for span in ("ytd", "lop"):
            assert {k: ind[span][k] for k in ("actual", "target", "percent")} == row[span]
    # The report colours a row; the page says it in words too.
    html = page.content.decode()
    statuses = {ind["period"]["status"] for ind in shown}
    assert statuses - {"grey"}, "the demo's Q3 has targets"
    words = {
        "green": "On track",
        "amber": "Needs attention",
        "red": "Off track",
        "grey": "No target",
    }
    for status in statuses:
        assert f'progress-status-{status}">{words[status]}<' in html


def test_trend_equals_the_report_of_each_quarter(login_as, demo):
    trend = _on_track(login_as("undp.staff"))
    quarters = trend.context["on_track"]["trend"]
    assert [q["key"] for q in quarters] == ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]
    for q in quarters:
        summary = _report(periods.parse(q["key"])).summary
        assert (q["people"], q["events"]) == (summary["people"], summary["events"]), q["key"]
    assert sum(q["events"] for q in quarters) > 0
    html = trend.content.decode()
    table = html[html.index('id="trend-table"') :]
    table = table[: table.index("</table>")]
    assert table.count('<th scope="row">') == 4  # a table equivalent of the chart
    assert html.count('class="column-svg"') == 8


def test_regions_side_by_side_equal_a_report_of_each_region(login_as, demo):
    page = _on_track(login_as("undp.staff"))
    rows = {row["region"].code: row for row in page.context["on_track"]["regions_side_by_side"]}
    assert len(rows) == Region.objects.filter(is_active=True).count()
    busy = [code for code, row in rows.items() if row["events"]]
    assert len(busy) >= 2
    for code in busy:
        report = _report(Q3, [code])
        satisfaction = next(
            i["mean"] for i in report.feedback["items"] if i["key"] == "satisfaction"
        )
        assert rows[code]["people"] == report.summary["people"], code
        assert rows[code]["events"] == report.summary["events"], code
        assert rows[code]["satisfaction"] == satisfaction, code
        assert rows[code]["answers"] == report.feedback["respondents"], code


def test_coordinator_sees_only_their_regions(login_as, demo):
    page = _on_track(login_as("coord.mangystau"))
    ctx = page.context["on_track"]
    assert [row["region"].code for row in ctx["regions_side_by_side"]] == ["KZ-47"]
    shown = {t["region"].code: t for t in ctx["tiles"] if t["in_scope"]}
    assert list(shown) == ["KZ-47"]
    assert all(t["people"] is None for t in ctx["tiles"] if not t["in_scope"])
    mine = _report(Q3, ["KZ-47"]).summary
    assert shown["KZ-47"]["people"] == mine["people"] > 0
    everyone = _report(Q3).summary
    assert sum(q["people"] for q in ctx["trend"] if q["key"] == "2024Q3") == mine["people"]
    assert mine["people"] < everyone["people"]
    html = page.content.decode()
    # Other regions: a tile without a number, no link to their events.
    assert "region=KZ-43" not in html and "region=KZ-47" in html
    kyzylorda = Region.objects.get(code="KZ-43")
    assert kyzylorda.name_en in html  # the tile is drawn...
    assert html.count("not in your regions") >= 19  # ...as outside the user's regions


def test_the_map_has_twenty_labelled_focusable_tiles_and_a_table(login_as, demo):
    page = _on_track(login_as("undp.staff"))
    html = page.content.decode()
    tiles = re.findall(r'<li class="tile tile-c(\d) tile-r(\d) [^"]*" data-code="(KZ-\d\d)">', html)
    assert len(tiles) == 20
    assert {code for _c, _r, code in tiles} == set(Region.objects.values_list("code", flat=True))
    assert {"KZ-10", "KZ-33", "KZ-62"} <= {code for _c, _r, code in tiles}  # the 2022 regions
    assert len({(c, r) for c, r, _code in tiles}) == 20  # one place each
    ul = html[html.index('id="tile-map"') :]
    ul = ul[: ul.index("</ul>")]
    assert ul.count('<a class="tile-inner"') == 20  # every tile a link (all regions in scope)
    assert ul.count("people reached</span>") == 20  # each labelled for screen readers
    table = html[html.index('id="map-table"') :]
    table = table[: table.index("</table>")]
    assert table.count('<th scope="row">') == 20
    assert 'class="legend-swatch shade-' in html
    assert "style=" not in html  # CSP: no inline styles
    # A coordinator's other tiles are still focusable.
    coordinator = _on_track(login_as("coord.mangystau")).content.decode()
    assert coordinator.count('<span class="tile-inner" tabindex="0">') == 19


def test_the_dashboard_loads_it_with_htmx_and_links_to_it_without(client, login_as, demo):
    login_as("undp.staff")
    home = client.get("/", {"period": "2024Q3"}).content.decode()
    assert 'hx-get="/on-track/?period=2024Q3"' in home
    assert '<a href="/on-track/?period=2024Q3">' in home
    fragment = _on_track(client, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and 'id="tile-map"' in fragment
    custom = client.get("/", {"period": "custom", "start": "2024-08-13", "end": "2024-08-15"})
    url = custom.context["on_track_url"]
    assert "start=2024-08-13" in url and "end=2024-08-15" in url
    page = client.get(url)
    assert page.context["period"].start == date(2024, 8, 13)


def test_without_an_active_programme_the_rest_still_shows(login_as, demo):
    Programme.objects.update(is_active=False)
    page = _on_track(login_as("undp.staff"))
    assert page.context["on_track"]["indicators"] == []
    assert "No active programme" in page.content.decode()
    assert len(page.context["on_track"]["tiles"]) == 20


def _queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        _on_track(client)
    return len(ctx.captured_queries)


@pytest.mark.parametrize("username", ["undp.staff", "coord.mangystau", "viewer"])
def test_query_count_does_not_grow_with_data(client, login_as, demo, username):
    login_as(username)
    small = _queries(client)
    programme = Programme.objects.get(is_active=True)
    cat = ParticipantCategory.objects.get(code="yrc")
    for i in range(10):
        event = EventFactory(
            programme=programme,
            region=region("KZ-47" if i % 2 else "KZ-43"),
            start_date=date(2024, 9, 2),
            end_date=date(2024, 9, 3),
            status=TrainingEvent.Status.HELD,
        )
        session = SessionFactory(event=event)
        for j in range(3):
            p = Participant.objects.create(
                full_name=f"Extra {i} {j}", sex="F", region=event.region, category=cat
            )
            e = Enrolment.objects.create(participant=p, event=event)
            Attendance.objects.create(enrolment=e, session=session)
            Feedback.objects.create(
                event=event,
                enrolment=e,
                satisfaction=5,
                relevance=4,
                usefulness=4,
                intent_to_apply=4,
                source="paper",
            )
    assert _queries(client) == small
    # A few per indicator (9 in the demo), one GROUP BY per trend and region figure.
    assert small <= 70


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_on_track_fits_a_phone_and_works_with_a_keyboard(phone, page, demo):
    from .browser_fixtures import assert_accessible, login, screenshot

    login(phone, "coord.mangystau")
    phone.goto(phone.base + "/?period=2024Q3")
    phone.wait_for_selector("#tile-map")  # loaded into the dashboard by htmx
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert phone.locator("#tile-map > li").count() == 20
    assert_accessible(phone)
    phone.locator("#map-title").scroll_into_view_if_needed()
    phone.evaluate("document.getElementById('map-title').scrollIntoView()")
    screenshot(phone, "dashboard-map-phone")

    login(page, "undp.staff")
    page.goto(page.base + "/on-track/?period=2024Q3")
    assert_accessible(page)
    screenshot(page, "dashboard-on-track")
    # Tab from the first tile goes through all 20: every tile takes the focus.
    first = page.locator("#tile-map a.tile-inner").first
    first.focus()
    focused = []
    for _ in range(20):
        focused.append(page.evaluate("document.activeElement.closest('li').dataset.code"))
        page.keyboard.press("Tab")
    assert len(set(focused)) == 20
