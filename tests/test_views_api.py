"""The REST API per form (app/views/api/endpoints.py) obeys the screens' rules: bearer tokens only,
the same permissions for every role × form × method of every pack, and the IDOR matrix of
tests/test_access.py (outside the row scope a record is a 404 and absent from lists)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask

from app.portal import portal_of
from app.security.permissions import sync_roles
from app.views.api.endpoints import PortalModelApi
from tests.support.api import (
    ACTION,
    TOKEN_SOURCES,
    _matrix,
    call,
    json_body,
    login_api_enabled,
    token,
)
from tests.support.app import PASSWORD, login, user_id
from tests.support.factories import REACH, make_record, two_teams

METHODS = ("list", "info", "show", "add", "edit", "delete")
ROLE_OF = {"staff2": "staff", "staff3": "staff", "supervisor2": "supervisor"}


@pytest.fixture(scope="module")
def world(make_app: Callable[..., Flask]) -> dict[str, Any]:
    """tests/test_access.py's two teams and four complaints."""
    app = make_app()
    return {"app": app, "records": two_teams(app, PASSWORD)}


def _complaints(app: Flask) -> dict[int, tuple]:
    with app.app_context():
        rows = app.appbuilder.session.execute(sa.text(
            "select id, description, version from form_complaint")).all()
    return {r.id: (r.description, r.version) for r in rows}


def test_tokens_come_from_the_login_api_when_it_is_enabled(world: dict[str, Any]) -> None:
    app = world["app"]
    assert token(app, "staff")
    assert ({"login"} if login_api_enabled(app) else {"minted"}) == TOKEN_SOURCES


# -- the IDOR matrix -------------------------------------------------------------------------
@pytest.mark.parametrize("user", sorted(REACH))
def test_list_has_exactly_the_records_in_scope_and_counts_only_them(
        world: dict[str, Any], user: str) -> None:
    app, records = world["app"], world["records"]
    response = call(app, "GET", "/api/v1/complaint/?q=(page_size:100)", user)
    assert response.status_code == 200
    body = response.get_json()
    listed = {k for k, rid in records.items() if rid in body["ids"]}
    assert listed == REACH[user]
    assert body["count"] == len(body["result"]) == len(body["ids"])
    outside = {rid for k, rid in records.items() if k not in REACH[user]}
    assert not outside & {row["id"] for row in body["result"]}


@pytest.mark.parametrize("user", sorted(REACH))
def test_out_of_scope_records_are_404_for_get_put_and_delete(world: dict[str, Any],
                                                            user: str) -> None:
    app, records = world["app"], world["records"]
    spec = portal_of(app).spec
    role = next(r for r in spec.roles if r.key == ROLE_OF.get(user, user))
    granted = set(ACTION.values()) if role.admin else set(role.grants.get("complaint", ()))
    before = _complaints(app)
    for key, rid in records.items():
        inside = key in REACH[user]
        url = f"/api/v1/complaint/{rid}"
        assert call(app, "GET", url, user).status_code == (200 if inside else 404), key
        if inside:
            continue
        put = call(app, "PUT", url, user, json={"description": "越权修改的内容"})
        assert put.status_code == (404 if "edit" in granted else 403), (key, "put")
        deleted = call(app, "DELETE", url, user)
        assert deleted.status_code == (404 if "delete" in granted else 403), (key, "delete")
        assert "message" in deleted.get_json()
    assert _complaints(app) == before  # nothing outside the scope changed or went away


def test_a_reference_outside_the_scope_is_refused_like_an_unknown_id(
        world: dict[str, Any]) -> None:
    app, records = world["app"], world["records"]
    spec = portal_of(app).spec
    body = json_body(app, spec.form("compensation"), "staff2")
    body["complaint"] = records["by_staff"]
    response = call(app, "POST", "/api/v1/compensation/", "staff2", json=body)
    assert response.status_code == 400
    assert response.get_json() == {"message": {"complaint": ["请从列表中选择一条记录。"]}}
    body["complaint"] = records["by_staff2"]
    assert call(app, "POST", "/api/v1/compensation/", "staff2", json=body).status_code == 201


def test_created_records_belong_to_the_tokens_user(world: dict[str, Any]) -> None:
    app = world["app"]
    spec = portal_of(app).spec
    response = call(app, "POST", "/api/v1/complaint/", "staff2",
                    json=json_body(app, spec.form("complaint"), "staff2"))
    assert response.status_code == 201, response.get_json()
    new_id = response.get_json()["id"]
    with app.app_context():
        row = app.appbuilder.session.execute(sa.text(
            "select created_by_fk, changed_by_fk, channel from form_complaint where id = :i"),
            {"i": new_id}).one()
    staff2 = user_id(app, "staff2")
    assert (row.created_by_fk, row.changed_by_fk) == (staff2, staff2)
    # staff2's own record is now in staff2's scope, and not in staff3's
    assert call(app, "GET", f"/api/v1/complaint/{new_id}", "staff2").status_code == 200
    assert call(app, "GET", f"/api/v1/complaint/{new_id}", "staff3").status_code == 404
    changed = call(app, "PUT", f"/api/v1/complaint/{new_id}", "supervisor",
                   json={"expectation": "主管补充的期望"})
    assert changed.status_code == 200, changed.get_json()
    with app.app_context():
        by = app.appbuilder.session.execute(sa.text(
            "select changed_by_fk from form_complaint where id = :i"), {"i": new_id}).scalar()
    assert by == user_id(app, "supervisor")


# -- authentication: the session cookie is not a credential ---------------------------------
def test_a_session_cookie_alone_gets_401_for_every_method(world: dict[str, Any]) -> None:
    app, records = world["app"], world["records"]
    spec = portal_of(app).spec
    assert PortalModelApi.allow_browser_login is False
    client = app.test_client()
    login(client, "admin")  # a browser session with every permission
    assert client.get("/complaintview/list/").status_code == 200
    rid = records["by_staff"]
    before = _complaints(app)
    body = json_body(app, spec.form("complaint"), "admin")
    for method, url, kwargs in (
            ("GET", "/api/v1/complaint/", {}),
            ("GET", "/api/v1/complaint/_info", {}),
            ("GET", f"/api/v1/complaint/{rid}", {}),
            ("POST", "/api/v1/complaint/", {"json": body}),
            ("PUT", f"/api/v1/complaint/{rid}", {"json": {"description": "只凭会话修改"}}),
            ("DELETE", f"/api/v1/complaint/{rid}", {})):
        response = client.open(url, method=method, **kwargs)
        assert response.status_code == 401, (method, url, response.status_code)
        assert "result" not in response.get_json()
    assert _complaints(app) == before
    missing = call(app, "GET", f"/api/v1/complaint/{rid}", None)
    assert missing.status_code == 401
    assert missing.get_json() == {"message": "请先登录：在请求头中携带从 /api/v1/security/login "
                                  "获取的有效令牌（Authorization: Bearer <令牌>）。"}
    bad = call(app, "GET", f"/api/v1/complaint/{rid}", None,
               headers={"Authorization": "Bearer not-a-token"})
    assert (bad.status_code, bad.get_json()) == (401, missing.get_json())


# -- permissions: every role × form × method of every pack ----------------------------------
def _attempt(app: Flask, form: Any, method: str, user: str) -> tuple[int, Any, Any]:
    """(status, body, record) of one call on a record the user created (in scope)."""
    base = f"/api/v1/{form.key}/"
    record = make_record(app, form, _owner=user)
    if method == "list":
        response = call(app, "GET", base, user)
    elif method == "info":
        response = call(app, "GET", base + "_info", user)
    elif method == "show":
        response = call(app, "GET", f"{base}{record.id}", user)
    elif method == "add":
        response = call(app, "POST", base, user, json=json_body(app, form, user))
    elif method == "edit":
        response = call(app, "PUT", f"{base}{record.id}", user, json={"version": 1})
    else:
        response = call(app, "DELETE", f"{base}{record.id}", user)
    return response.status_code, response.get_json(), record


@pytest.mark.parametrize(("pack", "role_key"), _matrix())
def test_every_form_and_method_is_allowed_exactly_as_declared(pack_apps: dict, pack: Any,
                                                              role_key: str) -> None:
    app = pack_apps[pack]
    spec = portal_of(app).spec
    role = next(r for r in spec.roles if r.key == role_key)
    for form in spec.forms:
        granted = {"list", "show", "add", "edit", "delete"} if role.admin else set(
            role.grants.get(form.key, ()))
        model = portal_of(app).models.models[form.key]
        for method in METHODS:
            status, body, record = _attempt(app, form, method, role_key)
            where = (form.key, method, status, body)
            if ACTION[method] in granted:
                assert status == {"add": 201}.get(method, 200), where
            else:
                assert status == 403, where
                assert body == {"message": "您的角色无权对此表单执行此操作。"}, where
            if method == "delete":
                with app.app_context():
                    gone = app.appbuilder.session.get(model, record.id) is None
                assert gone == ("delete" in granted), where


def test_english_messages_on_request(world: dict[str, Any]) -> None:
    app, rid = world["app"], world["records"]["by_staff"]
    refused = call(app, "DELETE", f"/api/v1/complaint/{rid}", "staff",
                   headers={"Accept-Language": "en-US,en;q=0.9"})
    assert refused.get_json() == {"message": "Your role does not allow this on this form."}
    via_arg = call(app, "GET", "/api/v1/complaint/999999?_l_=en", "staff")
    assert via_arg.get_json() == {"message": "Record not found."}
    assert call(app, "GET", "/api/v1/complaint/999999", "staff").get_json() == {
        "message": "记录不存在。"}


def test_the_apis_add_no_permission_and_sync_stays_exact(world: dict[str, Any]) -> None:
    app = world["app"]
    assert sync_roles(app).changes == []
    spec = portal_of(app).spec
    with app.app_context():
        sm = app.appbuilder.sm
        views = {v.name for v in sm.get_all_view_menu()}
        pairs = {(pv.permission.name, pv.view_menu.name)
                 for pv in sm.session.query(sm.permissionview_model)}
    assert not {v for v in views if v.endswith("FormApi")}
    for form in spec.forms:
        assert {p for p, v in pairs if v == form.view_name} == set(
            PortalModelApi.base_permissions), form.key
    assert sync_roles(app).changes == []


# -- no JSON value of any field is a 500 ---------------------------------------------------
ODD_VALUES = (None, "", " ", 0, -1, 2**31, 10**40, 1.5, True, [], ["x", 1], {}, "x" * 5000,
              "a\x00b", "2026-13-45", "2026-02-03 25:61:00", "1e999", "NaN", "１２")


def test_no_json_value_of_any_field_is_a_500(world: dict[str, Any]) -> None:
    app = world["app"]
    spec = portal_of(app).spec
    for form in spec.forms:
        record = make_record(app, form, _owner="admin")
        valid = json_body(app, form, "admin")
        for field in form.fields:
            for value in ODD_VALUES:
                put = call(app, "PUT", f"/api/v1/{form.key}/{record.id}", "admin",
                           json={field.key: value})
                assert put.status_code in (200, 400), (form.key, field.key, value, put.json)
                if put.status_code == 400:
                    assert list(put.get_json()["message"]) == [field.key]
                post = call(app, "POST", f"/api/v1/{form.key}/", "admin",
                            json={**valid, field.key: value})
                assert post.status_code in (201, 400), (form.key, field.key, value, post.json)
