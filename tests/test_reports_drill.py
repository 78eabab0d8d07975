"""Drill-down: a tile's, bar's or slice's link opens the list of exactly the records the
figure counted (within the viewer's row scope); a bad link shows nothing and says why."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest

from tests.support.dashboards import (
    DONE,
    NOW,
    SCOPES,
    WEEK,
    Data,
    figures,
    get,
    make_board,
    signed_in,
)


@pytest.fixture(scope="module")
def board(make_app: Any) -> tuple[Any, Data]:
    return make_board(make_app)


def listed(client: Any, link: str) -> set[int]:
    page = get(client, link + "&psize_ComplaintView=100").get_data(as_text=True)
    assert 'id="drill-banner"' in page
    return {int(i) for i in re.findall(r'/complaintview/show/(\d+)"', page)}


def in_week(c: Any) -> bool:
    return WEEK[0] <= c.created_on.date() < WEEK[1]


@pytest.mark.parametrize("viewer", ["manager", "staff"])
def test_tiles_and_groups_list_exactly_the_records_counted(board, viewer):
    app, data = board
    sees = SCOPES[viewer]
    mine = [c for c in data.complaints if sees(c, c.owner, c.handler)]
    shown = figures(app, viewer)
    client = signed_in(app, viewer)
    week = {c.id for c in mine if in_week(c)}
    assert listed(client, shown["volume"]["link"]) == week
    assert len(week) == shown["volume"]["value"]
    resolved = {c.id for c in mine if in_week(c) and c.state in DONE}
    assert listed(client, shown["resolution_rate"]["link"]) == resolved
    assert shown["resolution_rate"]["hits"] == len(resolved)
    measured = {c.id for c in mine if in_week(c) and c.resolved_on}
    assert listed(client, shown["handling_avg"]["link"]) == measured
    chart = shown["by_channel"]
    for label, value, link in zip(chart["labels"], chart["values"], chart["links"],
                                  strict=True):
        channel = {"电话": "phone", "邮件": "email", "在线客服": "online",
                   "社交媒体": "social"}[label]
        ids = {c.id for c in mine if in_week(c) and c.channel == channel}
        assert listed(client, link) == ids and len(ids) == value
    day = shown["by_day"]
    monday = {c.id for c in mine if c.created_on.date() == WEEK[0]}
    assert listed(client, day["links"][0]) == monday
    age = shown["backlog_by_age"]
    older = {c.id for c in mine if c.state not in DONE and
             (NOW - c.created_on).total_seconds() > 7 * 86400}
    assert listed(client, age["links"][3]) == older and len(older) == age["values"][3]
    team = shown["by_team"]
    second = team["labels"].index("客服二组") if "客服二组" in team["labels"] else None
    if second is not None:
        theirs = {c.id for c in mine if in_week(c) and "staff3" in (c.owner, c.handler)}
        assert listed(client, team["links"][second]) == theirs
    handler = shown["backlog_by_handler"]
    nobody = handler["labels"].index("（未填写）")
    unassigned = {c.id for c in mine if c.state not in DONE and c.handler is None}
    assert listed(client, handler["links"][nobody]) == unassigned


def test_the_banner_names_the_figure_and_offers_the_whole_list(board):
    app, _ = board
    shown = figures(app, "manager")
    client = signed_in(app, "manager")
    page = get(client, shown["by_channel"]["links"][0]).get_data(as_text=True)
    banner = re.search(r'<span id="drill-text">(.*?)</span>', page).group(1)
    assert banner == (f"售后服务看板 · 受理渠道 · {WEEK[0]} 至 "
                      f"{WEEK[1] - dt.timedelta(days=1)} · {shown['by_channel']['labels'][0]}")
    assert 'id="drill-clear" href="/complaintview/list/"' in page


@pytest.mark.parametrize("query, message", [
    ("_drill=after_sales.nothing", "看板链接无效：找不到对应的统计项"),
    ("_drill=after_sales.satisfaction", "看板链接无效：找不到对应的统计项"),  # another form
    ("_drill=after_sales.by_channel&period=week&_g=%5B1%5D", "看板链接中的分组无效"),
    ("_drill=after_sales.backlog_by_age&_g=9", "看板链接中的分组无效"),
    ("_drill=after_sales.by_day&period=week&at=2026-12-07&_g=%22not-a-day%22",
     "看板链接中的分组无效"),
    ("_drill=after_sales.volume&period=year",
     "没有“year”这种统计周期，可选：日、周、月或自定义日期"),
    ("_drill=after_sales.volume&period=range&from=2026-12-09&to=2026-12-01",
     "结束日期 2026-12-01 早于开始日期 2026-12-09"),
])
def test_a_bad_link_lists_nothing_and_says_why(board, query, message):
    app, _ = board
    client = signed_in(app, "manager")
    response = get(client, f"/complaintview/list/?{query}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'<div class="alert alert-warning" id="drill-banner">{message}</div>' in page
    assert not re.findall(r'/complaintview/show/(\d+)"', page)


def test_a_filtered_figure_lists_only_the_filtered_records(board):
    app, data = board
    shown = figures(app, "manager", f_channel="email", f_category="quality")
    client = signed_in(app, "manager")
    link = shown["volume"]["link"]
    assert "f_category=quality" in link and "f_channel=email" in link
    assert listed(client, link) == {c.id for c in data.complaints if in_week(c)
                                    and c.channel == "email" and c.category == "quality"}
    page = get(client, link).get_data(as_text=True)
    assert re.search(r'<span id="drill-text">(.*?)</span>', page).group(1).endswith(
        " · 受理渠道：邮件 · 问题性质：产品质量")
    bad = get(client, link.replace("f_channel=email", "f_channel=fax"))
    assert "“fax”不是受理渠道的选项，已忽略" in bad.get_data(as_text=True)
