"""Bring the database to the code and the config: the portal's own Alembic revisions, the
calendar's rows (app/db/worktime.py), then the forms' schema plan (app/schema/plan.py), written
as a revision file and applied."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from flask import Flask

from app.audit.app_events import record_now
from app.db.worktime import sync_workdays
from app.portal import portal_of
from app.schema.plan import make_plan
from app.schema.revision import upgrade_heads, write_revision


def current_plan(app: Flask) -> Any:
    """The schema plan against the live database, read-only (app.schema.plan.Plan)."""
    with app.app_context():
        portal = portal_of(app)
        with app.extensions["migrate"].db.engine.connect() as conn:
            plan = make_plan(conn, portal.spec, portal.models)
            conn.rollback()
    return plan


def sync_calendar(app: Flask) -> bool:
    """portal_workday rebuilt from the configured calendar when that changed (one SELECT when
    not): at every start, once the portal's own tables are current. Returns whether it did."""
    with app.app_context(), app.extensions["migrate"].db.engine.begin() as conn:
        return sync_workdays(conn, portal_of(app).spec.calendar)


@dataclass
class MigrationResult:
    plan: Any  # app.schema.plan.Plan
    applied: bool
    revision: str | None = None
    reason: str = ""


def upgrade(app: Flask, allow_risky: bool = False, applied_by: str = "flask portal",
            progress: Any = None) -> MigrationResult:
    """Bring the database to the code and the config: pending Alembic revisions, the calendar's
    rows, then the schema plan, written as a revision file and applied through Alembic. The
    plan is applied only when nothing is refused, and risky changes only when allowed."""
    upgrade_heads(app)
    sync_calendar(app)
    plan = current_plan(app)
    if plan.refused:
        return MigrationResult(plan, False, reason="refused")
    if any(c.risky for c in plan.changes) and not allow_risky:
        return MigrationResult(plan, False, reason="risky")
    if not plan.changes and not plan.bootstrap:
        return MigrationResult(plan, False, reason="nothing to do")
    revision, path = write_revision(app, plan.text(), applied_by)
    try:
        upgrade_heads(app, progress)
    except BaseException:
        os.remove(path)  # it never applied: leave no revision behind
        raise
    record_now(app, "migration", {"revision": revision, "applied_by": applied_by,
                                  "plan": plan.text()})
    return MigrationResult(plan, True, revision)
