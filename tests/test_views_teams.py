"""The Teams screen: admins only, membership edits take effect on row scope at once."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from app.security.teams import Team
from tests.support.app import csrf_token, login


def test_only_admins_reach_the_teams_screen(app: Flask) -> None:
    for user, status in (("admin", 200), ("supervisor", 403), ("staff", 403),
                         ("auditor", 403)):
        client = app.test_client()
        login(client, user)
        assert client.get("/teamview/list/").status_code == status, user
    client = app.test_client()
    login(client, "admin")
    page = client.get("/teamview/list/").get_data(as_text=True)
    assert "客服一组" in page and "团队" in page


def test_admin_creates_a_team_with_members(make_app: Callable[..., Flask]) -> None:
    app = make_app()
    client = app.test_client()
    login(client, "admin")
    with app.app_context():
        sm = app.appbuilder.sm
        ids = [str(sm.find_user(username=u).id) for u in ("staff", "supervisor")]
    token = csrf_token(client, "/teamview/add")
    client.post("/teamview/add", data={"csrf_token": token, "name": "华东组",
                                       "members": ids})
    with app.app_context():
        team = app.appbuilder.session.query(Team).filter_by(name="华东组").one()
        assert sorted(u.username for u in team.members) == ["staff", "supervisor"]
