"""Autonumbers given on save: a new record's `autonumber` fields take the next value of a
counter row in `portal_sequence`, counted up in the transaction that inserts the record.

Concurrent creations wait for each other on the counter's row (the database's row lock on
PostgreSQL, its write lock on SQLite) until the first commits, so numbers are distinct and,
since a rolled-back insert takes its count back with it, consecutive."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_appbuilder import Model
from sqlalchemy import Column, Integer, String, event, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection

from app.fieldtypes import autonumber
from app.spec import FormSpec


class Sequence(Model):
    """One counter per autonumber field and period (the text around its {seq})."""

    __tablename__ = "portal_sequence"
    name = Column(String(200), primary_key=True)  # form.field:counter text
    value = Column(Integer, nullable=False)


def next_value(conn: Connection, name: str) -> int:
    """The counter `name` counted up by one (created at 1), in `conn`'s transaction."""
    table = Sequence.__table__
    dialect = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    conn.execute(dialect(table).values(name=name, value=0)
                 .on_conflict_do_nothing(index_elements=["name"]))
    return int(conn.execute(update(table).where(table.c.name == name)
                            .values(value=table.c.value + 1)
                            .returning(table.c.value)).scalar_one())


def give_numbers(form: FormSpec, conn: Connection, row: Any, day: dt.date) -> None:
    """Set each empty autonumber of a new `row` from its counter."""
    for field in form.fields:
        if field.type != "autonumber" or getattr(row, field.key, None):
            continue
        template = str(field.format)
        name = f"{form.key}.{field.key}:{autonumber.counter(template, day)}"[:200]
        setattr(row, field.key, autonumber.render(template, day, next_value(conn, name)))


def number_on_insert(model: Any, form: FormSpec) -> None:
    """Give `model`'s new rows their numbers as they are inserted (screens, API, imports)."""
    if not any(f.type == "autonumber" for f in form.fields):
        return

    def before_insert(mapper: Any, conn: Connection, row: Any) -> None:
        give_numbers(form, conn, row, dt.date.today())

    event.listen(model, "before_insert", before_insert)
