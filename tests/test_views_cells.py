"""List cells and record pages: "—" for no value, 是/否 (Yes/No in English) for true and false,
users by their full name and references by their record's name, never None or an id."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import Markup

from app.portal import portal_of
from app.views.cells import EMPTY, cell, every_cell
from app.views.workflow_columns import Deadline
from tests.support.app import login, user_id
from tests.support.crawl import visible_text
from tests.support.factories import make_record


def test_a_cell_without_a_value_is_a_dash_and_values_pass_through(app: Flask) -> None:
    plain = cell()
    assert [plain(v) for v in (None, "", "  ", [], Deadline(None, False))] == [EMPTY] * 5
    assert [plain(v) for v in (0, Decimal("0.00"), "甲", Markup("<b>乙</b>"))] == [
        0, Decimal("0.00"), "甲", Markup("<b>乙</b>")]
    with app.test_request_context():
        assert [str(plain(True)), str(plain(False))] == ["是", "否"]
    assert cell(lambda v: v * 2)(21) == 42
    assert cell(lambda v: "")(1) == EMPTY  # the formatter found nothing to show
    seen: list[Any] = []
    assert cell(seen.append)(None) == EMPTY and seen == []  # a formatter sees values only
    both = every_cell({"a": str.upper}, ["a", "b", "a"])
    assert sorted(both) == ["a", "b"] and both["a"]("x") == "X" and both["b"](None) == EMPTY


@pytest.fixture(scope="module")
def records(make_app: Callable[..., Flask]) -> dict[str, Any]:
    app = make_app()
    spec = portal_of(app).spec
    customer = make_record(app, spec.form("customer"), name="李先生", company=None,
                           notes=None)
    complaint = spec.form("complaint")
    empty = make_record(app, complaint, customer=customer.id, satisfied=False,
                        resolution=None, batch_no=None, production_date=None,
                        product_name="空值产品")
    full = make_record(app, complaint, customer=customer.id, satisfied=True,
                       handler=user_id(app, "staff"), product_name="有值产品",
                       occurred_at=dt.datetime(2026, 3, 1, 9, 0))
    return {"app": app, "customer": customer.id, "empty": empty.id, "full": full.id}


def _client(app: Flask, language: str = "zh") -> FlaskClient:
    client = app.test_client()
    if language == "en":
        with client.session_transaction() as session:
            session["locale"] = "en"
    login(client, "supervisor")
    return client


def _rows(page: str) -> dict[str, str]:
    """A record page's label → shown value."""
    cells = re.findall(r"<th[^>]*>(.*?)</th>\s*<td>(.*?)</td>", page, re.S)
    return {visible_text(k): visible_text(v) for k, v in cells}


def test_a_record_page_shows_dashes_yes_no_names_and_no_none(records: dict[str, Any]) -> None:
    client = _client(records["app"])
    page = client.get(f"/complaintview/show/{records['empty']}").get_data(as_text=True)
    rows = _rows(page)
    assert {k: rows[k] for k in ("客户", "处理人", "处理结果", "生产批号", "生产日期",
                                 "客户满意", "首次响应时间", "首次响应超时", "升级时间",
                                 "创建人", "修改人")} == {
        "客户": "李先生", "处理人": EMPTY, "处理结果": EMPTY, "生产批号": EMPTY,
        "生产日期": EMPTY, "客户满意": "否", "首次响应时间": EMPTY, "首次响应超时": "否",
        "升级时间": EMPTY, "创建人": "staff test", "修改人": "staff test"}
    assert "None" not in visible_text(page)
    full = _rows(client.get(f"/complaintview/show/{records['full']}").get_data(as_text=True))
    assert (full["处理人"], full["客户满意"], full["发生时间"]) == (
        "staff test", "是", "2026-03-01 09:00:00")
    customer = _rows(client.get(f"/customerview/show/{records['customer']}")
                     .get_data(as_text=True))
    assert (customer["公司名称"], customer["备注（偏好、购买记录）"]) == (EMPTY, EMPTY)


def test_a_list_shows_yes_and_no_and_the_customer_by_name(records: dict[str, Any]) -> None:
    client = _client(records["app"])
    page = client.get("/complaintview/list/").get_data(as_text=True)
    rows = {visible_text(r) for r in re.findall(r"<tr[^>]*>(.*?)</tr>", page, re.S)}
    assert any("李先生 空值产品" in r and r.endswith(" 否") for r in rows), rows
    assert any("李先生 有值产品" in r and r.endswith(" 是") for r in rows), rows
    assert "None" not in visible_text(page)


def test_in_english_true_and_false_are_yes_and_no(records: dict[str, Any]) -> None:
    client = _client(records["app"], "en")
    empty = _rows(client.get(f"/complaintview/show/{records['empty']}").get_data(as_text=True))
    full = _rows(client.get(f"/complaintview/show/{records['full']}").get_data(as_text=True))
    assert (empty["Customer satisfied"], full["Customer satisfied"]) == ("No", "Yes")
    assert (empty["Handler"], empty["Resolution"]) == (EMPTY, EMPTY)


def test_the_audit_log_shows_dashes_for_what_an_event_lacks(records: dict[str, Any]) -> None:
    """Events of the command line have no IP address, browser or user id."""
    client = records["app"].test_client()
    login(client, "auditor")
    page = client.get("/audit/list/?psize_AuditEventView=100").get_data(as_text=True)
    assert "None" not in visible_text(page)
    rows = [r for r in re.findall(r"<tr[^>]*>(.*?)</tr>", page, re.S) if "cli:" in r]
    assert rows, "no command-line event listed"
    row = visible_text(rows[0])
    assert row.split()[4:6] == [EMPTY, EMPTY], row  # after 查看, time, user: roles, IP
    pk = re.search(r'href="/audit/show/(\d+)"', rows[0])
    assert pk
    shown = _rows(client.get(f"/audit/show/{pk.group(1)}").get_data(as_text=True))
    assert (shown["IP 地址"], shown["浏览器"]) == (EMPTY, EMPTY)
