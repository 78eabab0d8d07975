"""`flask portal user ...` and the first admin account."""

from __future__ import annotations

from typing import Any

import click
from flask import Flask, current_app
from flask.cli import ScriptInfo
from flask_babel import gettext as _

from app.cli.base import load_app, pass_info

ADMIN_NAME = "系统管理员"  # the first admin's name on the screens (was "Portal Admin")


def ensure_admin(app: Flask, say: Any) -> None:
    """Create the first admin from PORTAL_ADMIN_USER/PASSWORD, or print a generated password
    once; on a database that has users already, say so and create nothing. Never a fixed
    default password; a weak PORTAL_ADMIN_PASSWORD is refused."""
    from app.security.passwords import generate_password, password_problems

    with app.app_context():
        sm = current_app.extensions["appbuilder"].sm
        username = app.config["PORTAL_ADMIN_USER"]
        users = sm.count_users()
        if users and sm.find_user(username=username):
            say(f"first admin: user '{username}' exists already; no account was created")
            return
        if users:
            say(f"first admin: none created, the database has {users} user(s) already and "
                f"none is '{username}' (PORTAL_ADMIN_USER); an admin adds accounts in "
                "安全 → 用户列表, or: flask portal user create NAME --role "
                f"{app.config['AUTH_ROLE_ADMIN']}")
            return
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
        # Shown wherever a user is named (FAB's get_full_name: "first last"), in Chinese
        # like the rest of the screens; a database with an admin already is not rewritten.
        user = sm.add_user(username, ADMIN_NAME, "", f"{username}@localhost.localdomain",
                           sm.find_role(app.config["AUTH_ROLE_ADMIN"]), password=password)
        if not user:
            raise click.ClickException(f"could not create the admin user '{username}'")
        if generated:
            say(f"first admin created: user '{username}', password '{password}' "
                "(shown once; change it after logging in)")
        else:
            say(f"first admin created: user '{username}' (password from PORTAL_ADMIN_PASSWORD)")


@click.group("user")
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

    app = load_app(info)
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
    app = load_app(info)
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
    app = load_app(info)
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
