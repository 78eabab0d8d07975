"""Two gunicorn servers of the portal over one PostgreSQL and one Redis, with HAProxy
round-robin in front: the servers keep no state of their own.

- a user signed in through one server keeps working through the other (same cookie), and
  through the proxy, which sends requests to both;
- failed sign-ins on server A and then B are counted together (Redis): the account is
  throttled after the configured number, wherever the attempts went;
- a record saved through one server is seen through the other at once;
- after writes through both, `flask portal audit verify` finds one unbroken chain.

Runs only on PostgreSQL (PORTAL_TEST_DATABASE_URL): a schema of its own on that server, and
Redis database 14 (flushed before and after; nothing else uses it)."""

from __future__ import annotations

import re
import secrets
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from limits import parse_many

from app.security.throttle import DEFAULT_IP_LIMIT, DEFAULT_USER_LIMIT
from tests.support.app import PASSWORD, PG_URL
from tests.support.servers import (
    PROXY_HINT,
    Answer,
    Browser,
    Gunicorn,
    Proxy,
    free_port,
    haproxy_binary,
)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL: set PORTAL_TEST_DATABASE_URL "
                       "(make test-postgres); servers side by side share a server database"),
]
REDIS_DB = 14
CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _redis_url(folder: Path) -> tuple[str, subprocess.Popen | None]:
    """The machine's Redis (127.0.0.1:6379), else a private redis-server on a free port."""
    import redis

    url = f"redis://127.0.0.1:6379/{REDIS_DB}"
    try:
        redis.Redis.from_url(url, socket_timeout=1).ping()
        return url, None
    except (redis.RedisError, OSError):
        binary = shutil.which("redis-server")
        assert binary, "Redis does not answer on 127.0.0.1:6379 and redis-server is missing"
        port = free_port()
        proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1",
                                 "--save", "", "--appendonly", "no", "--dir", str(folder)],
                                stdout=subprocess.DEVNULL, start_new_session=True)
        for _ in range(50):
            try:
                redis.Redis(port=port, socket_timeout=1).ping()
                break
            except (redis.RedisError, OSError):
                time.sleep(0.1)
        return f"redis://127.0.0.1:{port}/{REDIS_DB}", proc


def _flush(url: str) -> None:
    import redis

    redis.Redis.from_url(url, socket_timeout=2).flushdb()  # only database REDIS_DB


@pytest.fixture(scope="module")
def cluster(make_app: Any) -> Iterator[dict[str, Any]]:
    assert haproxy_binary(), PROXY_HINT
    app = make_app()  # a migrated schema of its own, one user per role (tests/support/app.py)
    folder = Path(tempfile.mkdtemp(prefix="portal-scale-"))
    redis_url, private_redis = _redis_url(folder)
    _flush(redis_url)
    env = {"DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "REDIS_URL": redis_url,
           "SECRET_KEY": secrets.token_hex(32),  # one key for both servers
           "PORTAL_REVISIONS_DIR": app.config["PORTAL_REVISIONS_DIR"],
           "PORTAL_LOGIN_RATE_LIMIT": DEFAULT_USER_LIMIT,
           "PORTAL_LOGIN_IP_RATE_LIMIT": DEFAULT_IP_LIMIT}
    servers = [Gunicorn(env, free_port(), folder / f"server{i}.log", workers=1, threads=2)
               for i in range(2)]
    proxy = None
    try:
        for server in servers:
            server.ready()
        proxy = Proxy([s.port for s in servers], free_port(), folder).ready()
        yield {"app": app, "a": servers[0].url, "b": servers[1].url, "proxy": proxy.url,
               "env": env}
    finally:
        if proxy is not None:
            proxy.stop()
        for server in servers:
            server.stop()
        _flush(redis_url)
        if private_redis is not None:
            private_redis.terminate()
            private_redis.wait(5)
        shutil.rmtree(folder, ignore_errors=True)


def _form_login(session: Browser, base: str, username: str, password: str) -> int:
    token = CSRF.search(session.get(f"{base}/login/").text)
    assert token, "no CSRF token on the sign-in page"
    response = session.post(f"{base}/login/", data={
        "username": username, "password": password, "csrf_token": token.group(1)})
    return response.status_code


def _signed_in(response: Answer) -> bool:
    return response.status_code == 200 and 'name="password"' not in response.text


def test_a_session_started_on_one_server_works_on_the_other(cluster: dict[str, Any]) -> None:
    browser = Browser()
    assert _form_login(browser, cluster["a"], "staff", PASSWORD) == 302
    assert _signed_in(browser.get(f"{cluster['b']}/complaintview/list/"))
    assert _signed_in(browser.get(f"{cluster['a']}/customerview/list/"))
    seen = set()
    for _ in range(4):  # round-robin: consecutive requests go to both servers
        response = browser.get(f"{cluster['proxy']}/complaintview/list/")
        assert _signed_in(response)
        seen.add(response.headers["X-Backend"])
    assert seen == {"app0", "app1"}
    # Signing out on B ends the session everywhere (server-side session rows).
    browser.get(f"{cluster['b']}/logout/")
    response = browser.get(f"{cluster['a']}/complaintview/list/")
    assert response.status_code == 302 and "/login/" in response.headers["Location"]


def test_a_record_saved_through_one_is_seen_through_the_other(
        cluster: dict[str, Any]) -> None:
    login = Browser().post(f"{cluster['a']}/api/v1/security/login", json={
        "username": "supervisor", "password": PASSWORD, "provider": "db", "refresh": False})
    assert login.status_code == 200, login.text
    auth = {"Authorization": f"Bearer {login.json()['access_token']}"}
    name = f"扩容客户{secrets.token_hex(3)}"
    created = Browser().post(f"{cluster['a']}/api/v1/customer/", headers=auth,
                            json={"name": name, "phone": "13812345678"})
    assert created.status_code == 201, created.text
    pk = created.json()["id"]
    seen = Browser().get(f"{cluster['b']}/api/v1/customer/{pk}", headers=auth)
    assert seen.status_code == 200 and seen.json()["result"]["name"] == name
    changed = Browser().put(f"{cluster['b']}/api/v1/customer/{pk}", headers=auth,
                           json={"company": "乙服务器公司", "version": 1})
    assert changed.status_code == 200, changed.text
    stale = Browser().put(f"{cluster['a']}/api/v1/customer/{pk}", headers=auth,
                         json={"company": "过期版本", "version": 1})
    assert stale.status_code == 409  # the version B saved is seen by A at once
    browser = Browser()
    assert _form_login(browser, cluster["b"], "supervisor", PASSWORD) == 302
    page = browser.get(f"{cluster['a']}/customerview/show/{pk}")
    assert page.status_code == 200 and "乙服务器公司" in page.text


def test_failed_sign_ins_are_counted_across_both_servers(cluster: dict[str, Any]) -> None:
    allowed = min(item.amount for item in parse_many(DEFAULT_USER_LIMIT))  # 5 a minute
    servers = [cluster["a"], cluster["b"]]
    browser = Browser()
    for attempt in range(allowed):  # A, B, A, B, A: no server alone sees all of them
        status = _form_login(browser, servers[attempt % 2], "auditor", "Wrong-pass-4711x")
        assert status == 302, f"attempt {attempt + 1} refused too early ({status})"
    for server in servers:  # the next one is refused on either server, right password too
        token = CSRF.search(browser.get(f"{server}/login/").text)
        assert token
        refused = browser.post(f"{server}/login/", data={
            "username": "auditor", "password": PASSWORD, "csrf_token": token.group(1)})
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    api = Browser().post(f"{cluster['a']}/api/v1/security/login", json={
        "username": "auditor", "password": PASSWORD, "provider": "db", "refresh": False})
    assert api.status_code == 429


def test_writes_through_both_servers_keep_one_audit_chain(cluster: dict[str, Any]) -> None:
    tokens = {}
    for server in ("a", "b"):
        login = Browser().post(f"{cluster[server]}/api/v1/security/login", json={
            "username": "manager", "password": PASSWORD, "provider": "db", "refresh": False})
        assert login.status_code == 200, login.text
        tokens[server] = {"Authorization": f"Bearer {login.json()['access_token']}"}
    for i in range(6):  # interleaved writes through both servers and the proxy
        base = ("a", "b", "proxy")[i % 3]
        auth = tokens["a" if base == "proxy" else base]
        created = Browser().post(f"{cluster[base]}/api/v1/customer/", headers=auth,
                                json={"name": f"链客户{i}", "phone": f"1391234567{i}"})
        assert created.status_code == 201, created.text
    app = cluster["app"]
    result = app.test_cli_runner().invoke(args=["portal", "audit", "verify"])
    assert result.exit_code == 0, result.output
    from sqlalchemy import text

    with app.app_context():
        session = app.appbuilder.session
        names = session.scalars(text(
            "select details from portal_audit_event where form = 'customer' "
            "and action = 'create'")).all()
        session.rollback()
    assert len(names) >= 7  # this test's six and the previous test's one
