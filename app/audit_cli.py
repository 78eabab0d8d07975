"""`flask portal audit verify`: walk the audit chain and report the first broken link."""

from __future__ import annotations

import sys
from typing import Any

import click
from flask import current_app
from flask.cli import ScriptInfo

from . import audit

pass_info = click.make_pass_decorator(ScriptInfo, ensure=True)


@click.group("audit")
def audit_group() -> None:
    """The audit log."""


@audit_group.command("verify")
@pass_info
def audit_verify(info: ScriptInfo) -> None:
    """Check every event's hash and link; exit 1 at the first broken one."""
    from .cli import _load_app

    app: Any = _load_app(info)
    with app.app_context():
        engine = current_app.extensions["appbuilder"].session.get_bind()
        with engine.connect() as conn:
            verdict = audit.verify(conn)
    click.echo(verdict.text())
    if not verdict.ok:
        sys.exit(1)
