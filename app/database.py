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
from sqlalchemy import Column, Engine, ForeignKey, event, func, select

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
    if isinstance(op, ops.AlterColumnOp):
        return f"change column {op.table_name}.{op.column_name}"
    if isinstance(op, ops.DropColumnOp):
        return f"column {op.table_name}.{op.column_name} is not in the config (kept, with its data)"
    if isinstance(op, ops.DropTableOp):
        return f"table {op.table_name} is not in the config (kept, with its data)"
    if isinstance(op, ops.DropIndexOp):
        return f"index {op.index_name} on {op.table_name} is not in the config (kept)"
    return f"{type(op).__name__} {getattr(op, 'table_name', '')}".strip()


def _flatten(upgrade_ops: Any) -> list:
    out: list = []
    for op in upgrade_ops.ops:
        out.extend(op.ops if isinstance(op, ops.ModifyTableOps) else [op])
    return out


def _detached(col: Column) -> Column:
    """A fresh copy of a new column that keeps its named foreign key (Alembic's own copy
    drops table-level foreign keys, which silently loses the constraint)."""
    fks = [ForeignKey(fk.target_fullname, name=fk.constraint.name if fk.constraint else None)
           for fk in col.foreign_keys]
    default = col.server_default.arg if col.server_default is not None else None  # type: ignore[attr-defined]
    return Column(col.name, col.type, *fks, nullable=col.nullable, index=col.index,
                  unique=col.unique, server_default=default)


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
            todo.append(ops.AddColumnOp(op.table_name, _detached(col),
                                        inline_references=conn.dialect.name == "sqlite"))
        elif isinstance(op, ops.CreateTableOp | ops.CreateIndexOp | ops.CreateForeignKeyOp):
            todo.append(op)
        else:
            report.pending.append(_describe(op))
    # add_column already creates the index and foreign key of a new column: not twice.
    added = {(op.table_name, op.column.name) for op in todo if isinstance(op, ops.AddColumnOp)}

    def covered(op: Any) -> bool:
        if isinstance(op, ops.CreateIndexOp) and op.columns:
            return all((op.table_name, getattr(c, "name", c)) in added for c in op.columns)
        if isinstance(op, ops.CreateForeignKeyOp):
            return all((op.source_table, c) in added for c in op.local_cols)
        return False

    return [op for op in todo if not covered(op)], report


def sync_form_tables(engine: Engine, metadata: Any) -> SchemaReport:
    """Apply the additive plan in one transaction (batch mode on SQLite)."""
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            # pysqlite runs DDL outside any transaction unless one is opened explicitly.
            conn.exec_driver_sql("BEGIN")
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
