"""Field type changes: which are possible at all, and which stored values would not survive.

A change is allowed only when every stored value converts to the new type exactly; the plan
names the rows that do not. The same functions convert the values when the plan is applied.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import Column, select, table
from sqlalchemy.engine import Connection

from app.db.tables import column_type
from app.fieldtypes.formats import EMAIL_RE, PHONE_RE
from app.spec import FieldSpec, Label

TEXTUAL = ("string", "text", "phone", "email", "choice")
NUMERIC = ("integer", "rating", "decimal", "money")
FIXED = ("reference", "user")
BATCH = 5000


class NotConvertible(ValueError):
    pass


def can_convert(old: dict[str, Any], new: FieldSpec) -> str | None:
    """None when values of type old['type'] may convert to new.type; else why not."""
    if old["type"] in FIXED or new.type in FIXED:
        if old["type"] == new.type and old.get("form") == new.form:
            return None
        return "references cannot change type or target; add a new field instead"
    if new.type == "boolean" and old["type"] not in ("integer", "string", "text"):
        return f"{old['type']} values cannot become true/false"
    if old["type"] == "boolean" and new.type not in ("string", "text", "integer"):
        return f"true/false values cannot become {new.type}"
    return None


def convert(value: Any, old_type: str, new: FieldSpec) -> Any:
    """The stored value in the new type, or NotConvertible."""
    if value is None:
        return None
    t = new.type
    try:
        if t in ("string", "text", "phone", "email", "choice"):
            text = _as_text(value, old_type)
            if t == "string" and new.max_length and len(text) > new.max_length:
                raise NotConvertible("too long")
            if t == "phone" and not PHONE_RE.match(text) or t == "email" and not \
                    EMAIL_RE.match(text):
                raise NotConvertible("format")
            if t == "choice" and text not in {c.value for c in new.choices}:
                raise NotConvertible("not a choice")
            return text
        if t == "multi_choice":
            values = [v.strip() for v in str(value).split(",") if v.strip()]
            if any(v not in {c.value for c in new.choices} for v in values):
                raise NotConvertible("not a choice")
            return ",".join(values)
        if t in ("integer", "rating"):
            number = Decimal(str(value).strip())
            if number != number.to_integral_value():
                raise NotConvertible("fraction")
            result = int(number)
            if (new.min is not None and result < new.min) or (
                    new.max is not None and result > new.max):
                raise NotConvertible("range")
            return result
        if t in ("decimal", "money"):
            number = Decimal(str(value).strip())
            if not number.is_finite() or number != round(number, new.scale) or (
                    number and number.adjusted() + 1 > new.precision - new.scale):
                raise NotConvertible("precision")
            return number
        if t == "date":
            if isinstance(value, dt.datetime):
                raise NotConvertible("would lose the time")
            return value if isinstance(value, dt.date) else dt.date.fromisoformat(
                str(value).strip())
        if t == "datetime":
            if isinstance(value, dt.datetime):
                return value
            if isinstance(value, dt.date):
                return dt.datetime(value.year, value.month, value.day)
            return dt.datetime.fromisoformat(str(value).strip())
        if t == "boolean":
            key = str(value).strip().lower()
            if key in ("1", "true"):
                return True
            if key in ("0", "false"):
                return False
            raise NotConvertible("not true/false")
    except (InvalidOperation, ValueError, TypeError) as exc:
        if isinstance(exc, NotConvertible):
            raise
        raise NotConvertible(str(exc)) from None
    return value


def _as_text(value: Any, old_type: str) -> str:
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


def stored_column(table_name: str, column: str, snap: dict[str, Any]) -> Any:
    """The live column, typed as it was last migrated (so money on SQLite reads exactly)."""
    old = FieldSpec(key=column, label=Label("", ""), type=snap["type"],
                    max_length=snap.get("max_length"), precision=snap.get("precision") or 12,
                    scale=snap.get("scale") or 2)
    kind = column_type(old) if old.type not in FIXED else column_type(
        FieldSpec(key=column, label=Label("", ""), type="integer"))
    light = table(table_name, Column("id"), Column(column, kind))
    return light.c[column]


def check_values(conn: Connection, stored: Any, old: dict[str, Any],
                 new: FieldSpec) -> tuple[list[int], int]:
    """(first ids, number) of rows whose value does not convert."""
    light = stored.table
    bad_ids: list[int] = []
    bad = 0
    query = select(light.c.id, stored).where(stored.is_not(None)).order_by(light.c.id)
    for row_id, value in conn.execute(query.execution_options(yield_per=BATCH)):
        try:
            convert(value, old["type"], new)
        except NotConvertible:
            bad += 1
            if len(bad_ids) < 5:
                bad_ids.append(row_id)
    return bad_ids, bad
