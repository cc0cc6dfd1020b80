"""The IATI file as donors and the IATI Registry get it (issue 16): one activity per programme
with every quarter so far, no error of the IATI Validator's checks on the demo or synthetic
data, small groups left out (never an actual without a value), fixed dimension names, the
right language on each narrative, status and dates from the programme, the donor's IATI
identifier, the download withheld when the file breaks a rule, and the public address."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from lxml import etree

from accounts.models import User
from accounts.scope import Scope
from demo import synthetic
from participants.models import Participant
from regions.models import PartnerOrganisation, Region
from reports import iati_activity, iati_validation, services
from reports.builder import build_report_data
from reports.iati_activity import activity_status, text_language, with_activity
from reports.models import Indicator, ReportRun
from reports.renderers import render
from trainings.models import Programme

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    """Each test starts with no requests counted against the public file's rate limit (other
    tests, the permission matrix among them, ask for it from the same test address)."""
    from django.core.cache import cache

    cache.clear()


XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
Q3 = (date(2024, 7, 1), date(2024, 9, 30), "2024Q3")
Q4 = (date(2024, 10, 1), date(2024, 12, 31), "2024Q4")
TODAY = date(2024, 10, 15)  # the programme (March 2023 - February 2025) is under way


def iati_file(period=Q3, *, language="en", regions=None, today=TODAY, activity=True):
    start, end, label = period
    ids = list(Region.objects.filter(code__in=regions or []).values_list("pk", flat=True)) or None
    data = build_report_data(
        start=start, end=end, region_ids=ids, language=language, period_label=label
    )
    if activity:
        data = with_activity(data, scope=Scope.for_regions(ids), today=today)
    content = render(data, "iati").content
    return data, content, etree.fromstring(content)


def assert_no_errors(content: bytes) -> list:
    findings = iati_validation.validate(content)
    assert iati_validation.errors(findings) == [], iati_validation.errors(findings)
    return findings


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run what request_report leaves for after the commit (the task, in-process)."""

    def run(func, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            result = func(*args, **kwargs)
        result.refresh_from_db()
        return result

    return run


def user(name: str) -> User:
    return User.objects.get(username=name)


def effective_language(narrative, default: str) -> str:
    return narrative.get(XML_LANG) or default


# Files of the demo and of synthetic data -------------------------------------------------------
@pytest.mark.parametrize(
    ("period", "language", "regions"),
    [(Q3, "en", None), (Q4, "ru", ["KZ-43"]), (Q3, "kk", ["KZ-47", "KZ-43"])],
)
def test_every_demo_file_passes_the_standard_with_one_identifier(demo, period, language, regions):
    data, content, xml = iati_file(period, language=language, regions=regions)
    assert_no_errors(content)
    _, old_style, _ = iati_file(period, language=language, regions=regions, activity=False)
    assert_no_errors(old_style)  # a snapshot made before the activity was kept with it
    assert xml.findtext(".//iati-identifier") == "XM-DAC-41114-00131527"
    assert etree.fromstring(old_style).findtext(".//iati-identifier") == "XM-DAC-41114-00131527"
    # No text is marked with a language it is not written in.
    default = xml.find("iati-activity").get(XML_LANG)
    assert default == language
    for narrative in xml.iter("narrative"):
        assert effective_language(narrative, default) == text_language(narrative.text, default)
    # An indicator's title is in the file's language (its Kazakh or Russian name).
    titles = [n for n in xml.iter("narrative") if n.text.startswith("OP1 ")]
    assert titles and all(effective_language(n, default) == language for n in titles)


def test_a_synthetic_programme_file_passes_the_standard(db):
    synthetic.generate(participants=300, events=20, seed=5, progress=None)
    programme = Programme.objects.get(code=synthetic.PROGRAMME_CODE)
    for code, rule, unit, dims in (
        ("S1", "people_trained", "people", ["sex", "age_band", "region", "category"]),
        ("S2", "events_held", "events", ["region", "event_type"]),
        ("S3", "feedback_satisfied_pct", "percent", ["sex"]),
    ):
        Indicator.objects.create(
            programme=programme,
            code=code,
            name=f"Synthetic {rule}",
            level="output" if code != "S3" else "outcome",
            unit=unit,
            rule=rule,
            disaggregations=dims,
        )
    for regions in (None, [Region.objects.order_by("code").first().pk]):
        data = build_report_data(
            start=date(2026, 7, 1),
            end=date(2026, 9, 30),
            region_ids=regions,
            language="ru",
            period_label="2026Q3",
            programme=programme,
        )
        data = with_activity(data, scope=Scope.for_regions(regions), today=date(2026, 10, 5))
        content = render(data, "iati").content
        assert_no_errors(content)
        xml = etree.fromstring(content)
        periods = xml.find(".//indicator").findall("period")
        assert [p.find("period-start").get("iso-date") for p in periods] == [
            "2026-01-01",
            "2026-04-01",
            "2026-07-01",
        ]
        assert not [a for a in xml.iter("actual") if a.get("value") is None]


# One activity with every quarter -----------------------------------------------------------------
def test_the_file_holds_every_quarter_since_the_programme_started_and_grows(demo):
    _, _, q3 = iati_file(Q3)
    _, _, q4 = iati_file(Q4, language="ru", regions=["KZ-47"])
    for xml, last_end, count in ((q3, "2024-09-30", 7), (q4, "2024-12-31", 8)):
        for indicator in xml.iter("indicator"):
            periods = indicator.findall("period")
            assert len(periods) == count
            assert periods[0].find("period-start").get("iso-date") == "2023-03-01"
            assert periods[0].find("period-end").get("iso-date") == "2023-03-31"
            assert periods[-1].find("period-end").get("iso-date") == last_end
            assert indicator.find("baseline").get("year") == "2023"
    assert q3.findtext(".//iati-identifier") == q4.findtext(".//iati-identifier")
    op1 = next(i for i in q3.iter("indicator") if i.findtext("title/narrative").startswith("OP1"))
    third = op1.findall("period")[6]
    assert float(third.find("target").get("value")) == 60  # the quarter's own target


def test_a_withheld_breakdown_row_is_left_out_and_the_indicator_says_so(demo):
    data, content, xml = iati_file(Q3)
    suppressed = [
        ind
        for ind in data.iati["indicators"]
        if any(period["withheld"] for period in ind["periods"])
    ]
    assert suppressed, "the demo's 2024Q3 has small groups"
    assert not [a for a in xml.iter("actual") if a.get("value") is None]  # rule 8.10.1
    withheld_text = data.iati["withheld_text"]
    for ind in suppressed:
        element = next(
            i
            for i in xml.iter("indicator")
            if i.findtext("title/narrative").startswith(ind["code"] + " ")
        )
        assert withheld_text in " ".join(n.text for n in element.iterfind("description/narrative"))
        for period, row in zip(element.findall("period"), ind["periods"], strict=True):
            dimensions = period.findall("actual/dimension")
            assert len(dimensions) == len(row["dimensions"])
            if row["withheld"]:
                comment = period.find("actual/comment")
                assert withheld_text in " ".join(n.text for n in comment.iterfind("narrative"))
    # A snapshot's "<5" is left out the same way.
    _, old, _ = iati_file(Q3, activity=False)
    assert not [a for a in etree.fromstring(old).iter("actual") if a.get("value") is None]


def test_dimensions_have_fixed_names_and_values_in_every_language(demo):
    _, _, xml = iati_file(Q3, language="ru")
    dimensions = list(xml.iter("dimension"))
    assert dimensions
    names = {d.get("name") for d in dimensions}
    assert names <= set(iati_activity.DIMENSION_NAMES.values())
    by_name = {}
    for d in dimensions:
        by_name.setdefault(d.get("name"), set()).add(d.get("value"))
    assert by_name.get("sex", set()) <= {"female", "male", "unknown"}
    assert all(v.startswith("KZ-") for v in by_name.get("region", set()))
    bands = {"<18", "18-24", "25-34", "35-44", "45-54", "55+", "unknown"}
    assert by_name.get("age", set()) <= bands


# Status, dates and organisations ------------------------------------------------------------------
def test_status_and_dates_come_from_the_programme(demo):
    _, _, during = iati_file(Q3, today=TODAY)
    activity = during.find("iati-activity")
    assert activity.find("activity-status").get("code") == "2"
    dates = {d.get("type"): d.get("iso-date") for d in activity.iter("activity-date")}
    assert dates == {"1": "2023-03-01", "2": "2024-08-13", "3": "2025-02-28"}
    _, _, after = iati_file(Q4, today=date(2025, 6, 1))
    assert after.find(".//activity-status").get("code") == "3"  # ended, still active
    assert {d.get("type") for d in after.iter("activity-date")} == {"1", "2", "3", "4"}


@pytest.mark.parametrize(
    ("today", "active", "status"),
    [
        (date(2023, 1, 1), True, "1"),
        (date(2024, 1, 1), True, "2"),
        (date(2024, 1, 1), False, "6"),
        (date(2025, 6, 1), True, "3"),
        (date(2025, 6, 1), False, "4"),
    ],
)
def test_activity_status_follows_the_codelist(today, active, status):
    start, end = date(2023, 3, 1), date(2025, 2, 28)
    assert activity_status(start=start, end=end, is_active=active, today=today) == status


def test_the_donor_is_named_by_its_iati_identifier_when_it_has_one(demo):
    _, _, xml = iati_file(Q3)
    donor = next(o for o in xml.iter("participating-org") if o.get("role") == "1")
    assert donor.get("ref") == "XM-DAC-701-8"
    PartnerOrganisation.objects.filter(iati_identifier="XM-DAC-701-8").update(iati_identifier="")
    _, content, xml = iati_file(Q3)
    donor = next(o for o in xml.iter("participating-org") if o.get("role") == "1")
    assert donor.get("ref") is None and donor.findtext("narrative") == "Government of Japan"
    assert_no_errors(content)


def test_admins_give_a_partner_its_iati_identifier_and_spaces_are_refused(client, login_as, demo):
    partner = PartnerOrganisation.objects.get(iati_identifier="XM-DAC-701-8")
    login_as("admin")
    url = reverse("manage:partner_edit", args=[partner.pk])
    form = {"name": partner.name, "short_name": partner.short_name, "type": partner.type}
    page = client.post(url, form | {"iati_identifier": "XM-DAC 701-8"})
    assert page.status_code == 200 and "IATI organisation identifier" in page.content.decode()
    partner.refresh_from_db()
    assert partner.iati_identifier == "XM-DAC-701-8"
    assert client.post(url, form | {"iati_identifier": "JP-JCN-1234567890123"}).status_code == 302
    partner.refresh_from_db()
    assert partner.iati_identifier == "JP-JCN-1234567890123"
    assert "JP-JCN-1234567890123" in client.get(partner.get_absolute_url()).content.decode()


# The check before download -----------------------------------------------------------------------
def test_a_report_run_offers_the_iati_file_once_it_passes(on_commit, client, login_as):
    run = on_commit(
        services.request_report,
        user=user("undp.staff"),
        region_ids=None,
        formats=["iati", "csv"],
        language="en",
        period_label="2024Q3",
        start=Q3[0],
        end=Q3[1],
    )
    assert run.status == ReportRun.Status.DONE, run.error
    assert {f.format for f in run.files.all()} == {"iati", "csv"}
    assert not iati_validation.errors(
        iati_validation.Finding.from_json(f) for f in run.iati_findings
    )
    assert len(run.snapshot["iati"]["indicators"][0]["periods"]) >= 7
    login_as("undp.staff")
    download = client.get(reverse("reports:run_download", args=[run.pk, "iati"]))
    assert download.status_code == 200


def test_a_file_that_breaks_a_rule_is_not_offered_and_the_page_says_why(
    on_commit,
    client,
    login_as,
    monkeypatch,
):
    real = services.with_activity

    def corrupted(data, **kwargs):
        data = real(data, **kwargs)
        data.iati["indicators"][0]["periods"][0]["start"] = "2030-01-01"  # after its end
        return data

    monkeypatch.setattr(services, "with_activity", corrupted)
    run = on_commit(
        services.request_report,
        user=user("undp.staff"),
        region_ids=None,
        formats=["iati", "csv"],
        language="en",
        period_label="2024Q3",
        start=Q3[0],
        end=Q3[1],
    )
    assert run.status == ReportRun.Status.DONE, run.error
    assert {f.format for f in run.files.all()} == {"csv"}
    assert "8.6.1" in {f["rule"] for f in run.iati_findings if f["severity"] == "error"}
    login_as("undp.staff")
    page = client.get(run.get_absolute_url()).content.decode()
    assert "The IATI file is not offered" in page and "8.6.1" in page
    refused = client.get(reverse("reports:run_download", args=[run.pk, "iati"]))
    assert refused.status_code == 404
    assert client.get(reverse("reports:run_download", args=[run.pk, "csv"])).status_code == 200


# The public address ------------------------------------------------------------------------------
def test_the_public_file_needs_no_login_and_names_nobody(client, demo, settings):
    settings.IATI_RATE_LIMIT = 2
    url = reverse("iati_activity", args=["PVE-KZ-JP"])
    assert url == "/iati/PVE-KZ-JP.xml"
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/xml")
    content = response.content
    assert_no_errors(content)
    xml = etree.fromstring(content)
    assert xml.findtext(".//iati-identifier") == "XM-DAC-41114-00131527"
    assert len(xml.find(".//indicator").findall("period")) >= 7
    text = content.decode()
    for name in Participant.objects.values_list("full_name", flat=True):
        assert name not in text
    assert client.get(reverse("iati_activity", args=["NO-SUCH"])).status_code == 404
    assert client.get(url).status_code == 429  # the third request from one address
