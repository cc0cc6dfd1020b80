"""Other ways to read a file's header than Qadam's column names: a registry that feature apps
fill (the KoboToolbox intake registers the exports of its connected forms). The import itself
knows nothing of them: it asks here for the choices the uploader has and, when checking a
file, for the header renamed to Qadam's column keys. A lower layer reacting to a higher one
through a registry, as docs/architecture.md says."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from accounts.scope import Scope


class SourceGone(Exception):
    """The column source a batch was uploaded with no longer exists (or no longer maps)."""


@dataclass(frozen=True)
class ColumnSource:
    """`prefix`: the first part of the stored value ("kobo" in "kobo:3"). `choices(scope)`:
    (value, label) pairs the uploader may pick. `rename(value, header)`: the header with each
    cell the source knows replaced by a Qadam column key (others left as they are); raises
    SourceGone when the value names nothing any more."""

    prefix: str
    choices: Callable[[Scope], list[tuple[str, str]]]
    rename: Callable[[str, list[Any]], list[Any]]


_SOURCES: dict[str, ColumnSource] = {}


def register(source: ColumnSource) -> None:
    _SOURCES[source.prefix] = source


def choices(scope: Scope) -> list[tuple[str, str]]:
    """Every registered column source this uploader may pick, in registration order."""
    found: list[tuple[str, str]] = []
    for source in _SOURCES.values():
        found.extend(source.choices(scope))
    return found


def rename_header(value: str, header: list[Any]) -> list[Any]:
    """The header as Qadam's column keys for a batch uploaded with column source `value`
    ("" leaves it as it is)."""
    if not value:
        return header
    source = _SOURCES.get(value.split(":", 1)[0])
    if source is None:
        raise SourceGone(value)
    return source.rename(value, header)
