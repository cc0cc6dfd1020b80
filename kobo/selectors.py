"""Reads of the KoboToolbox pages (programme staff and admins see every connection)."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from .models import KoboConnection, KoboSubmission

PREVIEW_SUBMISSIONS = 10
Status = KoboSubmission.Status


def connections_with_counts() -> QuerySet[KoboConnection]:
    """Connected forms with how many submissions each has received and has waiting."""
    return KoboConnection.objects.select_related("event").annotate(
        n_received=Count("submissions"),
        n_waiting=Count("submissions", filter=Q(submissions__status=Status.WAITING)),
    )


def last_submissions(connection: KoboConnection) -> list[KoboSubmission]:
    """The last submissions received for a form, for the preview on its page."""
    return list(connection.submissions.order_by("-updated_at", "-pk")[:PREVIEW_SUBMISSIONS])


def submissions() -> QuerySet[KoboSubmission]:
    return KoboSubmission.objects.select_related("connection", "event", "person")


def waiting_submissions() -> QuerySet[KoboSubmission]:
    """Submissions that could not be applied (waiting, failed, or never sent to a worker)."""
    return (
        submissions()
        .filter(status__in=(Status.WAITING, Status.FAILED, Status.RECEIVED))
        .order_by("-updated_at", "-pk")[:500]
    )


def waiting_count() -> int:
    return KoboSubmission.objects.filter(status=Status.WAITING).count()
