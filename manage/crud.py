"""A small generic list / create / edit / deactivate / delete for the records admins manage, so
each model (partners, districts, programmes, categories...) is declared once as a `Resource`
instead of five views and templates apiece.

Lists have search (`?q=`), filters (django-filter), sorting (`?sort=`, `-` for descending) and
pagination (with core.listing, like every list page), and CSV/XLSX export of the filtered rows
(`?export=csv|xlsx`). Deletes are refused with a clear message while something refers to the
record: it is deactivated instead. Every write goes through `manage.services`, so it is
validated and kept in the model's history."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from accounts.scope import admin_required
from core.listing import paginate, read_sort, search, search_term, sort_headers
from core.names import localised_order
from core.tabular import csv_response, xlsx_response

from . import services

PER_PAGE = 25


@dataclass
class Column:
    """One column of a list (and of its export): a header, how to get the value, and the
    `order_by` field when it is sortable."""

    header: Any
    value: Callable[[Any], Any]
    sort: str = ""
    export_only: bool = False


@dataclass
class Resource:
    key: str  # URL names are "manage:<key>_list", "_create", "_edit", "_deactivate", "_delete"
    segment: str  # the URL path under /manage/
    model: type[Model]
    form_class: type[ModelForm]
    columns: list[Column]
    queryset: Callable[[], QuerySet]
    search_fields: tuple[str, ...] = ()
    filterset_class: Any = None
    default_sort: str = ""
    detail_url: Callable[[Any], str] | None = None  # defaults to the edit page
    extra_actions: Callable[[Any], list[tuple[str, str]]] | None = None  # (label, url) per row
    success_url: Callable[[Any], str] | None = None  # after a save; defaults to the list
    help_text: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def title(self) -> str:
        return str(self.model._meta.verbose_name)

    @property
    def title_plural(self) -> str:
        return str(self.model._meta.verbose_name_plural)

    @property
    def model_label(self) -> str:
        return self.model._meta.label_lower

    def url(self, action: str, obj: Model | None = None) -> str:
        args = [obj.pk] if obj is not None else []
        return reverse(f"manage:{self.key}_{action}", args=args)

    @property
    def names(self) -> dict[str, str]:
        """URL names by action, for `{% url resource.names.edit obj.pk %}` in templates."""
        actions = ("list", "create", "edit", "deactivate", "delete")
        return {a: f"manage:{self.key}_{a}" for a in actions}

    def link(self, obj: Model) -> str:
        return self.detail_url(obj) if self.detail_url else self.url("edit", obj)

    def urlpatterns(self) -> list:
        return [
            path(f"{self.segment}/", self.list_view, name=f"{self.key}_list"),
            path(f"{self.segment}/new/", self.create_view, name=f"{self.key}_create"),
            path(f"{self.segment}/<int:pk>/edit/", self.edit_view, name=f"{self.key}_edit"),
            path(
                f"{self.segment}/<int:pk>/deactivate/",
                self.deactivate_view,
                name=f"{self.key}_deactivate",
            ),
            path(f"{self.segment}/<int:pk>/delete/", self.delete_view, name=f"{self.key}_delete"),
        ]

    # Views ----------------------------------------------------------------------------------
    @property
    def list_view(self):
        return admin_required(self._list)

    @property
    def create_view(self):
        return admin_required(require_http_methods(["GET", "POST"])(self._create))

    @property
    def edit_view(self):
        return admin_required(require_http_methods(["GET", "POST"])(self._edit))

    @property
    def deactivate_view(self):
        return admin_required(require_http_methods(["GET", "POST"])(self._deactivate))

    @property
    def delete_view(self):
        return admin_required(require_http_methods(["GET", "POST"])(self._delete))

    def _list(self, request: HttpRequest) -> HttpResponse:
        listing = filtered_list(request, self.queryset(), self)
        fmt = request.GET.get("export")
        if fmt in ("csv", "xlsx"):
            return export(listing.queryset, self.columns, self.segment, fmt)
        page = paginate(request, listing.queryset, PER_PAGE)
        shown = [c for c in self.columns if not c.export_only]
        rows = [
            {
                "obj": obj,
                "link": self.link(obj),
                "cells": [c.value(obj) for c in shown],
                "actions": self.extra_actions(obj) if self.extra_actions else [],
            }
            for obj in page.object_list
        ]
        return render(
            request,
            "manage/list.html",
            {
                "resource": self,
                "page": page,
                "rows": rows,
                "headers": sort_headers([(c.sort, c.header) for c in shown], listing.sort),
                "filter_form": listing.filter_form,
                "q": listing.q,
            },
        )

    def _create(self, request: HttpRequest) -> HttpResponse:
        initial = {k: v for k, v in request.GET.items() if k in self.form_class.base_fields}
        return self._form(request, self.form_class(request.POST or None, initial=initial))

    def _edit(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = get_object_or_404(self.model, pk=pk)
        return self._form(request, self.form_class(request.POST or None, instance=obj), obj)

    def _form(self, request: HttpRequest, form: ModelForm, obj: Model | None = None):
        if request.method == "POST" and form.is_valid():
            try:
                saved = services.save_record(form.save(commit=False), by=request.user)
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("%(obj)s saved.") % {"obj": saved})
                return redirect(self.success_url(saved) if self.success_url else self.url("list"))
        return render(request, "manage/form.html", {"resource": self, "form": form, "obj": obj})

    def _deactivate(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = get_object_or_404(self.model, pk=pk)
        if request.method == "POST":
            services.set_active(obj, active=not obj.is_active, by=request.user)
            if obj.is_active:
                messages.success(request, _("%(obj)s is active again.") % {"obj": obj})
            else:
                messages.success(
                    request,
                    _("%(obj)s is deactivated: it is no longer offered in lists to pick from.")
                    % {"obj": obj},
                )
            return redirect(self.url("list"))
        return render(
            request,
            "manage/confirm.html",
            {
                "resource": self,
                "obj": obj,
                "action": "reactivate" if not obj.is_active else "deactivate",
            },
        )

    def _delete(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = get_object_or_404(self.model, pk=pk)
        if request.method == "POST":
            name = str(obj)
            try:
                services.delete_record(obj, by=request.user)
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
                return redirect(self.url("list"))
            messages.success(request, _("%(obj)s deleted.") % {"obj": name})
            return redirect(self.url("list"))
        refs = services.references(obj)
        return render(
            request,
            "manage/confirm.html",
            {
                "resource": self,
                "obj": obj,
                "action": "delete",
                "references": refs,
            },
        )


# The rows a list shows --------------------------------------------------------------------
@dataclass
class Listing:
    queryset: QuerySet
    filter_form: Any
    q: str
    sort: str


def _has_field(model, name: str) -> bool:
    return any(f.name == name for f in model._meta.get_fields())


def filtered_list(request: HttpRequest, qs: QuerySet, resource: Resource) -> Listing:
    """Apply search, filters and sorting from the query string to `qs`."""
    filter_form = None
    if resource.filterset_class is not None:
        filterset = resource.filterset_class(request.GET or None, queryset=qs)
        filter_form = filterset.form
        if filterset.is_valid():
            qs = filterset.qs
    q = search_term(request)
    qs = search(qs, q, resource.search_fields)
    sort = read_sort(request, {c.sort for c in resource.columns if c.sort}, resource.default_sort)
    if sort:
        key = sort.removeprefix("-")
        if _has_field(qs.model, f"{key}_kk"):
            # A translated name (core.names) sorts by the form the reader sees.
            order = localised_order(key)
            qs = qs.order_by(order.desc() if sort.startswith("-") else order.asc(), "pk")
        else:
            # "name_{lang}" sorts by the name in the language the page is shown in.
            qs = qs.order_by(sort.format(lang=(get_language() or "en")[:2]), "pk")
    return Listing(qs, filter_form, q, sort)


def export(qs: QuerySet, columns: list[Column], name: str, fmt: str) -> HttpResponse:
    """The filtered list as a CSV or XLSX download (every row, not just the page)."""
    header = [str(c.header) for c in columns]
    rows = ([_text(c.value(obj)) for c in columns] for obj in qs.iterator(chunk_size=2000))
    filename = f"{name}-{timezone.localdate():%Y-%m-%d}.{fmt}"
    if fmt == "xlsx":
        return xlsx_response(header, rows, filename, title=name)
    return csv_response(header, rows, filename)


def _text(value: Any) -> Any:
    # Lazy translations and model instances become text; numbers, dates and bools stay typed
    # (core.tabular neutralises formula-like text).
    if value is None or isinstance(value, bool | int | float) or hasattr(value, "isoformat"):
        return value
    return str(value)
