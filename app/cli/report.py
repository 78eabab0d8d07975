"""`flask portal report weekly|monthly`: a dashboard's KPIs as an Excel or CSV file, for cron
(e.g. every Monday 07:00 for the week before). Audited as an export by the command's user."""

from __future__ import annotations

import datetime as dt
import os

import click
from flask import current_app
from flask.cli import ScriptInfo

from app.audit import log as audit
from app.cli.base import load_app, pass_info
from app.portal import portal_of
from app.reports.dashboard import Viewer
from app.reports.export import to_csv, to_xlsx
from app.reports.periods import period_of
from app.reports.report import for_team, kpi_rows, report_title, team_members
from app.security.teams import Team
from app.sla.deadlines import now

KINDS = {"weekly": "week", "monthly": "month"}


@click.command("report")
@click.argument("kind", type=click.Choice(sorted(KINDS)))
@click.option("--to", "target", required=True, type=click.Path(dir_okay=False),
              help="The file to write: .xlsx or .csv.")
@click.option("--team", default=None, help="Only this team's records (by name).")
@click.option("--dashboard", default=None, help="Whose KPIs (default: the first dashboard).")
@click.option("--at", "at", default=None, help="A day of the period (YYYY-MM-DD); default: "
              "the last complete week or month.")
@click.option("--lang", default="zh", type=click.Choice(["zh", "en"]))
@pass_info
def report_command(info: ScriptInfo, kind: str, target: str, team: str | None,
                   dashboard: str | None, at: str | None, lang: str) -> None:
    """Write the weekly or monthly report of a dashboard's KPIs to a file."""
    extension = os.path.splitext(target)[1].lower()
    if extension not in (".xlsx", ".csv"):
        raise click.BadParameter("the file must end in .xlsx or .csv", param_hint="--to")
    app = load_app(info)
    with app.app_context():
        portal = portal_of()
        boards = sorted(portal.spec.dashboards, key=lambda b: (b.order, b.key))
        board = portal.spec.dashboard(dashboard) if dashboard else next(iter(boards), None)
        if board is None:
            known = ", ".join(b.key for b in boards) or "none"
            raise click.ClickException(f"no dashboard '{dashboard}' (dashboards: {known})")
        day = _day(at, KINDS[kind])
        period = period_of(KINDS[kind], day)
        session = current_app.extensions["appbuilder"].session
        members = None
        if team is not None:
            found = session.query(Team).filter_by(name=team).one_or_none()
            if found is None:
                names = ", ".join(sorted(t.name for t in session.query(Team)))
                raise click.ClickException(f"no team '{team}' (teams: {names or 'none'})")
            members = team_members(session, found.id)
        everyone = Viewer({f.key for f in portal.spec.forms}, lambda *_: None)
        rows = kpi_rows(session, portal, board, period, for_team(everyone, portal, members),
                        now(), lang)
        name = report_title(board, period, team, lang)
        body = to_xlsx(name, rows, lang) if extension == ".xlsx" else to_csv(name, rows, lang)
        with open(target, "wb") as fh:
            fh.write(body)
        audit.record(session, "export", details={
            "report": board.key, "period": period.span(), "team": team,
            "format": extension[1:], "rows": len(rows), "file": os.path.abspath(target)})
        session.commit()
        click.echo(f"{name}: {len(rows)} KPIs written to {target}")


def _day(at: str | None, kind: str) -> dt.date:
    if at:
        try:
            return dt.date.fromisoformat(at)
        except ValueError:
            raise click.BadParameter(f"'{at}' is not a date; write YYYY-MM-DD",
                                     param_hint="--at") from None
    today = now().date()
    return period_of(kind, today).previous().start  # the last complete week or month
