"""The print view in Chromium (app/views/printing.py): 打印 on the record page opens it, its
打印 button calls the browser's print dialog from the static script (the CSP allows no inline
script), nothing overflows at 1440 or 390 px, and print media hides the buttons."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from app.portal import portal_of
from tests.support.app import PASSWORD
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
def site(make_app: Any) -> Iterator[tuple[str, int]]:
    app = make_app(SERVER_NAME=None)
    spec = portal_of(app).spec
    complaint = make_record(app, spec.form("complaint"), description="面霜开封后有异味")
    record = make_record(app, spec.form("compensation"), _owner="supervisor",
                         complaint=complaint.id, amount=Decimal("1234.50"), kind="refund",
                         reason="产品质量问题，全额退款")
    with serving(app) as base_url:
        yield base_url, record.id


@pytest.mark.parametrize("width", [1440, 390])
def test_print_from_the_record_page(chromium: Any, site: tuple[str, int], width: int) -> None:
    base_url, pk = site
    page, found = offline_page(chromium, base_url, width=width)
    page.add_init_script("window.print = function () { window.portalPrinted = true; };")
    page.goto("/login/")
    page.fill("#username", "supervisor")
    page.fill("#password", PASSWORD)
    page.click("[type=submit]")
    page.goto(f"/compensationview/show/{pk}")
    page.click("#portal-print")
    page.wait_for_url(f"**/compensationview/print/{pk}")
    text = page.inner_text("body")
    assert "补偿审批" in text and "退款" in text and "¥1,234.50" in text
    page.click("#portal-print-now")
    assert page.evaluate("() => window.portalPrinted === true")
    assert page.evaluate("() => document.documentElement.scrollWidth - innerWidth") <= 0
    page.emulate_media(media="print")
    assert not page.is_visible("#portal-print-now")
    assert found == {"blocked": [], "csp": [], "console": [], "errors": []}
