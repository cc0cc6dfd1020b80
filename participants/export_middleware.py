"""Telling a user that their export is ready (or failed): a message on the next page they open,
and the count of ready exports beside "My exports" in the menu.

Only a user who asked for an export pays for it: the request that creates a job sets a flag in
the session; while it is set, each full page (not htmx fragments, which show no messages) asks
for the user's ended jobs, announces them once and keeps the count of ready ones in the
session. The flag is dropped when none is at work any more."""

from __future__ import annotations

from django.contrib import messages
from django.utils.translation import gettext as _

WATCH = "exports_watch"
READY = "exports_ready"


def watch(request) -> None:
    request.session[WATCH] = True


def set_ready(request, count: int) -> None:
    if count:
        request.session[READY] = count
    else:
        request.session.pop(READY, None)


class ExportNoticeMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if (
            session is not None
            and session.get(WATCH)
            and request.method == "GET"
            and not getattr(request, "htmx", False)
            and request.user.is_authenticated
        ):
            self.announce(request)
        return self.get_response(request)

    @staticmethod
    def announce(request) -> None:
        from .export_jobs import pending_notices

        ended, ready, active = pending_notices(request.user)
        for job in ended:
            what = f"{job.get_kind_display()} ({job.get_format_display()})"
            if job.status == job.Status.DONE:
                messages.success(
                    request,
                    _("Your export %(what)s is ready: download it from My exports.")
                    % {"what": what},
                )
            else:
                messages.error(
                    request,
                    _("Your export %(what)s failed: %(reason)s")
                    % {"what": what, "reason": job.error},
                )
        set_ready(request, ready)
        if not active:
            request.session.pop(WATCH, None)
