"""The password policy: the rules, their exact messages (zh and en), and FAB's screens that
set a password (add user, reset a user's password, reset my password)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.security import check_password_hash

from app.security.passwords import (
    WeakPassword,
    check_password,
    common_passwords,
    generate_password,
    password_problems,
)
from tests.support.app import PASSWORD, csrf_token, login

SHORT = "密码至少需要 12 个字符。"
LONG = "密码最多只能有 128 个字符。"
NAME = "密码不能包含用户名。"
COMMON = "该密码过于常见，请换一个不易被猜到的密码。"
SIMPLE = "该密码过于简单：含有重复或连续的字符。"
ERROR_RE = re.compile(r'<div class="alert alert-danger">\s*(.*?)\s*</div>', re.S)


@pytest.fixture(scope="module")
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def zh(app: Flask):
    with app.test_request_context("/"):
        yield


@pytest.mark.parametrize("password", [
    PASSWORD, "correct horse battery staple", "Kx8#mQ2!vL9@", "售后服务门户的密码很长2026",
    "Tr0ub4dor&3xx", "The quick brown fox jumps over the lazy dog near 售后 2026!"])
def test_good_passwords_pass(zh: None, password: str) -> None:
    for username in ("admin", "staff", "supervisor", "auditor", "wangli"):
        assert password_problems(password, username) == []


@pytest.mark.parametrize(("password", "username", "messages"), [
    ("Short-1", "x", [SHORT]),
    ("Zq9!" * 33, "x", [LONG, SIMPLE]),
    ("zhangsan2026-ok", "zhangsan", [NAME]),
    ("My-ZHANGSAN-pass", "ZhangSan", [NAME]),
    ("li-is-my-name-2026", "li", []),  # too short a name to look for inside
    ("li", "li", [SHORT, NAME, SIMPLE]),
    ("woaini1314520", "x", [COMMON]),
    ("5201314520131", "x", [COMMON]),
    ("WoAiNi1314!!", "x", [COMMON]),
    ("qwertyuiop123", "x", [COMMON]),
    ("1qaz2wsx3edc", "x", [COMMON]),
    ("password1234", "x", [COMMON]),
    ("Password!2026", "x", [COMMON]),
    ("123456789012", "x", [COMMON]),
    ("iloveyou1314", "x", [COMMON]),
    ("bbbbbbbbbbbbbb", "x", [SIMPLE]),
    ("abcabcabcabc", "x", [SIMPLE]),
    ("Xy7#Xy7#Xy7#", "x", [SIMPLE]),
    ("qwertyuiopas", "x", [SIMPLE]),
    ("9876543210987", "x", [COMMON]),  # contains 987654321
    ("zyxwvutsrqpo", "x", [SIMPLE]),
    ("mnopqrstuvwx", "x", [SIMPLE]),
    ("aaaabbbbcccc", "x", [SIMPLE]),
])
def test_refusals_with_exact_messages(zh: None, password: str, username: str,
                                      messages: list[str]) -> None:
    assert password_problems(password, username) == messages
    if messages:
        with pytest.raises(WeakPassword) as caught:
            check_password(password, username)
        assert caught.value.messages == messages and str(caught.value) == " ".join(messages)


def test_messages_in_english(app: Flask) -> None:
    with app.test_request_context("/?_l_=en"):
        assert password_problems("staff", "staff") == [
            "The password must have at least 12 characters.",
            "The password must not contain the user name.",
            "This password is too common; choose one that is harder to guess."]
        assert password_problems("abcabcabcabc") == [
            "This password is too simple: it repeats characters or follows a sequence."]


def test_common_list_is_clean_and_has_chinese_favourites() -> None:
    listed = common_passwords()
    assert len(listed) > 250
    assert all(p == p.strip().lower() and p for p in listed)
    for favourite in ("woaini1314", "5201314", "qwertyuiop", "1qaz2wsx3edc", "password1234",
                      "123456789012", "woaini", "zhongguo", "88888888"):
        assert favourite in listed


def test_generated_passwords_pass(zh: None) -> None:
    for _ in range(50):
        password = generate_password("admin")
        assert len(password) == 20 and password_problems(password, "admin") == []


# --- FAB's screens -------------------------------------------------------------------------

def _errors(response) -> list[str]:
    assert response.status_code == 200
    return ERROR_RE.findall(response.get_data(as_text=True))


def _post(client: FlaskClient, url: str, data: dict) -> object:
    return client.post(url, data={**data, "csrf_token": csrf_token(client, url)})


@pytest.fixture
def admin(app: Flask) -> FlaskClient:
    client = app.test_client()
    login(client, "admin")
    return client


def _user_form(username: str, password: str) -> dict:
    return {"first_name": "Li", "last_name": "Wang", "username": username, "active": "y",
            "email": f"{username}@example.com", "roles": "2", "password": password,
            "conf_password": password}


def test_add_user_screen_applies_the_policy_with_the_typed_user_name(
        app: Flask, admin: FlaskClient) -> None:
    refused = _post(admin, "/users/add", _user_form("wangli", "wangli-2026-xyz"))
    assert _errors(refused) == [NAME]
    assert _errors(_post(admin, "/users/add", _user_form("wangli", "woaini1314520"))) == [COMMON]
    with app.app_context():
        assert app.appbuilder.sm.find_user(username="wangli") is None
    accepted = _post(admin, "/users/add", _user_form("wangli", "Service-desk-2026"))
    assert accepted.status_code == 302
    with app.app_context():
        user = app.appbuilder.sm.find_user(username="wangli")
        assert check_password_hash(user.password, "Service-desk-2026")


def test_admin_reset_password_screen_checks_the_target_users_name(
        app: Flask, admin: FlaskClient) -> None:
    with app.app_context():
        user = app.appbuilder.sm.find_user(username="auditor")
        user_id, before = user.id, user.password
    url = f"/resetpassword/form?pk={user_id}"
    refused = _post(admin, url, {"password": "auditor-2026-x", "conf_password": "auditor-2026-x"})
    assert _errors(refused) == [NAME]
    assert _errors(_post(admin, url, {"password": "aaaa", "conf_password": "aaaa"})) == [
        f"{SHORT} {SIMPLE}"]
    with app.app_context():
        assert app.appbuilder.sm.find_user(username="auditor").password == before
    # An unknown user is a message, not FAB's 500.
    gone = _post(admin, "/resetpassword/form?pk=99999", {"password": PASSWORD,
                                                          "conf_password": PASSWORD})
    assert _errors(gone) == ["该用户不存在。"]
    assert _post(admin, url, {"password": PASSWORD, "conf_password": PASSWORD}).status_code == 302


def test_reset_my_password_screen_checks_my_name(app: Flask) -> None:
    client = app.test_client()
    login(client, "supervisor")
    url = "/resetmypassword/form"
    page = client.get(url).get_data(as_text=True)
    assert "至少 12 个字符，不能包含用户名，不能是常见密码或重复、连续的字符。" in page
    refused = _post(client, url, {"current_password": PASSWORD, "password":
                                  "My-SUPERVISOR-pass", "conf_password": "My-SUPERVISOR-pass"})
    assert _errors(refused) == [NAME]
    assert _post(client, url, {"current_password": PASSWORD, "password": PASSWORD,
                               "conf_password": PASSWORD}).status_code == 302


def test_a_posted_user_name_does_not_change_whose_name_the_reset_screens_check(
        app: Flask, admin: FlaskClient) -> None:
    """The name comes from the account (?pk= or the signed-in user), not from a crafted
    `username` field: with it, the screen let the password through and the security
    manager's own check then failed with a 500."""
    with app.app_context():
        user = app.appbuilder.sm.find_user(username="auditor")
        user_id, before = user.id, user.password
    url = f"/resetpassword/form?pk={user_id}"
    crafted = {"password": "auditor-2026-x", "conf_password": "auditor-2026-x",
               "username": "someone"}
    assert _errors(_post(admin, url, crafted)) == [NAME]
    with app.app_context():
        assert app.appbuilder.sm.find_user(username="auditor").password == before
    client = app.test_client()
    login(client, "supervisor")
    with app.app_context():
        before = app.appbuilder.sm.find_user(username="supervisor").password
    mine = _post(client, "/resetmypassword/form", {
        "current_password": PASSWORD, "password": "My-SUPERVISOR-pass",
        "conf_password": "My-SUPERVISOR-pass", "username": "someone"})
    assert _errors(mine) == [NAME]
    with app.app_context():
        assert app.appbuilder.sm.find_user(username="supervisor").password == before
