"""The audit log in words: the history django-simple-history keeps of every audited model,
read newest first across models and told the way an administrator reads it: who created,
changed or deleted which record (by its name), and for a change each field by its translated
name with its old and new value (choices by their label, related records by their name, Yes/No,
dates in the user's locale). Personal data a log must not repeat (a person's contacts, the IIN
hash, secrets) shows as "changed", without values.

Names of related records are loaded per page in one query per related model, never per row."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps
from django.core.exceptions import ObjectDoesNotExist
from django.db import models
from django.db.models import Count, Model, Q, Value
from django.utils import formats, timezone
from django.utils.text import Truncator, capfirst
from django.utils.translation import gettext as _
from simple_history.utils import get_m2m_reverse_field_name

# Fields never shown with their values, whatever the model: secrets and keyed hashes.
ALWAYS_MASKED = ("password", "iin_hash", "token", "secret")
# A model lists its own personal-data fields in `AUDIT_MASKED_FIELDS` (e.g. a person's phone).
MASKED_ATTRIBUTE = "AUDIT_MASKED_FIELDS"
TEXT_SHOWN = 80  # characters of a long text shown before "…"


def audited_models() -> list[type[Model]]:
    """Every model with a django-simple-history trail, in a stable order."""
    found = [
        m for m in apps.get_models() if getattr(m._meta, "simple_history_manager_attribute", None)
    ]
    return sorted(found, key=lambda m: m._meta.label_lower)


def model_choices() -> list[tuple[str, str]]:
    """The kinds of record for the filter, by their name in the user's language."""
    choices = [(m._meta.label_lower, capfirst(str(m._meta.verbose_name))) for m in audited_models()]
    return sorted(choices, key=lambda c: c[1].casefold())


def is_masked(model: type[Model], name: str) -> bool:
    if any(secret in name for secret in ALWAYS_MASKED):
        return True
    return name in getattr(model, MASKED_ATTRIBUTE, ())


@dataclass
class FieldChange:
    label: str
    old: str = ""
    new: str = ""
    masked: bool = False


@dataclass
class AuditEntry:
    when: dt.datetime
    who: str
    who_id: int | None
    action: str  # simple-history's "+" created, "~" changed, "-" deleted
    model_label: str
    model_name: str
    object_id: Any
    object_name: str
    url: str = ""  # the record's own page, while it exists and has one
    changes: list[FieldChange] = field(default_factory=list)

    @property
    def created(self) -> bool:
        return self.action == "+"

    @property
    def deleted(self) -> bool:
        return self.action == "-"


def _text_fields_q(model: type[Model], text: str) -> Q:
    """Records whose text (names, titles, venue, notes...) contains `text`, except the fields
    the log masks: a search must not tell whether a phone number was ever stored."""
    q = Q()
    for f in model.history.model._meta.concrete_fields:
        textual = isinstance(f, models.CharField | models.TextField) and not f.choices
        if textual and not is_masked(model, f.name):
            q |= Q(**{f"{f.attname}__icontains": text})
    return q


def _filtered(model, *, user_id=None, object_id=None, date_from=None, date_to=None, text=""):
    qs = model.history.all()
    if user_id:
        qs = qs.filter(history_user_id=user_id)
    if object_id:
        qs = qs.filter(id=object_id)
    if date_from:
        qs = qs.filter(history_date__date__gte=date_from)
    if date_to:
        qs = qs.filter(history_date__date__lte=date_to)
    if text:
        q = _text_fields_q(model, text)
        qs = qs.filter(q) if q else qs.none()
    return qs


class AuditTrail:
    """History records across every audited model, newest first, paginated by merging the
    first `offset + limit` rows of each model's history (indexed on history_date), or for a
    page in the second half the oldest `count - offset` rows. Models with no matching row are
    not asked for a page."""

    def __init__(
        self,
        *,
        model_label: str = "",
        user_id: int | None = None,
        object_id: int | None = None,
        date_from: dt.date | None = None,
        date_to: dt.date | None = None,
        text: str = "",
    ):
        chosen = audited_models()
        if model_label:
            chosen = [m for m in chosen if m._meta.label_lower == model_label]
        self.querysets = [
            (
                m,
                _filtered(
                    m,
                    user_id=user_id,
                    object_id=object_id,
                    date_from=date_from,
                    date_to=date_to,
                    text=text,
                ),
            )
            for m in chosen
        ]
        self._counts: dict[type[Model], int] | None = None

    def _model_counts(self) -> dict[type[Model], int]:
        """How many rows match in each model's history: one query for all (UNION ALL)."""
        if self._counts is None:
            parts = [
                qs.order_by()
                .annotate(model_index=Value(i))
                .values("model_index")
                .annotate(rows=Count("pk"))
                .values_list("model_index", "rows")
                for i, (_model, qs) in enumerate(self.querysets)
            ]
            found = dict(parts[0].union(*parts[1:], all=True)) if parts else {}
            self._counts = {m: found.get(i, 0) for i, (m, _qs) in enumerate(self.querysets)}
        return self._counts

    def count(self) -> int:
        return sum(self._model_counts().values())

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, key: slice) -> list[AuditEntry]:
        start, stop = key.start or 0, key.stop
        counts = self._model_counts()
        total = sum(counts.values())
        stop = total if stop is None else min(stop, total)
        # A page nearer the end than the start is merged from the oldest rows (the same order
        # reversed), so the last page reads what the first does, not the whole trail.
        from_end = start > total - stop
        wanted = total - start if from_end else stop
        order = ("history_date", "history_id") if from_end else ("-history_date", "-history_id")
        # Keys first: the merge needs only each row's time and id; the page's few rows are then
        # read whole (building every model's first `wanted` history records, ~500 objects for
        # the first page, was most of the page's time).
        keys = []
        for index, (model, qs) in enumerate(self.querysets):
            if not counts[model]:
                continue
            first = qs.order_by(*order).values_list("history_date", "history_id")[:wanted]
            keys.extend((at, history_id, index) for at, history_id in first)
        keys.sort()
        if not from_end:
            keys.reverse()
            page_keys = keys[start:stop]
        else:
            page_keys = keys[max(total - stop, 0) : total - start][::-1]
        wanted_ids: dict[int, list[int]] = {}
        for _at, history_id, index in page_keys:
            wanted_ids.setdefault(index, []).append(history_id)
        found = {}
        for index, ids in wanted_ids.items():
            model, qs = self.querysets[index]
            for h in qs.select_related("history_user").filter(history_id__in=ids):
                found[index, h.history_id] = (model, h)
        # (A row removed between the two reads, by an erasure, is left out, not an error.)
        page = [found.get((index, history_id)) for _at, history_id, index in page_keys]
        return describe([row for row in page if row is not None])


def describe(rows: list[tuple[type[Model], Any]]) -> list[AuditEntry]:
    """Audit entries in words for history records (model, record) of one page: a bounded
    number of queries (per model and per related model on the page, never per row)."""
    previous = _previous_records(rows)
    m2m = _m2m_values([h for _, h in rows] + list(previous.values()))
    names = _related_names(rows, previous, m2m)
    live = _live_ids(rows)
    entries = []
    for model, h in rows:
        prev = previous.get((model, h.history_id))
        instance = _instance_with_relations(model, h, names)
        url = ""
        if h.id in live.get(model, ()) and hasattr(instance, "get_absolute_url"):
            url = instance.get_absolute_url()
        user = h.history_user
        entries.append(
            AuditEntry(
                when=h.history_date,
                who=(user.get_full_name() or user.get_username()) if user else "",
                who_id=user.pk if user else None,
                action=h.history_type,
                model_label=model._meta.label_lower,
                model_name=str(model._meta.verbose_name),
                object_id=h.id,
                object_name=_name(instance, model, h.id),
                url=url,
                changes=_changes(model, h, prev, names, m2m) if prev is not None else [],
            )
        )
    return entries


def _previous_records(rows) -> dict:
    """The record before each changed one, one query per model on the page (not per row)."""
    wanted: dict[type[Model], list] = {}
    for model, h in rows:
        if h.history_type == "~":
            wanted.setdefault(model, []).append(h)
    found = {}
    for model, records in wanted.items():
        ids = {h.id for h in records}
        latest = max(h.history_date for h in records)
        chain: dict[Any, list] = {}
        for older in model.history.filter(id__in=ids, history_date__lte=latest).order_by(
            "history_date", "history_id"
        ):
            chain.setdefault(older.id, []).append(older)
        for h in records:
            before = [
                o
                for o in chain.get(h.id, [])
                if (o.history_date, o.history_id) < (h.history_date, h.history_id)
            ]
            if before:
                found[(model, h.history_id)] = before[-1]
    return found


def _m2m_fields(h) -> list:
    return list(getattr(h, "_history_m2m_fields", ()) or ())


def _m2m_values(records: Iterable) -> dict[tuple[int, str], set]:
    """The related ids each history record kept of its many-to-many fields (a user's regions),
    one query per field and model."""
    by_field: dict[tuple[type, str], list] = defaultdict(list)
    for h in records:
        for f in _m2m_fields(h):
            by_field[(type(h), f.name)].append(h)
    values: dict[tuple[int, str], set] = {}
    for (history_model, name), records_ in by_field.items():
        original = records_[0].instance_type._meta.get_field(name)
        target = get_m2m_reverse_field_name(original)
        through = getattr(history_model, name).model
        for h in records_:
            values[(h.history_id, name)] = set()
        ids = [h.history_id for h in records_]
        for history_id, target_id in through.objects.filter(history_id__in=ids).values_list(
            "history_id", f"{target}_id"
        ):
            values[(history_id, name)].add(target_id)
    return values


def _related_names(rows, previous, m2m) -> dict[tuple[type[Model], Any], Model]:
    """Every record a page's rows point to (foreign keys, many-to-many), loaded in one query
    per related model, keyed by (model, pk)."""
    wanted: dict[type[Model], set] = defaultdict(set)
    for model, h in [*rows, *((m, p) for (m, _history_id), p in previous.items())]:
        for f in model._meta.concrete_fields:
            if f.many_to_one and hasattr(h, f.attname):
                value = getattr(h, f.attname)
                if value is not None:
                    wanted[f.related_model].add(value)
        for f in _m2m_fields(h):
            wanted[f.related_model].update(m2m.get((h.history_id, f.name), ()))
    found: dict[tuple[type[Model], Any], Model] = {}
    for related, ids in wanted.items():
        # select_related(): a name such as "person @ event" reads its own relations.
        for obj in related._base_manager.select_related().filter(pk__in=ids):
            found[(related, obj.pk)] = obj
    return found


def _live_ids(rows) -> dict[type[Model], set]:
    """Which records on the page still exist, for a link to their page (one query a model)."""
    ids: dict[type[Model], set] = defaultdict(set)
    for model, h in rows:
        if hasattr(model, "get_absolute_url"):
            ids[model].add(h.id)
    return {
        model: set(model._base_manager.filter(pk__in=pks).values_list("pk", flat=True))
        for model, pks in ids.items()
    }


def _instance_with_relations(model, h, names):
    """The record as it was, its foreign keys set from the page's loaded names, so its name
    (`__str__`) and link need no query; a related record deleted since reads as missing."""
    # Not simple-history's `h.instance`: it reads the fields the history leaves out from the
    # live row, a query per record.
    kept = [f for f in model._meta.concrete_fields if hasattr(h, f.attname)]
    instance = model(**{f.attname: getattr(h, f.attname) for f in kept})
    for f in kept:
        if f.many_to_one:
            f.set_cached_value(instance, names.get((f.related_model, getattr(h, f.attname))))
    return instance


def _name(instance, model, pk) -> str:
    try:
        name = str(instance)
    except (ObjectDoesNotExist, AttributeError, TypeError, ValueError):
        name = ""
    return name or f"{capfirst(str(model._meta.verbose_name))} #{pk}"


def _changes(model, h, prev, names, m2m) -> list[FieldChange]:
    changes = []
    for f in model._meta.concrete_fields:
        if not hasattr(h, f.attname) or f.primary_key:
            continue
        old, new = getattr(prev, f.attname), getattr(h, f.attname)
        if old == new or (old in (None, "") and new in (None, "")):
            continue
        label = capfirst(str(f.verbose_name))
        if is_masked(model, f.name):
            changes.append(FieldChange(label=label, masked=True))
        else:
            changes.append(
                FieldChange(label=label, old=show(f, old, names), new=show(f, new, names))
            )
    for f in _m2m_fields(h):
        old = m2m.get((prev.history_id, f.name), set())
        new = m2m.get((h.history_id, f.name), set())
        if old != new:
            changes.append(
                FieldChange(
                    label=capfirst(str(f.verbose_name)),
                    old=_names_of(f.related_model, old, names),
                    new=_names_of(f.related_model, new, names),
                )
            )
    return changes


def _names_of(model, ids, names) -> str:
    shown = sorted(_related_name(model, pk, names) for pk in ids)
    return ", ".join(shown)


def _related_name(model, pk, names) -> str:
    obj = names.get((model, pk))
    if obj is None:
        return _("%(kind)s #%(id)s (deleted)") % {
            "kind": capfirst(str(model._meta.verbose_name)),
            "id": pk,
        }
    return str(obj)


def show(f: models.Field, value: Any, names: dict) -> str:
    """One field's value in words, in the active language; empty for no value."""
    if value is None or value == "":
        return ""
    if f.many_to_one:
        return _related_name(f.related_model, value, names)
    if f.choices:
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return formats.date_format(value, "SHORT_DATETIME_FORMAT")
    if isinstance(value, dt.date):
        return formats.date_format(value, "SHORT_DATE_FORMAT")
    if isinstance(value, int | float | Decimal):
        return formats.localize(value, use_l10n=True)
    return Truncator(str(value)).chars(TEXT_SHOWN)
