"""周报 / 月报: the KPI table for a period and team, its Excel and CSV files (the same numbers
as the page), bad input explained, every view and export audited."""

from __future__ import annotations

import csv
import io
import json
import re
from typing import Any

import openpyxl
import pytest
from sqlalchemy import select

from app.audit.log import AuditEvent
from app.security.teams import Team
from tests.support.dashboards import PREVIOUS, WEEK, Data, figures, get, make_board, signed_in


@pytest.fixture(scope="module")
def board(make_app: Any) -> tuple[Any, Data]:
    return make_board(make_app)


def table(body: str) -> dict[str, list[str]]:
    rows = re.findall(r'<tr data-kpi="(\w+)">(.*?)</tr>', body, re.S)
    return {key: [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell)).strip() for cell in
                  re.findall(r"<td[^>]*>(.*?)</td>", cells, re.S)] for key, cells in rows}


def report(app: Any, user: str, **query: Any) -> Any:
    return get(signed_in(app, user), "/report/after_sales/", **query)


def test_the_weekly_report_lists_the_dashboards_kpis_with_the_previous_week(board):
    app, _ = board
    response = report(app, "manager", period="week", at=WEEK[0].isoformat())
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert re.search(r'<h2 id="report-title">(.*?)</h2>', body).group(1) == \
        "售后服务看板 · 周报 · 2026-12-07 至 2026-12-13"
    rows = table(body)
    tiles = figures(app, "manager")
    assert list(rows) == [k for k in tiles if "chart" not in tiles[k]]
    for key, cells in rows.items():
        tile = tiles[key]
        assert cells[0] == tile["label"]
        assert cells[1] == tile["text"] and cells[4] == tile["unit"]
        assert cells[2] == (tile["previous_text"] or "—")
        assert cells[3] == (tile["change_text"] or "—")


def test_the_excel_file_holds_the_pages_numbers(board):
    app, _ = board
    response = report(app, "manager", period="week", at=WEEK[0].isoformat(), format="xlsx")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="after_sales-week-2026-12-07.xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][0] == "售后服务看板 · 周报 · 2026-12-07 至 2026-12-13"
    assert values[1] == ("指标", "本期", "上期", "变化", "单位")
    tiles = figures(app, "manager")
    by_label = {t["label"]: t for t in tiles.values() if "chart" not in t}
    assert len(values) - 2 == len(by_label)
    for label, current, previous, change, unit in values[2:]:
        tile = by_label[label]
        assert change == (pytest.approx(tile["change"]) if tile["change"] is not None
                          else None)
        assert current == pytest.approx(tile["value"]) if tile["value"] is not None \
            else current is None
        if label != "未结投诉":
            assert previous == pytest.approx(tile["previous"]) \
                if tile["previous"] is not None else previous is None
        assert unit == tile["unit"]
    volume = next(r for r in values if r[0] == "投诉量")
    assert isinstance(volume[1], int | float) and volume[1] == by_label["投诉量"]["value"]


def test_the_csv_file_opens_in_excel_with_chinese_and_numbers(board):
    app, _ = board
    response = report(app, "manager", period="week", at=WEEK[0].isoformat(), format="csv")
    text = response.data.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[1] == ["指标", "本期", "上期", "变化", "单位"]
    volume = next(r for r in rows if r[0] == "投诉量")
    assert volume[1] == str(int(figures(app, "manager")["volume"]["value"]))


def test_a_team_report_counts_only_the_teams_records(board):
    app, data = board
    with app.app_context():
        second = app.appbuilder.session.execute(
            select(Team.id).where(Team.name == "客服二组")).scalar_one()
    rows = table(report(app, "manager", period="week", at=WEEK[0].isoformat(),
                        team=str(second)).get_data(as_text=True))
    theirs = [c for c in data.complaints if "staff3" in (c.owner, c.handler)
              and WEEK[0] <= c.created_on.date() < WEEK[1]]
    assert rows["volume"][1] == str(len(theirs))
    before = [c for c in data.complaints if "staff3" in (c.owner, c.handler)
              and PREVIOUS[0] <= c.created_on.date() < PREVIOUS[1]]
    assert rows["volume"][2] == str(len(before))


@pytest.mark.parametrize("query, message", [
    ({"format": "pdf"}, "不支持导出格式“pdf”，可选 xlsx 或 csv"),
    ({"team": "99999"}, "找不到所选团队，显示全部团队"),
    ({"period": "week", "at": "12/07/2026"}, "日期“12/07/2026”不是日期，请写成 YYYY-MM-DD"),
])
def test_bad_input_is_explained_and_the_report_still_shows(board, query, message):
    app, _ = board
    response = report(app, "manager", **query)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and message in body
    assert 'data-kpi="volume"' in body


def test_views_and_exports_are_audited(board):
    app, _ = board
    report(app, "supervisor", period="month", at="2026-11-01")
    report(app, "supervisor", period="month", at="2026-11-01", format="xlsx")
    with app.app_context():
        events = app.appbuilder.session.execute(
            select(AuditEvent.action, AuditEvent.username, AuditEvent.details)
            .where(AuditEvent.username == "supervisor",
                   AuditEvent.action.in_(("report", "export")))
            .order_by(AuditEvent.id.desc()).limit(2)).all()
    export, shown = events
    assert (shown.action, json.loads(shown.details)) == ("report", {
        "format": "page", "period": "2026-11-01 – 2026-11-30", "report": "after_sales", "rows": 11,
        "team": None})
    assert (export.action, json.loads(export.details)["format"]) == ("export", "xlsx")


def test_a_role_that_does_not_see_the_dashboard_gets_no_report(board):
    app, _ = board
    assert report(app, "auditor").status_code == 403
    assert get(signed_in(app, "manager"), "/report/nothing/").status_code == 404
