"""`flask portal webhooks run` / `list`: one delivery pass over the outbox (for cron, or by
hand; the worker loop calls the same app.outbox.deliver.deliver_due) and the recent
deliveries with their outcome."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import ScriptInfo
from flask_babel import force_locale
from sqlalchemy import func, select

from app.cli.base import load_app, pass_info
from app.outbox.deliver import deliver_due, purge
from app.outbox.errors import describe, detail, loads
from app.outbox.model import STATUSES, OutboxMessage
from app.webhooks.send import CHANNEL


def _error(stored: str) -> str:
    """A stored failure as the English sentence of the screens, then its code and what the
    other side said: `… (connection refused) [refused]`, `… [robot] invalid webhook url`."""
    failure = loads(stored) or {}
    with force_locale("en"):
        sentence = describe(failure)
    said = failure.get("errmsg") or detail(failure)
    return f"{sentence} [{failure.get('code')}]" + (f" {said}" if said else "")


@click.group("webhooks")
def webhooks_group() -> None:
    """Outbound webhooks (config/webhooks/) and their deliveries."""


@webhooks_group.command("run")
@click.option("--limit", default=1000, show_default=True, help="Messages sent at most.")
@pass_info
def webhooks_run(info: ScriptInfo, limit: int) -> None:
    """Send every message that is due, then delete finished ones past PORTAL_OUTBOX_KEEP_DAYS."""
    app = load_app(info)
    with app.app_context():
        sent = deliver_due(limit=limit)
        session = current_app.extensions["appbuilder"].session
        purged = purge(session)
        counts = dict(session.execute(select(OutboxMessage.status, func.count()).group_by(
            OutboxMessage.status)).all())
        session.rollback()
    click.echo(f"{sent} message(s) attempted; now " + ", ".join(
        f"{counts.get(s, 0)} {s}" for s in STATUSES) + (f"; {purged} old one(s) deleted"
                                                          if purged else ""))


@webhooks_group.command("list")
@click.option("--status", type=click.Choice(STATUSES), help="Only these.")
@click.option("--hook", help="Only this hook's (its key).")
@click.option("--limit", default=20, show_default=True)
@pass_info
def webhooks_list(info: ScriptInfo, status: str | None, hook: str | None, limit: int
                  ) -> None:
    """The most recent deliveries: when queued, hook, event, record, status, attempts, error."""
    app = load_app(info)
    with app.app_context():
        session = current_app.extensions["appbuilder"].session
        query = select(OutboxMessage).where(OutboxMessage.channel == CHANNEL)
        if status:
            query = query.where(OutboxMessage.status == status)
        if hook:
            query = query.where(OutboxMessage.target == hook)
        rows = session.scalars(query.order_by(OutboxMessage.id.desc()).limit(limit)).all()
        for row in rows:
            record = f"{row.form}#{row.record_id}" if row.record_id else (row.form or "")
            line = (f"{row.created_at:%Y-%m-%d %H:%M:%S} {row.target} {row.event} {record} "
                    f"{row.status} attempts={row.attempts}")
            if row.last_status is not None:
                line += f" http={row.last_status}"
            if row.status != "delivered" and row.last_error:
                line += f" error={_error(row.last_error)}"
            click.echo(line)
        if not rows:
            click.echo("no deliveries")
        session.rollback()
