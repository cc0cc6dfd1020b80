"""The embedded default database (SQLite, config/sqlite_backend) answers a number beyond its
integers as PostgreSQL does, finding no row, instead of failing in the driver (a 500)."""

from __future__ import annotations

from django.db.utils import ConnectionHandler

HUGE = 99999999999999999999999


def test_a_number_beyond_sqlite_integers_finds_nothing_instead_of_failing(django_db_blocker):
    handler = ConnectionHandler(
        {"default": {"ENGINE": "config.sqlite_backend", "NAME": ":memory:"}}
    )
    db = handler["default"]
    try:
        with django_db_blocker.unblock(), db.cursor() as cursor:
            cursor.execute("CREATE TABLE item (id integer PRIMARY KEY)")
            cursor.executemany("INSERT INTO item (id) VALUES (%s)", [(1,), (2,)])
            cursor.execute("SELECT id FROM item WHERE id = %s", [HUGE])
            assert cursor.fetchall() == []
            cursor.execute("SELECT id FROM item WHERE id IN (%s, %s, %s)", [HUGE, -HUGE, 2])
            assert cursor.fetchall() == [(2,)]
            cursor.execute("SELECT id FROM item WHERE id = %(id)s", {"id": HUGE})
            assert cursor.fetchall() == []
            # The debug log's rendering of the query quotes the parameters too.
            sql = db.ops.last_executed_query(cursor, "SELECT %s", [HUGE])
            assert sql.startswith("SELECT ")
    finally:
        db.close()
