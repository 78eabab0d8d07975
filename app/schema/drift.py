"""The start-up guard of production: refuse to serve a database that does not match the
configuration (read-only; `flask portal migrate` is the only thing that changes it)."""

from __future__ import annotations

from typing import Any

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask

from app.schema.revision import PREFIX
from app.schema.upgrade import current_plan


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


class RevisionsPending(SchemaDrift):
    """The portal's own tables are not at this code's revision (migrations/versions/)."""

    def __init__(self, needed: str, found: list[str]) -> None:
        self.needed, self.found = needed, found
        Exception.__init__(self, self.report())

    def report(self) -> str:
        return (f"The database's portal tables are at revision {', '.join(self.found) or 'none'}"
                f", this code needs {self.needed}; the portal will not serve until they are.\n"
                "Apply it with 'flask portal migrate'.")


def pending_revision(app: Flask) -> RevisionsPending | None:
    """Whether the portal's own revision chain stops short of (or past) this code's head."""
    with app.app_context():
        script = ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())
        needed = script.get_current_head() or ""
        with app.extensions["migrate"].db.engine.connect() as conn:
            heads = MigrationContext.configure(conn).get_current_heads()
    found = sorted(h for h in heads if not h.startswith(PREFIX))
    return None if needed in found else RevisionsPending(needed, found)


def blocks_serving(plan: Any) -> bool:
    """The plan has anything beyond wording (labels, choices), which never blocks serving."""
    return bool(plan.bootstrap or any(c.action != "note" or c.refused for c in plan.changes))


def require_current_schema(app: Flask) -> None:
    """Start-up check for production: read-only; raises SchemaDrift when the database does
    not match the configuration, RevisionsPending when the portal's own tables lag the code."""
    plan = current_plan(app)
    if blocks_serving(plan):
        raise SchemaDrift(plan)
    pending = pending_revision(app)
    if pending:
        raise pending
