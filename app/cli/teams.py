"""`flask portal team ...`: the teams that row scope `team` is measured against."""

from __future__ import annotations

from typing import Any

import click
from flask import current_app
from flask.cli import ScriptInfo

from app.cli.base import load_app, pass_info
from app.security.teams import Team


@click.group("team")
def team_group() -> None:
    """Teams of users (row scope `team`)."""


def _team(session: Any, name: str) -> Team:
    team = session.query(Team).filter_by(name=name).one_or_none()
    if team is None:
        known = ", ".join(t.name for t in session.query(Team).order_by(Team.name)) or "none"
        raise click.ClickException(f"no team '{name}' (teams: {known})")
    return team


def _users(sm: Any, usernames: tuple[str, ...]) -> list[Any]:
    users = []
    for name in usernames:
        user = sm.find_user(username=name)
        if user is None:
            raise click.ClickException(f"no user '{name}'")
        users.append(user)
    return users


@team_group.command("list")
@pass_info
def team_list(info: ScriptInfo) -> None:
    """Every team and its members."""
    app = load_app(info)
    with app.app_context():
        session = current_app.extensions["appbuilder"].session
        teams = session.query(Team).order_by(Team.name).all()
        if not teams:
            click.echo("no teams yet: flask portal team create NAME --member USER")
        for team in teams:
            members = ", ".join(sorted(u.username for u in team.members)) or "(no members)"
            click.echo(f"{team.name}: {members}")


@team_group.command("create")
@click.argument("name")
@click.option("--member", "members", multiple=True, help="Username (repeatable).")
@pass_info
def team_create(info: ScriptInfo, name: str, members: tuple[str, ...]) -> None:
    """Create a team."""
    app = load_app(info)
    with app.app_context():
        sm = current_app.extensions["appbuilder"].sm
        if sm.session.query(Team).filter_by(name=name).count():
            raise click.ClickException(f"team '{name}' already exists")
        sm.session.add(Team(name=name, members=_users(sm, members)))
        sm.session.commit()
        click.echo(f"team {name} created with {len(members)} member(s)")


@team_group.command("add")
@click.argument("name")
@click.argument("usernames", nargs=-1, required=True)
@pass_info
def team_add(info: ScriptInfo, name: str, usernames: tuple[str, ...]) -> None:
    """Add users to a team."""
    app = load_app(info)
    with app.app_context():
        sm = current_app.extensions["appbuilder"].sm
        team = _team(sm.session, name)
        for user in _users(sm, usernames):
            if user not in team.members:
                team.members.append(user)
        sm.session.commit()
        click.echo(f"team {name}: {', '.join(sorted(u.username for u in team.members))}")


@team_group.command("remove")
@click.argument("name")
@click.argument("usernames", nargs=-1, required=True)
@pass_info
def team_remove(info: ScriptInfo, name: str, usernames: tuple[str, ...]) -> None:
    """Remove users from a team."""
    app = load_app(info)
    with app.app_context():
        sm = current_app.extensions["appbuilder"].sm
        team = _team(sm.session, name)
        for user in _users(sm, usernames):
            if user in team.members:
                team.members.remove(user)
        sm.session.commit()
        members = ", ".join(sorted(u.username for u in team.members)) or "(no members)"
        click.echo(f"team {name}: {members}")


@team_group.command("delete")
@click.argument("name")
@click.option("--yes", is_flag=True, help="Do not ask; for scripts.")
@pass_info
def team_delete(info: ScriptInfo, name: str, yes: bool) -> None:
    """Delete a team (its members keep their accounts and their own records)."""
    app = load_app(info)
    with app.app_context():
        session = current_app.extensions["appbuilder"].session
        team = _team(session, name)
        if not yes:
            click.confirm(f"Delete team {name} ({len(team.members)} member(s))?", abort=True)
        session.delete(team)
        session.commit()
        click.echo(f"team {name} deleted")
