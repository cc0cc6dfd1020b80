"""What apps above trainings add to an event's page: a small registry.

The event page (trainings.views.event_detail) shows participants' data too: the feedback and
test figures of "At a glance", the roster and the feedback panel. trainings sits below
participants in the layers (docs/architecture.md) and imports nothing of it, so participants
registers two functions here from ParticipantsConfig.ready():

- `register_event_figures(fn)`: fn(event) -> aggregates of the event (no personal data), e.g.
  {"feedback": {...}, "scores": {...}}; `event_summary` puts them on its EventSummary.
- `register_event_blocks(fn)`: fn(request, scope, event, summary) -> template context of the
  blocks that app includes in the page (participants: "roster", "feedback_panel"), computed in
  the view so the templates run no query.

Counts that only need a reverse relation (`event.enrolments`, `session.attendances`) use it
directly and need no registry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest

from accounts.scope import Scope

from .models import TrainingEvent

if TYPE_CHECKING:  # selectors imports this module
    from .selectors import EventSummary

EventFigures = Callable[[TrainingEvent], dict[str, Any]]
EventBlocks = Callable[[HttpRequest, Scope, TrainingEvent, "EventSummary"], dict[str, Any]]

_figures: list[EventFigures] = []
_blocks: list[EventBlocks] = []


def register_event_figures(fn: EventFigures) -> EventFigures:
    """Add `fn(event)`'s aggregates to every EventSummary (registered once, in ready())."""
    if fn not in _figures:
        _figures.append(fn)
    return fn


def register_event_blocks(fn: EventBlocks) -> EventBlocks:
    """Add `fn(request, scope, event, summary)`'s context to the event page."""
    if fn not in _blocks:
        _blocks.append(fn)
    return fn


def event_figures(event: TrainingEvent) -> dict[str, Any]:
    """The aggregates every registered app gives for the event."""
    figures: dict[str, Any] = {}
    for fn in _figures:
        figures.update(fn(event))
    return figures


def event_blocks(
    request: HttpRequest, scope: Scope, event: TrainingEvent, summary: EventSummary
) -> dict[str, Any]:
    """The template context of the blocks every registered app adds to the event page."""
    context: dict[str, Any] = {}
    for fn in _blocks:
        context.update(fn(request, scope, event, summary))
    return context
