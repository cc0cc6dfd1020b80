"""The listing toolkit every list page uses: one page of rows, the search term, the sort asked
for (checked against the keys the page allows) and sortable column headers with aria-sort.

Links keep the user's filters through Django's `{% querystring %}` tag, so no view builds a
query string: pagination (`partials/pagination.html`) is `{% querystring page=n %}`, a sortable
header `{% querystring sort=header.next_sort page=None %}`.

A page of a queryset is picked "ids first" (`IdsFirstPaginator`): the page's primary keys are
chosen by a narrow query (the filters and the ORDER BY, no joined rows, no per-row counts), and
the page's rows, with every annotation, are read for those keys only; a page in the second half
of the list is picked from the end (the order reversed), so the last page costs the first's.
With plain OFFSET paging
the database computes each row's annotations (a per-row count subquery) for every skipped row
too, so the last page of 200,000 people cost 200,000 subqueries.

A list whose exact count is slow may pass an estimate instead (`paginate(count=Estimate(n))`,
only above `ESTIMATE_ABOVE` rows): a page in the first half then says "about N" and finds out
whether a next page exists by reading one row more than it shows, so a low estimate never hides
rows; a page in the second half, or past the end, is counted exactly (`Estimate.exact`) and read
from the end, so a high estimate never shows an empty page.

A long list's pager links name the row the next page follows (`IdsFirstPaginator.seek`), and a
deep page asked for by its number reads on from the list's kept page edges (`keep_edges`): no
page walks its offset through a long list, but the first deep page after a change."""

from __future__ import annotations

import json
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from functools import cached_property, reduce
from operator import or_
from typing import Any

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.paginator import EmptyPage, Page, Paginator
from django.db import connection
from django.db.models import (
    CharField,
    F,
    Func,
    IntegerField,
    Model,
    OrderBy,
    Q,
    QuerySet,
    TextField,
    Value,
    Window,
)
from django.db.models.functions import Collate, RowNumber
from django.http import HttpRequest

# Counts above this many rows may be estimated where counting exactly is slow (and say so).
ESTIMATE_ABOVE = 10_000
# A list of more than this many rows reads its pages on from the row the pager's link names
# (`IdsFirstPaginator.seek`); a shorter one is cheap by offset, and its links stay plain.
SEEK_ABOVE = ESTIMATE_ABOVE
# A searched list with at most this many matches sorts its matches instead of walking the sort
# key's index (`IdsFirstPaginator.sort_matches`).
SORT_MATCHES_BELOW = 20_000
# A page asked for by its number, more than EDGES_FROM rows from both ends of a list of at most
# EDGES_UPTO rows ordered by one column and its key, is read on from the last row of the page
# before, found in the list's kept page edges (`IdsFirstPaginator.keep_edges`).
EDGES_FROM = 2_500
EDGES_UPTO = 1_000_000


@dataclass(frozen=True)
class Estimate:
    """A row count that is not exact (a table's size from PostgreSQL's statistics, a recent
    count kept in the cache): the list says "about N". `exact` counts exactly (the cheapest
    way the list knows; the rows' own COUNT when None), for the pages that need it."""

    n: int
    exact: Callable[[], int] | None = None


def table_size_estimate(model: type[Model]) -> int | None:
    """PostgreSQL's estimate of the rows in `model`'s table (pg_class.reltuples, kept by
    VACUUM/ANALYZE and autovacuum, scaled to the table's current size in pages as the planner
    does); None when there is none (never analysed, or not PostgreSQL)."""
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reltuples, relpages, "
            "pg_relation_size(oid) / current_setting('block_size')::int "
            "FROM pg_class WHERE oid = %s::regclass",
            [model._meta.db_table],
        )
        row = cursor.fetchone()
    if not row or row[0] < 0 or not row[1]:
        return None
    reltuples, relpages, pages_now = row
    return round(reltuples / relpages * max(pages_now, 1))


def planner_estimate(rows: QuerySet) -> int | None:
    """PostgreSQL's estimate of how many rows `rows` holds: the planner's, from the tables'
    statistics, without reading a row (EXPLAIN, about a millisecond); None elsewhere."""
    if connection.vendor != "postgresql":
        return None
    sql, params = rows.order_by().values("pk").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def count_or_estimate(rows: QuerySet, exact: Callable[[], int] | None = None) -> int | Estimate:
    """How many rows a searched or filtered list holds: exact (`exact()`, or the rows' own
    COUNT) when the planner expects at most `ESTIMATE_ABOVE`, else the planner's estimate, said
    as "about" (counting 20,000 matches of a two-letter search reads them all). A page that
    finds the list's end, and every page in its second half, counts exactly
    (`IdsFirstPaginator`), so the estimate never hides a row nor shows an empty page."""
    exact = exact or rows.count
    guess = planner_estimate(rows)
    if guess is not None and guess > ESTIMATE_ABOVE:
        return Estimate(guess, exact=exact)
    return exact()


def with_total_order(rows: QuerySet) -> QuerySet:
    """`rows` ordered as asked, then by primary key (in the direction of the last sort key)
    when the ordering does not already end the ties: rows that sort alike (the same name, the
    same birth year) must keep one order across page requests, or a row shows on two pages and
    another on none. Unordered querysets are left alone (the paginator warns about them)."""
    if not rows.ordered:
        return rows
    ordering = list(rows.query.order_by or (rows.model._meta.ordering or []))
    pk_names = {"pk", rows.model._meta.pk.name, rows.model._meta.pk.attname}
    for item in ordering:
        name = item.lstrip("-") if isinstance(item, str) else _field_name(item)
        if name in pk_names:
            return rows
    # The key goes the way of the last sort key, so that an index on (column, id) serves the
    # list both ways (read backwards for a descending sort).
    last = ordering[-1] if ordering else ""
    descending = (
        last.startswith("-") if isinstance(last, str) else bool(getattr(last, "descending", False))
    )
    return rows.order_by(*ordering, "-pk" if descending else "pk")


def unindexed_order(rows: QuerySet) -> QuerySet:
    """`rows` in the same order, with each text or integer column of the ORDER BY written as
    an expression of equal value (`name || ''` in the column's collation, `year + 0`) that no
    index can serve: the database then finds the rows through the WHERE's indexes and sorts
    them. Other sort keys (dates, joined columns, expressions) are kept as they are."""
    ordering = []
    for item in rows.query.order_by:
        if not isinstance(item, str) or "__" in item:
            ordering.append(item)
            continue
        descending, name = item.startswith("-"), item.lstrip("-")
        try:
            field = rows.model._meta.pk if name == "pk" else rows.model._meta.get_field(name)
        except FieldDoesNotExist:  # an annotation (a count, a latest date): kept as it is
            ordering.append(item)
            continue
        if field.primary_key or not getattr(field, "concrete", False):
            ordering.append(item)
            continue
        if isinstance(field, CharField | TextField):
            key = Func(F(name), Value(""), template="(%(expressions)s)", arg_joiner=" || ")
            key.output_field = TextField()
            if field.db_collation:
                key = Collate(key, field.db_collation)
        elif isinstance(field, IntegerField):
            key = F(name) + 0
        else:
            ordering.append(item)
            continue
        ordering.append(OrderBy(key, descending=descending))
    return rows.order_by(*ordering)


def _field_name(expression: Any) -> str:
    if isinstance(expression, OrderBy):
        expression = expression.expression
    return expression.name if isinstance(expression, F) else ""


class ListPage(Page):
    """A page of `IdsFirstPaginator`: its "Next" and "Previous" links may carry the key of
    the row the next page follows (`next_key`) or the previous page precedes
    (`previous_key`), so that the list reads on from that row (`?after=`, `?before=`)
    instead of walking to an offset (`IdsFirstPaginator.seek`). None where the list is not
    read that way (the link is the page number alone)."""

    @property
    def next_key(self) -> Any:
        if not self.paginator.seekable or not self.has_next() or not len(self):
            return None
        return self[len(self) - 1].pk

    @property
    def previous_key(self) -> Any:
        # The first page is cheap by its number, and its link stays plain.
        if not self.paginator.seekable or self.number <= 2 or not len(self):
            return None
        return self[0].pk


class EstimatedPage(ListPage):
    """A page of a list whose count is estimated: whether a next page exists is known from
    the rows read, not from the count."""

    more: bool = False

    def has_next(self) -> bool:
        return self.more


class SeekPage(ListPage):
    """A page read on from a row of the list (`IdsFirstPaginator.seek`): whether the list goes
    on either side is known from the rows read."""

    more_after = True
    more_before = True

    def has_next(self) -> bool:
        # An exactly counted list never links past its counted end.
        paginator = self.paginator
        return self.more_after and (paginator.estimated or self.number < paginator.num_pages)

    def has_previous(self) -> bool:
        return self.number > 1 and self.more_before


# The query parameters of the pager's "Next" and "Previous" links besides the page number
# (`paginate`): not filters (core.listing `has_filters`, a kept count's key, an export's).
SEEK_PARAMS = ("after", "before")


def seek_order(
    rows: QuerySet, *, key: str = "pk", nullable: bool = False
) -> tuple[str, bool] | None:
    """(column, descending) when `rows` are ordered by one column of their own that is never
    NULL, then by their key column `key` (the primary key, or the column of another table's
    primary keys in a list's `key_rows`) the same way (`with_total_order`), or by the key
    alone (the key): the orders a page can be read on from a row in
    (`IdsFirstPaginator.seek`), with one index range when the column has an index on
    (column, key). With `nullable`, the column may hold NULLs (`_rows_beyond` places them
    where the database sorts them). None otherwise (a joined column, an annotation, NULLs,
    mixed directions)."""
    ordering = list(rows.query.order_by)
    if not ordering or len(ordering) > 2 or not all(isinstance(o, str) for o in ordering):
        return None
    meta = rows.model._meta
    key_names = {"pk", meta.pk.name, meta.pk.attname} if key == "pk" else {key}
    descending = ordering[-1].startswith("-")
    if ordering[-1].lstrip("-") not in key_names:
        return None
    if len(ordering) == 1:
        return key, descending
    first = ordering[0]
    name = first.lstrip("-")
    if first.startswith("-") != descending or "__" in name:
        return None
    try:
        field = meta.get_field(name)
    except FieldDoesNotExist:  # an annotation
        return None
    if not getattr(field, "concrete", False) or field.is_relation:
        return None
    if field.null and not nullable:
        return None
    return field.attname, descending


def _rows_beyond(rows: QuerySet, key: str, token: Any, direction: str) -> list[QuerySet] | None:
    """The rows of `rows` (in a `seek_order` by `key`, NULLs allowed) that follow ("after")
    or precede ("before") the row whose `key` is `token`, in the order they are read from
    it, as querysets to read one after the other (the rows sorting as NULL last, each part
    one index range); None when that row is not in `rows` or sorts as NULL (then the caller
    reads by offset)."""
    column, descending = seek_order(rows, key=key, nullable=True)
    meta = rows.model._meta
    field = meta.pk if key == "pk" else meta.get_field(key)
    try:
        value = field.to_python(token)
        found = list(rows.filter(**{key: value}).order_by().values_list(column, flat=True)[:1])
    except (ValidationError, ValueError, TypeError, OverflowError):
        return None
    if not found or found[0] is None:  # not in the list (any more, or never), or a NULL
        return None
    edge = found[0]
    # Further along the list's order ("after") or back ("before").
    op = "gt" if (direction == "after") != descending else "lt"
    if column == key:
        parts = [rows.filter(**{f"{key}__{op}": value})]
    else:
        beyond = Q(**{f"{column}__{op}e": edge}) & (
            Q(**{f"{column}__{op}": edge}) | Q(**{f"{key}__{op}": value})
        )
        parts = [rows.filter(beyond)]
        # PostgreSQL sorts NULLs last going up, SQLite first: they are beyond the row when
        # they come later in the direction read (apart: OR-ed in, the range is no index's).
        nulls_last = (connection.vendor == "postgresql") != descending
        if meta.get_field(column).null and (direction == "after") == nulls_last:
            parts.append(rows.filter(**{f"{column}__isnull": True}))
    return [part.reverse() for part in parts] if direction == "before" else parts


@dataclass(frozen=True)
class PageEdges:
    """A list's exact row count and the primary key of the last row of each of its pages (the
    first page's, the second's, ...): page N is the rows after the (N-1)th key."""

    count: int
    last_keys: list[Any]


class IdsFirstPaginator(Paginator):
    """A paginator whose pages of a queryset are read "ids first": one query whose WHERE is
    `pk IN (the page's primary keys in the list's order, OFFSET/LIMIT)`, ordered as the list.
    The database skips rows on the narrow inner query and computes annotations (counts,
    subqueries) and joins for the page's rows only; still one query per page, as before.
    Lists that are not querysets (already a list, the audit trail) or DISTINCT querysets are
    sliced as usual."""

    estimated = False  # the count is an `Estimate` (set by `paginate`)
    # A searched list (set by `paginate`): with few matches, the page's keys are picked by
    # sorting the matches (found through the search's own indexes) rather than by walking the
    # sort key's index and testing every row on the way. Names sort by surname, so a surname's
    # matches sit together in the name index: "Omarov" (11,060 of 200,204 people) walked
    # 122,000 rows before the first match (176 ms); found by the trigram index and sorted,
    # 24 ms. A search that matches more than SORT_MATCHES_BELOW rows walks the index, which
    # then meets a match every few rows.
    sort_matches = False
    # Where the page's keys are read from when not from the rows themselves (set by
    # `paginate(keys=...)`): a queryset of another table ordered as the list is (totally, the
    # order `with_total_order` gives the rows) and the name of its column holding the rows'
    # primary keys. A summary kept in the list's order pages through one index range where
    # the rows' own query would walk a larger index testing each row.
    key_rows: QuerySet | None = None
    key_name = "pk"
    _exact: Callable[[], int] | None = None
    # ("after" or "before", a row's primary key as the link gave it; set by `paginate`): the
    # page is the rows that follow (precede) that row in the list's order. A list of more than
    # SEEK_ABOVE rows (`seekable`) gives its "Next" and "Previous" links the key of the
    # row at the page's edge (`ListPage.next_key`), so a user paging through it reads each
    # page from an index range starting at that row: OFFSET walks, and tests against the
    # search, every row before the page (half-way down a two-letter search of 1,000,000
    # people: 430,000 rows, about 530 ms). A page asked for by its number alone (a link
    # typed or kept) is read by its offset, as before; so is a page whose row is no longer
    # in the list (deleted, renamed out of the search): the number stays the page's label.
    seek: tuple[str, str] | None = None
    # How the list keeps its page edges (set by `paginate(keep_edges=...)`): called with a
    # function that reads them (`_read_edges`), it returns them, kept until the list's rows
    # may have changed. A page asked for by its number deep in a long list (a search of the
    # whole country matching 42,000 of 1,000,000 people, half-way down) is otherwise read by
    # sorting every match up to its offset: every match read from the table (about 150 ms
    # there), on every request. With the edges, only the first deep page after a change reads
    # them all; every page then reads on from its edge (`seek`), as its "Next" link does.
    keep_edges: Callable[[Callable[[], PageEdges]], PageEdges] | None = None

    def __init__(self, object_list: Any, per_page: int, **kwargs: Any) -> None:
        if isinstance(object_list, QuerySet):
            object_list = with_total_order(object_list)
        super().__init__(object_list, per_page, **kwargs)

    def set_count(self, count: int | Estimate) -> None:
        """Use `count` instead of counting the rows (an `Estimate`: say "about")."""
        self.estimated = isinstance(count, Estimate)
        self._exact = count.exact if isinstance(count, Estimate) else None
        # Paginator.count and num_pages are cached properties: these are their values.
        self.__dict__["count"] = count.n if isinstance(count, Estimate) else count
        self.__dict__.pop("num_pages", None)

    @cached_property
    def seekable(self) -> bool:
        """Do this list's pager links read on from a row (`seek`)? Lists of more than
        SEEK_ABOVE rows of a queryset in a `seek_order`, whose keys are the rows' own."""
        rows = self.object_list
        return (
            self.key_rows is None
            and isinstance(rows, QuerySet)
            and not (rows.query.distinct or rows.query.combinator)
            and self.count > SEEK_ABOVE
            and seek_order(rows) is not None
        )

    def _get_page(self, *args: Any, **kwargs: Any) -> Page:
        return ListPage(*args, **kwargs)

    def _seek_page(
        self, number: int, direction: str, token: Any, *, from_keys: bool = False
    ) -> Page | None:
        """Page `number` read on from the row `token` names (`seek`), "after" or "before" it,
        among the rows (or with `from_keys`, among the list's `key_rows`: `_edge_page`);
        None when it cannot be (the row is not in the list, or the list ends there): the
        caller reads it by offset."""
        rows = self.object_list
        keys, key = self._key_source() if from_keys else (rows, "pk")
        parts = _rows_beyond(keys, key, token, direction)
        if parts is None:
            return None
        page_keys = []
        for part in parts:
            wanted = self.per_page + 1 - len(page_keys)
            if wanted > 0:
                page_keys += list(part.values_list(key, flat=True)[:wanted])
        if not page_keys:
            return None
        more = len(page_keys) > self.per_page
        found = list(rows.filter(pk__in=page_keys[: self.per_page]))
        page = SeekPage(found, number, self)
        if direction == "after":
            page.more_after = more
            if self.estimated:
                if not more:  # the end of the list: counted from the page's number
                    self.set_count((number - 1) * self.per_page + len(found))
                elif number >= self.num_pages:
                    self.__dict__["num_pages"] = number + 1  # the estimate was low
        else:
            page.more_before = more
        return page

    def validate_number(self, number: Any) -> int:
        if not self.estimated:
            return super().validate_number(number)
        try:
            return super().validate_number(number)
        except EmptyPage:
            # Past the estimated end: the rows decide (page() answers the real last page).
            if int(number) < 1:
                raise
            return int(number)

    def _key_source(self) -> tuple[QuerySet, str]:
        """Where the page's keys are read from: the `key_rows` and their key column, or the
        rows and their primary key."""
        if self.key_rows is not None:
            return self.key_rows, self.key_name
        return self.object_list, "pk"

    def _read_edges(self) -> PageEdges:
        """The list's exact count and the key of every page's last row: every row of the list
        numbered in its order (one index range, or the search's matches sorted), the keys of
        the rows whose number is a multiple of the page size returned."""
        keys, key = self._key_source()
        if self.key_rows is None and self.sort_matches:
            keys = unindexed_order(keys)  # the matches found by the search, then sorted
        number = Window(RowNumber(), order_by=list(keys.query.order_by))
        numbered = keys.annotate(_row=number, _edge=number % self.per_page).filter(_edge=0)
        last_keys = [k for _, k in sorted(numbered.values_list("_row", key))]
        return PageEdges(self.count, last_keys)  # exact (`_edge_page`)

    def _edge_page(self, number: Any) -> Page | None:
        """Page `number` read on from the last row of the page before, found in the kept page
        edges (`keep_edges`), when the page lies deep in the list; None otherwise (the
        caller reads it by offset, which is cheap near either end)."""
        keys, key = self._key_source()
        rows = self.object_list
        if (
            self.keep_edges is None
            or not isinstance(rows, QuerySet)
            or rows.query.distinct
            or rows.query.combinator
            or seek_order(keys, key=key, nullable=self.key_rows is not None) is None
        ):
            return None
        try:
            wanted = int(number)
        except (TypeError, ValueError):
            return None
        if wanted <= 1 or self.count > EDGES_UPTO:
            return None
        if self.estimated:
            if (wanted - 1) * self.per_page <= EDGES_FROM:
                return None  # near the start: cheap by its offset, and no count needed
            # How deep the page is depends on the real count (the caller's kept count).
            self.set_count(self._exact() if self._exact else rows.count())
            wanted = min(wanted, self.num_pages)
        if not self._deep(wanted):
            return None
        edges = self.keep_edges(self._read_edges)
        self.set_count(edges.count)
        wanted = min(wanted, self.num_pages)
        if wanted - 2 >= len(edges.last_keys):
            return None
        return self._seek_page(wanted, "after", edges.last_keys[wanted - 2], from_keys=True)

    def _deep(self, number: int) -> bool:
        """Is page `number` more than EDGES_FROM rows from both ends of the counted list?"""
        bottom = (number - 1) * self.per_page
        return min(bottom, self.count - bottom) > EDGES_FROM

    def get_page(self, number: Any) -> Page:
        if self.seek is None and (page := self._edge_page(number)) is not None:
            return page
        if self.seek is not None and self.seekable:
            try:
                wanted = int(number)
            except (TypeError, ValueError):
                wanted = 0
            # An exactly counted list's page numbers stop at its count (a number past it is
            # answered by the last page, read by offset).
            fits = self.estimated or wanted <= self.num_pages
            if wanted > 1 and fits and (page := self._seek_page(wanted, *self.seek)) is not None:
                return page
        return super().get_page(number)

    def page(self, number: Any) -> Page:
        rows = self.object_list
        if (
            self.estimated
            and isinstance(rows, QuerySet)
            and not (rows.query.distinct or rows.query.combinator)
        ):
            number = self.validate_number(number)
            if number * 2 > self.num_pages:
                # The second half (or past the end): count exactly, then read the page from
                # the end like any exactly counted list, instead of walking to its offset.
                return self._exact_page(number)
            return self._estimated_page(number)
        # DISTINCT puts the ORDER BY columns into the inner SELECT (not a key list any more);
        # such lists (report runs, a partner's events) are small and sliced as usual.
        if not isinstance(rows, QuerySet) or rows.query.distinct or rows.query.combinator:
            return super().page(number)
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if top + self.orphans >= self.count:
            top = self.count
        # The inner query keeps the filters and the ORDER BY (with what it orders by, a count
        # included) but selects the key only; Django keeps the ordering of a sliced subquery.
        keys, key = rows, "pk"
        if self.key_rows is not None:
            keys, key = self.key_rows, self.key_name
        elif self.sort_matches and self.count <= SORT_MATCHES_BELOW:
            keys = unindexed_order(rows)
        if bottom > self.count - top and rows.ordered:
            # Nearer the end than the start: the same rows read from the end, in the reversed
            # order (exact, because the order is total: with_total_order), so the last page
            # costs what the first does instead of walking the whole list to its offset.
            page_keys = keys.reverse().values(key)[self.count - top : self.count - bottom]
        else:
            page_keys = keys.values(key)[bottom:top]
        return self._get_page(rows.filter(pk__in=page_keys), number, self)

    def _exact_page(self, number: int) -> Page:
        exact = self._exact() if self._exact else self.object_list.count()
        self.set_count(exact)
        return self.page(min(number, self.num_pages))

    def _estimated_page(self, number: int) -> Page:
        """The page's rows and one more (is there a next page?), in the one page query."""
        rows = self.object_list
        bottom = (number - 1) * self.per_page
        keys, key = rows, "pk"
        if self.key_rows is not None:  # as an exactly counted list (`page`)
            keys, key = self.key_rows, self.key_name
        elif self.sort_matches and self.count <= SORT_MATCHES_BELOW:
            keys = unindexed_order(rows)  # as an exactly counted search (`page`)
        page_keys = keys.values(key)[bottom : bottom + self.per_page + 1]
        found = list(rows.filter(pk__in=page_keys))
        if not found and number > 1:  # the estimate was high: the real last page
            return self._exact_page(number)
        more = len(found) > self.per_page
        if not more:
            # The end of the list: its count is known exactly, whatever was guessed.
            self.set_count(bottom + len(found))
            return self._get_page(found, number, self)
        page = EstimatedPage(found[: self.per_page], number, self)
        page.more = True
        if number >= self.num_pages:
            self.__dict__["num_pages"] = number + 1  # the estimate was low: at least one more
        return page


def paginate(
    request: HttpRequest,
    rows: Any,
    per_page: int,
    *,
    param: str = "page",
    count: int | Estimate | None = None,
    keys: tuple[QuerySet, str] | None = None,
    keep_edges: Callable[[Callable[[], PageEdges]], PageEdges] | None = None,
) -> Page:
    """The page of `rows` that `?page=` asks for (not a number: the first; past the end: the
    last), read ids first when `rows` is a queryset (`IdsFirstPaginator`). `count`: how many
    rows there are when the caller has a cheaper way to know it than counting `rows`; an
    `Estimate` when that is not exact (the page then says "about": `paginator.estimated`).
    `keys`: (a queryset in the rows' order, its column of their primary keys) to pick the
    page's keys from (`IdsFirstPaginator.key_rows`), with a `count` of the same rows.
    A list searched with `?q=` sorts its matches when they are few (`sort_matches`).
    `?after=` / `?before=` (the pager's links of a long list; `<param>_after` for another
    `param`) read the page on from the row they name (`IdsFirstPaginator.seek`).
    `keep_edges(read)`: `read()` kept until the rows may change (the caller's cache): a page
    asked for by its number deep in a long list reads on from its edge
    (`IdsFirstPaginator.keep_edges`)."""
    paginator = IdsFirstPaginator(rows, per_page)
    paginator.keep_edges = keep_edges
    paginator.sort_matches = bool(search_term(request))
    for direction in SEEK_PARAMS:
        name = direction if param == "page" else f"{param}_{direction}"
        if token := request.GET.get(name):
            paginator.seek = (direction, token)
            break
    if keys is not None:
        paginator.key_rows, paginator.key_name = keys
    if count is not None:
        paginator.set_count(count)
    return paginator.get_page(request.GET.get(param))


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
    """Does the query string ask for anything besides `ignore` (the page, the sort) and the
    pager's `SEEK_PARAMS`?"""
    return any(name not in ignore and name not in SEEK_PARAMS for name in request.GET)


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
