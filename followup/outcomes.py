"""Outcome indicators from the follow-up surveys (issue 22, item 3): registered in the results
framework's catalogue (reports.indicators.register) when the app is ready, and computed like
every other rule: a few aggregate queries, no loop over rows.

- applied_3m_pct / applied_6m_pct: of the trained people who answered "have you used what you
  learned?" in the 3- (6-) month round, the share who said yes;
- neet_in_eet_3m_pct / neet_in_eet_6m_pct: of the NEET young people who answered "what do you
  do now?", the share employed, studying, in an internship or running their own business.

What counts (docs/indicator-definitions.md, "Outcome indicators"):
- an invitation counts in the period in which its round was DUE (Invitation.due_on: the
  event's last session + N months), with its answer, whenever that was given: the people
  asked and those who answered then belong to the same period, so the response rate next to
  the figure is the one of the people the figure is about;
- its event is a counted event in every other respect: of the programme and the scope (event
  region), narrowed by the indicator's params, held or reported; its end date does not matter;
- the person was trained: they attended at least one session of that event;
- the share is over those who answered the question (base), the response rate is those who
  answered at all over those asked (refusals and expired links are asked, not answered);
- breakdowns by the person's sex, age band (in the period's last year), home region,
  category and disability status (WG-SS), each a share with its base, so reports/disclosure.py
  withholds a share of fewer than 5 answers as it does for every rate.
"""

from __future__ import annotations

from datetime import date

from django.db import connection
from django.db.models import BooleanField, Count, Exists, F, Func, Max, OuterRef, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from accounts.scope import Scope
from participants import disability
from participants.models import Attendance
from reports import numbers
from reports.indicators import (
    HELD,
    RuleResult,
    age_band_expression,
    params_event_filter,
    person_filter,
    register,
    register_fingerprint,
)

from .models import Invitation
from .selectors import IN_EET

# A breakdown: the dimension's key on an Invitation (age band and disability are annotated).
DIMENSIONS = {
    "sex": "participant__sex",
    "age_band": "band",
    "region": "participant__region__code",
    "category": "participant__category__code",
    "disability": "wgss",
}


def invitations_in(
    scope: Scope, start: date, end: date, params: dict, *, months: int, asks: str
) -> QuerySet[Invitation]:
    """The invitations an outcome rule counts: rounds of `months` months whose question set
    asks the question `asks`, due within the period, at held (or reported) events of the scope
    and the programme, to people who attended the event, narrowed by the params."""
    trained = Attendance.objects.filter(
        enrolment__participant=OuterRef("participant_id"),
        enrolment__event=OuterRef("event_id"),
    )
    return Invitation.objects.filter(
        scope.region_q("event__region"),
        params_event_filter(params, "event__"),
        person_filter(params, "participant__"),
        Exists(trained),
        _asking(asks),
        event__status__in=HELD,
        round__months=months,
        due_on__gte=start,
        due_on__lte=end,
    )


class _ListHasKey(Func):
    """SQLite: does a JSON list of objects hold one whose "key" is `key`? (json_each)"""

    output_field = BooleanField()

    def __init__(self, expression, *, key: str) -> None:
        super().__init__(expression)
        self.key = key

    def as_sql(self, compiler, connection, **extra_context):
        column, params = compiler.compile(self.source_expressions[0])
        sql = (  # `column` is the compiled column; the key is a parameter
            f"EXISTS (SELECT 1 FROM json_each({column}) AS item "  # noqa: S608 # nosec B608
            "WHERE json_extract(item.value, '$.key') = %s)"
        )
        return sql, (*params, self.key)


def _asking(asks: str) -> Q | _ListHasKey:
    """Rounds whose question set asks `asks`, inside the one query: PostgreSQL looks into the
    JSON list (containment); SQLite, a fresh clone's database, has no containment and walks
    the list with json_each."""
    if connection.features.supports_json_field_contains:
        return Q(round__question_set__questions__contains=[{"key": asks}])
    return _ListHasKey(F("round__question_set__questions"), key=asks)


def _share(invitations: QuerySet[Invitation], end: date, asks: str, yes: Q) -> RuleResult:
    """The share and its breakdowns in ONE query: the invitations grouped by (sex, age band,
    region, category, disability), each cell with the people asked, who answered, who answered
    the question and who said yes. Each invitation falls in exactly one cell, so the total and
    every breakdown are exact sums of cells (as reports.indicators.people_cube does)."""
    answered = Q(answered_at__isnull=False)
    question = answered & Q(answers__has_key=asks)
    keys = list(DIMENSIONS.values())
    cells = list(
        invitations.annotate(
            band=age_band_expression(end.year, "participant__birth_year"),
            wgss=disability.status_expression("participant__disability_answers__"),
        )
        .order_by()
        .values(*keys)
        .annotate(
            invited=Count("pk"),
            respondents=Count("pk", filter=answered),
            n=Count("pk", filter=question),
            ok=Count("pk", filter=question & yes),
        )
        .values_list(*keys, "invited", "respondents", "n", "ok")
    )
    width = len(keys)
    sums = [sum(cell[width + i] for cell in cells) for i in range(4)]
    disaggregations, bases = {}, {}
    for index, dim in enumerate(DIMENSIONS):
        n_of: dict[str, int] = {}
        ok_of: dict[str, int] = {}
        for cell in cells:
            key = "unknown" if cell[index] is None else str(cell[index])
            n_of[key] = n_of.get(key, 0) + cell[width + 2]
            ok_of[key] = ok_of.get(key, 0) + cell[width + 3]
        bases[dim] = {key: n for key, n in n_of.items() if n}
        disaggregations[dim] = {key: numbers.rate(ok_of[key], n) for key, n in bases[dim].items()}
    invited, respondents, n, ok = sums
    return RuleResult(
        total=numbers.rate(ok, n),
        disaggregations=disaggregations,
        is_count=False,
        base=n,
        bases=bases,
        response={"invited": invited, "respondents": respondents},
    )


def applied_share(months: int):
    def rule(scope, start: date, end: date, params: dict) -> RuleResult:
        invitations = invitations_in(scope, start, end, params, months=months, asks="applied")
        return _share(invitations, end, "applied", Q(answers__applied="yes"))

    rule.__name__ = f"applied_{months}m_pct"
    return rule


def neet_in_eet_share(months: int):
    def rule(scope, start: date, end: date, params: dict) -> RuleResult:
        params = dict(params)
        if not (params.get("categories") or params.get("category")):
            params["categories"] = ["neet"]
        invitations = invitations_in(scope, start, end, params, months=months, asks="status")
        return _share(invitations, end, "status", Q(answers__status__in=IN_EET))

    rule.__name__ = f"neet_in_eet_{months}m_pct"
    return rule


PARAMS_HELP = _(
    'Optional: {"categories": ["akimat", "yrc"]}, {"event_types": ["training"]}, '
    '{"activity_lines": ["1.2"]}, {"regions": ["KZ-47"]}'
)
APPLIED_EXPLANATION = _(
    "Share of the trained people asked %(months)s months after their event's last session "
    "(follow-up survey) who said they had used what they learned: those answering yes divided "
    "by all who answered the question. Counted in the period in which the follow-up was due; "
    "trained means present at one session of the event at least. The response rate (people "
    "who answered over people asked) is shown next to it."
)
NEET_EXPLANATION = _(
    "Share of the NEET young people asked %(months)s months after their event's last session "
    "(follow-up survey) who are now employed, studying, in an internship or running their own "
    "business: those divided by all who answered the question. Counted in the period in which "
    "the follow-up was due; the response rate is shown next to it."
)


class _Text:
    """A lazily translated text with the months filled in when it is shown."""

    def __init__(self, text, months: int) -> None:
        self.text, self.months = text, months

    def __str__(self) -> str:
        return str(self.text) % {"months": self.months}


def fingerprint(scope: Scope, start: date, end: date) -> dict:
    """What the outcome rules read, for a report's fingerprint: the invitations due up to the
    report's end at events of its scope, how many were answered or refused and when (one
    query), so an answer that comes in after a report was built makes it be built again."""
    return Invitation.objects.filter(scope.region_q("event__region"), due_on__lte=end).aggregate(
        n=Count("pk"),
        last=Max("pk"),
        answered=Count("pk", filter=Q(answered_at__isnull=False)),
        answered_at=Max("answered_at"),
        refused=Count("pk", filter=Q(refused_at__isnull=False)),
    )


def register_rules() -> None:
    """Put the outcome rules into the results framework's catalogue (AppConfig.ready)."""
    register_fingerprint("followup", fingerprint)
    labels = {
        ("applied", 3): _("Trained people who applied the skills at 3 months (%)"),
        ("applied", 6): _("Trained people who applied the skills at 6 months (%)"),
        ("neet", 3): _("NEET youth in employment, education or training at 3 months (%)"),
        ("neet", 6): _("NEET youth in employment, education or training at 6 months (%)"),
    }
    for months in (3, 6):
        register(
            f"applied_{months}m_pct",
            labels["applied", months],
            applied_share(months),
            explanation=_Text(APPLIED_EXPLANATION, months),
            params_help=PARAMS_HELP,
        )
        register(
            f"neet_in_eet_{months}m_pct",
            labels["neet", months],
            neet_in_eet_share(months),
            explanation=_Text(NEET_EXPLANATION, months),
            params_help=_('Optional: {"event_types": ["camp"]}, {"activity_lines": ["2.1"]}'),
        )
