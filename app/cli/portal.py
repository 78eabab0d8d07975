"""`flask portal ...`: check, show config, set up the database, sync roles, manage users."""

from __future__ import annotations

import getpass
import os
import sys
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import ScriptInfo
from flask_babel import gettext as _

from app.config.errors import ConfigError
from app.settings import ROOT

pass_info = click.make_pass_decorator(ScriptInfo, ensure=True)


def _load_app(info: ScriptInfo) -> Flask:
    """The app, or one readable screen of config problems (never a traceback)."""
    from app.security.manager import StartupRefused

    if info.create_app is None and not info.app_import_path:
        # Flask's own discovery would import wsgi.py, the production entry point, which
        # refuses to start on a database that needs `flask portal migrate`.
        from app import create_app

        info.create_app = create_app
    try:
        return info.load_app()
    except (ConfigError, StartupRefused) as exc:
        click.echo(exc.report(), err=True)
        sys.exit(1)


@click.group("portal")
def portal_cli() -> None:
    """After-sales portal commands."""


@portal_cli.command("check")
@click.option("--config-dir", default=None, help="Config folder (default: PORTAL_CONFIG_DIR).")
@click.option("--industry", default=None, help="Industry pack (default: PORTAL_INDUSTRY).")
def check(config_dir: str | None, industry: str | None) -> None:
    """Validate every YAML file and the merged config; list all problems."""
    from app.config.lint.forms import load_spec

    config_dir = config_dir or os.environ.get("PORTAL_CONFIG_DIR") or os.path.join(
        ROOT, "config")
    industry = industry if industry is not None else os.environ.get("PORTAL_INDUSTRY")
    try:
        spec = load_spec(config_dir, industry or None)
    except ConfigError as exc:
        click.echo(exc.report(), err=True)
        sys.exit(1)
    fields = sum(len(f.fields) for f in spec.forms)
    click.echo(f"OK: {len(spec.forms)} forms, {fields} fields, {len(spec.roles)} roles "
               f"(industry: {spec.industry or 'base pack only'}).")


@portal_cli.group("config")
def config_group() -> None:
    """Inspect the merged configuration."""


@config_group.command("show")
@pass_info
def config_show(info: ScriptInfo) -> None:
    """Print the merged config (base + active industry pack) that will run."""
    from app.config.dump import dump

    app = _load_app(info)
    click.echo(dump(app.extensions["portal"]["spec"]), nl=False)


@portal_cli.command("migrate")
@click.option("--plan", "show_only", is_flag=True, help="Print the plan; change nothing.")
@click.option("--yes", is_flag=True, help="Apply risky changes without asking.")
@pass_info
def migrate(info: ScriptInfo, show_only: bool, yes: bool) -> None:
    """Bring the database to the config: plan in plain words, then apply it whole."""
    from app.db.database import current_plan

    app = _load_app(info)
    if show_only:  # read-only: no migration of any kind
        plan = current_plan(app)
        click.echo(plan.text())
        sys.exit(1 if plan.refused else 0)
    _upgrade(app, allow_risky=yes, confirm=not yes)


@portal_cli.command("purge")
@click.argument("target")
@click.option("--yes", is_flag=True, help="Do not ask; for scripts.")
@pass_info
def purge_command(info: ScriptInfo, target: str, yes: bool) -> None:
    """Delete a retired FORM.FIELD (or FORM) for good, after exporting it to CSV."""
    from app.audit import log as audit
    from app.schema.apply import migration_transaction
    from app.schema.purge import PurgeRefused, purge

    app = _load_app(info)
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
    from app.db.database import upgrade
    from app.schema.revision import RevisionsMissing

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


@portal_cli.group("roles")
def roles_group() -> None:
    """Roles and permissions."""


@roles_group.command("sync")
@pass_info
def roles_sync(info: ScriptInfo) -> None:
    """Make FAB's roles and permissions match roles.yaml exactly (idempotent)."""
    from app.security.permissions import sync_roles

    for line in sync_roles(_load_app(info)).lines():
        click.echo(line)


@portal_cli.command("init")
@pass_info
def init(info: ScriptInfo) -> None:
    """Upgrade the database, sync roles and create the first admin if there is none."""
    from app.security.permissions import sync_roles

    app = _load_app(info)
    _upgrade(app)
    report = sync_roles(app)
    click.echo(f"roles synced ({len(report.changes)} changes)")
    ensure_admin(app, click.echo)


def ensure_admin(app: Flask, say: Any) -> None:
    """Create the first admin from PORTAL_ADMIN_USER/PASSWORD, or print a generated password
    once. Never a fixed default password; a weak PORTAL_ADMIN_PASSWORD is refused."""
    from app.security.passwords import generate_password, password_problems

    with app.app_context():
        sm = current_app.extensions["appbuilder"].sm
        if sm.count_users() > 0:
            return
        username = app.config["PORTAL_ADMIN_USER"]
        password = app.config["PORTAL_ADMIN_PASSWORD"]
        generated = not password
        if generated:
            password = generate_password(username)
        problems = password_problems(password, username)
        if problems:
            raise click.ClickException(_(
                "PORTAL_ADMIN_PASSWORD is refused: %(reasons)s Set a stronger one, or leave it "
                "empty to get a generated password; no account was created.",
                reasons=" ".join(problems)))
        user = sm.add_user(username, "Portal", "Admin", f"{username}@localhost.localdomain",
                           sm.find_role(app.config["AUTH_ROLE_ADMIN"]), password=password)
        if not user:
            raise click.ClickException(f"could not create the admin user '{username}'")
        if generated:
            say(f"first admin created: user '{username}', password '{password}' "
                "(shown once; change it after logging in)")
        else:
            say(f"first admin created: user '{username}' (password from PORTAL_ADMIN_PASSWORD)")


@portal_cli.group("user")
def user_group() -> None:
    """Users and their roles."""


@user_group.command("create")
@click.argument("username")
@click.option("--role", "roles", multiple=True, required=True, help="Role key (repeatable).")
@click.option("--email", default=None)
@click.option("--name", default=None, help="Display name (default: the username).")
@click.password_option(prompt="Password")
@pass_info
def user_create(info: ScriptInfo, username: str, roles: tuple[str, ...], email: str | None,
                name: str | None, password: str) -> None:
    """Create a user with one or more roles."""
    from app.security.passwords import password_problems

    app = _load_app(info)
    with app.app_context():
        sm = current_app.extensions["appbuilder"].sm
        found = _roles(sm, roles)
        if sm.find_user(username=username):
            raise click.ClickException(f"user '{username}' already exists")
        problems = password_problems(password, username)
        if problems:
            raise click.ClickException(_("User '%(username)s' was not created: %(reasons)s",
                                         username=username, reasons=" ".join(problems)))
        user = sm.add_user(username, name or username, "", email or
                           f"{username}@localhost.localdomain", found, password=password)
        if not user:
            raise click.ClickException(f"could not create user '{username}'")
        click.echo(f"user {username} created with roles: {', '.join(roles)}")


@user_group.command("disable")
@click.argument("username")
@pass_info
def user_disable(info: ScriptInfo, username: str) -> None:
    """Disable a user: every session of theirs ends at once, logins and the API refuse them."""
    _set_active(info, username, False)


@user_group.command("enable")
@click.argument("username")
@pass_info
def user_enable(info: ScriptInfo, username: str) -> None:
    """Enable a disabled user again."""
    _set_active(info, username, True)


def _set_active(info: ScriptInfo, username: str, active: bool) -> None:
    app = _load_app(info)
    with app.app_context():
        sm = current_app.extensions["appbuilder"].sm
        user = sm.find_user(username=username)
        if not user:
            raise click.ClickException(f"no user '{username}'")
        user.active = active
        sm.session.commit()  # app/security/sessions.py ends the sessions of a disabled user
        click.echo(f"user {username} {'enabled' if active else 'disabled'}")


@user_group.command("roles")
@click.argument("username")
@click.argument("roles", nargs=-1, required=True)
@pass_info
def user_roles(info: ScriptInfo, username: str, roles: tuple[str, ...]) -> None:
    """Replace a user's roles."""
    app = _load_app(info)
    with app.app_context():
        sm = current_app.extensions["appbuilder"].sm
        user = sm.find_user(username=username)
        if not user:
            raise click.ClickException(f"no user '{username}'")
        user.roles = _roles(sm, roles)
        sm.session.commit()
        click.echo(f"user {username} now has roles: {', '.join(roles)}")


def _roles(sm: Any, keys: tuple[str, ...]) -> list:
    found = [sm.find_role(k) for k in keys]
    missing = [k for k, r in zip(keys, found, strict=True) if r is None]
    if missing:
        known = ", ".join(sorted(r.name for r in sm.get_all_roles()))
        raise click.ClickException(f"unknown role(s): {', '.join(missing)}; known: {known} "
                                   "(run 'flask portal roles sync' first)")
    return found


from app.cli.teams import team_group  # noqa: E402  (defined with this module's helpers)

portal_cli.add_command(team_group)

from app.cli.audit import audit_group  # noqa: E402

portal_cli.add_command(audit_group)

from app.cli.importing import import_command  # noqa: E402

portal_cli.add_command(import_command)

from app.cli.sla import sla_group  # noqa: E402

portal_cli.add_command(sla_group)
