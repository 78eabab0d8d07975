"""The outbox table (portal_outbox, revision 0008) and how a message gets into it.

A row is written with the change that caused it, in the same transaction, by a plain INSERT on
the session's connection (usable inside flush and commit hooks, where adding ORM objects is
not): a rollback drops it, a commit keeps it until it is delivered or given up on. `channel`
says who sends it (webhook; later mail, WeCom notices …) and `target` which configured
destination (a hook's key); `body` is the exact request body, built when the event happened."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from flask_appbuilder import Model
from sqlalchemy import BigInteger, Column, DateTime, Index, Integer, String, Text, insert
from sqlalchemy.orm import Session

BIGINT = BigInteger().with_variant(Integer, "sqlite")
PENDING, DELIVERED, FAILED = "pending", "delivered", "failed"
STATUSES = (PENDING, DELIVERED, FAILED)
HISTORY = 20  # attempts kept in a row's history (the newest)


class OutboxMessage(Model):
    __tablename__ = "portal_outbox"
    __table_args__ = (Index("ix_portal_outbox_due", "status", "next_attempt_at"),)
    id = Column(BIGINT, primary_key=True)
    channel = Column(String(32), nullable=False)  # webhook (notifications later)
    target = Column(String(100), nullable=False, index=True)  # the hook's key
    event = Column(String(32), nullable=False)  # created updated transition sla_breach
    form = Column(String(64), index=True)
    record_id = Column(String(64))
    delivery_id = Column(String(36), nullable=False, unique=True)  # receivers' idempotency key
    body = Column(Text, nullable=False)  # the request body, as sent
    status = Column(String(16), nullable=False)  # pending delivered failed
    attempts = Column(Integer, nullable=False, default=0)
    created_at = Column(DateTime, nullable=False)
    next_attempt_at = Column(DateTime, nullable=False)
    expires_at = Column(DateTime, nullable=False)  # retried until then, then failed
    leased_until = Column(DateTime)  # a worker is sending it until then
    delivered_at = Column(DateTime)
    last_status = Column(Integer)  # the receiver's HTTP status
    last_error = Column(String(500))
    last_response = Column(String(500))  # the start of the receiver's answer
    last_duration_ms = Column(Integer)
    history = Column(Text)  # JSON: the last attempts [{at, status, error, ms}]

    def attempts_log(self) -> list[dict[str, Any]]:
        return json.loads(str(self.history)) if self.history else []


def new_delivery_id() -> str:
    return str(uuid.uuid4())


def enqueue(session: Session, *, channel: str, target: str, event: str, body: str,
            delivery_id: str, form: str | None = None, record_id: Any = None,
            at: dt.datetime | None = None, give_up_after: dt.timedelta) -> None:
    """Queue one message in `session`'s transaction, due at once."""
    at = at or dt.datetime.now()
    session.connection().execute(insert(OutboxMessage.__table__).values(
        channel=channel, target=target, event=event, form=form,
        record_id=None if record_id is None else str(record_id), delivery_id=delivery_id,
        body=body, status=PENDING, attempts=0, created_at=at, next_attempt_at=at,
        expires_at=at + give_up_after))
