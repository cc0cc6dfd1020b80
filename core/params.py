"""Query parameters as the app means them: a value that is not what was asked for is treated
as absent (or as "no such object"), never passed to the database to fail there."""

from __future__ import annotations

# PostgreSQL's bigint, the type of every id column.
MAX_ID = 2**63 - 1


def int_param(value: str | None) -> int | None:
    """A positive id or page number from a query parameter, or None when it is missing, not a
    whole number (`abc`, `1.5`, `-1`) or larger than any id can be."""
    if not value or not value.isascii() or not value.isdigit():
        return None
    number = int(value)
    return number if 0 < number <= MAX_ID else None
