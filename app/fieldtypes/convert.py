"""Type changes: a stored value of one type as a value of another, exactly or not at all.

A change is allowed only when every stored value converts; the schema plan names the rows
that do not (app/schema/conversions.py), and the same functions convert when it is applied.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

from app.fieldtypes.formats import is_email, is_phone
from app.spec import FieldSpec


class NotConvertible(ValueError):
    pass


def as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    text = str(value)
    if re.search(r"[\x00]", text):
        raise NotConvertible("binary")
    return text


def to_text(value: Any, new: FieldSpec) -> Any:
    """string, text, phone, email, choice: the text, if the new type's rules accept it."""
    text = as_text(value)
    t = new.type
    if t == "string" and new.max_length and len(text) > new.max_length:
        raise NotConvertible("too long")
    if t == "phone" and not is_phone(text) or t == "email" and not is_email(text):
        raise NotConvertible("format")
    if t == "choice" and text not in {c.value for c in new.choices}:
        raise NotConvertible("not a choice")
    return text


def to_multi_choice(value: Any, new: FieldSpec) -> Any:
    values = [v.strip() for v in str(value).split(",") if v.strip()]
    if any(v not in {c.value for c in new.choices} for v in values):
        raise NotConvertible("not a choice")
    return ",".join(values)


def to_integer(value: Any, new: FieldSpec) -> Any:
    number = Decimal(str(value).strip())
    if number != number.to_integral_value():
        raise NotConvertible("fraction")
    result = int(number)
    if (new.min is not None and result < new.min) or (new.max is not None and result > new.max):
        raise NotConvertible("range")
    return result


def to_decimal(value: Any, new: FieldSpec) -> Any:
    number = Decimal(str(value).strip())
    if not number.is_finite() or number != round(number, new.scale) or (
            number and number.adjusted() + 1 > new.precision - new.scale):
        raise NotConvertible("precision")
    return number


def to_date(value: Any, new: FieldSpec) -> Any:
    if isinstance(value, dt.datetime):
        raise NotConvertible("would lose the time")
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value).strip())


def to_datetime(value: Any, new: FieldSpec) -> Any:
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day)
    return dt.datetime.fromisoformat(str(value).strip())


def to_boolean(value: Any, new: FieldSpec) -> Any:
    key = str(value).strip().lower()
    if key in ("1", "true"):
        return True
    if key in ("0", "false"):
        return False
    raise NotConvertible("not true/false")


def unchanged(value: Any, new: FieldSpec) -> Any:
    """reference, user: their type never changes (can_convert refuses it)."""
    return value
