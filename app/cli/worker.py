"""`flask portal worker`: run the portal's background work (imports started in the browser,
and the other tasks of app/jobs/worker.py) in a process of its own."""

from __future__ import annotations

import threading
from typing import Any

import click
from flask.cli import ScriptInfo

from app.cli.base import load_app, pass_info


@click.command("worker")
@click.option("--once", is_flag=True, help="Do what is waiting now, then stop.")
@pass_info
def worker_command(info: ScriptInfo, once: bool) -> None:
    """Run queued jobs until stopped (Ctrl+C), or once with --once."""
    from app.jobs.worker import drain, loop

    app: Any = load_app(info)
    if once:
        click.echo(f"{drain(app)} job(s) run")
        return
    click.echo("worker started; Ctrl+C stops it")
    try:
        loop(app, threading.Event())
    except KeyboardInterrupt:
        click.echo("worker stopped")
