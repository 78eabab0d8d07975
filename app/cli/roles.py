"""`flask portal roles sync`: FAB's roles and permissions follow roles.yaml."""

from __future__ import annotations

import click
from flask.cli import ScriptInfo

from app.cli.base import load_app, pass_info


@click.group("roles")
def roles_group() -> None:
    """Roles and permissions."""


@roles_group.command("sync")
@pass_info
def roles_sync(info: ScriptInfo) -> None:
    """Make FAB's roles and permissions match roles.yaml exactly (idempotent)."""
    from app.security.permissions import sync_roles

    for line in sync_roles(load_app(info)).lines():
        click.echo(line)
