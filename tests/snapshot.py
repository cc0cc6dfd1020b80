"""The seeded test database, saved once and put back after every transactional test.

Seeding the demo through the services takes 10-20 s; putting back a copy takes well under one.
PostgreSQL: a copy of every table in a schema of the test database (`qadam_seed`), put back
with one DELETE and INSERT ... SELECT per table in one transaction (Django's foreign keys
are deferred to the commit). SQLite: a copy of the whole file in memory through SQLite's
backup API, which is safe while the live server and the worker have the file open.

A copy inside the test database, not a template database: the live server's threads and the
session's Celery worker keep connections open, and a database cannot be recreated under them.
"""

from __future__ import annotations

import sqlite3

from django.db import transaction
from django.db.backends.base.base import BaseDatabaseWrapper

SCHEMA = "qadam_seed"
NOT_DATA = {"django_migrations"}  # flush leaves it alone, so does the restore
BIG = 10_000  # rows: a table holding more is truncated, not deleted from (see the restore)


class DatabaseSnapshot:
    """A copy of the data of one test database (the `connection`'s), taken when created."""

    def __init__(self, connection: BaseDatabaseWrapper):
        self.connection = connection
        self.vendor = connection.vendor
        if self.vendor == "postgresql":
            self.tables, self.copied = self._take_postgresql()
        elif self.vendor == "sqlite":
            self.copy = self._take_sqlite()
        else:
            raise NotImplementedError(f"no snapshot for {self.vendor}")

    def restore(self) -> None:
        """Put the database back as it was when the snapshot was taken."""
        if self.vendor == "postgresql":
            self._restore_postgresql()
        else:
            self._restore_sqlite()

    # PostgreSQL ----------------------------------------------------------------------------
    def _data_tables(self, cursor) -> list[str]:
        names = self.connection.introspection.table_names(cursor, include_views=False)
        return sorted(set(names) - NOT_DATA)

    def _take_postgresql(self) -> tuple[list[str], list[str]]:
        quote = self.connection.ops.quote_name
        copied = []
        with transaction.atomic(using=self.connection.alias), self.connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
            cursor.execute(f"CREATE SCHEMA {SCHEMA}")
            tables = self._data_tables(cursor)
            for table in tables:
                cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {quote(table)})")
                if cursor.fetchone()[0]:
                    cursor.execute(f"CREATE TABLE {SCHEMA}.{quote(table)} AS TABLE {quote(table)}")
                    copied.append(table)
        return tables, copied

    def _restore_postgresql(self) -> None:
        quote = self.connection.ops.quote_name
        with transaction.atomic(using=self.connection.alias), self.connection.cursor() as cursor:
            # Tables created since (none today) are emptied too, as a flush would.
            tables = self._data_tables(cursor)
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            # DELETE, not TRUNCATE, for the usual few thousand rows: TRUNCATE's cost is per
            # table (new files for each table and index, synced at the commit), seconds for
            # the ~95 tables against hundredths for DELETE. A table a test filled (the 50,000-
            # row import) is truncated instead, with the tables that refer to it (CASCADE):
            # deleting that many rows would cost more and leave them dead until a vacuum.
            # Every foreign key is Django's (deferrable, no ON DELETE at the database level).
            big = self._big_tables(cursor, tables)
            if big:
                cursor.execute(f"TRUNCATE {', '.join(quote(t) for t in big)} CASCADE")
            for table in tables:
                cursor.execute(f"DELETE FROM {quote(table)}")
            for table in self.copied:
                cursor.execute(f"INSERT INTO {quote(table)} SELECT * FROM {SCHEMA}.{quote(table)}")

    def _big_tables(self, cursor, tables: list[str]) -> list[str]:
        """The tables holding more than BIG rows (counted up to BIG + 1), in one query."""
        quote = self.connection.ops.quote_name
        if not tables:
            return []
        cursor.execute(
            " UNION ALL ".join(
                f"SELECT %s WHERE (SELECT count(*) FROM (SELECT 1 FROM {quote(t)} LIMIT {BIG + 1})"
                f" AS n) > {BIG}"
                for t in tables
            ),
            tables,
        )
        return [name for (name,) in cursor.fetchall()]

    # SQLite --------------------------------------------------------------------------------
    def _take_sqlite(self) -> sqlite3.Connection:
        self.connection.ensure_connection()
        copy = sqlite3.connect(":memory:", check_same_thread=False)
        self.connection.connection.backup(copy)
        return copy

    def _restore_sqlite(self) -> None:
        self.connection.ensure_connection()
        self.copy.backup(self.connection.connection)
