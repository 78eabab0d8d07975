"""Field default values: parsed and checked at lint time, evaluated when a form is opened."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from app.fieldtypes.formats import EMAIL_RE, PHONE_RE

_TODAY_RE = re.compile(r"^today(?:\s*\+\s*(\d{1,4}))?$")


class BadDefault(ValueError):
    """The default does not fit the field; the message says what is allowed."""


def parse_default(ftype: str, raw: Any, field: dict) -> Any:
    """Normalise a YAML default for a field of type `ftype`; raise BadDefault if it cannot be."""
    if ftype in ("string", "text", "phone", "email"):
        if not isinstance(raw, str):
            raise BadDefault(f"{raw!r} is not a text")
        if ftype == "phone" and not PHONE_RE.match(raw):
            raise BadDefault(f"'{raw}' is not a phone number")
        if ftype == "email" and not EMAIL_RE.match(raw):
            raise BadDefault(f"'{raw}' is not an e-mail address")
        return raw
    if ftype in ("integer", "rating"):
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise BadDefault(f"{raw!r} is not a whole number")
        return raw
    if ftype in ("decimal", "money"):
        try:
            if isinstance(raw, bool):
                raise InvalidOperation
            return Decimal(str(raw))
        except InvalidOperation:
            raise BadDefault(f"{raw!r} is not a number") from None
    if ftype == "boolean":
        if not isinstance(raw, bool):
            raise BadDefault(f"{raw!r} is not true or false")
        return raw
    if ftype == "date":
        if isinstance(raw, dt.date) and not isinstance(raw, dt.datetime):
            return raw
        if isinstance(raw, str) and _TODAY_RE.match(raw.strip()):
            return raw.strip()
        raise BadDefault(f"{raw!r} is not a date; use YYYY-MM-DD, 'today' or 'today+N'")
    if ftype == "datetime":
        if isinstance(raw, dt.datetime) or raw == "now":
            return raw
        raise BadDefault(f"{raw!r} is not a date and time; use 'now' or YYYY-MM-DD HH:MM:SS")
    if ftype == "choice":
        values = [c.get("value") for c in field.get("choices") or [] if isinstance(c, dict)]
        if raw not in values:
            raise BadDefault(f"{raw!r} is not one of the choices ({', '.join(map(str, values))})")
        return raw
    if ftype == "multi_choice":
        values = [c.get("value") for c in field.get("choices") or [] if isinstance(c, dict)]
        picked = [v.strip() for v in str(raw).split(",") if v.strip()]
        bad = [v for v in picked if v not in values]
        if bad:
            raise BadDefault(f"'{', '.join(bad)}' is not one of the choices "
                             f"({', '.join(map(str, values))})")
        return ",".join(picked)
    if ftype == "user":
        if raw != "current_user":
            raise BadDefault(f"{raw!r} is not allowed; a user field's default can only be "
                             "'current_user'")
        return raw
    raise BadDefault(f"a {ftype} field cannot have a default")


def evaluate_default(ftype: str, value: Any) -> Any:
    """The concrete initial value of a parsed default at this moment."""
    if value is None:
        return None
    if ftype == "date" and isinstance(value, str):
        days = _TODAY_RE.match(value).group(1)  # type: ignore[union-attr]
        return dt.date.today() + dt.timedelta(days=int(days or 0))
    if ftype == "datetime" and value == "now":
        return dt.datetime.now().replace(microsecond=0)
    if ftype == "multi_choice":
        return value.split(",") if value else []
    return value
