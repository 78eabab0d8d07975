"""周报 / 月报: a dashboard's KPIs (its tiles) for one period and, optionally, one team, as a
table — this period, the previous one, the change — for the page, XLSX and CSV alike."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from app.portal import Portal
from app.reports.dashboard import Viewer, run_dashboard
from app.reports.periods import Period
from app.reports.words import figure_change, figure_text, unit_of
from app.security.access import members_clause
from app.security.teams import Team, team_member
from app.spec import DashboardSpec, Label

HEADER = (Label("指标", "KPI"), Label("本期", "This period"), Label("上期", "Previous period"),
          Label("变化", "Change"), Label("单位", "Unit"))
KIND = {"week": Label("周报", "Weekly report"), "month": Label("月报", "Monthly report"),
        "day": Label("日报", "Daily report"), "range": Label("报表", "Report")}


@dataclass(frozen=True)
class KpiRow:
    key: str
    label: str
    current: float | None
    previous: float | None
    change: float | None
    current_text: str
    previous_text: str
    change_text: str
    unit: str
    link: str = ""


def team_members(session: Session, team_id: int) -> list[int]:
    return list(session.execute(select(team_member.c.user_id).where(
        team_member.c.team_id == team_id)).scalars())


def for_team(viewer: Viewer, portal: Portal, members: list[int] | None) -> Viewer:
    """The viewer's figures narrowed to records created by or assigned to the members."""
    if members is None:
        return viewer

    def scope(key: str, model: Any) -> Any:
        own = viewer.scope(key, model)
        team = members_clause(model, portal.spec.form(key), members)
        return team if own is None else and_(own, team)

    return Viewer(viewer.forms, scope)


def kpi_rows(session: Session, portal: Portal, board: DashboardSpec, period: Period,
             viewer: Viewer, now: dt.datetime, lang: str) -> list[KpiRow]:
    tiles = DashboardSpec(board.key, board.label, tuple(
        w for w in board.widgets if w.group_by is None), board.roles, board.order,
        board.period)
    out = []
    for fig in run_dashboard(session, portal, tiles, period, viewer, now, lang):
        w, form = fig.widget, portal.spec.form(fig.widget.form)
        change = figure_change(fig, lang)
        out.append(KpiRow(
            w.key, w.label.get(lang), fig.value, fig.previous, change["change"],
            figure_text(fig.value, w, form, lang),
            figure_text(fig.previous, w, form, lang) if w.period else "",
            change["change_text"], unit_of(w, form).get(lang)))
    return out


def team_name(session: Session, team_id: int | None) -> str | None:
    if team_id is None:
        return None
    team = session.get(Team, team_id)
    return None if team is None else str(team.name)


def report_title(board: DashboardSpec, period: Period, team: str | None, lang: str) -> str:
    parts = [board.label.get(lang), KIND[period.kind].get(lang), period.label(lang)]
    return " · ".join(parts + ([team] if team else []))
