"""`flask portal alerts run`: check every quality alert rule over all groups (for cron, e.g.
hourly: the overdue-backlog rule has no record creation to trigger it)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import ScriptInfo

from app.cli.base import load_app, pass_info
from app.portal import portal_of
from app.reports.alerts import open_alerts, raise_alerts
from app.sla.deadlines import now


@click.group("alerts")
def alerts_group() -> None:
    """Quality alerts (质量预警) of config/alerts/."""


@alerts_group.command("run")
@pass_info
def alerts_run(info: ScriptInfo) -> None:
    """Raise an alert for every group meeting a rule that no alert covers yet."""
    app = load_app(info)
    with app.app_context():
        portal, session = portal_of(), current_app.extensions["appbuilder"].session
        moment, total = now(), 0
        for rule in portal.spec.alerts:
            raised = raise_alerts(session, portal, rule, moment)
            session.commit()
            total += len(raised)
            for alert in raised:
                click.echo(f"{rule.key}: {alert.group_key} ({alert.count})")
        click.echo(f"{total} alert(s) raised by {len(portal.spec.alerts)} rule(s)")


@alerts_group.command("list")
@pass_info
def alerts_list(info: ScriptInfo) -> None:
    """The alerts still within their window."""
    app = load_app(info)
    with app.app_context():
        session = current_app.extensions["appbuilder"].session
        found = open_alerts(session, portal_of(), set(), True, now())
        for rule, alert in found:
            click.echo(f"{alert.raised_on:%Y-%m-%d %H:%M} {rule.key}: {alert.group_key} "
                       f"({alert.count})")
        if not found:
            click.echo("no open alerts")
