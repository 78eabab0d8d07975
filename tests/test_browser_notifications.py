"""The bell and 我的通知 in Chromium (app/views/notifications.py): at desk and phone width the
bell shows the unread count without opening the menu, leads to the list, and 打开并标为已读
opens the record and clears the count; nothing overflows, no CSP or console error."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from app.portal import portal_of
from tests.support.app import PASSWORD, user_id
from tests.support.browser import browser, chromium_path, offline_page, serving
from tests.support.factories import make_record

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if chromium_path() is None:
        pytest.fail("Chromium is missing: run `make browser-deps`")
    with browser() as launched:
        yield launched


@pytest.fixture(scope="module")
def site(make_app: Any) -> Iterator[tuple[Any, str]]:
    app = make_app(SERVER_NAME=None)
    with serving(app) as base_url:
        yield app, base_url


@pytest.mark.parametrize("width", [1440, 390])
def test_the_bell_leads_to_the_record(chromium: Any, site: tuple[Any, str],
                                      width: int) -> None:
    app, base_url = site
    record = make_record(app, portal_of(app).spec.form("complaint"), _owner="supervisor",
                         handler=user_id(app, "staff"))
    page, found = offline_page(chromium, base_url, width=width)
    page.goto("/login/")
    page.fill("#username", "staff")
    page.fill("#password", PASSWORD)
    page.click("[type=submit]")
    page.goto("/")
    bell = page.locator(".portal-bell:visible").first
    assert bell.inner_text().strip() == "1"
    bell.click()  # an <li> on a desk, the header link on a phone
    page.wait_for_url("**/notifications/")
    assert f"投诉 {record.ticket_no} 已分派给您" in page.inner_text("#notify-list")
    assert page.evaluate("() => document.documentElement.scrollWidth - innerWidth") <= 0
    page.click("[data-id] .notify-open")
    page.wait_for_url(f"**/complaintview/show/{record.id}")
    assert page.locator(".portal-bell:visible .portal-bell-count").count() == 0
    assert found == {"blocked": [], "csp": [], "console": [], "errors": []}
