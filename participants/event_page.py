"""participants' part of an event's page: the feedback and test figures of "At a glance", the
roster block and the feedback panel. ParticipantsConfig.ready() registers these with
trainings/event_page.py (trainings may not import participants); the view computes them, so
the partials (templates/participants/partials/event_roster.html, event_feedback.html) run no
query of their own."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.scope import Scope
from trainings.models import TrainingEvent
from trainings.selectors import EventSummary, can_edit_event

from .feedback_views import feedback_panel
from .selectors import event_roster


def roster_block(scope: Scope, event: TrainingEvent, summary: EventSummary) -> dict[str, Any]:
    """The roster block: the people on the roster (in scope) with the sessions each attended,
    for roles that may see people; a count only for the others."""
    visible = bool(scope is not None and scope.can_see_people)
    enrolments = list(event_roster(scope, event)) if visible else []
    return {
        "visible": visible,
        "enrolments": enrolments,
        # Viewers see the count only (an aggregate), never the names.
        "count": len(enrolments) if visible else summary.n_enrolled,
        "n_sessions": len(summary.sessions),
        "n_attended": sum(1 for e in enrolments if e.n_present),
        "can_edit": visible and scope.can_edit,
        "editable": visible and can_edit_event(scope, event),
    }


def event_blocks(
    request: HttpRequest, scope: Scope, event: TrainingEvent, summary: EventSummary
) -> dict[str, Any]:
    """The context of participants' blocks on the event page (registered in ready())."""
    figures = {"feedback": summary.feedback, "scores": summary.scores}
    return {
        "roster": roster_block(scope, event, summary),
        "feedback_panel": feedback_panel(request, scope, event, figures),
    }
