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
    transition        {"transition", "from", "to", "comment", "fields", "approvals"}
    approval          the same, for an approval that did not yet complete its step
    login / logout / session_end, password_change (failed: a wrong current password),
    config_loaded {"hash"}, migration {"revision", "plan"},
    archive {"from_seq", "through_seq", "boundary_hash", "file", "sha256", "count"}
    sla_breach {"breached", "priority", "assignee", "note"}  `flask portal sla run` (app/sla/run.py)
Field names in values/changes/filters are the form's field keys, so the audit screens mask
`sensitive` ones for viewers without the reveal right. Passwords and tokens are never stored.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any

from flask import current_app, has_app_context, has_request_context, request
from flask_appbuilder import Model
from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Integer,
    String,
    Text,
    and_,
    insert,
    or_,
    select,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from app.db.users import request_user

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


# Statements built once: an append runs three of them per event, in the writer's transaction.
_ADVANCE = text("UPDATE portal_audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
_ADVANCE_OLD = text("UPDATE portal_audit_head SET seq = seq + 1 WHERE id = 1")
_ADVANCE_N = text("UPDATE portal_audit_head SET seq = seq + :n WHERE id = 1 RETURNING seq, hash")
_ADVANCE_N_OLD = text("UPDATE portal_audit_head SET seq = seq + :n WHERE id = 1")
_HEAD = text("SELECT seq, hash FROM portal_audit_head WHERE id = 1")
_SET_HASH = text("UPDATE portal_audit_head SET hash = :hash WHERE id = 1")
_INSERT = insert(EVENTS)
_COLUMNS = ("seq", "at", "user_id", "username", "roles", "ip", "user_agent", "action", "form",
            "record_id", "outcome", "details", "prev_hash", "hash")
# PostgreSQL: the event and the head's new hash in one round trip (a data-modifying CTE).
_INSERT_AND_SET_HASH = text(
    f"WITH event AS (INSERT INTO portal_audit_event ({', '.join(_COLUMNS)}) VALUES "
    f"({', '.join(':' + c for c in _COLUMNS)})) "
    "UPDATE portal_audit_head SET hash = :hash WHERE id = 1")
# SQLite answers UPDATE … RETURNING from 3.35 on; older libraries take one more SELECT.
_SQLITE_RETURNING = sqlite3.sqlite_version_info >= (3, 35)


def append(conn: Connection, values: dict[str, Any]) -> None:
    """Add one event at the end of the chain, inside the caller's transaction. The head's
    UPDATE comes first: it holds the row lock (PostgreSQL) or the write lock (SQLite) until
    the transaction ends, so appends from any number of processes form one chain."""
    if conn.dialect.name != "sqlite" or _SQLITE_RETURNING:
        seq, prev = conn.execute(_ADVANCE).one()
    else:
        conn.execute(_ADVANCE_OLD)
        seq, prev = conn.execute(_HEAD).one()
    row = dict(values, seq=seq, prev_hash=prev)
    row["hash"] = chain_hash(row)
    if conn.dialect.name == "postgresql":
        conn.execute(_INSERT_AND_SET_HASH, row)
    else:
        conn.execute(_INSERT, row)
        conn.execute(_SET_HASH, {"hash": row["hash"]})


def append_many(conn: Connection, events: list[dict[str, Any]]) -> None:
    """Add several events at the end of the chain in three statements, whatever their
    number (one flush of an import writes hundreds): the head moves by their count, their
    hashes are chained here in order, and they are inserted together."""
    if len(events) < 2:
        for values in events:
            append(conn, values)
        return
    n = len(events)
    if conn.dialect.name != "sqlite" or _SQLITE_RETURNING:
        last, prev = conn.execute(_ADVANCE_N, {"n": n}).one()
    else:
        conn.execute(_ADVANCE_N_OLD, {"n": n})
        last, prev = conn.execute(_HEAD).one()
    rows = []
    for seq, values in enumerate(events, last - n + 1):
        row = dict(values, seq=seq, prev_hash=prev)
        row["hash"] = prev = chain_hash(row)
        rows.append(row)
    conn.execute(_INSERT, rows)
    conn.execute(_SET_HASH, {"hash": prev})


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
    append(session.connection(), event_values(action, form=form, record_id=record_id,
                                              outcome=outcome, details=details, user=user))


def record_many(session: Session,
                events: Sequence[tuple[str, str | None, Any, dict | None]]) -> None:
    """Append (action, form, record_id, details) events, in order, in the caller's
    transaction, as one batch (append_many)."""
    if enabled() and events:
        append_many(session.connection(), [
            event_values(action, form=form, record_id=record_id, details=details)
            for action, form, record_id, details in events])


# The user a command acts for (`flask portal import --as USER`): its writes are theirs.
_ACTING: ContextVar[Any] = ContextVar("portal_audit_acting_user", default=None)


@contextmanager
def acting_as(user: Any) -> Iterator[None]:
    """Attribute the events of a command's writes to `user` instead of `cli:<account>`."""
    token = _ACTING.set(user)
    try:
        yield
    finally:
        _ACTING.reset(token)


def event_values(action: str, *, form: str | None = None, record_id: Any = None,
                 outcome: str = "ok", details: dict | None = None,
                 user: Any = None) -> dict[str, Any]:
    """An event's columns: the request's user, address and browser, or the operating-system
    account for a command run outside any request ("cli:<account>")."""
    username = None
    if user is None and has_request_context():
        user = request_user()
    elif user is None:
        user = _ACTING.get()
        username = f"cli:{_os_account()}"
    values = {
        "at": dt.datetime.now(),
        "user_id": getattr(user, "id", None),
        "username": getattr(user, "username", None) or username,
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
    return values


def _os_account() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # a container user without a passwd entry
        return "unknown"


@dataclass(frozen=True)
class Verdict:
    """The outcome of a verification: how many events verified, or the first broken link
    (`place` names it when it is not a table row: an archive file's line or header)."""

    ok: bool
    checked: int
    bad_id: int | None = None
    reason: str = ""
    place: str = ""
    archived: int = 0  # events verified in archive files
    files: int = 0  # archive files verified
    unchecked: int = 0  # events 1..unchecked are archived and were not given to verify

    def text(self) -> str:
        if self.ok:
            text = f"audit chain intact: {self.checked} event(s) verified"
            if self.files:
                text += f" ({self.archived} archived event(s) in {self.files} file(s) verified)"
            elif self.unchecked:
                text += (f" (events 1–{self.unchecked} are archived and were not checked: "
                         "pass --archive FILE to check them)")
            return text
        where = self.place or (f"event id {self.bad_id}" if self.bad_id is not None
                               else "chain end")
        return f"audit chain BROKEN at {where}: {self.reason} ({self.checked} verified before)"


def archive_details(details: str | None) -> dict[str, Any]:
    """An `archive` event's details ({} if unreadable: an edited event, which the walk names)."""
    try:
        parsed = json.loads(details or "{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def archive_events(conn: Connection) -> list[tuple[int, dict[str, Any]]]:
    """(seq, details) of every `archive` event in the table."""
    rows = conn.execute(select(EVENTS.c.seq, EVENTS.c.details)
                        .where(EVENTS.c.action == "archive", EVENTS.c.outcome == "ok"))
    return [(seq, archive_details(details)) for seq, details in rows]


def verify(conn: Connection) -> Verdict:
    """Walk the chain in sequence order; the first broken link and why. The table may start
    after seq 1 only where an `archive` event accounts for the missing events (its
    through_seq and boundary_hash); app.audit.archive checks the files themselves.

    The head is read first: events appended while the walk runs (a live portal) lie beyond
    it and are left for the next run, instead of looking like a broken end."""
    head = conn.execute(select(HEAD.c.seq, HEAD.c.hash).where(HEAD.c.id == 1)).one_or_none()
    if head is None:
        return Verdict(False, 0, None, "the chain head row is missing")
    first = conn.execute(select(EVENTS.c.id, EVENTS.c.seq, EVENTS.c.prev_hash)
                         .order_by(EVENTS.c.seq, EVENTS.c.id).limit(1)).first()
    start_seq, start_hash = 0, GENESIS
    if first is not None and first.seq > 1:
        gone = first.seq - 1
        if not any(d.get("through_seq") == gone and d.get("boundary_hash") == first.prev_hash
                   for _, d in archive_events(conn)):
            what = "event 1 is" if gone == 1 else f"events 1–{gone} are"
            return Verdict(False, 0, first.id, f"{what} missing and no archive accounts for "
                           f"{'it' if gone == 1 else 'them'}")
        start_seq, start_hash = gone, first.prev_hash
    expected_seq, prev, checked = start_seq + 1, start_hash, 0
    for row in _walk(conn, expected_seq, head.seq):
        reason = _broken_link(row, expected_seq, prev)
        if reason:
            return Verdict(False, checked, row.id, reason)
        prev, expected_seq, checked = row.hash, expected_seq + 1, checked + 1
    if (head.seq, head.hash) != (expected_seq - 1, prev):
        return Verdict(False, checked, None, f"the head records {head.seq} event(s) but the "
                       f"table ends at {expected_seq - 1} (events deleted from the end)")
    # Every append moves the head in its own transaction, so no committed event can lie
    # beyond the head as it is now: one that does was added around the application.
    latest = conn.execute(select(HEAD.c.seq).where(HEAD.c.id == 1)).scalar_one()
    beyond = conn.execute(select(EVENTS.c.id).where(EVENTS.c.seq > latest)
                          .order_by(EVENTS.c.seq).limit(1)).scalar()
    if beyond is not None:
        return Verdict(False, checked, beyond, "the event lies beyond the chain head (an "
                       "inserted event)")
    return Verdict(True, checked, unchecked=start_seq)


def _walk(conn: Connection, first_seq: int, last_seq: int, batch: int = 1000) -> Any:
    """Events first_seq..last_seq in (seq, id) order, read in short batches: no statement
    stays open during the walk, so on SQLite writers are never held up by a long read."""
    after: tuple[int, int] | None = None
    while True:
        query = select(EVENTS).where(EVENTS.c.seq >= first_seq, EVENTS.c.seq <= last_seq)
        if after is not None:
            query = query.where(or_(EVENTS.c.seq > after[0],
                                    and_(EVENTS.c.seq == after[0], EVENTS.c.id > after[1])))
        rows = conn.execute(query.order_by(EVENTS.c.seq, EVENTS.c.id).limit(batch)).all()
        yield from rows
        if len(rows) < batch:
            return
        after = (rows[-1].seq, rows[-1].id)


def _broken_link(row: Any, expected_seq: int, prev: str) -> str:
    """Why a row does not continue the chain ("" when it does)."""
    if row.seq != expected_seq:
        return (f"sequence {expected_seq} is missing (a deleted event)" if row.seq > expected_seq
                else f"sequence {row.seq} appears twice (an inserted event)")
    if row.prev_hash != prev:
        return ("previous hash does not match the event before it (events inserted, deleted "
                "or reordered)")
    if chain_hash(row._mapping) != row.hash:
        return "content does not match its hash (the event was edited)"
    return ""
