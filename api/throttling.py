"""A per-token rate limit: at most settings.API_RATE_LIMIT_PER_MINUTE requests in each
minute (a fixed window), else 429 with Retry-After: the seconds until the window ends."""

from __future__ import annotations

import logging
import time

from django.conf import settings
from rest_framework.throttling import BaseThrottle

from core.cache import CacheUnavailable, count_hits

logger = logging.getLogger(__name__)
WINDOW = 60  # seconds


class TokenRateThrottle(BaseThrottle):
    def allow_request(self, request, view) -> bool:
        token = request.auth
        if token is None or not hasattr(token, "key_hash"):
            return True  # unauthenticated requests are refused before anything is read
        now = time.time()
        window = int(now // WINDOW)
        self._retry_after = WINDOW - (now % WINDOW)
        try:
            # By the secret's hash, not the row's id: an id can be given again to a new token
            # (SQLite reuses the ids of deleted rows), which must not inherit the old count.
            hits = count_hits(f"api-rate:{token.key_hash}:{window}", window=WINDOW + 1)
        except CacheUnavailable:
            # The limit protects the server, not data: without the cache, let the call through.
            logger.warning("API rate limit skipped: the cache is unavailable")
            return True
        return hits <= settings.API_RATE_LIMIT_PER_MINUTE

    def wait(self) -> float:
        return max(1.0, self._retry_after)
