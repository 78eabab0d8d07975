"""Teammates: everyone sharing at least one team; a user without a team has only themself."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from app.security.teams import Team, teammate_ids
from tests.support.app import PASSWORD


def test_teammates_across_several_teams(make_app: Callable[..., Flask]) -> None:
    app = make_app()
    with app.app_context():
        sm = app.appbuilder.sm
        role = sm.find_role("staff")
        users = {n: sm.add_user(n, n, "t", f"{n}@example.com", role, password=PASSWORD)
                 for n in ("wang", "li", "zhao", "solo")}
        sm.session.add_all([Team(name="甲组", members=[users["wang"], users["li"]]),
                            Team(name="乙组", members=[users["li"], users["zhao"]])])
        sm.session.commit()
        ids = {n: u.id for n, u in users.items()}
        assert teammate_ids(sm.session, ids["wang"]) == sorted([ids["wang"], ids["li"]])
        assert teammate_ids(sm.session, ids["li"]) == sorted(
            [ids["wang"], ids["li"], ids["zhao"]])
        assert teammate_ids(sm.session, ids["solo"]) == [ids["solo"]]
