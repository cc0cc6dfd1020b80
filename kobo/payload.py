"""Reading what KoboToolbox sends: the flat JSON of a REST Service (question paths such as
"group/question" as keys, a repeat group as a list of dicts whose keys are full paths
"repeat/question") and the header of a form's XLSX/CSV export, through a connection's mapping
(`KoboConnection.questions`: Qadam key -> question path). Nothing here touches the database."""

from __future__ import annotations

from typing import Any

from participants.imports.columns import fold

from .models import EVENT_CODE, IDENTITY_KEYS, VALUE_KEYS

ROW_KEYS = (*IDENTITY_KEYS, *VALUE_KEYS)


def submission_uuid(payload: dict[str, Any]) -> str:
    """The sender's id of a submission: `_uuid`, else the `uuid:` of `meta/instanceID`."""
    value = str(payload.get("_uuid") or "").strip()
    if not value:
        instance = str(payload.get("meta/instanceID") or "").strip()
        value = instance.removeprefix("uuid:")
    return value[:64]


def _last(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


def _find(values: dict[str, Any], path: str) -> Any:
    """The answer to `path` in a dict of answers: the full path, or (a form sent or exported
    without its group names, or a mapping typed with the question name only) the same last
    part of the path."""
    if path in values:
        return values[path]
    name = _last(path)
    for key, value in values.items():
        if not isinstance(value, (list, dict)) and _last(key) == name:
            return value
    return None


def _repeats(payload: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    return {
        key: value
        for key, value in payload.items()
        if isinstance(value, list)
        and value
        and all(isinstance(item, dict) for item in value)
        and not key.startswith("_")  # _attachments, _notes, _tags...
    }


def _in_repeat(path: str, repeat: str, items: list[dict[str, Any]]) -> bool:
    if path.startswith(repeat + "/"):
        return True
    return "/" not in path and any(_last(key) == path for item in items for key in item)


def _text(value: Any) -> Any:
    if value is None or isinstance(value, (list, dict)):
        return None
    value = str(value).strip() if not isinstance(value, (int, float)) else value
    return None if value == "" else value


def event_code(payload: dict[str, Any], questions: dict[str, str]) -> str:
    """The answer holding the event's code ("" if the form has none or it is empty)."""
    path = questions.get(EVENT_CODE)
    value = _text(_find(payload, path)) if path else None
    return str(value or "").strip()


def submission_rows(payload: dict[str, Any], questions: dict[str, str]) -> list[dict[str, Any]]:
    """The people a submission answers for, as rows of Qadam keys -> answers. One row, or,
    when mapped questions sit in a repeat group (a facilitator's form listing each person's
    scores), one row per repeat item, with the answers outside the repeat shared. Rows
    answering no mapped question are left out."""
    mapped = {key: path for key, path in questions.items() if key in ROW_KEYS and path}
    repeats = _repeats(payload)
    repeat = next(
        (
            name
            for name, items in repeats.items()
            if any(_in_repeat(path, name, items) for path in mapped.values())
        ),
        None,
    )
    items = repeats[repeat] if repeat else [{}]
    rows = []
    for item in items:
        row = {}
        for key, path in mapped.items():
            inside = repeat is not None and _in_repeat(path, repeat, repeats[repeat])
            row[key] = _text(_find(item, path) if inside else _find(payload, path))
        if any(value is not None for value in row.values()):
            rows.append(row)
    return rows


def export_header(header: list[Any], questions: dict[str, str]) -> list[Any]:
    """An export's header with each column the mapping knows named by its Qadam key. Kobo
    exports name columns by question path ("group/question", "XML values and headers") or
    by question name (without groups); both are read, case and spaces aside."""
    by_path = {fold(path): key for key, path in questions.items() if key in ROW_KEYS and path}
    by_name = {
        fold(_last(path)): key for key, path in questions.items() if key in ROW_KEYS and path
    }
    renamed = []
    for cell in header:
        if cell is None:
            renamed.append(cell)
            continue
        text = fold(cell)
        key = by_path.get(text) or by_name.get(fold(_last(str(cell))))
        # The key first, the column as the file names it as a hint: read as the key, shown
        # as both in the preview's errors ("satisfaction (rating/satisfaction)").
        renamed.append(f"{key} ({cell})" if key else cell)
    return renamed
