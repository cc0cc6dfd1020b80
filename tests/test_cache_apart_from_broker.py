"""Clearing the cache must not wipe the broker's queues: they live in different Redis databases."""

import redis
from django.core.cache import cache

from core.redis_url import cache_url_for

from .redis_server import redis_of_our_own


def test_the_cache_takes_the_next_database_of_the_brokers_redis():
    assert cache_url_for("redis://127.0.0.1:6379/0") == "redis://127.0.0.1:6379/1"
    assert cache_url_for("redis://:secret@redis.internal:6379/4") == (
        "redis://:secret@redis.internal:6379/5"
    )
    assert cache_url_for("redis://redis.internal:6379") == "redis://redis.internal:6379/1"
    assert cache_url_for("") == ""  # no Redis: the in-process cache


def test_clearing_the_cache_leaves_a_queued_task_in_the_broker(settings, tmp_path):
    with redis_of_our_own(settings, tmp_path) as server:
        broker = redis.Redis.from_url(server.url)
        broker.rpush("qadam-queue-probe", b"a task message")
        cache.set("dashboard", "figures")
        cache.clear()
        assert cache.get("dashboard") is None
        assert broker.lrange("qadam-queue-probe", 0, -1) == [b"a task message"]
        assert settings.CACHES["default"]["LOCATION"] != settings.REDIS_URL
