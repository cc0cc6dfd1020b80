"""Django's SQLite backend with one difference: a whole number too large for SQLite's integers
is sent as a real number instead of failing in the driver.

PostgreSQL compares `id = 99999999999999999999999` and finds nothing; Python's sqlite3 module
cannot bind that number at all and raises OverflowError, which became a 500 wherever a form or
a lookup passed an id from a request to the database (a fuzzed API request found one). As a
real number it compares as PostgreSQL's does: no row has that id."""

from __future__ import annotations

from collections.abc import Mapping

from django.db.backends.sqlite3 import base, operations

SMALLEST, LARGEST = -(2**63), 2**63 - 1


def _fit(value):
    if type(value) is int and not SMALLEST <= value <= LARGEST:
        return float(value)
    return value


def _fit_all(params):
    if params is None:
        return None
    if isinstance(params, Mapping):
        return {name: _fit(value) for name, value in params.items()}
    return [_fit(value) for value in params]


class CursorWrapper(base.SQLiteCursorWrapper):
    def execute(self, query, params=None):
        return super().execute(query, _fit_all(params))

    def executemany(self, query, param_list):
        return super().executemany(query, (_fit_all(params) for params in param_list))


class DatabaseOperations(operations.DatabaseOperations):
    def last_executed_query(self, cursor, sql, params):
        # The SQL shown in the debug log quotes the parameters through the driver too.
        return super().last_executed_query(cursor, sql, _fit_all(params))


class DatabaseWrapper(base.DatabaseWrapper):
    ops_class = DatabaseOperations

    def create_cursor(self, name=None):
        return self.connection.cursor(factory=CursorWrapper)
