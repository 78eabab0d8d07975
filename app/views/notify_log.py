"""通知记录 (Notification log), for admins: who was told what — every portal_notification row
with its person, rule, record, title, what became of its e-mail (the outbox delivery's status
and last error) and whether it was read; filters by user, rule and form. Read-only; no role of
roles.yaml is granted it, so only admins reach it, like 推送记录."""

from __future__ import annotations

from typing import Any

from flask import request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_appbuilder.security.sqla.models import User
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.notify.model import Notification
from app.outbox.errors import describe, loads
from app.outbox.model import OutboxMessage
from app.portal import portal_of

PAGE = 50
EMAIL_LABELS = {"queued": _l("Queued"), "off": _l("Turned off by the user"),
                "no_address": _l("No e-mail address"), "no_smtp": _l("No mail server set")}
STATUS_LABELS = {"pending": _l("Waiting to be sent"), "delivered": _l("Delivered"),
                 "failed": _l("Failed")}


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 19 else None


class NotificationLogView(BaseView):
    route_base = "/notification-log"
    default_view = "list"

    @expose("/")
    @has_access
    def list(self) -> str:
        spec = portal_of().spec
        username, rule, form = (request.args.get(k) or "" for k in ("user", "rule", "form"))
        before = _int(request.args.get("before"))
        outbox = OutboxMessage.__table__
        query = (select(Notification, User.username, outbox.c.status, outbox.c.last_error)
                 .join(User, User.id == Notification.user_id)
                 .outerjoin(outbox, outbox.c.delivery_id == Notification.delivery_id))
        if username:
            query = query.where(User.username == username[:100])
        if rule:
            query = query.where(Notification.rule == rule[:100])
        if form:
            query = query.where(Notification.form == form[:64])
        if before is not None:
            query = query.where(Notification.__table__.c.id < before)
        found = self.appbuilder.session.execute(
            query.order_by(Notification.id.desc()).limit(PAGE + 1)).all()
        forms = {f.key: f for f in spec.forms}
        rows = [self.row(n, who, status, error, forms) for n, who, status, error in found]
        older = rows[PAGE]["id"] + 1 if len(rows) > PAGE else None
        return self.render_template(
            "portal/notify_log.html", rows=rows[:PAGE], older=older, user=username,
            rule=rule, form=form, rules={n.key: n.label.get() for n in spec.notifications},
            forms={f.key: f.label.get() for f in spec.forms})

    @staticmethod
    def row(n: Any, who: str, status: str | None, error: str | None,
            forms: dict[str, Any]) -> dict[str, Any]:
        form = forms.get(n.form or "")
        email = str(EMAIL_LABELS.get(n.email, "")) if n.email else ""
        if status:
            email = str(STATUS_LABELS.get(status, status))
            if status != "delivered" and error:
                email += " · " + describe(loads(error))
        return {"id": n.id, "at": n.created_at.strftime("%Y-%m-%d %H:%M"), "user": who,
                "rule": n.rule, "title": n.title, "email": email,
                "form": form.label.get() if form is not None else (n.form or ""),
                "record": n.record_id or "",
                "url": url_for(f"{form.view_name}.show", pk=n.record_id) if form is not None
                and (n.record_id or "").isdigit() else None,
                "read": n.read_at.strftime("%Y-%m-%d %H:%M") if n.read_at else ""}


def register_notify_log_view(appbuilder: Any) -> None:
    appbuilder.add_view(NotificationLogView, "notification_log", icon="fa-bell-o",
                        label=_l("Notification log"), category="Security")
