"""Database set-up: Alembic migrations for FAB's tables, then the additive schema of the forms.

The static tree in migrations/ owns FAB's ab_* tables. Form tables follow the YAML: here only
additions are applied (new forms, new fields, new indexes), through Alembic operations; any
other difference is reported and left for the schema-evolution command.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import Any

from alembic.autogenerate import produce_migrations
from alembic.migration import MigrationContext
from alembic.operations import Operations, ops
from flask import Flask
from flask_migrate import upgrade as alembic_upgrade
from sqlalchemy import Engine, event, func, inspect, select

FORM_PREFIX = "form_"
_FK_LISTENER = False


def enable_sqlite_foreign_keys() -> None:
    """SQLite ignores foreign keys unless asked on every connection."""
    global _FK_LISTENER
    if _FK_LISTENER:
        return

    @event.listens_for(Engine, "connect")
    def _pragma(dbapi_conn: Any, _record: Any) -> None:
        if isinstance(dbapi_conn, sqlite3.Connection):
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.close()

    _FK_LISTENER = True


@dataclass
class SchemaReport:
    applied: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)


def _include_form_tables(name: str | None, type_: str, _parent: Any) -> bool:
    return type_ != "table" or bool(name and name.startswith(FORM_PREFIX))


def _describe(op: Any) -> str:
    if isinstance(op, ops.CreateTableOp):
        return f"create table {op.table_name}"
    if isinstance(op, ops.AddColumnOp):
        return f"add column {op.table_name}.{op.column.name}"
    if isinstance(op, ops.CreateIndexOp):
        return f"create index {op.index_name} on {op.table_name}"
    return f"{type(op).__name__} {getattr(op, 'table_name', '')}".strip()


def _flatten(upgrade_ops: Any) -> list:
    out: list = []
    for op in upgrade_ops.ops:
        out.extend(op.ops if isinstance(op, ops.ModifyTableOps) else [op])
    return out


def plan_form_tables(conn: Any, metadata: Any) -> tuple[list, SchemaReport]:
    """The additive operations that bring the database up to the spec, and what is left."""
    ctx = MigrationContext.configure(conn, opts={"include_name": _include_form_tables})
    script = produce_migrations(ctx, metadata)
    report = SchemaReport()
    todo: list[Any] = []
    for op in _flatten(script.upgrade_ops):
        if isinstance(op, ops.AddColumnOp):
            col = op.column
            if not col.nullable and col.server_default is None:
                table = metadata.tables[op.table_name]
                rows = conn.execute(select(func.count()).select_from(table)).scalar()
                if rows:
                    report.refused.append(
                        f"add column {op.table_name}.{col.name}: the field is required, has "
                        f"no default and the table holds {rows} rows; give it a default or "
                        "make it optional first")
                    continue
            todo.append(op)
        elif isinstance(op, ops.CreateTableOp | ops.CreateIndexOp):
            todo.append(op)
        else:
            report.pending.append(_describe(op))
    return todo, report


def sync_form_tables(engine: Engine, metadata: Any) -> SchemaReport:
    """Apply the additive plan in one transaction (batch mode on SQLite)."""
    with engine.begin() as conn:
        todo, report = plan_form_tables(conn, metadata)
        ctx = MigrationContext.configure(conn, opts={"render_as_batch": True})
        operations = Operations(ctx)
        # Tables first, in dependency order, so foreign keys find their targets.
        order = {t.name: i for i, t in enumerate(metadata.sorted_tables)}
        todo.sort(key=lambda op: (not isinstance(op, ops.CreateTableOp),
                                  order.get(getattr(op, "table_name", ""), 0)))
        for op in todo:
            operations.invoke(op)
            report.applied.append(_describe(op))
    return report


def upgrade(app: Flask) -> SchemaReport:
    """Bring the database to the current code and config: FAB tables, then form tables."""
    with app.app_context():
        alembic_upgrade()
        db = app.extensions["migrate"].db
        return sync_form_tables(db.engine, app.extensions["portal"]["models"].metadata)


def is_initialised(app: Flask) -> bool:
    with app.app_context():
        db = app.extensions["migrate"].db
        return "ab_user" in inspect(db.engine).get_table_names()
