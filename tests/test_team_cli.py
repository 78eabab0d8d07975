"""`flask portal team`: create, add, remove, list, delete, with clear refusals."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from app.security.teams import Team


def _members(app: Flask, name: str) -> set[str] | None:
    with app.app_context():
        team = app.appbuilder.session.query(Team).filter_by(name=name).one_or_none()
        return None if team is None else {u.username for u in team.members}


def test_team_commands_manage_membership(make_app: Callable[..., Flask]) -> None:
    app = make_app()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["portal", "team", "create", "售后二组", "--member", "staff"])
    assert result.exit_code == 0 and result.output == "team 售后二组 created with 1 member(s)\n"
    assert _members(app, "售后二组") == {"staff"}
    result = runner.invoke(args=["portal", "team", "add", "售后二组", "supervisor", "staff"])
    assert result.output == "team 售后二组: staff, supervisor\n"
    result = runner.invoke(args=["portal", "team", "remove", "售后二组", "staff"])
    assert result.output == "team 售后二组: supervisor\n"
    listing = runner.invoke(args=["portal", "team", "list"]).output.splitlines()
    assert "售后二组: supervisor" in listing
    assert runner.invoke(args=["portal", "team", "delete", "售后二组", "--yes"]).output == (
        "team 售后二组 deleted\n")
    assert _members(app, "售后二组") is None
    with app.app_context():  # members keep their accounts
        assert app.appbuilder.sm.find_user(username="supervisor") is not None


def test_team_commands_refuse_unknown_names_and_duplicates(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(args=["portal", "team", "add", "没有这个组", "staff"])
    assert result.exit_code == 1
    assert "Error: no team '没有这个组' (teams: 客服一组)" in result.output
    result = runner.invoke(args=["portal", "team", "create", "客服一组"])
    assert result.exit_code == 1 and "Error: team '客服一组' already exists" in result.output
    result = runner.invoke(args=["portal", "team", "create", "新组", "--member", "nobody"])
    assert result.exit_code == 1 and "Error: no user 'nobody'" in result.output
    assert _members(app, "新组") is None  # nothing half-created
