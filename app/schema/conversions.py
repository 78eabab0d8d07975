"""Field type changes against the live table: the column as last migrated, and the rows whose
value would not survive (the conversions themselves are the field types':
app/fieldtypes/convert.py)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Column, select, table
from sqlalchemy.engine import Connection

from app.fieldtypes.convert import NotConvertible
from app.fieldtypes.registry import convert_value, field_type
from app.spec import FieldSpec, Label

BATCH = 5000


def stored_column(table_name: str, column: str, snap: dict[str, Any]) -> Any:
    """The live column, typed as it was last migrated (so money on SQLite reads exactly)."""
    old = FieldSpec(key=column, label=Label("", ""), type=snap["type"],
                    max_length=snap.get("max_length"), precision=snap.get("precision") or 12,
                    scale=snap.get("scale") or 2)
    kind = field_type(old.type).column(old)  # an id column of a record is an integer
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
            convert_value(value, new)
        except NotConvertible:
            bad += 1
            if len(bad_ids) < 5:
                bad_ids.append(row_id)
    return bad_ids, bad
