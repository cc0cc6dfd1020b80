"""Public pages of the reports app: the programme's IATI file, for the IATI Registry (no
login; aggregate results only, see reports/iati_publication.py)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_GET

from core import cache as safe_cache
from core.client import client_ip

from .iati_publication import published_activity_xml

logger = logging.getLogger(__name__)


def _rate_limited(request) -> bool:
    """More than IATI_RATE_LIMIT requests from one address in IATI_RATE_WINDOW seconds. With
    the cache down nothing can be counted, and the file is not cached either: refuse."""
    key = f"qadam:iati-rate:{client_ip(request) or 'unknown'}"
    try:
        return safe_cache.count_hits(key, window=settings.IATI_RATE_WINDOW) > (
            settings.IATI_RATE_LIMIT
        )
    except safe_cache.CacheUnavailable:
        logger.warning("public IATI file refused: rate limiter unavailable")
        return True


@require_GET
def iati_activity_file(request, code: str):
    """/iati/<programme code>.xml: the programme's IATI activity file, every quarter so far."""
    if _rate_limited(request):
        response = HttpResponse("Too many requests.", status=429, content_type="text/plain")
        response["Retry-After"] = str(settings.IATI_RATE_WINDOW)
        return response
    content = published_activity_xml(code)
    if content is None:
        raise Http404
    response = HttpResponse(content, content_type="application/xml; charset=utf-8")
    response["Cache-Control"] = "public, max-age=3600"
    return response
