"""The cache (Redis in production) as an optimisation only: when it cannot be reached, a read
misses and a write is dropped, with a warning in the log, and the caller computes without it.
Pages and committed writes never fail because of the cache.

After a failure the cache is left alone for CACHE_RETRY_AFTER seconds (in this process), so a
Redis that hangs costs one short timeout, not one per call. Code that cannot do without the
cache (the feedback form's rate limiter) uses `count_hits`, which raises CacheUnavailable."""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.cache import cache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

# What the cache backend raises when Redis is down, hangs, refuses writes (out of memory, a
# read-only replica) or answers garbage.
CACHE_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError)
CACHE_RETRY_AFTER = 5.0  # seconds
_state = {"down_until": 0.0}


class CacheUnavailable(Exception):
    """The cache is down and the caller has no way to do without it."""


def is_down() -> bool:
    return time.monotonic() < _state["down_until"]


def forget_failures() -> None:
    """Try the cache again at the next call (after Redis is back, in tests)."""
    _state["down_until"] = 0.0


def _failed(operation: str, key: str, error: BaseException) -> None:
    if not is_down():  # one warning per outage window, not one per call
        logger.warning("cache %s %r failed, going on without the cache: %s", operation, key, error)
    _state["down_until"] = time.monotonic() + CACHE_RETRY_AFTER


def get(key: str, default: Any = None) -> Any:
    """The cached value, or `default` when it is missing or the cache is down."""
    if is_down():
        return default
    try:
        return cache.get(key, default)
    except CACHE_ERRORS as error:
        _failed("get", key, error)
        return default


def set(key: str, value: Any, timeout: float | None) -> bool:
    """Store a value; False (nothing stored) when the cache is down."""
    if is_down():
        return False
    try:
        cache.set(key, value, timeout)
    except CACHE_ERRORS as error:
        _failed("set", key, error)
        return False
    return True


def get_many(keys: list[str]) -> dict[str, Any]:
    """The cached values of `keys` that are there ({} when the cache is down)."""
    if is_down():
        return {}
    try:
        return cache.get_many(keys)
    except CACHE_ERRORS as error:
        _failed("get_many", ",".join(keys), error)
        return {}


def set_many(values: dict[str, Any], timeout: float | None) -> bool:
    """Store several values; False (nothing stored) when the cache is down."""
    if is_down():
        return False
    try:
        cache.set_many(values, timeout)
    except CACHE_ERRORS as error:
        _failed("set_many", ",".join(values), error)
        return False
    return True


def count_hits(key: str, *, window: int) -> int:
    """Add one to a counter that lives `window` seconds from its first hit and return it.
    Raises CacheUnavailable when the cache is down (the caller decides what is safe)."""
    if is_down():
        raise CacheUnavailable(key)
    try:
        cache.add(key, 0, timeout=window)
        try:
            return cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)
            return 1
    except CACHE_ERRORS as error:
        _failed("count", key, error)
        raise CacheUnavailable(key) from error
