"""The CSV flavour of every list (`?format=csv` or `Accept: text/csv`): the whole filtered list
in one streamed response, for Power BI and Excel. Rows are read with a queryset iterator in
chunks and written by core.tabular (UTF-8 with BOM, formula injection neutralised), so memory
stays flat and no page cap applies. Columns are the JSON serializer's fields, flattened."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from decimal import Decimal, InvalidOperation
from typing import Any

from rest_framework import serializers
from rest_framework.renderers import BaseRenderer, JSONRenderer

from core.tabular import csv_response

# Rows read per database round trip (and per prefetch of related rows).
CHUNK_SIZE = 1000
LIST_SEPARATOR = "; "


class CsvRenderer(BaseRenderer):
    """Lets content negotiation choose CSV (`?format=csv`, `Accept: text/csv`). A list answers
    with its own streamed response (`stream_csv`); this renderer only ever renders what is
    left, an error, which `ScopedViewSet` sends as JSON instead."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return JSONRenderer().render(data)


def _flat(value: Any) -> Any:
    """One cell for a serialized value: a related object as its id (or name, code), a list as
    its items joined by "; "."""
    if isinstance(value, dict):
        for key in ("id", "name", "code"):
            if key in value:
                return value[key]
        return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(value, list | tuple):
        return LIST_SEPARATOR.join(str(_flat(item)) for item in value)
    return value


def _decimal(value: Any) -> Any:
    # DRF gives decimals as text; as numbers they are not mistaken for formulas ("-1.5").
    try:
        return Decimal(value) if isinstance(value, str) else value
    except InvalidOperation:
        return value


def csv_rows(serializer: serializers.Serializer, objects: Iterable) -> Iterator[list[Any]]:
    """Each object as the serializer's JSON row, flattened to cells in its field order. One
    serializer serves every row, so its fields (and who may see which) are settled once."""
    fields = list(serializer.fields.items())
    for obj in objects:
        data = serializer.to_representation(obj)
        row = []
        for name, field in fields:
            value = data.get(name)
            if isinstance(field, serializers.DecimalField):
                value = _decimal(value)
            row.append(_flat(value))
        yield row


def stream_csv(serializer: serializers.Serializer, queryset, filename: str):
    """The queryset, ordered by id and read in chunks, as a streamed CSV download whose header
    is the serializer's field names."""
    objects = queryset.order_by("pk").iterator(chunk_size=CHUNK_SIZE)
    return csv_response(list(serializer.fields), csv_rows(serializer, objects), filename)
