"""Apply a schema plan: Alembic operations in one transaction (batch mode on SQLite), value
conversions in batches with progress, then the new recorded state and a log row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from alembic.migration import MigrationContext
from alembic.operations import Operations, ops
from sqlalchemy import (
    Column,
    ForeignKey,
    String,
    bindparam,
    column,
    func,
    select,
    table,
    text,
    update,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.types import TypeDecorator

from app.db.tables import FormModels
from app.fieldtypes.registry import convert_value
from app.schema import trigram
from app.schema.conversions import BATCH, stored_column
from app.schema.plan import Plan
from app.schema.state import (
    FieldState,
    FormState,
    SchemaMigration,
    read_state,
    state_of,
    write_state,
)

Progress = Callable[[str], None]


def detached_column(col: Column) -> Column:
    """A fresh copy of a new column that keeps its named foreign key (Alembic's own copy
    drops table-level foreign keys, which silently loses the constraint)."""
    fks = [ForeignKey(fk.target_fullname, name=fk.constraint.name if fk.constraint else None)
           for fk in col.foreign_keys]
    default = col.server_default.arg if col.server_default is not None else None  # type: ignore[attr-defined]
    return Column(col.name, col.type, *fks, nullable=col.nullable, index=col.index,
                  unique=col.unique, server_default=default)


class PlanRefused(Exception):
    """The plan has refused changes; nothing was applied."""


@contextmanager
def migration_transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction for a whole migration. On SQLite, foreign keys are switched off around
    it (they cannot be inside one), because batch mode copies and drops tables other tables
    refer to; every reference is checked before the commit, and they are switched back on."""
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:
            conn.exec_driver_sql("PRAGMA foreign_keys=OFF")
            conn.commit()
            conn.exec_driver_sql("BEGIN")
        try:
            yield conn
            if sqlite:
                broken = conn.exec_driver_sql("PRAGMA foreign_key_check").all()
                if broken:
                    raise RuntimeError(f"the migration would break {len(broken)} references "
                                       f"(first: {tuple(broken[0])}); nothing was changed")
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        finally:
            if sqlite:
                conn.exec_driver_sql("PRAGMA foreign_keys=ON")
                conn.commit()


def apply_plan(conn: Connection, plan: Plan, models: FormModels, applied_by: str,
               progress: Progress, revision: str) -> str:
    """Run `plan` inside the caller's transaction (the body of revision `revision`); returns
    the revision id recorded. Plans
    without database changes (labels, choices) still record the new state."""
    if plan.refused:
        raise PlanRefused(plan.text())
    operations = Operations(MigrationContext.configure(conn))
    sqlite = conn.dialect.name == "sqlite"
    # New tables first, in foreign-key order: later changes may refer to them.
    order = {t.name: i for i, t in enumerate(models.metadata.sorted_tables)}
    creates = sorted((c for c in plan.changes if c.action == "create_table"),
                     key=lambda c: order[c.args["table"]])
    for change in creates + [c for c in plan.changes if c.action != "create_table"]:
        if not change.ddl:
            continue
        a = change.args
        progress(change.text)
        if change.action == "create_table":
            table = models.metadata.tables[a["table"]]
            operations.invoke(ops.CreateTableOp.from_table(table))
            for index in table.indexes:
                operations.invoke(ops.CreateIndexOp.from_index(index))
            for column, kind in trigram.missing(conn, plan.spec.form(change.form), set()):
                trigram.create(conn, a["table"], column, kind)
        elif change.action == "add_column":
            col = models.metadata.tables[a["table"]].c[a["column"]]
            operations.invoke(ops.AddColumnOp(a["table"], detached_column(col),
                                              inline_references=sqlite))
        elif change.action == "rename_column":
            _rename(operations, a["table"], a["old"], a["new"], sqlite)
        elif change.action == "alter_column":
            _alter(operations, models, a, sqlite)
        elif change.action == "convert_column":
            _convert(conn, operations, models, plan, a, sqlite, progress)
        elif change.action == "trigram_index":
            trigram.create(conn, a["table"], a["column"], a.get("kind", "trgm"))
    write_state(conn, next_state(read_state(conn) or {}, plan))
    conn.execute(SchemaMigration.__table__.insert().values(
        revision=revision, applied_on=dt.datetime.now().replace(microsecond=0),
        applied_by=applied_by, plan=plan.text()))
    return revision


def next_state(old: dict[str, FormState], plan: Plan) -> dict[str, FormState]:
    """Forms and fields of the spec become active; anything else is kept as retired."""
    now = dt.datetime.now().replace(microsecond=0)
    new = {f.key: state_of(f) for f in plan.spec.forms}
    renamed = {f.renamed_from for form in plan.spec.forms for f in form.fields
               if f.renamed_from}
    for key, form in old.items():
        if key not in new:
            new[key] = FormState(key, form.table, "retired", form.retired_on or now,
                                 form.fields)
            continue
        for fkey, field in form.fields.items():
            if fkey not in new[key].fields and fkey not in renamed:
                new[key].fields[fkey] = FieldState(fkey, field.column, field.snap, "retired",
                                                   field.retired_on or now)
    return new


def _concrete(type_: Any, operations: Operations) -> Any:
    """The dialect's own type for a TypeDecorator (Alembic's batch mode reads its name)."""
    dialect = operations.get_bind().dialect
    return type_.load_dialect_impl(dialect) if isinstance(type_, TypeDecorator) else type_


def _rename(operations: Operations, table: str, old: str, new: str, sqlite: bool) -> None:
    """Native RENAME COLUMN on both databases (SQLite has it since 3.25): no table copy."""
    operations.alter_column(table, old, new_column_name=new)


def _alter(operations: Operations, models: FormModels, a: dict, sqlite: bool) -> None:
    table = models.metadata.tables[a["table"]]
    target = table.c.get(a["column"])
    if "index" in a:
        name = f"ix_{a['table']}_{a['column']}"
        if a["index"]:
            operations.create_index(name, a["table"], [a["column"]])
        else:
            operations.drop_index(name, table_name=a["table"])
        return
    if "unique" in a:
        name = f"uq_{a['table']}_{a['column']}"
        if sqlite:
            with operations.batch_alter_table(a["table"]) as batch:
                if a["unique"]:
                    batch.create_unique_constraint(name, [a["column"]])
                else:
                    batch.drop_constraint(name, type_="unique")
        elif a["unique"]:
            operations.create_unique_constraint(name, a["table"], [a["column"]])
        else:
            operations.drop_constraint(name, a["table"], type_="unique")
        return
    kw: dict[str, Any] = {}
    if "nullable" in a:
        kw["nullable"] = a["nullable"]
    if "type_of" in a and target is not None:
        kw["type_"] = _concrete(target.type, operations)
    existing = _concrete(target.type, operations) if target is not None else String()
    if sqlite:
        with operations.batch_alter_table(a["table"]) as batch:
            batch.alter_column(a["column"], existing_type=existing, **kw)
    else:
        operations.alter_column(a["table"], a["column"], existing_type=existing, **kw)


def drop_indexes_of(conn: Connection, operations: Operations, table_name: str,
                    column_name: str) -> None:
    """Drop the plain indexes of a column about to be dropped: SQLite's table copy (batch
    mode) would re-create them on a column that no longer exists, and fail."""
    for index in sa_inspect(conn).get_indexes(table_name):
        if index["column_names"] == [column_name] and not index.get("unique"):
            operations.drop_index(str(index["name"]), table_name=table_name)


def _convert(conn: Connection, operations: Operations, models: FormModels, plan: Plan,
             a: dict, sqlite: bool, progress: Progress) -> None:
    """New typed column beside the old one, values converted exactly in batches, then the
    old column dropped and the new one takes its name."""
    field = plan.spec.form(a["form"]).field(a["key"])
    target = models.metadata.tables[a["table"]].c[field.column]
    temp = f"{a['column']}__new"
    operations.add_column(a["table"], Column(temp, target.type, nullable=True))
    source = stored_column(a["table"], a["column"], a["old"])
    light = source.table
    dest = table(a["table"], column("id"), column(temp, target.type))
    # Table and column names are validated keys (app/config/keys.py), safe to place in SQL text.
    sql_type = _concrete(target.type, operations).compile(dialect=conn.dialect)
    total = conn.execute(select(func.count()).select_from(light)).scalar_one()
    done, last = 0, 0
    while True:
        rows = conn.execute(select(light.c.id, source).where(light.c.id > last)
                            .order_by(light.c.id).limit(BATCH)).all()
        if not rows:
            break
        converted = [(row_id, convert_value(value, field))
                     for row_id, value in rows]
        if sqlite:  # in-process: executemany is cheap, and SQLite has no VALUES aliases
            conn.execute(update(dest).where(dest.c.id == bindparam("row_id")).values(
                {temp: bindparam("value", type_=target.type)}),
                [{"row_id": i, "value": v} for i, v in converted])
        else:  # PostgreSQL: one UPDATE ... FROM unnest(ids, values) per batch
            conn.execute(text(
                f'UPDATE "{a["table"]}" AS t SET "{temp}" = u.value '
                f"FROM unnest(CAST(:ids AS integer[]), CAST(:vals AS {sql_type}[])) "
                "AS u(row_id, value) WHERE t.id = u.row_id"),
                {"ids": [i for i, _ in converted], "vals": [v for _, v in converted]})
        last = rows[-1][0]
        done += len(rows)
        progress(f"    converted {done:,} of {total:,} rows")
    drop_indexes_of(conn, operations, a["table"], a["column"])  # the new column gets its own
    if sqlite:
        with operations.batch_alter_table(a["table"]) as batch:
            batch.drop_column(a["column"])
            batch.alter_column(temp, new_column_name=field.column, nullable=not field.required,
                               existing_type=_concrete(target.type, operations))
    else:
        operations.drop_column(a["table"], a["column"])
        operations.alter_column(a["table"], temp, new_column_name=field.column,
                                nullable=not field.required,
                                existing_type=_concrete(target.type, operations))
    if target.index:
        operations.create_index(f"ix_{a['table']}_{field.column}", a["table"], [field.column])
