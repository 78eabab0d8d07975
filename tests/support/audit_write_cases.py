"""The writes of tests/test_audit_writes.py, one function per write route: each prepares what
it needs, marks the start with `begin`, makes the write through HTTP and returns the events
(action, form) it must have logged."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask
from flask.testing import FlaskClient

from app.portal import portal_of
from tests.support.api import call, json_body, token
from tests.support.app import PASSWORD, csrf_token, login
from tests.support.audit import events_after, last_seq, stored_form
from tests.support.factories import make_record, post_data

Expect = list[tuple[str, str | None]]  # (action, form) of the events a call must log


def _forms(app: Flask) -> list[Any]:
    return list(portal_of(app).spec.forms)


def _text_field(form: Any) -> Any:
    return next(f for f in form.fields if f.type in ("string", "text") and not f.pattern
                and not f.sensitive and not f.unique)


def _post(client: FlaskClient, url: str, data: dict, page: str | None = None) -> Any:
    """A form post with the session's CSRF token, read from `page` (default: the URL)."""
    return client.post(url, data={**data, "csrf_token": csrf_token(client, page or url)})


MARK: dict[str, int] = {}
SETTINGS = "/notifications/settings"  # 通知设置: a page with the session's CSRF token


def begin(app: Flask) -> None:
    """The write under test starts here: events before it belong to its preparation."""
    MARK["seq"] = last_seq(app)


def form_add(app: Flask, client: FlaskClient) -> Expect:
    posts = {form.key: post_data(app, form, 1)[0] for form in _forms(app)}
    begin(app)
    for form in _forms(app):
        data = posts[form.key]
        assert _post(client, f"/{form.view_name.lower()}/add", data).status_code == 302
    return [("create", f.key) for f in _forms(app)]


def form_edit(app: Flask, client: FlaskClient) -> Expect:
    pks = {form.key: make_record(app, form).id for form in _forms(app)}
    begin(app)
    for form in _forms(app):
        pk = pks[form.key]
        url = f"/{form.view_name.lower()}/edit/{pk}"
        data = stored_form(app, form, pk)
        data[_text_field(form).key] = "审计修改后的内容"
        assert _post(client, url, data).status_code == 302
    return [("update", f.key) for f in _forms(app)]


def form_delete(app: Flask, client: FlaskClient) -> Expect:
    pks = {form.key: make_record(app, form).id for form in _forms(app)}
    begin(app)
    for form in _forms(app):
        pk = pks[form.key]
        base = f"/{form.view_name.lower()}"
        assert _post(client, f"{base}/delete/{pk}", {}, "/users/add").status_code == 302
    return [("delete", f.key) for f in _forms(app)]


def form_reveal(app: Flask, client: FlaskClient) -> Expect:
    pk = make_record(app, portal_of(app).spec.form("customer")).id
    begin(app)
    response = _post(client, f"/customerview/reveal/{pk}/phone", {}, "/users/add")
    assert response.status_code == 200
    return [("reveal", "customer")]


def form_transition(app: Flask, client: FlaskClient) -> Expect:
    """A transition from the record page: the engine's "transition" event, and the update of
    the field its dialog asked for (the handler)."""
    pk = make_record(app, portal_of(app).spec.form("complaint")).id
    handler = _ids(app, "staff")[0]
    begin(app)
    response = _post(client, f"/complaintview/transition/{pk}/accept",
                     {"version": "1", "handler": handler}, "/users/add")
    assert response.status_code == 302, response.get_data(as_text=True)
    moves = [(e.record_id, e.username) for e in events_after(app, MARK["seq"], "transition")]
    assert moves == [(str(pk), "admin")]
    return [("update", "complaint")]


def _revealed(app: Flask) -> Expect:
    """The admin's API answers carry sensitive values unmasked: an audited reveal each."""
    return [("reveal", f.key) for f in _forms(app) if any(x.sensitive for x in f.fields)]


def api_post(app: Flask, _client: FlaskClient) -> Expect:
    bodies = {form.key: json_body(app, form, "admin") for form in _forms(app)}
    token(app, "admin")
    begin(app)
    for form in _forms(app):
        response = call(app, "POST", f"/api/v1/{form.key}/", "admin", json=bodies[form.key])
        assert response.status_code == 201, response.get_data(as_text=True)
    return [("create", f.key) for f in _forms(app)] + _revealed(app)


def api_put(app: Flask, _client: FlaskClient) -> Expect:
    pks = {form.key: make_record(app, form).id for form in _forms(app)}
    token(app, "admin")
    begin(app)
    for form in _forms(app):
        pk = pks[form.key]
        response = call(app, "PUT", f"/api/v1/{form.key}/{pk}", "admin",
                        json={_text_field(form).key: "接口修改", "version": 1})
        assert response.status_code == 200, response.get_data(as_text=True)
    return [("update", f.key) for f in _forms(app)] + _revealed(app)


def api_delete(app: Flask, _client: FlaskClient) -> Expect:
    pks = {form.key: make_record(app, form).id for form in _forms(app)}
    token(app, "admin")
    begin(app)
    for form in _forms(app):
        pk = pks[form.key]
        assert call(app, "DELETE", f"/api/v1/{form.key}/{pk}", "admin").status_code == 200
    return [("delete", f.key) for f in _forms(app)]


def api_transition(app: Flask, _client: FlaskClient) -> Expect:
    """A transition through the API: the engine's own "transition" event, and the update of
    the field it asked for (the handler)."""
    pk = make_record(app, portal_of(app).spec.form("complaint")).id
    handler = int(_ids(app, "staff")[0])
    token(app, "admin")
    begin(app)
    response = call(app, "POST", f"/api/v1/complaint/{pk}/transition/accept", "admin",
                    json={"version": 1, "values": {"handler": handler}})
    assert response.status_code == 200, response.get_data(as_text=True)
    moves = [(e.record_id, e.username) for e in events_after(app, MARK["seq"], "transition")]
    assert moves == [(str(pk), "admin")]
    return [("update", "complaint")]


def _ids(app: Flask, *usernames: str) -> list[str]:
    with app.app_context():
        return [str(app.appbuilder.sm.find_user(username=u).id) for u in usernames]


def _role_id(app: Flask, name: str) -> str:
    with app.app_context():
        return str(app.appbuilder.sm.find_role(name).id)


def _new_user(app: Flask, name: str) -> int:
    with app.app_context():
        sm = app.appbuilder.sm
        user = sm.find_user(username=name) or sm.add_user(
            name, "审计", "用户", f"{name}@example.com", sm.find_role("staff"), password=PASSWORD)
        return int(user.id)


def _user_data(app: Flask, name: str) -> dict[str, Any]:
    return {"first_name": "审计", "last_name": "用户", "username": name, "active": "y",
            "email": f"{name}@example.com", "roles": [_role_id(app, "staff")]}


def user_add(app: Flask, client: FlaskClient) -> Expect:
    data = {**_user_data(app, "w_user_add"), "password": PASSWORD, "conf_password": PASSWORD}
    assert _post(client, "/users/add", data).status_code == 302
    return [("create", "ab_user")]


def user_edit(app: Flask, client: FlaskClient) -> Expect:
    pk = _new_user(app, "w_user_edit")
    begin(app)
    data = {**_user_data(app, "w_user_edit"), "last_name": "改名"}
    assert _post(client, f"/users/edit/{pk}", data).status_code == 302
    return [("update", "ab_user")]


def user_delete(app: Flask, client: FlaskClient) -> Expect:
    pk = _new_user(app, "w_user_delete")
    begin(app)
    assert _post(client, f"/users/delete/{pk}", {}, "/users/add").status_code == 302
    return [("delete", "ab_user")]


def user_redirect_action(app: Flask, client: FlaskClient) -> Expect:
    """FAB's user actions only lead to the password / profile forms: nothing is written."""
    pk = _new_user(app, "w_user_action")
    begin(app)
    response = _post(client, f"/users/action/resetpasswords/{pk}", {}, "/users/add")
    assert response.status_code == 302 and "/resetpassword/form" in response.location
    return []


def role_add(app: Flask, client: FlaskClient) -> Expect:
    assert _post(client, "/roles/add", {"name": "w_role_add"}).status_code == 302
    return [("create", "ab_role")]


def role_edit(app: Flask, client: FlaskClient) -> Expect:
    _post(client, "/roles/add", {"name": "w_role_edit"})
    pk = _role_id(app, "w_role_edit")
    begin(app)
    assert _post(client, f"/roles/edit/{pk}", {"name": "w_role_edited"}).status_code == 302
    return [("update", "ab_role")]


def role_delete(app: Flask, client: FlaskClient) -> Expect:
    _post(client, "/roles/add", {"name": "w_role_delete"})
    pk = _role_id(app, "w_role_delete")
    begin(app)
    assert _post(client, f"/roles/delete/{pk}", {}, "/roles/add").status_code == 302
    return [("delete", "ab_role")]


def role_copy_many(app: Flask, client: FlaskClient) -> Expect:
    pk = _role_id(app, "staff")
    begin(app)
    response = _post(client, "/roles/action_post", {"action": "copyrole", "rowid": pk},
                     "/roles/add")
    assert response.status_code == 302
    return [("create", "ab_role")]


def group_add(app: Flask, client: FlaskClient) -> Expect:
    data = {"name": "w_group_add", "label": "审计组", "users": _ids(app, "staff")}
    assert _post(client, "/groups/add", data).status_code == 302
    return [("create", "ab_group")]


def _group_id(app: Flask, client: FlaskClient, name: str) -> str:
    _post(client, "/groups/add", {"name": name, "label": name})
    from flask_appbuilder.security.sqla.models import Group

    with app.app_context():
        return str(app.appbuilder.session.query(Group).filter_by(name=name).one().id)


def group_edit(app: Flask, client: FlaskClient) -> Expect:
    pk = _group_id(app, client, "w_group_edit")
    begin(app)
    response = _post(client, f"/groups/edit/{pk}", {"name": "w_group_edit", "label": "改",
                                                     "users": _ids(app, "staff")})
    assert response.status_code == 302
    return [("update", "ab_group")]


def group_delete(app: Flask, client: FlaskClient) -> Expect:
    pk = _group_id(app, client, "w_group_delete")
    begin(app)
    assert _post(client, f"/groups/delete/{pk}", {}, "/groups/add").status_code == 302
    return [("delete", "ab_group")]


def team_add(app: Flask, client: FlaskClient) -> Expect:
    data = {"name": "w_team_add", "members": _ids(app, "staff")}
    assert _post(client, "/teamview/add", data).status_code == 302
    return [("create", "portal_team")]


def _team_id(app: Flask, client: FlaskClient, name: str) -> str:
    from app.security.teams import Team

    _post(client, "/teamview/add", {"name": name, "members": _ids(app, "staff")})
    with app.app_context():
        return str(app.appbuilder.session.query(Team).filter_by(name=name).one().id)


def team_edit(app: Flask, client: FlaskClient) -> Expect:
    pk = _team_id(app, client, "w_team_edit")
    begin(app)
    data = {"name": "w_team_edit", "members": _ids(app, "staff", "supervisor")}
    assert _post(client, f"/teamview/edit/{pk}", data).status_code == 302
    return [("update", "portal_team")]


def team_delete(app: Flask, client: FlaskClient) -> Expect:
    pk = _team_id(app, client, "w_team_delete")
    begin(app)
    response = _post(client, f"/teamview/delete/{pk}", {}, "/teamview/add")
    assert response.status_code == 302
    return [("delete", "portal_team")]


def profile_edit(app: Flask, _client: FlaskClient) -> Expect:
    _new_user(app, "w_profile")  # its own account: the shared users keep their names
    own = app.test_client()
    login(own, "w_profile")
    begin(app)
    data = {"first_name": "审计", "last_name": "改名"}
    assert _post(own, "/userinfoeditview/form", data).status_code == 302
    return [("update", "ab_user")]


def password_reset(app: Flask, client: FlaskClient) -> Expect:
    pk = _new_user(app, "w_reset")
    begin(app)
    new = "Audit-Reset-Password-77"
    url = f"/resetpassword/form?pk={pk}"
    assert _post(client, url, {"password": new, "conf_password": new}).status_code == 302
    return [("update", "ab_user")]


def password_reset_mine(app: Flask, _client: FlaskClient) -> Expect:
    _new_user(app, "w_mine")
    own = app.test_client()
    login(own, "w_mine")
    begin(app)
    new = "Audit-My-Password-2026"
    response = _post(own, "/resetmypassword/form", {"current_password": PASSWORD,
                                                    "password": new, "conf_password": new})
    assert response.status_code == 302
    return [("update", "ab_user")]


def form_login(app: Flask, _client: FlaskClient) -> Expect:
    login(app.test_client(), "staff")
    return [("login", None)]


def api_login(app: Flask, _client: FlaskClient) -> Expect:
    response = app.test_client().post("/api/v1/security/login", json={
        "username": "staff", "password": PASSWORD, "provider": "db", "refresh": False})
    assert response.status_code == 200
    return [("login", None)]


def refused(url: str, status: int = 403, action: str = "nothing"
            ) -> Callable[[Flask, FlaskClient], Expect]:
    """Writes nobody may make, even the admin: FAB's permission screens are read-only (403,
    logged as denied); views without actions have nothing to run (404 / 400)."""
    def run(app: Flask, client: FlaskClient) -> Expect:
        data = {"name": "x", "rowid": "1", "csrf_token": csrf_token(client, "/users/add")}
        if url.endswith("action_post"):
            data["action"] = action
        response = client.post(url, data=data)
        assert response.status_code == status, response.get_data(as_text=True)[:300]
        return [("denied", None)] if status == 403 else []
    return run


def _upload(app: Flask, client: FlaskClient) -> int:
    """A customer file uploaded to 导入 (as the signed-in user) and checked by the worker."""
    import io

    from app.jobs.worker import run_pending

    phone = f"139{last_seq(app) % 10**8:08d}"
    response = client.post("/customerview/import/", data={
        "csrf_token": csrf_token(client, "/customerview/import/"),
        "file": (io.BytesIO(f"客户名称,联系电话\n导入审计,{phone}\n".encode()), "客户.csv")},
        content_type="multipart/form-data")
    assert response.status_code == 302, response.get_data(as_text=True)[:300]
    with app.app_context():
        run_pending()
    return int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])


def form_import_upload(app: Flask, client: FlaskClient) -> Expect:
    begin(app)
    _upload(app, client)
    return []  # checked only: nothing stored, nothing to log


def form_import_apply(app: Flask, client: FlaskClient) -> Expect:
    from app.jobs.worker import run_pending

    job = _upload(app, client)
    begin(app)
    url = f"/customerview/import/{job}/"
    assert _post(client, f"{url}apply", {}, page=url).status_code == 302
    with app.app_context():
        run_pending()
    return [("create", "customer")]


def notify_read(_app: Flask, client: FlaskClient) -> Expect:
    """我的通知's mark read: not audited (portal_notification is the record itself)."""
    assert _post(client, "/notifications/2147483647/read", {}, SETTINGS).status_code == 302
    return []


def notify_read_all(_app: Flask, client: FlaskClient) -> Expect:
    assert _post(client, "/notifications/read-all", {}, SETTINGS).status_code == 302
    return []


def notify_settings(_app: Flask, client: FlaskClient) -> Expect:
    """通知设置: a user's own choices, kept with their changed_at, not audited."""
    data = {"email": "1", "language": "zh"}
    assert _post(client, SETTINGS, data).status_code == 302
    return []
