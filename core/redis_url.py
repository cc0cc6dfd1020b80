"""Redis addresses: the cache lives in its own Redis database, apart from the Celery broker.

Clearing the cache (``cache.clear()`` is FLUSHDB) must never wipe the broker's queues and
bindings, so by default the cache uses the broker's Redis server with the next database number.
This module imports nothing from Django: settings use it."""

from urllib.parse import urlsplit, urlunsplit


def cache_url_for(broker_url: str) -> str:
    """The same Redis server as ``broker_url`` with another database number (db n -> db n+1)."""
    if not broker_url:
        return ""
    parts = urlsplit(broker_url)
    path = parts.path.strip("/")
    db = int(path) if path.isdigit() else 0
    return urlunsplit(parts._replace(path=f"/{db + 1}"))
