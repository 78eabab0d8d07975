"""Trigram indexes (app/schema/trigram.py): on PostgreSQL the migration gives substring
search a GIN index of pg_trgm, on new and existing tables; SQLite gets none."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Flask

from app.portal import portal_of
from app.schema import trigram
from app.schema.upgrade import current_plan, upgrade


def dialect(app: Flask) -> str:
    with app.app_context():
        return str(app.extensions["migrate"].db.engine.dialect.name)


def indexes(app: Flask, table: str) -> set[str]:
    with app.app_context():
        engine = app.extensions["migrate"].db.engine
        return {str(ix["name"]) for ix in sa.inspect(engine).get_indexes(table)}


def test_the_columns_are_searchable_text_and_the_record_name(app: Flask) -> None:
    spec = portal_of(app).spec
    assert trigram.columns(spec.form("customer")) == ["name", "company"]
    assert trigram.columns(spec.form("complaint")) == ["ticket_no", "product_name", "batch_no"]
    assert trigram.index_name("form_customer", "name") == "ix_form_customer_name_trgm"
    # record names also get a prefix index: a lookup reads those starting with the text first
    assert trigram.prefix_columns(spec.form("customer")) == ["name"]
    assert trigram.prefix_columns(spec.form("complaint")) == ["ticket_no", "product_name"]
    assert trigram.index_name("form_customer", "name", "prefix") == \
        "ix_form_customer_name_prefix"


def test_the_migration_adds_them_on_postgresql_only(app: Flask) -> None:
    names = indexes(app, "form_customer")
    if dialect(app) == "postgresql":
        assert {"ix_form_customer_name_trgm", "ix_form_customer_company_trgm",
                "ix_form_customer_name_prefix"} <= names
    else:
        assert not any(n.endswith(("_trgm", "_prefix")) for n in names)
    assert [c.text for c in current_plan(app).changes if c.action == "trigram_index"] == []


def test_a_table_without_them_gets_them_by_the_next_migration(make_app: Any) -> None:
    app = make_app()
    if dialect(app) != "postgresql":
        return  # nothing to add on SQLite (checked above)
    with app.app_context():
        engine = app.extensions["migrate"].db.engine
        with engine.begin() as conn:
            conn.execute(sa.text("DROP INDEX ix_form_customer_name_trgm"))
            conn.execute(sa.text("DROP INDEX ix_form_customer_name_prefix"))
    planned = [c.text for c in current_plan(app).changes if c.action == "trigram_index"]
    assert planned == ["add trigram index on name (substring search)",
                       "add prefix index on name (names as typed)"]
    upgrade(app)
    assert {"ix_form_customer_name_trgm", "ix_form_customer_name_prefix"} <= indexes(
        app, "form_customer")


def explain(app: Flask, where: str) -> str:
    """PostgreSQL's plan of a customer search (sequential scans off: the index if usable)."""
    with app.app_context():
        engine = app.extensions["migrate"].db.engine
        with engine.begin() as conn:
            conn.execute(sa.text("SET LOCAL enable_seqscan = off"))
            return "\n".join(r[0] for r in conn.execute(sa.text(
                f"EXPLAIN SELECT id FROM form_customer WHERE {where}")))


def test_a_substring_search_reads_the_index(app: Flask) -> None:
    if dialect(app) != "postgresql":
        return
    plan = explain(app, "name ILIKE '%雅诗兰%'")
    assert "ix_form_customer_name_trgm" in plan, plan


def test_a_name_lookup_reads_the_prefix_index(app: Flask) -> None:
    if dialect(app) != "postgresql":
        return
    plan = explain(app, "name LIKE '雅诗兰%'")
    assert "ix_form_customer_name_prefix" in plan, plan
