"""周报 / 月报 (/report/<dashboard>/): a dashboard's KPIs for a period and team as a table,
exported to XLSX or CSV; each view and export is audited."""

from __future__ import annotations

from typing import Any

from flask import Response, flash, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access, permission_name
from sqlalchemy import select

from app.audit import log as audit
from app.reports.drill import drill_args
from app.reports.export import XLSX_TYPE, to_csv, to_xlsx
from app.reports.report import (
    HEADER,
    for_team,
    kpi_rows,
    report_title,
    team_members,
    team_name,
)
from app.security.teams import Team
from app.sla.deadlines import now
from app.spec import current_lang
from app.views.dashboards import board_and_period, viewer

FORMATS = ("page", "xlsx", "csv")


class ReportView(BaseView):
    route_base = "/report"
    default_view = "show"

    @expose("/<key>/")
    @has_access
    @permission_name("show")
    def show(self, key: str) -> Any:
        portal, board, period = board_and_period(key)
        lang, session = current_lang(), self.appbuilder.session
        form = request.args.get("format", "page")
        if form not in FORMATS:
            flash({"zh": f"不支持导出格式“{form[:20]}”，可选 xlsx 或 csv",
                   "en": f"'{form[:20]}' is not an export format; choose xlsx or csv"}[lang],
                  "warning")
            form = "page"
        team_id = _team_id(request.args.get("team", ""))
        team = team_name(session, team_id)
        if team_id is not None and team is None:
            flash({"zh": "找不到所选团队，显示全部团队", "en": "No such team: all teams are "
                   "shown"}[lang], "warning")
            team_id = None
        members = team_members(session, team_id) if team_id is not None else None
        rows = kpi_rows(session, portal, board, period, for_team(viewer(), portal, members),
                        now(), lang)
        name = report_title(board, period, team, lang)
        audit.record(session, "export" if form != "page" else "report", details={
            "report": board.key, "period": period.span(), "team": team,
            "format": form, "rows": len(rows)})
        session.commit()
        if form != "page":
            body = to_xlsx(name, rows, lang) if form == "xlsx" else to_csv(name, rows, lang)
            filename = f"{board.key}-{period.kind}-{period.start.isoformat()}.{form}"
            return Response(body, mimetype=XLSX_TYPE if form == "xlsx" else
                            "text/csv; charset=utf-8", headers={
                                "Content-Disposition": f'attachment; filename="{filename}"',
                                "Cache-Control": "private, no-store"})
        links: dict[str, str] = {}
        for row in rows if team_id is None else ():  # a team's figures have no such list
            widget = board.widget(row.key)
            if widget is not None:
                args: dict[str, Any] = drill_args(board, widget, period)
                links[row.key] = url_for(
                    f"{portal.spec.form(widget.form).view_name}.list", **args)
        teams = session.execute(select(Team).order_by(Team.name)).scalars().all()
        return self.render_template(
            "portal/report.html", board=board, period=period, rows=rows, title=name,
            header=[h.get(lang) for h in HEADER], teams=teams, team_id=team_id, links=links,
            lang=lang, args={k: v for k, v in request.args.items() if k != "format"})


def _team_id(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() and len(text) < 10 else None


def register_report_view(appbuilder: Any) -> None:
    appbuilder.add_view_no_menu(ReportView)
