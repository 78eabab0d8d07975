"""Permission checks answered from one query per request (app/security/permission_cache.py):
FAB asked the database once per check, 26 times for a list page."""

from __future__ import annotations

from typing import Any

from flask import Flask

from app.portal import portal_of
from tests.support.app import login
from tests.support.factories import make_record
from tests.support.statements import statements_of


def test_a_page_reads_the_roles_permissions_once(app: Flask) -> None:
    record = make_record(app, portal_of(app).spec.form("complaint"))
    for user in ("staff", "admin"):
        client = app.test_client()
        login(client, user)
        for url in ("/complaintview/list/", "/complaintview/add",
                    f"/complaintview/show/{record.id}", "/customerview/list/"):
            status, seen = statements_of(app, client, url)
            assert status == 200, (user, url)
            checks = [s for s in seen if "ab_permission_view_role" in s
                      and "menu_access" not in s]
            assert len(checks) == 1, (user, url, len(checks))


def test_a_role_change_counts_from_the_next_request(make_app: Any) -> None:
    app = make_app()
    client = app.test_client()
    login(client, "staff")
    assert client.get("/customerview/list/").status_code == 200
    with app.app_context():
        sm = app.appbuilder.sm
        role = sm.find_role("staff")
        pv = sm.find_permission_view_menu("can_list", "CustomerView")
        sm.del_permission_role(role, pv)
    assert client.get("/customerview/list/").status_code == 403
