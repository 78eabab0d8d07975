"""我的通知 (My notifications) and 通知设置 (notification settings), for every signed-in user:
the list of what they were told with links to the records, mark one or all as read (POST with
CSRF), the unread count for the navigation bar's bell (the page renders it; /count answers it
as JSON), and their choices: e-mail on or off, the language of notifications. In-portal
notifications cannot be turned off: they are the record of who was told what."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import flash, g, jsonify, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access, permission_name
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from werkzeug.wrappers import Response

from app.notify.model import (
    BADGE_MAX,
    LANGUAGES,
    Notification,
    NotificationPref,
    mark_read,
    unread_count,
)
from app.portal import portal_of

PAGE = 50
VIEW = "NotificationView"
MENU = "my_notifications"


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 19 else None


def _user_id() -> int | None:
    user = getattr(g, "user", None)
    return int(user.id) if user is not None and getattr(user, "is_authenticated", False) \
        else None


def badge_text(count: int) -> str:
    return f"{BADGE_MAX}+" if count > BADGE_MAX else str(count)


def unread_badge() -> str:
    """The bell's number for the signed-in user ('' when nothing is unread or outside)."""
    from flask import current_app

    user_id = _user_id()
    if user_id is None:
        return ""
    session = current_app.appbuilder.session  # type: ignore[attr-defined]
    try:
        count = unread_count(session, user_id)
    except OperationalError:  # the database is out of reach: the error page still renders
        session.rollback()
        return ""
    return badge_text(count) if count else ""


class NotificationView(BaseView):
    route_base = "/notifications"
    default_view = "list"

    def _rows(self, user_id: int, before: int | None) -> list[dict[str, Any]]:
        spec = portal_of().spec
        forms = {f.key: f for f in spec.forms}
        query = select(Notification).where(Notification.user_id == user_id)
        if before is not None:
            query = query.where(Notification.__table__.c.id < before)
        found = self.appbuilder.session.scalars(
            query.order_by(Notification.id.desc()).limit(PAGE + 1)).all()
        rows = []
        for n in found:
            form = forms.get(n.form or "")
            url = url_for(f"{form.view_name}.show", pk=n.record_id) if form is not None \
                and n.record_id and n.record_id.isdigit() else None
            rows.append({"id": n.id, "title": n.title, "body": n.body or "", "url": url,
                         "form": form.label.get() if form is not None else "",
                         "at": n.created_at.strftime("%Y-%m-%d %H:%M"),
                         "unread": n.read_at is None})
        return rows

    @expose("/")
    @has_access
    def list(self) -> str:
        user_id = _user_id()
        assert user_id is not None
        before = _int(request.args.get("before"))
        rows = self._rows(user_id, before)
        older = rows[PAGE]["id"] + 1 if len(rows) > PAGE else None
        return self.render_template("portal/notifications.html", rows=rows[:PAGE],
                                    older=older, unread=unread_count(
                                        self.appbuilder.session, user_id))

    @expose("/count")
    @has_access
    @permission_name("list")
    def count(self) -> Response:
        """{"count": n} unread (at most BADGE_MAX + 1); for a page that wants to refresh
        the bell without reloading (at most once a minute)."""
        user_id = _user_id()
        response = jsonify(count=unread_count(self.appbuilder.session, user_id or 0))
        response.headers["Cache-Control"] = "private, no-store"
        return response

    @expose("/<int:pk>/read", methods=["POST"])
    @has_access
    @permission_name("list")
    def read(self, pk: int) -> Response:
        """Mark one notification read; with `open`, go on to its record."""
        session = self.appbuilder.session
        user_id = _user_id()
        row = session.get(Notification, pk)
        if row is None or user_id is None or row.user_id != user_id:
            session.rollback()
            flash(_("That notification is not yours or no longer exists."), "warning")
            return redirect(url_for(f"{VIEW}.list"))
        mark_read(session, user_id, pk)
        session.commit()
        target = self._rows(user_id, pk + 1)
        url = target[0]["url"] if target and target[0]["id"] == pk else None
        if request.form.get("open") and url:
            return redirect(url)
        return redirect(url_for(f"{VIEW}.list"))

    @expose("/read-all", methods=["POST"])
    @has_access
    @permission_name("list")
    def read_all(self) -> Response:
        session = self.appbuilder.session
        user_id = _user_id()
        done = mark_read(session, user_id or 0)
        session.commit()
        flash(_("%(count)d notifications marked as read.", count=done), "success")
        return redirect(url_for(f"{VIEW}.list"))

    @expose("/settings", methods=["GET", "POST"])
    @has_access
    @permission_name("list")
    def settings(self) -> Any:
        """通知设置: e-mail on or off, and the language notifications are written in."""
        session = self.appbuilder.session
        user_id = _user_id()
        assert user_id is not None
        pref = session.get(NotificationPref, user_id)
        if request.method == "POST":
            language = request.form.get("language")
            if language not in LANGUAGES:
                flash(_("Choose Chinese or English."), "danger")
                return redirect(url_for(f"{VIEW}.settings"))
            if pref is None:
                pref = NotificationPref(user_id=user_id)
                session.add(pref)
            pref.email = request.form.get("email") == "1"
            pref.language = language
            pref.changed_at = dt.datetime.now().replace(microsecond=0)
            session.commit()
            flash(_("Notification settings saved."), "success")
            return redirect(url_for(f"{VIEW}.settings"))
        address = getattr(g.user, "email", "") or ""
        return self.render_template(
            "portal/notify_settings.html", email_on=pref.email if pref else True,
            language=pref.language if pref else "zh", address=address,
            has_address="@" in address)


def register_notification_view(appbuilder: Any) -> None:
    """我的通知, reached from the bell (navbar.html) and listed under the user's menu."""
    appbuilder.add_view_no_menu(NotificationView)
    appbuilder.app.jinja_env.globals["portal_unread_badge"] = unread_badge

