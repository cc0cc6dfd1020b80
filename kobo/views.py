"""The KoboToolbox pages (programme staff and admins): connected forms with their mapping,
intake address and last submissions; the waiting queue. And the intake itself, where Kobo's
REST Service posts each submission. Thin: the work is in kobo/services.py."""

from __future__ import annotations

import base64
import binascii
import json
import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from accounts.scope import scope_for
from core import cache as safe_cache
from core.access import require, visible_or_404

from . import selectors, services
from .forms import ConnectionForm, FixForm
from .models import IDENTITY_KEYS, KoboConnection, KoboSubmission

logger = logging.getLogger(__name__)
SECRET_HEADER = "HTTP_X_QADAM_SECRET"


def _staff(request):
    """Programme staff and admins (they connect forms and see every region's submissions)."""
    scope = scope_for(request.user)
    require(scope.can_unlock)
    return scope


# The intake --------------------------------------------------------------------------------
def _sent_secret(request) -> str:
    """The secret as Kobo's REST Service sends it: `Authorization: Bearer <secret>`, a custom
    header `X-Qadam-Secret: <secret>`, or basic auth whose password is the secret."""
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _space, value = header.partition(" ")
    if scheme.lower() == "bearer":
        return value.strip()
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            return ""
        return decoded.partition(":")[2]
    return request.META.get(SECRET_HEADER, "").strip()


def _answer(status: int, message: str, **extra) -> JsonResponse:
    response = JsonResponse({"detail": message, **extra}, status=status)
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="kobo"'
    if status == 429:
        response["Retry-After"] = str(settings.KOBO_RATE_WINDOW)
    return response


@csrf_exempt  # a machine posting with its secret, no browser session
@require_POST
def intake(request, slug: str):
    """Take one submission of a connected form: stored in the inbox (created or, for an edit
    with the same `_uuid`, updated), then applied by a task after the commit."""
    connection = KoboConnection.objects.filter(slug=slug, is_active=True).first()
    # Unknown address and wrong secret answer alike: which forms exist is not told.
    if connection is None or not services.secret_matches(connection, _sent_secret(request)):
        return _answer(401, _("Unknown form or wrong secret."))
    try:
        # By the form's random address, not its row id (SQLite gives a deleted row's id
        # to the next one, which must not inherit the old count).
        hits = safe_cache.count_hits(
            f"qadam:kobo:{connection.slug}", window=settings.KOBO_RATE_WINDOW
        )
    except safe_cache.CacheUnavailable:
        hits = 0  # the secret still guards the door; a cache outage must not lose submissions
    if hits > settings.KOBO_RATE_LIMIT:
        return _answer(429, _("Too many submissions at once; send again later."))
    if request.content_type != "application/json":
        return _answer(415, _("Send the submission as JSON (Content-Type: application/json)."))
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    if length > settings.KOBO_MAX_BYTES or len(request.body) > settings.KOBO_MAX_BYTES:
        return _answer(413, _("The submission is too large."))
    try:
        payload = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return _answer(400, _("The body is not valid JSON."))
    try:
        submission, created = services.receive_submission(connection=connection, payload=payload)
    except services.Rejected as rejected:
        return _answer(400, str(rejected))
    return _answer(
        201 if created else 200,
        _("Received."),
        id=submission.pk,
        uuid=submission.uuid,
    )


# The pages ---------------------------------------------------------------------------------
def _intake_url(request, connection: KoboConnection) -> str:
    return request.build_absolute_uri(reverse("kobo:intake", args=[connection.slug]))


@login_required
def connection_list(request):
    _staff(request)
    return render(
        request,
        "kobo/connections.html",
        {
            "connections": selectors.connections_with_counts(),
            "waiting": selectors.waiting_count(),
        },
    )


def _secret_page(request, connection: KoboConnection, secret: str):
    return render(
        request,
        "kobo/secret.html",
        {
            "connection": connection,
            "secret": secret,
            "intake_url": _intake_url(request, connection),
        },
    )


@login_required
def connection_new(request):
    _staff(request)
    form = ConnectionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            connection, secret = services.connect_form(by=request.user, **form.connection_fields())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return _secret_page(request, connection, secret)  # shown once: not a redirect
    return render(request, "kobo/connection_form.html", {"form": form, "identity": IDENTITY_KEYS})


@login_required
def connection_detail(request, pk: int):
    _staff(request)
    connection = visible_or_404(KoboConnection.objects.select_related("event"), pk=pk)
    form = ConnectionForm(request.POST or None, connection=connection)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_connection(connection, by=request.user, **form.connection_fields())
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("The mapping was saved."))
            return redirect(connection)
    return render(
        request,
        "kobo/connection.html",
        {
            "connection": connection,
            "form": form,
            "intake_url": _intake_url(request, connection),
            "submissions": selectors.last_submissions(connection),
        },
    )


@login_required
@require_POST
def connection_secret(request, pk: int):
    _staff(request)
    connection = visible_or_404(KoboConnection.objects.all(), pk=pk)
    secret = services.regenerate_secret(connection, by=request.user)
    return _secret_page(request, connection, secret)


@login_required
def waiting_list(request):
    _staff(request)
    return render(request, "kobo/waiting.html", {"submissions": selectors.waiting_submissions()})


@login_required
def submission_detail(request, pk: int):
    _staff(request)
    submission = visible_or_404(selectors.submissions(), pk=pk)
    form = FixForm(
        request.POST or None,
        initial={"event_number": submission.event_id, "person_number": submission.person_id},
    )
    fixable = submission.status != KoboSubmission.Status.APPLIED
    if request.method == "POST" and fixable and form.is_valid():
        submission = services.fix_submission(
            submission,
            event=form.cleaned_data["event_number"],
            person=form.cleaned_data["person_number"],
        )
        _say_outcome(request, submission)
        return redirect(submission)
    return render(
        request,
        "kobo/submission.html",
        {
            "submission": submission,
            "form": form,
            "fixable": fixable,
            "payload": json.dumps(submission.payload, ensure_ascii=False, indent=2),
        },
    )


def _say_outcome(request, submission: KoboSubmission) -> None:
    if submission.status == KoboSubmission.Status.APPLIED:
        messages.success(request, _("The submission was applied."))
    else:
        messages.error(request, submission.reason or submission.get_status_display())


@login_required
@require_POST
def submission_apply(request, pk: int):
    _staff(request)
    submission = visible_or_404(selectors.submissions(), pk=pk)
    submission = services.apply_again(submission)
    _say_outcome(request, submission)
    return redirect(submission)


@login_required
@require_POST
def submission_discard(request, pk: int):
    _staff(request)
    submission = visible_or_404(selectors.submissions(), pk=pk)
    services.discard_submission(submission)
    messages.success(request, _("The submission was discarded."))
    return redirect("kobo:waiting")
