"""`flask portal ...`: every command of the portal, one module per command group."""

from __future__ import annotations

import click

from app.cli.alerts import alerts_group
from app.cli.audit import audit_group
from app.cli.config import check, config_group
from app.cli.database import init, migrate, purge_command
from app.cli.importing import import_command
from app.cli.report import report_command
from app.cli.roles import roles_group
from app.cli.sla import sla_group
from app.cli.teams import team_group
from app.cli.users import user_group
from app.cli.webhooks import webhooks_group
from app.cli.worker import worker_command


@click.group("portal")
def portal_cli() -> None:
    """After-sales portal commands."""


for command in (check, config_group, migrate, purge_command, init, roles_group, user_group,
                team_group, audit_group, import_command, sla_group, report_command,
                alerts_group, webhooks_group, worker_command):
    portal_cli.add_command(command)
