"""Real browser under the Content-Security-Policy (app/security/headers.py): Debian's Chromium goes
through the portal's screens — login, index, add forms with select2, date picker and datetime
inputs, saving, the list's JS search filters, the delete confirmation, the language switch,
the Security menu and the error page — and not one CSP violation may be reported, while the
JavaScript-driven features keep working.

Violations are collected two ways: Chromium's console ("Refused to …") and the DOM's
securitypolicyviolation event, reported to Python through an exposed binding (bindings and
init scripts come in through DevTools, so the CSP does not block them). A planted nonce-less
script proves the collection works.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.browser import (
    SKIP_REASON,
    Portal,
    alert_texts,
    browser,
    choose_select2,
    chromium_path,
    login,
    new_page,
    running_portal,
    type_date,
)

pytestmark = pytest.mark.browser

ADDED = "记录已添加"
STRONG = "Kq7!vR2#pLx9-" + secrets.token_hex(6)
LISTEN = """
document.addEventListener("securitypolicyviolation", function (e) {
  window.reportCsp(e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " in "
                   + e.sourceFile + ":" + e.lineNumber);
});
"""
PLANT = """() => { const s = document.createElement("script");
  s.textContent = "window.plantedRan = true"; document.body.appendChild(s); }"""


@pytest.fixture(scope="module")
def chromium_executable() -> str:
    path = chromium_path()
    if path is None:
        print(SKIP_REASON)
        pytest.skip(SKIP_REASON)
    pytest.importorskip("playwright.sync_api", reason="playwright not installed: pip install "
                        "-e '.[dev]'")
    return path


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory,
           chromium_executable: str) -> Iterator[Portal]:
    # Passwords that any password policy accepts (none contains its user name).
    with running_portal(tmp_path_factory.mktemp("portal"), password=STRONG + "-1",
                        env_overrides={"PORTAL_ADMIN_PASSWORD": STRONG + "-2"}) as running:
        yield running


@pytest.fixture
def watched(chromium_executable: str, portal: Portal) -> Iterator[tuple[Any, dict]]:
    """A page plus what it reported: CSP violations, console errors, script errors."""
    found: dict[str, list[str]] = {"csp": [], "console": [], "errors": []}

    def console(message: Any) -> None:
        text = message.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text:
            found["csp"].append(text)
        elif message.type == "error" and "Failed to load resource" not in text:
            found["console"].append(text)  # 400/404 pages log a "Failed to load resource"

    with browser(chromium_executable) as chromium:
        page = new_page(chromium, portal)
        page.expose_function("reportCsp", lambda text: found["csp"].append(text))
        page.add_init_script(LISTEN)
        page.on("console", console)
        page.on("pageerror", lambda error: found["errors"].append(str(error)))
        try:
            yield page, found
        finally:
            page.context.close()


def _save(page: Any) -> None:
    page.locator("#model_form button[type=submit]").click()
    page.wait_for_load_state()
    assert ADDED in alert_texts(page), alert_texts(page)


def test_the_screens_work_under_the_csp(watched: tuple[Any, dict], portal: Portal) -> None:
    page, found = watched
    page.goto("/login/")
    # The listener works: a script without this response's nonce is refused and reported.
    page.evaluate(PLANT)
    page.wait_for_timeout(200)
    assert page.evaluate("window.plantedRan") is None
    assert any("script-src" in text for text in found["csp"]), found
    found["csp"].clear()

    login(page, portal, portal.admin_username, portal.admin_password)
    page.goto("/")

    # Add forms: select2 (JS-built containers), the date picker, a datetime-local input.
    for name in ("张三", "临时客户"):
        page.goto("/customerview/add")
        page.fill("#name", name)
        page.fill("#phone", "13812345678")
        _save(page)
    page.goto("/complaintview/add")
    choose_select2(page, "customer", "张三")
    choose_select2(page, "channel", "在线客服")
    page.fill("#product_name", "空气净化器 AP-300")
    page.locator("#production_date").click()
    assert page.locator(".datepicker-dropdown").is_visible()
    page.keyboard.press("Escape")
    type_date(page, "production_date", "2024-01-15")
    page.fill("#occurred_at", "2024-03-02T10:30")
    page.fill("#description", "使用一周后运行时异响明显。")
    page.select_option("select#category", "quality")
    assert page.input_value("#production_date") == "2024-01-15"
    _save(page)

    # The list's search: open the panel, add a filter from the dropdown (built by
    # ab_filters.js from a nonce'd inline script), search.
    page.goto("/complaintview/list/")
    page.locator("a.accordion-toggle[href='#accordion1_href']").click()
    page.locator("#filter_form button.dropdown-toggle").click()
    page.locator("#filter_form a.filter[name=product_name]").click()
    row = page.locator("#filter_form table.filters tr")
    assert row.count() == 1 and row.locator(".select2-container").count() == 1
    row.locator("input.filter_val").fill("空气净化器")  # operator 0: starts with
    page.locator("#filter_form button[type=submit]").click()
    page.wait_for_load_state()
    assert "_flt_" in page.url
    assert page.locator("table.table tbody tr", has_text="空气净化器 AP-300").count() == 1

    # Delete through FAB's confirmation modal (nonce'd inline listener + ab_actions.js).
    page.goto("/customerview/list/")
    victim = page.locator("table.table tbody tr", has_text="临时客户")
    victim.locator("a.confirm").click()
    page.locator("#modal-confirm").wait_for(state="visible")
    page.locator("#modal-confirm-ok").click()
    page.wait_for_load_state()
    assert page.locator("table.table tbody tr", has_text="临时客户").count() == 0

    # Language switch from the navbar (a Bootstrap dropdown), and back.
    for lang, flag in (("en", "gb"), ("zh", "cn")):
        page.locator(".navbar-right a.dropdown-toggle", has=page.locator("i.flag")).click()
        page.locator(f".navbar-right a[href$='/lang/{lang}']").click()
        page.wait_for_load_state()
        assert page.locator(f".navbar-right i.flag.{flag}").count() == 1

    # The Security menu's screens, the profile and password pages.
    for url in ("/users/list/", "/users/add", "/roles/list/", "/roles/add",
                "/users/userinfo/", "/resetmypassword/form", "/schema/"):
        page.goto(url)
        assert page.locator(".panel, form").count() > 0, url
    page.goto("/users/add")
    assert page.locator("select#roles + .select2-container").count() == 1

    # The error page's Back button (a nonce'd listener instead of javascript:).
    page.goto("/complaintview/list/")
    page.goto("/complaintview/list/?psize_ComplaintView=abc")
    assert page.locator("#portal-error").count() == 1
    page.locator("#portal-back").click()
    page.wait_for_url(lambda url: "psize" not in url)
    assert page.url.endswith("/complaintview/list/")

    assert found == {"csp": [], "console": [], "errors": []}
