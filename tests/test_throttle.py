"""Login throttling: per client address and per user name, on the login form and the JWT
login API, in Redis (for real, when reachable) and in process memory."""

from __future__ import annotations

import logging
import os
import uuid
from collections.abc import Callable, Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.security.throttle import (
    DEFAULT_IP_LIMIT,
    DEFAULT_USER_LIMIT,
    LoginThrottle,
    ThrottleSettingError,
    parse_limits,
)
from app.settings import build_settings
from tests.support.app import PASSWORD, csrf_token

REDIS_URL = os.environ.get("PORTAL_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
STORAGES = ("memory", "redis")


def page_message(seconds: str) -> str:
    return f"登录尝试次数过多，请等待 {seconds} 秒后再试。"


def retry_after(response) -> str:
    """Seconds until the oldest counted attempt leaves the one-minute window."""
    value = response.headers["Retry-After"]
    assert 50 <= int(value) <= 60
    return value


def _redis_or_skip() -> str:
    probe = LoginThrottle("1 per minute", "1 per minute", REDIS_URL, f"probe-{uuid.uuid4()}")
    if not probe.reachable():
        reason = f"Redis at {REDIS_URL} is not reachable — Redis throttle tests skipped"
        print(reason)
        pytest.skip(reason)
    return REDIS_URL


def _storage_url(kind: str) -> str | None:
    return _redis_or_skip() if kind == "redis" else None


@pytest.fixture(params=STORAGES)
def throttle(request: pytest.FixtureRequest) -> Iterator[LoginThrottle]:
    t = LoginThrottle("3 per minute", "5 per minute", _storage_url(request.param),
                      f"portal-test-{uuid.uuid4().hex}")
    yield t
    t.reset()


def test_per_user_name_limit_counts_across_addresses(throttle: LoginThrottle) -> None:
    assert [throttle.hit(f"10.0.0.{i}", "Staff") for i in range(3)] == [None] * 3
    seconds = throttle.hit("10.0.0.99", " staff ")  # same account, however it is typed
    assert seconds is not None and 55 <= seconds <= 60
    assert throttle.hit("10.0.0.99", "other") is None


def test_per_address_limit_counts_across_user_names(throttle: LoginThrottle) -> None:
    assert [throttle.hit("10.0.0.1", f"user{i}") for i in range(5)] == [None] * 5
    assert throttle.hit("10.0.0.1", "user-new") is not None
    assert throttle.hit("10.0.0.2", "user-new") is None


def test_reset_forgets_only_this_throttle(throttle: LoginThrottle) -> None:
    other = LoginThrottle("3 per minute", "5 per minute",
                          REDIS_URL if throttle.shared else None, f"other-{uuid.uuid4().hex}")
    for _ in range(3):
        throttle.hit("10.0.0.1", "a")
        other.hit("10.0.0.1", "a")
    throttle.reset()
    assert throttle.hit("10.0.0.1", "a") is None
    assert other.hit("10.0.0.1", "a") is not None
    other.reset()


def test_unreachable_redis_falls_back_to_the_process() -> None:
    t = LoginThrottle("2 per minute", "50 per minute", "redis://127.0.0.1:1/0", "gone")
    assert not t.reachable()
    assert [t.hit("10.0.0.1", "a") for _ in range(3)][:2] == [None, None]
    assert t.hit("10.0.0.1", "a") is not None


def test_bad_limit_settings_are_refused_readably() -> None:
    with pytest.raises(ThrottleSettingError) as caught:
        parse_limits("PORTAL_LOGIN_RATE_LIMIT", "five a minute")
    assert str(caught.value) == ("PORTAL_LOGIN_RATE_LIMIT: cannot read 'five a minute'; write "
                                 "limits like '5 per minute;20 per hour'")


def test_throttling_is_on_by_default(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    """FAB's AUTH_RATE_LIMITED is off and does nothing without RATELIMIT_ENABLED; the
    portal's limits apply without any setting."""
    for name in ("PORTAL_LOGIN_RATE_LIMIT", "PORTAL_LOGIN_IP_RATE_LIMIT", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    cfg = build_settings(str(tmp_path), {"SECRET_KEY": "x" * 32})
    assert (cfg["PORTAL_LOGIN_RATE_LIMIT"], cfg["PORTAL_LOGIN_IP_RATE_LIMIT"]) == (
        DEFAULT_USER_LIMIT, DEFAULT_IP_LIMIT)
    t = LoginThrottle.from_config(cfg)
    assert [t.hit(f"10.0.0.{i}", "admin") for i in range(5)] == [None] * 5
    assert t.hit("10.0.0.9", "admin") is not None


def test_memory_storage_warns_at_start_up(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="app.security.throttle"):
        LoginThrottle.from_config({"PORTAL_LOGIN_RATE_LIMIT": "1 per minute",
                                   "PORTAL_LOGIN_IP_RATE_LIMIT": "1 per minute"})
    assert caplog.messages == [
        "login rate limits are kept in this process only (REDIS_URL is not set): with several "
        "workers each one counts on its own"]


# --- in the app: form and API ----------------------------------------------------------------

@pytest.fixture(scope="module", params=STORAGES)
def throttled_app(request: pytest.FixtureRequest, make_app: Callable[..., Flask]) -> Flask:
    return make_app(PORTAL_LOGIN_RATE_LIMIT="3 per minute",
                    PORTAL_LOGIN_IP_RATE_LIMIT="5 per minute",
                    REDIS_URL=_storage_url(request.param),
                    PORTAL_RATE_LIMIT_PREFIX=f"portal-test-{uuid.uuid4().hex}")


@pytest.fixture
def app(throttled_app: Flask) -> Iterator[Flask]:
    throttled_app.extensions["portal_throttle"].reset()
    yield throttled_app
    throttled_app.extensions["portal_throttle"].reset()


def _client(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def _form_login(app: Flask, address: str, username: str, password: str = "Wrong-pass-2026"):
    client = _client(app, address)
    token = csrf_token(client, "/login/")
    return client.post("/login/", data={"username": username, "password": password,
                                        "csrf_token": token})


def _api_login(app: Flask, address: str, username: str, password: str = "Wrong-pass-2026"):
    return _client(app, address).post("/api/v1/security/login", json={
        "username": username, "password": password, "provider": "db"})


def test_form_login_rotating_addresses_against_one_account(app: Flask) -> None:
    assert [_form_login(app, f"10.1.0.{i}", "staff").status_code for i in range(3)] == [302] * 3
    blocked = _form_login(app, "10.1.0.50", "staff", PASSWORD)  # even the right password
    assert blocked.status_code == 429
    page = blocked.get_data(as_text=True)
    assert page_message(retry_after(blocked)) in page and "<strong>429</strong>" in page
    assert "Traceback" not in page and "Too Many Requests" not in page
    assert _form_login(app, "10.1.0.50", "auditor", PASSWORD).status_code == 302


def test_form_login_one_address_across_accounts(app: Flask) -> None:
    names = ["staff", "auditor", "nobody1", "nobody2", "supervisor"]
    assert [_form_login(app, "10.2.0.1", n).status_code for n in names] == [302] * 5
    assert _form_login(app, "10.2.0.1", "admin", PASSWORD).status_code == 429
    assert _form_login(app, "10.2.0.2", "admin", PASSWORD).status_code == 302


def test_unknown_user_names_are_throttled_like_real_ones(app: Flask) -> None:
    for name in ("staff", "no-such-user"):
        codes = [_form_login(app, f"10.3.{len(name)}.{i}", name).status_code for i in range(4)]
        assert codes == [302, 302, 302, 429], name


def test_jwt_login_api_is_throttled_with_json(app: Flask) -> None:
    assert [_api_login(app, f"10.4.0.{i}", "staff").status_code for i in range(3)] == [401] * 3
    blocked = _api_login(app, "10.4.0.9", "staff", PASSWORD)
    assert blocked.status_code == 429
    assert blocked.get_json() == {"message": page_message(retry_after(blocked))}
    # The form and the API share the account's counter.
    assert _form_login(app, "10.4.0.10", "staff", PASSWORD).status_code == 429
    names = ["a1", "a2", "a3", "a4", "a5"]
    assert [_api_login(app, "10.4.1.1", n).status_code for n in names] == [401] * 5
    assert _api_login(app, "10.4.1.1", "admin", PASSWORD).status_code == 429


def test_only_login_posts_are_counted(app: Flask) -> None:
    client = _client(app, "10.5.0.1")
    for _ in range(8):
        assert client.get("/login/").status_code == 200
    assert _form_login(app, "10.5.0.1", "staff", PASSWORD).status_code == 302
