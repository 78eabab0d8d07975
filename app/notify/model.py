"""The notification tables (revision 0010): portal_notification, one row per person told
(the in-portal inbox and the record of who was told what, and whether an e-mail was queued),
and portal_notification_pref, a user's choices on 通知设置 (e-mail on or off, language)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask_appbuilder import Model
from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    select,
    update,
)
from sqlalchemy.orm import Session

BIGINT = BigInteger().with_variant(Integer, "sqlite")
# What became of a notification's e-mail (portal_notification.email):
QUEUED = "queued"  # in the outbox (its delivery: portal_outbox row with channel email)
OFF = "off"  # the user turned e-mail off on 通知设置
NO_ADDRESS = "no_address"  # the user has no e-mail address
NO_SMTP = "no_smtp"  # PORTAL_SMTP_HOST is not set: the portal sends no e-mail
EMAIL_STATES = (QUEUED, OFF, NO_ADDRESS, NO_SMTP)
LANGUAGES = ("zh", "en")
BADGE_MAX = 99  # the bell shows 99+ above this; counting stops there


class Notification(Model):
    __tablename__ = "portal_notification"
    __table_args__ = (Index("ix_portal_notification_unread", "user_id", "read_at"),
                      Index("ix_portal_notification_user", "user_id", "id"),
                      UniqueConstraint("dedupe", "user_id",
                                       name="uq_portal_notification_dedupe"))
    id = Column(BIGINT, primary_key=True)
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False)
    rule = Column(String(100), nullable=False)  # the rule's key
    event = Column(String(32), nullable=False)  # assigned approval_waiting transition …
    form = Column(String(64))
    record_id = Column(String(64))
    title = Column(String(300), nullable=False)  # in the recipient's language, as told
    body = Column(Text)
    language = Column(String(10), nullable=False)
    email = Column(String(16))  # None: the rule sends no e-mail; else EMAIL_STATES
    delivery_id = Column(String(36))  # the queued e-mail's portal_outbox.delivery_id
    dedupe = Column(String(200))  # once per deadline (deadline_near): rule:form:id:clock:due
    created_at = Column(DateTime, nullable=False)
    read_at = Column(DateTime)


class NotificationPref(Model):
    __tablename__ = "portal_notification_pref"
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), primary_key=True)
    email = Column(Boolean, nullable=False, default=True)
    language = Column(String(10), nullable=False, default="zh")
    changed_at = Column(DateTime)


def unread_count(session: Session, user_id: int) -> int:
    """Unread notifications of a user, counted up to BADGE_MAX + 1 (the index on user_id,
    read_at answers it without reading the table, however large)."""
    table = Notification.__table__
    rows = (select(table.c.id).where(table.c.user_id == user_id, table.c.read_at.is_(None))
            .limit(BADGE_MAX + 1).subquery())
    return int(session.execute(select(func.count()).select_from(rows)).scalar() or 0)


def mark_read(session: Session, user_id: int, notification_id: int | None = None,
              now: dt.datetime | None = None) -> int:
    """Mark one (or every) unread notification of the user read; the caller commits."""
    table = Notification.__table__
    where: list[Any] = [table.c.user_id == user_id, table.c.read_at.is_(None)]
    if notification_id is not None:
        where.append(table.c.id == notification_id)
    done = session.connection().execute(
        update(table).where(*where).values(read_at=now or dt.datetime.now()))
    return int(done.rowcount or 0)


def prefs_of(session: Session, user_ids: list[int]) -> dict[int, tuple[bool, str]]:
    """(e-mail on, language) of each user who saved their choices; others: (True, 'zh')."""
    if not user_ids:
        return {}
    table = NotificationPref.__table__
    rows = session.connection().execute(select(
        table.c.user_id, table.c.email, table.c.language).where(
        table.c.user_id.in_(sorted(set(user_ids)))))
    return {r.user_id: (bool(r.email), r.language or "zh") for r in rows}
