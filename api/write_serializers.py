"""The request bodies of the API's writes, for the OpenAPI schema. They describe what a client
sends; the checks themselves are the pages' forms and services (api/write_views.py), so a
refused value gets the same message as on the page."""

from __future__ import annotations

from rest_framework import serializers

from trainings.forms import EventForm, SessionForm
from trainings.models import Session, TrainingEvent


class EventWriteSerializer(serializers.ModelSerializer):
    """An event's fields as the event form takes them (related records by id)."""

    class Meta:
        model = TrainingEvent
        fields = EventForm.Meta.fields


class SessionWriteSerializer(serializers.ModelSerializer):
    class Meta:
        model = Session
        fields = ["event", *SessionForm.Meta.fields]


class SessionUpdateSerializer(serializers.ModelSerializer):
    """A session's own fields (it stays with its event)."""

    class Meta:
        model = Session
        fields = SessionForm.Meta.fields


class EnrolmentWriteSerializer(serializers.Serializer):
    participant = serializers.IntegerField(help_text="A person the user's scope sees.")
    event = serializers.IntegerField()


class AttendanceWriteSerializer(serializers.Serializer):
    """Present at a session: the session and the enrolment (a person on that event's roster)."""

    enrolment = serializers.IntegerField()
    session = serializers.IntegerField()


class FeedbackWriteSerializer(serializers.Serializer):
    """One paper feedback form typed in (as on the event's feedback entry page)."""

    event = serializers.IntegerField()
    enrolment = serializers.IntegerField(
        required=False, allow_null=True, help_text="Empty for an anonymous form."
    )
    satisfaction = serializers.IntegerField(min_value=1, max_value=5)
    relevance = serializers.IntegerField(min_value=1, max_value=5)
    usefulness = serializers.IntegerField(min_value=1, max_value=5)
    intent_to_apply = serializers.IntegerField(min_value=1, max_value=5)
    most_useful = serializers.CharField(required=False, allow_blank=True, max_length=2000)
    comments = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    consent_to_quote = serializers.BooleanField(required=False)


class ScoresSerializer(serializers.Serializer):
    pre_score = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False, allow_null=True
    )
    post_score = serializers.DecimalField(
        max_digits=5, decimal_places=2, min_value=0, max_value=100, required=False, allow_null=True
    )


class AssessmentWriteSerializer(ScoresSerializer):
    """A person's pre/post test scores for an event (one record per enrolment)."""

    enrolment = serializers.IntegerField()


class RefusalSerializer(serializers.Serializer):
    """Why a write was refused (the reason the page shows)."""

    detail = serializers.CharField()


class FieldErrorsSerializer(serializers.Serializer):
    """Field name (or "non_field_errors") -> the messages the page form shows."""

    non_field_errors = serializers.ListField(child=serializers.CharField(), required=False)
