"""Clean every request's text before any view, form, filter or admin page sees it.

Query strings, form posts (the public feedback form and the Django admin included), cookies
and the HTTP_* headers pass through core.text.clean_text: control characters, NUL bytes and
bidi overrides are removed (keys and values). So a NUL byte or a vertical tab can neither make
the database refuse a query (a 500) nor be stored to break a report later. Password fields are
left exactly as typed (a password is compared, never shown; Django's forms refuse a NUL in
them) and uploaded files are not touched (the import cleans each cell it reads). A control
character in the URL path is answered 400 Bad Request: no URL of Qadam has one.
"""

from __future__ import annotations

from contextlib import suppress

from django.core.exceptions import BadRequest
from django.http import QueryDict, UnreadablePostError

from .text import clean_text, has_unsafe

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _keep_as_typed(key: str) -> bool:
    return "password" in key.lower()


def _needs_cleaning(query: QueryDict) -> bool:
    return any(
        has_unsafe(key) or (not _keep_as_typed(key) and any(has_unsafe(v) for v in values))
        for key, values in query.lists()
    )


def clean_query(query: QueryDict) -> QueryDict:
    """A copy of `query` with every key and value cleaned (the same object when clean)."""
    if not _needs_cleaning(query):
        return query
    cleaned = QueryDict(mutable=True, encoding=query.encoding)
    for key, values in query.lists():
        if not _keep_as_typed(key):
            values = [clean_text(v) for v in values]
        cleaned.setlist(clean_text(key), cleaned.getlist(clean_text(key)) + values)
    cleaned._mutable = False
    return cleaned


class CleanInputMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if has_unsafe(request.path_info):
            raise BadRequest("control character in the URL path")
        request.GET = clean_query(request.GET)
        if request.method == "POST" and request.content_type in FORM_TYPES:
            # A client that went away: CSRF and the view see an empty form, as before.
            with suppress(UnreadablePostError):
                request.POST = clean_query(request.POST)
        if any(has_unsafe(k) or has_unsafe(v) for k, v in request.COOKIES.items()):
            request.COOKIES = {clean_text(k): clean_text(v) for k, v in request.COOKIES.items()}
        for key, value in list(request.META.items()):
            if key.startswith("HTTP_") and isinstance(value, str) and has_unsafe(value):
                request.META[key] = clean_text(value)
        return self.get_response(request)
