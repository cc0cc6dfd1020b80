"""Response headers Django does not set itself, and the sliding session expiry."""

import time

from django.conf import settings


class PermissionsPolicyMiddleware:
    """Adds the Permissions-Policy header (settings.PERMISSIONS_POLICY): the browser features
    Qadam never uses (camera, microphone, geolocation, ...) are switched off for every page."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        policy = settings.PERMISSIONS_POLICY
        if policy:
            response.headers.setdefault("Permissions-Policy", policy)
        return response


REFRESHED = "_refreshed"


class SlidingSessionMiddleware:
    """Logout after inactivity without a database write on every request: a session's expiry
    is pushed forward (the session saved, its cookie sent again) at most once every
    settings.SESSION_REFRESH_SECONDS, so it ends between SESSION_COOKIE_AGE minus that and
    SESSION_COOKIE_AGE after the last request. Saving on every request (Django's
    SESSION_SAVE_EVERY_REQUEST) cost each page an UPDATE and a COMMIT. Sits right after
    SessionMiddleware, so that the save it asks for happens in the same response."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.is_empty() or response.status_code >= 500:
            return response
        now = int(time.time())
        if now - int(session.get(REFRESHED, 0) or 0) >= settings.SESSION_REFRESH_SECONDS:
            session[REFRESHED] = now  # modified: SessionMiddleware saves it and resends it
        return response


def mark_refreshed_at_login(sender, request, user, **kwargs) -> None:
    """A login saves the session anyway: it counts as its first refresh (user_logged_in)."""
    session = getattr(request, "session", None)
    if session is not None:
        session[REFRESHED] = int(time.time())
