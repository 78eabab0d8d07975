"""Reading the audit log in tests: the newest sequence number, the events after it, their
details; and a stored record as its edit form would post it back."""

from __future__ import annotations

import json
from typing import Any

from flask import Flask
from sqlalchemy import select, text

from app.audit.log import AuditEvent
from app.portal import portal_of
from tests.support.factories import form_value


def spec_form(app: Flask, key: str) -> Any:
    return portal_of(app).spec.form(key)


def last_seq(app: Flask) -> int:
    with app.app_context():
        return int(app.appbuilder.session.execute(text(
            "select coalesce(max(seq), 0) from portal_audit_event")).scalar())


def events_after(app: Flask, seq: int, *actions: str) -> list[AuditEvent]:
    with app.app_context():
        query = select(AuditEvent).where(AuditEvent.seq > seq).order_by(AuditEvent.seq)
        if actions:
            query = query.where(AuditEvent.action.in_(actions))
        found = app.appbuilder.session.scalars(query).all()
        app.appbuilder.session.expunge_all()
        return list(found)


def details(event: AuditEvent) -> dict:
    return json.loads(event.details or "{}")


def stored_form(app: Flask, form: Any, pk: int) -> dict[str, Any]:
    model = portal_of(app).models.models[form.key]
    with app.app_context():
        row = app.appbuilder.session.get(model, pk)
        data = {f.key: form_value(f, getattr(row, f.column)) for f in form.fields
                if getattr(row, f.column) is not None and not f.sensitive}
        data["version"] = str(row.version)
    return data
