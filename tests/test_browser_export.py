"""A long list's 导出 Excel in Debian's Chromium: the page follows the worker (the app
server's own thread) as it writes the file, then 下载 hands over the workbook with the list's
rows. At 1440 and 390 px, with nothing reported (CSP violations, console errors) and every
request kept on this machine. Screenshots: $PORTAL_SCREENSHOTS/export."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from app.jobs.worker import stop_thread
from app.portal import portal_of
from tests.support.app import PASSWORD
from tests.support.browser import browser, chromium_path, offline_page, serving
from tests.support.factories import make_record

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("PORTAL_SCREENSHOTS") or
             Path(__file__).parent / "artifacts" / "screenshots") / "export"
NAMES = ["导出甲", "导出乙", "导出丙"]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if chromium_path() is None:
        pytest.fail("Chromium is missing: run `make browser-deps`")
    with browser() as launched:
        yield launched


@pytest.fixture(scope="module")
def site(make_app: Any) -> Iterator[str]:
    app = make_app(SERVER_NAME=None, PORTAL_WORKER_THREAD=True, PORTAL_WORKER_POLL_SECONDS=1,
                   PORTAL_EXPORT_INLINE_ROWS=1)
    for name in NAMES:
        make_record(app, portal_of(app).spec.form("customer"), name=name, company="导出公司")
    try:
        with serving(app) as base_url:
            yield base_url
    finally:
        stop_thread(app)


@pytest.mark.parametrize("width", [1440, 390])
def test_a_long_export_is_written_in_the_background_then_downloaded(chromium, site, tmp_path,
                                                                     width):
    from playwright.sync_api import expect

    page, found = offline_page(chromium, site, width=width)
    page.set_default_timeout(20_000)
    page.goto("/login/")
    page.fill("#username", "admin")
    page.fill("#password", PASSWORD)
    page.click("[type=submit]")
    page.goto("/customerview/list/?_flt_3_company=导出公司")
    page.click("#portal-export-xlsx")
    expect(page.locator("#export-done")).to_have_text("文件已生成：3 条记录。")
    assert page.inner_text("h2") == "客户档案导出"
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"done-{width}.png"), full_page=True)
    with page.expect_download() as download:
        page.click("#export-download")
    saved = tmp_path / download.value.suggested_filename
    download.value.save_as(saved)
    assert saved.name == "customer.xlsx"
    sheet: Any = openpyxl.load_workbook(saved).active
    assert sorted(row[1] for row in sheet.iter_rows(min_row=2, values_only=True)) == sorted(
        NAMES)
    overflow = page.evaluate("() => document.documentElement.scrollWidth > innerWidth + 1")
    assert found == {"blocked": [], "csp": [], "console": [], "errors": []}
    assert not overflow
