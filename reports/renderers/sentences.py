"""The sentences a report writes about its figures, shared by the PDF and the DOCX: every
number printed by reports/numbers.py, every sentence translatable, a period without feedback
or tests said in words (never "rose from – to –"), a fall in the mean score said as a fall
("fell from 60.0 to 40.0 (-20.0 points)", never "+-20.0" or "rose from 60.0 to 40.0").

Reads only the ReportData; call inside `translation.override(data.language)`."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from .. import numbers
from ..builder import ReportData
from ..disclosure import SUPPRESSED

PERCENT = numbers.PLACES[numbers.PERCENT]
POINTS = numbers.PLACES[numbers.POINTS]


def percent(value, *, group: str = numbers.THIN_SPACE) -> str:
    """'82.3%', or '<5' / '–' as they are."""
    shown = numbers.show(value, PERCENT, group=group)
    return shown + "%" if numbers.is_number(value) else shown


def people(data: ReportData, *, group: str = numbers.THIN_SPACE) -> str:
    n = data.people["total"]
    if not n:
        return _("Nobody attended a session in this period.")
    return _(
        "%(n)s different people attended at least one session in the period. Each person "
        "is counted once, however many events they attended; the region is where the "
        "person lives."
    ) % {"n": numbers.show(n, 0, group=group)}


def feedback(data: ReportData, *, group: str = numbers.THIN_SPACE) -> str:
    fb = data.feedback
    n = fb["respondents"]  # forms: one per participant and event
    if not n:
        return _("No feedback form was collected at the events of this period.")
    values = {"n": numbers.show(n, 0, group=group)}
    if fb["satisfied_pct"] == SUPPRESSED:
        return (
            ngettext(
                "%(n)s feedback form was received (one per participant and event): with fewer "
                "than 5 forms, the share satisfied is not shown.",
                "%(n)s feedback forms were received (one per participant and event): with "
                "fewer than 5 forms, the share satisfied is not shown.",
                n,
            )
            % values
        )
    return ngettext(
        "%(n)s feedback form was received (one per participant and event); %(pct)s rated the "
        "training 4 or 5 out of 5.",
        "%(n)s feedback forms were received (one per participant and event); %(pct)s rated "
        "the training 4 or 5 out of 5.",
        n,
    ) % (values | {"pct": percent(fb["satisfied_pct"], group=group)})


def tested(data: ReportData, *, group: str = numbers.THIN_SPACE) -> str:
    """'2 963 people took both the pre-test and the post-test (3 665 pairs of tests, one per
    person and event)'. A snapshot from before schema 2 counted pairs only: they stand for
    the people."""
    k = data.knowledge
    pairs = k["n"]
    people = k.get("people", pairs)
    tests = ngettext(
        "%(n)s pair of tests, one per person and event",
        "%(n)s pairs of tests, one per person and event",
        pairs,
    ) % {"n": numbers.show(pairs, 0, group=group)}
    return ngettext(
        "%(people)s person took both the pre-test and the post-test (%(tests)s)",
        "%(people)s people took both the pre-test and the post-test (%(tests)s)",
        people if numbers.is_number(people) else pairs,
    ) % {"people": numbers.show(people, 0, group=group), "tests": tests}


def knowledge(data: ReportData, *, group: str = numbers.THIN_SPACE) -> str:
    k = data.knowledge
    n = k["n"]
    if not n:
        return _("No participant took both the pre-test and the post-test in this period.")
    who = tested(data, group=group)
    if not all(numbers.is_number(k[key]) for key in ("pre", "post", "gain")):
        return _("%(tested)s: with fewer than 5, their scores are not shown.") % {"tested": who}
    values = {
        "tested": who,
        "pre": numbers.show(k["pre"], POINTS, group=group),
        "post": numbers.show(k["post"], POINTS, group=group),
        "gain": numbers.signed(k["gain"], POINTS, group=group),
        "pct": percent(k["improved_pct"], group=group),
    }
    pre = numbers.round_half_up(k["pre"], POINTS)
    post = numbers.round_half_up(k["post"], POINTS)
    if post > pre:
        text = _(
            "%(tested)s. Their mean score rose from %(pre)s to %(post)s (%(gain)s points); "
            "%(pct)s improved their score."
        )
    elif post < pre:
        text = _(
            "%(tested)s. Their mean score fell from %(pre)s to %(post)s (%(gain)s points); "
            "%(pct)s improved their score."
        )
    else:
        text = _(
            "%(tested)s. Their mean score stayed at %(pre)s (%(gain)s points); %(pct)s "
            "improved their score."
        )
    return text % values


def reach(indicator: dict, *, group: str = numbers.THIN_SPACE) -> str:
    """'reached 120, completed 95' for an indicator that counts the people who completed,
    '' otherwise (and for a snapshot from before schema 2)."""
    reached = indicator.get("reached")
    if reached is None:
        return ""
    places = numbers.places_for_unit(indicator["unit"])
    return _("reached %(reached)s, completed %(completed)s") % {
        "reached": numbers.show(reached, 0, group=group),
        "completed": numbers.show(indicator["actual"], places, group=group),
    }


def response(indicator: dict, *, group: str = numbers.THIN_SPACE) -> str:
    """'31 of 50 people asked answered (response rate 62.0%)' for an indicator from a
    follow-up survey, '' otherwise (and for a snapshot from before it existed)."""
    figures = indicator.get("response")
    if not figures:
        return ""
    return _("%(respondents)s of %(invited)s people asked answered (response rate %(rate)s)") % {
        "respondents": numbers.show(figures["respondents"], 0, group=group),
        "invited": numbers.show(figures["invited"], 0, group=group),
        "rate": percent(figures.get("rate"), group=group),
    }


def _against(values: dict, places: int, group: str) -> str:
    actual = numbers.show(values.get("actual"), places, group=group)
    if values.get("target") is None:
        return actual
    return _("%(actual)s of %(target)s (%(percent)s)") % {
        "actual": actual,
        "target": numbers.show(values["target"], places, group=group),
        "percent": percent(values.get("percent"), group=group),
    }


def life_of_programme(indicator: dict, *, group: str = numbers.THIN_SPACE) -> str:
    """'210 of 300 (70.0%)': the actual since the programme began against its
    life-of-programme target ('–' for a snapshot from before schema 2)."""
    values = indicator.get("lop") or {}
    if values.get("actual") is None and values.get("target") is None:
        return numbers.DASH
    return _against(values, numbers.places_for_unit(indicator["unit"]), group)


def progress(
    indicator: dict, *, group: str = numbers.THIN_SPACE, keys: tuple[str, ...] = ("ytd", "lop")
) -> str:
    """'Year to date: 163 of 180 (90.6%) · life of programme: 210 of 300 (70.0%)', leaving out
    what the snapshot does not have (and the periods not in `keys`)."""
    places = numbers.places_for_unit(indicator["unit"])
    parts = []
    for key, label in (("ytd", _("year to date")), ("lop", _("life of programme"))):
        if key not in keys:
            continue
        values = indicator.get(key) or {}
        if values.get("actual") is not None or values.get("target") is not None:
            parts.append(
                _("%(label)s: %(figures)s")
                % {"label": label, "figures": _against(values, places, group)}
            )
    text = " · ".join(parts)
    return text[:1].upper() + text[1:]
