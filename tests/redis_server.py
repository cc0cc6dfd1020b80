"""A redis-server process of the test's own, so a test can stop it, start it again (empty, as
after a crash without persistence) or flush it, without touching the machine's Redis; and
the Django cache and the Celery app pointed at it for the test."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from contextlib import contextmanager
from pathlib import Path

import redis

from config.celery import app as celery_app
from core import cache as safe_cache
from core.redis_url import cache_url_for

from .services import unavailable

REDIS_SERVER = shutil.which("redis-server")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class RedisServer:
    """`redis-server` on a free port of 127.0.0.1, no snapshots, no append-only file."""

    def __init__(self, workdir: Path):
        self.port = free_port()
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def client(self, db: int = 0) -> redis.Redis:
        """A client of database `db`: 0 is the broker's, 1 the cache's (core/redis_url.py)."""
        return redis.Redis(port=self.port, db=db, socket_timeout=2)

    def start(self, timeout: float = 10) -> RedisServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.process = subprocess.Popen(  # noqa: S603 - fixed arguments
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                if self.client().ping():
                    return self
            except redis.ConnectionError:
                time.sleep(0.1)
        raise RuntimeError(f"redis-server on port {self.port} did not start")

    def stop(self) -> None:
        """Kill it (SIGKILL: as a crash; nothing is saved)."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def restart_empty(self) -> None:
        self.stop()
        self.start()


def _forget_broker_connections() -> None:
    # kombu keeps pools per address; forgetting them makes the next send use the new address.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@contextmanager
def redis_of_our_own(settings, tmp_path: Path):
    """Start our own Redis and make it this test's cache and broker (and a worker's, through
    settings.REDIS_URL); tasks go to the broker, not in-process. Everything is put back after."""
    if not REDIS_SERVER:
        unavailable("no redis-server on PATH (apt-get install redis-server)")
    server = RedisServer(tmp_path / "redis").start()
    old = {
        "broker_url": celery_app.conf.broker_url,
        "eager": celery_app.conf.task_always_eager,
    }
    settings.REDIS_URL = server.url
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": cache_url_for(server.url),
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 1},
        }
    }
    _forget_broker_connections()
    celery_app.conf.broker_url = server.url
    celery_app.conf.task_always_eager = False
    safe_cache.forget_failures()
    try:
        yield server
    finally:
        server.stop()
        _forget_broker_connections()
        celery_app.conf.broker_url = old["broker_url"]
        celery_app.conf.task_always_eager = old["eager"]
        safe_cache.forget_failures()
