"""Validators that keep form values inside what the database columns can hold.

Found by fuzzing the screens (tests/test_fuzz.py): a NUL byte in any text is refused by
PostgreSQL, 'sNaN' crashed WTForms' NumberRange, '0.001' was rounded away silently, and an
integer beyond an INTEGER column overflowed. Each is now a message next to the field.
"""

from __future__ import annotations

import unicodedata
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms.validators import NumberRange, StopValidation

INT_MIN, INT_MAX = -(2**31), 2**31 - 1  # an INTEGER column on SQLite and PostgreSQL
LINE_BREAKS = frozenset("\r\n\t")


class Chosen:
    """A required select (choice, rating, yes/no) holds a choice: its blank first option,
    or spaces posted for it, are none (InputRequired took ' ' for one, and None was
    stored into a NOT NULL column). 否 is a choice."""

    field_flags = {"required": True}

    def __init__(self, message: Any) -> None:
        self.message = message

    def __call__(self, form: Any, field: Any) -> None:
        if field.data is None or (isinstance(field.data, str) and not field.data.strip()):
            field.errors[:] = []
            raise StopValidation(self.message)


class NoControlCharacters:
    """Control characters (NUL, escape, C1 codes …) are never typed, only pasted or scripted;
    NUL cannot be stored at all. Line breaks and tabs are fine in multi-line text; a
    single-line input can only receive a line break from a script."""

    def __init__(self, multiline: bool) -> None:
        self.allowed = LINE_BREAKS if multiline else frozenset("\t")
        self.message = (_l("The text contains control characters (such as NUL) that cannot "
                           "be saved; remove them.") if multiline else
                        _l("Enter the text on one line, without line breaks or other "
                           "control characters."))

    def __call__(self, form: Any, field: Any) -> None:
        data = field.data
        if isinstance(data, str) and any(
                unicodedata.category(c) == "Cc" and c not in self.allowed for c in data):
            raise StopValidation(self.message)


class DecimalLimits:
    """A decimal must be an ordinary number that fits NUMERIC(precision, scale) exactly:
    no NaN or Infinity, no more digits after the point than the field keeps (they would be
    rounded away unseen) and none beyond the column's size (an error on PostgreSQL)."""

    def __init__(self, precision: int, scale: int) -> None:
        self.scale = scale
        self.digits = precision - scale

    def __call__(self, form: Any, field: Any) -> None:
        value = field.data
        if not isinstance(value, Decimal):
            return
        if not value.is_finite():
            raise StopValidation(_l("Enter an ordinary number (not NaN or Infinity)."))
        # Digit arithmetic only: quantize() and normalize() round to the context's 28 digits.
        _, digits, exponent = value.as_tuple()
        significant = "".join(map(str, digits)).rstrip("0")
        if not significant:
            return  # zero, however it is written
        if value.adjusted() >= self.digits:
            raise StopValidation(_l("Enter at most %(digits)d digits before the decimal "
                                    "point.", digits=self.digits))
        if int(exponent) + len(digits) - len(significant) < -self.scale:
            raise StopValidation(_l("Enter at most %(places)d digits after the decimal "
                                    "point.", places=self.scale))


def integer_column_range(low: float | None, high: float | None) -> list:
    """The INTEGER column's own limits, for an integer field the YAML leaves open-ended."""
    if low is not None and high is not None:
        return []
    return [NumberRange(min=INT_MIN if low is None else low,
                        max=INT_MAX if high is None else high,
                        message=_l("Enter a number from %(min)s to %(max)s.",
                                   min=INT_MIN if low is None else _plain(low),
                                   max=INT_MAX if high is None else _plain(high)))]


def _plain(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def unique_values(values: list[str] | None) -> list[str]:
    """Picked choice values in order, each once (a repeated value is the same choice)."""
    return list(dict.fromkeys(values or []))


# Picked values that are not choices can only come from a script, and FAB renders field
# errors through gettext, which Jinja marks safe: a message that quoted them (WTForms' does)
# put the posted HTML into the page unescaped. So the message names no value.
UNKNOWN_CHOICE = _l("Choose only among the listed options.")
