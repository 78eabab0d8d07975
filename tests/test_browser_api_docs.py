"""The API documentation page (/api-docs/, app/views/api/openapi/views.py) in Debian's
Chromium, offline, under the portal's real CSP: a signed-in user sees Swagger UI (the portal's
own copy, app/static/vendor/swagger-ui/) drawn from /api/v1/openapi.json with every form, in
the portal's layout and language; signing in from the page (Try it out) authorizes the page's
next call, which lists records. Nothing is blocked, refused or reported. Screenshots go to
$PORTAL_SCREENSHOTS (default tests/artifacts/screenshots)/api-docs."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from app.portal import portal_of
from tests.support.app import PASSWORD
from tests.support.browser import browser, chromium_path, offline_page, serving

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
BUNDLE = ROOT / "app" / "static" / "vendor" / "swagger-ui" / "swagger-ui-bundle.js"
SHOTS = Path(os.environ.get("PORTAL_SCREENSHOTS") or
             Path(__file__).parent / "artifacts" / "screenshots")
CLEAN = {"blocked": [], "csp": [], "console": [], "errors": []}


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if chromium_path() is None:
        pytest.fail("Chromium is missing: run `make browser-deps`")
    with browser() as launched:
        yield launched


@pytest.fixture(scope="module")
def site(make_app: Callable[..., Flask]) -> Iterator[tuple[str, Flask]]:
    assert BUNDLE.is_file(), f"{BUNDLE} is missing: run `make assets`"
    app = make_app(SERVER_NAME=None)
    with serving(app) as base_url:
        yield base_url, app


def shot(page: Any, name: str) -> None:
    folder = SHOTS / "api-docs"
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=False)


def signed_in_docs(chromium: Any, base_url: str, lang: str = "zh") -> tuple[Any, dict]:
    from playwright.sync_api import expect

    page, found = offline_page(chromium, base_url, width=1280, timeout_ms=20_000)
    page.goto("/api-docs/")
    assert "/login/" in page.url  # anonymous: to the sign-in page first
    page.fill("input[name=username]", "staff")
    page.fill("input[name=password]", PASSWORD)
    page.locator("form input[type=submit], form button[type=submit]").first.click()
    page.wait_for_url(lambda url: "/api-docs/" in url)
    if lang == "en":
        page.goto("/lang/en")
        page.goto("/api-docs/")
    expect(page.locator(".swagger-ui .opblock").first).to_be_visible()
    return page, found


def test_swagger_ui_draws_every_form_offline_under_the_csp(chromium: Any,
                                                           site: tuple[str, Flask]) -> None:
    base_url, app = site
    page, found = signed_in_docs(chromium, base_url)
    try:
        shot(page, "zh")
        assert page.title().startswith("API 文档")
        assert page.locator("#api-docs h2").inner_text() == "API 文档"
        tags = set(page.locator(".swagger-ui .opblock-tag").evaluate_all(
            "nodes => nodes.map(n => n.getAttribute('data-tag'))"))
        assert tags == {"security", *(f.key for f in portal_of(app).spec.forms)}
        assert page.locator(".swagger-ui .info .title").inner_text().startswith("售后服务门户接口")
        assert page.locator(".swagger-ui .info .description").inner_text().startswith(
            "售后服务门户的接口：每个表单一个接口")
        assert "点击“试一试”按钮" in page.locator("#api-docs > p").first.inner_text()
        assert found == CLEAN
    finally:
        page.context.close()


def english_words(page: Any) -> list[str]:
    """Visible text in Swagger UI made of English words (the document's paths, names and
    values excepted: they are the API's own, the same in every language)."""
    return page.locator("#swagger-ui").evaluate("""root => {
      const out = [];
      const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const text = n.nodeValue.trim();
        const box = n.parentElement;
        if (!text || !box || !box.offsetParent ||
            box.closest("pre, code, textarea, .opblock-summary-path, .model-box, " +
                        ".parameter__name, .parameter__type, .parameter__in, " +
                        ".opblock-summary-method, .response-col_status, .prop-type, " +
                        ".opblock-tag small, .opblock-tag > a, .servers, .request-url, " +
                        ".info .url, .headers td")) continue;
        if (/[A-Za-z]{3,}/.test(text) && !/[\u4e00-\u9fff]/.test(text)) out.push(text);
      }
      return out;
    }""")


def test_swagger_ui_s_own_words_are_chinese_on_a_zh_page(chromium: Any,
                                                        site: tuple[str, Flask]) -> None:
    from playwright.sync_api import expect

    base_url, _app = site
    page, found = signed_in_docs(chromium, base_url)
    try:
        expect(page.locator(".swagger-ui .btn.authorize span")).to_have_text("授权")
        login = page.locator("#operations-security-securityLogin")
        login.locator(".opblock-summary-control").click()
        expect(login.locator("button.try-out__btn")).to_have_text("试一试")
        assert login.locator(".opblock-section-header h4").first.inner_text() == "参数"
        login.locator("button.try-out__btn").click()
        expect(login.locator("button.execute")).to_have_text("执行")
        expect(login.locator("button.try-out__btn")).to_have_text("取消")
        login.locator("textarea.body-param__text").fill(json.dumps(
            {"username": "staff", "password": PASSWORD, "provider": "db"}))
        login.locator("button.execute").click()
        expect(login.locator(".live-responses-table tbody .response-col_status").first
               ).to_have_text("200")
        expect(login.locator("h4", has_text="服务器响应")).to_be_visible()
        required = login.locator(".parameter__name.required").first
        assert required.evaluate("n => getComputedStyle(n, '::after').content") == '"必填"'
        shot(page, "zh-tried")
        assert english_words(page) == []
        assert found == CLEAN
    finally:
        page.context.close()


def test_a_sign_in_from_the_page_authorizes_its_next_call(chromium: Any,
                                                         site: tuple[str, Flask]) -> None:
    from playwright.sync_api import expect

    base_url, _app = site
    page, found = signed_in_docs(chromium, base_url, lang="en")
    try:
        assert page.title().startswith("API documentation")
        login = page.locator("#operations-security-securityLogin")
        login.locator(".opblock-summary-control").click()
        login.locator("button.try-out__btn").click()
        login.locator("textarea.body-param__text").fill(json.dumps(
            {"username": "staff", "password": PASSWORD, "provider": "db"}))
        login.locator("button.execute").click()
        expect(login.locator(".live-responses-table tbody .response-col_status").first
               ).to_have_text("200")
        authorized = page.evaluate(
            "() => Object.keys(window.portalApiDocs.authSelectors.authorized().toJS())")
        assert authorized == ["bearerAuth"]
        listing = page.locator("#operations-customer-customerList")
        listing.locator(".opblock-summary-control").click()
        listing.locator("button.try-out__btn").click()
        listing.locator("button.execute").click()
        expect(listing.locator(".live-responses-table tbody .response-col_status").first
               ).to_have_text("200")
        assert "Bearer " in listing.locator(".curl-command").inner_text()
        shot(page, "en-tried")
        assert found == CLEAN
    finally:
        page.context.close()
