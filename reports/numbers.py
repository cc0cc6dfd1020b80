"""How a donor report rounds and prints its numbers: the one place, used by the builder, the
rules and every renderer.

- Round half up on the decimal value, as Excel and donors do: 4.125 -> 4.13, -4.125 -> -4.13.
  Never Python's round() on a float (round(4.125, 2) is 4.12: banker's rounding of a binary
  number).
- A rate is computed from its numerator and denominator exactly (a Fraction), then rounded.
- Counts are whole numbers and are never printed with decimals; a rate, a mean or points have
  the places their kind gives (PLACES) and always that many ("60.0", not "60").
- A value withheld by disclosure control ("<5") or missing (None) passes through: printing
  says so ("<5", "–"); machine formats leave it out.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

Number = int | float | Decimal | Fraction

# Places each kind of figure is shown with.
COUNT, PERCENT, POINTS, MEAN = "count", "percent", "points", "mean"
PLACES = {COUNT: 0, PERCENT: 1, POINTS: 1, MEAN: 2}
# Indicator units that count things (shown as whole numbers); the others are rates or points.
COUNT_UNITS = frozenset({"people", "events", "sessions", "organisations"})

DASH = "–"
THIN_SPACE = "\u202f"  # narrow no-break space between thousands: 12 345


def places_for_unit(unit: str) -> int:
    """Places of an indicator's values: none for counts, one for percent and points."""
    return PLACES[COUNT] if unit in COUNT_UNITS else PLACES[PERCENT]


def is_number(value: Any) -> bool:
    return isinstance(value, int | float | Decimal | Fraction) and not isinstance(value, bool)


def to_decimal(value: Number) -> Decimal:
    """The decimal a number stands for. A float is read as the shortest decimal that gives it
    back (4.125, 2.675), which is the value it was computed or typed as."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        return Decimal(repr(value))
    if isinstance(value, Fraction):
        return Decimal(value.numerator) / Decimal(value.denominator)
    raise TypeError(f"not a number: {value!r}")


def round_half_up(value: Number, places: int) -> Decimal:
    """`value` rounded half away from zero to `places` decimals, exactly (4.125 -> 4.13)."""
    if isinstance(value, Fraction):
        scaled = value * 10**places
        whole = math.floor(abs(scaled) + Fraction(1, 2))
        return Decimal(-whole if scaled < 0 else whole).scaleb(-places)
    step = Decimal(1).scaleb(-places)
    return to_decimal(value).quantize(step, rounding=ROUND_HALF_UP) + 0  # + 0: no "-0.0"


def rounded(value: Number | None, places: int) -> float | None:
    """A figure as the report stores it (a JSON number), rounded half up."""
    if value is None:
        return None
    return float(round_half_up(value, places))


def rate(part: int, whole: int, places: int = PLACES[PERCENT]) -> float | None:
    """100 x part / whole from the numerator and denominator, rounded half up; None for 0."""
    if not whole:
        return None
    return rounded(Fraction(100 * part, whole), places)


def percent_of(actual: Number | None, target: Number | None) -> float | None:
    """The actual as a percentage of the target (one place), None without both."""
    if actual is None or not is_number(actual) or target in (None, 0):
        return None
    return rounded(
        Fraction(to_decimal(actual)) * 100 / Fraction(to_decimal(target)), PLACES[PERCENT]
    )


def figure(value: Any, places: int) -> Any:
    """A table cell: a count as an int, any other number as a Decimal with exactly `places`
    decimals (so a spreadsheet, a CSV and a printed table all show the same digits); "<5",
    None and text pass unchanged."""
    if not is_number(value):
        return value
    shown = round_half_up(value, places)
    return int(shown) if places == 0 else shown


def _places_of(value: Any) -> int:
    if isinstance(value, Decimal):
        return max(0, -int(value.as_tuple().exponent))
    if isinstance(value, int):
        return 0
    return max(0, -int(to_decimal(value).normalize().as_tuple().exponent))


def show(value: Any, places: int | None = None, *, group: str = THIN_SPACE) -> str:
    """A figure as printed: '12 345', '82.3', '<5', or a dash when missing. `places` as the
    kind of figure gives (PLACES); without it, the places a figure() cell carries."""
    if value is None or value == "":
        return DASH
    if not is_number(value):
        return str(value)
    places = _places_of(value) if places is None else places
    return f"{round_half_up(value, places):,.{places}f}".replace(",", group)


def signed(value: Any, places: int, *, group: str = THIN_SPACE) -> str:
    """A change as printed: '+20.0', '-20.0', '0.0' (never '+-20.0')."""
    if not is_number(value):
        return show(value, places, group=group)
    text = show(value, places, group=group)
    return "+" + text if round_half_up(value, places) > 0 else text


def plain(value: Any) -> str:
    """A number for a machine format (IATI): no grouping, whole numbers without '.0'."""
    number = to_decimal(value)
    if number == number.to_integral_value():
        return str(int(number))
    return format(number.normalize(), "f")
