"""The start-up guard of production: refuse to serve a database that does not match the
configuration (read-only; `flask portal migrate` is the only thing that changes it)."""

from __future__ import annotations

from typing import Any

from flask import Flask

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


def blocks_serving(plan: Any) -> bool:
    """The plan has anything beyond wording (labels, choices), which never blocks serving."""
    return bool(plan.bootstrap or any(c.action != "note" or c.refused for c in plan.changes))


def require_current_schema(app: Flask) -> None:
    """Start-up check for production: read-only; raises SchemaDrift when the database does
    not match the configuration."""
    plan = current_plan(app)
    if blocks_serving(plan):
        raise SchemaDrift(plan)
