"""The two access guards every view uses, so "may this user do it, and does the object exist
for them" reads the same everywhere.

- `visible_or_404(queryset, **lookup)`: the object from an already scoped selector
  (`events_visible(scope)`, `people_visible(scope)`, ...) or 404. An object outside the user's
  scope is "not found", never "forbidden", so its existence does not leak.
- `require(allowed)`: 403 unless the user may do this (`require(scope.can_edit)`); with
  `hidden=True` a 404, for pages that do not exist for everyone else.
- `capability_required(name)`: a view decorator, logged in (else the login page) and
  `scope_for(user).<name>` true (else 403).

core imports no app of the project: the guards take a queryset or a boolean; the decorator is
handed the function that builds a user's Scope (`accounts.scope.scope_for`)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import Http404
from django.shortcuts import get_object_or_404

M = TypeVar("M", bound=Model)


def require(allowed: Any, message: str | None = None, *, hidden: bool = False) -> None:
    """Raise PermissionDenied (403) unless `allowed` is true (a capability of a Scope, such as
    `scope.can_edit`, or any condition). `message` is shown on the 403 page. `hidden`: a 404
    instead, for a page that does not exist for those who may not use it."""
    if allowed:
        return
    if hidden:
        raise Http404
    raise PermissionDenied(message) if message else PermissionDenied


def visible_or_404(queryset: QuerySet[M], **lookup: Any) -> M:
    """The one object of a scoped queryset matching `lookup`, else Http404."""
    return get_object_or_404(queryset, **lookup)


def capability_required(capability: str, *, scope_of: Callable[[Any], Any]):
    """A decorator: the view opens for a logged-in user whose scope (`scope_of(user)`) has
    `capability` true; anyone else logged in gets 403."""

    def decorator(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            require(getattr(scope_of(request.user), capability))
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
