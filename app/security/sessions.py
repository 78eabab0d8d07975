"""Server-side record of signed-in sessions: rotated at login, ended at logout, idle timeout,
absolute lifetime, and cut off at once when a user is disabled or their password is reset.

The browser's (signed) Flask session keeps a random token; the database keeps only its
sha256 (`portal_session.id`), so a leaked table cannot be replayed. Every request with a
signed-in user looks the row up: unknown or ended means signed out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from types import SimpleNamespace
from typing import Any

from flask import current_app, flash, g, has_request_context, redirect, request, session
from flask_appbuilder import Model
from flask_appbuilder.security.sqla.models import User
from flask_babel import gettext as _
from sqlalchemy import Column, DateTime, ForeignKey, Integer, String, event, select, update
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from app.audit import log as audit

TOKEN_KEY = "_portal_session"
# What survives the rotation at login: Flask-Login's own keys (set just before) and the
# chosen language. Everything else from before the login (CSRF token, flashes…) is dropped.
KEPT_AT_LOGIN = ("_user_id", "_fresh", "_id", "_remember", "locale")
LAST_SEEN_EVERY = dt.timedelta(minutes=1)
SKIPPED_ENDPOINTS = (None, "static", "appbuilder.static")


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
    # logout | idle | expired | disabled | password | replaced
    end_reason = Column(String(32))


SESSIONS = PortalSession.__table__


def now() -> dt.datetime:
    return dt.datetime.now()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def _db() -> Session:
    return current_app.extensions["appbuilder"].session


def open_session(db: Session, user: Any) -> str:
    """A new row for the user; returns the token for the cookie (never stored as is)."""
    token = secrets.token_urlsafe(32)
    stamp = now()
    db.execute(SESSIONS.insert().values(
        id=token_hash(token), user_id=user.id, created_on=stamp, last_seen=stamp,
        ip=(request.remote_addr or "")[:64] or None,
        user_agent=request.user_agent.string[:256] or None))
    return token


def close_session(db: Session | Any, token: Any, reason: str) -> bool:
    """End one session (if still open); True when a row was ended."""
    if not isinstance(token, str):
        return False
    result = db.execute(update(SESSIONS).where(
        SESSIONS.c.id == token_hash(token), SESSIONS.c.ended_on.is_(None)).values(
        ended_on=now(), end_reason=reason))
    return bool(getattr(result, "rowcount", 0))


def close_user_sessions(db: Session | Any, user_id: int, reason: str,
                        keep: str | None = None) -> int:
    """End every open session of a user (but the one whose token is `keep`)."""
    stmt = update(SESSIONS).where(SESSIONS.c.user_id == user_id, SESSIONS.c.ended_on.is_(None))
    if keep:
        stmt = stmt.where(SESSIONS.c.id != token_hash(keep))
    return int(getattr(db.execute(stmt.values(ended_on=now(), end_reason=reason)), "rowcount",
                       0) or 0)


def _clear_flask_session(keep: tuple[str, ...] = ("locale",)) -> None:
    kept = {k: session[k] for k in keep if k in session}
    session.clear()
    session.update(kept)


def rotate_on_login(_app: Any, user: Any, **_kw: Any) -> None:
    """Flask-Login's user_logged_in: drop the pre-login session, open a row, store its token."""
    db = _db()
    previous = session.get(TOKEN_KEY)
    _clear_flask_session(KEPT_AT_LOGIN)
    close_session(db, previous, "replaced")
    session[TOKEN_KEY] = open_session(db, user)
    session.permanent = True  # the cookie expires with PERMANENT_SESSION_LIFETIME
    db.commit()


def end_on_logout(_app: Any, user: Any, **_kw: Any) -> None:
    """Flask-Login's user_logged_out: end the row, keep nothing but the language."""
    db = _db()
    close_session(db, session.get(TOKEN_KEY), "logout")
    _clear_flask_session()
    if getattr(user, "is_authenticated", False):
        audit.record(db, "logout", user=user)
    db.commit()


def _signed_out(message: str) -> Response | None:
    """Forget the signed-in user of this request; send pages to the login screen."""
    _clear_flask_session()
    g.pop("_login_user", None)
    flash(message, "warning")
    sm = current_app.extensions["appbuilder"].sm
    if request.path.startswith("/api/") or request.endpoint == f"{sm.auth_view.endpoint}.login":
        return None
    target = request.full_path.rstrip("?") if request.method == "GET" else None
    return redirect(sm.appbuilder.get_url_for_login_with(target))


def check_request() -> Response | None:
    """before_request: a signed-in session must match an open row of an active user, used
    within PORTAL_IDLE_TIMEOUT and younger than PERMANENT_SESSION_LIFETIME."""
    if request.endpoint in SKIPPED_ENDPOINTS or "_user_id" not in session:
        return None
    db = _db()
    token = session.get(TOKEN_KEY)
    if not isinstance(token, str):
        return _signed_out(_("Your session has ended. Please sign in again."))
    row = db.execute(select(
        SESSIONS.c.user_id, SESSIONS.c.created_on, SESSIONS.c.last_seen,
        SESSIONS.c.ended_on, User.active, User.username).join(
        User.__table__, User.id == SESSIONS.c.user_id).where(
        SESSIONS.c.id == token_hash(token))).first()
    if row is None or row.ended_on is not None or str(row.user_id) != str(session["_user_id"]):
        return _signed_out(_("Your session has ended. Please sign in again."))
    stamp = now()
    idle = dt.timedelta(minutes=current_app.config["PORTAL_IDLE_TIMEOUT"])
    lifetime = current_app.permanent_session_lifetime
    if not row.active:
        reason, message = "disabled", _("Your session has ended. Please sign in again.")
        close_user_sessions(db, row.user_id, reason)
    elif stamp - row.created_on > lifetime:
        reason = "expired"
        message = _("Your session reached its maximum length of %(hours)d hours. Please sign "
                    "in again.", hours=int(lifetime.total_seconds() // 3600))
        close_session(db, token, reason)
    elif stamp - row.last_seen > idle:
        reason = "idle"
        message = _("You were signed out after %(minutes)d minutes without activity. Please "
                    "sign in again.", minutes=current_app.config["PORTAL_IDLE_TIMEOUT"])
        close_session(db, token, reason)
    else:
        if stamp - row.last_seen >= LAST_SEEN_EVERY:
            db.execute(update(SESSIONS).where(SESSIONS.c.id == token_hash(token)).values(
                last_seen=stamp))
            db.commit()
        return None
    who = SimpleNamespace(id=row.user_id, username=row.username, roles=[])
    audit.record(db, "session_end", user=who, details={"reason": reason})
    db.commit()
    return _signed_out(message)


@event.listens_for(Session, "before_flush")
def _end_sessions_on_user_change(db: Session, _context: Any, _instances: Any) -> None:
    """A user disabled (FAB's edit screen, the CLI, anything through the ORM) loses every
    session at once; a password reset ends every session but the one that made it."""
    for obj in db.dirty:
        if not isinstance(obj, User) or obj.id is None:
            continue
        attrs = sa_inspect(obj).attrs
        if attrs.active.history.has_changes() and not obj.active:
            close_user_sessions(db.connection(), obj.id, "disabled")
        elif attrs.password.history.has_changes():
            keep = None
            if has_request_context() and session.get("_user_id") == str(obj.id):
                keep = session.get(TOKEN_KEY)
            close_user_sessions(db.connection(), obj.id, "password",
                                keep if isinstance(keep, str) else None)
