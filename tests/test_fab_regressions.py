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


# FAB's user statistics chart answered /userstatschartview/chart/abc with a 500 and loaded
# Google's chart library from the internet; the portal does not register it.
CHART_URLS = ("/userstatschartview/chart/", "/userstatschartview/chart/abc",
              "/userstatschartview/chart/99")
CHART_PAIRS = {("can_chart", "UserStatsChartView"), ("menu_access", "User's Statistics")}


@pytest.mark.parametrize("user", [None, "staff", "admin"])
def test_fabs_user_statistics_chart_is_not_there(app: Flask, user: str | None) -> None:
    client = app.test_client()
    if user:
        login(client, user)
    for url in CHART_URLS:
        response = client.get(url)
        assert response.status_code == 404, url
        assert "Traceback" not in response.get_data(as_text=True)
    if user == "admin":
        menu = client.get("/users/list/").get_data(as_text=True)
        assert "/userstatschartview/" not in menu and "用户统计" not in menu
        assert "用户列表" in menu  # the Security menu itself is still there


def _pairs(app: Flask) -> set[tuple[str, str]]:
    with app.app_context():
        sm = app.appbuilder.sm
        return {(pv.permission.name, pv.view_menu.name)
                for pv in sm.session.query(sm.permissionview_model).all()}


def test_role_sync_leaves_no_permission_for_the_statistics_chart(make_app) -> None:
    """A fresh database has none; one from before the chart was dropped loses them."""
    from app.security.permissions import sync_roles

    app = make_app()
    assert _pairs(app) & CHART_PAIRS == set()
    with app.app_context():  # what FAB's registration left in older databases
        sm = app.appbuilder.sm
        admin = sm.find_role("admin")
        for permission, view in sorted(CHART_PAIRS):
            sm.add_permission_role(admin, sm.add_permission_view_menu(permission, view))
        sm.session.commit()
    assert _pairs(app) & CHART_PAIRS == CHART_PAIRS
    changes = sync_roles(app).changes
    assert changes == ["role admin: - can_chart on UserStatsChartView (no such screen)",
                       "role admin: - menu_access on User's Statistics (no such screen)"]
    assert _pairs(app) & CHART_PAIRS == set()
    with app.app_context():
        names = {v.name for v in app.appbuilder.sm.get_all_view_menu()}
    assert {"UserStatsChartView", "User's Statistics"} & names == set()
    assert sync_roles(app).changes == []
