"""A connected form's XLSX/CSV export uploaded through the import: a column source
(participants/imports/sources.py) whose header is read with the form's mapping; the rows
are then checked and written by the import as any file (all rows or none)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from accounts.scope import Scope
from participants.imports.sources import ColumnSource, SourceGone

from .models import KoboConnection
from .payload import export_header

PREFIX = "kobo"


def _choices(scope: Scope) -> list[tuple[str, str]]:
    # Connections are set up by programme staff; any importer may read a connected form's
    # export (the mapping says nothing about people).
    if not (scope.can_edit and scope.can_see_people):
        return []
    return [
        (f"{PREFIX}:{pk}", _("Kobo export: %(name)s") % {"name": name})
        for pk, name in KoboConnection.objects.order_by("name", "pk").values_list("pk", "name")
    ]


def _rename(value: str, header: list[Any]) -> list[Any]:
    try:
        pk = int(value.split(":", 1)[1])
    except (IndexError, ValueError):
        raise SourceGone(value) from None
    connection = KoboConnection.objects.filter(pk=pk).first()
    if connection is None:
        raise SourceGone(value)
    return export_header(header, connection.questions)


KOBO_EXPORTS = ColumnSource(prefix=PREFIX, choices=_choices, rename=_rename)
