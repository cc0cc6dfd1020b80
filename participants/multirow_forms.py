"""The multi-row entry of an event's roster: a grid of people (the essential columns only),
filled by typing or from a pasted list, each row checked against the registry and the rows
above it. Reuses the rules of the single registration (participants.forms: consent,
organisation; the Participant model's own validation) and the spreadsheet import's readers of
cell values (participants.imports: sex, years, yes/no, categories, the separator of a list)."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from core.choices import CHOOSE

from .forms import CONSENT_REQUIRED, ORGANISATION_REQUIRED, ConsentGivenFields
from .identity import normalise_name
from .imports import columns as C
from .imports.parse import guess_delimiter
from .imports.validate import lookup_table, read_year
from .models import Participant, ParticipantCategory, Sex

START_ROWS = 10  # empty rows of a new grid
MORE_ROWS = 10  # rows added by "More rows"
MAX_ROWS = 200  # one sign-in sheet; a longer list is a spreadsheet import
ROW_FIELDS = ("full_name", "sex", "birth_year", "organisation", "category", "phone", "consent")
NEW = "new"  # the decision "register as a new person"
SAME_ROW = "row-"  # the decision "same person as row N": "row-N"


class GridCommonForm(ConsentGivenFields):
    """What every row shares: how, when and under which text consent was given, and the
    category of rows that name none. Each row ticks its own person's consent."""

    default_category = forms.ChoiceField(label=_("Category of rows without one"), required=False)

    def __init__(self, *args, categories: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["consent_given"]  # one tick per row instead
        self.fields["default_category"].choices = [("", CHOOSE), *categories]
        self.fields["consent_date"].widget.format = "%Y-%m-%d"


class RowForm(forms.Form):
    """One row of the grid. Only lengths and choices are checked here; the rest depends on
    what the row turns out to be (a new person, an existing one, the same as another row):
    `check_new_person`."""

    full_name = forms.CharField(label=_("Full name"), required=False, max_length=255)
    sex = forms.ChoiceField(label=_("Sex"), required=False, choices=[("", CHOOSE), *Sex.choices])
    birth_year = forms.CharField(label=_("Birth year"), required=False, max_length=20)
    organisation = forms.CharField(label=_("Organisation"), required=False, max_length=255)
    category = forms.ChoiceField(label=_("Category"), required=False)
    phone = forms.CharField(label=_("Phone (optional)"), required=False, max_length=40)
    consent = forms.BooleanField(label=_("Agreed to data processing"), required=False)
    decision = forms.CharField(required=False, max_length=20)
    # Cells of a pasted line that fit no column: shown on the row, never dropped silently.
    unplaced = forms.CharField(required=False, max_length=1000, widget=forms.HiddenInput)

    def __init__(self, *args, categories: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = [("", CHOOSE), *categories]
        self.matches: list[Participant] = []  # people in the registry who may be this row
        self.same_as: int | None = None  # the earlier row (number) that may be this person
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs["class"] = "form-check-input"
            elif isinstance(field.widget, forms.Select):
                field.widget.attrs["class"] = "form-select form-select-sm"
            elif not field.widget.is_hidden:
                field.widget.attrs["class"] = "form-control form-control-sm"
        self.fields["full_name"].widget.attrs["autocomplete"] = "off"
        self.fields["birth_year"].widget.attrs.update({"inputmode": "numeric", "size": 6})
        self.fields["phone"].widget.attrs.update({"inputmode": "tel", "autocomplete": "off"})

    def flag_errors(self) -> None:
        """Fields in error say so to screen readers and point at their message."""
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["aria-invalid"] = "true"
                widget.attrs["aria-describedby"] = f"{self[name].id_for_label}-error"
                widget.attrs["class"] += " is-invalid"

    def raw(self, name: str) -> Any:
        value = self[name].value()
        return value.strip() if isinstance(value, str) else value

    @property
    def is_blank(self) -> bool:
        """Nothing typed or chosen: the row is ignored."""
        return not any(self.raw(name) for name in (*ROW_FIELDS, "unplaced"))

    @property
    def number(self) -> int:
        return int(self.prefix.rsplit("-", 1)[-1]) + 1

    @property
    def needs_decision(self) -> bool:
        return bool(self.matches or self.same_as)

    @property
    def same_choice(self) -> str:
        return f"{SAME_ROW}{self.same_as}" if self.same_as else ""

    def decision_choices(self) -> list[str]:
        choices = [str(p.pk) for p in self.matches]
        if self.same_as:
            choices.append(f"{SAME_ROW}{self.same_as}")
        return [*choices, NEW]

    def check_new_person(self, *, region_id: int, default_category: str) -> dict[str, Any]:
        """The row as a new person: the fields for register_person, with an error on the row
        for each rule of the single registration it breaks (the Participant model's own
        validation, the organisation, the consent)."""
        data = self.cleaned_data
        fields: dict[str, Any] = {
            "full_name": data.get("full_name", "").strip(),
            "sex": data.get("sex", ""),
            "birth_year": None,
            "organisation_name": data.get("organisation", "").strip(),
            "phone": data.get("phone", "").strip(),
            "region_id": region_id,
            "category_id": int(data.get("category") or default_category or 0) or None,
        }
        if not fields["full_name"]:
            self.add_error("full_name", gettext("Write the person's full name."))
        typed_year = data.get("birth_year", "").strip()
        if typed_year:
            fields["birth_year"] = read_year(typed_year)
            if fields["birth_year"] is None:
                self.add_error("birth_year", gettext("“%(v)s” is not a year.") % {"v": typed_year})
        if not fields["organisation_name"] and "organisation" not in self.errors:
            self.add_error("organisation", ORGANISATION_REQUIRED)
        if not fields["sex"]:
            self.add_error("sex", gettext("Choose the sex."))
        if not fields["category_id"]:
            self.add_error("category", gettext("Choose the category."))
        if not data.get("consent"):
            self.add_error("consent", CONSENT_REQUIRED)
        person = Participant(**fields)
        try:
            # The regions and categories offered are valid; no database check per row.
            person.full_clean(
                exclude=["region", "category", "district", "organisation", "created_by"],
                validate_unique=False,
                validate_constraints=False,
            )
        except ValidationError as error:
            rename = {"organisation_name": "organisation"}
            for name, messages in error.message_dict.items():
                name = rename.get(name, name)
                if name in self.fields and name not in self.errors:
                    self.add_error(name, messages)
                elif name not in self.fields:
                    self.add_error(None, messages)
        return fields

    def key(self) -> tuple[str, int | None, str]:
        """What the duplicate checks compare: the name, birth year and organisation typed."""
        year = read_year(self.raw("birth_year")) if self.raw("birth_year") else None
        return (self.raw("full_name") or "", year, self.raw("organisation") or "")


class BaseRowFormSet(forms.BaseFormSet):
    def filled(self) -> list[RowForm]:
        return [form for form in self.forms if not form.is_blank]

    def mark_repeats(self) -> None:
        """A row whose name (compared as the registry compares names) is that of a row above
        it, without a different birth year or organisation, may be the same person."""
        seen: dict[str, list[tuple[int, int | None, str]]] = {}
        for form in self.filled():
            name, year, organisation = form.key()
            name = normalise_name(name)
            if not name:
                continue
            organisation = organisation.lower()
            for number, other_year, other_org in seen.get(name, []):
                if (not year or not other_year or year == other_year) and (
                    not organisation or not other_org or organisation == other_org
                ):
                    form.same_as = number
                    break
            seen.setdefault(name, []).append((form.number, year, organisation))

    def error_summary(self) -> list[tuple[int, str, str]]:
        """(row number, message, id of the element to go to) of every error, in row order."""
        out = []
        for form in self.forms:
            for name, errors in form.errors.items():
                for error in errors:
                    if name == "__all__":
                        out.append((form.number, error, f"row-{form.number}-decision"))
                    else:
                        label = form.fields[name].label
                        out.append((form.number, f"{label}: {error}", form[name].id_for_label))
        return out


RowFormSet = forms.formset_factory(
    RowForm,
    formset=BaseRowFormSet,
    extra=0,
    max_num=MAX_ROWS,
    absolute_max=MAX_ROWS,
    validate_max=True,
)


def category_choices() -> list[tuple[str, str]]:
    """Active categories as (pk, name in the user's language): read once for the whole grid."""
    return [
        (str(c.pk), c.name)
        for c in ParticipantCategory.objects.filter(is_active=True).order_by("order", "code")
    ]


# Pasted lists -----------------------------------------------------------------------------------

RUNNING_NUMBER = re.compile(r"^\s*\d{1,4}\s*[.)]\s+|^\s*\d{1,3}\t")  # "1. ", "12) ", "3<tab>"
PHONE = re.compile(r"^\+?[\d\s()\-]{7,20}$")


@dataclass
class Pasted:
    rows: list[dict[str, Any]]
    iin_dropped: bool = False  # the list had an IIN column: left out (least data)


def rows_from_paste(text: str, *, categories_lookup: dict[str, Any]) -> Pasted:
    """The lines of a list copied from Excel, Word or a message as grid rows: cells separated by
    tabs, semicolons or commas (the same guess as the spreadsheet import), or one name a line.
    A first line of column names (in any of the three languages) places the cells; without
    one each cell goes where its value fits (a sex, a year, a phone, yes/no, a category; the
    first other text is the name, the next the organisation). What fits nowhere is kept on
    the row's `unplaced`."""
    lines = [line for line in (text or "").replace("\r\n", "\n").split("\n") if line.strip()]
    if not lines:
        return Pasted([])
    delimiter = guess_delimiter("\n".join(lines))
    table = [
        [cell.strip() for cell in cells]
        for cells in csv.reader(
            [RUNNING_NUMBER.sub("", line) for line in lines], delimiter=delimiter
        )
    ]
    first = [cell for cell in table[0] if cell]
    header = [C.header_key(cell) for cell in table[0]]
    pasted = Pasted([])
    if first and sum(1 for key in header if key) * 2 >= len(first):
        body = table[1:]
    else:
        header, body = None, table
    for cells in body:
        if not any(cells):
            continue
        if header is None:
            row = _guess_row(cells, categories_lookup)
        else:
            row = _row_by_header(cells, header, categories_lookup, pasted)
        pasted.rows.append(row)
    return pasted


def _blank_row() -> dict[str, Any]:
    return dict.fromkeys(ROW_FIELDS, "") | {"consent": False, "unplaced": ""}


def _keep(row: dict[str, Any], value: str) -> None:
    row["unplaced"] = "; ".join(v for v in (row["unplaced"], value) if v)


def _guess_row(cells: list[str], categories: dict[str, Any]) -> dict[str, Any]:
    row = _blank_row()
    for cell in cells:
        if not cell:
            continue
        category = categories.get(C.fold(cell))
        if not row["sex"] and C.parse_sex(cell):
            row["sex"] = C.parse_sex(cell)
        elif not row["birth_year"] and re.search(r"\d{4}", cell) and read_year(cell):
            row["birth_year"] = cell
        elif not row["phone"] and PHONE.match(cell):
            row["phone"] = cell
        elif C.parse_yes_no(cell) is not None:
            row["consent"] = row["consent"] or C.parse_yes_no(cell)
        elif not row["category"] and category is not None:
            row["category"] = str(category.pk)
        elif not row["full_name"] and re.search(r"[^\W\d_]", cell):
            row["full_name"] = cell
        elif not row["organisation"] and re.search(r"[^\W\d_]", cell):
            row["organisation"] = cell
        else:
            _keep(row, cell)
    return row


def _row_by_header(
    cells: list[str], header: list[str | None], categories: dict[str, Any], pasted: Pasted
) -> dict[str, Any]:
    row = _blank_row()
    for index, cell in enumerate(cells):
        key = header[index] if index < len(header) else None
        if not cell:
            continue
        if key == "iin":
            pasted.iin_dropped = True
        elif key in ("full_name", "phone", "birth_year") and not row[key]:
            row[key] = cell
        elif key == "organisation" and not row["organisation"]:
            row["organisation"] = cell
        elif key == "sex" and C.parse_sex(cell):
            row["sex"] = C.parse_sex(cell)
        elif key == "category" and categories.get(C.fold(cell)) is not None:
            row["category"] = str(categories[C.fold(cell)].pk)
        elif key == "consent" and C.parse_yes_no(cell) is not None:
            row["consent"] = C.parse_yes_no(cell)
        else:
            label = C.BY_KEY[key].label((get_language() or "en")[:2]) if key else ""
            _keep(row, f"{label}: {cell}" if label else cell)
    return row


def categories_lookup() -> dict[str, Any]:
    return lookup_table(
        ParticipantCategory.objects.filter(is_active=True), "code", "name_kk", "name_ru", "name_en"
    )
