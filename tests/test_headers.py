"""HTTP hardening (app/security/headers.py): exact security headers on every page type, no
caching of confidential responses, cookies, trusted hosts, and redirects that never leave the
portal.

The real-browser check that FAB's screens work under the CSP is tests/test_headers_browser.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from app.portal import portal_of
from app.security.headers import own_location
from app.settings import build_settings
from tests.support.app import CSRF_RE, PASSWORD, csrf_token, login
from tests.support.factories import make_record

CSP = ("default-src 'self'; script-src 'self' 'nonce-{nonce}'; "
       "style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self'; "
       "connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
       "frame-ancestors 'none'")
ALWAYS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "accelerometer=(), camera=(), display-capture=(), geolocation=(), "
                          "gyroscope=(), magnetometer=(), microphone=(), midi=(), payment=(), "
                          "usb=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
HSTS = "max-age=31536000"
NONCE_RE = re.compile(r"script-src 'self' 'nonce-([A-Za-z0-9_-]{24})';")
EVIL = "evil.example"


def nonce_of(response: TestResponse) -> str:
    match = NONCE_RE.search(response.headers.get("Content-Security-Policy", ""))
    assert match, response.headers.get("Content-Security-Policy")
    return match.group(1)


def assert_hardened(response: TestResponse, *, static: bool = False,
                    https: bool = False) -> None:
    """Every header, exactly; HTML pages: every <script> carries this response's nonce and
    nothing runs inline without one (handlers, javascript: URLs)."""
    nonce = nonce_of(response)
    assert response.headers["Content-Security-Policy"] == CSP.format(nonce=nonce)
    for name, value in ALWAYS.items():
        assert response.headers.get(name) == value, name
    assert response.headers.get("Strict-Transport-Security") == (HSTS if https else None)
    if static:
        assert "no-store" not in response.headers.get("Cache-Control", "")
        assert "Pragma" not in response.headers
    else:
        for name, value in NO_STORE.items():
            assert response.headers.get(name) == value, name
    if response.mimetype == "text/html":
        html = response.get_data(as_text=True)
        for tag in re.findall(r"<script\b[^>]*>", html, re.I):
            assert f'nonce="{nonce}"' in tag, tag
        assert not re.search(r"<[^>]+\son[a-z]+\s*=", html, re.I)
        assert "javascript:" not in html.lower()


@pytest.fixture(scope="module")
def walk_app(make_app: Callable[..., Flask]) -> Flask:
    """An app with one record per form, so show and edit pages exist."""
    app = make_app()
    for form in portal_of(app).spec.forms:
        make_record(app, form)
    return app


@pytest.fixture
def admin(walk_app: Flask) -> FlaskClient:
    client = walk_app.test_client()
    login(client, "admin")
    return client


def page_types(app: Flask) -> Iterator[tuple[str, str, int, str]]:
    """(who, url, expected status, expected mimetype) for every kind of page."""
    yield "anonymous", "/login/", 200, "text/html"
    yield "anonymous", "/nope-404", 404, "text/html"
    yield "admin", "/", 200, "text/html"
    for form in portal_of(app).spec.forms:
        view = form.view_name.lower()
        yield "admin", f"/{view}/list/", 200, "text/html"
        yield "admin", f"/{view}/show/1", 200, "text/html"
        yield "admin", f"/{view}/add", 200, "text/html"
        yield "admin", f"/{view}/edit/1", 200, "text/html"
        yield "admin", f"/{view}/export/", 200, "text/csv"
    yield "admin", "/complaintview/list/?psize_ComplaintView=abc", 400, "text/html"
    for screen in ("users", "roles"):  # the Security menu
        for page in ("list/", "show/1", "add", "edit/1"):
            yield "admin", f"/{screen}/{page}", 200, "text/html"
    yield "admin", "/resetpassword/form?pk=1", 200, "text/html"
    yield "admin", "/users/userinfo/", 200, "text/html"
    yield "admin", "/resetmypassword/form", 200, "text/html"
    yield "admin", "/schema/", 200, "text/html"
    yield "admin", "/lang/en", 302, "text/html"
    yield "auditor", "/users/list/", 403, "text/html"


def test_every_page_type_has_every_header(walk_app: Flask) -> None:
    clients: dict[str, FlaskClient] = {}
    seen = []
    for who, url, status, mimetype in page_types(walk_app):
        if who not in clients:
            clients[who] = walk_app.test_client()
            if who != "anonymous":
                login(clients[who], who)
        response = clients[who].get(url)
        assert (response.status_code, response.mimetype) == (status, mimetype), url
        assert_hardened(response)
        seen.append(nonce_of(response))
    assert len(set(seen)) == len(seen), "a nonce was used twice"
    assert len(seen) > 4 * len(portal_of(walk_app).spec.forms)


def test_csrf_failure_and_post_redirects_are_hardened(admin: FlaskClient) -> None:
    response = admin.post("/customerview/add", data={"name": "x"})
    assert response.status_code == 400
    assert_hardened(response)
    token = csrf_token(admin, "/customerview/add")
    response = admin.post("/customerview/add", data={"name": "张三", "phone": "13812345678",
                                                     "csrf_token": token})
    assert response.status_code == 302
    assert_hardened(response)


def test_static_files_keep_normal_caching(walk_app: Flask) -> None:
    client = walk_app.test_client()
    with client.get("/static/appbuilder/js/ab.js") as response:
        assert response.status_code == 200
        assert_hardened(response, static=True)
        etag = response.headers["ETag"]
    with client.get("/static/appbuilder/js/ab.js", headers={"If-None-Match": etag}) as again:
        assert again.status_code == 304
        assert_hardened(again, static=True)


def test_each_response_gets_a_fresh_nonce_used_by_its_scripts(walk_app: Flask) -> None:
    client = walk_app.test_client()
    first, second = client.get("/login/"), client.get("/login/")
    assert nonce_of(first) != nonce_of(second)
    assert f'nonce="{nonce_of(first)}"' in first.get_data(as_text=True)


# -- HTTPS, proxies, cookies ---------------------------------------------------------------


def test_hsts_only_over_https(walk_app: Flask) -> None:
    client = walk_app.test_client()
    assert_hardened(client.get("/login/", base_url="https://portal.test"), https=True)
    assert_hardened(client.get("/login/"))
    # Without PORTAL_PROXY_COUNT a client's X-Forwarded-Proto is not believed.
    assert_hardened(client.get("/login/", headers={"X-Forwarded-Proto": "https"}))


def test_behind_a_trusted_proxy_https_is_seen(make_app: Callable[..., Flask]) -> None:
    app = make_app(PORTAL_PROXY_COUNT=1)
    client = app.test_client()
    assert_hardened(client.get("/login/", headers={"X-Forwarded-Proto": "https"}), https=True)
    # The proxy appends what it saw ("http"); a value the client put in front is ignored.
    assert_hardened(client.get("/login/", headers={"X-Forwarded-Proto": "https, http"}))


def test_session_cookie_flags(walk_app: Flask, make_app: Callable[..., Flask]) -> None:
    cookie = walk_app.test_client().get("/login/").headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    secure = make_app(PORTAL_HTTPS=True)
    cookie = secure.test_client().get("/login/", base_url="https://portal.test"
                                      ).headers["Set-Cookie"]
    assert "; Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert secure.config["REMEMBER_COOKIE_SECURE"] is True
    assert secure.config["PREFERRED_URL_SCHEME"] == "https"
    for app in (walk_app, secure):
        assert app.config["REMEMBER_COOKIE_HTTPONLY"] is True
        assert app.config["REMEMBER_COOKIE_SAMESITE"] == "Lax"


def test_security_settings_from_the_environment(tmp_path: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("PORTAL_HTTPS", "1")
    monkeypatch.setenv("PORTAL_TRUSTED_HOSTS", " portal.example.com, .portal.example.org ,")
    monkeypatch.setenv("PORTAL_PROXY_COUNT", "2")
    cfg = build_settings(str(tmp_path))
    assert cfg["SESSION_COOKIE_SECURE"] is True and cfg["REMEMBER_COOKIE_SECURE"] is True
    assert cfg["TRUSTED_HOSTS"] == ["portal.example.com", ".portal.example.org"]
    assert cfg["PORTAL_PROXY_COUNT"] == 2
    for name in ("PORTAL_HTTPS", "PORTAL_TRUSTED_HOSTS", "PORTAL_PROXY_COUNT"):
        monkeypatch.delenv(name)
    cfg = build_settings(str(tmp_path))
    assert cfg["SESSION_COOKIE_SECURE"] is False and cfg["TRUSTED_HOSTS"] is None
    assert cfg["PORTAL_PROXY_COUNT"] == 0
    monkeypatch.setenv("PORTAL_PROXY_COUNT", "one")
    with pytest.raises(ValueError, match="PORTAL_PROXY_COUNT must be a whole number"):
        build_settings(str(tmp_path))


# -- Host header ---------------------------------------------------------------------------


def test_untrusted_host_gets_the_portal_400(make_app: Callable[..., Flask]) -> None:
    app = make_app(PORTAL_TRUSTED_HOSTS="portal.test,.example.org")
    client = app.test_client()
    for method in ("get", "post"):
        response = getattr(client, method)("/login/", headers={"Host": EVIL})
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert 'id="portal-error"' in page and "此门户不接受以该主机名访问。" in page
        assert "Traceback" not in page and EVIL not in page
        assert_hardened(response)
    assert client.get("/login/").status_code == 200
    assert client.get("/login/", headers={"Host": "portal.example.org"}).status_code == 200


@pytest.mark.parametrize("trusted", [None, "portal.test,.example.org", ".example.com"])
def test_a_host_name_with_a_label_over_63_characters_gets_the_portal_400(
        make_app: Callable[..., Flask], trusted: str | None) -> None:
    """Werkzeug cannot IDNA-encode such a name: it raised BadHost before routing, and the 400
    page then crashed on url_for without a URL adapter (a 500 for anyone, trusted hosts set or
    not). Only without SERVER_NAME, as in production (the tests' apps set one)."""
    settings = {} if trusted is None else {"PORTAL_TRUSTED_HOSTS": trusted}
    app = make_app(SERVER_NAME=None, **settings)
    client = app.test_client()
    host = "a" * 64 + ".example.com"
    for method, path in (("get", "/"), ("get", "/login/"), ("get", "/customerview/list/"),
                         ("post", "/login/"), ("get", "/api/v1/customer/")):
        response = getattr(client, method)(path, headers={"Host": host})
        assert response.status_code == 400, path
        page = response.get_data(as_text=True)
        assert '<strong>400</strong> — 此门户不接受以该主机名访问。' in page
        assert 'href="/"' in page  # the layout's links, built on a trusted host
        assert "Traceback" not in page and "a" * 64 not in page
        assert_hardened(response)
    assert client.get("/login/", headers={"Host": "portal.example.org"}).status_code == (
        400 if trusted == ".example.com" else 200)
    assert client.get("/login/", headers={"Host": "a" * 63 + ".example.com"}).status_code == (
        400 if trusted == "portal.test,.example.org" else 200)


def _hostile(client: FlaskClient) -> dict[str, str]:
    """Send the signed-in session with a hostile Host header (as a misconfigured proxy or a
    poisoned cache would), and keep what the portal stores in it."""
    value = client.get_cookie("session", domain="portal.test")
    assert value is not None
    client.set_cookie("session", value.value, domain=EVIL)
    return {"Host": EVIL}


def _token(response: TestResponse) -> str:
    match = CSRF_RE.search(response.get_data(as_text=True))
    assert match, response.status_code
    return match.group(1)


def _back_home(client: FlaskClient) -> None:
    value = client.get_cookie("session", domain=EVIL)
    assert value is not None
    client.set_cookie("session", value.value, domain="portal.test")


def test_no_redirect_is_built_from_a_hostile_host(walk_app: Flask) -> None:
    client = walk_app.test_client()
    login(client, "admin")
    hostile = _hostile(client)
    assert client.get("/customerview/list/", headers=hostile).status_code == 200
    lang = client.get("/lang/en", headers=hostile)
    assert lang.headers["Location"] == "/customerview/list/"
    client.get("/customerview/list/", headers=hostile)
    token = _token(client.get("/customerview/add", headers=hostile))
    saved = client.post("/customerview/add", headers=hostile, data={
        "name": "李四", "phone": "13900000000", "csrf_token": token})
    assert saved.status_code == 302 and EVIL not in saved.headers["Location"]
    # The session now remembers pages as http://evil.example/...: a later, normal request
    # must not be sent there (FAB's page_history would).
    client.get("/customerview/list/", headers=hostile)
    _back_home(client)
    later = client.get("/lang/zh")
    assert later.status_code == 302 and later.headers["Location"] == "/"
    assert EVIL not in later.get_data(as_text=True)
    for url in ("/back", "/logout/", "/customerview/list/"):  # the last one: to the login
        location = client.get(url, headers=hostile).headers["Location"]
        assert location.startswith("/") and not urlsplit(location).netloc, url
    # Signing in on the hostile host, sent on by FAB to next=http://evil.example/... .
    token = _token(client.get("/login/", headers=hostile))
    signed_in = client.post("/login/?next=" + quote(f"http://{EVIL}/customerview/list/"),
                            headers=hostile, data={"username": "admin", "password": PASSWORD,
                                                   "csrf_token": token})
    assert signed_in.status_code == 302
    assert signed_in.headers["Location"] == "/customerview/list/"


def test_language_switch_ignores_a_hostile_referer(admin: FlaskClient) -> None:
    admin.get("/customerview/list/")
    response = admin.get("/lang/en", headers={"Referer": f"https://{EVIL}/phish"})
    assert response.headers["Location"] == "/customerview/list/"
    response = admin.get("/lang/zh", headers={"Referer": f"https://{EVIL}/phish"})
    assert response.headers["Location"] == "/"  # no page left in FAB's history: the index


HOSTILE_NEXT = ("https://evil.example/", "//evil.example", "/\\evil.example", "\\\\evil.example",
                "/\t/evil.example", " //evil.example", "javascript:alert(1)",
                "JaVaScRiPt:alert(1)", "data:text/html,<script>alert(1)</script>",
                "http:evil.example", "https://portal.test@evil.example/", "///evil.example")


@pytest.mark.parametrize("target", HOSTILE_NEXT)
def test_login_never_redirects_off_site(walk_app: Flask, target: str) -> None:
    client = walk_app.test_client()
    token = csrf_token(client, "/login/")
    response = client.post(f"/login/?next={quote(target)}", data={
        "username": "admin", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    again = client.get(f"/login/?next={quote(target)}")  # already signed in
    assert again.status_code == 302 and again.headers["Location"] == "/"


def test_login_keeps_a_next_on_the_portal(walk_app: Flask) -> None:
    client = walk_app.test_client()
    token = csrf_token(client, "/login/")
    response = client.post("/login/?next=" + quote("http://portal.test/customerview/list/?x=1"),
                           data={"username": "admin", "password": PASSWORD,
                                 "csrf_token": token})
    assert response.headers["Location"] == "/customerview/list/?x=1"


@pytest.mark.parametrize(("location", "expected"), [
    ("/customerview/list/", "/customerview/list/"),
    (".", "."),
    ("list?page=2", "list?page=2"),
    ("http://portal.test/a/b?c=d#e", "/a/b?c=d#e"),
    ("HTTPS://PORTAL.TEST", "/"),
    ("http://portal.test:8080/a", None),
    ("https://evil.example/", None),
    ("//evil.example/x", None),
    ("/\\evil.example", None),
    ("\\/evil.example", None),
    ("/\t/evil.example", None),
    ("\x01//evil.example", None),
    ("javascript:alert(1)", None),
    ("http:evil.example", None),
    ("https://portal.test@evil.example/", None),
    ("https://partner.example.com/x", "https://partner.example.com/x"),
])
def test_own_location(location: str, expected: str | None) -> None:
    assert own_location(location, "portal.test", ["*.example.com"]) == expected
