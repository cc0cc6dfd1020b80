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
    n = fb["respondents"]
    if not n:
        return _("No feedback form was collected at the events of this period.")
    if fb["satisfied_pct"] == SUPPRESSED:
        return ngettext(
            "%(n)s participant filled in a feedback form: with fewer than 5 forms, the share "
            "satisfied is not shown.",
            "%(n)s participants filled in a feedback form: with fewer than 5 forms, the share "
            "satisfied is not shown.",
            n,
        ) % {"n": numbers.show(n, 0, group=group)}
    return _(
        "%(n)s participants filled in a feedback form; %(pct)s rated the training 4 or 5 out of 5."
    ) % {"n": numbers.show(n, 0, group=group), "pct": percent(fb["satisfied_pct"], group=group)}


def knowledge(data: ReportData, *, group: str = numbers.THIN_SPACE) -> str:
    k = data.knowledge
    n = k["n"]
    if not n:
        return _("No participant took both the pre-test and the post-test in this period.")
    if not all(numbers.is_number(k[key]) for key in ("pre", "post", "gain")):
        return ngettext(
            "%(n)s participant took both the pre-test and the post-test: with fewer than 5, "
            "their scores are not shown.",
            "%(n)s participants took both the pre-test and the post-test: with fewer than 5, "
            "their scores are not shown.",
            n,
        ) % {"n": numbers.show(n, 0, group=group)}
    values = {
        "n": numbers.show(n, 0, group=group),
        "pre": numbers.show(k["pre"], POINTS, group=group),
        "post": numbers.show(k["post"], POINTS, group=group),
        "gain": numbers.signed(k["gain"], POINTS, group=group),
        "pct": percent(k["improved_pct"], group=group),
    }
    pre = numbers.round_half_up(k["pre"], POINTS)
    post = numbers.round_half_up(k["post"], POINTS)
    if post > pre:
        text = _(
            "%(n)s participants took both the pre-test and the post-test. Their mean "
            "score rose from %(pre)s to %(post)s (%(gain)s points); %(pct)s improved "
            "their score."
        )
    elif post < pre:
        text = _(
            "%(n)s participants took both the pre-test and the post-test. Their mean "
            "score fell from %(pre)s to %(post)s (%(gain)s points); %(pct)s improved "
            "their score."
        )
    else:
        text = _(
            "%(n)s participants took both the pre-test and the post-test. Their mean "
            "score stayed at %(pre)s (%(gain)s points); %(pct)s improved their score."
        )
    return text % values
