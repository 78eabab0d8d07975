"""Real-browser smoke test: Chromium (Debian's) drives the running portal through its Chinese
screens — sign in as staff, file a customer, register a complaint, find it in the list.

Needs /usr/bin/chromium (`apt-get install chromium`); skips with that hint otherwise.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
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
    overflowing,
    running_portal,
    type_date,
)

pytestmark = pytest.mark.browser

CUSTOMER = {"name": "张三", "phone": "13812345678", "company": "华东示例贸易有限公司"}
COMPLAINT = {
    "product_name": "空气净化器 AP-300",
    "product_spec": "220V / 50Hz",
    "batch_no": "B2024-0115",
    "production_date": "2024-01-15",
    "occurred_at": "2024-03-02 10:30:00",
    "description": "使用一周后运行时异响明显，客户要求上门检修。",
    "expectation": "免费维修或更换",
}
ADDED = "记录已添加"  # FAB's zh flash for "Added Row"


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
    with running_portal(tmp_path_factory.mktemp("portal")) as running:
        yield running


@pytest.fixture(scope="module")
def chromium(chromium_executable: str) -> Iterator[Any]:
    with browser(chromium_executable) as launched:
        yield launched


@pytest.fixture
def page(chromium: Any, portal: Portal) -> Iterator[Any]:
    page = new_page(chromium, portal)
    try:
        yield page
    finally:
        page.context.close()


def add_customer(page: Any, name: str, phone: str) -> None:
    """A customer filed through the generated add form, as staff do."""
    page.goto("/customerview/add")
    page.fill("#name", name)
    page.fill("#phone", phone)
    page.locator("#model_form button[type=submit]").click()
    page.wait_for_load_state()
    assert ADDED in alert_texts(page), alert_texts(page)


def test_staff_registers_a_complaint_and_finds_it_in_the_list(page: Any, portal: Portal,
                                                              tmp_path: Path) -> None:
    login(page, portal)
    assert page.locator("input[name=password]").count() == 0
    assert portal.username in page.locator(".navbar").inner_text()

    # 客户档案: the generated add form, labelled from customer.yaml in Chinese.
    page.goto("/customerview/add")
    form = page.locator("#model_form")
    assert page.locator(".panel-title").first.inner_text().strip() == "客户档案"
    for label in ("客户名称", "联系电话", "公司名称", "地址", "电子邮箱"):
        assert label in form.inner_text()
    page.fill("#name", CUSTOMER["name"])
    page.fill("#phone", CUSTOMER["phone"])
    page.fill("#company", CUSTOMER["company"])
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert ADDED in alert_texts(page), alert_texts(page)

    # 投诉登记: choose the customer in its select2, fill the rest, save.
    page.goto("/complaintview/add")
    form = page.locator("#model_form")
    assert page.locator(".panel-title").first.inner_text().strip() == "投诉登记"
    for label in ("客户", "产品名称", "发生时间", "投诉事由 / 问题描述", "严重程度"):
        assert label in form.inner_text()
    choose_select2(page, "customer", CUSTOMER["name"])
    choose_select2(page, "channel", "在线客服")
    page.fill("#product_name", COMPLAINT["product_name"])
    page.fill("#product_spec", COMPLAINT["product_spec"])
    page.fill("#batch_no", COMPLAINT["batch_no"])
    type_date(page, "production_date", COMPLAINT["production_date"])
    page.fill("#occurred_at", COMPLAINT["occurred_at"].replace(" ", "T"))
    page.fill("#description", COMPLAINT["description"])
    page.fill("#expectation", COMPLAINT["expectation"])
    page.select_option("select#category", "quality")
    choose_select2(page, "severity", "严重")
    assert page.input_value("select#customer") == "1"
    assert page.input_value("#production_date") == COMPLAINT["production_date"]
    assert page.get_attribute("#occurred_at", "type") == "datetime-local"
    # Chromium drops ':00' seconds from the value; the server accepts both forms.
    assert page.input_value("#occurred_at") == COMPLAINT["occurred_at"].replace(" ", "T")[:16]
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert ADDED in alert_texts(page), alert_texts(page)

    # The complaint list: Chinese title and columns, the new row.
    page.goto("/complaintview/list/")
    assert page.locator(".panel-title").first.inner_text().strip() == "投诉登记"
    table = page.locator("table.table")
    header = table.locator("thead").inner_text()
    for label in ("客户", "产品名称", "问题性质", "优先级", "状态", "解决期限"):
        assert label in header
    row = table.locator("tbody tr", has_text=COMPLAINT["product_name"])
    assert row.count() == 1
    row_text = row.inner_text()
    for text in (CUSTOMER["name"], "产品质量", "普通", "已登记"):
        assert text in row_text
    screenshot = tmp_path / "complaint_list.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.stat().st_size > 0
    print(f"complaint list screenshot: {screenshot}")

    # Its detail page kept the datetime and the date exactly.
    row.locator("a[href*='/complaintview/show/']").first.click()
    page.wait_for_load_state()
    details = page.locator(".panel-body").first.inner_text()
    assert COMPLAINT["occurred_at"] in details
    assert COMPLAINT["production_date"] in details
    assert COMPLAINT["description"] in details


def test_staff_sees_a_masked_phone_and_reveals_it_on_purpose(page: Any, portal: Portal) -> None:
    login(page, portal)
    add_customer(page, "李四", "13987654321")

    page.goto("/customerview/list/")
    row = page.locator("table.table tbody tr", has_text="李四")
    assert "139****4321" in row.inner_text()
    assert "13987654321" not in page.content()

    row.locator("a[href*='/customerview/show/']").first.click()
    page.wait_for_load_state()
    assert "139****4321" in page.locator(".panel-body").first.inner_text()
    assert page.locator("#portal-reveal-address").count() == 0  # staff reveal phones only
    page.locator("#portal-reveal-phone").click()
    page.wait_for_load_state()
    assert "13987654321" in page.locator(".panel-body").first.inner_text()

    # the edit form never carries the number: empty input, masked placeholder
    page.goto(page.url.replace("/reveal/", "/edit/").rsplit("/", 1)[0])
    assert page.input_value("#phone") == ""
    assert page.get_attribute("#phone", "placeholder") == "139****4321"


def test_staff_accepts_a_complaint_through_the_transition_dialog(page: Any,
                                                                 portal: Portal) -> None:
    """The record page's 受理并分派 button opens its dialog (a Bootstrap modal), which asks
    for the handler; saving moves the complaint on and records the step in its history."""
    login(page, portal)
    add_customer(page, "王五", "13711112222")
    page.goto("/complaintview/add")
    choose_select2(page, "customer", "王五")
    page.fill("#product_name", "净水器 WP-9")
    page.fill("#occurred_at", "2026-03-02T10:30")
    page.fill("#description", "滤芯漏水，地板被泡。")
    page.locator("#model_form button[type=submit]").click()
    page.wait_for_load_state()
    assert ADDED in alert_texts(page), alert_texts(page)

    page.goto("/complaintview/list/")
    row = page.locator("table.table tbody tr", has_text="净水器 WP-9")
    assert "已登记" in row.locator(".portal-state").inner_text()
    row.locator("a[href*='/complaintview/show/']").first.click()
    page.wait_for_load_state()
    assert page.locator("#portal-state").inner_text().strip() == "已登记"
    assert page.locator(".portal-transition").all_inner_texts() == ["受理并分派"]

    page.locator("#portal-transition-accept").click()
    modal = page.locator("#portal-modal-accept")
    modal.wait_for(state="visible")
    assert "处理人" in modal.inner_text()
    choose_select2(page, "modal-accept-handler", portal.username)
    modal.locator("textarea").fill("已电话联系客户，安排上门")
    modal.locator("button[type=submit]").click()
    page.wait_for_load_state()
    assert any("受理并分派" in text and "已受理" in text for text in alert_texts(page)), \
        alert_texts(page)
    assert page.locator("#portal-state").inner_text().strip() == "已受理"
    history = page.locator("table.portal-history").inner_text()
    assert "受理并分派" in history and portal.username in history
    assert "已电话联系客户，安排上门" in history


def test_staff_finds_a_customer_by_phone_as_they_type_and_by_quick_search(
        page: Any, portal: Portal, tmp_path: Path) -> None:
    """The customer select holds nothing until one types; a phone number finds its customer
    (shown masked); the list's customer filter and the navigation bar's search find it too."""
    login(page, portal)
    add_customer(page, "赵六", "13655556666")
    add_customer(page, "赵七", "13655557777")
    page.goto("/complaintview/add")
    assert page.locator("select#customer option[value]:not([value='__None'])").count() == 0
    page.locator("select#customer + .select2-container .select2-selection").click()
    page.locator(".select2-container--open .select2-search__field").fill("136 5555 7777")
    from playwright.sync_api import expect

    results = page.locator(".select2-container--open .select2-results__option")
    expect(results).to_have_count(1)  # the typed number's answer replaced the first page
    expect(results.first).to_have_text("赵七 · 136****7777")
    results.first.click()
    assert page.locator("select#customer option:checked").inner_text() == "赵七 · 136****7777"
    page.screenshot(path=str(tmp_path / "lookup.png"))

    # the complaint list's 客户 filter: picked the same way, named again after the search
    page.goto("/complaintview/list/")
    page.locator("a.accordion-toggle[href='#accordion1_href']").click()  # 搜索
    page.locator("#filter_form .dropdown-toggle").click()
    page.locator("#filter_form a.filter[name=customer]").click()
    page.locator("#filter_form select.portal-lookup + .select2-container .select2-selection"
                 ).click()
    page.locator(".select2-container--open .select2-search__field").fill("赵六")
    expect(results).to_have_count(1)
    results.first.click()
    page.locator("#filter_form button[type=submit]").click()
    page.wait_for_load_state()
    assert "_flt_0_customer=" in page.url
    expect(page.locator("#filter_form .select2-selection__rendered").last).to_contain_text(
        "赵六 · 136****6666")

    page.locator(".portal-quick-search-link a").click()  # the desktop bar's 🔍
    page.wait_for_load_state()
    page.fill("#quick-search-form input[name=q]", "13655556666")
    page.press("#quick-search-form input[name=q]", "Enter")
    page.wait_for_load_state()
    hits = page.locator(".quick-search-hit")
    assert hits.count() == 1
    assert "赵六" in hits.first.inner_text() and "136****6666" in hits.first.inner_text()
    hits.first.click()
    page.wait_for_load_state()
    assert "/customerview/show/" in page.url


def test_on_a_phone_forms_and_record_pages_fit_the_screen(chromium: Any, portal: Portal,
                                                          tmp_path: Path) -> None:
    """At 390 px every add form and a record page are one column: no input, select or
    value reaches past the screen (FAB's add form was 670 px wide inside 356). The record
    page opened after saving has its number, an edit button and its related records."""
    page = new_page(chromium, portal, width=390)
    try:
        login(page, portal)
        add_customer(page, "手机端客户", "13700001234")
        assert "/customerview/show/" in page.url
        page.locator(".portal-related-add", has_text="新增投诉登记").click()
        page.wait_for_load_state()
        assert overflowing(page) == []
        assert "手机端客户" in page.locator("select#customer + .select2-container").inner_text()
        page.fill("#product_name", "手机端面霜")
        page.fill("#occurred_at", "2026-12-05T10:00")
        page.fill("#description", "用后皮肤发红发痒")
        page.locator("#model_form button[type=submit]").click()
        page.wait_for_load_state()
        assert "/complaintview/show/" in page.url
        title = page.locator("#portal-record-title").inner_text()
        assert re.fullmatch(r"TS-\d{8}-\d{4} 手机端客户 手机端面霜", title), title
        assert page.locator("#portal-edit").is_visible()
        assert overflowing(page) == []
        page.screenshot(path=str(tmp_path / "phone_complaint.png"), full_page=True)
        for form in ("customer", "complaint", "compensation", "satisfactionsurvey"):
            page.goto(f"/{form}view/add")
            assert page.locator("#model_form").count() == 1, form
            assert overflowing(page) == [], form
            page.goto(f"/{form}view/list/")  # a card per row: every column on screen
            assert overflowing(page) == [], form
            assert not page.locator("table.table-hover thead").is_visible(), form
        # 我的待办's badge comes after the page (/mywork/count) and matches the page's total
        # (one sign-in for both: the portal limits sign-ins per account and minute).
        page.goto("/mywork/")
        total = page.locator("#mywork-total").get_attribute("data-count")
        assert total is not None and page.locator(".mywork-row").count() == int(total)
        assert int(total) >= 1  # the complaint just registered waits to be accepted
        page.goto("/customerview/list/")
        badge = page.locator('.navbar a[href="/mywork/"] .portal-mywork-badge')
        badge.wait_for(state="attached")
        assert badge.get_attribute("data-count") == total
    finally:
        page.context.close()
