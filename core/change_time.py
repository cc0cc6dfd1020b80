"""The change time (`updated_at`, auto_now) that the API's `updated_since` follows. save() sets
it, but QuerySet.update() and bulk_update() skip auto_now: bulk writes of a model that keeps one
go through these two helpers, so a mirror sees those changes too."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Model
from django.utils import timezone

FIELD = "updated_at"


def keeps_change_time(model: type[Model]) -> bool:
    return any(field.name == FIELD for field in model._meta.concrete_fields)


def with_change_time(model: type[Model], values: dict[str, Any]) -> dict[str, Any]:
    """`values` for `model.objects.filter(...).update(**values)`, plus the change time."""
    return {**values, FIELD: timezone.now()} if keeps_change_time(model) else values


def stamp_changed(objects: Iterable[Model], fields: Iterable[str]) -> list[str]:
    """Set the change time on `objects` about to be bulk-updated; returns `fields` with it."""
    objects = list(objects)
    fields = list(fields)
    if not objects or not keeps_change_time(type(objects[0])):
        return fields
    now = timezone.now()
    for obj in objects:
        setattr(obj, FIELD, now)
    return [*fields, FIELD] if FIELD not in fields else fields


def backfill(app_label: str, model_name: str, created: str | None = None):
    """A migration step giving the existing rows of a model that newly keeps a change time a
    sensible one: the last time its history (simple-history) records, else its creation time
    (`created`), else the migration's time (what adding the column wrote)."""
    from django.db.models import F, OuterRef, Subquery
    from django.db.models.functions import Coalesce

    def run(apps, schema_editor) -> None:
        model = apps.get_model(app_label, model_name)
        history = apps.get_model(app_label, f"Historical{model_name}")
        last = history.objects.filter(id=OuterRef("pk")).order_by("-history_date")
        candidates = [Subquery(last.values("history_date")[:1])]
        if created:
            candidates.append(F(created))
        candidates.append(F(FIELD))
        model._base_manager.update(**{FIELD: Coalesce(*candidates)})

    return run
