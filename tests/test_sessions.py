"""Server-side sessions: rotation at login, logout that really ends them, idle timeout,
absolute lifetime, disabled users and password resets cut off at once."""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select, update

from app.audit.log import AuditEvent
from app.security.sessions import SESSIONS, TOKEN_KEY
from tests.support.app import PASSWORD, csrf_token, login

ENDED = "您的会话已结束，请重新登录。"
IDLE = "您已超过 30 分钟未操作，已自动退出，请重新登录。"
EXPIRED = "您的会话已达到 12 小时的最长时限，请重新登录。"
HOST = "portal.test"
_names = itertools.count(1)


@pytest.fixture(scope="module")
def app(make_app: Callable[..., Flask]) -> Flask:
    """An app of its own: these tests disable users and reset passwords."""
    return make_app()


def new_user(app: Flask, role: str = "staff") -> str:
    name = f"sess{next(_names)}"
    with app.app_context():
        sm = app.appbuilder.sm
        assert sm.add_user(name, name, "test", f"{name}@example.com", sm.find_role(role),
                           password=PASSWORD)
    return name


def signed_in(app: Flask, role: str = "staff") -> tuple[FlaskClient, str]:
    client = app.test_client()
    name = new_user(app, role)
    login(client, name)
    return client, name


def rows(app: Flask, username: str) -> list:
    with app.app_context():
        sm = app.appbuilder.sm
        user_id = sm.find_user(username=username).id
        return list(sm.session.execute(select(SESSIONS).where(
            SESSIONS.c.user_id == user_id).order_by(SESSIONS.c.created_on)).all())


def shift(app: Flask, username: str, **delta: dt.timedelta) -> None:
    """Move a user's session timestamps into the past."""
    with app.app_context():
        sm = app.appbuilder.sm
        user_id = sm.find_user(username=username).id
        for row in sm.session.execute(select(SESSIONS).where(SESSIONS.c.user_id == user_id)):
            sm.session.execute(update(SESSIONS).where(SESSIONS.c.id == row.id).values(
                {column: getattr(row, column) - by for column, by in delta.items()}))
        sm.session.commit()


def flashes(client: FlaskClient) -> list[str]:
    with client.session_transaction() as session:
        return [message for _category, message in session.get("_flashes", [])]


def cookie(client: FlaskClient) -> str:
    found = client.get_cookie("session", domain=HOST)
    assert found is not None
    return found.value


def replay(app: Flask, value: str) -> FlaskClient:
    client = app.test_client()
    client.set_cookie("session", value, domain=HOST)
    return client


def assert_signed_out(response, client: FlaskClient, message: str = ENDED) -> None:
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login/")
    assert flashes(client) == [message]
    with client.session_transaction() as session:
        assert "_user_id" not in session and TOKEN_KEY not in session


def test_login_rotates_the_session_and_stores_only_a_hash(app: Flask) -> None:
    client = app.test_client()
    name = new_user(app)
    client.get("/login/")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
        session["locale"] = "en"
    before = cookie(client)
    login(client, name)
    with client.session_transaction() as session:
        assert "planted" not in session and session["locale"] == "en"
        token = session[TOKEN_KEY]
        assert session.permanent
    [row] = rows(app, name)
    assert row.id == hashlib.sha256(token.encode()).hexdigest() != token
    assert row.ended_on is None and row.end_reason is None and row.ip == "127.0.0.1"
    # The pre-login cookie is not a way in.
    fixated = replay(app, before)
    assert fixated.get("/users/userinfo/").status_code == 302
    assert client.get("/users/userinfo/").status_code == 200


def test_logout_ends_the_row_and_a_replayed_cookie_is_refused(app: Flask) -> None:
    client, name = signed_in(app)
    assert client.get("/users/userinfo/").status_code == 200
    captured = cookie(client)
    assert client.get("/logout/").status_code == 302
    with client.session_transaction() as session:
        assert set(session) <= {"locale", "_flashes"}
    [row] = rows(app, name)
    assert row.end_reason == "logout" and row.ended_on is not None
    thief = replay(app, captured)
    assert_signed_out(thief.get("/users/userinfo/"), thief)
    assert thief.get("/users/userinfo/").status_code == 302  # still nobody
    with app.app_context():
        events = app.appbuilder.sm.session.scalars(select(AuditEvent.action).where(
            AuditEvent.username == name).order_by(AuditEvent.id)).all()
    assert events == ["login", "logout"]


def test_idle_session_ends_with_reason_idle(app: Flask) -> None:
    client, name = signed_in(app)
    shift(app, name, last_seen=dt.timedelta(minutes=31))
    assert_signed_out(client.get("/users/userinfo/"), client, IDLE)
    [row] = rows(app, name)
    assert row.end_reason == "idle"
    with app.app_context():
        event = app.appbuilder.sm.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "session_end", AuditEvent.username == name)).one()
    assert event.details == '{"reason": "idle"}' and event.outcome == "ok"


def test_last_seen_is_written_at_most_once_a_minute(app: Flask) -> None:
    client, name = signed_in(app)
    [first] = rows(app, name)
    client.get("/users/userinfo/")
    assert rows(app, name)[0].last_seen == first.last_seen
    shift(app, name, last_seen=dt.timedelta(minutes=2))
    client.get("/users/userinfo/")
    [after] = rows(app, name)
    assert after.last_seen >= first.last_seen and after.ended_on is None


def test_absolute_lifetime_caps_an_active_session(app: Flask) -> None:
    client, name = signed_in(app)
    shift(app, name, created_on=dt.timedelta(hours=12, minutes=1))
    assert_signed_out(client.get("/users/userinfo/"), client, EXPIRED)
    assert rows(app, name)[0].end_reason == "expired"


def test_unknown_or_missing_token_signs_out(app: Flask) -> None:
    client, _name = signed_in(app)
    with client.session_transaction() as session:
        session[TOKEN_KEY] = "forged"
    assert_signed_out(client.get("/users/userinfo/"), client)
    other, _ = signed_in(app)
    with other.session_transaction() as session:
        del session[TOKEN_KEY]
    assert_signed_out(other.get("/users/userinfo/"), other)


def test_ended_session_on_the_login_page_shows_the_message_without_redirect(app: Flask) -> None:
    client, name = signed_in(app)
    shift(app, name, last_seen=dt.timedelta(hours=1))
    page = client.get("/login/")
    assert page.status_code == 200
    assert IDLE in page.get_data(as_text=True)


def _disable_in_the_edit_screen(app: Flask, name: str) -> None:
    admin = app.test_client()
    login(admin, "admin")
    with app.app_context():
        sm = app.appbuilder.sm
        user = sm.find_user(username=name)
        user_id, role_id = user.id, user.roles[0].id
    token = csrf_token(admin, f"/users/edit/{user_id}")
    response = admin.post(f"/users/edit/{user_id}", data={
        "first_name": name, "last_name": "test", "username": name,
        "email": f"{name}@example.com", "roles": str(role_id), "csrf_token": token})
    assert response.status_code == 302


def test_disabling_a_user_ends_every_session_and_the_api_refuses_them(app: Flask) -> None:
    laptop, name = signed_in(app)
    phone = app.test_client()
    login(phone, name)
    api = app.test_client().post("/api/v1/security/login", json={
        "username": name, "password": PASSWORD, "provider": "db"})
    bearer = {"Authorization": f"Bearer {api.get_json()['access_token']}"}
    assert app.test_client().get("/api/v1/menu/", headers=bearer).status_code == 200
    _disable_in_the_edit_screen(app, name)
    assert [r.end_reason for r in rows(app, name)] == ["disabled", "disabled"]
    assert_signed_out(laptop.get("/users/userinfo/"), laptop)
    assert_signed_out(phone.get("/"), phone)
    refused = app.test_client().get("/api/v1/menu/", headers=bearer)
    assert refused.status_code == 401
    relogin = app.test_client().post("/api/v1/security/login", json={
        "username": name, "password": PASSWORD, "provider": "db"})
    assert relogin.status_code == 401


def test_disabling_with_the_cli_ends_sessions(app: Flask) -> None:
    client, name = signed_in(app)
    result = app.test_cli_runner().invoke(args=["portal", "user", "disable", name])
    assert result.exit_code == 0 and result.output == f"user {name} disabled\n"
    assert [r.end_reason for r in rows(app, name)] == ["disabled"]
    assert_signed_out(client.get("/users/userinfo/"), client)
    enabled = app.test_cli_runner().invoke(args=["portal", "user", "enable", name])
    assert enabled.output == f"user {name} enabled\n"
    login(client, name)
    missing = app.test_cli_runner().invoke(args=["portal", "user", "disable", "nobody"])
    assert missing.exit_code == 1 and "no user 'nobody'" in missing.output


def test_admin_password_reset_ends_the_users_sessions(app: Flask) -> None:
    client, name = signed_in(app)
    admin = app.test_client()
    login(admin, "admin")
    with app.app_context():
        user_id = app.appbuilder.sm.find_user(username=name).id
    url = f"/resetpassword/form?pk={user_id}"
    new = "Another-long-pass-2027"
    response = admin.post(url, data={"password": new, "conf_password": new,
                                     "csrf_token": csrf_token(admin, url)})
    assert response.status_code == 302
    assert [r.end_reason for r in rows(app, name)] == ["password"]
    assert_signed_out(client.get("/users/userinfo/"), client)
    assert admin.get("/users/userinfo/").status_code == 200  # the admin's own session stays


def test_own_password_reset_keeps_this_session_and_ends_the_others(app: Flask) -> None:
    here, name = signed_in(app)
    there = app.test_client()
    login(there, name)
    url = "/resetmypassword/form"
    new = "My-own-new-pass-2027"
    response = here.post(url, data={"current_password": PASSWORD, "password": new,
                                    "conf_password": new, "csrf_token": csrf_token(here, url)})
    assert response.status_code == 302
    assert sorted(str(r.end_reason) for r in rows(app, name)) == ["None", "password"]
    assert here.get("/users/userinfo/").status_code == 200
    assert_signed_out(there.get("/users/userinfo/"), there)


def test_session_cookie_is_ignored_by_non_browser_apis_but_not_by_the_menu(app: Flask) -> None:
    client, _name = signed_in(app)
    menu = client.get("/api/v1/menu/")
    assert menu.status_code == 200
    with client.session_transaction() as session:
        assert session.get(TOKEN_KEY)  # an API call does not touch the browser session


def test_requests_that_change_nothing_write_no_session_cookie(app: Flask) -> None:
    """A page's parallel requests (its scripts, a lookup) wrote back the session they had
    read: one finishing after the page dropped the page's new CSRF token."""
    client = app.test_client()
    login(client, "staff")
    for url in ("/static/portal/lookup.js", "/lookup/complaint/customer?q=x", "/mywork/"):
        response = client.get(url)
        response.close()  # a static file's stream
        assert response.status_code == 200, url
        assert "Set-Cookie" not in response.headers, url
