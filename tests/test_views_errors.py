"""The portal's 403, 404 and 500 pages: the portal's layout with its menu, the user's menu and
a way back, in the request's language; JSON under /api/; no traceback on a 500, which is
logged."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

import app.views.errors as errors
from tests.support.app import PASSWORD, login
from tests.support.crawl import visible_text
from tests.support.factories import two_teams

NOT_FOUND = "页面不存在 404 — 您要打开的页面或记录不存在，或不在您可查看的范围内。 返回 回到首页"
FORBIDDEN = "无权访问 403 — 您的角色无权打开此页面。如确有需要，请联系管理员。 返回 回到首页"
SERVER_ERROR = ("系统出错了 500 — 系统未能完成此请求，错误已记录。请稍后重试，或联系管理员。 "
                "返回 回到首页")


@pytest.fixture(scope="module")
def site(make_app: Callable[..., Flask]) -> dict[str, Any]:
    app = make_app()
    return {"app": app, "records": two_teams(app, PASSWORD)}


def _signed_in(app: Flask, username: str, language: str = "zh") -> FlaskClient:
    client = app.test_client()
    if language == "en":
        with client.session_transaction() as session:
            session["locale"] = "en"
    login(client, username)
    return client


def _error_text(page: str) -> str:
    """The page's own part: from the error's title to its buttons."""
    text = visible_text(page)
    for title in ("页面不存在", "无权访问", "系统出错了", "Page not found", "No access",
                  "Something went wrong"):
        if title in text:
            return text[text.index(title):]
    raise AssertionError(text)


def _layout(page: str, user_name: str) -> None:
    """The portal's navigation bar with its menu and the user's menu, and the ways back."""
    text = visible_text(page)
    assert text.startswith("售后服务门户"), text[:200]
    assert "我的待办" in text and "投诉登记" in text and user_name in text
    assert 'id="portal-home" href="/"' in page and 'id="portal-back"' in page
    assert "Traceback" not in page


def test_an_unknown_address_is_the_portals_404(site: dict[str, Any]) -> None:
    response = _signed_in(site["app"], "staff").get("/no-such-page/")
    page = response.get_data(as_text=True)
    assert (response.status_code, response.mimetype) == (404, "text/html")
    assert _error_text(page) == NOT_FOUND
    _layout(page, "staff test")
    assert "Not Found" not in page


def test_a_record_outside_a_supervisors_scope_is_the_portals_404(site: dict[str, Any]) -> None:
    """Staff3's complaint belongs to the other team: the supervisor is not stranded."""
    client = _signed_in(site["app"], "supervisor")
    pk = site["records"]["by_staff3"]
    for url in (f"/complaintview/show/{pk}", f"/complaintview/edit/{pk}"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert _error_text(response.get_data(as_text=True)) == NOT_FOUND
        _layout(response.get_data(as_text=True), "supervisor test")
    assert client.get(f"/complaintview/show/{site['records']['by_staff']}").status_code == 200


def test_a_screen_of_another_role_is_the_portals_403(site: dict[str, Any]) -> None:
    response = _signed_in(site["app"], "staff").get("/audit/list/")
    assert response.status_code == 403
    assert _error_text(response.get_data(as_text=True)) == FORBIDDEN
    _layout(response.get_data(as_text=True), "staff test")


def test_error_pages_speak_the_users_language(site: dict[str, Any]) -> None:
    client = _signed_in(site["app"], "staff", "en")
    assert _error_text(client.get("/no-such-page/").get_data(as_text=True)) == (
        "Page not found 404 — The page or record does not exist, or it is not among the "
        "records you may see. Back Home page")
    assert _error_text(client.get("/audit/list/").get_data(as_text=True)) == (
        "No access 403 — Your role does not allow you to open this page. Ask an "
        "administrator if you need it. Back Home page")


def test_a_visitor_not_signed_in_gets_the_page_with_a_way_to_sign_in(
        site: dict[str, Any]) -> None:
    response = site["app"].test_client().get("/no-such-page/")
    page = response.get_data(as_text=True)
    assert response.status_code == 404 and _error_text(page) == NOT_FOUND
    assert "登录" in visible_text(page) and "投诉登记" not in visible_text(page)


def test_the_api_answers_json_in_its_clients_language(site: dict[str, Any]) -> None:
    client = site["app"].test_client()
    for url in ("/api/v1/no-such-form/", "/api/v1/complaint/abc"):
        response = client.get(url)
        assert (response.status_code, response.get_json()) == (404, {
            "message": "您要打开的页面或记录不存在，或不在您可查看的范围内。"}), url
    english = client.get("/api/v1/no-such-form/", headers={"Accept-Language": "en"})
    assert english.get_json() == {
        "message": "The page or record does not exist, or it is not among the records you "
                   "may see."}


@pytest.fixture
def failing(site: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> Iterator[Flask]:
    """The quick search and the API's form info fail with an unexpected error, answered
    as in production (not raised into the test)."""
    app = site["app"]

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret detail of the failure")

    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    monkeypatch.setitem(app.view_functions, "QuickSearchView.search", broken)
    yield app


def test_an_unexpected_error_is_the_portals_500_and_is_logged(
        failing: Flask, caplog: pytest.LogCaptureFixture) -> None:
    client = _signed_in(failing, "staff")
    with caplog.at_level(logging.ERROR):
        response = client.get("/search/?q=x")
    page = response.get_data(as_text=True)
    assert response.status_code == 500
    assert _error_text(page) == SERVER_ERROR
    _layout(page, "staff test")
    assert "secret detail" not in page and "RuntimeError" not in page
    logged = [r for r in caplog.records if r.exc_info]
    assert logged and "secret detail of the failure" in str(logged[0].exc_info[1])
    assert logged[0].getMessage() == "Exception on /search/ [GET]"


def test_a_500_whose_page_cannot_be_drawn_is_plain_text(
        failing: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_layout(*args: Any, **kwargs: Any) -> str:
        raise RuntimeError("the menu's database is gone")

    monkeypatch.setattr(errors, "error_page", no_layout)
    response = _signed_in(failing, "staff").get("/search/?q=x")
    assert (response.status_code, response.mimetype) == (500, "text/plain")
    assert response.get_data(as_text=True) == (
        "500 — 系统未能完成此请求，错误已记录。请稍后重试，或联系管理员。")
