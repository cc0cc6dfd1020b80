"""Merging two records of the same person: everything moves to the kept record in one
transaction, shared events are combined, the preview lists exactly what will move, and the
merge is audited."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import SecurityEvent, User
from participants.identity import hash_iin, iin_checksum_ok
from participants.models import Assessment, Attendance, Consent, Enrolment, Feedback, Participant
from participants.selectors import merge_plan
from participants.services import (
    merge_people,
    record_attendance,
    record_consent,
    record_feedback,
    record_scores,
)
from tests.factories import (
    EnrolmentFactory,
    EventFactory,
    ParticipantFactory,
    SessionFactory,
    region,
)

pytestmark = pytest.mark.django_db


def _iin() -> str:
    return next(
        f"9001023000{i}{j}"
        for i in range(10)
        for j in range(10)
        if iin_checksum_ok(f"9001023000{i}{j}")
    )


def _feedback(enrolment, score: int) -> Feedback:
    return record_feedback(
        event=enrolment.event,
        enrolment=enrolment,
        satisfaction=score,
        relevance=score,
        usefulness=score,
        intent_to_apply=score,
        source="paper",
    )


@pytest.fixture
def twins():
    """Two records of one person. Both were at the shared event (different sessions recorded,
    one in common), the removed one also at another event with feedback and scores."""
    keep = ParticipantFactory(full_name="Асель Омарова", birth_year=1995, phone="")
    remove = ParticipantFactory(
        full_name="Омарова Асель", birth_year=1995, phone="+7 701 000 0000", iin_hash=None
    )
    remove.iin_hash = hash_iin(_iin())
    remove.save()
    shared = EventFactory(title="Общее событие", region=region("KZ-47"))
    s1, s2, s3 = (SessionFactory(event=shared) for _ in range(3))
    only = EventFactory(title="Только у второй", region=region("KZ-47"))
    o1 = SessionFactory(event=only)
    keep_shared = EnrolmentFactory(participant=keep, event=shared)
    remove_shared = EnrolmentFactory(participant=remove, event=shared)
    remove_only = EnrolmentFactory(participant=remove, event=only)
    record_attendance(enrolment=keep_shared, session=s1)
    record_attendance(enrolment=remove_shared, session=s1)  # recorded twice
    record_attendance(enrolment=remove_shared, session=s2)
    record_attendance(enrolment=remove_only, session=o1)
    _feedback(keep_shared, 5)
    _feedback(remove_shared, 3)  # a second form for the shared event
    _feedback(remove_only, 4)
    record_scores(enrolment=keep_shared, pre_score=None, post_score=Decimal("90"))
    record_scores(enrolment=remove_shared, pre_score=Decimal("30"), post_score=Decimal("70"))
    record_scores(enrolment=remove_only, pre_score=Decimal("50"), post_score=Decimal("60"))
    record_consent(person=remove, given=True, given_on=shared.start_date, version="1")
    return {
        "keep": keep,
        "remove": remove,
        "shared": shared,
        "only": only,
        "sessions": (s1, s2, s3, o1),
        "keep_shared": keep_shared,
    }


def test_merge_moves_everything_and_combines_the_shared_event(twins):
    keep, remove = twins["keep"], twins["remove"]
    s1, s2, _s3, o1 = twins["sessions"]
    by = User.objects.get(username="coord.mangystau")
    iin_hash = remove.iin_hash

    summary = merge_people(keep=keep, remove=remove, by=by)

    assert not Participant.objects.filter(pk=remove.pk).exists()
    enrolments = {e.event_id: e for e in Enrolment.objects.filter(participant=keep)}
    assert set(enrolments) == {twins["shared"].pk, twins["only"].pk}
    shared = enrolments[twins["shared"].pk]
    assert shared.pk == twins["keep_shared"].pk
    # Attendance: the shared event once per session; the other event moved across.
    assert set(Attendance.objects.filter(enrolment=shared).values_list("session", flat=True)) == {
        s1.pk,
        s2.pk,
    }
    assert Attendance.objects.filter(enrolment=enrolments[twins["only"].pk], session=o1).exists()
    # Feedback: kept record's own form stays linked; the second one stays with the event.
    assert Feedback.objects.get(enrolment=shared).satisfaction == 5
    assert Feedback.objects.filter(event=twins["shared"], enrolment=None, satisfaction=3).exists()
    assert Feedback.objects.get(enrolment=enrolments[twins["only"].pk]).satisfaction == 4
    # Scores: the gap in the kept record is filled, its own score wins.
    scores = Assessment.objects.get(enrolment=shared)
    assert (scores.pre_score, scores.post_score) == (Decimal("30"), Decimal("90"))
    assert Assessment.objects.get(enrolment=enrolments[twins["only"].pk]).pre_score == 50
    # Consent, IIN and missing details moved to the kept record.
    assert Consent.objects.filter(participant=keep).count() == 1
    keep.refresh_from_db()
    assert keep.iin_hash == iin_hash
    assert keep.phone == "+7 701 000 0000"
    assert summary["enrolments_moved"] == 1 and summary["enrolments_combined"] == 1
    assert summary["attendance_moved"] == 2 and summary["attendance_duplicates_dropped"] == 1

    # Audited: the merge as a security event, every row change in the history, by the user.
    event = SecurityEvent.objects.get(kind="person_merged")
    assert event.user == by and event.detail["removed_id"] == remove.pk
    deleted = Participant.history.filter(id=remove.pk, history_type="-").get()
    assert deleted.history_user == by
    moved = Enrolment.history.filter(id=enrolments[twins["only"].pk].pk).first()
    assert moved.participant_id == keep.pk and moved.history_user == by


def test_the_preview_lists_exactly_what_will_move_and_changes_nothing(client, login_as, twins):
    keep, remove = twins["keep"], twins["remove"]
    plan = merge_plan(keep, remove)
    assert [step.event for step in plan.moved] == [twins["only"]]
    assert [step.event for step in plan.combined] == [twins["shared"]]
    assert plan.n_attendance == 2 and plan.n_feedback == 2 and plan.n_assessments == 2
    assert [name for name, _label, _value in plan.fields] == ["phone"]
    assert plan.iin and len(plan.consents) == 1
    assert plan.differences == []
    remove.sex = "M"
    assert [str(label) for label in merge_plan(keep, remove).differences] == ["sex"]
    remove.sex = keep.sex

    login_as("coord.mangystau")
    url = reverse("participants:person_merge", args=[keep.pk])
    html = client.get(url, {"other": remove.pk}).content.decode()
    assert "Только у второй" in html and "Общее событие" in html
    assert "1 event moves across" in html
    assert "1 event both records were at is combined" in html
    assert "2 attendance records" in html
    assert "1 session recorded on both: counted once" in html
    assert "kept for the event, unlinked" in html
    assert "fills missing scores of the kept record" in html
    assert "1 consent record" in html
    assert "+7 701 000 0000" in html
    assert f"Merge and remove record #{remove.pk}" in html
    assert Participant.objects.filter(pk=remove.pk).exists()

    # The other direction is one click away.
    html = client.get(url, {"other": remove.pk, "keep": remove.pk}).content.decode()
    assert f"Merge and remove record #{keep.pk}" in html


def test_merging_from_the_page_redirects_to_the_kept_record(client, login_as, twins):
    keep, remove = twins["keep"], twins["remove"]
    login_as("coord.mangystau")
    url = reverse("participants:person_merge", args=[remove.pk])
    response = client.post(url, {"other": keep.pk, "keep": keep.pk}, follow=True)
    assert response.redirect_chain[-1][0] == keep.get_absolute_url()
    assert "The records are merged" in response.content.decode()
    assert not Participant.objects.filter(pk=remove.pk).exists()


def test_the_pick_page_offers_likely_duplicates_and_search(client, login_as, twins):
    keep, remove = twins["keep"], twins["remove"]
    login_as("coord.mangystau")
    url = reverse("participants:person_merge", args=[keep.pk])
    response = client.get(url)
    assert list(response.context["duplicates"]) == [remove]
    response = client.get(url, {"q": "омарова"})
    assert response.context["found"] == [remove]
    # The person page points at the likely duplicate too.
    html = client.get(keep.get_absolute_url()).content.decode()
    assert f"?other={remove.pk}" in html


def test_a_record_cannot_be_merged_with_itself(twins):
    with pytest.raises(ValidationError):
        merge_people(keep=twins["keep"], remove=twins["keep"])


def test_other_regions_coordinator_cannot_merge_mangystau_people(client, login_as, twins):
    keep, remove = twins["keep"], twins["remove"]
    login_as("coord.kyzylorda")
    url = reverse("participants:person_merge", args=[keep.pk])
    assert client.get(url, {"other": remove.pk}).status_code == 404
    assert client.post(url, {"other": remove.pk, "keep": keep.pk}).status_code == 404
    assert Participant.objects.filter(pk=remove.pk).exists()


def test_coordinator_cannot_merge_records_with_events_elsewhere(client, login_as, twins):
    keep, remove = twins["keep"], twins["remove"]
    EnrolmentFactory(participant=remove, event=EventFactory(region=region("KZ-43")))
    login_as("coord.mangystau")
    url = reverse("participants:person_merge", args=[keep.pk])
    response = client.post(url, {"other": remove.pk, "keep": keep.pk})
    assert response.status_code == 200
    assert "Ask programme staff to merge them" in response.content.decode()
    assert Participant.objects.filter(pk=remove.pk).exists()
    login_as("undp.staff")
    assert client.post(url, {"other": remove.pk, "keep": keep.pk}).status_code == 302
    assert not Participant.objects.filter(pk=remove.pk).exists()


def test_an_erased_record_is_neither_edited_nor_merged(client, login_as, twins):
    from participants.privacy import erase_person

    admin = User.objects.get(username="admin")
    erase_person(twins["remove"], admin)
    login_as("undp.staff")
    keep, remove = twins["keep"], twins["remove"]
    edit = client.post(reverse("participants:person_edit", args=[remove.pk]), {"full_name": "X"})
    assert edit.status_code == 302 and edit.url == remove.get_absolute_url()
    url = reverse("participants:person_merge", args=[keep.pk])
    response = client.post(url, {"other": remove.pk, "keep": keep.pk}, follow=True)
    assert "cannot be merged" in response.content.decode()
    assert Participant.objects.filter(pk=remove.pk).exists()
