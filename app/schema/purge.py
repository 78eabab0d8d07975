"""The one destructive schema operation: purge a retired field or form, after exporting its
values to CSV (text neutralised against spreadsheet formulas like every export, so it imports
back with `flask portal import`). Only through `flask portal purge`, confirmed, and logged."""

from __future__ import annotations

import csv
import datetime as dt
import os
from collections.abc import Sequence
from typing import Any

from alembic.migration import MigrationContext
from alembic.operations import Operations
from sqlalchemy import MetaData, Table, column, select, table
from sqlalchemy.engine import Connection

from app.fieldtypes.spreadsheet import to_csv_cell
from app.schema.apply import drop_indexes_of
from app.schema.state import SchemaMigration, read_state, write_state


class PurgeRefused(Exception):
    pass


def purge(conn: Connection, target: str, export_dir: str, applied_by: str) -> str:
    """Export then drop a retired field ('form.field') or form ('form'); returns a summary.
    Runs inside the caller's migration transaction."""
    state = read_state(conn) or {}
    form_key, _, field_key = target.partition(".")
    form = state.get(form_key)
    if form is None:
        raise PurgeRefused(f"no form '{form_key}' in the recorded schema")
    stamp = dt.datetime.now().strftime("%Y%m%d%H%M%S")
    path = os.path.join(export_dir, f"{target}.{stamp}.csv")
    operations = Operations(MigrationContext.configure(conn))
    if field_key:
        field = form.fields.get(field_key)
        if field is None or field.status != "retired":
            raise PurgeRefused(f"{target} is not a retired field; remove it from the YAML and "
                               "run 'flask portal migrate' first")
        os.makedirs(export_dir, exist_ok=True)
        light = table(form.table, column("id"), column(field.column))
        rows = conn.execute(select(light.c.id, light.c[field.column]).order_by(light.c.id)
                            ).all()
        _write_csv(path, ["id", field.column], rows)
        drop_indexes_of(conn, operations, form.table, field.column)
        if conn.dialect.name == "sqlite":
            with operations.batch_alter_table(form.table) as batch:
                batch.drop_column(field.column)
        else:
            operations.drop_column(form.table, field.column)
        del form.fields[field_key]
        summary = (f"purge field {target}: column {form.table}.{field.column} dropped; its "
                   f"{sum(1 for r in rows if r[1] is not None):,} values were exported to {path}")
    else:
        if form.status != "retired":
            raise PurgeRefused(f"{target} is not a retired form; remove it from the YAML and "
                               "run 'flask portal migrate' first")
        os.makedirs(export_dir, exist_ok=True)
        result = conn.execute(select(Table(form.table, MetaData(), autoload_with=conn)))
        _write_csv(path, list(result.keys()), result.all())
        operations.drop_table(form.table)
        del state[form_key]
        summary = f"purge form {target}: table {form.table} dropped; its rows were exported " \
                  f"to {path}"
    write_state(conn, state)
    conn.execute(SchemaMigration.__table__.insert().values(
        revision=f"purge_{stamp}", applied_on=dt.datetime.now().replace(microsecond=0),
        applied_by=applied_by, plan=summary))
    return summary


def _write_csv(path: str, header: list[str], rows: Sequence[Any]) -> None:
    with open(path, "w", newline="", encoding="utf-8-sig") as fh:
        writer = csv.writer(fh)
        writer.writerow([to_csv_cell(name) for name in header])
        writer.writerows([to_csv_cell(cell) for cell in row] for row in rows)
