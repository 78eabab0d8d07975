"""Regression tests for classes of weakness FAB applications have had, that no other module
covers: database errors echoed to users (FAB PR #2045), and privilege escalation / user IDOR
through the user screens (FAB issue #2466). Covered elsewhere: user enumeration and login
throttling (test_security.py, test_throttle.py), open redirects and cacheable login pages
(test_headers.py), APIs accepting the session cookie (test_security.py, test_views_api.py),
CSRF on screens (test_views_base.py), hostile list parameters (test_views_guard.py)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_appbuilder.exceptions import DatabaseException
from flask_appbuilder.models.sqla.interface import SQLAInterface
from sqlalchemy.exc import IntegrityError

from app.portal import portal_of
from tests.support.app import csrf_token, login
from tests.support.factories import make_record


def test_a_database_error_never_reaches_the_user_or_the_page(
        app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The driver's message carries SQL and row values (here a phone number): the user gets
    a plain sentence, and the page shows nothing of the statement."""
    spec = portal_of(app).spec
    record = make_record(app, spec.form("customer"))
    client = app.test_client()
    login(client, "supervisor")
    token = csrf_token(client, f"/customerview/edit/{record.id}")
    page = client.get(f"/customerview/edit/{record.id}").get_data(as_text=True)
    version = page.split('name="row_version" type="hidden" value="')[1].split('"')[0]

    def explode(*args: Any, **kwargs: Any) -> None:  # what FAB's interface raises
        raise DatabaseException() from IntegrityError(
            "UPDATE form_customer SET phone='13912345678' WHERE id=1",
            {"phone": "13912345678"}, Exception("UNIQUE failed: secret"))

    monkeypatch.setattr(SQLAInterface, "edit", explode)
    body = client.post(f"/customerview/edit/{record.id}", data={
        "csrf_token": token, "row_version": version, "name": "新名字"},
        follow_redirects=True).get_data(as_text=True)
    monkeypatch.undo()
    assert "未保存：与其他记录冲突（值重复，或记录仍被引用）。" in body
    for leak in ("UPDATE", "13912345678", "secret", "form_customer", "Traceback"):
        assert leak not in body


@pytest.mark.parametrize("user", ["staff", "supervisor", "auditor"])
def test_user_and_role_screens_are_admin_only(app: Flask, user: str) -> None:
    client = app.test_client()
    login(client, user)
    with app.app_context():
        admin_id = app.appbuilder.sm.find_user(username="admin").id
    for url in ("/users/list/", f"/users/show/{admin_id}", f"/users/edit/{admin_id}",
                "/users/add", "/roles/list/", "/roles/add", "/teamview/list/",
                "/schema/"):
        assert client.get(url).status_code == 403, url


def test_self_service_edits_only_the_signed_in_user_and_only_their_names(app: Flask) -> None:
    """userinfoedit takes no user id and no role, active or username field: posting them
    changes nothing but the caller's own names."""
    client = app.test_client()
    login(client, "staff")
    token = csrf_token(client, "/userinfoeditview/form")
    with app.app_context():
        sm = app.appbuilder.sm
        admin = sm.find_user(username="admin")
        admin_role = sm.find_role("admin")
        ids = (admin.id, admin_role.id)
    client.post("/userinfoeditview/form", data={
        "csrf_token": token, "first_name": "张", "last_name": "三", "id": str(ids[0]),
        "username": "admin", "roles": str(ids[1]), "active": "y"})
    with app.app_context():
        rows = app.appbuilder.session.execute(sa.text(
            "select username, first_name, last_name from ab_user where username in "
            "('staff', 'admin') order by username")).all()
        roles = {r.name for r in app.appbuilder.sm.find_user(username="staff").roles}
    assert [tuple(r) for r in rows] == [("admin", "admin", "test"), ("staff", "张", "三")]
    assert roles == {"staff"}
    with app.app_context():  # restore for other tests
        app.appbuilder.session.execute(sa.text(
            "update ab_user set first_name = 'staff', last_name = 'test' "
            "where username = 'staff'"))
        app.appbuilder.session.commit()
