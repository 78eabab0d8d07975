"""Names for the ids an audit event's details hold: a user field's value as the user's name,
a reference's as its record's title (sensitive parts masked), read once per request."""

from __future__ import annotations

from typing import Any

from flask import current_app, g
from flask_appbuilder.security.sqla.models import User

from app.portal import portal_of
from app.spec import FieldSpec, PortalSpec
from app.views.audit_details import Names

MAX_ID = 2**31 - 1


def record_names() -> Names:
    """The request's resolver (`names` of app/views/audit_details.py sections)."""
    cache: dict[tuple[str, str | None, int], str | None] = g.setdefault(
        "portal_audit_names", {})
    session = current_app.extensions["appbuilder"].session

    def name(field: FieldSpec, value: Any) -> str | None:
        try:
            ident = int(value)
        except (TypeError, ValueError):
            return None
        if not 0 < ident <= MAX_ID:
            return None
        key = (field.type, field.form, ident)
        if key not in cache:
            if field.type == "user":
                user = session.get(User, ident)
                cache[key] = (user.get_full_name().strip() or user.username) if user else None
            else:
                record = session.get(portal_of().model(str(field.form)), ident)
                cache[key] = str(record) if record is not None else None
        return cache[key]

    return name


def record_title(spec: PortalSpec, form_key: str, record_id: str) -> str:
    """A form record's title (its history's heading), or its id when it is gone or the
    event is of another table."""
    form = next((f for f in spec.forms if f.key == form_key), None)
    if form is None or not record_id.isdigit() or not 0 < int(record_id) <= MAX_ID:
        return record_id
    record = current_app.extensions["appbuilder"].session.get(
        portal_of().model(form_key), int(record_id))
    return str(record) if record is not None else f"#{record_id}"
