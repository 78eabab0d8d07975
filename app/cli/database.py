"""`flask portal migrate | purge | init`: the database follows the configuration."""

from __future__ import annotations

import getpass
import os
import sys

import click
from flask import Flask
from flask.cli import ScriptInfo

from app.cli.base import load_app, pass_info
from app.cli.users import ensure_admin


@click.command("migrate")
@click.option("--plan", "show_only", is_flag=True, help="Print the plan; change nothing.")
@click.option("--yes", is_flag=True, help="Apply risky changes without asking.")
@pass_info
def migrate(info: ScriptInfo, show_only: bool, yes: bool) -> None:
    """Bring the database to the config: plan in plain words, then apply it whole."""
    from app.schema.upgrade import current_plan

    app = load_app(info)
    if show_only:  # read-only: no migration of any kind
        plan = current_plan(app)
        click.echo(plan.text())
        sys.exit(1 if plan.refused else 0)
    _upgrade(app, allow_risky=yes, confirm=not yes)


@click.command("purge")
@click.argument("target")
@click.option("--yes", is_flag=True, help="Do not ask; for scripts.")
@pass_info
def purge_command(info: ScriptInfo, target: str, yes: bool) -> None:
    """Delete a retired FORM.FIELD (or FORM) for good, after exporting it to CSV."""
    from app.audit import log as audit
    from app.schema.apply import migration_transaction
    from app.schema.purge import PurgeRefused, purge

    app = load_app(info)
    if not yes:
        click.echo(f"This drops {target} and its data from the database (a CSV export is "
                   "written first).")
        if not sys.stdin.isatty() or click.prompt("Type its name to confirm") != target:
            raise click.ClickException("not confirmed; nothing was changed")
    export_dir = app.config.get("PORTAL_PURGE_DIR") or os.path.join(app.instance_path, "purged")
    try:
        with app.app_context(), migration_transaction(
                app.extensions["migrate"].db.engine) as conn:
            done = purge(conn, target, export_dir, f"{getpass.getuser()} (flask portal purge)")
            audit.append(conn, audit.event_values(
                "purge", form=target.split(".")[0], details={"target": target, "result": done}))
            click.echo(done)
    except PurgeRefused as exc:
        raise click.ClickException(f"{exc}; nothing was changed") from None


def _upgrade(app: Flask, allow_risky: bool = False, confirm: bool = False) -> None:
    from app.schema.revision import RevisionsMissing
    from app.schema.upgrade import upgrade

    who = f"{getpass.getuser()} (flask portal)"
    try:
        result = upgrade(app, allow_risky=allow_risky, applied_by=who, progress=click.echo)
    except RevisionsMissing as exc:
        raise click.ClickException(str(exc)) from None
    if result.reason == "risky" and confirm:
        click.echo(result.plan.text())
        if sys.stdin.isatty() and click.confirm("Apply the changes marked [risky]?"):
            result = upgrade(app, allow_risky=True, applied_by=who, progress=click.echo)
        else:
            raise click.ClickException("not applied: the plan has risky changes; review "
                                       "them and run 'flask portal migrate --yes'")
    if result.reason == "refused":
        click.echo(result.plan.text(), err=True)
        raise click.ClickException("not applied: resolve the refused changes first; "
                                   "the database was not changed")
    if result.reason == "risky":
        click.echo(result.plan.text())
        raise click.ClickException("not applied: the plan has risky changes; run "
                                   "'flask portal migrate' to review and apply them")
    if result.applied:
        click.echo(f"applied as {result.revision}:")
        click.echo(result.plan.text())
    else:
        click.echo("database schema is up to date")


@click.command("init")
@pass_info
def init(info: ScriptInfo) -> None:
    """Upgrade the database, sync roles and create the first admin if there is none."""
    from app.security.permissions import sync_roles

    app = load_app(info)
    _upgrade(app)
    report = sync_roles(app)
    click.echo(f"roles synced ({len(report.changes)} changes)")
    ensure_admin(app, click.echo)
