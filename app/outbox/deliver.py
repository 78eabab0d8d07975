"""Delivering the outbox: claim a due message so that no two workers send it, send it through
its channel's sender outside any transaction, record the outcome, retry with backoff.

A claim is a conditional UPDATE of the row's lease (`leased_until`), checked by its row
count: on SQLite and PostgreSQL alike only one worker wins it; PostgreSQL's candidate query
also skips rows another worker has locked (FOR UPDATE SKIP LOCKED) instead of waiting. A worker
that dies mid-send leaves a lease that runs out, and the message is sent again later (receivers
deduplicate by its delivery id). Retries wait 30 s, 1 min, 2 min … at most 1 h (± 20 %,
so that a receiver coming back is not hit by every message at once), until the message's
`expires_at` (PORTAL_OUTBOX_GIVE_UP_HOURS after it was queued): then it is failed."""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from app.outbox.errors import Failure, dumps, failure
from app.outbox.model import DELIVERED, FAILED, HISTORY, PENDING, OutboxMessage

BASE_DELAY = 30  # seconds before the first retry; doubled each time
MAX_DELAY = 3600
LEASE = dt.timedelta(seconds=90)  # longer than any send (its timeout is 10 s by default)
CANDIDATES = 5  # due rows looked at per claim
TABLE = OutboxMessage.__table__


@dataclass(frozen=True)
class Outcome:
    """What a sender reports: delivered, or why not (and whether retrying can help)."""

    ok: bool
    status: int | None = None  # the receiver's HTTP status
    response: str = ""  # the start of its answer
    error: Failure | None = None  # why not, in no language (app/outbox/errors.py)
    permanent: bool = False  # retrying cannot help: failed at once


# channel → the function sending one claimed row (a Row of portal_outbox)
Sender = Callable[[Any], Outcome]
SENDERS: dict[str, Sender] = {}


def register_sender(channel: str, sender: Sender) -> None:
    SENDERS[channel] = sender


def retry_delay(attempts: int) -> float:
    """Seconds before the next try after `attempts` failed ones: 30, 60, 120 … ≤ 3600, ±20 %."""
    base = min(BASE_DELAY * 2 ** max(attempts - 1, 0), MAX_DELAY)
    return base * random.uniform(0.8, 1.2)


def _session() -> Session:
    return current_app.extensions["appbuilder"].session


def claim(session: Session, now: dt.datetime) -> Any:
    """Lease the next due message to this worker and commit; None when nothing is due."""
    free = or_(TABLE.c.leased_until.is_(None), TABLE.c.leased_until < now)
    conn = session.connection()
    query = (select(TABLE.c.id).where(TABLE.c.status == PENDING,
                                      TABLE.c.next_attempt_at <= now, free)
             .order_by(TABLE.c.next_attempt_at, TABLE.c.id).limit(CANDIDATES))
    if conn.dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    try:
        for row_id in conn.execute(query).scalars().all():
            won = conn.execute(update(TABLE).where(
                TABLE.c.id == row_id, TABLE.c.status == PENDING, free).values(
                leased_until=now + LEASE))
            if won.rowcount == 1:
                row = conn.execute(select(TABLE).where(TABLE.c.id == row_id)).one()
                session.commit()
                return row
        session.commit()
        return None
    except BaseException:
        session.rollback()
        raise


def _send(row: Any) -> Outcome:
    sender = SENDERS.get(row.channel)
    if sender is None:
        return Outcome(False, error=failure("no_sender", channel=row.channel))
    try:
        return sender(row)
    except Exception as exc:  # noqa: BLE001 - recorded on the row, retried
        return Outcome(False, error=failure("other", detail=f"{type(exc).__name__}: {exc}"))


def record(session: Session, row: Any, outcome: Outcome, started: dt.datetime,
           ms: int) -> str:
    """Store an attempt's outcome on the row and commit; returns the row's new status."""
    done = dt.datetime.now()
    attempts = row.attempts + 1
    history = (json.loads(row.history) if row.history else []) + [{
        "at": started.isoformat(timespec="seconds"), "status": outcome.status,
        "error": outcome.error or None, "ms": ms}]  # the failure itself, not its JSON
    values: dict[str, Any] = {
        "attempts": attempts, "leased_until": None, "last_status": outcome.status,
        "last_error": dumps(outcome.error),
        "last_response": outcome.response[:500] or None, "last_duration_ms": ms,
        "history": json.dumps(history[-HISTORY:], ensure_ascii=False)}
    if outcome.ok:
        values.update(status=DELIVERED, delivered_at=done, next_attempt_at=done)
    elif outcome.permanent or done >= row.expires_at:
        values.update(status=FAILED, next_attempt_at=done)
    else:
        retry_at = done + dt.timedelta(seconds=retry_delay(attempts))
        values.update(status=PENDING, next_attempt_at=min(retry_at, row.expires_at))
    session.connection().execute(update(TABLE).where(TABLE.c.id == row.id).values(**values))
    session.commit()
    return str(values["status"])


def deliver_due(limit: int = 100) -> int:
    """Send up to `limit` due messages, one at a time, in an app context of the portal;
    returns how many were attempted (0: nothing was due — a worker may sleep)."""
    session = _session()
    session.rollback()  # a clean transaction: claims must see other workers' commits
    handled = 0
    while handled < limit:
        row = claim(session, dt.datetime.now())
        if row is None:
            break
        started, clock = dt.datetime.now(), time.monotonic()
        outcome = _send(row)
        record(session, row, outcome, started, int((time.monotonic() - clock) * 1000))
        handled += 1
    return handled


def retry(session: Session, message_id: int, now: dt.datetime | None = None) -> bool:
    """A failed message queued again, due at once and retried for another give-up period
    (the caller audits and commits); False when it is not failed."""
    now = now or dt.datetime.now()
    hours = current_app.config.get("PORTAL_OUTBOX_GIVE_UP_HOURS", 24)
    done = session.connection().execute(update(TABLE).where(
        TABLE.c.id == message_id, TABLE.c.status == FAILED).values(
        status=PENDING, next_attempt_at=now, leased_until=None,
        expires_at=now + dt.timedelta(hours=hours)))
    return done.rowcount == 1


def purge(session: Session, now: dt.datetime | None = None) -> int:
    """Delete delivered and failed messages finished more than PORTAL_OUTBOX_KEEP_DAYS ago
    (0 keeps them); commits; returns how many."""
    days = current_app.config.get("PORTAL_OUTBOX_KEEP_DAYS", 30)
    if not days:
        return 0
    cutoff = (now or dt.datetime.now()) - dt.timedelta(days=days)
    gone = session.connection().execute(delete(TABLE).where(
        TABLE.c.status.in_((DELIVERED, FAILED)), TABLE.c.next_attempt_at < cutoff))
    session.commit()
    return int(gone.rowcount or 0)
