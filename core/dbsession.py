"""Settings of the database session for one long piece of work (PostgreSQL only)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import DatabaseError, connection


@contextmanager
def work_mem(amount: str) -> Iterator[None]:
    """Give this connection's sorts and hashes `amount` of memory each (e.g. "64MB") while the
    block runs, then the server's default again. The quarterly report sorts a quarter's
    attendance: with PostgreSQL's default 4 MB those sorts spill to disk (docs/performance.md).
    Session-wide, not per transaction: a report's progress is committed as it goes."""
    if connection.vendor != "postgresql" or not amount:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('work_mem', %s, false)", [amount])
    try:
        yield
    finally:
        try:
            with connection.cursor() as cursor:
                cursor.execute("RESET work_mem")
        except DatabaseError:
            # The block's own error broke the connection: a new one starts with the default
            # (and the block's error, not this one, is what propagates).
            connection.close()
