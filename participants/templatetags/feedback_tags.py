"""The feedback panel of an event's page: its numbers come from the selectors, not the
template (templates/participants/partials/event_feedback.html)."""

from django import template

from participants.aggregates import feedback_summary, knowledge_gain
from participants.feedback_services import feedback_is_open
from participants.models import Assessment, Feedback

register = template.Library()


@register.simple_tag(takes_context=True)
def event_feedback_panel(context, event, scope):
    """Summary numbers of an event's feedback and what the user may do with its link."""
    from participants.feedback_views import public_feedback_url
    from trainings.selectors import can_edit_event

    request = context.get("request")
    people = bool(scope and scope.can_see_people)
    return {
        "summary": feedback_summary(Feedback.objects.filter(event=event)),
        "scores": knowledge_gain(Assessment.objects.filter(enrolment__event=event)),
        "is_open": feedback_is_open(event),
        "can_see_link": people,
        "can_edit": people and can_edit_event(scope, event),
        "public_url": public_feedback_url(request, event) if (people and request) else "",
    }
