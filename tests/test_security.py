"""PortalSecurityManager: one regression test per FAB weakness class in authentication —
user enumeration (message, work done), APIs accepting the session cookie without CSRF, API
routes the portal does not need — and the production secret rule."""

from __future__ import annotations

import itertools
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_appbuilder.api import BaseApi, expose, protect, safe
from sqlalchemy import select

from app.audit.log import AuditEvent
from app.security.manager import (
    PortalSecurityApi,
    StartupRefused,
    production_secret_problem,
    require_production_secret,
    security_settings,
)
from app.security.permissions import sync_roles
from app.settings import _dev_secret
from tests.support.app import PASSWORD, csrf_token, login

ROOT = Path(__file__).resolve().parent.parent
INVALID_LOGIN = "用户名或密码错误，请重试。"
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
CREDENTIAL_ENDPOINTS = {f"{PortalSecurityApi.__name__}.login"}
_names = itertools.count(1)


class ProbeApi(BaseApi):
    """A state-changing API that opts into browser login, as FAB allows: the portal must still
    refuse the cookie."""

    resource_name = "probe"
    allow_browser_login = True

    @expose("/<int:pk>", methods=["POST", "PUT", "PATCH", "DELETE"])
    @protect()
    @safe
    def change(self, pk: int) -> object:
        return self.response(200, changed=pk)


@pytest.fixture(scope="module")
def app(make_app: Callable[..., Flask]) -> Flask:
    app = make_app()
    with app.app_context():
        app.appbuilder.add_api(ProbeApi)
    sync_roles(app)  # the admin role gets can_change on ProbeApi
    return app


def _user(app: Flask, active: bool = True) -> str:
    name = f"sec{next(_names)}"
    with app.app_context():
        sm = app.appbuilder.sm
        user = sm.add_user(name, name, "test", f"{name}@example.com", sm.find_role("staff"),
                           password=PASSWORD)
        user.active = active
        sm.session.commit()
    return name


def _jwt(app: Flask, username: str) -> dict[str, str]:
    response = app.test_client().post("/api/v1/security/login", json={
        "username": username, "password": PASSWORD, "provider": "db"})
    assert response.status_code == 200, response.get_data(as_text=True)
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def _flashes(client: FlaskClient) -> list[str]:
    with client.session_transaction() as session:
        return [message for _category, message in session.get("_flashes", [])]


# --- user enumeration ----------------------------------------------------------------------

@pytest.fixture
def hash_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every password hash FAB checks during a request (the expensive, timed step)."""
    import flask_appbuilder.security.manager as fab_manager

    calls: list[str] = []
    real = fab_manager.check_password_hash

    def counting(pwhash: str, password: str) -> bool:
        calls.append(pwhash.split("$")[0])
        return real(pwhash, password)

    monkeypatch.setattr(fab_manager, "check_password_hash", counting)
    return calls


def test_unknown_user_wrong_password_and_disabled_user_look_the_same(
        app: Flask, hash_checks: list[str]) -> None:
    known, disabled = _user(app), _user(app, active=False)
    cases = {"unknown": ("nobody-at-all", PASSWORD), "wrong password": (known, "Wrong-pass-2026"),
             "disabled": (disabled, PASSWORD)}
    seen = {}
    for case, (username, password) in cases.items():
        client = app.test_client()
        hash_checks.clear()
        response = client.post("/login/", data={"username": username, "password": password,
                                                "csrf_token": csrf_token(client, "/login/")})
        api = app.test_client().post("/api/v1/security/login", json={
            "username": username, "password": password, "provider": "db"})
        seen[case] = (response.status_code, response.headers["Location"],
                      [m.encode() for m in _flashes(client)], api.status_code, api.get_data(),
                      len(hash_checks), hash_checks[0])
    assert seen["unknown"] == seen["wrong password"] == seen["disabled"]
    assert seen["unknown"][:6] == (302, "/login/?next=/", [INVALID_LOGIN.encode()], 401,
                                   b'{"message":"Not authorized"}\n', 2)
    with app.app_context():
        sm = app.appbuilder.sm
        assert sm.find_user(username=known).fail_login_count == 2
        assert sm.find_user(username=disabled).fail_login_count in (None, 0)
        failed = sm.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "login", AuditEvent.outcome == "failed").order_by(
            AuditEvent.id)).all()[-6:]
    assert [(e.username, e.details) for e in failed[::2]] == [
        (None, f'{{"username": "{name}", "via": "form"}}')
        for name in ("nobody-at-all", known, disabled)]
    assert failed[1].details == '{"username": "nobody-at-all", "via": "api"}'


def test_successful_logins_are_audited(app: Flask) -> None:
    name = _user(app)
    login(app.test_client(), name)
    _jwt(app, name)
    with app.app_context():
        events = app.appbuilder.sm.session.scalars(select(AuditEvent).where(
            AuditEvent.username == name)).all()
    assert [(e.action, e.outcome, e.details) for e in events] == [
        ("login", "ok", '{"via": "form"}'), ("login", "ok", '{"via": "api"}')]


# --- APIs and the session cookie -----------------------------------------------------------

def _url(rule: str) -> str:
    return re.sub(r"<(?:[^:<>]+:)?[^<>]+>", "1", rule)


def _api_routes(app: Flask) -> list[tuple[str, str, str]]:
    return sorted((rule.rule, method, rule.endpoint) for rule in app.url_map.iter_rules()
                  if rule.rule.startswith("/api/") for method in rule.methods or ()
                  if method not in ("HEAD", "OPTIONS"))


def _from_fab(app: Flask, endpoint: str) -> bool:
    """The route belongs to one of FAB's own APIs (not to the portal's form APIs)."""
    views = {type(v).__name__: type(v) for v in app.appbuilder.baseviews}
    cls = views[endpoint.split(".")[0]]
    return cls.__module__.startswith("flask_appbuilder") or cls is PortalSecurityApi


def test_portal_registers_only_the_fab_api_routes_it_needs(pack_apps: dict) -> None:
    for app in pack_apps.values():
        fab = {(r, m) for r, m, e in _api_routes(app) if _from_fab(app, e)}
        # No refresh token, no user/role/permission CRUD, no API keys, no OpenAPI/Swagger.
        assert fab == {("/api/v1/menu/", "GET"), ("/api/v1/security/login", "POST")}
        assert app.config["FAB_ADD_SECURITY_API"] is False
        assert app.config["FAB_API_KEY_ENABLED"] is False
        assert app.config["JWT_TOKEN_LOCATION"] == ["headers"]


def test_no_api_but_the_menu_accepts_the_session_cookie(app: Flask) -> None:
    """Every route under /api/ (FAB's, the portal's, and ProbeApi, which opts into browser
    login): the session cookie alone gets 401, a JWT gets through authentication. Besides
    FAB's menu, only the OpenAPI document (no records: the API documentation page reads it)
    takes the cookie."""
    browser = app.test_client()
    login(browser, "admin")
    bearer = _jwt(app, "admin")
    walked = []
    for rule, method, endpoint in _api_routes(app):
        url = _url(rule)
        cookie_only = browser.open(url, method=method, json={})
        if endpoint in CREDENTIAL_ENDPOINTS:  # takes credentials, never the cookie
            assert cookie_only.status_code == 400, (method, url)
            assert "access_token" not in cookie_only.get_data(as_text=True)
        elif (method, endpoint) in (("GET", "MenuApi.get_menu_data"),
                                    ("GET", "OpenApiView.document")):
            assert cookie_only.status_code == 200
        else:
            assert cookie_only.status_code == 401, (method, url, cookie_only.status_code)
            with_jwt = app.test_client().open(url, method=method, json={}, headers=bearer)
            assert with_jwt.status_code not in (401, 403), (method, url)
            assert with_jwt.status_code < 500, (method, url)
        walked.append((method, url))
    changing = [w for w in walked if w[0] in STATE_CHANGING]
    assert ("POST", "/api/v1/probe/1") in changing and ("DELETE", "/api/v1/probe/1") in changing
    assert ("POST", "/api/v1/security/login") in changing
    assert app.test_client().open("/api/v1/probe/1", method="PATCH", headers=bearer
                                  ).get_json() == {"changed": 1}


def test_a_jwt_acts_as_its_own_user_even_next_to_an_admin_cookie(app: Flask) -> None:
    browser = app.test_client()
    login(browser, "admin")
    staff = _jwt(app, "staff")
    assert browser.post("/api/v1/probe/7", headers=staff).status_code == 403
    assert browser.post("/api/v1/probe/7", headers=_jwt(app, "admin")).get_json() == {
        "changed": 7}


def test_the_menu_api_returns_menu_entries_only(app: Flask) -> None:
    browser = app.test_client()
    login(browser, "staff")
    menu = browser.get("/api/v1/menu/")
    assert menu.status_code == 200

    def keys(items: list) -> set[str]:
        found: set[str] = set()
        for item in items:
            found |= set(item) | keys(item.get("childs", []))
        return found
    assert keys(menu.get_json()["result"]) <= {"name", "label", "icon", "url", "childs"}
    assert app.test_client().get("/api/v1/menu/").status_code == 401


def test_the_refresh_token_endpoint_is_gone(app: Flask) -> None:
    assert app.test_client().post("/api/v1/security/refresh",
                                  headers=_jwt(app, "staff")).status_code == 404


# --- settings and the production secret ----------------------------------------------------

def test_security_settings_defaults_and_bad_values() -> None:
    cfg = security_settings({})
    assert cfg["PORTAL_IDLE_TIMEOUT"] == 30
    assert cfg["PERMANENT_SESSION_LIFETIME"].total_seconds() == 12 * 3600
    assert cfg["PORTAL_LOGIN_RATE_LIMIT"] == "5 per minute;20 per hour"
    assert cfg["PORTAL_LOGIN_IP_RATE_LIMIT"] == "30 per minute;300 per hour"
    assert cfg["REDIS_URL"] is None and cfg["FAB_PASSWORD_COMPLEXITY_ENABLED"] is True
    assert security_settings({"PORTAL_IDLE_TIMEOUT": "5"})["PORTAL_IDLE_TIMEOUT"] == 5
    with pytest.raises(StartupRefused) as caught:
        security_settings({"PORTAL_IDLE_TIMEOUT": "half an hour"})
    assert caught.value.report() == ("The portal was not started: PORTAL_IDLE_TIMEOUT must be "
                                     "a whole number above 0, not 'half an hour'.")


def test_production_secret_rule(tmp_path: Path) -> None:
    dev = _dev_secret(str(tmp_path))
    assert production_secret_problem({}, str(tmp_path)) == (
        "SECRET_KEY is not set in the environment.")
    assert production_secret_problem({"SECRET_KEY": dev}, str(tmp_path)) == (
        "SECRET_KEY is the development key from instance/secret_key, which run.py and the CLI "
        "create on this machine.")
    assert production_secret_problem({"SECRET_KEY": "x" * 31}, str(tmp_path)) == (
        "SECRET_KEY has 31 characters; at least 32 are needed.")
    assert production_secret_problem({"SECRET_KEY": "k" * 32}, str(tmp_path)) is None
    with pytest.raises(StartupRefused) as caught:
        require_production_secret({}, str(tmp_path))
    assert caught.value.report().splitlines()[0] == (
        "The portal was not started: SECRET_KEY is not set in the environment.")


def _wsgi(env: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k != "SECRET_KEY"}
    return subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT, text=True,
                          capture_output=True, timeout=120, env={
                              **clean, "DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}", **env})


def test_wsgi_refuses_a_development_secret_in_one_screen(tmp_path: Path) -> None:
    dev = _dev_secret(str(ROOT / "instance"))
    for env, first in (({}, "SECRET_KEY is not set in the environment."),
                       ({"SECRET_KEY": dev}, "SECRET_KEY is the development key from "
                                             "instance/secret_key, which run.py and the CLI "
                                             "create on this machine."),
                       ({"SECRET_KEY": "too-short"}, "SECRET_KEY has 9 characters; at least "
                                                     "32 are needed.")):
        result = _wsgi(env, tmp_path)
        assert result.returncode == 1, result.stderr
        assert "Traceback" not in result.stderr and result.stdout == ""
        lines = result.stderr.splitlines()
        assert lines[0] == f"The portal was not started: {first}"
        assert len(lines) == 5 and "secrets.token_hex(32)" in lines[-1]
    assert not (tmp_path / "p.db").exists()  # refused before touching the database
    good = _wsgi({"SECRET_KEY": "s" * 40}, tmp_path)
    assert "SECRET_KEY" not in good.stderr and "Traceback" not in good.stderr


def test_an_expired_token_is_told_in_chinese(app) -> None:
    import datetime as dt

    from flask_jwt_extended import create_access_token

    with app.app_context():
        user = app.appbuilder.sm.find_user(username="staff")
        token = create_access_token(identity=str(user.id), fresh=True,
                                    expires_delta=dt.timedelta(seconds=-1))
    response = app.test_client().get("/api/v1/complaint/",
                                     headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.get_json() == {"message": "访问令牌已过期，请重新登录。"}
