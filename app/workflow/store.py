"""The workflow history: one row per transition, approval and SLA escalation of a record."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from sqlalchemy import Column, DateTime, ForeignKey, Index, Integer, String, Text, select
from sqlalchemy.orm import Session, relationship

KINDS = ("transition", "approval", "escalation")


class WorkflowEvent(Model):
    """What happened to a record's workflow: who, when, from → to, comment, details."""

    __tablename__ = "portal_workflow_event"
    __table_args__ = (Index("ix_portal_workflow_event_record", "form", "record_id", "id"),)
    id = Column(Integer, primary_key=True)
    form = Column(String(64), nullable=False)
    record_id = Column(Integer, nullable=False)
    kind = Column(String(16), nullable=False)  # transition | approval | escalation
    transition = Column(String(64))
    from_state = Column(String(64))
    to_state = Column(String(64))
    user_id = Column(Integer, ForeignKey("ab_user.id"))
    user = relationship(User)
    at = Column(DateTime, nullable=False)
    comment = Column(Text)
    details = Column(Text)  # JSON: fields set, approvers, the SLA breach

    @property
    def info(self) -> dict[str, Any]:
        try:
            value = json.loads(str(self.details or "{}"))
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Approval:
    user_id: int
    username: str
    comment: str | None


def history(session: Session, form: str, record_id: int) -> list[WorkflowEvent]:
    """A record's workflow events, oldest first."""
    return list(session.scalars(select(WorkflowEvent).where(
        WorkflowEvent.form == form, WorkflowEvent.record_id == record_id).order_by(
        WorkflowEvent.id)))


def current_approvals(session: Session, form: str, record_id: int,
                      transition: str) -> list[Approval]:
    """Approvals of `transition` given since the record last changed state: a record sent
    back (rejected, reopened) starts collecting approvals again."""
    last_move = session.scalar(select(WorkflowEvent.id).where(
        WorkflowEvent.form == form, WorkflowEvent.record_id == record_id,
        WorkflowEvent.kind.in_(("transition", "escalation")),
        WorkflowEvent.from_state != WorkflowEvent.to_state).order_by(
        WorkflowEvent.id.desc()).limit(1)) or 0
    rows = session.execute(select(WorkflowEvent.user_id, User.username,
                                  WorkflowEvent.comment).join(
        User, User.id == WorkflowEvent.user_id).where(
        WorkflowEvent.form == form, WorkflowEvent.record_id == record_id,
        WorkflowEvent.kind == "approval", WorkflowEvent.transition == transition,
        WorkflowEvent.id > last_move).order_by(WorkflowEvent.id))
    return [Approval(uid, name, comment) for uid, name, comment in rows]
