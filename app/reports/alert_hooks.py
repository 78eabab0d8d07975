"""The check after each create: a new record of a form with alert rules is checked, for its
own group only, just before its transaction commits (screens, API, import and commands
alike), so the alert is raised with the record that tipped the count, or not at all."""

from __future__ import annotations

from typing import Any

from flask import current_app, has_app_context
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.portal import EXTENSION
from app.reports.alerts import UNSET, raise_alerts
from app.sla.deadlines import now

PENDING = "portal_alert_new"  # session.info: records created since the last commit


@event.listens_for(Session, "after_flush")
def _collect(session: Session, _context: Any) -> None:
    if not has_app_context() or EXTENSION not in current_app.extensions:
        return
    forms = {r.form for r in current_app.extensions[EXTENSION].spec.alerts}
    for obj in session.new:
        form = getattr(type(obj), "__form__", None)
        if form is not None and form.key in forms:
            session.info.setdefault(PENDING, []).append(obj)


@event.listens_for(Session, "before_commit")
def _check(session: Session) -> None:
    if session.new and has_app_context():
        session.flush()  # commit flushes after this hook: the new records are counted now
    created = session.info.pop(PENDING, [])
    if not created or not has_app_context():
        return
    portal = current_app.extensions[EXTENSION]
    moment, done = now(), set()
    for obj in created:
        form = type(obj).__form__
        for rule in portal.spec.alerts:
            if rule.form != form.key:
                continue
            field = next((f for f in form.fields if f.key == rule.group_by), None)
            key = getattr(obj, field.column if field else rule.group_by, UNSET) \
                if field is not None or rule.group_by == "state" else UNSET
            if key is None or (rule.key, repr(key)) in done:
                continue
            done.add((rule.key, repr(key)))
            raise_alerts(session, portal, rule, moment, key)


@event.listens_for(Session, "after_rollback")
def _forget(session: Session) -> None:
    session.info.pop(PENDING, None)
