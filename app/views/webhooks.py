"""推送记录 (Webhook deliveries), for admins: the outbox's webhook messages with filters by hook,
status and form, one delivery's body, attempts and last error, and 重新发送 (send again) for a
failed one — audited as `webhook_retry`. Read-only otherwise; no role of roles.yaml is granted
it, so only admins (who hold every permission) reach it, like the schema screen."""

from __future__ import annotations

import json
from typing import Any

from flask import abort, flash, redirect, request, url_for
from flask_appbuilder import BaseView, expose
from flask_appbuilder.security.decorators import has_access
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response

from app.audit import log as audit
from app.outbox.deliver import retry
from app.outbox.errors import describe, detail, loads
from app.outbox.model import FAILED, STATUSES, OutboxMessage
from app.portal import portal_of
from app.webhooks.send import CHANNEL

PAGE = 50
STATUS_LABELS = {"pending": _l("Waiting to be sent"), "delivered": _l("Delivered"),
                 "failed": _l("Failed")}
EVENT_LABELS = {"created": _l("Record created"), "updated": _l("Record changed"),
                "transition": _l("Workflow step"), "sla_breach": _l("SLA deadline missed")}


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 19 else None


class WebhookDeliveryView(BaseView):
    route_base = "/webhooks"
    default_view = "list"

    def names(self) -> dict[str, Any]:
        """What the templates show for keys: hooks' and forms' labels, event and status words,
        and a stored failure (app/outbox/errors.py) as a sentence and its quoted text."""
        spec = portal_of().spec
        return {"hooks": {h.key: h.label.get() for h in spec.webhooks},
                "forms": {f.key: f.label.get() for f in spec.forms},
                "events": {k: str(v) for k, v in EVENT_LABELS.items()},
                "statuses": {k: str(v) for k, v in STATUS_LABELS.items()},
                "error_text": lambda stored: describe(loads(stored)),
                "error_detail": lambda stored: detail(loads(stored))}

    @expose("/")
    @has_access
    def list(self) -> str:
        hook, status, form = (request.args.get(k) or "" for k in ("hook", "status", "form"))
        before = _int(request.args.get("before"))
        query = select(OutboxMessage).where(OutboxMessage.channel == CHANNEL)
        if hook:
            query = query.where(OutboxMessage.target == hook[:100])
        if status in STATUSES:
            query = query.where(OutboxMessage.status == status)
        if form:
            query = query.where(OutboxMessage.form == form[:64])
        if before is not None:
            query = query.where(OutboxMessage.__table__.c.id < before)
        rows = self.appbuilder.session.scalars(
            query.order_by(OutboxMessage.id.desc()).limit(PAGE + 1)).all()
        older = rows[PAGE].id + 1 if len(rows) > PAGE else None
        return self.render_template(
            "portal/webhooks.html", rows=rows[:PAGE], hook=hook, status=status, form=form,
            older=older, **self.names())

    @expose("/<int:pk>")
    @has_access
    def show(self, pk: int) -> str:
        row = self.appbuilder.session.get(OutboxMessage, pk)
        if row is None or row.channel != CHANNEL:
            abort(404)
        try:
            body = json.dumps(json.loads(row.body), ensure_ascii=False, indent=2)
        except ValueError:
            body = row.body
        return self.render_template("portal/webhook_show.html", row=row, body=body,
                                    attempts=row.attempts_log(), failed=row.status == FAILED,
                                    **self.names())

    @expose("/<int:pk>/retry", methods=["POST"])
    @has_access
    def retry(self, pk: int) -> Response:
        session = self.appbuilder.session
        row = session.get(OutboxMessage, pk)
        if row is None or row.channel != CHANNEL:
            abort(404)
        if retry(session, pk):
            audit.record(session, "webhook_retry", form=row.form, record_id=row.record_id,
                         details={"hook": row.target, "delivery": row.delivery_id,
                                  "event": row.event})
            session.commit()
            flash(_("Queued again: it is sent within a minute."), "success")
        else:
            session.rollback()
            flash(_("Only a failed delivery can be sent again."), "warning")
        return redirect(url_for("WebhookDeliveryView.show", pk=pk))


def register_webhook_view(appbuilder: Any) -> None:
    appbuilder.add_view(WebhookDeliveryView, "webhook_deliveries", icon="fa-paper-plane",
                        label=_l("Webhook deliveries"), category="Security")
