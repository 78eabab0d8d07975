"""The own-password screen (/resetmypassword/form) asks for the current password (ASVS
6.2.3): a wrong or missing one changes nothing, is audited and throttled like a sign-in; the
admin's reset of another user's password does not ask for it."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from werkzeug.security import check_password_hash

from app.audit.log import AuditEvent
from tests.support.app import PASSWORD, csrf_token, login

URL = "/resetmypassword/form"
NEW = "Service-desk-2027"
WRONG = "当前密码不正确。"
ERROR_RE = re.compile(r'<div class="alert alert-danger">\s*(.*?)\s*</div>', re.S)
LABEL_RE = re.compile(r'<label[^>]*for="([a-z_]+)"[^>]*>\s*([^<]*?)\s*<')


@pytest.fixture(scope="module")
def app(make_app: Callable[..., Flask]) -> Flask:
    """An app of its own with real sign-in limits: these tests change passwords."""
    return make_app(PORTAL_LOGIN_RATE_LIMIT="4 per minute")


def _stored(app: Flask, username: str) -> str:
    with app.app_context():
        return app.appbuilder.sm.find_user(username=username).password


def _events(app: Flask, username: str) -> list[tuple[str, str]]:
    with app.app_context():
        events = app.appbuilder.sm.session.scalars(select(AuditEvent).where(
            AuditEvent.username == username, AuditEvent.action != "login")).all()
        return [(e.action, e.outcome) for e in events]


def _change(client: FlaskClient, current: str | None, new: str = NEW, **extra: str):
    data = {"password": new, "conf_password": new, "csrf_token": csrf_token(client, URL),
            **extra}
    if current is not None:
        data["current_password"] = current
    return client.post(URL, data=data)


def _signed_in(app: Flask, username: str) -> FlaskClient:
    client = app.test_client()
    login(client, username)
    return client


def test_the_form_asks_for_the_current_password_first_in_chinese(app: Flask) -> None:
    page = _signed_in(app, "staff").get(URL).get_data(as_text=True)
    assert LABEL_RE.findall(page) == [("current_password", "当前密码"), ("password", "新密码"),
                                      ("conf_password", "确认密码")]


def test_a_wrong_or_missing_current_password_changes_nothing_and_is_audited(
        app: Flask) -> None:
    client = _signed_in(app, "staff")
    before = _stored(app, "staff")
    wrong = _change(client, "Not-my-password-2026")
    assert wrong.status_code == 200
    assert ERROR_RE.findall(wrong.get_data(as_text=True)) == [WRONG]
    missing = _change(client, None)
    assert missing.status_code == 200
    assert ERROR_RE.findall(missing.get_data(as_text=True)) == ["该字段是必填字段。"]
    assert _stored(app, "staff") == before
    assert _events(app, "staff") == [("password_change", "failed")]
    assert client.get("/users/userinfo/").status_code == 200  # still signed in


def test_the_right_current_password_changes_it(app: Flask) -> None:
    client = _signed_in(app, "supervisor")
    response = _change(client, PASSWORD)
    assert response.status_code == 302
    assert check_password_hash(_stored(app, "supervisor"), NEW)
    assert ("password_change", "failed") not in _events(app, "supervisor")


def test_guesses_are_throttled_under_the_signed_in_users_name(app: Flask) -> None:
    """The sign-in budget of the account (4 per minute here, the login counted too): a
    `username` field in the form does not move the count to another name."""
    client = _signed_in(app, "auditor")
    before = _stored(app, "auditor")
    codes = [_change(client, f"Guess-number-{i}-xyz", username=f"other{i}").status_code
             for i in range(4)]
    assert codes == [200, 200, 200, 429]
    blocked = _change(client, PASSWORD)  # even the right one, until the window moves on
    assert blocked.status_code == 429
    assert "登录尝试次数过多，请等待" in blocked.get_data(as_text=True)
    assert _stored(app, "auditor") == before


def test_the_admins_reset_of_another_user_does_not_ask_for_it(app: Flask) -> None:
    admin = _signed_in(app, "admin")
    with app.app_context():
        user_id = app.appbuilder.sm.find_user(username="manager").id
    url = f"/resetpassword/form?pk={user_id}"
    page = admin.get(url).get_data(as_text=True)
    assert [f for f, _label in LABEL_RE.findall(page)] == ["password", "conf_password"]
    response = admin.post(url, data={"password": NEW, "conf_password": NEW,
                                     "csrf_token": csrf_token(admin, url)})
    assert response.status_code == 302
    assert check_password_hash(_stored(app, "manager"), NEW)
