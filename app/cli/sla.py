"""`flask portal sla run`: mark missed SLA deadlines and escalate, from cron every few minutes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click
from flask.cli import ScriptInfo

from app.cli.base import load_app, pass_info

EXAMPLE = "2026-10-09 18:00"


def parse_at(_ctx: click.Context, _param: click.Parameter, value: str | None
             ) -> dt.datetime | None:
    """--at as a naive local time: 'YYYY-MM-DD HH:MM' (seconds and a 'T' allowed)."""
    if value is None:
        return None
    try:
        at = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a date and time; write YYYY-MM-DD HH:MM, "
                                 f"e.g. {EXAMPLE}") from None
    if at.tzinfo is not None:
        raise click.BadParameter(f"'{value}' has a time zone; write the server's local time "
                                 f"without one, e.g. {EXAMPLE}")
    return at


@click.group("sla")
def sla_group() -> None:
    """SLA deadlines: missed ones marked and escalated."""


@sla_group.command("run")
@click.option("--at", callback=parse_at, metavar="'YYYY-MM-DD HH:MM'",
              help="Check the deadlines as of this local time instead of now (a trial on a "
                   "copy of the database, or a test).")
@pass_info
def sla_run_command(info: ScriptInfo, at: dt.datetime | None) -> None:
    """Compute missing deadlines, mark missed ones, escalate each record once (idempotent)."""
    from app.sla.run import run

    app: Any = load_app(info)
    for line in run(app, at).lines():
        click.echo(line)
