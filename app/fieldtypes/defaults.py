"""Field default values by type: parsed and checked at lint time, evaluated when a form is
opened."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from app.fieldtypes.formats import is_email, is_phone

_TODAY_RE = re.compile(r"^today(?:\s*\+\s*(\d{1,4}))?$")


class BadDefault(ValueError):
    """The default does not fit the field; the message says what is allowed."""


# -- parse: a YAML default, normalised, or BadDefault --------------------------------------
def text_default(ftype: str, raw: Any, field: dict) -> Any:
    if not isinstance(raw, str):
        raise BadDefault(f"{raw!r} is not a text")
    if ftype == "phone" and not is_phone(raw):
        raise BadDefault(f"'{raw}' is not a phone number")
    if ftype == "email" and not is_email(raw):
        raise BadDefault(f"'{raw}' is not an e-mail address")
    return raw


def whole_default(ftype: str, raw: Any, field: dict) -> Any:
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise BadDefault(f"{raw!r} is not a whole number")
    return raw


def decimal_default(ftype: str, raw: Any, field: dict) -> Any:
    try:
        if isinstance(raw, bool):
            raise InvalidOperation
        return Decimal(str(raw))
    except InvalidOperation:
        raise BadDefault(f"{raw!r} is not a number") from None


def boolean_default(ftype: str, raw: Any, field: dict) -> Any:
    if not isinstance(raw, bool):
        raise BadDefault(f"{raw!r} is not true or false")
    return raw


def date_default(ftype: str, raw: Any, field: dict) -> Any:
    if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
        return raw
    if isinstance(raw, str) and _TODAY_RE.match(raw.strip()):
        return raw.strip()
    raise BadDefault(f"{raw!r} is not a date; use YYYY-MM-DD, 'today' or 'today+N'")


def datetime_default(ftype: str, raw: Any, field: dict) -> Any:
    if isinstance(raw, dt.datetime) or raw == "now":
        return raw
    raise BadDefault(f"{raw!r} is not a date and time; use 'now' or YYYY-MM-DD HH:MM:SS")


def _choice_values(field: dict) -> list:
    return [c.get("value") for c in field.get("choices") or [] if isinstance(c, dict)]


def choice_default(ftype: str, raw: Any, field: dict) -> Any:
    values = _choice_values(field)
    if raw not in values:
        raise BadDefault(f"{raw!r} is not one of the choices ({', '.join(map(str, values))})")
    return raw


def multi_choice_default(ftype: str, raw: Any, field: dict) -> Any:
    values = _choice_values(field)
    picked = [v.strip() for v in str(raw).split(",") if v.strip()]
    bad = [v for v in picked if v not in values]
    if bad:
        raise BadDefault(f"'{', '.join(bad)}' is not one of the choices "
                         f"({', '.join(map(str, values))})")
    return ",".join(picked)


def user_default(ftype: str, raw: Any, field: dict) -> Any:
    if raw != "current_user":
        raise BadDefault(f"{raw!r} is not allowed; a user field's default can only be "
                         "'current_user'")
    return raw


# -- evaluate: the concrete initial value of a parsed default at this moment ---------------
def constant(value: Any) -> Any:
    return value


def today_plus(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    days = _TODAY_RE.match(value).group(1)  # type: ignore[union-attr]
    return dt.date.today() + dt.timedelta(days=int(days or 0))


def now_or_constant(value: Any) -> Any:
    return dt.datetime.now().replace(microsecond=0) if value == "now" else value


def split_choices(value: Any) -> Any:
    return value.split(",") if value else []
