"""Working without a connection (ADR 0018): the web app manifest, the service worker (served
from the site root so its scope is the whole site), the list of pages it keeps for the user's
current events, and the endpoint the browser's outbox sends queued changes to."""

from __future__ import annotations

import hashlib
import json
import re
from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.templatetags.static import static
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.jinja import htmx_script

from accounts.scope import scope_for
from trainings.selectors import edit_refusal, events_visible

from .offline import MAX_CHANGES, apply_changes

RECENT_DAYS = 14  # events that ended this many days ago or start this many days ahead


def shell_urls() -> list[str]:
    """The static files every page needs: kept by the service worker when it installs."""
    urls = [
        static("bootstrap/css/bootstrap.min.css"),
        static("bootstrap/js/bootstrap.bundle.min.js"),
        static("css/qadam.css"),
        static("js/qadam.js"),
        static("js/outbox.js"),
        static("favicon.svg"),
        static("icons/qadam-192.png"),
    ]
    urls += re.findall(r'src="([^"]+)"', str(htmx_script()))
    return urls


@require_GET
def service_worker(request):
    """The service worker's script. Served from the root (not /static/) so that it may control
    every page; its cache names carry a hash of the shell, so a deploy replaces old copies."""
    shell = shell_urls()
    version = hashlib.sha256("\n".join(shell).encode()).hexdigest()[:12]
    body = render_to_string(
        "offline/sw.js",
        {
            "version": version,
            "shell_json": json.dumps(shell),
            "static_prefix_json": json.dumps(static("")),
            "offline_text_json": json.dumps(
                _("You are offline and this page was not saved on this device.")
            ),
        },
    )
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    response["Cache-Control"] = "no-cache"
    return response


@require_GET
def web_manifest(request):
    """The web app manifest: Qadam can be installed on a phone or tablet's home screen."""
    manifest = {
        "name": "Qadam",
        "short_name": "Qadam",
        "description": _("Trainings, participants and results of the programme"),
        "start_url": reverse("home"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": "#0d6efd",
        "icons": [
            {"src": static("icons/qadam-192.png"), "sizes": "192x192", "type": "image/png"},
            {"src": static("icons/qadam-512.png"), "sizes": "512x512", "type": "image/png"},
        ],
    }
    return JsonResponse(manifest, content_type="application/manifest+json")


@never_cache
@login_required
@require_GET
def offline_pages(request):
    """The pages the service worker keeps for this user: the event page, attendance grid,
    scores entry, paper-feedback entry, new-person registration and feedback kiosk of each
    event they may change that ended in the last RECENT_DAYS days or starts within the next
    RECENT_DAYS days (or is running now)."""
    scope = scope_for(request.user)
    urls: list[str] = []
    if scope.can_edit and scope.can_see_people:
        today = timezone.localdate()
        events = (
            events_visible(scope)
            .filter(
                start_date__lte=today + timedelta(days=RECENT_DAYS),
                end_date__gte=today - timedelta(days=RECENT_DAYS),
            )
            .select_related("region")
            .order_by("start_date", "pk")[:50]
        )
        for event in events:
            if edit_refusal(scope, event):
                continue
            urls += [
                event.get_absolute_url(),
                reverse("participants:attendance_grid", args=[event.pk]),
                reverse("participants:event_scores_entry", args=[event.pk]),
                reverse("participants:event_feedback_entry", args=[event.pk]),
                reverse("participants:roster_new", args=[event.pk]),
                reverse("participants:event_feedback_kiosk", args=[event.pk]),
            ]
    return JsonResponse({"urls": urls})


@login_required
@require_POST
def offline_sync(request):
    """Apply changes queued in the browser, in order, each exactly once. Body:
    {"changes": [{"key", "kind": "attendance", "enrolment", "session", "present"},
                 {"key", "kind": "scores", "enrolment", "pre_score", "post_score"},
                 {"key", "kind": "paper_feedback", "event", "answers": {field: value}},
                 {"key", "kind": "register", "event", "answers": {field: value}},
                 {"key", "kind": "kiosk_feedback", "event", "answers": {...}, "language"}, ...]}.
    Answers {"results": [{"key", "status": "applied" | "refused", "message"}, ...]}."""
    scope = scope_for(request.user)
    if not (scope.can_edit and scope.can_see_people):
        return JsonResponse({"error": _("You may not change attendance.")}, status=403)
    if request.content_type != "application/json":
        # A form post (its body already read as form data by the CSRF check) is not a sync.
        return JsonResponse({"error": _("This request could not be read.")}, status=400)
    try:
        payload = json.loads(request.body)
        changes = payload["changes"]
    except (ValueError, TypeError, KeyError):
        return JsonResponse({"error": _("This request could not be read.")}, status=400)
    if not isinstance(changes, list) or len(changes) > MAX_CHANGES:
        return JsonResponse({"error": _("This request could not be read.")}, status=400)
    results = apply_changes(user=request.user, scope=scope, changes=changes, request=request)
    return JsonResponse({"results": results})


def outbox_strings() -> dict[str, str]:
    """The status texts of the outbox, translated here and handed to the script through data
    attributes. "n changes not sent yet" in each plural category the script's Intl.PluralRules
    may pick (one: 1, few: 2, many: 5, other: 2), so Russian gets its three forms."""

    def pending(n: int) -> str:
        return ngettext("%(n)s change not sent yet", "%(n)s changes not sent yet", n) % {
            "n": "__n__"
        }

    return {
        "pending_one": pending(1),
        "pending_few": pending(2),
        "pending_many": pending(5),
        "pending_other": pending(2),
        "all_sent": _("All changes are sent."),
        "last_sent": _("Last sent at %(time)s") % {"time": "__time__"},
        "offline": _("No connection: changes are kept on this device and sent later."),
        "refused_heading": _("Not accepted"),
        "discard": _("Discard"),
        "present": pgettext("one person's attendance mark", "present"),
        "paper_form": _("Paper feedback form"),
        "score_before": _("Score before"),
        "score_after": _("Score after"),
        "queued_form": _(
            "No connection: the form is kept on this device and sent later. Type in the next one."
        ),
        "absent": pgettext("one person's attendance mark", "absent"),
        "new_person": _("New person"),
        "queued_person": _(
            "No connection: the person is kept on this device and registered later. "
            "Type in the next one."
        ),
        "fix_in_form": _("Open in the registration form"),
    }
