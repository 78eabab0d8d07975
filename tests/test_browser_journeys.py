"""Every user group's day in Chromium, on a desktop (1440 px) and a phone (390 px), against
the served portal of the base pack and of the cosmetics pack: staff register a complaint
(sections, nothing pre-selected, a validation error, then its number), find it among the
customer's records and propose two compensations from it (the complaint filled in); the
supervisor and the manager approve them from 我的待办; the auditor reads the complaint's
history in words. No form element
reaches past the screen. Screenshots of each step go to $PORTAL_SCREENSHOTS (default
tests/artifacts/screenshots), kept by CI."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.browser import (
    Portal,
    browser,
    choose_select2,
    chromium_path,
    flask_cli,
    login,
    new_page,
    overflowing,
    portal_env,
    running_portal,
)

pytestmark = pytest.mark.browser

PASSWORD = "Journey-pass-2026"
SHOTS = Path(os.environ.get("PORTAL_SCREENSHOTS") or
             Path(__file__).parent / "artifacts" / "screenshots")
WIDTHS = (1440, 390)
PACKS: dict[str, str] = {}  # a running portal's address → its pack
LEGENDS = {
    "base": ["客户信息", "产品信息", "问题", "处理"],
    "cosmetics": ["客户信息", "产品信息", "购买信息", "问题", "皮肤不良反应", "处理"],
}


@pytest.fixture(scope="module", params=["base", "cosmetics"])
def portal(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    if chromium_path() is None:
        pytest.fail("Chromium is missing: run `make browser-deps`")
    folder = tmp_path_factory.mktemp(f"journeys-{request.param}")
    industry = {"PORTAL_INDUSTRY": request.param if request.param != "base" else ""}
    with running_portal(folder, industry, username="staff_a",
                        password=PASSWORD) as running:
        PACKS[running.base_url] = request.param
        env = portal_env(folder, industry)
        env["DATABASE_URL"] = running.database_url
        for name, role in (("staff_b", "staff"), ("lead_a", "supervisor"),
                           ("lead_b", "supervisor"), ("boss_a", "manager"),
                           ("boss_b", "manager"), ("audit_a", "auditor"),
                           ("audit_b", "auditor")):
            flask_cli(env, "portal", "user", "create", name, "--role", role,
                      "--password", PASSWORD)
        flask_cli(env, "portal", "team", "create", "客服一组")
        for name in ("staff_a", "staff_b", "lead_a", "lead_b"):
            flask_cli(env, "portal", "team", "add", "客服一组", name)
        yield running


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    with browser(chromium_path()) as launched:
        yield launched


def shot(page: Any, width: int, step: str) -> None:
    folder = SHOTS / getattr(page, "pack", "base") / str(width)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{step}.png"), full_page=True)


def fits(page: Any, width: int, step: str) -> None:
    shot(page, width, step)
    if width < 768:
        assert overflowing(page) == [], step


def user_page(chromium: Any, portal: Portal, width: int, username: str) -> Any:
    page = new_page(chromium, portal, width=width)
    page.pack = PACKS[portal.base_url]  # where its screenshots go
    login(page, portal, username, PASSWORD)
    return page


def fire(page: Any, label: str) -> None:
    """Open the transition's dialog page (its no-script link) and confirm it."""
    href = page.locator("a.portal-transition, a.mywork-action", has_text=label).first \
        .get_attribute("href")
    page.goto(href)
    page.locator("button.portal-transition-submit").click()
    page.wait_for_load_state()


@pytest.mark.parametrize("width", WIDTHS)
def test_each_user_groups_journey(chromium: Any, portal: Portal, width: int) -> None:
    tag = "a" if width == WIDTHS[0] else "b"
    customer_name, product = f"旅程客户{tag}", f"保湿精华{tag}"

    # 客服: the customer, then a complaint from the customer's page.
    staff = user_page(chromium, portal, width, f"staff_{tag}")
    staff.goto("/complaintview/add")
    assert staff.input_value("select#customer") == ""  # nobody pre-selected
    staff.goto("/customerview/add")
    staff.fill("#name", customer_name)
    staff.fill("#phone", "1370000" + ("1111" if tag == "a" else "2222"))
    staff.locator("#model_form button[type=submit]").click()
    staff.wait_for_load_state()
    assert "/customerview/show/" in staff.url
    customer_url = staff.url
    staff.locator(".portal-related-add", has_text="新增投诉登记").click()
    staff.wait_for_load_state()
    legends = staff.locator("legend.portal-section-title").all_inner_texts()
    assert legends == LEGENDS[PACKS[portal.base_url]]
    assert customer_name in staff.locator("select#customer + .select2-container").inner_text()
    fits(staff, width, "01-complaint-form")
    staff.fill("#product_name", product)
    staff.fill("#occurred_at", "2026-12-05T10:00")
    staff.fill("#description", "使用后面部出现红肿，要求退款")
    staff.fill("#batch_no", "B2026/11")  # a batch number with a '/': refused by the server
    staff.locator("#model_form button[type=submit]").click()
    staff.wait_for_load_state()
    assert "/complaintview/add" in staff.url
    assert "批号只能包含字母、数字和连字符" in staff.locator("#model_form").inner_text()
    fits(staff, width, "02-complaint-refused")
    staff.fill("#batch_no", "B2026-11")
    staff.locator("#model_form button[type=submit]").click()
    staff.wait_for_load_state()
    assert "/complaintview/show/" in staff.url
    complaint_url = staff.url
    title = staff.locator("#portal-record-title").inner_text()
    assert re.fullmatch(rf"TS-\d{{8}}-\d{{4}} {customer_name} {product}", title), title
    fits(staff, width, "03-complaint-record")

    staff.goto(customer_url)
    related = staff.locator("#portal-related-complaint")
    assert title in related.inner_text()
    fits(staff, width, "04-customer-360")

    for amount in ("300", "1200"):  # a supervisor's and a manager's approval
        staff.goto(complaint_url)
        staff.locator(".portal-related-add", has_text="新增补偿审批").click()
        staff.wait_for_load_state()
        assert title in staff.locator("select#complaint + .select2-container").inner_text()
        choose_select2(staff, "kind", "退款")
        staff.fill("#amount", amount)
        staff.fill("#reason", "过敏就医，按规定退款")
        staff.locator("#model_form button[type=submit]").click()
        staff.wait_for_load_state()
        assert "/compensationview/show/" in staff.url
        fire(staff, "提交主管审批" if amount == "300" else "提交经理审批")
        assert "待主管审批" in staff.content() or "待经理审批" in staff.content()
    fits(staff, width, "05-compensation-submitted")
    staff.context.close()

    # 主管 and 经理: approve from 我的待办.
    for username, button, waiting in ((f"lead_{tag}", "主管批准", "退款 300.00元"),
                                      (f"boss_{tag}", "经理批准", "退款 1200.00元")):
        leader = user_page(chromium, portal, width, username)
        leader.goto("/mywork/")
        row = leader.locator(".mywork-row", has_text=waiting)
        assert title in row.inner_text()
        fits(leader, width, f"06-mywork-{username[:-2]}")
        href = row.locator("a.mywork-action", has_text=button).get_attribute("href")
        leader.goto(href)
        leader.locator("button.portal-transition-submit").click()
        leader.wait_for_load_state()
        assert "已批准" in leader.content()
        leader.context.close()

    # 审计: the complaint's history in words.
    auditor = user_page(chromium, portal, width, f"audit_{tag}")
    pk = complaint_url.rstrip("/").rsplit("/", 1)[1]
    auditor.goto(f"/audit/timeline/complaint/{pk}")
    text = auditor.locator("body").inner_text()
    assert title in text and "使用后面部出现红肿，要求退款" in text  # the created values
    assert not re.search(r"\b(registered|None|True|False)\b", text)
    fits(auditor, width, "07-audit-history")
    auditor.context.close()
