"""What the database was last migrated to: one row per form and per field (with a snapshot of
its spec), and a log of applied migrations. The planner diffs the YAML against this, because
the live columns alone cannot tell a relabel from a rename, or a retired field from a new one.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from flask_appbuilder import Model
from sqlalchemy import Column, DateTime, Integer, String, Text, inspect, select
from sqlalchemy.engine import Connection

from app.spec import FieldSpec, FormSpec


class SchemaForm(Model):
    __tablename__ = "portal_schema_form"
    key = Column(String(64), primary_key=True)
    table_name = Column(String(80), nullable=False)
    status = Column(String(16), nullable=False)  # active | retired
    retired_on = Column(DateTime)


class SchemaField(Model):
    __tablename__ = "portal_schema_field"
    form_key = Column(String(64), primary_key=True)
    key = Column(String(64), primary_key=True)
    column_name = Column(String(80), nullable=False)
    snapshot = Column(Text, nullable=False)  # JSON: the field's spec when last applied
    status = Column(String(16), nullable=False)
    retired_on = Column(DateTime)


class SchemaMigration(Model):
    __tablename__ = "portal_schema_migration"
    id = Column(Integer, primary_key=True)
    revision = Column(String(64), nullable=False)
    applied_on = Column(DateTime, nullable=False)
    applied_by = Column(String(128), nullable=False)
    plan = Column(Text, nullable=False)


def snapshot(field_spec: FieldSpec) -> dict[str, Any]:
    """The parts of a field that matter to storage and to the plan's wording."""
    return {
        "type": field_spec.type, "column": field_spec.column,
        "required": field_spec.required, "unique": field_spec.unique,
        "indexed": field_spec.indexed, "max_length": field_spec.max_length,
        "precision": field_spec.precision, "scale": field_spec.scale,
        "min": field_spec.min, "max": field_spec.max, "form": field_spec.form,
        "label": [field_spec.label.zh, field_spec.label.en],
        "help": [field_spec.help.zh, field_spec.help.en] if field_spec.help else None,
        "choices": [[c.value, c.label.zh, c.label.en] for c in field_spec.choices],
        "default": None if field_spec.default is None else str(field_spec.default),
    }


@dataclass
class FieldState:
    key: str
    column: str
    snap: dict[str, Any]
    status: str
    retired_on: dt.datetime | None = None


@dataclass
class FormState:
    key: str
    table: str
    status: str
    retired_on: dt.datetime | None = None
    fields: dict[str, FieldState] = field(default_factory=dict)


def read_state(conn: Connection) -> dict[str, FormState] | None:
    """The recorded schema, or None when this database has never been migrated by a plan."""
    if not inspect(conn).has_table(SchemaForm.__tablename__):
        return None
    forms = {r.key: FormState(r.key, r.table_name, r.status, r.retired_on)
             for r in conn.execute(select(SchemaForm.__table__))}
    if not forms:
        return None
    for r in conn.execute(select(SchemaField.__table__)):
        if r.form_key in forms:
            forms[r.form_key].fields[r.key] = FieldState(
                r.key, r.column_name, json.loads(r.snapshot), r.status, r.retired_on)
    return forms


def write_state(conn: Connection, forms: dict[str, FormState]) -> None:
    """Replace the recorded schema (inside the migration's transaction)."""
    conn.execute(SchemaField.__table__.delete())
    conn.execute(SchemaForm.__table__.delete())
    if not forms:
        return
    conn.execute(SchemaForm.__table__.insert(), [
        {"key": f.key, "table_name": f.table, "status": f.status, "retired_on": f.retired_on}
        for f in forms.values()])
    rows = [{"form_key": f.key, "key": x.key, "column_name": x.column,
             "snapshot": json.dumps(x.snap, ensure_ascii=False, sort_keys=True),
             "status": x.status, "retired_on": x.retired_on}
            for f in forms.values() for x in f.fields.values()]
    if rows:
        conn.execute(SchemaField.__table__.insert(), rows)


def state_of(form: FormSpec) -> FormState:
    """The state a form is in once its plan is applied."""
    return FormState(form.key, form.table, "active", None, {
        f.key: FieldState(f.key, f.column, snapshot(f), "active") for f in form.fields})
