"""`flask portal report weekly|monthly --to FILE`: the same KPIs as the report page, for
cron; the last complete period by default; clear refusals; audited as an export."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import time_machine
from sqlalchemy import select

from app.audit.log import AuditEvent
from tests.support.dashboards import NOW, WEEK, Data, figures, make_board


@pytest.fixture(scope="module")
def board(make_app: Any) -> tuple[Any, Data]:
    return make_board(make_app)


def run(app: Any, *args: str) -> Any:
    with time_machine.travel(NOW, tick=False):
        return app.test_cli_runner().invoke(args=["portal", "report", *args])


def test_weekly_writes_last_weeks_kpis_as_excel(board, tmp_path: Path):
    app, data = board
    target = tmp_path / "weekly.xlsx"
    result = run(app, "weekly", "--to", str(target))
    assert result.exit_code == 0, result.output
    assert result.output == ("售后服务看板 · 周报 · 2026-11-30 至 2026-12-06: 11 KPIs written to "
                             f"{target}\n")
    rows = list(openpyxl.load_workbook(target).active.iter_rows(values_only=True))
    volume = next(r for r in rows if r[0] == "投诉量")
    last_week = figures(app, "manager", at="2026-11-30")["volume"]
    assert volume[1] == last_week["value"] and volume[2] == last_week["previous"]
    with app.app_context():
        event = app.appbuilder.session.execute(select(AuditEvent).where(
            AuditEvent.action == "export").order_by(AuditEvent.id.desc())).scalars().first()
    details = json.loads(event.details)
    assert event.username.startswith("cli:") and details["format"] == "xlsx"
    assert details["file"] == str(target.resolve())


def test_monthly_for_one_team_as_csv(board, tmp_path: Path):
    app, data = board
    target = tmp_path / "monthly.csv"
    result = run(app, "monthly", "--team", "客服二组", "--at", "2026-11-10", "--to",
                 str(target))
    assert result.exit_code == 0, result.output
    rows = list(csv.reader(target.read_text(encoding="utf-8-sig").splitlines()))
    assert rows[0] == ["售后服务看板 · 月报 · 2026年11月 · 客服二组"]
    volume = next(r for r in rows if r[0] == "投诉量")
    assert volume[1] == str(sum(1 for c in data.complaints if "staff3" in (c.owner, c.handler)
                                and c.created_on.month == 11))
    assert WEEK[0].month == 12


@pytest.mark.parametrize("args, message", [
    (["weekly", "--to", "out.pdf"], "Invalid value for --to: the file must end in .xlsx or .csv"),
    (["weekly", "--to", "out.csv", "--team", "无此组"], "Error: no team '无此组' (teams: "
     "客服一组, 客服二组)"),
    (["weekly", "--to", "out.csv", "--dashboard", "nope"],
     "Error: no dashboard 'nope' (dashboards: after_sales)"),
    (["weekly", "--to", "out.csv", "--at", "12/07"],
     "Invalid value for --at: '12/07' is not a date; write YYYY-MM-DD"),
    (["yearly", "--to", "out.csv"], "Invalid value for '{monthly|weekly}'"),
])
def test_bad_arguments_are_refused_clearly(board, tmp_path: Path, args, message,
                                           monkeypatch):
    app, _ = board
    monkeypatch.chdir(tmp_path)
    result = run(app, *args)
    assert result.exit_code != 0 and message in result.output
    assert not list(tmp_path.iterdir())
