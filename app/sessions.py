"""Server-side record of signed-in sessions: rotated at login, ended at logout, idle timeout,
and cut off at once when a user is disabled. (Logic: see PortalSecurityManager.)"""

from __future__ import annotations

from flask_appbuilder import Model
from sqlalchemy import Column, DateTime, ForeignKey, Integer, String


class PortalSession(Model):
    __tablename__ = "portal_session"
    id = Column(String(64), primary_key=True)  # sha256 hex of the token kept in the cookie
    user_id = Column(Integer, ForeignKey("ab_user.id", ondelete="CASCADE"), nullable=False,
                     index=True)
    created_on = Column(DateTime, nullable=False)
    last_seen = Column(DateTime, nullable=False)
    ip = Column(String(64))
    user_agent = Column(String(256))
    ended_on = Column(DateTime)
    end_reason = Column(String(32))  # logout | idle | disabled | replaced | admin
