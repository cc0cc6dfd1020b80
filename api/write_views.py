"""The writes of /api/v1/: events, sessions, enrolments, attendance, feedback and scores.

One rule set with the pages (docs/decisions/0022):
- the object is reached through the same scoped selector (outside the Scope: 404), a parent
  named in the body too (`event`, `enrolment`, ...);
- writing needs `scope.can_edit` (viewers: 403), and people's data `can_see_people`;
- a locked event or quarter is refused with the page's reason, as 409 {"detail": reason}
  (`trainings.selectors.edit_refusal` / `event_lock_reason` / `quarter_lock_reason`);
- the input is checked by the page's form (or the model's full_clean in the service), so a
  refused value gets the page's message, as 400 {"field": ["message"]};
- the write is the page's service, run with the token's user: simple-history's middleware
  reads the request's user, which DRF sets when it authenticates the token, and the services'
  own audit rows are given `by=` and `request=` as the pages give them.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.forms.models import model_to_dict
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import exceptions, status
from rest_framework.response import Response

from participants.feedback_forms import PaperFeedbackForm, ScoreRowForm
from participants.feedback_services import save_scores
from participants.models import Assessment, Attendance, Enrolment, Feedback
from participants.selectors import enrolments_visible, people_visible
from participants.services import enrol, record_attendance, record_feedback, unenrol
from trainings import services as trainings_services
from trainings.forms import EventForm, SessionForm
from trainings.selectors import (
    edit_refusal,
    event_lock_reason,
    events_visible,
    quarter_lock_reason,
    sessions_visible,
)

from . import idempotency, views
from . import write_serializers as bodies

NON_FIELD = "non_field_errors"
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    name="Idempotency-Key",
    location=OpenApiParameter.HEADER,
    required=False,
    description="Any unique string (a UUID): a create retried with the same key answers the "
    "first response again instead of making a second record.",
)


class Locked(exceptions.APIException):
    """The event (or its quarter) is locked for this user: the page's reason."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "locked"


# Input and errors as the pages' forms have them ---------------------------------------------
def form_data(data) -> dict:
    """A JSON body as form data: numbers, booleans and dates as the text a browser posts, lists
    (many-to-many ids) as lists, null as empty. A value of the wrong shape then gets the form's
    own message, never a server error."""
    items = data.lists() if hasattr(data, "lists") else getattr(data, "items", lambda: [])()
    out: dict = {}
    for name, value in items:
        if hasattr(data, "lists") and len(value) == 1:
            value = value[0]
        if isinstance(value, list | tuple):
            # Many-to-many values of a record (model_to_dict) are records: their ids.
            out[name] = [_text(getattr(v, "pk", v)) for v in value]
        else:
            out[name] = _text(value)
    return out


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _body(request) -> dict:
    if not isinstance(request.data, dict):
        raise exceptions.ValidationError({NON_FIELD: [_("Send a JSON object.")]})
    return form_data(request.data)


def _form_errors(form) -> exceptions.ValidationError:
    return exceptions.ValidationError(
        {NON_FIELD if name == "__all__" else name: list(msgs) for name, msgs in form.errors.items()}
    )


def _service_errors(error: DjangoValidationError) -> exceptions.ValidationError:
    if hasattr(error, "error_dict"):
        return exceptions.ValidationError(
            {NON_FIELD if k == "__all__" else k: v for k, v in error.message_dict.items()}
        )
    return exceptions.ValidationError({NON_FIELD: error.messages})


def _id(body: dict, name: str) -> int:
    """The id of a record named in the body, or a 400 saying the field needs one."""
    value = body.get(name, "")
    if not value:
        raise exceptions.ValidationError({name: [_("This field is required.")]})
    if not value.isdigit() or len(value) > 18:
        raise exceptions.ValidationError({name: [_("Give the id of a record (a number).")]})
    return int(value)


def _refuse_if_locked(scope, event) -> None:
    """403 for a user who may not change the event at all; 409 with the page's reason when
    the event or its quarter is locked for them."""
    if not (scope.can_edit and scope.covers_region(event.region_id)):
        raise exceptions.PermissionDenied(edit_refusal(scope, event))
    reason = event_lock_reason(scope, event)
    if reason:
        raise Locked(reason)


def _quarter_refusal(scope, fields: dict) -> None:
    """An event created in, or moved into, an approved region-quarter (as the event form)."""
    reason = quarter_lock_reason(
        scope,
        programme_id=getattr(fields.get("programme"), "pk", None),
        region_id=getattr(fields.get("region"), "pk", None),
        day=fields.get("end_date"),
    )
    if reason:
        raise Locked(reason)


REFUSALS = {
    400: bodies.FieldErrorsSerializer,
    403: bodies.RefusalSerializer,
    404: bodies.RefusalSerializer,
    409: bodies.RefusalSerializer,
}


def _responses(ok_status: int, serializer) -> dict:
    created = {422: bodies.RefusalSerializer} if ok_status == 201 else {}  # Idempotency-Key
    return {ok_status: serializer, **REFUSALS, **created}


class WriteMixin:
    # Shared steps of the write viewsets: rights, answering with the read serializer,
    # Idempotency-Key on creates. (No docstring: the schema describes each resource by the
    # read viewset's.)

    def require_writer(self, *, people: bool = False) -> None:
        scope = self.scope
        if not scope.can_edit or (people and not scope.can_see_people):
            raise exceptions.PermissionDenied(_("Your role may not change data."))

    def answer(self, instance, status_code=status.HTTP_200_OK) -> Response:
        serializer = self.get_serializer_class()(instance, context=self.get_serializer_context())
        return Response(serializer.data, status=status_code)

    def create(self, request, *args, **kwargs):
        self.require_writer(people=getattr(self, "writes_people", False))
        return idempotency.replay_or_run(request, lambda: self.perform_write_create(request))

    def perform_write_create(self, request) -> Response:
        raise NotImplementedError


# Events -----------------------------------------------------------------------------------
@extend_schema_view(
    create=extend_schema(
        description=(
            "Create an event (checked as the event form: dates, region in scope, "
            "district in the region, approved quarter)."
        ),
        request=bodies.EventWriteSerializer,
        responses=_responses(201, views.serializers.EventSerializer),
        parameters=[IDEMPOTENCY_PARAMETER],
    ),
    partial_update=extend_schema(
        description=(
            "Change some of an event's fields (the others stay). Locked events: 409 with "
            "the reason."
        ),
        request=bodies.EventWriteSerializer,
        responses=_responses(200, views.serializers.EventSerializer),
    ),
    destroy=extend_schema(
        description="Delete a planned event without attendance (else 409 with the reason).",
        responses={204: None, **REFUSALS},
    ),
)
class EventWriteViewSet(WriteMixin, views.EventViewSet):
    # Events: create (POST), change (PATCH) and delete a planned event without attendance
    # (DELETE), as on the event pages.

    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def perform_write_create(self, request):
        scope = self.scope
        form = EventForm(_body(request), scope=scope)
        if not form.is_valid():
            raise _form_errors(form)
        _quarter_refusal(scope, form.event_fields())
        try:
            event = trainings_services.create_event(created_by=request.user, **form.event_fields())
        except DjangoValidationError as error:
            raise _service_errors(error) from error
        return self.answer(event, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        event = self.get_object()
        self.require_writer()
        _refuse_if_locked(self.scope, event)
        data = form_data(model_to_dict(event, fields=EventForm.Meta.fields))
        data.update(_body(request))
        form = EventForm(data, instance=event, scope=self.scope)
        if not form.is_valid():
            raise _form_errors(form)
        _quarter_refusal(self.scope, form.event_fields())
        try:
            trainings_services.update_event(event=event, **form.event_fields())
        except DjangoValidationError as error:
            raise _service_errors(error) from error
        return self.answer(self.get_queryset().get(pk=event.pk))

    def destroy(self, request, *args, **kwargs):
        event = self.get_object()
        self.require_writer()
        _refuse_if_locked(self.scope, event)
        try:
            trainings_services.delete_event(event=event, by=request.user, request=request._request)
        except DjangoValidationError as error:
            # Held or reported, or attendance recorded: the page's reason, as a conflict.
            raise Locked(" ".join(error.messages)) from error
        return Response(status=status.HTTP_204_NO_CONTENT)


# Sessions ---------------------------------------------------------------------------------
@extend_schema_view(
    create=extend_schema(
        description="Add a session to an event (its date within the event's dates).",
        request=bodies.SessionWriteSerializer,
        responses=_responses(201, views.serializers.SessionSerializer),
        parameters=[IDEMPOTENCY_PARAMETER],
    ),
    partial_update=extend_schema(
        description="Change a session's date, title or times.",
        request=bodies.SessionUpdateSerializer,
        responses=_responses(200, views.serializers.SessionSerializer),
    ),
    destroy=extend_schema(
        description="Delete a session with the attendance recorded at it.",
        responses={204: None, **REFUSALS},
    ),
)
class SessionWriteViewSet(WriteMixin, views.SessionViewSet):
    # Sessions of an event: add, change, delete (with the attendance recorded at it).

    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def perform_write_create(self, request):
        body = _body(request)
        event = get_object_or_404(events_visible(self.scope), pk=_id(body, "event"))
        _refuse_if_locked(self.scope, event)
        form = SessionForm(body, event=event)
        if not form.is_valid():
            raise _form_errors(form)
        try:
            session = trainings_services.add_session(event=event, **form.session_fields())
        except DjangoValidationError as error:
            raise _service_errors(error) from error
        return self.answer(session, status.HTTP_201_CREATED)

    def get_object(self):
        return get_object_or_404(
            sessions_visible(self.scope).select_related("event", "event__region"),
            pk=self.kwargs["pk"],
        )

    def partial_update(self, request, *args, **kwargs):
        session = self.get_object()
        self.require_writer()
        _refuse_if_locked(self.scope, session.event)
        data = form_data(model_to_dict(session, fields=SessionForm.Meta.fields))
        data.update(_body(request))
        data.pop("event", None)  # a session stays with its event
        form = SessionForm(data, instance=session, event=session.event)
        if not form.is_valid():
            raise _form_errors(form)
        try:
            trainings_services.update_session(
                session=session, by=request.user, request=request._request, **form.session_fields()
            )
        except DjangoValidationError as error:
            raise _service_errors(error) from error
        return self.answer(session)

    def destroy(self, request, *args, **kwargs):
        session = self.get_object()
        self.require_writer()
        _refuse_if_locked(self.scope, session.event)
        trainings_services.delete_session(session=session)
        return Response(status=status.HTTP_204_NO_CONTENT)


# Enrolments -------------------------------------------------------------------------------
@extend_schema_view(
    create=extend_schema(
        description="Put a person on an event's roster.",
        request=bodies.EnrolmentWriteSerializer,
        responses=_responses(201, views.serializers.EnrolmentSerializer),
        parameters=[IDEMPOTENCY_PARAMETER],
    ),
    destroy=extend_schema(
        description=(
            "Take a person off the roster: their attendance there goes too, their "
            "feedback stays, unlinked."
        ),
        responses={204: None, **REFUSALS},
    ),
)
class EnrolmentWriteViewSet(WriteMixin, views.EnrolmentViewSet):
    # The roster: put a person on an event's roster (POST), take them off (DELETE: their
    # attendance there goes too, their feedback stays with the event, unlinked).

    http_method_names = ["get", "post", "delete", "head", "options"]
    writes_people = True

    def perform_write_create(self, request):
        body = _body(request)
        event = get_object_or_404(events_visible(self.scope), pk=_id(body, "event"))
        person = get_object_or_404(people_visible(self.scope), pk=_id(body, "participant"))
        _refuse_if_locked(self.scope, event)
        try:
            enrolment = enrol(person=person, event=event)
        except DjangoValidationError as error:
            raise _service_errors(error) from error
        return self.answer(enrolment, status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        enrolment = get_object_or_404(
            enrolments_visible(self.scope).select_related("event"), pk=self.kwargs["pk"]
        )
        self.require_writer(people=True)
        _refuse_if_locked(self.scope, enrolment.event)
        unenrol(enrolment=enrolment, by=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


# Attendance -------------------------------------------------------------------------------
@extend_schema_view(
    create=extend_schema(
        description=(
            "Mark a person on the roster present at a session (present already is not an error)."
        ),
        request=bodies.AttendanceWriteSerializer,
        responses=_responses(201, views.serializers.AttendanceSerializer),
        parameters=[IDEMPOTENCY_PARAMETER],
    ),
    destroy=extend_schema(
        description="Mark them absent (the attendance record goes).",
        responses={204: None, **REFUSALS},
    ),
)
class AttendanceWriteViewSet(WriteMixin, views.AttendanceViewSet):
    # Presence: mark a person on the roster present at a session (POST; present already is
    # not an error), or absent (DELETE).

    http_method_names = ["get", "post", "delete", "head", "options"]
    writes_people = True

    def perform_write_create(self, request):
        body = _body(request)
        session = get_object_or_404(
            sessions_visible(self.scope).select_related("event", "event__region"),
            pk=_id(body, "session"),
        )
        enrolment = get_object_or_404(
            enrolments_visible(self.scope).filter(event=session.event_id),
            pk=_id(body, "enrolment"),
        )
        _refuse_if_locked(self.scope, session.event)
        record_attendance(
            enrolment=enrolment,
            session=session,
            present=True,
            by=request.user,
            request=request._request,
        )
        attendance = Attendance.objects.get(enrolment=enrolment, session=session)
        return self.answer(attendance, status.HTTP_201_CREATED)

    def destroy(self, request, *args, **kwargs):
        attendance = get_object_or_404(
            self.get_queryset().select_related("session__event__region"), pk=self.kwargs["pk"]
        )
        self.require_writer(people=True)
        _refuse_if_locked(self.scope, attendance.session.event)
        record_attendance(
            enrolment=attendance.enrolment,
            session=attendance.session,
            present=False,
            by=request.user,
            request=request._request,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


# Feedback ---------------------------------------------------------------------------------
@extend_schema_view(
    create=extend_schema(
        description="Type in one paper feedback form.",
        request=bodies.FeedbackWriteSerializer,
        responses=_responses(201, views.serializers.FeedbackSerializer),
        parameters=[IDEMPOTENCY_PARAMETER],
    ),
)
class FeedbackWriteViewSet(WriteMixin, views.FeedbackViewSet):
    # Type in a paper feedback form (POST), as on the event's feedback entry page.

    http_method_names = ["get", "post", "head", "options"]
    writes_people = True

    def perform_write_create(self, request):
        body = _body(request)
        event = get_object_or_404(events_visible(self.scope), pk=_id(body, "event"))
        _refuse_if_locked(self.scope, event)
        form = PaperFeedbackForm(body, event=event)
        if not form.is_valid():
            raise _form_errors(form)
        try:
            feedback = record_feedback(event=event, source=Feedback.Source.PAPER, **form.answers())
        except DjangoValidationError as error:
            raise _service_errors(error) from error
        return self.answer(feedback, status.HTTP_201_CREATED)


# Assessments (pre/post test scores) -------------------------------------------------------
@extend_schema_view(
    create=extend_schema(
        description="Record a person's pre/post test scores for an event (0-100).",
        request=bodies.AssessmentWriteSerializer,
        responses=_responses(201, views.serializers.AssessmentSerializer),
        parameters=[IDEMPOTENCY_PARAMETER],
    ),
    partial_update=extend_schema(
        description="Change the scores.",
        request=bodies.ScoresSerializer,
        responses=_responses(200, views.serializers.AssessmentSerializer),
    ),
    destroy=extend_schema(description="Remove the scores.", responses={204: None, **REFUSALS}),
)
class AssessmentWriteViewSet(WriteMixin, views.AssessmentViewSet):
    # Pre/post test scores, one record per person and event, checked as on the scores page
    # (0 to 100, a decimal comma accepted); both empty is refused (DELETE removes the record).

    http_method_names = ["get", "post", "patch", "delete", "head", "options"]
    writes_people = True

    def _scores(self, body: dict, enrolment: Enrolment, current=None):
        data = {"enrolment": str(enrolment.pk)}
        if current is not None:
            data.update(
                form_data({"pre_score": current.pre_score, "post_score": current.post_score})
            )
        data.update({k: v for k, v in body.items() if k in ("pre_score", "post_score")})
        form = ScoreRowForm(data)
        if not form.is_valid():
            raise _form_errors(form)
        pre, post = form.cleaned_data.get("pre_score"), form.cleaned_data.get("post_score")
        if pre is None and post is None:
            raise exceptions.ValidationError(
                {NON_FIELD: [_("Give a score before or after the training (or both).")]}
            )
        return pre, post

    def _save(self, enrolment: Enrolment, pre, post) -> Assessment:
        with transaction.atomic():
            try:
                save_scores([(enrolment, pre, post)])
            except DjangoValidationError as error:
                raise _service_errors(error) from error
        return self.get_queryset().get(enrolment=enrolment)

    def perform_write_create(self, request):
        body = _body(request)
        enrolment = get_object_or_404(
            enrolments_visible(self.scope).select_related("event", "event__region"),
            pk=_id(body, "enrolment"),
        )
        _refuse_if_locked(self.scope, enrolment.event)
        if Assessment.objects.filter(enrolment=enrolment).exists():
            raise exceptions.ValidationError(
                {"enrolment": [_("This person's scores are recorded already: change them.")]}
            )
        pre, post = self._scores(body, enrolment)
        return self.answer(self._save(enrolment, pre, post), status.HTTP_201_CREATED)

    def _assessment(self) -> Assessment:
        return get_object_or_404(
            self.get_queryset().select_related("enrolment__event__region"), pk=self.kwargs["pk"]
        )

    def partial_update(self, request, *args, **kwargs):
        assessment = self._assessment()
        self.require_writer(people=True)
        _refuse_if_locked(self.scope, assessment.enrolment.event)
        pre, post = self._scores(_body(request), assessment.enrolment, assessment)
        return self.answer(self._save(assessment.enrolment, pre, post))

    def destroy(self, request, *args, **kwargs):
        assessment = self._assessment()
        self.require_writer(people=True)
        _refuse_if_locked(self.scope, assessment.enrolment.event)
        save_scores([(assessment.enrolment, None, None)])
        return Response(status=status.HTTP_204_NO_CONTENT)
