"""The 看板 pages: who sees which dashboard, the period picker and its bad input, the short
cache per (dashboard, period, scope), and the audit of every view."""

from __future__ import annotations

import re
from typing import Any

import pytest
import time_machine
from sqlalchemy import select

from app.audit.log import AuditEvent
from tests.support.dashboards import NOW, WEEK, Data, get, make_board, page_data, signed_in
from tests.support.statements import statements_of


@pytest.fixture(scope="module")
def board(make_app: Any) -> tuple[Any, Data]:
    return make_board(make_app, PORTAL_DASHBOARD_CACHE_SECONDS=60)


def page(app: Any, user: str, **query: Any) -> tuple[int, str]:
    response = get(signed_in(app, user), "/dashboard/after_sales/", **query)
    return response.status_code, response.get_data(as_text=True)


@pytest.mark.parametrize("user", ["staff", "supervisor", "manager", "admin"])
def test_the_roles_named_and_their_heirs_find_it_in_the_menu(board, user):
    app, _ = board
    status, body = page(app, user)
    assert status == 200
    assert '<a tabindex="-1" href="/dashboard/after_sales/">' in body and "售后服务看板" in body
    assert '<div class="portal-chart" data-widget="by_channel" id="chart-by_channel">' in body
    assert "vendor/echarts/echarts.min.js" in body and "portal/dashboard.js" in body


def test_a_role_not_named_neither_sees_nor_opens_it(board):
    app, _ = board
    client = signed_in(app, "auditor")
    home = get(client, "/").get_data(as_text=True)
    assert "/dashboard/after_sales/" not in home
    assert get(client, "/dashboard/after_sales/").status_code == 403


def test_an_unknown_dashboard_is_not_found(board):
    app, _ = board
    assert get(signed_in(app, "manager"), "/dashboard/nothing/").status_code == 404


@pytest.mark.parametrize("query, message, label", [
    ({"period": "year"}, "没有“year”这种统计周期，可选：日、周、月或自定义日期",
     "2026-12-07 至 2026-12-13"),
    ({"period": "week", "at": "<script>"}, "日期“&lt;script&gt;”不是日期，请写成 YYYY-MM-DD",
     "2026-12-07 至 2026-12-13"),
    ({"period": "range", "from": "2026-12-01"}, "自定义周期需要开始日期和结束日期",
     "2026-12-07 至 2026-12-13"),
    ({"period": "range", "from": "2020-01-01", "to": "2026-12-01"}, "自定义周期最长 731 天",
     "2026-12-07 至 2026-12-13"),
    ({"f_channel": "fax"}, "“fax”不是受理渠道的选项，已忽略", "2026-12-07 至 2026-12-13"),
    ({"period": "month", "at": "2026-11-15"}, None, "2026年11月"),
    ({"period": "range", "from": "2026-12-01", "to": "2026-12-03"}, None,
     "2026-12-01 至 2026-12-03"),
])
def test_the_period_picker_explains_what_it_cannot_read(board, query, message, label):
    app, _ = board
    status, body = page(app, "manager", **query)
    assert status == 200
    assert f'<span class="btn btn-default disabled" id="period-label">{label}</span>' in body
    if message:
        assert message in body
    else:
        assert "alert-warning" not in body


def test_previous_and_next_step_by_the_period_keeping_the_filters(board):
    app, _ = board
    _, body = page(app, "manager", period="week", at="2026-12-09")
    assert 'href="/dashboard/after_sales/?period=week&amp;at=2026-11-30"' in body
    assert 'href="/dashboard/after_sales/?period=week&amp;at=2026-12-14"' in body
    _, body = page(app, "manager", period="week", at="2026-12-09", f_channel="phone")
    assert ('href="/dashboard/after_sales/?period=week&amp;at=2026-11-30&amp;f_channel=phone"'
            in body)
    assert '<option value="phone" selected>受理渠道：电话</option>' in body


def test_a_refresh_within_a_minute_is_served_from_the_cache(board):
    app, data = board
    client = signed_in(app, "manager")
    first = page_data(get(client, "/dashboard/after_sales/", period="day",
                          at="2026-12-08").get_data(as_text=True))
    with time_machine.travel(NOW, tick=False):
        status, statements = statements_of(
            app, client, "/dashboard/after_sales/?period=day&at=2026-12-08")
    again = get(client, "/dashboard/after_sales/", period="day", at="2026-12-08")
    assert status == 200 and page_data(again.get_data(as_text=True)) == first
    counted = [s for s in statements if "form_complaint" in s and "count(" in s.lower()]
    assert counted == []  # no figure was counted again
    staff = page_data(page(app, "staff", period="day", at="2026-12-08")[1])
    volume = {t["key"]: t["value"] for t in staff["tiles"]}["volume"]
    assert volume == sum(1 for c in data.complaints if c.created_on.date().isoformat() ==
                         "2026-12-08" and "staff" in (c.owner, c.handler))  # not the manager's


def test_every_view_is_audited_with_the_dashboard_and_period(board):
    app, _ = board
    page(app, "supervisor", period="week", at=WEEK[0].isoformat())
    with app.app_context():
        event = app.appbuilder.session.execute(
            select(AuditEvent).where(AuditEvent.action == "report")
            .order_by(AuditEvent.id.desc())).scalars().first()
        assert (event.username, event.details) == (
            "supervisor", '{"dashboard": "after_sales", "figures": 21, '
            '"period": "2026-12-07 – 2026-12-13"}')
    assert NOW.date() >= WEEK[0]


def test_tiles_show_the_figure_its_unit_and_the_change(board):
    app, _ = board
    _, body = page(app, "manager")
    data = page_data(body)
    volume = next(t for t in data["tiles"] if t["key"] == "volume")
    tile = re.search(r'<a class="portal-tile" id="tile-volume".*?</a>', body, re.S).group(0)
    assert f'<span class="tile-figure">{volume["text"]}</span>' in tile
    assert '<span class="portal-tile-unit">件</span>' in tile
    assert f'上期 {volume["previous_text"]} · {volume["change_text"]}' in re.sub(r"\s+", " ",
                                                                               tile)


@pytest.mark.parametrize("pack, widgets", [
    ("cosmetics", ["skin_by_batch", "returns_by_reason", "by_purchase_channel"]),
    ("education", ["renewal_intentions", "by_district"]),
])
def test_each_pack_adds_its_own_figures_to_the_base_dashboard(pack_apps, pack, widgets):
    app = pack_apps[pack]
    client = app.test_client()
    from tests.support.app import login
    login(client, "manager")
    body = client.get("/dashboard/after_sales/").get_data(as_text=True)
    shown = [w["key"] for w in page_data(body)["widgets"]]
    assert shown[:3] == ["by_day", "by_channel", "by_category"]  # the base dashboard's
    assert shown[-len(widgets):] == widgets
    tiles = [t["key"] for t in page_data(body)["tiles"]]
    assert {"cosmetics": "skin_reactions", "education": "renewal_rate"}[pack] in tiles
