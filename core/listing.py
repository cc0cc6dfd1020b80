"""The listing toolkit every list page uses: one page of rows, the search term, the sort asked
for (checked against the keys the page allows) and sortable column headers with aria-sort.

Links keep the user's filters through Django's `{% querystring %}` tag, so no view builds a
query string: pagination (`partials/pagination.html`) is `{% querystring page=n %}`, a sortable
header `{% querystring sort=header.next_sort page=None %}`."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from functools import reduce
from operator import or_
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.http import HttpRequest


def paginate(request: HttpRequest, rows: Any, per_page: int, *, param: str = "page") -> Page:
    """The page of `rows` that `?page=` asks for (not a number: the first; past the end: the
    last)."""
    return Paginator(rows, per_page).get_page(request.GET.get(param))


def search_term(request: HttpRequest, param: str = "q") -> str:
    """What the user typed in the list's search box, without surrounding spaces."""
    return request.GET.get(param, "").strip()


def search(rows: QuerySet, term: str, fields: Iterable[str]) -> QuerySet:
    """The rows where any of `fields` contains `term` (ignoring case); every row for no term."""
    conditions = [Q(**{f"{name}__icontains": term}) for name in fields]
    if not term or not conditions:
        return rows
    return rows.filter(reduce(or_, conditions))


def read_sort(
    request: HttpRequest, allowed: Collection[str], default: str, *, reversible: bool = True
) -> str:
    """The `?sort=` value when the page allows it, else `default`. With `reversible`, a key of
    `allowed` may be preceded by "-" (descending); without, only the values in `allowed` count."""
    sort = request.GET.get("sort", "")
    key = sort.removeprefix("-") if reversible else sort
    return sort if key and key in allowed else default


def has_filters(request: HttpRequest, ignore: Collection[str] = ("page", "sort")) -> bool:
    """Does the query string ask for anything besides `ignore` (the page, the sort)?"""
    return any(name not in ignore for name in request.GET)


@dataclass(frozen=True)
class SortHeader:
    """A column header of a list: its label, the sort key ("" when the column does not sort),
    aria-sort when the list is sorted by it, and the `?sort=` value its link asks for."""

    label: Any
    key: str = ""
    aria_sort: str = ""  # "ascending", "descending" or ""
    next_sort: str = ""


def sort_headers(
    columns: Iterable[tuple[str, Any]], current: str, *, descending_first: Collection[str] = ()
) -> list[SortHeader]:
    """Headers for `(key, label)` columns while the list is sorted by `current`. A click sorts
    by the column, and the other way round when already sorted by it; columns in
    `descending_first` (counts: the largest first) start descending."""
    headers = []
    for key, label in columns:
        if not key:
            headers.append(SortHeader(label))
            continue
        aria_sort = {key: "ascending", f"-{key}": "descending"}.get(current, "")
        if key in descending_first:
            next_sort = key if current == f"-{key}" else f"-{key}"
        else:
            next_sort = f"-{key}" if current == key else key
        headers.append(SortHeader(label, key, aria_sort, next_sort))
    return headers
