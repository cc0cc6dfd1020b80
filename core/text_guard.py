"""The last guard before the database: every save of every model (Qadam's own, their history
rows, and the libraries' such as the admin log and login attempts) has its text fields passed
through core.text.clean_text. Writes that bypass the forms (services called from management
commands, Celery tasks, the Django shell) are covered too; bulk_create and QuerySet.update do
not send pre_save, so their callers clean what they write (the spreadsheet import cleans each
cell as it reads it)."""

from __future__ import annotations

from functools import cache

from django.db import models

from .text import clean_text


@cache
def text_fields(model: type[models.Model]) -> tuple[str, ...]:
    """Attribute names of the model's concrete CharField/TextField columns."""
    return tuple(
        f.attname
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField)
    )


def clean_text_fields(sender, instance, raw: bool = False, **kwargs) -> None:
    """pre_save receiver: clean the instance's text in place (fixtures loaded raw included)."""
    for name in text_fields(sender):
        value = instance.__dict__.get(name)
        if isinstance(value, str):
            cleaned = clean_text(value)
            if cleaned is not value:
                setattr(instance, name, cleaned)
