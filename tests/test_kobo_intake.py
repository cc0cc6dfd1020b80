"""KoboToolbox submissions flowing in: payloads shaped as Kobo's REST Services post them (flat
question paths, groups, a repeat group, an edit resent with the same `_uuid`), the inbox and
its waiting queue, the secret, and a connected form's export through the import."""

from __future__ import annotations

import base64
import json
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Role
from kobo.models import KoboConnection, KoboSubmission
from kobo.services import connect_form
from participants.identity import hash_iin, iin_checksum_ok
from participants.models import Assessment, Feedback, ImportBatch
from tests.factories import EnrolmentFactory, EventFactory, ParticipantFactory, UserFactory
from trainings.models import TrainingEvent

pytestmark = pytest.mark.django_db
Status = KoboSubmission.Status
NAMES = ["Серикова Айгерим", "Ахметов Ерлан", "Незнакомая Персона", "Тест Тестов"]

FEEDBACK_FORM = {
    "full_name": "respondent/full_name",
    "birth_year": "respondent/birth_year",
    "phone": "respondent/phone",
    "satisfaction": "rating/satisfaction",
    "relevance": "rating/relevance",
    "usefulness": "rating/usefulness",
    "intent_to_apply": "rating/intent_to_apply",
    "comments": "rating/comments",
    "consent_to_quote": "rating/may_quote",
    "pre_score": "test/pre_score",
    "post_score": "test/post_score",
}


def valid_iin(start: str = "90010130000") -> str:
    """A 12-digit IIN whose control digit validates (first 11 digits given or nearby)."""
    base = int(start)
    while True:
        for last in range(10):
            iin = f"{base:011d}{last}"
            if iin_checksum_ok(iin):
                return iin
        base += 1


def kobo_meta(uuid: str, **extra) -> dict:
    """The fields KoboToolbox adds to every submission it posts."""
    return {
        "_id": 51830147,
        "_uuid": uuid,
        "_submission_time": "2024-08-15T10:12:03",
        "_submitted_by": "field_team",
        "_xform_id_string": "aXk3Qw8PostTraining",
        "_status": "submitted_via_web",
        "__version__": "vR7pa2QmB",
        "formhub/uuid": "0f6c0e3d1a8b4c1e9d2f3a4b5c6d7e8f",
        "meta/instanceID": f"uuid:{uuid}",
        "start": "2024-08-15T10:05:00.000+05:00",
        "end": "2024-08-15T10:11:40.000+05:00",
        "_attachments": [],
        "_geolocation": [None, None],
        "_tags": [],
        "_notes": [],
        "_validation_status": {},
        **extra,
    }


@pytest.fixture
def staff(db):
    return UserFactory(role=Role.STAFF)


@pytest.fixture
def event(demo):
    return EventFactory()


@pytest.fixture
def person(demo):
    return ParticipantFactory(full_name="Серикова Айгерим", birth_year=1991)


@pytest.fixture
def form(event, staff):
    connection, secret = connect_form(
        name="Post-training survey",
        xform_id="aXk3Qw8PostTraining",
        target=KoboConnection.Target.EVENT,
        event=event,
        questions=FEEDBACK_FORM,
        by=staff,
    )
    connection.secret = secret
    return connection


def post(client, connection, payload, *, secret=None, capture=None, **headers):
    secret = connection.secret if secret is None else secret
    if "HTTP_AUTHORIZATION" not in headers and "HTTP_X_QADAM_SECRET" not in headers:
        headers["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    url = reverse("kobo:intake", args=[connection.slug])
    body = json.dumps(payload)
    with capture(execute=True):
        return client.post(url, body, content_type="application/json", **headers)


def feedback_answers(uuid="3c6f1e9a-7d2b-4b8e-a1f0-5e4d3c2b1a00", **changes):
    answers = {
        "respondent/full_name": "Серикова Айгерим",
        "respondent/birth_year": "1991",
        "respondent/phone": "+7 701 555 1234",
        "rating/satisfaction": "4",
        "rating/relevance": "5",
        "rating/usefulness": "4",
        "rating/intent_to_apply": "3",
        "rating/comments": "Очень полезно",
        "rating/may_quote": "yes",
        "test/pre_score": "45",
        "test/post_score": "80",
    }
    answers.update(changes)
    return kobo_meta(uuid, **answers)


def test_submission_with_groups_lands_as_feedback_and_scores(
    client, form, event, person, django_capture_on_commit_callbacks
):
    response = post(client, form, feedback_answers(), capture=django_capture_on_commit_callbacks)

    assert response.status_code == 201
    submission = KoboSubmission.objects.get()
    assert submission.status == Status.APPLIED, submission.reason
    feedback = Feedback.objects.get(event=event, enrolment__participant=person)
    assert (feedback.satisfaction, feedback.relevance, feedback.usefulness) == (4, 5, 4)
    assert feedback.intent_to_apply == 3
    assert feedback.comments == "Очень полезно" and feedback.consent_to_quote
    scores = Assessment.objects.get(enrolment__participant=person, enrolment__event=event)
    assert (scores.pre_score, scores.post_score) == (Decimal("45"), Decimal("80"))
    assert submission.applied["rows"][0]["feedback"] == feedback.pk
    # Applied: the registry holds who the person is; the inbox keeps no second copy.
    assert "Серикова" not in json.dumps(submission.payload, ensure_ascii=False)
    assert submission.payload["rating/comments"] == "Очень полезно"


def test_an_edit_resent_with_the_same_uuid_replaces_the_values_once(
    client, form, event, person, django_capture_on_commit_callbacks
):
    first = feedback_answers()
    post(client, form, first, capture=django_capture_on_commit_callbacks)
    edited = feedback_answers(**{"rating/satisfaction": "2", "test/post_score": "92.5"})
    edited["meta/instanceID"] = "uuid:9d8c7b6a-5f4e-4d3c-8b2a-190817161514"
    edited["meta/deprecatedID"] = first["meta/instanceID"]

    response = post(client, form, edited, capture=django_capture_on_commit_callbacks)
    assert response.status_code == 200
    response = post(client, form, edited, capture=django_capture_on_commit_callbacks)  # resent

    submission = KoboSubmission.objects.get()
    assert submission.status == Status.APPLIED and submission.versions == 3
    assert Feedback.objects.filter(event=event).count() == 1
    assert Feedback.objects.get(event=event).satisfaction == 2
    assert Assessment.objects.filter(enrolment__event=event).count() == 1
    assert Assessment.objects.get(enrolment__event=event).post_score == Decimal("92.5")
    assert event.enrolments.count() == 1


def test_an_edit_naming_another_person_moves_the_answers(
    client, form, event, person, django_capture_on_commit_callbacks
):
    other = ParticipantFactory(full_name="Ахметов Ерлан", birth_year=1985)
    post(client, form, feedback_answers(), capture=django_capture_on_commit_callbacks)
    edited = feedback_answers(
        **{"respondent/full_name": "Ахметов Ерлан", "respondent/birth_year": "1985"}
    )
    post(client, form, edited, capture=django_capture_on_commit_callbacks)

    assert list(
        Feedback.objects.filter(event=event).values_list("enrolment__participant", flat=True)
    ) == [other.pk]
    assert not Assessment.objects.filter(enrolment__participant=person).exists()


def test_a_repeat_group_lists_each_persons_scores_for_the_event_by_code(
    client, staff, event, demo, django_capture_on_commit_callbacks
):
    people = [
        ParticipantFactory(full_name="Нурланова Дана", birth_year=1988),
        ParticipantFactory(full_name="Касымов Бауыржан", birth_year=1979),
    ]
    connection, secret = connect_form(
        name="Facilitator's score sheet",
        target=KoboConnection.Target.EVENT_CODE,
        questions={
            "event_code": "session_info/event_code",
            "full_name": "participants/participant_name",
            "birth_year": "participants/participant_year",
            "pre_score": "participants/pre",
            "post_score": "participants/post",
        },
        by=staff,
    )
    connection.secret = secret
    payload = kobo_meta(
        "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
        **{
            "session_info/event_code": str(event.pk),
            "session_info/facilitator": "Ж. Оспанова",
            "participants_count": "2",
            "participants": [
                {
                    "participants/participant_name": "Нурланова Дана",
                    "participants/participant_year": "1988",
                    "participants/pre": "30",
                    "participants/post": "70",
                },
                {
                    "participants/participant_name": "Касымов Бауыржан",
                    "participants/participant_year": "1979",
                    "participants/pre": "55,5",
                    "participants/post": "90",
                },
            ],
        },
    )

    post(client, connection, payload, capture=django_capture_on_commit_callbacks)

    submission = KoboSubmission.objects.get()
    assert submission.status == Status.APPLIED, submission.reason
    scores = {
        a.enrolment.participant_id: (a.pre_score, a.post_score)
        for a in Assessment.objects.filter(enrolment__event=event).select_related("enrolment")
    }
    assert scores == {
        people[0].pk: (Decimal("30"), Decimal("70")),
        people[1].pk: (Decimal("55.5"), Decimal("90")),
    }


def test_iin_identifies_the_person_and_is_not_kept_in_the_inbox(
    client, staff, event, demo, django_capture_on_commit_callbacks
):
    iin = valid_iin()
    person = ParticipantFactory(full_name="Омарова Салтанат", iin_hash=hash_iin(iin))
    connection, secret = connect_form(
        name="IIN survey",
        target=KoboConnection.Target.EVENT,
        event=event,
        questions={"iin": "who/iin", "pre_score": "pre", "post_score": "post"},
        by=staff,
    )
    connection.secret = secret
    payload = kobo_meta(
        "11111111-2222-4333-8444-555555555555", **{"who/iin": iin, "pre": "20", "post": "60"}
    )

    post(client, connection, payload, capture=django_capture_on_commit_callbacks)

    submission = KoboSubmission.objects.get()
    assert submission.status == Status.APPLIED, submission.reason
    assert Assessment.objects.get(enrolment__participant=person).post_score == 60
    assert iin not in json.dumps(submission.payload)


@pytest.mark.parametrize(
    "headers",
    [
        {"HTTP_AUTHORIZATION": "Bearer not-the-secret"},
        {"HTTP_AUTHORIZATION": "Bearer "},
        {"HTTP_X_QADAM_SECRET": "not-the-secret"},
        {"HTTP_AUTHORIZATION": "Basic " + base64.b64encode(b"kobo:wrong").decode()},
    ],
)
def test_a_wrong_secret_is_refused_and_nothing_is_stored(
    client, form, person, headers, django_capture_on_commit_callbacks
):
    response = post(
        client, form, feedback_answers(), capture=django_capture_on_commit_callbacks, **headers
    )
    assert response.status_code == 401
    assert (
        not KoboSubmission.objects.exists()
        and not Feedback.objects.filter(enrolment__participant__full_name__in=NAMES).exists()
    )


def test_the_secret_as_a_custom_header_or_basic_auth_is_accepted(
    client, form, person, django_capture_on_commit_callbacks
):
    header = post(
        client,
        form,
        feedback_answers("a-1"),
        capture=django_capture_on_commit_callbacks,
        HTTP_X_QADAM_SECRET=form.secret,
    )
    basic = base64.b64encode(f"kobo:{form.secret}".encode()).decode()
    auth = post(
        client,
        form,
        feedback_answers("a-2"),
        capture=django_capture_on_commit_callbacks,
        HTTP_AUTHORIZATION=f"Basic {basic}",
    )
    assert (header.status_code, auth.status_code) == (201, 201)
    # Only the secret's fingerprint is stored.
    stored = KoboConnection.objects.filter(pk=form.pk).values().get()
    assert form.secret not in json.dumps(stored, default=str)


def test_an_unknown_form_address_answers_as_a_wrong_secret(client, form):
    url = reverse("kobo:intake", args=["0000000000000000"])
    response = client.post(
        url, "{}", content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {form.secret}"
    )
    assert response.status_code == 401


def test_not_json_too_large_and_another_form_are_refused(client, form, settings):
    url = reverse("kobo:intake", args=[form.slug])
    auth = {"HTTP_AUTHORIZATION": f"Bearer {form.secret}"}
    assert (
        client.post(
            url, "a=1", content_type="application/x-www-form-urlencoded", **auth
        ).status_code
        == 415
    )
    assert client.post(url, "{not json", content_type="application/json", **auth).status_code == 400
    other = json.dumps(kobo_meta("b-1", _xform_id_string="anotherForm"))
    assert client.post(url, other, content_type="application/json", **auth).status_code == 400
    settings.KOBO_MAX_BYTES = 100
    big = json.dumps(kobo_meta("b-2", comments="x" * 200))
    assert client.post(url, big, content_type="application/json", **auth).status_code == 413
    assert not KoboSubmission.objects.exists()


def test_a_flood_is_answered_429(client, form, settings, django_capture_on_commit_callbacks):
    settings.KOBO_RATE_LIMIT = 2
    codes = [
        post(
            client, form, kobo_meta(f"f-{n}"), capture=django_capture_on_commit_callbacks
        ).status_code
        for n in range(4)
    ]
    assert codes[:2] == [201, 201] and codes[2:] == [429, 429]


def test_an_unknown_person_waits_then_staff_choose_the_person(
    client, form, event, login_as, staff, demo, django_capture_on_commit_callbacks
):
    post(
        client,
        form,
        feedback_answers(**{"respondent/full_name": "Незнакомая Персона"}),
        capture=django_capture_on_commit_callbacks,
    )
    submission = KoboSubmission.objects.get()
    assert submission.status == Status.WAITING
    assert "Незнакомая Персона (1991)" in submission.reason
    assert not Feedback.objects.filter(enrolment__participant__full_name__in=NAMES).exists()

    someone = ParticipantFactory(full_name="Незнакомая-Персона Т.", birth_year=1992)
    login_as(staff)
    page = client.get(reverse("kobo:waiting"))
    assert "Незнакомая Персона (1991)" in page.content.decode()
    response = client.post(
        reverse("kobo:submission", args=[submission.pk]), {"person_number": someone.pk}
    )
    assert response.status_code == 302
    submission.refresh_from_db()
    assert submission.status == Status.APPLIED, submission.reason
    assert Feedback.objects.get(event=event).enrolment.participant == someone


def test_an_unknown_event_code_waits_then_staff_choose_the_event(
    client, staff, login_as, person, demo, django_capture_on_commit_callbacks
):
    event = EventFactory()
    connection, secret = connect_form(
        name="Survey by code",
        target=KoboConnection.Target.EVENT_CODE,
        questions={**FEEDBACK_FORM, "event_code": "event/code"},
        by=staff,
    )
    connection.secret = secret
    payload = feedback_answers(**{"event/code": "999999"})
    post(client, connection, payload, capture=django_capture_on_commit_callbacks)
    submission = KoboSubmission.objects.get()
    assert submission.status == Status.WAITING
    assert "999999" in submission.reason

    login_as(staff)
    client.post(reverse("kobo:submission", args=[submission.pk]), {"event_number": event.pk})
    submission.refresh_from_db()
    assert submission.status == Status.APPLIED
    assert Feedback.objects.get(enrolment__participant=person).event == event


def test_a_value_out_of_range_waits_with_the_question_named(
    client, form, person, django_capture_on_commit_callbacks
):
    post(
        client,
        form,
        feedback_answers(**{"rating/satisfaction": "7"}),
        capture=django_capture_on_commit_callbacks,
    )
    submission = KoboSubmission.objects.get()
    assert submission.status == Status.WAITING
    assert "rating/satisfaction" in submission.reason
    assert (
        not Feedback.objects.filter(enrolment__participant__full_name__in=NAMES).exists()
        and not Assessment.objects.filter(enrolment__participant__full_name__in=NAMES).exists()
    )


def test_a_reported_event_is_not_changed_the_submission_waits_with_the_lock(
    client, form, event, person, login_as, staff, django_capture_on_commit_callbacks
):
    TrainingEvent.objects.filter(pk=event.pk).update(status=TrainingEvent.Status.REPORTED)

    post(client, form, feedback_answers(), capture=django_capture_on_commit_callbacks)

    submission = KoboSubmission.objects.get()
    assert submission.status == Status.WAITING
    assert "reported and locked" in submission.reason
    assert not Feedback.objects.filter(enrolment__participant__full_name__in=NAMES).exists()
    # Unlocked by staff, applying it again writes it.
    TrainingEvent.objects.filter(pk=event.pk).update(status=TrainingEvent.Status.HELD)
    login_as(staff)
    client.post(reverse("kobo:submission_apply", args=[submission.pk]))
    submission.refresh_from_db()
    assert submission.status == Status.APPLIED
    assert Feedback.objects.filter(event=event).count() == 1


def test_discarded_submission_leaves_the_queue(
    client, form, login_as, staff, demo, django_capture_on_commit_callbacks
):
    post(
        client,
        form,
        feedback_answers(**{"respondent/full_name": "Тест Тестов"}),
        capture=django_capture_on_commit_callbacks,
    )
    submission = KoboSubmission.objects.get()
    login_as(staff)
    client.post(reverse("kobo:submission_discard", args=[submission.pk]))
    submission.refresh_from_db()
    assert submission.status == Status.DISCARDED and submission.payload == {}
    assert "Тест Тестов" not in client.get(reverse("kobo:waiting")).content.decode()


def test_staff_connect_a_form_and_see_the_secret_once(client, login_as, staff, event):
    login_as(staff)
    data = {
        "name": "Survey after the camp",
        "xform_id": "aXk3Qw8PostTraining",
        "target": "event",
        "event_number": event.pk,
        **{f"q_{key}": path for key, path in FEEDBACK_FORM.items()},
    }
    response = client.post(reverse("kobo:connection_new"), data)
    assert response.status_code == 200
    connection = KoboConnection.objects.get()
    page = response.content.decode()
    assert reverse("kobo:intake", args=[connection.slug]) in page
    secret = page.split("data-secret>")[1].split("<")[0]
    assert len(secret) > 30 and connection.secret_prefix == secret[:8]
    assert connection.questions["satisfaction"] == "rating/satisfaction"
    # The form's page shows the address and the start of the secret, never the secret again.
    detail = client.get(connection.get_absolute_url()).content.decode()
    assert reverse("kobo:intake", args=[connection.slug]) in detail
    assert secret not in detail


def test_the_form_page_previews_the_last_ten_submissions(
    client, form, login_as, staff, demo, django_capture_on_commit_callbacks
):
    for n in range(12):
        post(client, form, kobo_meta(f"uuid-{n:02d}"), capture=django_capture_on_commit_callbacks)
    login_as(staff)
    page = client.get(form.get_absolute_url()).content.decode()
    assert "uuid-11" in page and "uuid-02" in page and "uuid-01" not in page
    assert "none of the mapped questions" in page


def test_coordinators_cannot_see_the_kobo_pages(client, login_as, form, demo):
    login_as("coord.mangystau")
    assert client.get(reverse("kobo:connections")).status_code == 403
    assert client.get(form.get_absolute_url()).status_code == 403


# The export through the import ---------------------------------------------------------------
def upload_export(client, event, connection, csv_text: str):
    sheet = SimpleUploadedFile("aXk3Qw8PostTraining_2024_08_16.csv", csv_text.encode("utf-8"))
    return client.post(
        reverse("imports:upload", args=[event.pk]),
        {"file": sheet, "columns": f"kobo:{connection.pk}"},
        follow=True,
    )


EXPORT_HEADER = (
    "start;end;respondent/full_name;respondent/birth_year;respondent/phone;rating/satisfaction;"
    "rating/relevance;rating/usefulness;rating/intent_to_apply;rating/comments;rating/may_quote;"
    "test/pre_score;test/post_score;_id;_uuid;_submission_time;_index\n"
)


def test_a_kobo_export_is_imported_with_the_forms_mapping(
    client, form, event, person, login_as, staff
):
    second = ParticipantFactory(full_name="Ахметов Ерлан", birth_year=1985)
    rows = (
        "2024-08-15;2024-08-15;Серикова Айгерим;1991;;4;5;4;3;Хорошо;yes;45;80;1;u-1;2024-08-15;1\n"
        "2024-08-15;2024-08-15;Ахметов Ерлан;1985;;5;5;5;5;;no;50;85;2;u-2;2024-08-15;2\n"
    )
    login_as(staff)
    response = upload_export(client, event, form, EXPORT_HEADER + rows)
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.PREVIEW, batch.errors
    assert batch.columns == f"kobo:{form.pk}"
    client.post(reverse("imports:batch_confirm", args=[batch.pk]), follow=True)
    batch.refresh_from_db()
    assert batch.status == ImportBatch.Status.DONE
    assert Feedback.objects.get(enrolment__participant=person).comments == "Хорошо"
    assert Assessment.objects.get(enrolment__participant=second).post_score == 85
    assert response.status_code == 200


def test_a_bad_row_of_an_export_is_reported_and_nothing_is_written(
    client, form, event, person, login_as, staff
):
    rows = (
        "2024-08-15;2024-08-15;Серикова Айгерим;1991;;4;5;4;3;;yes;45;80;1;u-1;2024-08-15;1\n"
        "2024-08-15;2024-08-15;Ахметов Ерлан;1985;;9;5;5;5;;no;50;85;2;u-2;2024-08-15;2\n"
    )
    login_as(staff)
    upload_export(client, event, form, EXPORT_HEADER + rows)
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.INVALID
    assert any(e["row"] == 3 and "rating/satisfaction" in e["column"] for e in batch.errors)
    assert client.post(reverse("imports:batch_confirm", args=[batch.pk])).status_code in (302, 200)
    assert (
        not Feedback.objects.filter(enrolment__participant__full_name__in=NAMES).exists()
        and not Assessment.objects.filter(enrolment__participant__full_name__in=NAMES).exists()
    )


def test_existing_enrolment_is_reused(
    client, form, event, person, django_capture_on_commit_callbacks
):
    EnrolmentFactory(event=event, participant=person)
    post(client, form, feedback_answers(), capture=django_capture_on_commit_callbacks)
    assert event.enrolments.count() == 1
    assert Feedback.objects.get(event=event).enrolment.participant == person


def test_the_inbox_row_is_written_first_and_applied_after_the_commit(
    client, form, event, person, django_capture_on_commit_callbacks
):
    url = reverse("kobo:intake", args=[form.slug])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            url,
            json.dumps(feedback_answers()),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {form.secret}",
        )
    assert response.status_code == 201
    assert KoboSubmission.objects.get().status == Status.RECEIVED
    assert not Feedback.objects.filter(event=event).exists()
    for callback in callbacks:  # the task, sent once the request's transaction committed
        callback()
    assert KoboSubmission.objects.get().status == Status.APPLIED
    assert Feedback.objects.filter(event=event).count() == 1


def test_a_kobo_xlsx_export_with_question_names_only_is_read_too(
    client, form, event, person, login_as, staff
):
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "Post-training survey"
    names = ["start", "full_name", "birth_year", "satisfaction", "relevance", "usefulness"]
    names += ["intent_to_apply", "pre_score", "post_score", "_uuid"]
    sheet.append(names)
    sheet.append(["2024-08-15", "Серикова Айгерим", 1991, 5, 4, 4, 5, 35, 75, "u-1"])
    data = io.BytesIO()
    book.save(data)
    login_as(staff)
    upload = SimpleUploadedFile("export.xlsx", data.getvalue())
    client.post(
        reverse("imports:upload", args=[event.pk]),
        {"file": upload, "columns": f"kobo:{form.pk}"},
    )
    batch = ImportBatch.objects.get()
    assert batch.status == ImportBatch.Status.PREVIEW, batch.errors
    client.post(reverse("imports:batch_confirm", args=[batch.pk]))
    assert Assessment.objects.get(enrolment__participant=person).pre_score == 35


def test_the_upload_page_offers_the_connected_forms_and_staff_find_the_kobo_pages(
    client, form, event, login_as, staff
):
    login_as("coord.mangystau")
    upload_page = client.get(reverse("imports:upload", args=[event.pk])).content.decode()
    assert "Kobo export: Post-training survey" in upload_page
    assert reverse("kobo:connections") not in client.get(reverse("imports:home")).content.decode()
    login_as(staff)
    assert reverse("kobo:connections") in client.get(reverse("imports:home")).content.decode()


def test_a_submission_whose_task_was_never_sent_is_applied_by_the_recovery(form, event, person):
    from datetime import timedelta

    from django.utils import timezone

    from kobo.services import send_received

    submission = KoboSubmission.objects.create(
        connection=form, uuid="lost-1", payload=feedback_answers("lost-1")
    )
    assert send_received() == 0  # just received: its own task may still come
    later = timezone.now() + timedelta(minutes=5)
    assert send_received(now=later) == 1
    submission.refresh_from_db()
    assert submission.status == Status.APPLIED
    assert send_received(now=later) == 0
