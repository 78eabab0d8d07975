"""The audit log: one append-only row per event (who, when, from where, what, outcome)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from flask import has_request_context, request
from flask_appbuilder import Model
from sqlalchemy import BigInteger, Column, DateTime, Integer, String, Text, insert
from sqlalchemy.orm import Session


class AuditEvent(Model):
    __tablename__ = "portal_audit_event"
    id = Column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
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
    prev_hash = Column(String(64))
    hash = Column(String(64))


def record(session: Session, action: str, *, form: str | None = None,
           record_id: Any = None, outcome: str = "ok", details: dict | None = None,
           user: Any = None) -> None:
    """Append one event, in the caller's transaction (it commits with the change)."""
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
    session.execute(insert(AuditEvent).values(**values))
