"""Factories for the domain model. Regions and categories come from the data migrations."""

from datetime import date

import factory
from factory.django import DjangoModelFactory

from accounts.models import Role, User
from participants.models import (
    Enrolment,
    Participant,
    ParticipantCategory,
)
from regions.models import PartnerOrganisation, Region
from trainings.models import Programme, Session, TrainingEvent


def region(code: str) -> Region:
    return Region.objects.get(code=code)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.STAFF
    password = factory.PostGenerationMethodCall("set_password", "test-pass-123")

    @factory.post_generation
    def regions(self, create, extracted, **kwargs):
        if create and extracted:
            self.regions.set(extracted)
        if create:
            self.save()


def coordinator(code: str = "KZ-47", **kwargs) -> User:
    return UserFactory(role=Role.COORDINATOR, regions=[region(code)], **kwargs)


class PartnerFactory(DjangoModelFactory):
    class Meta:
        model = PartnerOrganisation

    name = factory.Sequence(lambda n: f"Partner {n}")
    type = PartnerOrganisation.Type.NGO
    region = factory.LazyFunction(lambda: region("KZ-47"))


class ProgrammeFactory(DjangoModelFactory):
    class Meta:
        model = Programme
        django_get_or_create = ("code",)

    name = "Test programme"
    code = "TEST"


class EventFactory(DjangoModelFactory):
    class Meta:
        model = TrainingEvent

    programme = factory.SubFactory(ProgrammeFactory)
    title = factory.Sequence(lambda n: f"Training {n}")
    start_date = date(2024, 8, 13)
    end_date = date(2024, 8, 15)
    region = factory.LazyFunction(lambda: region("KZ-47"))


class SessionFactory(DjangoModelFactory):
    class Meta:
        model = Session

    event = factory.SubFactory(EventFactory)
    date = factory.LazyAttribute(lambda o: o.event.start_date)
    title = factory.Sequence(lambda n: f"Module {n}")


class ParticipantFactory(DjangoModelFactory):
    class Meta:
        model = Participant

    full_name = factory.Sequence(lambda n: f"Участник Тестовый {n}")
    sex = "F"
    birth_year = 1990
    region = factory.LazyFunction(lambda: region("KZ-47"))
    category = factory.LazyFunction(lambda: ParticipantCategory.objects.get(code="akimat"))


class EnrolmentFactory(DjangoModelFactory):
    class Meta:
        model = Enrolment

    participant = factory.SubFactory(ParticipantFactory)
    event = factory.SubFactory(EventFactory)


def attend_with_feedback(
    person,
    event,
    *,
    comments: str,
    consent_to_quote: bool,
    score: int = 5,
    approved_by=None,
):
    """Enrol `person` in `event`, mark them present at its first session and record the paper
    feedback form they filled in (every 1-5 item at `score`). With `approved_by` (a user), the
    comment is also approved as written for donor reports ("Quotes to review")."""
    from participants.feedback_services import review_quote
    from participants.services import enrol, record_attendance, record_feedback

    enrolment = enrol(person=person, event=event)
    record_attendance(enrolment=enrolment, session=event.sessions.first())
    feedback = record_feedback(
        event=event,
        enrolment=enrolment,
        satisfaction=score,
        relevance=score,
        usefulness=score,
        intent_to_apply=score,
        consent_to_quote=consent_to_quote,
        source="paper",
        comments=comments,
    )
    if approved_by is not None:
        review_quote(feedback=feedback, by=approved_by, approve=True, text=comments)
    return enrolment
