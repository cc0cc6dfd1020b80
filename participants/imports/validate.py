"""Checking parsed rows against the event and the registry: the preview. Nothing is written
here. Every problem becomes an error with its row, column and a sentence a coordinator
understands; every row gets an action: create a person, update one, or match one."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.scope import Scope
from participants.aggregates import LIKERT_ITEMS
from participants.duplicates import outside_scope
from participants.identity import hash_iin, iin_checksum_ok, normalise_name
from participants.models import Enrolment, Participant, ParticipantCategory, PossibleDuplicate
from regions.models import Region
from trainings.models import TrainingEvent

from . import columns as C
from .parse import Table

LENGTHS = {"full_name": 255, "organisation": 255, "position": 200, "phone": 40, "email": 254}
MAX_LISTED_ERRORS = 1000
PREVIEW_ROWS = 200
MAX_HIDDEN = 5  # likely matches outside the scope recorded per row
How = PossibleDuplicate.How
# "?" next to a letter: a letter the file's encoding could not hold (cp1251 has no ә, ғ, қ...).
LOST_LETTER = re.compile(r"[^\W\d_]\?|\?[^\W\d_]")
# "1979 г.", "1979 ж.", "1979 г.р.", "1979 жылы", "12.03.1979г.": a year with its word.
YEAR_WORD = re.compile(
    r"\s*(?:г|гг|год|года|ж|жыл|жылы|y|yr)\.?\s*(?:р|т|туған)?\.?$", re.IGNORECASE
)


@dataclass
class RowPlan:
    number: int
    name: str = ""
    action: str = "create"  # create | update | match
    person_id: int | None = None
    same_as: int | None = None  # row number of the first row about the same new person
    fields: dict[str, Any] = field(default_factory=dict)  # for create, or changes for update
    iin_hash: str | None = None
    consent: bool | None = None
    attendance: dict[int, bool] = field(default_factory=dict)  # session id -> present
    feedback: dict[str, Any] | None = None
    scores: dict[str, Decimal | None] | None = None
    note: str = ""
    sex_flagged: bool = False  # its sex cell was already reported as not understood
    remarks: list[str] = field(default_factory=list)  # what the check did to its values
    # People outside the importer's scope who are probably this row's person, as (id, how):
    # recorded for staff as PossibleDuplicates on confirm, never shown in the preview.
    hidden: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class Plan:
    rows: list[RowPlan] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    n_errors: int = 0
    # Row numbers, for one sentence each in the warnings.
    lost_letters: list[int] = field(default_factory=list)
    iin_restored: list[int] = field(default_factory=list)
    numbered_blank: list[int] = field(default_factory=list)
    examples: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.n_errors == 0

    def error(self, row: int | None, column: str, message: str) -> None:
        self.n_errors += 1
        if len(self.errors) < MAX_LISTED_ERRORS:
            self.errors.append({"row": row, "column": column, "message": message})

    def counts(self) -> dict[str, int]:
        counts = {"rows": len(self.rows), "create": 0, "update": 0, "match": 0}
        for row in self.rows:
            counts[row.action] += 1
        counts["attendance"] = sum(
            1 for row in self.rows for present in row.attendance.values() if present
        )
        counts["feedback"] = sum(1 for row in self.rows if row.feedback)
        counts["scores"] = sum(1 for row in self.rows if row.scores)
        counts["errors"] = self.n_errors
        return counts

    def preview(self) -> list[dict[str, Any]]:
        return [
            {
                "row": r.number,
                "name": r.name,
                "action": r.action,
                "note": "; ".join(n for n in (r.note, *r.remarks) if n),
            }
            for r in self.rows[:PREVIEW_ROWS]
        ]


def lookup_table(queryset, *fields: str) -> dict[str, Any]:
    """Folded value of any of `fields` -> object: how a cell naming a region or category (by
    code or by its name in any language) is read; also the multi-row entry's pasted lists."""
    table: dict[str, Any] = {}
    for obj in queryset:
        for name in fields:
            value = getattr(obj, name, "")
            if value:
                table.setdefault(C.fold(value), obj)
    return table


def build_plan(
    table: Table,
    event: TrainingEvent,
    scope: Scope,
    progress: Callable[[float], None] | None = None,
) -> Plan:
    """Check every row of `table` for `event` and decide what confirming would do."""
    plan = Plan()
    keys, sessions = _map_header(table, event, plan)
    if plan.n_errors:
        return plan
    regions = lookup_table(Region.objects.all(), "code", "name_kk", "name_ru", "name_en")
    categories = lookup_table(
        ParticipantCategory.objects.filter(is_active=True), "code", "name_kk", "name_ru", "name_en"
    )
    default_category = categories.get("other")
    this_year = timezone.localdate().year
    total = max(1, len(table.rows))
    for done, (number, cells) in enumerate(table.rows, start=1):
        row = _check_row(
            number,
            cells,
            table.header,
            keys,
            sessions,
            plan,
            regions,
            categories,
            default_category,
            event,
            this_year,
        )
        if row is not None:
            plan.rows.append(row)
        if progress and done % 2000 == 0:
            progress(done / total)
    for number, col, has_value in table.formulas:
        if has_value:
            if len(plan.warnings) < 30:
                plan.warnings.append(
                    _("Row %(row)s, column %(col)s: a formula; its saved value was used.")
                    % {"row": number, "col": _col_name(table.header, col)}
                )
        else:
            plan.error(
                number,
                _col_name(table.header, col),
                _(
                    "a formula without a saved result. Open the file in Excel, save it and "
                    "upload it again, or type the value instead of the formula."
                ),
            )
    _explain_skipped(plan)
    if not plan.rows and not plan.n_errors:
        plan.error(None, "", _("No row has a name: there is nothing to import."))
    _match_people(plan, event, scope)
    return plan


def _rows_text(numbers: list[int]) -> str:
    shown = ", ".join(str(n) for n in numbers[:20])
    return shown + (" …" if len(numbers) > 20 else "")


def _explain_skipped(plan: Plan) -> None:
    """One sentence for each kind of row the check skipped or changed: nothing is left out or
    changed without the preview saying so."""
    if plan.examples:
        plan.warnings.append(
            _("Row %(rows)s is the template's example and was skipped.")
            % {"rows": _rows_text(plan.examples)}
        )
    if plan.numbered_blank:
        plan.warnings.append(
            _(
                "%(n)s rows hold only their running number (a sheet numbered in advance) and "
                "were skipped as blank: rows %(rows)s."
            )
            % {"n": len(plan.numbered_blank), "rows": _rows_text(plan.numbered_blank)}
        )
    if plan.iin_restored:
        plan.warnings.append(
            _(
                "Rows %(rows)s: the IIN had lost its leading zero (Excel drops it); it was "
                "restored, and the control digit confirms it."
            )
            % {"rows": _rows_text(plan.iin_restored)}
        )
    if plan.lost_letters:
        plan.warnings.append(
            _(
                "Rows %(rows)s: letters were lost when the file was saved: “?” stands where a "
                "letter such as ә, ғ, қ, ң, ө, ұ, ү, һ or і was, and would be stored so. Save "
                "the sheet again as UTF-8 (Excel: File > Save As > “CSV UTF-8 (Comma "
                "delimited)”, or keep it as .xlsx) and upload that file."
            )
            % {"rows": _rows_text(plan.lost_letters)}
        )


def _col_name(header: list[Any], index: int) -> str:
    value = header[index] if index < len(header) else None
    return C.text(value) or _("column %(n)s") % {"n": index + 1}


def _map_header(table: Table, event: TrainingEvent, plan: Plan):
    keys: dict[str, int] = {}
    sessions: dict[int, int] = {}  # column index -> session id
    by_date: dict[Any, int] = {}
    for session in event.sessions.order_by("date", "start_time", "pk"):
        by_date.setdefault(session.date, session.pk)
    unknown = []
    for index, value in enumerate(table.header):
        key = C.header_key(value)
        day = None if key else C.parse_date(value)
        if key:
            if key in keys:
                plan.warnings.append(
                    _("The column “%(col)s” appears twice; only the first one is read.")
                    % {"col": C.text(value)}
                )
            else:
                keys[key] = index
        elif day is not None:
            if day in by_date:
                sessions[index] = by_date[day]
            else:
                dates = ", ".join(d.strftime("%d.%m.%Y") for d in by_date) or _("none yet")
                plan.error(
                    table.header_row,
                    C.text(value),
                    _("the event has no session on %(day)s (its sessions: %(dates)s).")
                    % {"day": day.strftime("%d.%m.%Y"), "dates": dates},
                )
        elif value is not None and not C.is_row_number_header(value):
            unknown.append(C.text(value))
    if "full_name" not in keys:
        column = C.BY_KEY["full_name"]
        plan.error(
            table.header_row,
            "",
            _(
                "The column with the full name is missing (write “%(kk)s”, “%(ru)s” or "
                "“%(en)s” in the header). Columns found: %(found)s."
            )
            % {
                "kk": column.kk,
                "ru": column.ru,
                "en": column.en,
                "found": ", ".join(C.text(v) for v in table.header if v is not None) or "-",
            },
        )
    if unknown:
        plan.warnings.append(
            _("These columns are not known and were ignored: %(cols)s.")
            % {"cols": ", ".join(unknown[:20])}
        )
    return keys, sessions


def _check_row(
    number,
    cells,
    header,
    keys,
    sessions,
    plan,
    regions,
    categories,
    default_category,
    event,
    this_year,
) -> RowPlan | None:
    def cell(key: str) -> Any:
        index = keys.get(key)
        return cells[index] if index is not None and index < len(cells) else None

    def label(key: str) -> str:
        return _col_name(header, keys[key])

    errors_before = plan.n_errors

    def fail(key_or_label: str, message: str, is_key: bool = True) -> None:
        plan.error(number, label(key_or_label) if is_key else key_or_label, message)

    row = RowPlan(number=number)
    name = C.text(cell("full_name"))
    if not name:
        filled = [v for v in cells if v is not None]
        if len(filled) == 1 and _running_number(filled[0]):
            plan.numbered_blank.append(number)  # printed in advance, nobody signed
        elif filled:
            fail("full_name", _("the name is empty."))
        return None
    if C.is_example_name(name) or _is_old_example(name, cell):
        plan.examples.append(number)
        return None
    row.name = name
    lost = [
        key
        for key in ("full_name", "organisation", "position")
        if key in keys and LOST_LETTER.search(C.text(cell(key)))
    ]
    if lost:
        plan.lost_letters.append(number)
        row.remarks.append(_("letters lost when the file was saved (“?”)"))
    fields: dict[str, Any] = {"full_name": name}
    for key in (
        "full_name",
        "organisation",
        "position",
        "phone",
        "email",
        "most_useful",
        "comments",
    ):
        value = C.text(cell(key)) if key in keys else ""
        if value.startswith("="):
            fail(
                key,
                _("“%(v)s” looks like a spreadsheet formula; type the value itself.")
                % {"v": value[:30]},
            )
        elif key in LENGTHS and len(value) > LENGTHS[key]:
            fail(
                key,
                _("too long (%(n)s characters, at most %(max)s).")
                % {"n": len(value), "max": LENGTHS[key]},
            )
    if "iin" in keys and cell("iin") is not None:
        iin = re.sub(r"\s+", "", C.text(cell("iin")))
        # Excel drops the leading zeros of IINs of people born 2000-2009 (three for 06.2000),
        # in an XLSX number cell as in the CSV it saves: restored when the control digit agrees.
        if _restorable_iin(iin):
            iin = iin.zfill(12)
            plan.iin_restored.append(number)
            row.remarks.append(_("IIN: leading zero restored"))
        try:
            row.iin_hash = hash_iin(iin)
        except ValidationError as exc:
            fail("iin", " ".join(exc.messages))
    if "sex" in keys and cell("sex") is not None:
        sex = C.parse_sex(cell("sex"))
        if sex is None:
            fail(
                "sex",
                _("“%(v)s” is not understood; write М or Ж (also Е/Ә, M/F).")
                % {"v": C.text(cell("sex"))},
            )
            row.sex_flagged = True
        else:
            fields["sex"] = sex
    if "birth_year" in keys and cell("birth_year") is not None:
        year = read_year(cell("birth_year"))
        serial = _birth_serial(cell("birth_year"))
        if serial is not None:
            year = serial.year
            row.remarks.append(
                _("birth date %(day)s read from the Excel date number %(n)s")
                % {"day": serial.strftime("%d.%m.%Y"), "n": C.text(cell("birth_year"))}
            )
        if year is None:
            fail("birth_year", _("“%(v)s” is not a year.") % {"v": C.text(cell("birth_year"))})
        elif year > this_year:
            fail("birth_year", _("%(y)s is in the future.") % {"y": year})
        elif year > this_year - 10:
            fail("birth_year", _("%(y)s: participants are at least 10 years old.") % {"y": year})
        elif year < 1920:
            fail("birth_year", _("%(y)s is too early; check the year.") % {"y": year})
        else:
            fields["birth_year"] = year
    if "region" in keys and cell("region") is not None:
        region = regions.get(C.fold(cell("region")))
        if region is None:
            fail(
                "region",
                _("“%(v)s” is not a region of Kazakhstan (write its name or code, e.g. KZ-47).")
                % {"v": C.text(cell("region"))},
            )
        else:
            fields["region_id"] = region.pk
    if "category" in keys and cell("category") is not None:
        category = categories.get(C.fold(cell("category")))
        if category is None:
            fail(
                "category",
                _("“%(v)s” is not a participant category.") % {"v": C.text(cell("category"))},
            )
        else:
            fields["category_id"] = category.pk
    for key, target in (
        ("organisation", "organisation_name"),
        ("position", "position"),
        ("phone", "phone"),
    ):
        if key in keys and cell(key) is not None:
            fields[target] = C.text(cell(key))[: LENGTHS[key]]
    if "email" in keys and cell("email") is not None:
        email = C.text(cell("email"))
        try:
            validate_email(email)
            fields["email"] = email
        except ValidationError:
            fail("email", _("“%(v)s” is not an email address.") % {"v": email[:60]})
    if "consent" in keys and cell("consent") is not None:
        row.consent = C.parse_yes_no(cell("consent"))
        if row.consent is None:
            fail(
                "consent", _("“%(v)s”: write yes or no (1 or 0).") % {"v": C.text(cell("consent"))}
            )
    for index, session_id in sessions.items():
        value = cells[index] if index < len(cells) else None
        if value is None:
            continue
        mark = C.parse_yes_no(value)
        if mark is None:
            fail(
                _col_name(header, index),
                _("“%(v)s” is not an attendance mark; write 1 or 0 (+ or -).")
                % {"v": C.text(value)},
                is_key=False,
            )
        else:
            row.attendance[session_id] = mark
    _check_feedback(row, keys, cell, fail)
    _check_scores(row, keys, cell, fail)
    fields.setdefault("region_id", event.region_id)
    if default_category is not None:
        fields.setdefault("category_id", default_category.pk)
    row.fields = fields
    if plan.n_errors > errors_before:
        row.note = _("has errors")
    return row


def _restorable_iin(digits: str) -> bool:
    """9-11 digits that are a valid IIN once the zeros Excel dropped are back: the control
    digit agrees, and the date of birth and the century digit make sense."""
    if not re.fullmatch(r"\d{9,11}", digits):
        return False
    iin = digits.zfill(12)
    return (
        iin_checksum_ok(iin)
        and 1 <= int(iin[2:4]) <= 12
        and 1 <= int(iin[4:6]) <= 31
        and iin[6] in "123456"
    )


def _running_number(value: Any) -> bool:
    """A cell that is only a row's running number: 1, 2.0, "17", "17."."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return float(value).is_integer() and 0 < value < 100000
    return bool(re.fullmatch(r"\d{1,5}\.?", C.text(value)))


def _is_old_example(name: str, cell) -> bool:
    """The example row of templates made before it was marked: its name and birth year."""
    return (
        normalise_name(name) == normalise_name(C.EXAMPLE_NAME)
        and read_year(cell("birth_year")) == C.EXAMPLE_BIRTH_YEAR
    )


def _birth_serial(value: Any):
    """A date of birth saved as its Excel serial number (a General cell, or that cell's CSV)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        number = float(value)
    elif re.fullmatch(r"\d{4,5}(?:[.,]0+)?", C.text(value)):
        number = float(C.text(value).replace(",", "."))
    else:
        return None
    # 1000-2100 is a year; 7306-9999 are the serials of 1920-1927, never a year of birth.
    if not number.is_integer() or 1000 <= number <= 2100:
        return None
    return C.birth_date_serial(number)


def read_year(value: Any) -> int | None:
    """A birth year from what people write: 1990, "1990 г.", 12.03.1990, a number cell."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value) if float(value).is_integer() and 1000 <= value <= 9999 else None
    value = YEAR_WORD.sub("", C.text(value)) or C.text(value)
    day = C.parse_date(value) if not str(value).strip().isdigit() else None
    if day is not None:
        return day.year
    # "1990.0" or "1990,0": a year that went through a number column on its way to CSV.
    whole = re.fullmatch(r"(\d{4})(?:[.,]0+)?", C.text(value))
    return int(whole.group(1)) if whole else None


def _likert(value: Any) -> int | None:
    text = C.text(value).replace(",", ".")
    try:
        number = Decimal(text)
    except InvalidOperation:
        return None
    return int(number) if number == number.to_integral_value() and 1 <= number <= 5 else None


def _check_feedback(row: RowPlan, keys, cell, fail) -> None:
    present = [
        k for k in (*LIKERT_ITEMS, "most_useful", "comments") if k in keys and cell(k) is not None
    ]
    if not present:
        return
    feedback: dict[str, Any] = {}
    for key in LIKERT_ITEMS:
        if key not in keys:
            continue
        value = _likert(cell(key)) if cell(key) is not None else None
        if value is None:
            fail(
                key,
                _("“%(v)s”: give a whole number from 1 to 5.") % {"v": C.text(cell(key))}
                if cell(key) is not None
                else _("empty: give a number from 1 to 5."),
            )
        feedback[key] = value
    missing = [k for k in LIKERT_ITEMS if k not in keys]
    if missing:
        fail(
            "full_name",
            _("feedback needs the columns %(cols)s.")
            % {"cols": ", ".join(C.BY_KEY[k].en for k in missing)},
        )
    feedback["most_useful"] = C.text(cell("most_useful")) if "most_useful" in keys else ""
    feedback["comments"] = C.text(cell("comments")) if "comments" in keys else ""
    quote = cell("consent_to_quote") if "consent_to_quote" in keys else None
    feedback["consent_to_quote"] = bool(C.parse_yes_no(quote)) if quote is not None else False
    if quote is not None and C.parse_yes_no(quote) is None:
        fail("consent_to_quote", _("“%(v)s”: write yes or no (1 or 0).") % {"v": C.text(quote)})
    row.feedback = feedback


def _check_scores(row: RowPlan, keys, cell, fail) -> None:
    scores: dict[str, Decimal | None] = {}
    for key in ("pre_score", "post_score"):
        if key not in keys or cell(key) is None:
            continue
        try:
            value = Decimal(C.text(cell(key)).replace(",", ".").rstrip("%").strip())
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite() or not (0 <= value <= 100):
            fail(key, _("“%(v)s”: give a score from 0 to 100.") % {"v": C.text(cell(key))})
        else:
            scores[key] = value.quantize(Decimal("0.01"))
    if scores:
        row.scores = scores


# Matching with the registry ---------------------------------------------------------------------
def _chunks(items: list, size: int = 1000):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _match_people(plan: Plan, event: TrainingEvent, scope: Scope) -> None:
    """Deduplicate like the registry: the IIN hash first, then the normalised name and birth
    year (preferring the same organisation), then a unique name on the event's roster.

    Only people the importer may see are matched (`people_visible(scope)`): a likely match
    outside the scope is never revealed (the row is a new person, as for anyone unknown) and
    is kept on the row for staff to review; its IIN is not given to the new record."""
    fields = (
        "id",
        "name_normalised",
        "birth_year",
        "organisation_name",
        "position",
        "phone",
        "email",
        "region_id",
        "iin_hash",
    )
    hashes = sorted({r.iin_hash for r in plan.rows if r.iin_hash})
    by_hash = {}
    for chunk in _chunks(hashes):
        for person in Participant.objects.filter(iin_hash__in=chunk).values(*fields):
            by_hash[person["iin_hash"]] = person
    names = sorted({normalise_name(r.name) for r in plan.rows})
    by_name: dict[str, list[dict]] = {}
    for chunk in _chunks(names):
        for person in Participant.objects.filter(name_normalised__in=chunk).values(*fields):
            by_name.setdefault(person["name_normalised"], []).append(person)
    hidden = outside_scope(
        scope,
        [p["id"] for p in by_hash.values()] + [p["id"] for ps in by_name.values() for p in ps],
    )
    roster = set(Enrolment.objects.filter(event=event).values_list("participant_id", flat=True))
    seen: dict[Any, RowPlan] = {}
    for row in plan.rows:
        norm = normalise_name(row.name)
        year = row.fields.get("birth_year")
        org = normalise_name(row.fields.get("organisation_name", ""))
        key = row.iin_hash or (norm, year)
        person = by_hash.get(row.iin_hash) if row.iin_hash else None
        if person is not None and person["id"] in hidden:
            row.hidden.append((person["id"], How.IIN))
            row.iin_hash = None  # unique: it stays with the record the importer cannot see
            person = None
        candidates = [p for p in by_name.get(norm, []) if p["id"] not in hidden]
        if person is None and year and not row.hidden:
            namesakes = [
                p for p in by_name.get(norm, []) if p["id"] in hidden and p["birth_year"] == year
            ]
            row.hidden.extend((p["id"], How.NAME) for p in namesakes[:MAX_HIDDEN])
        if person is None and year:
            same_year = [p for p in candidates if p["birth_year"] == year]
            same_org = [
                p for p in same_year if org and normalise_name(p["organisation_name"]) == org
            ]
            pool = same_org or same_year
            if pool:
                person = min(pool, key=lambda p: p["id"])
                if len(pool) > 1:
                    row.note = _("several people match; the earliest record was taken")
        if person is None and not year:
            on_roster = [p for p in candidates if p["id"] in roster]
            if len(on_roster) == 1:
                person = on_roster[0]
        if person is not None:
            row.hidden = [pair for pair in row.hidden if pair[1] == How.IIN]
            row.person_id = person["id"]
            row.action = "match"
            changes = {}
            may_edit = scope.covers_region(person["region_id"]) or person["id"] in roster
            for name in ("position", "phone", "email", "organisation_name"):
                new = row.fields.get(name)
                if new and new != person[name]:
                    changes[name] = new
            if row.iin_hash and not person["iin_hash"]:
                changes["iin_hash"] = row.iin_hash
            # An IIN withheld (it is someone else's, outside the scope) still reads as an
            # update, as a free IIN would: the preview must not tell which one it was.
            withheld = any(how == How.IIN for _pk, how in row.hidden) and not person["iin_hash"]
            if (changes or withheld) and may_edit:
                row.action = "update"
                row.fields = changes
            else:
                row.fields = {}
            if not row.note:
                row.note = (
                    _("already on this event's roster")
                    if person["id"] in roster
                    else _("known person, added to the roster")
                )
        elif key in seen:
            row.same_as = seen[key].number
            row.action = "match"
            row.fields = {}
            row.note = _("same person as row %(n)s") % {"n": row.same_as}
        else:
            seen[key] = row
            if row.sex_flagged:  # one error for one cell: "not understood" says it all
                row.note = _("has errors")
            elif "sex" not in row.fields:
                plan.error(
                    row.number,
                    C.BY_KEY["sex"].label("ru") + " / Sex",
                    _("this person is new to the registry: their sex is needed (М or Ж)."),
                )
                row.note = _("has errors")
            elif not row.note:
                row.note = _("new person")
