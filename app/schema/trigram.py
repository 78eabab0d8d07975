"""Trigram indexes on PostgreSQL: substring search (`ILIKE '%…%'`, the quick search and the
reference lookups, app/records/lookup.py) on a form's searchable text and its record name
reads a GIN index of `pg_trgm` (an extension shipped with PostgreSQL) instead of the table.

Record names (the text fields of a form's title) also get a prefix index
(`text_pattern_ops`): a lookup first offers the records whose name starts with the text,
read through it whatever the database's collation (the trigram index's lists of common
trigrams grow with the table: 3 ms at a million customers, against 0.4).

SQLite has no such index: there the same searches match a prefix, on the column's B-tree
index (`indexed`, set for every search column by the loader). The plan adds a missing
index to an existing table as to a new one; nothing is planned on SQLite.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.engine import Connection

from app.db.titles import name_fields, title_fields
from app.spec import FieldSpec, FormSpec

TEXT_TYPES = ("string", "text", "email", "autonumber")


def searched(form: FormSpec) -> list[FieldSpec]:
    """The fields text searches look at: the search columns and the record's name (the
    fields of its title, or its display field)."""
    keys = set(form.search_columns) | {f.key for f in title_fields(form)}
    return [f for f in form.fields if f.key in keys]


def columns(form: FormSpec) -> list[str]:
    """The columns a substring search reads: the searched text fields."""
    return [f.column for f in searched(form) if f.type in TEXT_TYPES]


def prefix_columns(form: FormSpec) -> list[str]:
    """The columns a name lookup matches from their start: the record name's."""
    return [f.column for f in name_fields(form)]


def index_name(table: str, column: str, kind: str = "trgm") -> str:
    return f"ix_{table}_{column}_{kind}"[:63]


def missing(conn: Connection, form: FormSpec, live: set[str]) -> list[tuple[str, str]]:
    """(column, kind) of the trigram ("trgm") and prefix ("prefix") indexes `form` lacks
    (none on other databases)."""
    if conn.dialect.name != "postgresql":
        return []
    wanted = [(c, "trgm") for c in columns(form)] + [(c, "prefix")
                                                      for c in prefix_columns(form)]
    return [(c, kind) for c, kind in wanted if index_name(form.table, c, kind) not in live]


EXTENSION_SCHEMA = text("SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
                        "ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'")


def extension_schema(conn: Connection) -> str:
    """The schema holding pg_trgm, created once per database (a trusted extension since
    PostgreSQL 13: the database owner may create it) in `public` where there is one, so that
    a portal living in another schema never takes it along when that schema is dropped."""
    schema = conn.execute(EXTENSION_SCHEMA).scalar()
    if schema is None:
        public = conn.execute(text("SELECT 1 FROM pg_namespace WHERE nspname = 'public'"))
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS pg_trgm"
                          + (" SCHEMA public" if public.scalar() else "")))
        schema = conn.execute(EXTENSION_SCHEMA).scalar_one()
    return str(schema)


def create(conn: Connection, table: str, column: str, kind: str = "trgm") -> None:
    prepare = conn.dialect.identifier_preparer
    name, target = prepare.quote(index_name(table, column, kind)), prepare.quote(table)
    if kind == "prefix":
        conn.execute(text(f"CREATE INDEX IF NOT EXISTS {name} ON {target} "
                          f"({prepare.quote(column)} text_pattern_ops)"))
        return
    ops = f"{prepare.quote(extension_schema(conn))}.gin_trgm_ops"
    conn.execute(text(
        f"CREATE INDEX IF NOT EXISTS {name} ON {target} USING gin "
        f"({prepare.quote(column)} {ops})"))
