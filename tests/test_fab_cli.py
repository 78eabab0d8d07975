"""FAB's own user commands (`flask fab create-user | create-admin | reset-password`) obey the
portal's password policy: the security manager's add_user and reset_password refuse a weak
password for every caller, with the reasons and exit code 1; nothing is stored."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from werkzeug.security import check_password_hash

from tests.support.cli import run_flask

STRONG = "Counter-desk-7391"
WEAK_REASONS = "密码至少需要 12 个字符。 该密码过于常见，请换一个不易被猜到的密码。"


@pytest.fixture(scope="module")
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()  # its own database: these tests add users and change passwords


def _user(app: Flask, username: str):
    with app.app_context():
        user = app.appbuilder.sm.find_user(username=username)
        return None if user is None else (user.username, user.password)


def _create_user(app: Flask, username: str, password: str):
    return run_flask(app, "fab", "create-user", "--role", "staff", "--username", username,
                     "--firstname", "Li", "--lastname", "Wang", "--email",
                     f"{username}@example.com", "--password", password)


def test_fab_create_user_refuses_a_weak_password(app: Flask) -> None:
    result = _create_user(app, "fabweak", "123456")
    assert result.exit_code == 1
    assert result.output == f"Error: 未创建用户“fabweak”：{WEAK_REASONS}\n"
    assert _user(app, "fabweak") is None
    named = _create_user(app, "fabweak", "My-fabweak-pass-2026")
    assert (named.exit_code, named.output) == (
        1, "Error: 未创建用户“fabweak”：密码不能包含用户名。\n")
    assert _user(app, "fabweak") is None


def test_fab_create_user_accepts_a_strong_password(app: Flask) -> None:
    result = _create_user(app, "fabstrong", STRONG)
    assert (result.exit_code, result.output) == (0, "User fabstrong created.\n")
    name, hashed = _user(app, "fabstrong")
    assert check_password_hash(hashed, STRONG)


def test_fab_create_admin_refuses_a_weak_password(app: Flask) -> None:
    result = run_flask(app, "fab", "create-admin", "--username", "fabadmin", "--firstname",
                       "A", "--lastname", "B", "--email", "fabadmin@example.com",
                       "--password", "123456")
    assert result.exit_code == 1
    assert result.output == ("Recognized Database Authentications.\n"
                             f"Error: 未创建用户“fabadmin”：{WEAK_REASONS}\n")
    assert _user(app, "fabadmin") is None


def test_fab_reset_password_refuses_a_weak_password_and_keeps_the_old_one(app: Flask) -> None:
    before = _user(app, "auditor")
    result = run_flask(app, "fab", "reset-password", "--username", "auditor", "--password",
                       "123456")
    assert result.exit_code == 1
    assert result.output == f"Error: 未修改用户“auditor”的密码：{WEAK_REASONS}\n"
    named = run_flask(app, "fab", "reset-password", "--username", "auditor", "--password",
                      "Auditor-desk-2026")
    assert (named.exit_code, named.output) == (
        1, "Error: 未修改用户“auditor”的密码：密码不能包含用户名。\n")
    assert _user(app, "auditor") == before
    done = run_flask(app, "fab", "reset-password", "--username", "auditor", "--password",
                     STRONG)
    assert (done.exit_code, done.output) == (0, "User auditor reseted.\n")
    assert check_password_hash(_user(app, "auditor")[1], STRONG)


def test_add_user_refuses_a_weak_password_for_any_caller(app: Flask) -> None:
    from app.security.manager import PasswordRefused

    with app.app_context():
        sm = app.appbuilder.sm
        with pytest.raises(PasswordRefused) as refused:
            sm.add_user("direct", "D", "U", "direct@example.com", sm.find_role("staff"),
                        password="aaaaaaaaaaaaaaaa")
        assert refused.value.reasons == ["该密码过于简单：含有重复或连续的字符。"]
        assert sm.find_user(username="direct") is None
        # No password: FAB stores a random secret's hash (accounts of other sign-in kinds).
        assert sm.add_user("direct", "D", "U", "direct@example.com", sm.find_role("staff"))
