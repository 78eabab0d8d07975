"""Recipients (app/notify/recipients.py): a rule's roles reach only the holders who may open
the record, as its page decides: the form's show grant and the record within their row
scope. A supervisor of another team is not told of this team's complaint."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from app.notify.recipients import may_open, people, role_names
from app.portal import portal_of
from app.security.teams import Team
from tests.support.app import user_id
from tests.support.factories import make_record

PASSWORD = "Notify-Recipients-2026!"


@pytest.fixture(scope="module")
def app(make_app: Callable[..., Flask]) -> Flask:
    app = make_app()
    with app.app_context():
        sm = app.appbuilder.sm
        sm.add_user("supervisor9", "supervisor9", "test", "s9@example.com",
                    sm.find_role("supervisor"), password=PASSWORD)
        sm.session.add(Team(name="客服九组", members=[sm.find_user(username="supervisor9")]))
        sm.session.commit()
    return app


def test_only_the_role_holders_who_may_open_the_record_are_told(app: Flask) -> None:
    spec = portal_of(app).spec
    complaint = spec.form("complaint")
    record = make_record(app, complaint, _owner="staff", description="本组的投诉")
    with app.app_context():
        session = app.appbuilder.session
        found = people(session, [], ["supervisor"], None, reach=(spec, complaint, record))
        everyone = people(session, [], ["supervisor"], None)
    assert [p.username for p in everyone] == ["supervisor", "supervisor9"]
    assert [p.username for p in found] == ["supervisor"]  # not the other team's supervisor


def test_may_open_follows_grants_and_scopes(app: Flask) -> None:
    spec = portal_of(app).spec
    complaint, customer = spec.form("complaint"), spec.form("customer")
    record = make_record(app, complaint, _owner="staff", description="谁能看")
    staff, staff_roles = user_id(app, "staff"), {"staff"}
    with app.app_context():
        session = app.appbuilder.session
        names = role_names(session, [user_id(app, "supervisor9"), user_id(app, "admin")])
        assert may_open(session, spec, complaint, record, staff, staff_roles)  # created it
        assert not may_open(session, spec, complaint, record, user_id(app, "supervisor9"),
                            names[user_id(app, "supervisor9")])  # another team
        assert may_open(session, spec, complaint, record, user_id(app, "admin"),
                        names[user_id(app, "admin")])
        assert not may_open(session, spec, customer, record, staff, set())  # no role at all
