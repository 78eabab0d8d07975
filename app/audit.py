"""The audit log: one append-only row per event (who, when, from where, what, outcome),
hash-chained so that an edited, deleted, inserted or reordered row is detected.

Each row's hash covers its content and the previous row's hash. Appends are serialised by
a one-row head table (`portal_audit_head`: the last sequence number and hash): the first
statement of an append updates it, which takes the row lock on PostgreSQL and the write
lock on SQLite, so concurrent writers from several processes extend one chain.

Events (action, outcome ok | denied | failed; `form` is a form key, or the table name for the
portal's own tables such as ab_user, ab_role, portal_team; `details` is JSON):
    create / delete   {"values": {field: value}}            a record's stored values
    update            {"changes": {field: [old, new]}}       only the fields that changed
    list              {"filters": [[field, op, value]], "order": [field, dir], "page": n}
    view              (record_id)                            a record page opened
    denied            {"method", "path", "status"}           a 403 answer
    export / import   {"rows", "columns", "revealed" | "file", "sha256"}
    reveal            {"field"}                              a masked value shown
    login / logout / session_end, config_loaded {"hash"}, migration {"revision", "plan"},
    archive {"through_seq", "boundary_hash", "file", "sha256"}
Field names in values/changes/filters are the form's field keys, so the audit screens mask
`sensitive` ones for viewers without the reveal right. Passwords and tokens are never stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from flask import current_app, has_app_context, has_request_context, request
from flask_appbuilder import Model
from sqlalchemy import BigInteger, Column, DateTime, Integer, String, Text, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

GENESIS = "0" * 64
BIGINT = BigInteger().with_variant(Integer, "sqlite")
CHAINED = ("seq", "at", "user_id", "username", "roles", "ip", "user_agent", "action", "form",
           "record_id", "outcome", "details", "prev_hash")


class AuditEvent(Model):
    __tablename__ = "portal_audit_event"
    id = Column(BIGINT, primary_key=True)
    seq = Column(BigInteger, nullable=False, unique=True)
    at = Column(DateTime, nullable=False, index=True)
    user_id = Column(Integer, index=True)
    username = Column(String(128))
    roles = Column(String(256))
    ip = Column(String(64))
    user_agent = Column(String(256))
    action = Column(String(32), nullable=False, index=True)
    form = Column(String(64), index=True)
    record_id = Column(String(64))
    outcome = Column(String(16), nullable=False)  # ok | denied | failed
    details = Column(Text)  # JSON
    prev_hash = Column(String(64), nullable=False)
    hash = Column(String(64), nullable=False)


class AuditHead(Model):
    """The chain's end: one row (id 1), written by every append."""

    __tablename__ = "portal_audit_head"
    id = Column(Integer, primary_key=True)
    seq = Column(BigInteger, nullable=False)
    hash = Column(String(64), nullable=False)


EVENTS = AuditEvent.__table__
HEAD = AuditHead.__table__


def chain_hash(row: Any) -> str:
    """sha256 over the chained columns, in a fixed order and format."""
    get = row.get if isinstance(row, dict) else lambda k: getattr(row, k)
    parts = []
    for name in CHAINED:
        value = get(name)
        if isinstance(value, dt.datetime):
            value = value.isoformat(timespec="microseconds")
        parts.append(value)
    text = json.dumps(parts, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def append(conn: Connection, values: dict[str, Any]) -> None:
    """Add one event at the end of the chain, inside the caller's transaction."""
    conn.execute(update(HEAD).where(HEAD.c.id == 1).values(seq=HEAD.c.seq + 1))
    seq, prev = conn.execute(select(HEAD.c.seq, HEAD.c.hash).where(HEAD.c.id == 1)).one()
    row = dict(values, seq=seq, prev_hash=prev)
    row["hash"] = chain_hash(row)
    conn.execute(insert(EVENTS).values(**row))
    conn.execute(update(HEAD).where(HEAD.c.id == 1).values(hash=row["hash"]))


def enabled() -> bool:
    """False only where a benchmark turned auditing off (PORTAL_AUDIT, not an environment
    variable: an installation cannot switch its audit log off)."""
    return not has_app_context() or bool(current_app.config.get("PORTAL_AUDIT", True))


def record(session: Session, action: str, *, form: str | None = None,
           record_id: Any = None, outcome: str = "ok", details: dict | None = None,
           user: Any = None) -> None:
    """Append one event, in the caller's transaction (it commits with the change)."""
    if not enabled():
        return
    if user is None and has_request_context():
        from flask_login import current_user

        user = current_user if getattr(current_user, "is_authenticated", False) else None
    values = {
        "at": dt.datetime.now(),
        "user_id": getattr(user, "id", None),
        "username": getattr(user, "username", None),
        "roles": ",".join(sorted(r.name for r in getattr(user, "roles", []) or [])) or None,
        "ip": request.remote_addr if has_request_context() else None,
        "user_agent": (request.user_agent.string[:256] or None)
        if has_request_context() else None,
        "action": action, "form": form,
        "record_id": None if record_id is None else str(record_id),
        "outcome": outcome,
        "details": json.dumps(details, ensure_ascii=False, sort_keys=True, default=str)
        if details else None,
    }
    append(session.connection(), values)


@dataclass(frozen=True)
class Verdict:
    ok: bool
    checked: int
    bad_id: int | None = None
    reason: str = ""

    def text(self) -> str:
        if self.ok:
            return f"audit chain intact: {self.checked} event(s) verified"
        where = f"event id {self.bad_id}" if self.bad_id is not None else "chain end"
        return f"audit chain BROKEN at {where}: {self.reason} ({self.checked} verified before)"


def verify(conn: Connection, start_seq: int = 0, start_hash: str = GENESIS) -> Verdict:
    """Walk the chain in sequence order; the first broken link and why."""
    expected_seq, prev, checked = start_seq + 1, start_hash, 0
    rows = conn.execute(select(EVENTS).where(EVENTS.c.seq >= expected_seq)
                        .order_by(EVENTS.c.seq, EVENTS.c.id))
    for row in rows:
        if row.seq != expected_seq:
            reason = (f"sequence {expected_seq} is missing (a deleted event)"
                      if row.seq > expected_seq else f"sequence {row.seq} appears twice "
                      "(an inserted event)")
            return Verdict(False, checked, row.id, reason)
        if row.prev_hash != prev:
            return Verdict(False, checked, row.id, "previous hash does not match the event "
                           "before it (events inserted, deleted or reordered)")
        if chain_hash(row._mapping) != row.hash:
            return Verdict(False, checked, row.id, "content does not match its hash "
                           "(the event was edited)")
        prev, expected_seq, checked = row.hash, expected_seq + 1, checked + 1
    head = conn.execute(select(HEAD.c.seq, HEAD.c.hash).where(HEAD.c.id == 1)).one_or_none()
    if head is None:
        return Verdict(False, checked, None, "the chain head row is missing")
    if (head.seq, head.hash) != (expected_seq - 1, prev):
        return Verdict(False, checked, None, f"the head records {head.seq} event(s) but the "
                       f"table ends at {expected_seq - 1} (events deleted from the end)")
    return Verdict(True, checked)
