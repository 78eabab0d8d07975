"""导入 in Debian's Chromium, as a staffer does it: an Excel file with two bad rows shows
exactly those problems and stores nothing; the corrected file is previewed, imported by the
app server's own worker thread, and its records are on the list. At 1440 and 390 px, with
nothing reported (CSP violations, console errors) and every request kept on this machine.
Screenshots go to $PORTAL_SCREENSHOTS (default tests/artifacts/screenshots)/import."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from app.jobs.worker import stop_thread
from tests.support.app import PASSWORD
from tests.support.browser import browser, chromium_path, offline_page, serving

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("PORTAL_SCREENSHOTS") or
             Path(__file__).parent / "artifacts" / "screenshots") / "import"
HEADER = ["客户名称", "联系电话", "公司名称"]
GOOD = [["赵一", "13900000001", "甲公司"], ["钱二", "13900000002", "乙公司"],
        ["孙三", "13900000003", "丙公司"]]


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if chromium_path() is None:
        pytest.fail("Chromium is missing: run `make browser-deps`")
    with browser() as launched:
        yield launched


@pytest.fixture(scope="module")
def site(make_app: Any) -> Iterator[str]:
    app = make_app(SERVER_NAME=None, PORTAL_WORKER_THREAD=True, PORTAL_WORKER_POLL_SECONDS=1)
    try:
        with serving(app) as base_url:
            yield base_url
    finally:
        stop_thread(app)


def workbook(path: Path, rows: list[list[str]]) -> str:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return str(path)


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def table(page: Any, table_id: str) -> list[list[str]]:
    return page.evaluate(f"""() => [...document.querySelectorAll('#{table_id} tbody tr')]
        .map(tr => [...tr.querySelectorAll('td')].map(td => td.innerText.trim()))""")


@pytest.mark.parametrize("width", [1440, 390])
def test_a_staffer_fixes_two_bad_rows_and_imports_the_file(chromium, site, tmp_path, width):
    from playwright.sync_api import expect

    page, found = offline_page(chromium, site, width=width)
    page.set_default_timeout(20_000)
    page.goto("/login/")
    page.fill("#username", "staff")
    page.fill("#password", PASSWORD)
    page.click("[type=submit]")
    page.goto("/customerview/list/")
    page.click("#portal-import")
    names = [f"{n}{width}" for n in ("赵一", "钱二", "孙三")]
    good = [[name, *row[1:]] for name, row in zip(names, GOOD, strict=True)]
    bad = [good[0], ["", *good[1][1:]], [good[2][0], "12345", good[2][2]]]
    page.set_input_files("#import-file", workbook(tmp_path / "客户.xlsx", bad))
    page.click("#import-check")
    expect(page.locator("#import-problems")).to_be_visible()  # the page followed the job
    assert table(page, "import-problems") == [
        ["3", "A 客户名称", "此项为必填项。"],
        ["4", "B 联系电话",
         "请输入有效的电话号码：11 位手机号码，或如 010-12345678 的固定电话号码。"]]
    assert "没有保存任何记录" in page.inner_text("#import-problems-summary")
    shot(page, f"problems-{width}")
    page.click("#import-again")
    page.set_input_files("#import-file", workbook(tmp_path / "客户.xlsx", good))
    page.click("#import-check")
    expect(page.locator("#import-apply")).to_have_text("导入这 3 条记录")
    shot(page, f"preview-{width}")
    page.click("#import-apply")
    expect(page.locator("#import-done")).to_have_text("已导入 3 条记录。")
    page.click("#import-list")
    listed = page.inner_text("body")
    assert all(name in listed for name in names)
    overflow = page.evaluate("() => document.documentElement.scrollWidth > innerWidth + 1")
    assert found == {"blocked": [], "csp": [], "console": [], "errors": []}
    assert not overflow or width > 400
