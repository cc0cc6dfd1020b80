"""Files and photos of an event: upload, list, change the caption or the report choice, delete,
and the two checked ways out (download, thumbnail). Thin: trainings.services does the work.

Every file is reached through `event_files_visible(scope)` (outside the user's regions, or a
sign-in sheet asked for by a viewer: 404); every write asks `edit_refusal` (rights, region, the
event's lock and the quarter's). The upload form works without JavaScript; with htmx it swaps
the event page's "Files and photos" section in place."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts.audit import record_download
from accounts.scope import Scope, scope_for
from core import uploads
from core.access import require, visible_or_404

from . import services
from .forms import EventFileEditForm, EventFileForm, apply_errors
from .models import EventFile, TrainingEvent
from .selectors import (
    PERSONAL_FILE_KINDS,
    edit_refusal,
    event_files_of,
    event_files_visible,
    events_visible,
)

FORM_ERRORS = gettext_lazy("Please correct the errors below.")


def files_block(
    scope: Scope, event: TrainingEvent, form: EventFileForm | None = None
) -> dict[str, object]:
    """The context of the event page's "Files and photos" section (computed here, so the
    template runs no query)."""
    refusal = edit_refusal(scope, event)
    max_size = uploads.size_in_words(settings.EVENT_FILE_MAX_BYTES)
    return {
        "event_files": event_files_of(scope, event),
        "files_can_edit": not refusal,
        "file_form": (form or EventFileForm(max_size=max_size)) if not refusal else None,
    }


def _section(request: HttpRequest, event: TrainingEvent, block: dict) -> HttpResponse:
    return render(request, "trainings/partials/event_files.html", {"event": event, **block})


def _refuse_write(request: HttpRequest, scope: Scope, event: TrainingEvent):
    """403 without edit rights; back to the event page with the reason when it is locked."""
    require(scope.can_edit)
    refusal = edit_refusal(scope, event)
    if refusal:
        messages.error(request, refusal)
        return redirect(event.get_absolute_url() + "#files")
    return None


@login_required
@require_http_methods(["GET", "POST"])
def event_files(request, pk: int):
    """The upload form on its own page (without JavaScript, and after a refused upload); POST
    stores the file and returns to the event page (htmx: the section, swapped in place)."""
    scope = scope_for(request.user)
    event = visible_or_404(events_visible(scope).select_related("region"), pk=pk)
    if refused := _refuse_write(request, scope, event):
        return refused
    max_size = uploads.size_in_words(settings.EVENT_FILE_MAX_BYTES)
    form = EventFileForm(request.POST or None, request.FILES or None, max_size=max_size)
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                stored = services.add_event_file(
                    event=event,
                    kind=form.cleaned_data["kind"],
                    data=upload.read(),
                    filename=upload.name,
                    caption=form.cleaned_data["caption"],
                    people_consent=form.cleaned_data["people_consent"],
                    in_report=form.cleaned_data["in_report"],
                    by=request.user,
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("“%(name)s” added.") % {"name": stored.original_name})
                if request.htmx:
                    return _section(request, event, files_block(scope, event))
                return redirect(event.get_absolute_url() + "#files")
        if request.htmx:
            return _section(request, event, files_block(scope, event, form))
        messages.error(request, FORM_ERRORS)
    return render(
        request,
        "trainings/event_files.html",
        {"event": event, **files_block(scope, event, form)},
    )


def _file_for(request: HttpRequest, pk: int) -> tuple[Scope, EventFile]:
    scope = scope_for(request.user)
    event_file = visible_or_404(
        event_files_visible(scope).select_related("event", "event__region"), pk=pk
    )
    return scope, event_file


@login_required
@require_http_methods(["GET", "POST"])
def event_file_edit(request, pk: int):
    """Change a file's caption, and for a photo the people's agreement and the report choice."""
    scope, event_file = _file_for(request, pk)
    event = event_file.event
    if refused := _refuse_write(request, scope, event):
        return refused
    form = EventFileEditForm(request.POST or None, instance=event_file)
    if event_file.kind != EventFile.Kind.PHOTO:
        del form.fields["people_consent"], form.fields["in_report"]
    if request.method == "POST":
        if form.is_valid():
            try:
                services.update_event_file(
                    event_file=event_file,
                    caption=form.cleaned_data["caption"],
                    people_consent=form.cleaned_data.get("people_consent", False),
                    in_report=form.cleaned_data.get("in_report", False),
                )
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, _("“%(name)s” saved.") % {"name": event_file})
                return redirect(event.get_absolute_url() + "#files")
        messages.error(request, FORM_ERRORS)
    return render(
        request,
        "trainings/event_file_edit.html",
        {"event": event, "event_file": event_file, "form": form},
    )


@login_required
@require_http_methods(["GET", "POST"])
def event_file_delete(request, pk: int):
    scope, event_file = _file_for(request, pk)
    event = event_file.event
    if refused := _refuse_write(request, scope, event):
        return refused
    if request.method == "POST":
        services.delete_event_file(event_file=event_file)
        messages.success(request, _("“%(name)s” deleted.") % {"name": event_file.original_name})
        return redirect(event.get_absolute_url() + "#files")
    return render(
        request,
        "trainings/event_file_delete.html",
        {"event": event, "event_file": event_file},
    )


def _open(field_file):
    if not field_file:
        raise Http404
    try:
        return field_file.open("rb")
    except FileNotFoundError as missing:
        raise Http404 from missing


@login_required
def event_file_download(request, pk: int):
    """The file itself, under the name it was uploaded with. Files that may show people
    (sign-in sheets, other documents) are recorded in the audit log when handed out."""
    _scope, event_file = _file_for(request, pk)
    handle = _open(event_file.file)
    if event_file.kind in PERSONAL_FILE_KINDS:
        record_download(
            request,
            "event_file",
            fmt=event_file.kind,
            obj=event_file.event,
            object_repr=f"trainings.eventfile:{event_file.pk} {event_file.original_name}"[:255],
        )
    response = FileResponse(
        handle,
        as_attachment=not event_file.is_image,
        filename=event_file.original_name,
        content_type=event_file.content_type,
    )
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def event_file_thumbnail(request, pk: int):
    """The small picture of a photo or scan, for the event page."""
    _scope, event_file = _file_for(request, pk)
    response = FileResponse(_open(event_file.thumbnail), content_type="image/jpeg")
    response["Cache-Control"] = "private, max-age=3600"
    return response
