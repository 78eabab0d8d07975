"""Database set-up: Alembic migrations for the portal's own tables (FAB's ab_* and the
schema state), then the forms' schema plan (app/schema/plan.py, app/schema/apply.py)."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from typing import Any

from flask import Flask
from sqlalchemy import Column, Engine, ForeignKey, event

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


def detached_column(col: Column) -> Column:
    """A fresh copy of a new column that keeps its named foreign key (Alembic's own copy
    drops table-level foreign keys, which silently loses the constraint)."""
    fks = [ForeignKey(fk.target_fullname, name=fk.constraint.name if fk.constraint else None)
           for fk in col.foreign_keys]
    default = col.server_default.arg if col.server_default is not None else None  # type: ignore[attr-defined]
    return Column(col.name, col.type, *fks, nullable=col.nullable, index=col.index,
                  unique=col.unique, server_default=default)



def current_plan(app: Flask) -> Any:
    """The schema plan against the live database, read-only (app.schema.plan.Plan)."""
    from app.schema.plan import make_plan

    with app.app_context():
        portal = app.extensions["portal"]
        with app.extensions["migrate"].db.engine.connect() as conn:
            plan = make_plan(conn, portal["spec"], portal["models"])
            conn.rollback()
    return plan


@dataclass
class MigrationResult:
    plan: Any  # app.schema.plan.Plan
    applied: bool
    revision: str | None = None
    reason: str = ""


def upgrade(app: Flask, allow_risky: bool = False, applied_by: str = "flask portal",
            progress: Any = None) -> MigrationResult:
    """Bring the database to the code and the config: pending Alembic revisions, then the
    schema plan, written as a revision file and applied through Alembic. The plan is applied
    only when nothing is refused, and risky changes only when allowed."""
    from app.schema.revision import upgrade_heads, write_revision

    upgrade_heads(app)
    plan = current_plan(app)
    if plan.refused:
        return MigrationResult(plan, False, reason="refused")
    if any(c.risky for c in plan.changes) and not allow_risky:
        return MigrationResult(plan, False, reason="risky")
    if not plan.changes and not plan.bootstrap:
        return MigrationResult(plan, False, reason="nothing to do")
    revision, path = write_revision(app, plan.text(), applied_by)
    portal = app.extensions["portal"]
    portal["progress"] = progress
    try:
        upgrade_heads(app)
    except BaseException:
        os.remove(path)  # it never applied: leave no revision behind
        raise
    finally:
        portal["progress"] = None
    _record(app, "migration", {"revision": revision, "applied_by": applied_by,
                               "plan": plan.text()})
    return MigrationResult(plan, True, revision)


def _record(app: Flask, action: str, details: dict) -> None:
    from app.audit import log as audit

    with app.app_context():
        session = app.extensions["appbuilder"].session
        audit.record(session, action, details=details)
        session.commit()


def record_config_loaded(app: Flask, via: str) -> None:
    """The start-up event: which configuration this process serves (the merged config's
    hash, as `flask portal config show` prints it)."""
    import hashlib

    spec = app.extensions["portal"]["spec"]
    _record(app, "config_loaded", {
        "hash": hashlib.sha256(repr(spec).encode()).hexdigest(),
        "fingerprint": spec.fingerprint, "industry": spec.industry, "forms": len(spec.forms),
        "roles": len(spec.roles), "via": via, "pid": os.getpid()})


class SchemaDrift(Exception):
    """The database does not match the configuration; the app must not serve."""

    def __init__(self, plan: Any) -> None:
        self.plan = plan
        super().__init__(self.report())

    def report(self) -> str:
        return ("The database does not match the configuration; the portal will not serve "
                f"until it does:\n{self.plan.text()}\n"
                "Review with 'flask portal migrate --plan', then apply with "
                "'flask portal migrate'.")


def require_current_schema(app: Flask) -> None:
    """Start-up check for production: read-only; raises SchemaDrift when the plan has
    anything beyond wording (labels, choices), which never blocks serving."""
    plan = current_plan(app)
    if plan.bootstrap or any(c.action != "note" or c.refused for c in plan.changes):
        raise SchemaDrift(plan)
