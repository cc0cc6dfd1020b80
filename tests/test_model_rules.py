"""Each rule of the domain model gives a clear validation error."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from participants.identity import hash_iin, iin_checksum_ok, normalise_name, validate_iin
from participants.models import Feedback
from participants.services import enrol, record_feedback, register_person
from regions.models import District
from trainings.models import TrainingEvent
from trainings.services import add_session, add_sessions_per_day, create_event

from .factories import EnrolmentFactory, EventFactory, ParticipantFactory, ProgrammeFactory, region

pytestmark = pytest.mark.django_db

VALID_IIN = "900101300017"  # control digit computed by the published algorithm


def messages(exc: ValidationError, field: str) -> str:
    return " ".join(exc.message_dict.get(field, []))


def test_event_cannot_end_before_it_starts():
    with pytest.raises(ValidationError) as exc:
        create_event(
            programme=ProgrammeFactory(),
            title="Backwards",
            start_date=date(2024, 8, 15),
            end_date=date(2024, 8, 13),
            region=region("KZ-47"),
        )
    assert "cannot be before the start date" in messages(exc.value, "end_date")
    assert not TrainingEvent.objects.filter(title="Backwards").exists()


def test_end_before_start_is_also_refused_by_the_database():
    event = EventFactory()
    event.end_date = date(2024, 8, 1)
    with pytest.raises(IntegrityError), transaction.atomic():
        event.save()


def test_district_must_be_in_the_events_region():
    kyzylorda_city = District.objects.get(name_en="Kyzylorda")
    with pytest.raises(ValidationError) as exc:
        create_event(
            programme=ProgrammeFactory(),
            title="Wrong district",
            start_date=date(2024, 8, 13),
            end_date=date(2024, 8, 14),
            region=region("KZ-47"),
            district=kyzylorda_city,
        )
    assert "is not in Mangystau Region" in messages(exc.value, "district")


def test_session_outside_the_events_dates_is_refused():
    event = EventFactory(start_date=date(2024, 8, 13), end_date=date(2024, 8, 15))
    with pytest.raises(ValidationError) as exc:
        add_session(event=event, date=date(2024, 8, 16), title="Extra day")
    assert "within the event's dates" in messages(exc.value, "date")


def test_one_session_per_day_for_a_multi_day_event_and_again_changes_nothing():
    event = EventFactory(start_date=date(2024, 8, 13), end_date=date(2024, 8, 15))
    created = add_sessions_per_day(event=event)
    assert [s.date.day for s in created] == [13, 14, 15]
    assert add_sessions_per_day(event=event) == []


def test_a_participant_cannot_be_enrolled_twice():
    enrolment = EnrolmentFactory()
    with pytest.raises(ValidationError) as exc:
        enrol(person=enrolment.participant, event=enrolment.event)
    assert "already on the event's roster" in str(exc.value)


@pytest.mark.parametrize("value", [0, 6])
def test_likert_answers_must_be_between_1_and_5(value):
    enrolment = EnrolmentFactory()
    before = Feedback.objects.count()
    with pytest.raises(ValidationError) as exc:
        record_feedback(
            event=enrolment.event,
            enrolment=enrolment,
            satisfaction=value,
            relevance=4,
            usefulness=4,
            intent_to_apply=4,
            source=Feedback.Source.PAPER,
        )
    assert "satisfaction" in exc.value.message_dict
    assert Feedback.objects.count() == before


def test_feedback_for_a_person_of_another_event_is_refused():
    enrolment = EnrolmentFactory()
    other = EventFactory()
    with pytest.raises(ValidationError, match="not on this event's roster"):
        record_feedback(
            event=other,
            enrolment=enrolment,
            satisfaction=5,
            relevance=5,
            usefulness=5,
            intent_to_apply=5,
            source=Feedback.Source.PAPER,
        )


@pytest.mark.parametrize(
    ("iin", "message"),
    [
        ("12345", "exactly 12 digits"),
        ("9001013000171", "exactly 12 digits"),
        ("90010130001X", "exactly 12 digits"),
        ("900101300018", "control digit"),
    ],
)
def test_an_iin_of_wrong_length_or_checksum_is_refused(iin, message):
    with pytest.raises(ValidationError, match=message):
        validate_iin(iin)


def test_iin_is_stored_only_as_a_keyed_hash():
    assert iin_checksum_ok(VALID_IIN)
    person = register_person(
        full_name="Нұрланов Асқар",
        sex="M",
        birth_year=1990,
        region=region("KZ-47"),
        category=ParticipantCategory_akimat(),
        iin=VALID_IIN,
    )
    person.refresh_from_db()
    assert person.iin_hash == hash_iin(VALID_IIN)
    assert VALID_IIN not in person.iin_hash
    assert len(person.iin_hash) == 64


def test_birth_year_in_the_future_is_refused():
    with pytest.raises(ValidationError) as exc:
        register_person(
            full_name="Future Person",
            sex="F",
            birth_year=2031,
            region=region("KZ-47"),
            category=ParticipantCategory_akimat(),
        )
    assert "2031 is in the future" in messages(exc.value, "birth_year")


def test_names_compare_equal_whatever_the_spelling_of_kazakh_letters_and_word_order():
    assert normalise_name("Нұрланов  Асқар") == normalise_name("Аскар Нурланов")
    assert normalise_name("Әлиева Гүлнар") == normalise_name("гулнар алиева")


def test_participant_district_must_be_in_their_region():
    person = ParticipantFactory.build(district=District.objects.get(name_en="Aral District"))
    with pytest.raises(ValidationError) as exc:
        person.full_clean()
    assert "is not in Mangystau Region" in messages(exc.value, "district")


def ParticipantCategory_akimat():  # noqa: N802 - reads as a constant
    from participants.models import ParticipantCategory

    return ParticipantCategory.objects.get(code="akimat")
