"""The roster block of an event's page (templates/participants/partials/event_roster.html),
which the event page includes with only `event` and `scope`: this tag reads the roster through
the scoped selector, in a fixed number of queries."""

from __future__ import annotations

from django import template

from trainings.selectors import can_edit_event

from ..selectors import event_roster

register = template.Library()


@register.simple_tag
def event_roster_of(event, scope) -> dict:
    visible = bool(scope is not None and scope.can_see_people)
    enrolments = list(event_roster(scope, event)) if visible else []
    return {
        "visible": visible,
        "enrolments": enrolments,
        # Viewers see the count only (an aggregate), never the names.
        "count": len(enrolments) if visible else event.enrolments.count(),
        "n_sessions": event.sessions.count(),
        "n_attended": sum(1 for e in enrolments if e.n_present),
        "can_edit": visible and scope.can_edit,
        "editable": visible and can_edit_event(scope, event),
    }
