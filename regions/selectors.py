"""Reads of regions, districts and partners, limited to a Scope."""

from django.db.models import Count, Exists, IntegerField, OuterRef, Q, QuerySet, Subquery

from accounts.scope import Scope

from .models import District, PartnerOrganisation, Region


def regions_visible(scope: Scope) -> QuerySet[Region]:
    """Regions the user works in (all of them for staff, admins and viewers)."""
    return Region.objects.filter(scope.region_q("pk"))


def districts_visible(scope: Scope) -> QuerySet[District]:
    return District.objects.filter(scope.region_q("region")).select_related("region")


def partners_visible(scope: Scope) -> QuerySet[PartnerOrganisation]:
    """Partners of the user's regions plus national and international ones (no region)."""
    qs = PartnerOrganisation.objects.select_related("region")
    return qs.filter(scope.region_q("region", include_global=True))


# The management pages (admins) ------------------------------------------------------------
class CountOf(Subquery):
    """COUNT(DISTINCT id) of a correlated subquery (`qs.values("id")`): a per-row count as one
    annotation, so a list costs the same number of queries however many rows it shows."""

    template = "(SELECT COUNT(DISTINCT _counted.id) FROM (%(subquery)s) _counted)"
    output_field = IntegerField()


def region_overview() -> list[Region]:
    """The 20 top-level units, each with `n_events`, `n_people` (unique people reached, as in
    `participants.selectors.people_reached`) and its districts (`district_list`, each with the
    same two counts). Six queries whatever the number of rows (two when the counts are cached)."""
    from participants.models import Attendance, Enrolment
    from trainings.dashboard import data_cached
    from trainings.models import TrainingEvent

    def grouped(qs, field: str, measure):
        return dict(qs.order_by().values_list(field).annotate(n=measure))

    def counts():
        events = TrainingEvent.objects.all()
        # People reached = people with an enrolment that has an attendance (an attendance's
        # session is always of its enrolment's event): 425,000 enrolments semi-joined to the
        # attendance, not a million attendance rows joined to enrolments (0.34 s, not 0.9 s).
        reached = Enrolment.objects.filter(
            Exists(Attendance.objects.filter(enrolment=OuterRef("pk")))
        )
        people = Count("participant", distinct=True)
        return (
            grouped(events, "region", Count("pk")),
            grouped(events.filter(district__isnull=False), "district", Count("pk")),
            grouped(reached, "event__region", people),
            grouped(reached.filter(event__district__isnull=False), "event__district", people),
        )

    # Cached until the data changes, like the dashboard's figures.
    ev_region, ev_district, ppl_region, ppl_district = data_cached("region-overview", counts)
    regions = list(Region.objects.prefetch_related("districts").order_by("code"))
    for region in regions:
        region.n_events = ev_region.get(region.pk, 0)
        region.n_people = ppl_region.get(region.pk, 0)
        region.district_list = sorted(
            region.districts.all(), key=lambda d: (not d.is_active, d.name)
        )
        for district in region.district_list:
            district.n_events = ev_district.get(district.pk, 0)
            district.n_people = ppl_district.get(district.pk, 0)
    return regions


def districts_with_counts() -> QuerySet[District]:
    """Districts with the events held there and the people registered there (what a merge
    moves)."""
    from participants.models import Participant
    from trainings.models import TrainingEvent

    return District.objects.select_related("region").annotate(
        n_events=CountOf(
            TrainingEvent.objects.filter(district=OuterRef("pk")).order_by().values("id")
        ),
        n_people=CountOf(
            Participant.objects.filter(district=OuterRef("pk")).order_by().values("id")
        ),
    )


def partners_with_counts() -> QuerySet[PartnerOrganisation]:
    """Partners with the events they hosted or implemented and the people they sent."""
    from participants.models import Participant
    from trainings.models import TrainingEvent

    return PartnerOrganisation.objects.select_related("region").annotate(
        n_events=CountOf(
            TrainingEvent.objects.filter(
                Q(host_partners=OuterRef("pk")) | Q(implementing_partners=OuterRef("pk"))
            )
            .order_by()
            .values("id")
        ),
        n_people=CountOf(
            Participant.objects.filter(organisation=OuterRef("pk")).order_by().values("id")
        ),
    )


def partner_events(scope: Scope, partner: PartnerOrganisation):
    """Events of the scope that `partner` hosted or implemented, with `as_host` and
    `as_implementer` flags, newest first."""
    from trainings.selectors import events_visible

    hosted = PartnerOrganisation.hosted_events.through.objects.filter(
        trainingevent=OuterRef("pk"), partnerorganisation=partner
    )
    implemented = PartnerOrganisation.implemented_events.through.objects.filter(
        trainingevent=OuterRef("pk"), partnerorganisation=partner
    )
    return (
        events_visible(scope)
        .filter(Q(host_partners=partner) | Q(implementing_partners=partner))
        .distinct()
        .select_related("region", "district")
        .annotate(as_host=Exists(hosted), as_implementer=Exists(implemented))
        .order_by("-start_date", "title")
    )


def partner_people(scope: Scope, partner: PartnerOrganisation):
    """People of the scope who came from `partner` (empty for scopes without personal data)."""
    from participants.selectors import people_visible

    return (
        people_visible(scope)
        .filter(organisation=partner)
        .select_related("region", "category")
        .order_by("full_name", "pk")
    )


# What coordinators pick from (event and person forms): active items only -------------------
def active_districts(region: Region | int | None = None) -> QuerySet[District]:
    qs = District.objects.filter(is_active=True, region__is_active=True).select_related("region")
    return qs.filter(region=region) if region is not None else qs


def active_partners(scope: Scope | None = None) -> QuerySet[PartnerOrganisation]:
    qs = PartnerOrganisation.objects.filter(is_active=True).select_related("region")
    if scope is not None:
        qs = qs.filter(scope.region_q("region", include_global=True))
    return qs


def active_programmes():
    from trainings.models import Programme

    return Programme.objects.filter(is_active=True)


def active_activity_lines(programme=None):
    from trainings.models import ActivityLine

    qs = ActivityLine.objects.filter(is_active=True, programme__is_active=True).select_related(
        "programme"
    )
    return qs.filter(programme=programme) if programme is not None else qs


def active_categories():
    from participants.models import ParticipantCategory

    return ParticipantCategory.objects.filter(is_active=True)


def active_topics():
    from trainings.models import Topic

    return Topic.objects.filter(is_active=True)


def active_facilitators():
    from trainings.models import Facilitator

    return Facilitator.objects.filter(is_active=True).select_related("organisation")


def _events_of(**lookup):
    from trainings.models import TrainingEvent

    return CountOf(TrainingEvent.objects.filter(**lookup).order_by().values("id"))


def programmes_with_counts():
    from trainings.models import Programme

    return Programme.objects.select_related("donor").annotate(
        n_events=_events_of(programme=OuterRef("pk"))
    )


def activity_lines_with_counts():
    from trainings.models import ActivityLine

    return ActivityLine.objects.select_related("programme").annotate(
        n_events=_events_of(activity_line=OuterRef("pk"))
    )


def categories_with_counts():
    from participants.models import Participant, ParticipantCategory

    return ParticipantCategory.objects.annotate(
        n_people=CountOf(
            Participant.objects.filter(category=OuterRef("pk")).order_by().values("id")
        )
    )


def topics_with_counts():
    from trainings.models import Topic

    return Topic.objects.annotate(n_events=_events_of(topics=OuterRef("pk")))


def facilitators_with_counts():
    from trainings.models import Facilitator

    return Facilitator.objects.select_related("organisation").annotate(
        n_events=_events_of(facilitators=OuterRef("pk"))
    )


def manage_summary() -> dict[str, int]:
    """How many of each managed record there are (active ones), for the management index."""
    from participants.models import ParticipantCategory
    from trainings.models import ActivityLine, Facilitator, Programme, Topic

    models = {
        "region": Region,
        "district": District,
        "partner": PartnerOrganisation,
        "programme": Programme,
        "activityline": ActivityLine,
        "category": ParticipantCategory,
        "topic": Topic,
        "facilitator": Facilitator,
    }
    return {key: model.objects.filter(is_active=True).count() for key, model in models.items()}
